#include "pipeline/decoder.hpp"

#include <string>

#include <fmt/format.h>

#include "pipeline/snapshot/snapshot_deriver.hpp"

namespace gstream::pipeline {

using core::Errc;
using core::JsonValue;

core::InteractionState derive_state(std::string_view event_type, const JsonValue& data) {
    using S = core::InteractionState;
    if (event_type == "acd.start") {
        return S::kQueued;
    }
    if (event_type == "user.start") {
        return S::kAlerting;
    }
    if (event_type == "acd.end") {
        const JsonValue outcome = data.find("acdOutcome");
        return outcome.is_string() && outcome.get_string() == "ANSWERED" ? S::kContact : S::kNone;
    }
    if (event_type == "acw" || event_type == "wrapup") {
        return S::kAcw;
    }
    if (event_type == "customer.end") {
        return S::kEnded;
    }
    return S::kNone;
}

namespace {

bool has_repeated_member(const JsonValue& object) {
    std::vector<std::string_view> names;
    bool repeated = false;
    object.for_each_member([&](std::string_view name, const JsonValue&) {
        for (std::string_view seen : names) {
            repeated = repeated || seen == name;
        }
        names.push_back(name);
    });
    return repeated;
}

// Parses the message; a text that is not JSON, or not an object, is rejected whole as not_json
// (SEED-PROTOCOL.md §3, first row) and an invalid value is returned.
template <class Reject>
JsonValue parse_object(core::Message& msg, core::Utf8 utf8, Reject& reject_whole) {
    if (!msg.doc.parse_in_place(msg.payload, core::JsonParser::kAuto, utf8)) {
        reject_whole(Errc::kNotJson,
                     fmt::format("offset {}: {}", msg.doc.error().offset, msg.doc.error().message));
        return {};
    }
    const JsonValue root = msg.doc.root();
    if (!root.is_object()) {
        reject_whole(Errc::kNotJson, "message is not a JSON object");
        return {};
    }
    return root;
}

// A notification message is one event: a repeated member name or too deep a nesting anywhere in
// it rejects it whole.
template <class Reject>
bool tree_is_sound(const JsonValue& root, Reject& reject_whole) {
    if (root.has_duplicate_key()) {
        reject_whole(Errc::kDuplicateKey, "an object repeats a member name");
        return false;
    }
    if (root.height() > kMaxEventDepth) {
        reject_whole(Errc::kTooDeep,
                     fmt::format("nesting {} levels deep, limit {}", root.height(), kMaxEventDepth));
        return false;
    }
    return true;
}

}  // namespace

void EnvelopeDecoder::decode(std::shared_ptr<core::Message> message, DecodeOutput& out) {
    core::Message& msg = *message;
    auto reject_whole = [&](Errc reason, std::string detail) {
        out.rejections.push_back({reason, "decode", std::move(detail), msg.payload, std::nullopt});
    };
    const JsonValue root = parse_object(msg, utf8_, reject_whole);
    if (!root.valid()) {
        return;
    }
    if (root.has_duplicate_key() && has_repeated_member(root)) {
        reject_whole(Errc::kDuplicateKey, "envelope repeats a member name");
        return;
    }
    const JsonValue subscription = root.find("subscriptionId");
    const JsonValue events = root.find("events");
    if (!subscription.valid()) {
        if (events.is_array() && events.size() > 0) {
            reject_whole(Errc::kBadEnvelope, "events without subscriptionId");
        } else {
            out.control = true;
        }
        return;
    }
    if (!events.is_array()) {
        reject_whole(Errc::kBadEnvelope, events.valid() ? "events is not an array" : "no events");
        return;
    }
    std::optional<std::string> subscription_id;
    if (subscription.is_string()) {
        subscription_id.emplace(subscription.get_string());
    }
    std::shared_ptr<const core::Message> shared = message;
    events.for_each_element([&](const JsonValue& ev) {
        auto reject = [&](Errc reason, std::string detail) {
            out.rejections.push_back(
                {reason, "decode", std::move(detail), std::string(ev.raw()), subscription_id});
        };
        if (ev.has_duplicate_key()) {
            reject(Errc::kDuplicateKey, "an object repeats a member name");
            return;
        }
        if (ev.height() > kMaxEventDepth) {
            reject(Errc::kTooDeep, fmt::format("nesting {} levels deep, limit {}", ev.height(),
                                               kMaxEventDepth));
            return;
        }
        core::Event event;
        event.value = ev;
        if (ev.is_object()) {
            event.id = ev.find("id");
            event.event_type = ev.find("eventType");
            event.data = ev.find("data");
            const JsonValue timestamp = ev.find("timestamp");
            if (timestamp.is_string()) {
                const auto instant = core::parse_rfc3339(timestamp.get_string());
                if (!instant) {
                    reject(Errc::kBadTimestamp,
                           fmt::format("timestamp {} is not an RFC 3339 date-time with offset "
                                       "between 1970 and 2262",
                                       timestamp.raw()));
                    return;
                }
                event.instant = *instant;
            }
            if (event.data.is_object()) {
                const JsonValue event_time = event.data.find("eventTime");
                if (event_time.valid() && event_time.type() == core::JsonType::kBigInteger) {
                    reject(Errc::kNumberOutOfRange,
                           fmt::format("/data/eventTime {} is outside int64", event_time.raw()));
                    return;
                }
                event.queue_id = event.data.find("queueId");
                event.conversation_id = event.data.find("conversationId");
                if (event.event_type.is_string()) {
                    event.kind = event.event_type.get_string();
                    event.state = derive_state(event.kind, event.data);
                }
            }
        }
        event.message = shared;
            event.received_ns = msg.received_ns;
        out.events.push_back(std::move(event));
    });
}

void NotificationDecoder::decode(std::shared_ptr<core::Message> message, DecodeOutput& out) {
    core::Message& msg = *message;
    auto reject_whole = [&](Errc reason, std::string detail) {
        out.rejections.push_back({reason, "decode", std::move(detail), msg.payload, std::nullopt});
    };
    const JsonValue root = parse_object(msg, utf8_, reject_whole);
    if (!root.valid()) {
        return;
    }
    const JsonValue topic = root.find("topicName");
    const std::string_view topic_name = topic.get_string();
    if (topic_name == "channel.metadata" || topic_name.starts_with("v2.system.")) {
        out.control = true;
        return;
    }
    if (topic.is_string() && is_conversation_snapshot_topic(topic_name)) {
        decode_snapshot(std::move(message), root, out);
        return;
    }
    constexpr std::string_view kDetailPrefix = "v2.detail.events.conversation.";
    if (!topic.is_string() || !topic_name.starts_with(kDetailPrefix)) {
        reject_whole(Errc::kBadEnvelope,
                     topic.valid() ? fmt::format("unsupported topic {}", topic.raw())
                                   : std::string("no topicName"));
        return;
    }
    // v2.detail.events.conversation.{conversationId}.{kind}: the kind may contain dots.
    const std::string_view rest = topic_name.substr(kDetailPrefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot + 1 >= rest.size()) {
        reject_whole(Errc::kBadEnvelope, fmt::format("topic {} names no event kind", topic.raw()));
        return;
    }
    if (!tree_is_sound(root, reject_whole)) {
        return;
    }
    core::Event event;
    event.format = core::EventFormat::kNotification;
    event.value = root;
    event.kind = rest.substr(dot + 1);
    event.data = root.find("eventBody");
    event.id = root.find("metadata").find("CorrelationId");
    if (event.data.is_object()) {
        const JsonValue event_time = event.data.find("eventTime");
        if (event_time.valid() && event_time.type() == core::JsonType::kBigInteger) {
            reject_whole(Errc::kNumberOutOfRange,
                         fmt::format("/eventBody/eventTime {} is outside int64", event_time.raw()));
            return;
        }
        if (event_time.valid() && event_time.type() == core::JsonType::kInteger) {
            const auto instant = core::instant_from_epoch_ms(event_time.get_int64());
            if (!instant) {
                reject_whole(Errc::kBadTimestamp,
                             fmt::format("/eventBody/eventTime {} is outside 1970-2262",
                                         event_time.raw()));
                return;
            }
            event.instant = *instant;
        }
        event.queue_id = event.data.find("queueId");
        event.conversation_id = event.data.find("conversationId");
        event.state = derive_state(event.kind, event.data);
    }
    event.message = std::move(message);
    event.received_ns = msg.received_ns;
    out.events.push_back(std::move(event));
}

void NotificationDecoder::decode_snapshot(std::shared_ptr<core::Message> message,
                                          const JsonValue& root,
                                          DecodeOutput& out) {
    core::Message& msg = *message;
    auto reject_whole = [&](Errc reason, std::string detail) {
        out.rejections.push_back({reason, "decode", std::move(detail), msg.payload, std::nullopt});
    };
    if (!tree_is_sound(root, reject_whole)) {
        return;
    }
    core::Event event;
    event.format = core::EventFormat::kSnapshot;
    event.value = root;
    event.kind = kSnapshotEventType;
    event.data = root.find("eventBody");
    event.id = root.find("metadata").find("CorrelationId");
    event.conversation_id = event.data.find("id");
    event.time_received = true;  // the pipeline sets instant to the receive time
    event.message = std::move(message);
    event.received_ns = msg.received_ns;
    out.events.push_back(std::move(event));
}

}  // namespace gstream::pipeline

#include "pipeline/decoder.hpp"

#include <string>

#include <fmt/format.h>

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

}  // namespace

void EnvelopeDecoder::decode(std::shared_ptr<core::Message> message, DecodeOutput& out) {
    core::Message& msg = *message;
    auto reject_whole = [&](Errc reason, std::string detail) {
        out.rejections.push_back({reason, "decode", std::move(detail), msg.payload, std::nullopt});
    };
    if (!msg.doc.parse_in_place(msg.payload)) {
        reject_whole(Errc::kNotJson,
                     fmt::format("offset {}: {}", msg.doc.error().offset, msg.doc.error().message));
        return;
    }
    const JsonValue root = msg.doc.root();
    if (!root.is_object()) {
        reject_whole(Errc::kNotJson, "message is not a JSON object");
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
                    event.state = derive_state(event.event_type.get_string(), event.data);
                }
            }
        }
        event.message = shared;
        event.sequence = next_event_sequence_++;
        event.received_ns = msg.received_ns;
        out.events.push_back(std::move(event));
    });
}

}  // namespace gstream::pipeline

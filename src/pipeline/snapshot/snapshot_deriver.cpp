#include "pipeline/snapshot/snapshot_deriver.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <utility>

#include "core/time.hpp"

namespace gstream::pipeline {

using core::JsonValue;

namespace {

// Lifecycle states in their per-leg order (docs/lifecycle.md).
enum State : int { kQueued = 0, kAlerting = 1, kContact = 2, kAcw = 3, kEnded = 4 };
constexpr std::array<std::string_view, 5> kStateNames = {"queued", "alerting", "contact", "acw",
                                                         "ended"};

// The per-media arrays of QueueConversationEventTopicParticipant (sdk-topic-models.json), with the
// singular name written as data.media.type. `workflow` is an object without a state: not a leg.
struct MediaKind {
    std::string_view array;
    std::string_view type;
};
constexpr std::array<MediaKind, 11> kMediaKinds = {{
    {"calls", "call"},
    {"callbacks", "callback"},
    {"chats", "chat"},
    {"cobrowsesessions", "cobrowse"},
    {"emails", "email"},
    {"messages", "message"},
    {"internalMessages", "internalMessage"},
    {"screenMonitorings", "screenMonitoring"},
    {"screenshares", "screenshare"},
    {"socialExpressions", "socialExpression"},
    {"videos", "video"},
}};

struct Media {
    JsonValue item;
    std::string_view type;
    std::string_view state;
};

struct Participant {
    JsonValue value;
    std::string_view id;
    std::string_view purpose;
    std::vector<Media> media;
};

std::string_view string_member(const JsonValue& object, std::string_view key) {
    const JsonValue v = object.find(key);
    return v.is_string() ? v.get_string() : std::string_view{};
}

// A member holding an RFC 3339 date-time; nullopt when absent or unparseable.
std::optional<core::Instant> time_member(const JsonValue& object, std::string_view key) {
    const JsonValue v = object.find(key);
    if (!v.is_string()) {
        return std::nullopt;
    }
    return core::parse_rfc3339(v.get_string());
}

bool has_time(const JsonValue& object, std::string_view key) {
    return time_member(object, key).has_value();
}

bool is_terminal(std::string_view media_state) {
    return media_state == "disconnected" || media_state == "terminated";
}

bool is_agent(std::string_view purpose) {
    return purpose == "agent" || purpose == "user";
}

// Participant endTime, or every media leg disconnected/terminated (a leg may go connected ->
// terminated with no disconnected in between).
bool leg_ended(const Participant& p) {
    if (has_time(p.value, "endTime")) {
        return true;
    }
    if (p.media.empty()) {
        return false;
    }
    return std::all_of(p.media.begin(), p.media.end(),
                       [](const Media& m) { return is_terminal(m.state); });
}

bool moved_by_transfer(const Participant& p) {
    return std::any_of(p.media.begin(), p.media.end(), [](const Media& m) {
        return string_member(m.item, "disconnectType").starts_with("transfer");
    });
}

// Latest lifecycle timestamp of a snapshot: only fields that, once set, stay set (not
// startHoldTime, which clears on resume, nor callbackScheduledTime, which can move).
std::int64_t snapshot_max_ns(const std::vector<Participant>& participants) {
    std::int64_t max_ns = -1;
    auto consider = [&](const JsonValue& object, std::string_view key) {
        if (const auto t = time_member(object, key)) {
            max_ns = std::max(max_ns, t->ns);
        }
    };
    for (const Participant& p : participants) {
        for (std::string_view key : {"connectedTime", "endTime", "startAcwTime", "endAcwTime"}) {
            consider(p.value, key);
        }
        for (const Media& m : p.media) {
            consider(m.item, "connectedTime");
            consider(m.item, "disconnectedTime");
            const JsonValue acw = m.item.find("afterCallWork");
            consider(acw, "startTime");
            consider(acw, "endTime");
        }
    }
    return max_ns;
}

// "v2.routing.queues.{id}.conversations[.media]" -> {id}; empty for other topics.
std::string_view topic_queue_id(std::string_view topic) {
    constexpr std::string_view kPrefix = "v2.routing.queues.";
    if (!topic.starts_with(kPrefix)) {
        return {};
    }
    topic.remove_prefix(kPrefix.size());
    return topic.substr(0, topic.find('.'));
}

void append_json_string(std::string& out, std::string_view s) {
    constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (u < 0x20) {
                    out += "\\u00";
                    out.push_back(kHex[u >> 4]);
                    out.push_back(kHex[u & 0xF]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

// Appends a value's original bytes without the whitespace between tokens (pretty-printed input
// would otherwise put line breaks into line-oriented sinks); strings are copied byte for byte.
void append_compact(std::string& out, std::string_view raw) {
    bool in_string = false;
    bool escaped = false;
    for (const char c : raw) {
        if (in_string) {
            out.push_back(c);
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            out.push_back(c);
            in_string = c == '"';
        }
    }
}

// What proves one state of one participant: the timestamp member (or none: receive time), the
// media leg read (or none), and which members of each go into data.
using Keys = std::span<const std::string_view>;
constexpr std::string_view kConnectedParticipantKeys[] = {"connectedTime"};
constexpr std::string_view kConnectedMediaKeys[] = {"id", "state", "connectedTime"};
constexpr std::string_view kAlertingMediaKeys[] = {"id", "state", "initialState"};
constexpr std::string_view kAcwParticipantKeys[] = {"startAcwTime"};
constexpr std::string_view kAcwMediaKeys[] = {"id", "state", "afterCallWork",
                                              "afterCallWorkRequired"};
constexpr std::string_view kEndedParticipantKeys[] = {"endTime"};
constexpr std::string_view kEndedMediaKeys[] = {"id", "state", "disconnectedTime",
                                                "disconnectType"};
constexpr std::string_view kUserIdKey[] = {"userId"};

struct Proof {
    int state = kQueued;
    JsonValue time;  // a string member of the snapshot; !valid() -> receive time
    const Media* media = nullptr;
    Keys participant_keys;
    Keys media_keys;
    std::string_view ended_by;  // ended only: "customer" or "allParticipants"
};

// Copies the present members `keys` of `object` as `"key":raw` pairs; false when none.
bool append_members(std::string& out, const JsonValue& object, Keys keys, bool first) {
    for (std::string_view key : keys) {
        const JsonValue v = object.find(key);
        if (!v.valid()) {
            continue;
        }
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        append_compact(out, v.raw());
    }
    return !first;
}

std::string data_json(const Participant& p, const Proof& proof) {
    std::string out = "{";
    const JsonValue purpose = p.value.find("purpose");
    out += "\"purpose\":";
    append_compact(out, purpose.valid() ? purpose.raw() : std::string_view("null"));
    append_members(out, p.value, kUserIdKey, false);
    if (!proof.ended_by.empty()) {
        out += ",\"endedBy\":";
        append_json_string(out, proof.ended_by);
    }
    std::string members;
    if (append_members(members, p.value, proof.participant_keys, true)) {
        out += ",\"participant\":{";
        out += members;
        out.push_back('}');
    }
    if (proof.media != nullptr) {
        out += ",\"media\":{\"type\":";
        append_json_string(out, proof.media->type);
        append_members(out, proof.media->item, proof.media_keys, false);
        out.push_back('}');
    }
    out.push_back('}');
    return out;
}

const Media* first_media(const Participant& p, auto&& predicate) {
    for (const Media& m : p.media) {
        if (predicate(m)) {
            return &m;
        }
    }
    return nullptr;
}

// queued (an acd participant) and contact (an agent leg): the participant connected. Time: the
// first media connectedTime, else the participant's; a leg in state connected with neither is
// proved at the receive time.
std::optional<Proof> prove_connected(const Participant& p, int state) {
    Proof proof{state, {}, nullptr, kConnectedParticipantKeys, kConnectedMediaKeys, {}};
    proof.media = first_media(p, [](const Media& m) { return has_time(m.item, "connectedTime"); });
    if (proof.media != nullptr) {
        proof.time = proof.media->item.find("connectedTime");
        return proof;
    }
    proof.media = first_media(p, [](const Media& m) { return m.state == "connected"; });
    if (has_time(p.value, "connectedTime")) {
        proof.time = p.value.find("connectedTime");
        return proof;
    }
    if (proof.media != nullptr) {
        return proof;
    }
    return std::nullopt;
}

// alerting: an agent media leg in state alerting now. Genesys gives no alerting time.
std::optional<Proof> prove_alerting(const Participant& p) {
    Proof proof{kAlerting, {}, nullptr, {}, kAlertingMediaKeys, {}};
    proof.media = first_media(p, [](const Media& m) { return m.state == "alerting"; });
    if (proof.media == nullptr) {
        return std::nullopt;
    }
    return proof;
}

// acw: after-call work pending (or complete with a start time: it was pending then), or the
// participant's startAcwTime. Time: afterCallWork.startTime, else startAcwTime.
std::optional<Proof> prove_acw(const Participant& p) {
    Proof proof{kAcw, {}, nullptr, kAcwParticipantKeys, kAcwMediaKeys, {}};
    proof.media = first_media(p, [](const Media& m) {
        const JsonValue acw = m.item.find("afterCallWork");
        const std::string_view state = string_member(acw, "state");
        return state == "pending" || (state == "complete" && has_time(acw, "startTime"));
    });
    if (proof.media != nullptr) {
        const JsonValue acw = proof.media->item.find("afterCallWork");
        if (has_time(acw, "startTime")) {
            proof.time = acw.find("startTime");
        } else if (has_time(p.value, "startAcwTime")) {
            proof.time = p.value.find("startAcwTime");
        }
        return proof;
    }
    if (has_time(p.value, "startAcwTime")) {
        proof.time = p.value.find("startAcwTime");
        return proof;
    }
    return std::nullopt;
}

// The end of an ended leg: the latest media disconnectedTime, else the participant endTime.
void end_time_of(const Participant& p, Proof& proof, std::int64_t& end_ns) {
    end_ns = -1;
    for (const Media& m : p.media) {
        if (const auto t = time_member(m.item, "disconnectedTime"); t && t->ns > end_ns) {
            end_ns = t->ns;
            proof.media = &m;
            proof.time = m.item.find("disconnectedTime");
        }
    }
    if (end_ns < 0) {
        proof.media = first_media(p, [](const Media& m) { return is_terminal(m.state); });
        if (const auto t = time_member(p.value, "endTime")) {
            end_ns = t->ns;
            proof.time = p.value.find("endTime");
        }
    }
}

Proof ended_proof(std::string_view ended_by) {
    return Proof{kEnded, {}, nullptr, kEndedParticipantKeys, kEndedMediaKeys, ended_by};
}

// ended: the customer leg ended (else, with no customer participant, an external one), not
// moved away by a transfer; or every participant ended. Returns the participant index.
std::optional<std::pair<std::size_t, Proof>> prove_ended(
    const std::vector<Participant>& participants) {
    const bool has_customer =
        std::any_of(participants.begin(), participants.end(),
                    [](const Participant& p) { return p.purpose == "customer"; });
    const std::string_view customer_purpose = has_customer ? "customer" : "external";
    for (std::size_t i = 0; i < participants.size(); ++i) {
        const Participant& p = participants[i];
        if (p.purpose == customer_purpose && leg_ended(p) && !moved_by_transfer(p)) {
            Proof proof = ended_proof("customer");
            std::int64_t end_ns = -1;
            end_time_of(p, proof, end_ns);
            return std::pair{i, proof};
        }
    }
    if (participants.empty() || !std::all_of(participants.begin(), participants.end(), leg_ended)) {
        return std::nullopt;
    }
    std::optional<std::pair<std::size_t, Proof>> latest;
    std::int64_t latest_ns = -2;
    for (std::size_t i = 0; i < participants.size(); ++i) {
        Proof proof = ended_proof("allParticipants");
        std::int64_t end_ns = -1;
        end_time_of(participants[i], proof, end_ns);
        if (end_ns >= latest_ns) {
            latest_ns = end_ns;
            latest.emplace(i, proof);
        }
    }
    return latest;
}

}  // namespace

SnapshotDeriver::SnapshotDeriver(SnapshotDeriverOptions options)
    : options_(options) {
    options_.max_conversations = std::max<std::size_t>(options_.max_conversations, 1);
}

void SnapshotDeriver::forget(List& list) {
    index_.erase(std::string_view(list.front().id));
    list.pop_front();
    ++evicted_;
}

void SnapshotDeriver::expire(std::int64_t now_ms) {
    while (!ended_.empty() && now_ms - ended_.front().last_update_ms >= options_.ended_ttl_ms) {
        forget(ended_);
    }
    while (!active_.empty() && now_ms - active_.front().last_update_ms >= options_.idle_ttl_ms) {
        forget(active_);
    }
    while (!ended_.empty() && now_ms - ended_.front().last_update_ms >= options_.idle_ttl_ms) {
        forget(ended_);
    }
}

SnapshotDeriver::Conversation& SnapshotDeriver::touch(std::string_view conversation_id,
                                                      std::int64_t now_ms) {
    if (const auto found = index_.find(conversation_id); found != index_.end()) {
        List& list = found->second.ended ? ended_ : active_;
        list.splice(list.end(), list, found->second.it);
        found->second.it->last_update_ms = now_ms;
        return *found->second.it;
    }
    while (index_.size() >= options_.max_conversations) {
        // The least recently updated of the two lists' oldest.
        const bool from_ended =
            active_.empty() ||
            (!ended_.empty() && ended_.front().last_update_ms <= active_.front().last_update_ms);
        forget(from_ended ? ended_ : active_);
    }
    active_.push_back(Conversation{std::string(conversation_id), now_ms, -1, false, {}});
    const auto it = std::prev(active_.end());
    index_.emplace(std::string_view(it->id), Slot{it, false});
    return *it;
}

void SnapshotDeriver::mark_ended(Conversation& conversation) {
    conversation.ended = true;
    Slot& slot = index_.at(std::string_view(conversation.id));
    if (!slot.ended) {
        ended_.splice(ended_.end(), active_, slot.it);
        slot.ended = true;
    }
}

void SnapshotDeriver::derive(std::string_view topic_name,
                             const JsonValue& body,
                             std::int64_t receive_wall_ms,
                             std::int64_t now_ms,
                             std::vector<Transition>& out) {
    ++snapshots_;
    expire(now_ms);
    const JsonValue conversation_id = body.find("id");
    const JsonValue participants_value = body.find("participants");
    if (!conversation_id.is_string() || conversation_id.get_string().empty() ||
        !participants_value.is_array()) {
        ++malformed_;
        return;
    }

    std::vector<Participant> participants;
    participants.reserve(participants_value.size());
    participants_value.for_each_element([&](const JsonValue& value) {
        const std::string_view id = string_member(value, "id");
        if (id.empty()) {
            return;  // a participant without an id cannot be tracked
        }
        Participant p{value, id, string_member(value, "purpose"), {}};
        for (const MediaKind& kind : kMediaKinds) {
            value.find(kind.array).for_each_element([&](const JsonValue& item) {
                if (item.is_object()) {
                    p.media.push_back(Media{item, kind.type, string_member(item, "state")});
                }
            });
        }
        participants.push_back(std::move(p));
    });

    const std::int64_t max_ns = snapshot_max_ns(participants);
    if (const auto found = index_.find(conversation_id.get_string()); found != index_.end()) {
        if (max_ns < found->second.it->max_instant_ns) {
            ++stale_;  // some leg was already seen later than anything in this snapshot
            return;
        }
    }
    Conversation& conversation = touch(conversation_id.get_string(), now_ms);
    conversation.max_instant_ns = std::max(conversation.max_instant_ns, max_ns);

    std::string received_time;
    const std::string_view topic_queue = topic_queue_id(topic_name);
    auto leg_of = [&](std::string_view participant_id) -> Leg& {
        for (Leg& leg : conversation.legs) {
            if (leg.participant_id == participant_id) {
                return leg;
            }
        }
        return conversation.legs.emplace_back(Leg{std::string(participant_id)});
    };
    auto emit = [&](const Participant& p, Leg& leg, const Proof& proof) {
        const unsigned bit = 1U << proof.state;
        if ((leg.emitted & bit) != 0 || proof.state <= leg.rank) {
            return;  // already emitted, or older than what this leg already reached
        }
        leg.emitted = static_cast<std::uint8_t>(leg.emitted | bit);
        leg.rank = proof.state;
        Transition t;
        t.state = kStateNames[static_cast<std::size_t>(proof.state)];
        t.conversation_id = conversation.id;
        t.participant_id = std::string(p.id);
        t.id = t.conversation_id + ':' + t.participant_id + ':' + t.state;
        t.queue_id = string_member(p.value, "queueId");
        if (t.queue_id.empty()) {
            t.queue_id = string_member(p.value.at_pointer("/conversationRoutingData/queue"), "id");
        }
        if (t.queue_id.empty()) {
            t.queue_id = topic_queue;
        }
        t.topic_name = topic_name;
        if (proof.time.valid()) {
            t.event_time = proof.time.get_string();
        } else {
            if (received_time.empty()) {
                const auto instant = core::instant_from_epoch_ms(receive_wall_ms);
                received_time = core::format_rfc3339(instant.value_or(core::Instant{}));
            }
            t.event_time = received_time;
            t.time_received = true;
        }
        t.data_json = data_json(p, proof);
        out.push_back(std::move(t));
    };

    for (const Participant& p : participants) {
        Leg& leg = leg_of(p.id);
        const bool ended_now = leg_ended(p);
        if (p.purpose == "acd") {
            if (auto proof = prove_connected(p, kQueued)) {
                emit(p, leg, *proof);
            }
        } else if (is_agent(p.purpose)) {
            // A leg once seen ended cannot be alerting again: such a snapshot is stale.
            if (!leg.seen_ended && !ended_now) {
                if (auto proof = prove_alerting(p)) {
                    emit(p, leg, *proof);
                }
            }
            if (auto proof = prove_connected(p, kContact)) {
                emit(p, leg, *proof);
            }
            if (auto proof = prove_acw(p)) {
                emit(p, leg, *proof);
            }
        }
        leg.seen_ended = leg.seen_ended || ended_now;
    }
    if (!conversation.ended) {
        if (auto ended = prove_ended(participants)) {
            const Participant& p = participants[ended->first];
            emit(p, leg_of(p.id), ended->second);
            mark_ended(conversation);
        }
    }
}

bool is_conversation_snapshot_topic(std::string_view topic) noexcept {
    std::string_view rest;
    for (std::string_view prefix : {"v2.routing.queues.", "v2.users."}) {
        if (topic.starts_with(prefix)) {
            rest = topic.substr(prefix.size());
        }
    }
    const auto dot = rest.find('.');
    if (dot == 0 || dot == std::string_view::npos) {
        return false;  // no id
    }
    rest.remove_prefix(dot + 1);
    constexpr std::string_view kConversations = "conversations";
    if (!rest.starts_with(kConversations)) {
        return false;
    }
    rest.remove_prefix(kConversations.size());
    if (rest.empty()) {
        return true;
    }
    // One media suffix: ".calls", ".callbacks", ... (no further dots).
    return rest.size() > 1 && rest.front() == '.' && rest.find('.', 1) == std::string_view::npos;
}

std::string to_event_json(const Transition& t) {
    std::string out;
    out.reserve(t.data_json.size() + 256);
    out += "{\"id\":";
    append_json_string(out, t.id);
    out += ",\"timestamp\":";
    append_json_string(out, t.event_time);
    out += ",\"eventType\":";
    append_json_string(out, t.state);
    out += ",\"data\":{";
    // data_json is an object ("{...}"): copy its members, then add ours.
    bool empty = true;
    if (t.data_json.size() > 2 && t.data_json.front() == '{' && t.data_json.back() == '}') {
        out.append(t.data_json, 1, t.data_json.size() - 2);
        empty = false;
    }
    auto field = [&](std::string_view key, std::string_view value) {
        if (!empty) {
            out.push_back(',');
        }
        empty = false;
        append_json_string(out, key);
        out.push_back(':');
        append_json_string(out, value);
    };
    field("conversationId", t.conversation_id);
    field("participantId", t.participant_id);
    if (!t.queue_id.empty()) {
        field("queueId", t.queue_id);
    }
    field("topicName", t.topic_name);
    if (t.time_received) {
        field("timeSource", "received");
    }
    out += "}}";
    return out;
}

}  // namespace gstream::pipeline

#pragma once
// Interaction-lifecycle transitions derived from Genesys conversation snapshots.
//
// `v2.routing.queues.{queueId}.conversations` (and its media variants `.calls`, `.callbacks`,
// `.chats`, ...) and `v2.users.{userId}.conversations` carry, in `eventBody`, a full snapshot of
// one conversation (`QueueConversationEventTopicConversation` /
// `ConversationEventTopicConversation` in the official SDK typings; API-NOTES.md §4.3) with no
// event time and no sequence number. The deriver keeps, per conversation and participant, which
// lifecycle states it has already emitted and turns each snapshot into the transitions it newly
// proves: queued, alerting, contact, acw, ended. The rules and the timestamp chosen for each state
// are in docs/lifecycle.md. Pure: the caller passes the receive time and a monotonic `now`.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json_document.hpp"

namespace gstream::pipeline {

/// One derived lifecycle transition.
struct Transition {
    std::string id;     ///< "<conversationId>:<participantId>:<state>": stable across repeats
    std::string state;  ///< queued | alerting | contact | acw | ended
    std::string conversation_id;
    std::string participant_id;
    /// The participant's queueId, else its conversationRoutingData.queue.id, else the queue of a
    /// `v2.routing.queues.{id}...` topic; may be empty.
    std::string queue_id;
    std::string topic_name;  ///< topic of the snapshot that proved the transition
    /// The snapshot timestamp that proves it, exactly as in the snapshot (ISO-8601 UTC, e.g.
    /// "2022-07-04T20:04:12.132Z"), or the receive time formatted by core::format_rfc3339.
    std::string event_time;
    bool time_received = false;  ///< true when no snapshot timestamp proved it
    /// A JSON object with the participant fields that prove the transition, their bytes copied
    /// from the snapshot: {"purpose", "userId"?, "participant": {...}, "media": {"type", ...}}.
    std::string data_json;
};

struct SnapshotDeriverOptions {
    /// An ended conversation is forgotten this long (ms) after its last snapshot.
    std::int64_t ended_ttl_ms = 300000;
    /// Any conversation is forgotten this long (ms) after its last snapshot.
    std::int64_t idle_ttl_ms = 14400000;
    /// Above this many tracked conversations, the least recently updated is forgotten (min 1).
    std::size_t max_conversations = 100000;
};

/// Turns conversation snapshots into lifecycle transitions, each (conversation, participant,
/// state) at most once. Not thread-safe; one instance per pipeline thread. Bounded: at most
/// `max_conversations` conversations, each holding its participant ids and emitted states.
class SnapshotDeriver {
public:
    explicit SnapshotDeriver(SnapshotDeriverOptions options = {});

    /// Derives the transitions one snapshot newly proves and appends them to `out`, participants
    /// in snapshot order, states ascending, a conversation's `ended` last.
    /// `topic_name`: the message's topicName. `body`: its eventBody object (a conversation
    /// snapshot). `receive_wall_ms`: wall-clock epoch ms of receipt (the event time of a
    /// transition no snapshot timestamp proves). `now_ms`: a monotonic clock in ms (TTLs).
    /// A body that is not an object with a string `id` and a `participants` array is counted in
    /// malformed_snapshots() and yields nothing; a stale one (older than what was already seen)
    /// is counted in stale_snapshots() and yields nothing. Expires conversations first.
    void derive(std::string_view topic_name,
                const core::JsonValue& body,
                std::int64_t receive_wall_ms,
                std::int64_t now_ms,
                std::vector<Transition>& out);

    /// Forgets ended conversations idle for ended_ttl_ms and any idle for idle_ttl_ms.
    void expire(std::int64_t now_ms);

    std::size_t conversations() const noexcept { return index_.size(); }  ///< tracked now
    std::uint64_t snapshots() const noexcept { return snapshots_; }       ///< snapshots seen
    std::uint64_t stale_snapshots() const noexcept { return stale_; }     ///< ignored as stale
    std::uint64_t malformed_snapshots() const noexcept { return malformed_; }
    std::uint64_t evicted() const noexcept { return evicted_; }  ///< forgotten by TTL or capacity

private:
    struct Leg {
        std::string participant_id;
        std::uint8_t emitted = 0;  // bit per state
        int rank = -1;             // highest state emitted
        bool seen_ended = false;   // the leg was seen disconnected/terminated
    };
    struct Conversation {
        std::string id;
        std::int64_t last_update_ms = 0;
        std::int64_t max_instant_ns = -1;  // latest lifecycle timestamp seen in any snapshot
        bool ended = false;
        std::vector<Leg> legs;
    };
    using List = std::list<Conversation>;
    struct Slot {
        List::iterator it;
        bool ended = false;  // which list holds it
    };

    Conversation& touch(std::string_view conversation_id, std::int64_t now_ms);
    void mark_ended(Conversation& conversation);
    void forget(List& list);

    SnapshotDeriverOptions options_;
    List active_;                                       // least recently updated first
    List ended_;                                        // least recently updated first
    std::unordered_map<std::string_view, Slot> index_;  // keys view Conversation::id
    std::uint64_t snapshots_ = 0;
    std::uint64_t stale_ = 0;
    std::uint64_t malformed_ = 0;
    std::uint64_t evicted_ = 0;
};

/// True for the topics whose eventBody is a conversation snapshot this deriver reads:
/// `v2.routing.queues.{id}.conversations` and `v2.users.{id}.conversations`, each optionally
/// followed by one media suffix (`.calls`, `.callbacks`, `.chats`, ...; API-NOTES.md §4.1).
bool is_conversation_snapshot_topic(std::string_view topic_name) noexcept;

/// The envelope-shaped event for a transition (SEED-PROTOCOL.md §3 event):
/// {"id":..,"timestamp":<event_time>,"eventType":<state>,"data":{<data_json members>,
/// "conversationId":..,"participantId":..,"queueId":.. (omitted when empty),"topicName":..,
/// "timeSource":"received" (only when time_received)}}. Strings are JSON-escaped.
std::string to_event_json(const Transition& transition);

}  // namespace gstream::pipeline

#pragma once
// The unit that flows through the pipeline: one event of one received message.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_document.hpp"
#include "core/time.hpp"

namespace gstream::core {

/// One received WebSocket message (a frame's payload) and its parsed document. Shared by the
/// events decoded from it, so their views stay valid until the last one is written. Immutable
/// while shared; safe to read from any thread. The pipeline reuses a Message (and its tape's
/// capacity) for a later payload only once it holds the last reference.
struct Message {
    std::string payload;
    JsonDocument doc;            ///< parsed over `payload`
    std::int64_t received_ns = 0;  ///< steady-clock time the frame was read (latency metric)
    std::uint64_t sequence = 0;    ///< arrival order of messages, from 0
};

/// Interaction states (SEED-PROTOCOL.md §3), used by the subscription and the `states` filter.
enum class InteractionState : std::uint8_t { kNone, kQueued, kAlerting, kContact, kAcw, kEnded };

std::string_view to_string(InteractionState s) noexcept;
std::optional<InteractionState> parse_interaction_state(std::string_view s) noexcept;

/// Which wire shape an event came in.
enum class EventFormat : std::uint8_t {
    kEnvelope,      ///< an element of a batch envelope's `events` (SEED-PROTOCOL.md §3)
    kNotification,  ///< a Notifications API detail event `{topicName, eventBody, metadata}`
    /// A Notifications API conversation snapshot `{topicName, eventBody, metadata}` of
    /// `v2.routing.queues.{id}.conversations` / `v2.users.{id}.conversations` (docs/lifecycle.md).
    kSnapshot,
    /// A lifecycle transition derived from snapshots: `value` is an envelope-shaped event built by
    /// the pipeline (`{id, timestamp, eventType, data}`, docs/lifecycle.md).
    kTransition,
};

/// One decoded event. Views point into `message`. Cheap to move.
struct Event {
    std::shared_ptr<const Message> message;
    EventFormat format = EventFormat::kEnvelope;
    /// The event object: an envelope's events[i]; a notification message (detail event or
    /// snapshot); a transition's own `{id, timestamp, eventType, data}`.
    JsonValue value;
    JsonValue data;   ///< the Genesys event body (`data`, or `eventBody`)
    JsonValue id;     ///< `id` (or `metadata.CorrelationId`) string token, original escapes kept
    JsonValue event_type;         ///< `eventType` token; !valid() for notifications
    /// The event kind, unescaped ("acd.end", "contact", "conversation.snapshot"); points into
    /// message (a static string for snapshots).
    std::string_view kind;
    JsonValue queue_id;         ///< data.queueId, !valid() when absent
    JsonValue conversation_id;  ///< data.conversationId (a snapshot: eventBody.id); may be !valid()
    Instant instant;            ///< the event time
    InteractionState state = InteractionState::kNone;
    bool late = false;           ///< arrived below the watermark
    /// `instant` is the receive time: the message carried no event time (snapshots, and
    /// transitions no snapshot timestamp proves).
    bool time_received = false;
    std::uint64_t sequence = 0;  ///< arrival order of events, for stable ordering of ties
    std::int64_t received_ns = 0;

    /// Bytes of the event as received (the dead-letter payload).
    std::string_view raw() const noexcept { return value.raw(); }
};

}  // namespace gstream::core

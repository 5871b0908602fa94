#pragma once
// Decoder: frame bytes -> events. Pure; one parse per message (core::JsonDocument), the original
// bytes kept for the sinks and the dead-letter queue.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "pipeline/rejection.hpp"

namespace gstream::pipeline {

/// Events nested deeper than this are dead-lettered with `too_deep` (height of the event object).
inline constexpr std::uint32_t kMaxEventDepth = 64;

struct DecodeOutput {
    std::vector<core::Event> events;       ///< decoded, not yet validated, in message order
    std::vector<Rejection> rejections;     ///< event-level or whole-message failures
    bool control = false;                  ///< a control message (no subscriptionId, no events)
};

/// Decodes the batch-envelope protocol (SEED-PROTOCOL.md §3): applies the message table (not_json,
/// bad_envelope, control) and, per event, `duplicate_key`, `too_deep`, `bad_timestamp` and
/// `number_out_of_range` (data.eventTime outside int64). An event that lacks what the envelope
/// schema requires is passed on for the validator to reject with a precise `schema` detail.
/// Stateless; one instance per pipeline thread. Events are numbered by the pipeline.
class EnvelopeDecoder {
public:
    /// `utf8`: core::Utf8::kTrusted when every payload is known to be UTF-8 (the daemon's
    /// WebSocket text messages, PipelineOptions::payloads_are_utf8); the parser checks otherwise.
    explicit EnvelopeDecoder(core::Utf8 utf8 = core::Utf8::kCheck) : utf8_(utf8) {}
    /// `message->payload` is parsed into `message->doc` here.
    void decode(std::shared_ptr<core::Message> message, DecodeOutput& out);

private:
    core::Utf8 utf8_;
};

/// The event type (`kind`) of a raw conversation snapshot event (docs/lifecycle.md).
inline constexpr std::string_view kSnapshotEventType = "conversation.snapshot";

/// Decodes Notifications API messages (API-NOTES §3.4): heartbeats, pongs and `v2.system.*` are
/// control messages; `v2.detail.events.conversation.{conversationId}.{kind}` is one event with
/// id = metadata.CorrelationId, kind = the topic's suffix, instant = eventBody.eventTime (epoch ms)
/// and data = eventBody. A conversation snapshot topic (is_conversation_snapshot_topic: queue and
/// user conversations, API-NOTES §4.3) is one event of format kSnapshot, kind
/// kSnapshotEventType, id = metadata.CorrelationId, data = eventBody, conversation_id =
/// eventBody.id, no instant (the pipeline stamps the receive time) and time_received set.
/// A message that is not JSON or not an object is `not_json`; another topic or a detail event
/// without topicName/eventBody/metadata is `bad_envelope`, dead-lettered whole.
/// Stateless; one instance per pipeline thread.
class NotificationDecoder {
public:
    /// `utf8`: as for EnvelopeDecoder.
    explicit NotificationDecoder(core::Utf8 utf8 = core::Utf8::kCheck) : utf8_(utf8) {}
    void decode(std::shared_ptr<core::Message> message, DecodeOutput& out);

private:
    core::Utf8 utf8_;
    void decode_snapshot(std::shared_ptr<core::Message> message,
                         const core::JsonValue& root,
                         DecodeOutput& out);
};

/// The interaction state of an envelope event (SEED-PROTOCOL.md §3 table).
core::InteractionState derive_state(std::string_view event_type, const core::JsonValue& data);

}  // namespace gstream::pipeline

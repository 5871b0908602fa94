#pragma once
// Decoder: frame bytes -> events. Pure; one parse per message (core::JsonDocument), the original
// bytes kept for the sinks and the dead-letter queue.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/json_canonical.hpp"
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

/// The id of a Notifications API detail event of `kind` (the topic's suffix) with `body` (its
/// eventBody): what identifies the event, not its metadata.CorrelationId, which Genesys changes
/// when it delivers the same event again (docs/lifecycle.md, "Detail events"). The first 128
/// bits of SHA-256 over the canonical JSON (core::append_canonical_json) of
/// `[kind, conversationId, participantId, sessionId, eventTime, eventBody]` (the members of
/// `body`; null when absent), as a version-8 UUID: 36 characters, lower-case hex. The same for
/// the same event however it is spelled or transported (WebSocket, EventBridge).
class DetailEventKey {
public:
    /// Appends the id to `out`.
    void append_id(std::string_view kind, const core::JsonValue& body, std::string& out);

private:
    std::string canonical_;
    core::CanonicalScratch scratch_;
};

/// Decodes Notifications API messages (API-NOTES §3.4): heartbeats, pongs and `v2.system.*` are
/// control messages; `v2.detail.events.conversation.{conversationId}.{kind}` is one event with
/// id = DetailEventKey's id, correlation_id = metadata.CorrelationId, kind = the topic's
/// suffix, instant = eventBody.eventTime (epoch ms) and data = eventBody. A conversation snapshot
/// topic (is_conversation_snapshot_topic: queue and user conversations, API-NOTES §4.3) is one
/// event of format kSnapshot, kind kSnapshotEventType, id = metadata.CorrelationId, data =
/// eventBody, conversation_id = eventBody.id, no instant (the pipeline stamps the receive time)
/// and time_received set. A message that is not JSON or not an object is `not_json`; another
/// topic or a detail event without topicName/eventBody/metadata is `bad_envelope`, dead-lettered
/// whole. One instance per pipeline thread (it keeps scratch space for the keys).
class NotificationDecoder {
public:
    /// `utf8`: as for EnvelopeDecoder.
    explicit NotificationDecoder(core::Utf8 utf8 = core::Utf8::kCheck) : utf8_(utf8) {}
    void decode(std::shared_ptr<core::Message> message, DecodeOutput& out);

private:
    core::Utf8 utf8_;
    DetailEventKey key_;
    void decode_snapshot(std::shared_ptr<core::Message> message,
                         const core::JsonValue& root,
                         DecodeOutput& out);
};

/// The interaction state of an envelope event (SEED-PROTOCOL.md §3 table).
core::InteractionState derive_state(std::string_view event_type, const core::JsonValue& data);

}  // namespace gstream::pipeline

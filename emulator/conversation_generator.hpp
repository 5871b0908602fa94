#pragma once
// Deterministic Notifications API traffic: queue conversation snapshots
// (`v2.routing.queues.{queueId}.conversations`, API-NOTES.md §4.3) and analytics detail events
// (`v2.detail.events.conversation.{conversationId}.{kind}`, §4.2) for a seeded set of
// conversations that evolve like real ones: queued -> (agent rejects / alert timeouts) ->
// alerting -> contact -> acw -> ended, with abandons, connected -> terminated legs and skipped
// after-call work. Pure: no I/O, no clock. The transitions each conversation implies follow the
// rules of docs/lifecycle.md (pipeline::SnapshotDeriver); docs/emulator.md lists them.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gstream::emulator {

/// One topic event before it is put on the wire.
struct NotificationMessage {
    enum class Kind : std::uint8_t { kSnapshot, kDetail };
    Kind kind = Kind::kSnapshot;
    std::string topic_name;      ///< concrete topic, e.g. v2.routing.queues.<id>.conversations
    std::string event_body;      ///< JSON object text
    std::string correlation_id;  ///< metadata.CorrelationId (a UUID, seeded)
};

/// The wire text: {"topicName":..,"version":"2","eventBody":..,"metadata":{"CorrelationId":..}}
/// (API-NOTES.md §3.4 item 1; key order as in the real samples).
std::string render_notification(const NotificationMessage& message);

/// The topic template of a concrete topic, ids replaced by `{id}`:
/// "v2.routing.queues.{id}.conversations", "v2.detail.events.conversation.{id}.acd.end".
std::string topic_kind(std::string_view topic_name);

/// The five lifecycle states in order (docs/lifecycle.md).
inline constexpr std::array<std::string_view, 5> kLifecycleStates = {"queued", "alerting",
                                                                     "contact", "acw", "ended"};

/// The detail-event kinds the generator emits, in lifecycle order.
inline constexpr std::array<std::string_view, 7> kDetailKinds = {
    "customer.start", "acd.start", "user.start", "acd.end", "customer.end", "acw", "user.end"};

struct ConversationScriptOptions {
    std::uint64_t seed = 1;
    std::uint32_t conversations = 100;   ///< conversations to play
    std::vector<std::string> queue_ids;  ///< conversation i goes to queue_ids[i % size]
    std::uint32_t concurrency = 4;       ///< conversations in progress at once (interleaved)
};

/// The ids of the first `count` conversations for `seed` (independent of the queues), so a test
/// can subscribe their detail topics before the stream starts.
std::vector<std::string> conversation_ids(std::uint64_t seed, std::uint32_t count);

/// Lifecycle transitions a script implies: per state, "conversationId:participantId:state" keys
/// in script order.
struct ExpectedTransitions {
    std::array<std::vector<std::string>, 5> keys;  ///< indexed like kLifecycleStates
    std::size_t total() const;
};

/// Produces the messages one by one; conversations interleave but each conversation's messages
/// stay in order with non-decreasing timestamps. Not thread-safe. Holds only the conversations in
/// progress. An empty queue_ids list produces nothing.
class ConversationGenerator {
public:
    explicit ConversationGenerator(ConversationScriptOptions options);
    ~ConversationGenerator();
    ConversationGenerator(ConversationGenerator&&) noexcept;
    ConversationGenerator& operator=(ConversationGenerator&&) noexcept;

    /// The next message, or nullopt when every conversation was played.
    std::optional<NotificationMessage> next();

    /// Transitions implied by the conversations started so far (each conversation is scripted
    /// whole when it starts; complete once next() returned nullopt).
    const ExpectedTransitions& transitions() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace gstream::emulator

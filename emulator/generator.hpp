#pragma once
// Deterministic traffic generator for the batch-envelope protocol (SEED-PROTOCOL.md §3).
//
// Pure: no I/O, no clock. The same options, seed and filter always give the same messages, so a
// test (or a dry run that writes the manifest) can count exactly what a consumer will see.
// Event bodies follow the Genesys analytics detail-event models (API-NOTES.md §4.2,
// sdk-topic-models.json): integer epoch-ms eventTime, UPPERCASE enum values.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gstream::emulator {

struct EmulatorOptions;

/// The `interaction.state` of an event (SEED-PROTOCOL.md §3 table): "queued", "alerting",
/// "contact", "acw", "ended", or "" (none).
std::string_view interaction_state(std::string_view event_type, std::string_view acd_outcome);

/// A subscription filter (SEED-PROTOCOL.md §2). Empty vectors mean "no filter" on that field.
struct StreamFilter {
    std::vector<std::string> queue_ids;  ///< routing.queue.id
    std::vector<std::string> states;     ///< interaction.state values

    /// Whether an event passes: an event without queueId passes the queue filter; an event
    /// without a state passes only when no state filter is set.
    bool passes(std::string_view event_type, std::string_view queue_id,
                std::string_view acd_outcome) const;
};

/// Exact counts for a consumer that filters like the subscription (docs/emulator.md).
struct Manifest {
    std::uint64_t generated = 0;            ///< lifecycle events generated (= options.events)
    std::uint64_t events = 0;               ///< event objects sent, bad ones and duplicates included
    std::uint64_t messages = 0;             ///< text messages: data + control + malformed
    std::uint64_t control_messages = 0;     ///< messages without subscriptionId, empty events
    std::uint64_t valid = 0;                ///< events - schema - bad_timestamp - duplicate_key
    std::uint64_t duplicates = 0;           ///< re-sent copies (same id, same bytes)
    std::uint64_t not_json = 0;             ///< malformed messages (each one dead letter)
    std::uint64_t schema = 0;               ///< events with eventTime as a string / no conversationId
    std::uint64_t bad_timestamp = 0;        ///< events whose timestamp lacks an offset / is Feb 30
    std::uint64_t duplicate_key = 0;        ///< events whose data repeats a member name
    std::uint64_t delivered = 0;            ///< distinct valid events (valid - duplicates)
    std::uint64_t filtered_server_side = 0; ///< generated events the subscription filter removed
    std::vector<std::string> queues;        ///< the generator's queue ids

    /// {"events":..,"messages":..,"control_messages":..,"valid":..,"duplicates":..,
    ///  "dead_lettered":{"not_json":..,"schema":..,"bad_timestamp":..,"duplicate_key":..},
    ///  "delivered":..,"filtered_server_side":..,"generated":..,"queues":[..]}
    std::string to_json() const;
};

enum class MessageKind {
    kData,       ///< an envelope with subscriptionId and events
    kControl,    ///< an envelope without subscriptionId and with an empty events array
    kMalformed,  ///< not JSON (a truncated envelope)
};

/// One message before the subscription id is filled in (render()).
struct GeneratedMessage {
    MessageKind kind = MessageKind::kData;
    std::string events;  ///< kData: the JSON array text of the events; else empty
};

/// The message text as sent: `{"stream":"interaction.lifecycle","subscriptionId":"<id>",
/// "events":[...]}` for data, `{"stream":"interaction.lifecycle","events":[]}` for control.
std::string render(const GeneratedMessage& message, std::string_view subscription_id);

/// The `count` stable queue ids derived from `seed` (UUID v4 shape).
std::vector<std::string> queue_ids(std::uint64_t seed, std::uint32_t count);

/// Produces the stream message by message. Not thread-safe; cheap memory (only the conversations
/// in progress and the out-of-order window are held).
class Generator {
public:
    Generator(const EmulatorOptions& options, StreamFilter filter);
    ~Generator();
    Generator(Generator&&) noexcept;
    Generator& operator=(Generator&&) noexcept;

    /// The next message, or nullopt when the stream is complete.
    std::optional<GeneratedMessage> next();

    /// Counts of what next() has produced so far (complete once next() returned nullopt).
    const Manifest& counts() const;

    /// Runs a fresh generator to the end and returns its counts.
    static Manifest dry_run(const EmulatorOptions& options, const StreamFilter& filter);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace gstream::emulator

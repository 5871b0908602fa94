#pragma once
// Pipeline: decode -> validate -> filter -> de-duplicate -> order -> batch -> sinks, on one thread.
// Conversation snapshots go decode -> validate -> derive (transitions) -> validate -> filter ...
// Pure with respect to time: every call takes `now_ms` (monotonic milliseconds), so the whole
// pipeline is testable with no clock and no I/O but the sinks'.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipeline/batcher.hpp"
#include "pipeline/completion_tracker.hpp"
#include "pipeline/decoder.hpp"
#include "pipeline/deduplicator.hpp"
#include "pipeline/filter.hpp"
#include "pipeline/message_pool.hpp"
#include "pipeline/orderer.hpp"
#include "pipeline/rejection.hpp"
#include "pipeline/sink_driver.hpp"
#include "pipeline/snapshot/snapshot_deriver.hpp"
#include "pipeline/validator.hpp"

namespace gstream::pipeline {

/// Where rejected events and messages go (the dead-letter queue). Called on the pipeline thread.
class DeadLetterWriter {
public:
    virtual ~DeadLetterWriter() = default;
    virtual void write(std::vector<Rejection>& rejections) = 0;
};

enum class LatePolicy { kDeliver, kDeadLetter };

enum class Protocol { kEnvelope, kNotifications };

/// What a conversation snapshot becomes (`pipeline.snapshots.emit`, docs/lifecycle.md):
/// the lifecycle transitions it proves, the snapshot itself as a `conversation.snapshot` event,
/// or both.
enum class SnapshotEmit { kTransitions, kSnapshots, kBoth };

struct PipelineOptions {
    Protocol protocol = Protocol::kEnvelope;  ///< how messages are decoded
    std::int64_t allowed_lateness_ms = 2000;
    BatchLimits batch;
    std::uint64_t dedup_window_events = 100'000;
    std::int64_t dedup_window_ms = 600'000;
    LatePolicy late_policy = LatePolicy::kDeliver;
    /// Dead letters are written in groups (one SQLite transaction each): when this many are
    /// pending, when the oldest has waited dead_letter_flush_ms (ms), and on drain().
    std::size_t dead_letter_max_pending = 1000;
    std::int64_t dead_letter_flush_ms = 100;
    SnapshotEmit snapshot_emit = SnapshotEmit::kTransitions;
    /// Bounds of the snapshot deriver's state table (`pipeline.snapshots.*`).
    SnapshotDeriverOptions snapshots;
    /// Wall-clock epoch milliseconds, read once per snapshot: the event time of raw snapshots and
    /// of transitions no snapshot timestamp proves. Empty: std::chrono::system_clock.
    std::function<std::int64_t()> wall_clock_ms;
    /// Every payload is a WebSocket text message whose UTF-8 the source already checked (Beast
    /// closes a connection that sends invalid UTF-8, code 1007; RFC 6455 §8.1), or a write-ahead
    /// log record of one (CRC-32C checked), so the parser does not check it again. The daemon
    /// sets it; false checks.
    bool payloads_are_utf8 = false;
};

/// How one conversation snapshot was handled (`outcome` of genesys_stream_snapshots_total).
enum class SnapshotOutcome : std::uint8_t {
    kDerived,    ///< proved at least one new transition
    kUnchanged,  ///< valid, proved nothing new (a repeat)
    kStale,      ///< older than what was already seen for its conversation; ignored
    kMalformed,  ///< not a conversation snapshot; dead-lettered (`schema`)
};
inline constexpr std::size_t kSnapshotOutcomes = 4;

/// Counts, conserved: received = delivered + dead_lettered + filtered + duplicates + in flight.
/// `received` counts events entering validation: decoded events, each derived transition and
/// each emitted raw snapshot, and every dead-lettered message. Snapshot messages are counted apart
/// in `snapshots` (= the sum of snapshots_by_outcome); `transitions` counts those derived.
/// Written by the pipeline thread, readable from any thread (relaxed atomics).
struct PipelineCounts {
    static constexpr std::size_t kReasons = 32;
    std::atomic<std::uint64_t> received{0}, delivered{0}, dead_lettered{0}, filtered{0},
        duplicates{0}, control{0}, late{0}, batches{0}, messages{0}, snapshots{0}, transitions{0};
    std::array<std::atomic<std::uint64_t>, kReasons> dead_lettered_by_reason{};
    std::array<std::atomic<std::uint64_t>, 4> filtered_by_kind{};
    std::array<std::atomic<std::uint64_t>, kSnapshotOutcomes> snapshots_by_outcome{};
    /// Conversations the snapshot deriver tracks now (a level, not a count of events).
    std::atomic<std::uint64_t> snapshot_conversations{0};

    /// "summary: received=N delivered=N dead_lettered=N filtered=N duplicates=N control=N
    /// snapshots=N transitions=N" (one line)
    std::string summary_line() const;

    /// One sink's own figures, when each sink reads the outbox at its own cursor.
    struct SinkTotals {
        std::string name;
        std::uint64_t delivered = 0;  ///< events the sink acknowledged
        std::uint64_t rejected = 0;   ///< events it refused (dead-lettered for it)
    };
    /// summary_line() (the pipeline's own conservation: received = delivered + dead_lettered +
    /// filtered + duplicates, `delivered` meaning handed to the sinks, the outbox with the
    /// write-ahead log), then one line per sink: "summary sink=NAME delivered=N rejected=N",
    /// what that sink acknowledged and refused in this run, a backlog of the last run's outbox
    /// included (docs/operations.md).
    std::string summary_lines(const std::vector<SinkTotals>& sinks) const;
};

class Pipeline {
public:
    Pipeline(PipelineOptions options, Validator validator, Filter filter, Delivery& sinks,
             DeadLetterWriter& dead_letters);

    /// Processes one received text message. `sequence`: its write-ahead log sequence (must
    /// increase); empty = the next of the pipeline's own count.
    /// Returns a buffer the pipeline is done with (the previous payload of the recycled message
    /// it used, often empty), so the caller can free it on the thread that allocated it
    /// (FrameQueue::pop_all_until).
    std::string on_message(std::string payload, std::int64_t received_ns, std::int64_t now_ms,
                           std::optional<std::uint64_t> sequence = std::nullopt);
    /// Releases what is due by processing time (orderer hold, batch age, pending dead letters).
    void tick(std::int64_t now_ms);
    /// The next time tick() has work; nullopt when nothing is pending.
    std::optional<std::int64_t> next_deadline_ms() const;
    /// End of stream or shutdown: releases every held event, flushes the batch and the sinks.
    void drain(std::int64_t now_ms);

    const PipelineCounts& counts() const noexcept { return counts_; }
    /// The snapshot deriver (tracked conversations, evictions). Pipeline thread only.
    const SnapshotDeriver& deriver() const noexcept { return deriver_; }
    /// Reports held and terminal events to `tracker` (write-ahead log commit point,
    /// docs/recovery.md). Optional; set before the first message.
    void set_completion_tracker(CompletionTracker* tracker) noexcept { tracker_ = tracker; }
    /// Writes the pending dead letters now (before a checkpoint that covers them).
    void flush_dead_letters() { flush_rejections(); }
    /// The de-duplication window (persisted with checkpoints). Pipeline thread only.
    Deduplicator& deduplicator() noexcept { return dedup_; }
    /// Called with each delivered batch (latency metrics). Optional.
    void set_delivery_observer(std::function<void(std::span<const core::Event>)> observer) {
        on_delivered_ = std::move(observer);
    }

private:
    void reject(std::vector<Rejection>& rejections);
    void reject_one(Rejection&& r);
    void accept(core::Event&& event, std::int64_t now_ms);
    void route(core::Event&& event, std::int64_t now_ms);  // filter, dedup, order
    void on_snapshot(core::Event&& snapshot, std::int64_t now_ms);
    void count_snapshot(SnapshotOutcome outcome);
    std::int64_t wall_ms() const;
    void emit(std::int64_t now_ms);
    void flush_batch();
    void flush_rejections();

    PipelineOptions options_;
    EnvelopeDecoder envelope_decoder_;
    NotificationDecoder notification_decoder_;
    Validator validator_;
    Filter filter_;
    Deduplicator dedup_;
    SnapshotDeriver deriver_;
    Orderer orderer_;
    Batcher batcher_;
    Delivery& sinks_;
    DeadLetterWriter& dead_letters_;
    PipelineCounts counts_;
    std::function<void(std::span<const core::Event>)> on_delivered_;
    CompletionTracker* tracker_ = nullptr;
    std::uint64_t message_sequence_ = 0;
    std::uint64_t event_sequence_ = 0;
    std::vector<Transition> transitions_;
    DecodeOutput decoded_;
    std::vector<core::Event> released_;
    std::vector<Rejection> pending_rejections_;
    std::optional<std::int64_t> rejections_since_ms_;  // when the oldest pending one was seen
    std::string detail_;
    MessagePool messages_;
};

}  // namespace gstream::pipeline

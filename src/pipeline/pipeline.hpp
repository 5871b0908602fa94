#pragma once
// Pipeline: decode -> validate -> filter -> de-duplicate -> order -> batch -> sinks, on one thread.
// Pure with respect to time: every call takes `now_ms` (monotonic milliseconds), so the whole
// pipeline is testable with no clock and no I/O but the sinks'.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipeline/batcher.hpp"
#include "pipeline/decoder.hpp"
#include "pipeline/deduplicator.hpp"
#include "pipeline/filter.hpp"
#include "pipeline/orderer.hpp"
#include "pipeline/rejection.hpp"
#include "pipeline/sink_driver.hpp"
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
};

/// Counts, conserved: received = delivered + dead_lettered + filtered + duplicates + in flight.
/// Written by the pipeline thread, readable from any thread (relaxed atomics).
struct PipelineCounts {
    static constexpr std::size_t kReasons = 32;
    std::atomic<std::uint64_t> received{0}, delivered{0}, dead_lettered{0}, filtered{0},
        duplicates{0}, control{0}, late{0}, batches{0}, messages{0};
    std::array<std::atomic<std::uint64_t>, kReasons> dead_lettered_by_reason{};
    std::array<std::atomic<std::uint64_t>, 4> filtered_by_kind{};

    /// "summary: received=N delivered=N dead_lettered=N filtered=N duplicates=N control=N"
    std::string summary_line() const;
};

class Pipeline {
public:
    Pipeline(PipelineOptions options, Validator validator, Filter filter, SinkDriver& sinks,
             DeadLetterWriter& dead_letters);

    /// Processes one received text message.
    void on_message(std::string payload, std::int64_t received_ns, std::int64_t now_ms);
    /// Releases what is due by processing time (orderer hold, batch age, pending dead letters).
    void tick(std::int64_t now_ms);
    /// The next time tick() has work; nullopt when nothing is pending.
    std::optional<std::int64_t> next_deadline_ms() const;
    /// End of stream or shutdown: releases every held event, flushes the batch and the sinks.
    void drain(std::int64_t now_ms);

    const PipelineCounts& counts() const noexcept { return counts_; }
    /// Called with each delivered batch (latency metrics). Optional.
    void set_delivery_observer(std::function<void(std::span<const core::Event>)> observer) {
        on_delivered_ = std::move(observer);
    }

private:
    void reject(std::vector<Rejection>& rejections);
    void reject_one(Rejection&& r);
    void accept(core::Event&& event, std::int64_t now_ms);
    void emit(std::int64_t now_ms);
    void flush_batch();
    void flush_rejections();

    PipelineOptions options_;
    EnvelopeDecoder envelope_decoder_;
    NotificationDecoder notification_decoder_;
    Validator validator_;
    Filter filter_;
    Deduplicator dedup_;
    Orderer orderer_;
    Batcher batcher_;
    SinkDriver& sinks_;
    DeadLetterWriter& dead_letters_;
    PipelineCounts counts_;
    std::function<void(std::span<const core::Event>)> on_delivered_;
    std::uint64_t message_sequence_ = 0;
    DecodeOutput decoded_;
    std::vector<core::Event> released_;
    std::vector<Rejection> pending_rejections_;
    std::optional<std::int64_t> rejections_since_ms_;  // when the oldest pending one was seen
    std::string detail_;
};

}  // namespace gstream::pipeline

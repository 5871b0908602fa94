#pragma once
// SinkDriver: hands each batch to every sink, owns retry and the dead-letter path for rejects.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/rejection.hpp"
#include "sink/sink.hpp"

namespace gstream::pipeline {

struct SinkDriverOptions {
    std::int64_t retry_initial_ms = 100;
    std::int64_t retry_max_ms = 10'000;
};

/// Writes a batch to every sink in turn. kRetry is retried with capped exponential backoff and
/// full jitter until it succeeds or `give_up()` answers true (shutdown past its deadline), in
/// which case the batch is dead-lettered with detail "not delivered before shutdown". kReject
/// dead-letters the batch. Runs on one thread: the pipeline thread, or a sink's own cursor thread
/// (wal::SinkCursor, one sink per driver then); blocking while it backs off is the backpressure.
class SinkDriver final : public Delivery {
public:
    SinkDriver(std::vector<std::unique_ptr<sink::Sink>> sinks, SinkDriverOptions options,
               std::function<bool()> give_up);

    DeliveryReport deliver(std::span<const core::Event> events) override;
    /// Flushes every sink (durability point), retrying like deliver().
    void flush() override;

    std::span<const std::unique_ptr<sink::Sink>> sinks() const noexcept { return sinks_; }
    /// Per sink: batches written, retries, rejects; events the sink acknowledged and events it
    /// refused (a rejected batch's, or single ones, Sink::take_rejected). For metrics; indexed
    /// like sinks().
    struct SinkCounts {
        std::atomic<std::uint64_t> batches{0}, retries{0}, rejects{0};
        std::atomic<std::uint64_t> events{0}, events_rejected{0};
    };
    const SinkCounts& counts(std::size_t sink_index) const { return counts_[sink_index]; }
    /// A sink's name() and its counts (metrics); the pointer lives as long as the driver.
    using NamedCounts = std::pair<std::string, const SinkCounts*>;
    /// Every sink's name and counts, in sinks() order.
    std::vector<NamedCounts> named_counts() const {
        std::vector<NamedCounts> out;
        for (std::size_t i = 0; i < sinks_.size(); ++i) {
            out.emplace_back(std::string(sinks_[i]->name()), &counts_[i]);
        }
        return out;
    }
    /// False while some sink is failing (kRetry without success since): /readyz.
    bool writable() const noexcept { return writable_.load(std::memory_order_relaxed); }

private:
    sink::SinkResult with_retry(std::size_t index, const std::function<sink::SinkResult()>& op);

    std::vector<std::unique_ptr<sink::Sink>> sinks_;
    SinkDriverOptions options_;
    std::function<bool()> give_up_;
    std::unique_ptr<SinkCounts[]> counts_;
    std::atomic<bool> writable_{true};
    std::uint64_t jitter_state_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace gstream::pipeline

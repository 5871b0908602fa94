#include "pipeline/sink_driver.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "ops/logging.hpp"

namespace gstream::pipeline {

SinkDriver::SinkDriver(std::vector<std::unique_ptr<sink::Sink>> sinks, SinkDriverOptions options,
                       std::function<bool()> give_up)
    : sinks_(std::move(sinks))
    , options_(options)
    , give_up_(std::move(give_up))
    , counts_(std::make_unique<SinkCounts[]>(sinks_.size())) {}

sink::SinkResult SinkDriver::with_retry(std::size_t index,
                                        const std::function<sink::SinkResult()>& op) {
    std::int64_t ceiling = options_.retry_initial_ms;
    for (;;) {
        const sink::SinkResult r = op();
        if (r != sink::SinkResult::kRetry) {
            writable_.store(true, std::memory_order_relaxed);
            return r;
        }
        counts_[index].retries.fetch_add(1, std::memory_order_relaxed);
        writable_.store(false, std::memory_order_relaxed);
        ops::logger("sink")->warn("sink write failed, retrying sink={} backoff_max_ms={} error=\"{}\"",
                     sinks_[index]->name(), ceiling, sinks_[index]->last_error());
        if (give_up_ && give_up_()) {
            return sink::SinkResult::kRetry;
        }
        // Full jitter: sleep a uniform fraction of the current ceiling (xorshift; no need for
        // a cryptographic source here).
        jitter_state_ ^= jitter_state_ << 13;
        jitter_state_ ^= jitter_state_ >> 7;
        jitter_state_ ^= jitter_state_ << 17;
        const auto delay = static_cast<std::int64_t>(jitter_state_ % static_cast<std::uint64_t>(ceiling + 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        ceiling = std::min(ceiling * 2, options_.retry_max_ms);
    }
}

DeliveryReport SinkDriver::deliver(std::span<const core::Event> events) {
    DeliveryReport report;
    if (events.empty()) {
        return report;
    }
    bool all_ok = true;
    bool rejected = false;
    std::string detail;
    // Events some sink refused one by one (RejectedEvent), with that sink's reason.
    std::vector<std::string> refused;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        const sink::SinkResult r =
            with_retry(i, [&] { return sinks_[i]->write_batch(events); });
        if (r == sink::SinkResult::kOk) {
            counts_[i].batches.fetch_add(1, std::memory_order_relaxed);
            std::uint64_t refused_here = 0;
            for (sink::RejectedEvent& e : sinks_[i]->take_rejected()) {
                if (e.index >= events.size()) {
                    continue;
                }
                ++refused_here;
                refused.resize(events.size());
                if (refused[e.index].empty()) {
                    refused[e.index] =
                        fmt::format("sink {} rejected the event: {}", sinks_[i]->name(), e.detail);
                }
            }
            counts_[i].events.fetch_add(events.size() - refused_here, std::memory_order_relaxed);
            counts_[i].events_rejected.fetch_add(refused_here, std::memory_order_relaxed);
            continue;
        }
        all_ok = false;
        rejected = rejected || r == sink::SinkResult::kReject;
        counts_[i].rejects.fetch_add(1, std::memory_order_relaxed);
        if (r == sink::SinkResult::kReject) {
            counts_[i].events_rejected.fetch_add(events.size(), std::memory_order_relaxed);
        }
        detail = r == sink::SinkResult::kReject
                     ? fmt::format("sink {} rejected the batch: {}", sinks_[i]->name(),
                                   sinks_[i]->last_error())
                     : fmt::format("sink {}: not delivered before shutdown: {}",
                                   sinks_[i]->name(), sinks_[i]->last_error());
    }
    if (all_ok) {
        report.delivered = events.size();
        for (std::size_t k = 0; k < refused.size(); ++k) {
            if (!refused[k].empty()) {
                --report.delivered;
                report.rejections.push_back({core::Errc::kSinkRejected, "sink",
                                             std::move(refused[k]), std::string(events[k].raw()),
                                             std::nullopt});
            }
        }
        return report;
    }
    report.abandoned = !rejected;
    for (const core::Event& e : events) {
        report.rejections.push_back(
            {core::Errc::kSinkRejected, "sink", detail, std::string(e.raw()), std::nullopt});
    }
    return report;
}

void SinkDriver::flush() {
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        with_retry(i, [&] { return sinks_[i]->flush(); });
    }
}

}  // namespace gstream::pipeline

#pragma once
// Every genesys-stream metric, declared once (STYLE.md rule 8, docs/metrics.md).
//
// Names carry the prefix genesys_stream_; counters end in _total, times in _seconds; label values
// come from the enums in ops/metric_labels.hpp. Every labelled series is created at construction
// (so it is exported at 0 before its first event) and its reference cached, so the hot path does
// no label lookup: `metrics.dead_lettered(DeadLetterReason::kSchema).Increment()`.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "ops/metric_labels.hpp"

namespace gstream::ops {

/// How a conversation snapshot was handled: `outcome` of snapshots_total. Same order as
/// pipeline::SnapshotOutcome (docs/lifecycle.md).
enum class SnapshotOutcome { kDerived, kUnchanged, kStale, kMalformed };
inline constexpr std::size_t kSnapshotOutcomeCount = 4;

/// The label value: "derived", "unchanged", "stale", "malformed".
std::string_view to_string(SnapshotOutcome outcome) noexcept;

/// The process's metrics. Thread-safe: prometheus-cpp counters, gauges and histograms may be
/// updated from any thread, and serialize() may run concurrently with updates. Not copyable or
/// movable (the accessors hand out references into the registry); create one in the composition
/// root and pass it by reference.
class Metrics {
public:
    /// `version`: the build's version string, exported as build_info{version}.
    explicit Metrics(std::string_view version);
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    /// Upper bounds of end_to_end_latency_seconds, seconds (1 ms to 60 s).
    static const prometheus::Histogram::BucketBoundaries& latency_buckets();
    /// Upper bounds of batch_size_events, events.
    static const prometheus::Histogram::BucketBoundaries& batch_size_buckets();

    /// Events decoded from frames (an envelope with 5 events counts 5; a message dead-lettered
    /// whole counts 1).
    prometheus::Counter& events_received() noexcept { return *events_received_; }
    /// Events acknowledged by every sink: the least of the sinks' delivered counts
    /// (sink_events_total{result="delivered"}).
    prometheus::Counter& events_delivered() noexcept { return *events_delivered_; }
    prometheus::Counter& dead_lettered(DeadLetterReason reason) noexcept {
        return *dead_lettered_[static_cast<std::size_t>(reason)];
    }
    prometheus::Counter& filtered(FilterKind kind) noexcept {
        return *filtered_[static_cast<std::size_t>(kind)];
    }
    prometheus::Counter& duplicates() noexcept { return *duplicates_; }
    /// Late events (behind the watermark), whatever the policy did with them.
    prometheus::Counter& late() noexcept { return *late_; }
    /// Envelopes without subscriptionId and events, heartbeats, socket_closing, pongs.
    prometheus::Counter& control_messages() noexcept { return *control_messages_; }
    /// Conversation snapshots received (notifications protocol), by outcome; the transitions
    /// derived from them count in events_received.
    prometheus::Counter& snapshots(SnapshotOutcome outcome) noexcept {
        return *snapshots_[static_cast<std::size_t>(outcome)];
    }
    /// Conversations the snapshot deriver tracks now (bounded by
    /// pipeline.snapshots.max_conversations).
    prometheus::Gauge& snapshot_conversations() noexcept { return *snapshot_conversations_; }
    prometheus::Counter& connection_errors(ConnectionError error) noexcept {
        return *connection_errors_[static_cast<std::size_t>(error)];
    }
    prometheus::Counter& reconnects() noexcept { return *reconnects_; }
    /// Notification topics answered "Rejected" (per topic and subscription call).
    prometheus::Counter& topics_rejected() noexcept { return *topics_rejected_; }
    /// Notification channels replaced make-before-break.
    prometheus::Counter& channel_rollovers() noexcept { return *channel_rollovers_; }
    /// 1 while the source's stream is open, else 0.
    prometheus::Gauge& connected() noexcept { return *connected_; }
    /// Creates the series of one configured sink, labelled `sink` = its name (sinks[].name), at
    /// 0: batch_flushes_total, sink_writes_total and sink_events_total for each result. Only configured sinks have
    /// series. Start-up, one thread.
    void add_sink(const std::string& sink);
    /// Batches handed to the sink named `sink` (each once, whatever its answer). The sink must
    /// have been added; any thread.
    prometheus::Counter& batch_flushes(const std::string& sink) {
        return batch_flushes_->Add({{"sink", sink}});
    }
    /// Observe the number of events in each flushed batch.
    prometheus::Histogram& batch_size() noexcept { return *batch_size_; }
    /// Observe seconds from frame read to sink acknowledgement, per event.
    prometheus::Histogram& end_to_end_latency() noexcept { return *end_to_end_latency_; }
    /// Set to DeadLetterQueue::backlog() (use it as the queue's backlog observer).
    prometheus::Gauge& dead_letter_backlog() noexcept { return *dead_letter_backlog_; }
    /// Bytes in the write-ahead log's segment files now (docs/recovery.md).
    prometheus::Gauge& wal_bytes() noexcept { return *wal_bytes_; }
    /// Write-ahead log records found torn or corrupt (checksum mismatch) at start-up.
    prometheus::Counter& wal_corrupt_records() noexcept { return *wal_corrupt_records_; }
    /// Bytes in the outbox's segment files now (several sinks with a write-ahead log).
    prometheus::Gauge& outbox_bytes() noexcept { return *outbox_bytes_; }
    /// Outbox records (batches) a sink has not yet taken, by sink (`sink` = its configured name). The
    /// series is created on first use; call from one thread at a time (start-up).
    prometheus::Gauge& sink_lag(const std::string& sink) {
        return sink_lag_->Add({{"sink", sink}});
    }
    /// Write attempts of the sink named `sink` and its answer (a retry counts once per attempt).
    /// The sink must have been added; any thread.
    prometheus::Counter& sink_writes(const std::string& sink, SinkResult result) {
        return sink_writes_->Add({{"sink", sink}, {"result", std::string(to_string(result))}});
    }

    /// Events the sink named `sink` acknowledged (`delivered`) or refused (dead-lettered). The
    /// sink must have been added; any thread.
    prometheus::Counter& sink_events(const std::string& sink, bool delivered) {
        return sink_events_->Add({{"sink", sink}, {"result", delivered ? "delivered" : "rejected"}});
    }

    /// The Prometheus text exposition format (version 0.0.4) of every metric.
    std::string serialize() const;

private:
    prometheus::Registry registry_;

    prometheus::Counter* events_received_;
    prometheus::Counter* events_delivered_;
    std::array<prometheus::Counter*, kDeadLetterReasonCount> dead_lettered_{};
    std::array<prometheus::Counter*, kFilterKindCount> filtered_{};
    prometheus::Counter* duplicates_;
    prometheus::Counter* late_;
    prometheus::Counter* control_messages_;
    std::array<prometheus::Counter*, kSnapshotOutcomeCount> snapshots_{};
    prometheus::Gauge* snapshot_conversations_;
    std::array<prometheus::Counter*, kConnectionErrorCount> connection_errors_{};
    prometheus::Counter* reconnects_;
    prometheus::Counter* topics_rejected_;
    prometheus::Counter* channel_rollovers_;
    prometheus::Gauge* connected_;
    prometheus::Histogram* batch_size_;
    prometheus::Histogram* end_to_end_latency_;
    prometheus::Gauge* dead_letter_backlog_;
    prometheus::Gauge* wal_bytes_;
    prometheus::Counter* wal_corrupt_records_;
    prometheus::Gauge* outbox_bytes_;
    prometheus::Family<prometheus::Gauge>* sink_lag_;
    prometheus::Family<prometheus::Counter>* batch_flushes_;
    prometheus::Family<prometheus::Counter>* sink_writes_;
    prometheus::Family<prometheus::Counter>* sink_events_;
};

}  // namespace gstream::ops

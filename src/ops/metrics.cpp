#include "ops/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace gstream::ops {
namespace {

constexpr const char* kPrefix = "genesys_stream_";

std::string name(std::string_view suffix) {
    return kPrefix + std::string(suffix);
}

prometheus::Counter& counter(prometheus::Registry& registry,
                             std::string_view suffix,
                             const char* help) {
    return prometheus::BuildCounter().Name(name(suffix)).Help(help).Register(registry).Add({});
}

prometheus::Gauge& gauge(prometheus::Registry& registry,
                         std::string_view suffix,
                         const char* help) {
    return prometheus::BuildGauge().Name(name(suffix)).Help(help).Register(registry).Add({});
}

// One series per value of a label enum, cached in `out` by the enum's index.
template <class Enum, std::size_t N>
void counters_by(prometheus::Registry& registry,
                 std::string_view suffix,
                 const char* help,
                 const char* label,
                 std::array<prometheus::Counter*, N>& out) {
    auto& family = prometheus::BuildCounter().Name(name(suffix)).Help(help).Register(registry);
    for (std::size_t i = 0; i < N; ++i) {
        out[i] = &family.Add({{label, std::string(to_string(static_cast<Enum>(i)))}});
    }
}

}  // namespace

std::string_view to_string(SnapshotOutcome outcome) noexcept {
    switch (outcome) {
        case SnapshotOutcome::kDerived:
            return "derived";
        case SnapshotOutcome::kUnchanged:
            return "unchanged";
        case SnapshotOutcome::kStale:
            return "stale";
        case SnapshotOutcome::kMalformed:
            return "malformed";
    }
    return "unchanged";
}

const prometheus::Histogram::BucketBoundaries& Metrics::latency_buckets() {
    static const prometheus::Histogram::BucketBoundaries kBuckets{
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    return kBuckets;
}

const prometheus::Histogram::BucketBoundaries& Metrics::batch_size_buckets() {
    static const prometheus::Histogram::BucketBoundaries kBuckets{
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
    return kBuckets;
}

Metrics::Metrics(std::string_view version)
    : events_received_(&counter(registry_,
                                "events_received_total",
                                "Events decoded from upstream frames (a message dead-lettered "
                                "whole counts as one)."))
    , events_delivered_(
          &counter(registry_, "events_delivered_total", "Events acknowledged by every sink (the least of the sinks' delivered counts)."))
    , duplicates_(&counter(registry_,
                           "events_duplicate_total",
                           "Events dropped because their key was seen within the window."))
    , late_(&counter(registry_,
                     "events_late_total",
                     "Events older than the watermark (delivered flagged or dead-lettered, "
                     "by policy)."))
    , control_messages_(&counter(registry_,
                                 "control_messages_total",
                                 "Control messages (heartbeats, socket_closing, envelopes "
                                 "without events) received and skipped."))
    , snapshot_conversations_(&gauge(
          registry_, "snapshot_conversations", "Conversations the snapshot deriver tracks now."))
    , reconnects_(&counter(registry_,
                           "reconnects_total",
                           "Times the source dialled the stream again after losing it."))
    , topics_rejected_(&counter(registry_,
                                "topics_rejected_total",
                                "Notification topics the subscription call answered Rejected "
                                "(a missing permission); counted per topic and call."))
    , channel_rollovers_(&counter(registry_,
                                  "channel_rollovers_total",
                                  "Notification channels replaced make-before-break "
                                  "(socket_closing, expiry, token renewal or revocation)."))
    , connected_(&gauge(registry_, "connected", "1 while the upstream stream is open, else 0."))
    , batch_size_(&prometheus::BuildHistogram()
                       .Name(name("batch_size_events"))
                       .Help("Events per flushed batch.")
                       .Register(registry_)
                       .Add({}, batch_size_buckets()))
    , end_to_end_latency_(&prometheus::BuildHistogram()
                               .Name(name("end_to_end_latency_seconds"))
                               .Help("Seconds from reading an event's frame to its sink "
                                     "acknowledgement.")
                               .Register(registry_)
                               .Add({}, latency_buckets()))
    , dead_letter_backlog_(&gauge(
          registry_, "dead_letter_backlog", "Entries stored in the dead-letter queue now."))
    , wal_bytes_(&gauge(registry_, "wal_bytes", "Bytes in the write-ahead log's segments now."))
    , wal_corrupt_records_(&counter(registry_,
                                    "wal_corrupt_records_total",
                                    "Write-ahead log records found torn or corrupt (checksum "
                                    "mismatch) at start-up; skipped."))
    , outbox_bytes_(&gauge(registry_, "outbox_bytes",
                           "Bytes in the outbox's segments now (batches some sink has not "
                           "taken yet, with several sinks)."))
    , sink_lag_(&prometheus::BuildGauge()
                     .Name(name("sink_lag_batches"))
                     .Help("Outbox batches a sink has not taken yet (several sinks).")
                     .Register(registry_))
    , batch_flushes_(&prometheus::BuildCounter()
                          .Name(name("batch_flushes_total"))
                          .Help("Batches handed to a sink, by sink (its configured name).")
                          .Register(registry_))
    , sink_writes_(&prometheus::BuildCounter()
                        .Name(name("sink_writes_total"))
                        .Help("Sink write attempts, by sink (its configured name) and answer "
                              "(ok, retry, reject).")
                        .Register(registry_))
    , sink_events_(&prometheus::BuildCounter()
                        .Name(name("sink_events_total"))
                        .Help("Events a sink acknowledged (delivered) or refused (rejected: "
                              "dead-lettered), by sink (its configured name).")
                        .Register(registry_)) {
    counters_by<DeadLetterReason>(registry_, "events_dead_lettered_total",
                                  "Events written to the dead-letter queue, by reason.", "reason",
                                  dead_lettered_);
    counters_by<FilterKind>(registry_, "events_filtered_total",
                            "Events dropped by a configured filter, by filter.", "filter",
                            filtered_);
    counters_by<SnapshotOutcome>(registry_, "snapshots_total",
                                 "Conversation snapshots received, by outcome (derived, "
                                 "unchanged, stale, malformed).",
                                 "outcome", snapshots_);
    counters_by<ConnectionError>(registry_, "connection_errors_total",
                                 "Source connection failures, by reason.", "reason",
                                 connection_errors_);

    prometheus::BuildGauge()
        .Name(name("build_info"))
        .Help("Always 1; the version label names the running build.")
        .Register(registry_)
        .Add({{"version", std::string(version)}})
        .Set(1);
}

void Metrics::add_sink(const std::string& sink) {
    batch_flushes(sink);
    for (std::size_t r = 0; r < kSinkResultCount; ++r) {
        sink_writes(sink, static_cast<SinkResult>(r));
    }
    sink_events(sink, true);
    sink_events(sink, false);
}

std::string Metrics::serialize() const {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
}

}  // namespace gstream::ops

#include "ops/metrics.hpp"

#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "unit/ops/promtool_check.hpp"

namespace gstream::ops {
namespace {

// The value of the one sample line that starts with `series` followed by a space.
double sample(const std::string& text, const std::string& series) {
    const std::string needle = "\n" + series + " ";
    const auto pos = ("\n" + text).find(needle);
    if (pos == std::string::npos) {
        ADD_FAILURE() << "no sample " << series;
        return -1;
    }
    const auto start = pos + needle.size() - 1;  // -1: the "\n" prepended
    return std::stod(text.substr(start, text.find('\n', start) - start));
}

TEST(MetricsTest, PassesPromtoolCheck) {
    Metrics metrics("0.1.0");
    metrics.events_received().Increment(3);
    metrics.end_to_end_latency().Observe(0.042);
    metrics.batch_size().Observe(17);
    metrics.sink_lag("events").Set(3);
    metrics.add_sink("events");
    const auto result = test::promtool_check_metrics(metrics.serialize());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(result.output, "");
}

TEST(MetricsTest, EveryNameFollowsTheSpec) {
    Metrics metrics("0.1.0");
    metrics.sink_lag("events").Set(3);  // a labelled family shows once it has one
    metrics.add_sink("events");
    const std::string text = metrics.serialize();
    std::set<std::string> names;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("# TYPE ")) {
            continue;
        }
        std::istringstream fields(line.substr(7));
        std::string name;
        std::string type;
        fields >> name >> type;
        names.insert(name);
        EXPECT_TRUE(name.starts_with("genesys_stream_")) << name;
        EXPECT_EQ(type == "counter", name.ends_with("_total")) << name;
    }
    const std::set<std::string> expected{
        "genesys_stream_events_received_total",      "genesys_stream_events_delivered_total",
        "genesys_stream_events_dead_lettered_total", "genesys_stream_events_filtered_total",
        "genesys_stream_events_duplicate_total",     "genesys_stream_events_late_total",
        "genesys_stream_control_messages_total",     "genesys_stream_connection_errors_total",
        "genesys_stream_reconnects_total",           "genesys_stream_connected",
        "genesys_stream_batch_flushes_total",        "genesys_stream_batch_size_events",
        "genesys_stream_end_to_end_latency_seconds", "genesys_stream_dead_letter_backlog",
        "genesys_stream_sink_writes_total",          "genesys_stream_build_info",
        "genesys_stream_snapshots_total",            "genesys_stream_snapshot_conversations",
        "genesys_stream_topics_rejected_total",      "genesys_stream_channel_rollovers_total",
        "genesys_stream_wal_bytes",                  "genesys_stream_wal_corrupt_records_total",
        "genesys_stream_outbox_bytes",               "genesys_stream_sink_lag_batches",
        "genesys_stream_sink_events_total"};
    EXPECT_EQ(names, expected);
}

TEST(MetricsTest, CountersMoveByExactAmounts) {
    Metrics metrics("1.2.3");
    metrics.events_received().Increment(5);
    metrics.events_delivered().Increment(2);
    metrics.dead_lettered(DeadLetterReason::kSchema).Increment();
    metrics.dead_lettered(DeadLetterReason::kSchema).Increment();
    metrics.dead_lettered(DeadLetterReason::kNumberOutOfRange).Increment();
    metrics.filtered(FilterKind::kState).Increment(4);
    metrics.duplicates().Increment();
    metrics.late().Increment(6);
    metrics.control_messages().Increment(8);
    metrics.connection_errors(ConnectionError::kHttp429).Increment();
    metrics.reconnects().Increment(2);
    metrics.connected().Set(1);
    metrics.add_sink("orders-kafka");
    metrics.add_sink("archive");
    metrics.batch_flushes("orders-kafka").Increment(3);
    metrics.sink_writes("archive", SinkResult::kReject).Increment();
    metrics.dead_letter_backlog().Set(9);
    metrics.dead_letter_backlog().Set(4);  // goes down too
    metrics.end_to_end_latency().Observe(0.003);
    metrics.end_to_end_latency().Observe(2.0);
    metrics.batch_size().Observe(100);

    const std::string t = metrics.serialize();
    EXPECT_EQ(sample(t, "genesys_stream_events_received_total"), 5);
    EXPECT_EQ(sample(t, "genesys_stream_events_delivered_total"), 2);
    EXPECT_EQ(sample(t, R"(genesys_stream_events_dead_lettered_total{reason="schema"})"), 2);
    EXPECT_EQ(
        sample(t, R"(genesys_stream_events_dead_lettered_total{reason="number_out_of_range"})"), 1);
    EXPECT_EQ(sample(t, R"(genesys_stream_events_dead_lettered_total{reason="late"})"), 0);
    EXPECT_EQ(sample(t, R"(genesys_stream_events_filtered_total{filter="state"})"), 4);
    EXPECT_EQ(sample(t, R"(genesys_stream_events_filtered_total{filter="queue"})"), 0);
    EXPECT_EQ(sample(t, "genesys_stream_events_duplicate_total"), 1);
    EXPECT_EQ(sample(t, "genesys_stream_events_late_total"), 6);
    EXPECT_EQ(sample(t, "genesys_stream_control_messages_total"), 8);
    EXPECT_EQ(sample(t, R"(genesys_stream_connection_errors_total{reason="http_429"})"), 1);
    EXPECT_EQ(sample(t, R"(genesys_stream_connection_errors_total{reason="tls"})"), 0);
    EXPECT_EQ(sample(t, "genesys_stream_reconnects_total"), 2);
    EXPECT_EQ(sample(t, "genesys_stream_connected"), 1);
    // Sink series carry the configured name, and exist from add_sink() on at 0.
    EXPECT_EQ(sample(t, R"(genesys_stream_batch_flushes_total{sink="orders-kafka"})"), 3);
    EXPECT_EQ(sample(t, R"(genesys_stream_batch_flushes_total{sink="archive"})"), 0);
    EXPECT_EQ(sample(t, R"(genesys_stream_sink_writes_total{result="reject",sink="archive"})"), 1);
    EXPECT_EQ(sample(t, R"(genesys_stream_sink_writes_total{result="ok",sink="archive"})"), 0);
    EXPECT_EQ(sample(t, R"(genesys_stream_sink_writes_total{result="retry",sink="orders-kafka"})"),
              0);
    EXPECT_EQ(t.find(R"(sink="file")"), std::string::npos);  // no series for sinks not added
    EXPECT_EQ(sample(t, "genesys_stream_dead_letter_backlog"), 4);
    EXPECT_EQ(sample(t, R"(genesys_stream_build_info{version="1.2.3"})"), 1);
    EXPECT_EQ(sample(t, "genesys_stream_end_to_end_latency_seconds_count"), 2);
    EXPECT_EQ(sample(t, R"(genesys_stream_end_to_end_latency_seconds_bucket{le="0.005"})"), 1);
    EXPECT_EQ(sample(t, R"(genesys_stream_end_to_end_latency_seconds_bucket{le="0.001"})"), 0);
    EXPECT_EQ(sample(t, R"(genesys_stream_end_to_end_latency_seconds_bucket{le="60"})"), 2);
    EXPECT_DOUBLE_EQ(sample(t, "genesys_stream_end_to_end_latency_seconds_sum"), 2.003);
    EXPECT_EQ(sample(t, "genesys_stream_batch_size_events_sum"), 100);
}

TEST(MetricLabelsTest, NamesRoundTrip) {
    for (std::size_t i = 0; i < kDeadLetterReasonCount; ++i) {
        const auto reason = static_cast<DeadLetterReason>(i);
        EXPECT_EQ(parse_dead_letter_reason(to_string(reason)), reason);
    }
    EXPECT_EQ(parse_dead_letter_reason("nope"), std::nullopt);
    EXPECT_EQ(to_string(ConnectionError::kHttp401), "http_401");
    EXPECT_EQ(to_string(ConnectionError::kOther), "other");
    EXPECT_EQ(dead_letter_reason(core::Errc::kNotObject), DeadLetterReason::kNotJson);
    EXPECT_EQ(dead_letter_reason(core::Errc::kSchema), DeadLetterReason::kSchema);
    EXPECT_EQ(dead_letter_reason(core::Errc::kLate), DeadLetterReason::kLate);  // late policy
    EXPECT_EQ(dead_letter_reason(core::Errc::kSinkRejected), DeadLetterReason::kSinkRejected);
    EXPECT_EQ(dead_letter_reason(core::Errc::kWalCorrupt), DeadLetterReason::kWalCorrupt);
    EXPECT_EQ(dead_letter_reason(core::Errc::kTimeout), std::nullopt);
    // Error code names and label names agree where they overlap.
    EXPECT_EQ(to_string(DeadLetterReason::kBadTimestamp),
              core::reason_name(core::Errc::kBadTimestamp));
}

}  // namespace
}  // namespace gstream::ops

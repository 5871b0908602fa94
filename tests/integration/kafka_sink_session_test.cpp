// The Kafka sink in process against librdkafka's mock cluster (in its helper process): what the
// sink promises the driver across kRetry, a producer rebuilt after a fatal error, and a restart
// (a new sink on the same topic). Read back with a plain consumer.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/decoder.hpp"
#include "sink/kafka/kafka_sink.hpp"
#include "support/child_process.hpp"
#include "support/envelope_stream.hpp"
#include "support/kafka_mock.hpp"

namespace gstream::sink::kafka {
namespace {

using testing::KafkaMockCluster;
using testing::read_topic;
using testing::TempDir;

constexpr int kPartitions = 4;

/// `n` acd.start events with ids "<prefix>NNN" (conversationId "c<id>").
std::vector<core::Event> make_events(const std::string& prefix, int n) {
    std::vector<std::string> events;
    for (int i = 0; i < n; ++i) {
        events.push_back(testing::envelope_event(fmt::format("{}{:03}", prefix, i), i));
    }
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload = testing::envelope_message(events);
    pipeline::DecodeOutput out;
    decoder.decode(std::move(m), out);
    EXPECT_EQ(out.events.size(), static_cast<std::size_t>(n));
    return std::move(out.events);
}

KafkaSinkConfig config_for(const KafkaMockCluster& kafka, std::int64_t ack_timeout_ms) {
    KafkaSinkConfig c;
    c.name = "kafka";
    c.brokers = {kafka.bootstrap()};
    c.topic = "t";
    c.ack_timeout_ms = ack_timeout_ms;
    c.librdkafka = {{"log_level", "3"}};
    return c;
}

std::multiset<std::string> event_ids(const KafkaMockCluster& kafka) {
    std::multiset<std::string> ids;
    for (const auto& r : read_topic(kafka.bootstrap(), "t")) {
        ids.insert(r.header("gstream-event-id"));
    }
    return ids;
}

// Produce requests failing with a retriable error: librdkafka retries them itself; the batch is
// acknowledged once, each message once.
TEST(KafkaSinkSession, RetriableProduceErrorsDeliverEachMessageOnce) {
    TempDir dir;
    KafkaMockCluster kafka(3, kPartitions, {"t"}, dir.file("mock.log"));
    ASSERT_EQ(kafka.command("produce_errors 5 6"), "ok");  // NOT_LEADER_FOR_PARTITION
    KafkaSink sink(config_for(kafka, 10'000));
    const auto events = make_events("a", 50);
    sink.at_outbox_record(1);
    ASSERT_EQ(sink.write_batch(events), SinkResult::kOk) << sink.last_error();
    EXPECT_TRUE(sink.take_rejected().empty());
    const auto ids = event_ids(kafka);
    EXPECT_EQ(ids.size(), 50U);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 50U);
}

// Every broker down: the batch answers kRetry within ack_timeout_ms; passed again once they
// are up, it is acknowledged, and no message is in the topic twice.
TEST(KafkaSinkSession, ARetriedBatchIsNotProducedTwice) {
    TempDir dir;
    KafkaMockCluster kafka(1, kPartitions, {"t"}, dir.file("mock.log"));
    KafkaSink sink(config_for(kafka, 300));
    const auto first = make_events("a", 20);
    sink.at_outbox_record(1);
    ASSERT_EQ(sink.write_batch(first), SinkResult::kOk) << sink.last_error();
    ASSERT_EQ(kafka.command("down all"), "ok");
    const auto second = make_events("b", 20);
    sink.at_outbox_record(2);
    EXPECT_EQ(sink.write_batch(second), SinkResult::kRetry);
    EXPECT_NE(sink.last_error().find("ack_timeout_ms=300"), std::string::npos) << sink.last_error();
    ASSERT_EQ(kafka.command("up all"), "ok");
    SinkResult r = SinkResult::kRetry;
    for (int attempt = 0; attempt < 100 && r == SinkResult::kRetry; ++attempt) {
        sink.at_outbox_record(2);  // the cursor says it again before each retry
        r = sink.write_batch(second);
    }
    ASSERT_EQ(r, SinkResult::kOk) << sink.last_error();
    const auto ids = event_ids(kafka);
    EXPECT_EQ(ids.size(), 40U);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 40U);
}

// A fatal error of the idempotent producer: the next write_batch() rebuilds it, reads the tails
// back, and skips what the partitions already hold; a new sink (a restart) on the same topic
// skips a whole batch it already delivered.
TEST(KafkaSinkSession, AFatalErrorRebuildsTheProducerAndARestartSkipsWhatIsThere) {
    TempDir dir;
    KafkaMockCluster kafka(1, kPartitions, {"t"}, dir.file("mock.log"));
    const auto batch = make_events("a", 30);
    {
        KafkaSink sink(config_for(kafka, 10'000));
        sink.at_outbox_record(7);
        ASSERT_EQ(sink.write_batch(batch), SinkResult::kOk) << sink.last_error();
        EXPECT_EQ(sink.producers_built(), 1U);
        ASSERT_EQ(rd_kafka_test_fatal_error(sink.producer_for_testing(),
                                            RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "test"),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_poll(sink.producer_for_testing(), 0);  // the error callback
        const auto more = make_events("b", 10);
        sink.at_outbox_record(8);
        SinkResult r = sink.write_batch(more);
        for (int attempt = 0; attempt < 10 && r == SinkResult::kRetry; ++attempt) {
            r = sink.write_batch(more);
        }
        ASSERT_EQ(r, SinkResult::kOk) << sink.last_error();
        EXPECT_EQ(sink.producers_built(), 2U);
    }
    KafkaSink restarted(config_for(kafka, 10'000));
    restarted.at_outbox_record(7);
    ASSERT_EQ(restarted.write_batch(batch), SinkResult::kOk) << restarted.last_error();
    EXPECT_EQ(restarted.skipped(), 30U);
    const auto ids = event_ids(kafka);
    EXPECT_EQ(ids.size(), 40U);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 40U);
}

}  // namespace
}  // namespace gstream::sink::kafka

// The Kafka sink's pure part: partitions (Java's murmur2), positions, and messages on exact
// bytes.
#include "sink/kafka/kafka_formatter.hpp"

#include <gtest/gtest.h>

#include "pipeline/decoder.hpp"

namespace gstream::sink::kafka {
namespace {

// Java's murmur2 of these keys, from librdkafka's own unit test (src/rdmurmur2.c,
// java_murmur2_results), which checks them against Kafka's Utils.murmur2.
TEST(KafkaPartition, IsJavasMurmur2PositiveModuloThePartitionCount) {
    const auto expected = [](std::uint32_t hash, std::int32_t n) {
        return static_cast<std::int32_t>((hash & 0x7fffffffU) % static_cast<std::uint32_t>(n));
    };
    for (std::int32_t n : {1, 3, 4, 12, 100}) {
        EXPECT_EQ(partition_for("kafka", n), expected(0xd067cf64U, n)) << n;
        EXPECT_EQ(partition_for("giberish123456789", n), expected(0x8f552b0cU, n)) << n;
    }
    EXPECT_EQ(partition_for("kafka", 100), 0x5067cf64 % 100);
    // The empty key is a key (murmur2 of no bytes), not a random partition.
    EXPECT_EQ(partition_for("", 7), partition_for("", 7));
    EXPECT_EQ(partition_for("", 1000), expected(0x106e08d9U, 1000));
}

TEST(KafkaPosition, FormatsAndParsesRecordDotIndex) {
    EXPECT_EQ(format_position({42, 7}), "42.7");
    EXPECT_EQ(parse_position("42.7"), (Position{42, 7}));
    EXPECT_EQ(parse_position("18446744073709551615.0"), (Position{18446744073709551615ULL, 0}));
    for (const char* bad : {"", "42", "42.", ".7", "-1.2", "4 2.7", "42.7x", "a.b"}) {
        EXPECT_FALSE(parse_position(bad).has_value()) << bad;
    }
    EXPECT_LT((Position{41, 9}), (Position{42, 0}));
    EXPECT_LT((Position{42, 0}), (Position{42, 1}));
}

core::Event decode_first(const std::string& payload, pipeline::DecodeOutput& out) {
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload = payload;
    decoder.decode(std::move(m), out);
    EXPECT_EQ(out.events.size(), 1U);
    return out.events.at(0);
}

TEST(KafkaFormatter, NativeMessageWithKeyHeadersAndTopic) {
    KafkaSinkConfig config;
    config.name = "orders";
    config.topic = "genesys";
    config.topic_by_event_type = {{"acd.end", "ends"}};
    const KafkaFormatter formatter(config);
    pipeline::DecodeOutput out;
    const core::Event e = decode_first(
        R"({"subscriptionId":"s","events":[{"id":"e1","timestamp":"2026-11-30T10:15:02.1Z",)"
        R"("eventType":"acd.end","data":{"queueId":"q1","conversationId":"c1"}}]})",
        out);
    KafkaMessage m;
    formatter.format(e, Position{5, 3}, m);
    EXPECT_EQ(m.topic, "ends");
    EXPECT_EQ(m.key, "c1");
    EXPECT_EQ(
        m.value,
        R"({"id":"e1","eventType":"acd.end","eventTime":"2026-11-30T10:15:02.100Z",)"
        R"("queueId":"q1","conversationId":"c1","data":{"queueId":"q1","conversationId":"c1"}})");
    const std::vector<std::pair<std::string, std::string>> headers{
        {"gstream-sink", "orders"},
        {"gstream-event-id", "e1"},
        {"gstream-position", "5.3"},
        {"content-type", "application/json"}};
    EXPECT_EQ(m.headers, headers);
    // No write-ahead log: no position header.
    formatter.format(e, std::nullopt, m);
    EXPECT_EQ(m.headers.size(), 3U);
    EXPECT_EQ(m.headers[2].first, "content-type");
}

// CloudEvents binary mode (Kafka protocol binding): the data as value, attributes as ce_ headers
// after the sink's own, the content type of the data.
TEST(KafkaFormatter, CloudEventsBinaryModePutsTheAttributesInCeHeaders) {
    KafkaSinkConfig config;
    config.name = "ce";
    config.topic = "genesys";
    config.format = format::Format::kCloudEventsBinary;
    const KafkaFormatter formatter(config);
    pipeline::DecodeOutput out;
    const core::Event e = decode_first(
        R"({"subscriptionId":"s","events":[{"id":"e1","timestamp":"2026-11-30T10:15:02.1Z",)"
        R"("eventType":"acd.end","data":{"queueId":"q1","conversationId":"c1"}}]})",
        out);
    KafkaMessage m;
    formatter.format(e, std::nullopt, m);
    EXPECT_EQ(m.key, "c1");
    EXPECT_EQ(m.value, R"({"queueId":"q1","conversationId":"c1"})");
    const std::vector<std::pair<std::string, std::string>> headers{
        {"gstream-sink", "ce"},
        {"gstream-event-id", "e1"},
        {"content-type", "application/json"},
        {"ce_specversion", "1.0"},
        {"ce_id", "e1"},
        {"ce_source", "genesys-cloud://mypurecloud.com/interaction.lifecycle"},
        {"ce_type", "com.genesys.cloud.acd.end"},
        {"ce_time", "2026-11-30T10:15:02.100Z"},
        {"ce_subject", "c1"},
        {"ce_partitionkey", "c1"}};
    EXPECT_EQ(m.headers, headers);
}

TEST(KafkaFormatter, KeyIsTheEventIdWithoutConversationOrWhenAsked) {
    KafkaSinkConfig config;
    config.topic = "t";
    pipeline::DecodeOutput out;
    const core::Event e = decode_first(
        R"({"subscriptionId":"s","events":[{"id":"e\u00e9","timestamp":"2026-11-30T10:15:02Z",)"
        R"("eventType":"acw","data":{}}]})",
        out);
    EXPECT_EQ(KafkaFormatter(config).key_of(e), "e\xc3\xa9");
    EXPECT_EQ(KafkaFormatter(config).topic_of(e), "t");
    pipeline::DecodeOutput out2;
    const core::Event with_conversation = decode_first(
        R"({"subscriptionId":"s","events":[{"id":"e2","timestamp":"2026-11-30T10:15:02Z",)"
        R"("eventType":"acw","data":{"conversationId":"c9"}}]})",
        out2);
    EXPECT_EQ(KafkaFormatter(config).key_of(with_conversation), "c9");
    config.key = KeyField::kEventId;
    EXPECT_EQ(KafkaFormatter(config).key_of(with_conversation), "e2");
}

}  // namespace
}  // namespace gstream::sink::kafka

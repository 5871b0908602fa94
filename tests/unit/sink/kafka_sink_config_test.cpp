// The Kafka sink's configuration: the schema branch (errors with line and key), the settings it
// becomes, the librdkafka properties, the offline check, and secrets kept out of log strings.
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/config_loader.hpp"
#include "sink/kafka/kafka_config.hpp"
#include "sink/kafka/kafka_sink.hpp"
#include "sink/sink_registry.hpp"

namespace gstream::sink::kafka {
namespace {

config::Config load(const std::string& sinks, config::EnvLookup env = config::env_from_map({})) {
    return config::load_config_string(
        "genesys: {client_id: id, client_secret: s}\nsource: {url: 'wss://h/stream'}\n" + sinks,
        "test.yaml", config::default_schema_path(), std::move(env));
}

std::string load_error(const std::string& sinks) {
    try {
        load(sinks);
    } catch (const config::ConfigError& e) {
        return e.what();
    }
    return "<loaded>";
}

TEST(KafkaSinkConfig, DefaultsFromTheSchema) {
    const config::Config c =
        load("sinks: [{type: kafka, brokers: [b1:9092, b2:9092], topic: t}]\n");
    const KafkaSinkConfig k = kafka_config_from(c.sinks.at(0));
    EXPECT_EQ(k.name, "kafka");
    EXPECT_EQ(k.brokers, (std::vector<std::string>{"b1:9092", "b2:9092"}));
    EXPECT_EQ(k.topic, "t");
    EXPECT_TRUE(k.topic_by_event_type.empty());
    EXPECT_EQ(k.key, KeyField::kConversationId);
    EXPECT_EQ(k.compression, "none");
    EXPECT_EQ(k.format, format::Format::kNative);
    EXPECT_TRUE(k.exactly_once);
    EXPECT_EQ(k.exactly_once_tail, 10'000);
    EXPECT_EQ(k.ack_timeout_ms, 10'000);
    EXPECT_EQ(k.line, 3);
    EXPECT_EQ(check_kafka_config(k), "");
    EXPECT_EQ(check_sink(c.sinks.at(0)), "");
}

TEST(KafkaSinkConfig, EveryKey) {
    const config::Config c = load(
        "sinks:\n  - type: kafka\n    name: k1\n    brokers: [b:1]\n    topic: t\n"
        "    topic_by_event_type: {acd.end: ends}\n    key: eventId\n    compression: zstd\n"
        "    format: cloudevents-binary\n    exactly_once: false\n    exactly_once_tail: 5\n"
        "    ack_timeout_ms: 2000\n    librdkafka: {linger.ms: 7, socket.keepalive.enable: "
        "true}\n");
    const KafkaSinkConfig k = kafka_config_from(c.sinks.at(0));
    EXPECT_EQ(k.name, "k1");
    EXPECT_EQ(k.topic_by_event_type.at("acd.end"), "ends");
    EXPECT_EQ(topic_for(k, "acd.end"), "ends");
    EXPECT_EQ(topic_for(k, "acd.start"), "t");
    EXPECT_EQ(k.key, KeyField::kEventId);
    EXPECT_EQ(k.compression, "zstd");
    EXPECT_EQ(k.format, format::Format::kCloudEventsBinary);
    EXPECT_FALSE(k.exactly_once);
    EXPECT_EQ(k.exactly_once_tail, 5);
    EXPECT_EQ(k.ack_timeout_ms, 2000);
    EXPECT_EQ(k.librdkafka.at("linger.ms"), "7");
    EXPECT_EQ(k.librdkafka.at("socket.keepalive.enable"), "true");
    const auto p = producer_properties(k);
    ASSERT_EQ(p.size(), 7U);
    EXPECT_EQ(p[0], (std::pair<std::string, std::string>{"bootstrap.servers", "b:1"}));
    EXPECT_EQ(p[1], (std::pair<std::string, std::string>{"acks", "all"}));
    EXPECT_EQ(p[2], (std::pair<std::string, std::string>{"enable.idempotence", "true"}));
    EXPECT_EQ(p[3], (std::pair<std::string, std::string>{"partitioner", "murmur2_random"}));
    EXPECT_EQ(p[4], (std::pair<std::string, std::string>{"compression.type", "zstd"}));
    // The read-back consumer gets no producer-only property.
    const auto cp = consumer_properties(k);
    ASSERT_EQ(cp.size(), 2U);
    EXPECT_EQ(cp[1].first, "socket.keepalive.enable");
}

TEST(KafkaSinkConfig, SchemaErrorsNameTheLineAndKey) {
    EXPECT_NE(load_error("sinks:\n  - {type: kafka, topic: t}\n").find("brokers"),
              std::string::npos);
    const std::string unknown =
        load_error("sinks:\n  - type: kafka\n    brokers: [b:1]\n    topic: t\n    acks: 1\n");
    EXPECT_NE(unknown.find("acks"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find(":7"), std::string::npos) << unknown;
    const std::string bad_enum = load_error(
        "sinks:\n  - type: kafka\n    brokers: [b:1]\n    topic: t\n    compression: brotli\n");
    EXPECT_NE(bad_enum.find("compression"), std::string::npos) << bad_enum;
    EXPECT_NE(load_error("sinks:\n  - {type: kafka, brokers: [], topic: t}\n"), "<loaded>");
    EXPECT_NE(load_error("sinks:\n  - {type: kafka, brokers: [b:1], topic: t, format: avro}\n"),
              "<loaded>");
}

TEST(KafkaSinkConfig, CheckIsOfflineAndNamesTheProperty) {
    const config::Config c = load(
        "sinks:\n  - type: kafka\n    name: k\n    brokers: [b:1]\n    topic: t\n"
        "    librdkafka: {security.protocol: NOPE}\n");
    const std::string problem = check_sink(c.sinks.at(0));
    EXPECT_NE(problem.find("sink 'k' (line 4): librdkafka.security.protocol: Invalid value"),
              std::string::npos)
        << problem;
    const config::Config unknown = load(
        "sinks:\n  - {type: kafka, brokers: [b:1], topic: t, librdkafka: {no.such.property: 1}}\n");
    EXPECT_NE(check_sink(unknown.sinks.at(0)).find("librdkafka.no.such.property"),
              std::string::npos);
    // Building the sink refuses the same configuration with the same line (start-up).
    try {
        make_sink(c.sinks.at(0));
        ADD_FAILURE() << "built";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), problem);
    }
}

TEST(KafkaSinkConfig, SecretsFromTheEnvironmentNeverReachTheLogString) {
    const config::Config c = load(
        "sinks:\n  - type: kafka\n    brokers: [b:1]\n    topic: t\n"
        "    librdkafka: {sasl.username: alice, sasl.password: '${KAFKA_PASSWORD}', "
        "sasl.oauthbearer.client.secret: s3cr3t}\n",
        config::env_from_map({{"KAFKA_PASSWORD", "hunter2"}}));
    const KafkaSinkConfig k = kafka_config_from(c.sinks.at(0));
    EXPECT_EQ(k.librdkafka.at("sasl.password"), "hunter2");
    const std::string text = config::to_log_string(c);
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << text;
    EXPECT_NE(text.find("sasl.username: alice"), std::string::npos) << text;
    EXPECT_TRUE(config::is_secret_key("sasl.password"));
    EXPECT_TRUE(config::is_secret_key("ssl.key.password"));
    EXPECT_TRUE(config::is_secret_key("sasl.oauthbearer.client.secret"));
    EXPECT_FALSE(config::is_secret_key("sasl.username"));
}

// A SASL mechanism librdkafka does not know, a password from the environment: one line naming
// the sink, no secret in it.
TEST(KafkaSinkConfig, BadSaslIsOneLineWithoutTheSecret) {
    const config::Config c = load(
        "sinks:\n  - type: kafka\n    name: k\n    brokers: [b:1]\n    topic: t\n"
        "    librdkafka: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: NOPE,\n"
        "                 sasl.username: u, sasl.password: '${PW}'}\n",
        config::env_from_map({{"PW", "hunter2"}}));
    const std::string problem = check_sink(c.sinks.at(0));
    EXPECT_NE(problem.find("sink 'k' (line 4): librdkafka refused the configuration: "),
              std::string::npos)
        << problem;
    EXPECT_NE(problem.find("NOPE"), std::string::npos) << problem;
    EXPECT_EQ(problem.find('\n'), std::string::npos) << problem;
    EXPECT_EQ(problem.find("hunter2"), std::string::npos) << problem;
}

}  // namespace
}  // namespace gstream::sink::kafka

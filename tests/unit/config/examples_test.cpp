// Every shipped example loads, with the environment it documents.
#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "sink/nats/nats_config.hpp"
#include "sink/sink_registry.hpp"
#include "sink/sink_settings.hpp"
#include "support/test_paths.hpp"

namespace gstream::config {
namespace {

std::string example(const char* name) {
    return std::string(GSTREAM_SOURCE_DIR) + "/examples/" + name;
}

TEST(ExamplesTest, DemoLoadsWithItsDefaults) {
    const Config c =
        load_config_file(example("demo.yaml"), default_schema_path(), env_from_map({}));
    EXPECT_EQ(c.genesys.base_url, "http://127.0.0.1:18080");
    EXPECT_EQ(c.genesys.client_id, "demo");
    EXPECT_EQ(c.genesys.client_secret, "demo");
    EXPECT_EQ(c.source.protocol, "notifications");
    EXPECT_EQ(c.source.queues.size(), 3u);
    EXPECT_EQ(c.source.notifications.watchdog_ms, 3000);
    ASSERT_TRUE(c.wal.dir.has_value());
    EXPECT_EQ(*c.wal.dir, "out/demo/wal");
    ASSERT_EQ(c.sinks.size(), 1u);
    EXPECT_EQ(c.sinks[0].path, "out/demo/events.jsonl");
    EXPECT_EQ(c.dead_letter.path, "out/demo/dead-letter.sqlite3");
    EXPECT_EQ(c.metrics.listen, "127.0.0.1:0");
    EXPECT_EQ(c.logging.level, "info");
}

TEST(ExamplesTest, EnvelopeDemoLoadsWithItsDefaults) {
    const Config c = load_config_file(example("demo-envelope.yaml"), default_schema_path(),
                                      env_from_map({}));
    EXPECT_EQ(c.source.protocol, "envelope");
    EXPECT_EQ(c.sinks.at(0).path, "out/demo/events.jsonl");
    EXPECT_EQ(c.data_dir, "out/demo");
    EXPECT_EQ(c.wal.dir, "out/demo/wal");  // the write-ahead log is on by default
}

TEST(ExamplesTest, DemoTakesTheEnvironment) {
    const Config c = load_config_file(example("demo.yaml"), default_schema_path(),
                                      env_from_map({{"GENESYS_BASE_URL", "http://127.0.0.1:40001"},
                                                    {"GSTREAM_METRICS_LISTEN", "127.0.0.1:40002"},
                                                    {"GSTREAM_LOG_LEVEL", "debug"}}));
    EXPECT_EQ(c.genesys.base_url, "http://127.0.0.1:40001");
    EXPECT_EQ(c.metrics.listen, "127.0.0.1:40002");
    EXPECT_EQ(c.logging.level, "debug");
}

TEST(ExamplesTest, MinimalNeedsCredentialsFromTheEnvironment) {
    const Config c = load_config_file(example("minimal.yaml"), default_schema_path(),
                                      env_from_map({{"GENESYS_CLIENT_ID", "cid"},
                                                    {"GENESYS_CLIENT_SECRET", "cs"},
                                                    {"GENESYS_REGION", "eu-west-1"},
                                                    {"GENESYS_QUEUE_ID",
                                                     "3b7d2f1e-8c4a-4e2b-9f6d-1a2b3c4d5e6f"}}));
    EXPECT_EQ(c.genesys.region, "eu-west-1");
    // Real Genesys Cloud is the Notifications API (issue 15: it said envelope).
    EXPECT_EQ(c.source.protocol, "notifications");
    EXPECT_EQ(c.source.queues,
              (std::vector<std::string>{"3b7d2f1e-8c4a-4e2b-9f6d-1a2b3c4d5e6f"}));
    EXPECT_EQ(c.genesys.client_id, "cid");
    EXPECT_EQ(c.sinks.at(0).path, "out/events.jsonl");
    try {
        load_config_file(example("minimal.yaml"), default_schema_path(), env_from_map({}));
        FAIL() << "loaded without credentials";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  example("minimal.yaml") +
                      ":7:14: key 'genesys.client_id': environment variable 'GENESYS_CLIENT_ID' "
                      "is not set (set it, or give a default: ${GENESYS_CLIENT_ID:-default})");
    }
}

TEST(ExamplesTest, DirectUrlNeedsNoCredentials) {
    const Config c =
        load_config_file(example("direct-url.yaml"), default_schema_path(), env_from_map({}));
    EXPECT_EQ(c.source.url, "ws://127.0.0.1:18080/api/v2/eventbridge/interaction.lifecycle");
    EXPECT_EQ(c.source.states, (std::vector<std::string>{"queued", "contact", "acw", "ended"}));
    ASSERT_EQ(c.pipeline.filters.size(), 1u);
    EXPECT_EQ(c.pipeline.filters[0],
              (FieldFilter{"/data/mediaType", {"voice", "callback"}, false}));
    EXPECT_EQ(c.sinks.at(0).fsync, "never");
    EXPECT_TRUE(c.genesys.client_id.empty());
}

TEST(ExamplesTest, KafkaLoadsAndPassesTheOfflineCheckWithoutLoggingThePassword) {
    const Config c = load_config_file(example("kafka.yaml"), default_schema_path(),
                                      env_from_map({{"GENESYS_CLIENT_ID", "cid"},
                                                    {"GENESYS_CLIENT_SECRET", "cs"},
                                                    {"KAFKA_PASSWORD", "pw-from-env"}}));
    ASSERT_EQ(c.sinks.size(), 1u);
    EXPECT_EQ(c.sinks[0].type, "kafka");
    EXPECT_EQ(sink::check_sink(c.sinks[0]), "");
    const std::string text = to_log_string(c);
    EXPECT_EQ(text.find("pw-from-env"), std::string::npos) << text;
    EXPECT_NE(text.find("sasl.username: genesys-stream"), std::string::npos) << text;
}

// The NATS example passes the offline checks; the token comes from the environment only.
TEST(ExamplesTest, NatsLoadsAndPassesTheOfflineChecks) {
    const Config c =
        load_config_file(example("nats.yaml"), default_schema_path(), env_from_map({}));
    ASSERT_EQ(c.sinks.size(), 1u);
    EXPECT_EQ(sink::check_sink(c.sinks[0]), "");
    const sink::nats::NatsSinkConfig n = sink::nats::read_nats_config(c.sinks[0]);
    EXPECT_EQ(n.servers, (std::vector<std::string>{"nats://127.0.0.1:4222"}));
    EXPECT_EQ(n.stream, "GENESYS");
    ASSERT_TRUE(n.create_stream.has_value());
    EXPECT_EQ(n.create_stream->duplicate_window_ms, 600'000);
    EXPECT_TRUE(n.token.empty());
    const Config t = load_config_file(example("nats.yaml"), default_schema_path(),
                                      env_from_map({{"NATS_TOKEN", "tok"}}));
    EXPECT_EQ(sink::nats::read_nats_config(t.sinks[0]).token, "tok");
}

TEST(ExamplesTest, HttpTakesItsUrlAndTokenFromTheEnvironment) {
    const Config c = load_config_file(example("http.yaml"), default_schema_path(),
                                      env_from_map({{"GENESYS_CLIENT_ID", "cid"},
                                                    {"GENESYS_CLIENT_SECRET", "cs"},
                                                    {"COLLECTOR_TOKEN", "tok-123"}}));
    ASSERT_EQ(c.sinks.size(), 2u);
    EXPECT_EQ(c.sinks[0].type, "http");
    EXPECT_EQ(c.sinks[0].name, "collector");
    EXPECT_EQ(sink::setting_map(c.sinks[0], "headers").at("Authorization"), "Bearer tok-123");
    EXPECT_EQ(sink::setting_string(c.sinks[0], "url"),
              "https://collector.example.com/v1/genesys-events");
    EXPECT_EQ(sink::setting_string(c.sinks[0], "framing"), "ndjson");
    EXPECT_EQ(c.sinks[1].path, "out/events.jsonl");
    EXPECT_EQ(to_log_string(c).find("tok-123"), std::string::npos);
}

}  // namespace
}  // namespace gstream::config

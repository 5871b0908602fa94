// source.notifications keys: schema defaults, loading and rejection of unknown media.
#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"

namespace gstream::config {
namespace {

const ConfigSchema& schema() {
    static const ConfigSchema kSchema = ConfigSchema::load_file(default_schema_path());
    return kSchema;
}

Config load(const std::string& yaml) {
    return load_config_string(yaml, "t.yaml", schema(), env_from_map({}));
}

const std::string kBase =
    "genesys:\n"
    "  client_id: id\n"
    "  client_secret: s3cret\n"
    "sinks:\n"
    "  - type: file\n"
    "    path: out/a.jsonl\n";

TEST(NotificationsConfigTest, DefaultsMatchTheStruct) {
    const Config c = load(kBase);
    EXPECT_TRUE(c.source.notifications.media.empty());
    EXPECT_TRUE(c.source.notifications.topics.empty());
    EXPECT_EQ(c.source.notifications.watchdog_ms, 65000);
    EXPECT_EQ(c.source.notifications.pong_timeout_ms, 10000);
    EXPECT_EQ(c.source.notifications.expiry_margin_ms, 600000);
    const NotificationsConfig defaults;
    EXPECT_EQ(c.source.notifications.watchdog_ms, defaults.watchdog_ms);
    EXPECT_EQ(c.source.notifications.pong_timeout_ms, defaults.pong_timeout_ms);
    EXPECT_EQ(c.source.notifications.expiry_margin_ms, defaults.expiry_margin_ms);
}

TEST(NotificationsConfigTest, LoadsEveryKey) {
    const Config c = load(kBase +
                          "source:\n"
                          "  protocol: notifications\n"
                          "  queues: [q1]\n"
                          "  notifications:\n"
                          "    media: [calls, chats]\n"
                          "    topics: [v2.analytics.queues.q1.observations]\n"
                          "    watchdog_ms: 200\n"
                          "    pong_timeout_ms: 300\n"
                          "    expiry_margin_ms: 0\n");
    EXPECT_EQ(c.source.protocol, "notifications");
    EXPECT_EQ(c.source.notifications.media, (std::vector<std::string>{"calls", "chats"}));
    EXPECT_EQ(c.source.notifications.topics,
              (std::vector<std::string>{"v2.analytics.queues.q1.observations"}));
    EXPECT_EQ(c.source.notifications.watchdog_ms, 200);
    EXPECT_EQ(c.source.notifications.pong_timeout_ms, 300);
    EXPECT_EQ(c.source.notifications.expiry_margin_ms, 0);
    EXPECT_NE(to_log_string(c).find("watchdog_ms: 200"), std::string::npos);
}

TEST(NotificationsConfigTest, RejectsUnknownMediaAndKeys) {
    EXPECT_THROW(load(kBase + "source:\n  notifications:\n    media: [call]\n"), ConfigError);
    EXPECT_THROW(load(kBase + "source:\n  notifications:\n    watchdog: 5\n"), ConfigError);
    EXPECT_THROW(load(kBase + "source:\n  notifications:\n    watchdog_ms: 5\n"), ConfigError);
}

std::string error_of(const std::string& yaml) {
    try {
        load(yaml);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<loaded>";
}

TEST(NotificationsConfigTest, TopicBudgetIsCheckedWithThePosition) {
    std::string topics;
    for (int i = 0; i < 19 * 1000 + 1; ++i)
        topics += "      - t" + std::to_string(i) + "\n";
    const std::string error = error_of(kBase +
                                       "source:\n"
                                       "  protocol: notifications\n"
                                       "  notifications:\n"
                                       "    topics:\n" +
                                       topics);
    EXPECT_EQ(error.rfind("t.yaml:11:7: key 'source.notifications.topics': 19001 notification "
                          "topics need 20 channels",
                          0),
              0u)
        << error;
    EXPECT_NE(error_of(kBase + "source:\n  protocol: notifications\n").find("no topic"),
              std::string::npos);
    // With source.url the WebSocket is read directly: no topic needed.
    EXPECT_EQ(error_of(kBase + "source:\n  protocol: notifications\n  url: ws://127.0.0.1:1/x\n"),
              "<loaded>");
}

}  // namespace
}  // namespace gstream::config

// End-to-end over the Notifications API: `genesys-stream emulate --protocol notifications` and
// `genesys-stream run` as real processes on loopback, with platform faults injected. The
// emulator's manifest states which lifecycle transitions its conversation script implies; the
// consumer must deliver exactly those, each once.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/json_document.hpp"
#include "support/integration.hpp"

namespace gstream::testing {
namespace {

const std::vector<std::string> kQueues = {"11111111-1111-4111-8111-111111111111",
                                          "22222222-2222-4222-8222-222222222222",
                                          "33333333-3333-4333-8333-333333333333"};

std::string write_config(const TempDir& dir, const std::string& base_url,
                         const std::string& extra_notifications = "") {
    std::string queues;
    for (const auto& q : kQueues) {
        queues += (queues.empty() ? "" : ", ") + q;
    }
    const std::string yaml =
        "genesys:\n  base_url: " + base_url + "\n  client_id: demo\n  client_secret: demo\n" +
        "source:\n  protocol: notifications\n  queues: [" + queues + "]\n" +
        "  reconnect_initial_ms: 50\n  reconnect_max_ms: 500\n" +
        "  notifications:\n    watchdog_ms: 400\n    pong_timeout_ms: 300\n" + extra_notifications +
        "pipeline:\n  batch: { max_events: 100, max_bytes: 1048576, max_age_ms: 200 }\n" +
        "  allowed_lateness_ms: 2000\n" +
        "sinks:\n  - { type: file, path: " + dir.file("events.jsonl") + ", fsync: never }\n" +
        "dead_letter:\n  path: " + dir.file("dlq.sqlite3") + "\n" + "data_dir: " + dir.path() +
        "\n";
    write_file(dir.file("config.yaml"), yaml);
    return dir.file("config.yaml");
}

struct Expected {
    std::multiset<std::string> keys;  ///< "conversationId:participantId:state"
    long long messages = 0;
};

Expected read_expected(const std::string& manifest_path) {
    core::JsonDocument doc;
    const auto lines = read_lines(manifest_path);
    std::string text;
    for (const auto& l : lines) {
        text += l + "\n";
    }
    EXPECT_TRUE(doc.parse(text)) << text;
    Expected e;
    e.messages = doc.root().find("messages").get_int64();
    doc.root().find("transitions").for_each_member([&](std::string_view state, core::JsonValue v) {
        if (!v.is_object()) {
            return;  // "total"
        }
        (void)state;
        v.find("keys").for_each_element(
            [&](core::JsonValue k) { e.keys.insert(std::string(k.get_string())); });
    });
    return e;
}

std::multiset<std::string> delivered_ids(const TempDir& dir) {
    std::multiset<std::string> ids;
    for (const auto& line : read_lines(dir.file("events.jsonl"))) {
        core::JsonDocument doc;
        EXPECT_TRUE(doc.parse(line)) << line;
        ids.insert(std::string(doc.root().find("id").get_string()));
    }
    return ids;
}

TEST(NotificationsEndToEnd, FaultsAndRolloversLoseNothingAndDuplicateNothing) {
    TempDir dir;
    // A rate-limited channel create, a socket_closing rollover, redelivered messages (new
    // CorrelationId), a maintenance close and a silent stall the watchdog must notice.
    auto emulator = start_emulator(
        {"--protocol", "notifications", "--conversations", "150", "--seed", "21",
         "--heartbeat-ms", "200", "--socket-closing-delay-ms", "300", "--channel-create-429", "1",
         "--retry-after", "1", "--fault", "socket_closing:150", "--fault", "duplicate:300:5",
         "--fault", "close1001:450", "--fault", "stall:600", "--manifest",
         dir.file("manifest.json")},
        dir.file("emulator.log"));
    const auto r = run_consumer(write_config(dir, emulator.origin()), dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary.has_value()) << r.log;
    const Expected want = read_expected(dir.file("manifest.json"));
    ASSERT_GT(want.keys.size(), 400U);

    const std::multiset<std::string> got = delivered_ids(dir);
    EXPECT_EQ(got, want.keys);  // every implied transition, each exactly once
    const Summary& s = *r.summary;
    EXPECT_EQ(s["transitions"], static_cast<long long>(want.keys.size()));
    EXPECT_EQ(s["delivered"], static_cast<long long>(want.keys.size()));
    EXPECT_EQ(s["dead_lettered"], 0);
    EXPECT_EQ(s["snapshots"], want.messages);  // redeliveries are snapshots that prove nothing new
    EXPECT_NE(r.log.find("rolled over reason=socket_closing"), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("read_timeout"), std::string::npos) << r.log;  // the stall was noticed
}

TEST(NotificationsEndToEnd, ForbiddenQueueTopicIsAClearFatalError) {
    TempDir dir;
    auto emulator = start_emulator({"--protocol", "notifications", "--conversations", "5",
                                    "--forbid-topic", "v2.routing.queues."},
                                   dir.file("emulator.log"));
    const auto r = run_consumer(write_config(dir, emulator.origin()), dir.file("consumer.log"),
                                std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 1) << r.log;
    EXPECT_NE(r.log.find("routing:queue:view"), std::string::npos) << r.log;
}

}  // namespace
}  // namespace gstream::testing

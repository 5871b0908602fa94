// End-to-end: conversation snapshots over a WebSocket (source.url, notifications protocol) into
// the real binary; lifecycle transitions and raw snapshots in the file sink, a malformed snapshot
// in the dead-letter queue, snapshots counted apart in the summary line.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "dlq/dead_letter_queue.hpp"
#include "support/child_process.hpp"
#include "support/fake_genesys_server.hpp"
#include "support/integration.hpp"

namespace gstream::testing {
namespace {

std::string snapshot(const std::string& correlation_id, const std::string& body) {
    return R"({"topicName":"v2.routing.queues.q1.conversations","version":"2","eventBody":)" +
           body + R"(,"metadata":{"CorrelationId":")" + correlation_id + R"("}})";
}

const std::string kConnected =
    R"({"id":"c1","participants":[)"
    R"({"id":"p-cust","purpose":"customer","calls":[{"id":"c-1","state":"connected",)"
    R"("connectedTime":"2026-04-01T09:14:02.118Z"}]},)"
    R"({"id":"p-acd","purpose":"acd","queueId":"q1","calls":[{"id":"c-2",)"
    R"("state":"disconnected","disconnectType":"transfer",)"
    R"("connectedTime":"2026-04-01T09:14:09.500Z"}]},)"
    R"({"id":"p-agent","purpose":"agent","userId":"u1","calls":[{"id":"c-3",)"
    R"("state":"connected","connectedTime":"2026-04-01T09:14:31.020Z"}]}]})";

const std::string kEnded =
    R"({"id":"c1","participants":[)"
    R"({"id":"p-cust","purpose":"customer","endTime":"2026-04-01T09:20:00.000Z",)"
    R"("calls":[{"id":"c-1","state":"disconnected","disconnectType":"endpoint",)"
    R"("connectedTime":"2026-04-01T09:14:02.118Z",)"
    R"("disconnectedTime":"2026-04-01T09:20:00.000Z"}]},)"
    R"({"id":"p-acd","purpose":"acd","queueId":"q1","calls":[{"id":"c-2",)"
    R"("state":"disconnected","disconnectType":"transfer",)"
    R"("connectedTime":"2026-04-01T09:14:09.500Z"}]},)"
    R"({"id":"p-agent","purpose":"agent","userId":"u1","calls":[{"id":"c-3",)"
    R"("state":"connected","connectedTime":"2026-04-01T09:14:31.020Z"}]}]})";

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

TEST(PipelineSnapshotsEndToEnd, TransitionsAndRawSnapshotsReachTheSink) {
    FakeGenesysServer server;
    WsScript script;
    script.actions = {
        WsAction::text(snapshot("m1", kConnected)),
        WsAction::text(snapshot("m2", kEnded)),
        WsAction::text(snapshot("m3", kEnded)),  // a repeat: no transition, its raw snapshot kept
        WsAction::text(R"({"topicName":"channel.metadata","eventBody":{"message":"pong"}})"),
        WsAction::text(snapshot("m4", R"({"id":"c2"})")),  // malformed: no participants
        WsAction::close(1000),
    };
    server.push_ws_script(script);

    TempDir dir;
    const std::string port = std::to_string(server.port());
    write_file(dir.file("config.yaml"),
               "source:\n  protocol: notifications\n  url: ws://127.0.0.1:" + port +
                   "/channels/streaming-1\n"
                   "pipeline:\n"
                   "  batch: { max_events: 100, max_bytes: 1048576, max_age_ms: 100 }\n"
                   "  allowed_lateness_ms: 3600000\n"
                   "  snapshots: { emit: both, ended_ttl_ms: 60000, max_conversations: 10 }\n"
                   "sinks:\n  - { type: file, path: " +
                   dir.file("events.jsonl") +
                   ", fsync: never }\n"
                   "dead_letter:\n  path: " +
                   dir.file("dlq.sqlite3") + "\ndata_dir: " + dir.path() + "\n");
    const RunResult r =
        run_consumer(dir.file("config.yaml"), dir.file("consumer.log"), std::chrono::seconds(60));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary) << r.log;
    const Summary& s = *r.summary;
    EXPECT_EQ(s["snapshots"], 4);
    EXPECT_EQ(s["transitions"], 3);
    EXPECT_EQ(s["control"], 1);
    // 3 transitions + 3 raw snapshots + 1 dead-lettered malformed snapshot.
    EXPECT_EQ(s["received"], 7);
    EXPECT_EQ(s["delivered"], 6);
    EXPECT_EQ(s["dead_lettered"], 1);

    std::vector<std::string> seen;
    for (const std::string& line : read_lines(dir.file("events.jsonl"))) {
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(line)) << line;
        const core::JsonValue e = doc.root();
        const std::string type(e.find("eventType").get_string());
        seen.push_back(type + " " + std::string(e.find("id").get_string()) + " " +
                       std::string(e.find("eventTime").get_string()));
        if (type == "conversation.snapshot") {
            const std::string id(e.find("id").get_string());
            EXPECT_EQ(e.find("data").raw(), id == "m1" ? kConnected : kEnded) << line;
            EXPECT_EQ(e.find("conversationId").get_string(), "c1");
        } else {
            EXPECT_EQ(e.find("conversationId").get_string(), "c1");
            EXPECT_EQ(e.find("queueId").get_string(), "q1");
            EXPECT_EQ(e.at_pointer("/data/topicName").get_string(),
                      "v2.routing.queues.q1.conversations");
        }
    }
    // Raw snapshots carry the receive time: keep only their type and id.
    for (std::string& line : seen) {
        if (line.starts_with("conversation.snapshot")) {
            line = line.substr(0, line.rfind(' '));
        }
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::string>{
                        "contact c1:p-agent:contact 2026-04-01T09:14:31.020Z",
                        "conversation.snapshot m1",
                        "conversation.snapshot m2",
                        "conversation.snapshot m3",
                        "ended c1:p-cust:ended 2026-04-01T09:20:00.000Z",
                        "queued c1:p-acd:queued 2026-04-01T09:14:09.500Z",
                    }));

    auto queue = dlq::DeadLetterQueue::open(dir.file("dlq.sqlite3"));
    const auto entries = queue.list({});
    ASSERT_EQ(entries.size(), 1U);
    EXPECT_EQ(entries[0].reason, "schema");
    EXPECT_EQ(entries[0].detail, "/eventBody: required");
    EXPECT_EQ(entries[0].raw, snapshot("m4", R"({"id":"c2"})"));
}

}  // namespace
}  // namespace gstream::testing

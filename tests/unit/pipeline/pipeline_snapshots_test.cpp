// Conversation snapshots through the whole Pipeline (notifications protocol): derived lifecycle
// transitions, raw snapshot events, filters, counts, dead letters and the real captured samples
// (/work/shared/fixtures/genesys-real/SOURCES.md §B, read from GSTREAM_SHARED_DIR).

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/time.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/schema/schema_registry.hpp"
#include "support/test_paths.hpp"

namespace gstream::pipeline {
namespace {

constexpr std::int64_t kWall0914 = 1775034880000;  // 2026-04-01T09:14:40.000Z
constexpr std::int64_t kWall0915 = 1775034910000;  // 2026-04-01T09:15:10.000Z
constexpr std::int64_t kWall2022 = 1656965400000;  // 2022-07-04T20:10:00.000Z

const std::filesystem::path kSamples =
    std::filesystem::path(GSTREAM_SHARED_DIR) / "fixtures" / "genesys-real";

struct Delivered {
    std::string id;
    std::string type;  // eventType, or the kind of a raw snapshot
    std::string time;  // the instant, RFC 3339
    bool time_received = false;
    bool late = false;
    core::InteractionState state = core::InteractionState::kNone;
    std::string raw;   // the event object as delivered
    std::string data;  // data / eventBody bytes
};

class MemorySink final : public sink::Sink {
public:
    std::string_view name() const override { return "memory"; }
    sink::SinkResult write_batch(std::span<const core::Event> events) override {
        for (const auto& e : events) {
            Delivered d;
            d.id = std::string(e.id.get_string());
            d.type =
                e.event_type.valid() ? std::string(e.event_type.get_string()) : std::string(e.kind);
            d.time = core::format_rfc3339(e.instant);
            d.time_received = e.time_received;
            d.late = e.late;
            d.state = e.state;
            d.raw = std::string(e.raw());
            d.data = std::string(e.data.raw());
            out.push_back(std::move(d));
        }
        return sink::SinkResult::kOk;
    }
    std::vector<Delivered> out;
};

class MemoryDeadLetters final : public DeadLetterWriter {
public:
    void write(std::vector<Rejection>& rejections) override {
        for (auto& r : rejections) {
            entries.push_back(std::string(core::reason_name(r.reason)) + " " + r.detail);
            raws.push_back(r.raw);
        }
    }
    std::vector<std::string> entries;
    std::vector<std::string> raws;
};

// Notifications protocol, a fixed wall clock, lateness wide enough for nothing to be late.
PipelineOptions snapshot_options(std::int64_t wall_ms = kWall0914,
                                 SnapshotEmit emit = SnapshotEmit::kTransitions) {
    PipelineOptions o;
    o.protocol = Protocol::kNotifications;
    o.allowed_lateness_ms = 600'000;
    o.snapshot_emit = emit;
    o.wall_clock_ms = [wall_ms] { return wall_ms; };
    return o;
}

struct Harness {
    explicit Harness(PipelineOptions options = snapshot_options(),
                     SchemaCheck check = {},
                     std::vector<std::string> queues = {},
                     std::vector<core::InteractionState> states = {})
        : driver(make_sinks(), {}, [] { return true; })
        , pipeline(std::move(options),
                   Validator(std::move(check)),
                   Filter(std::move(queues), std::move(states), {}),
                   driver,
                   dead) {}

    std::vector<std::unique_ptr<sink::Sink>> make_sinks() {
        auto s = std::make_unique<MemorySink>();
        memory = s.get();
        std::vector<std::unique_ptr<sink::Sink>> v;
        v.push_back(std::move(s));
        return v;
    }
    void feed(const std::string& message) { pipeline.on_message(message, 0, now_ms++); }
    std::vector<std::string> delivered() {
        pipeline.drain(now_ms);
        std::vector<std::string> v;
        for (const Delivered& d : memory->out) {
            v.push_back(d.id + " " + d.time + (d.time_received ? " R" : "") + (d.late ? " L" : ""));
        }
        return v;
    }
    std::uint64_t outcome(SnapshotOutcome o) const {
        return pipeline.counts().snapshots_by_outcome[static_cast<std::size_t>(o)].load();
    }

    MemorySink* memory = nullptr;
    MemoryDeadLetters dead;
    SinkDriver driver;
    Pipeline pipeline;
    std::int64_t now_ms = 1000;
};

std::string message(const std::string& topic,
                    const std::string& correlation_id,
                    const std::string& body) {
    return R"({"topicName":")" + topic + R"(","version":"2","eventBody":)" + body +
           R"(,"metadata":{"CorrelationId":")" + correlation_id + R"("}})";
}

const std::string kQueueTopic = "v2.routing.queues.q1.conversations";

// Customer connected, acd leg transferred to the agent, agent connected.
const std::string kConnected = R"({"id":"c1","participants":[
 {"id":"p-cust","purpose":"customer","connectedTime":"2026-04-01T09:14:02.118Z",
  "calls":[{"id":"c-1","state":"connected","connectedTime":"2026-04-01T09:14:02.118Z"}]},
 {"id":"p-acd","purpose":"acd","queueId":"q1","connectedTime":"2026-04-01T09:14:09.500Z",
  "endTime":"2026-04-01T09:14:31.020Z",
  "calls":[{"id":"c-2","state":"disconnected","disconnectType":"transfer",
            "connectedTime":"2026-04-01T09:14:09.500Z",
            "disconnectedTime":"2026-04-01T09:14:31.020Z"}]},
 {"id":"p-agent","purpose":"agent","userId":"u1","queueId":"q1",
  "calls":[{"id":"c-3","state":"connected","connectedTime":"2026-04-01T09:14:31.020Z"}]}]})";

// The same conversation, the customer's call now terminated (no disconnectedTime).
const std::string kTerminated = R"({"id":"c1","participants":[
 {"id":"p-cust","purpose":"customer","connectedTime":"2026-04-01T09:14:02.118Z",
  "calls":[{"id":"c-1","state":"terminated","connectedTime":"2026-04-01T09:14:02.118Z"}]},
 {"id":"p-acd","purpose":"acd","queueId":"q1","connectedTime":"2026-04-01T09:14:09.500Z",
  "endTime":"2026-04-01T09:14:31.020Z",
  "calls":[{"id":"c-2","state":"disconnected","disconnectType":"transfer",
            "connectedTime":"2026-04-01T09:14:09.500Z",
            "disconnectedTime":"2026-04-01T09:14:31.020Z"}]},
 {"id":"p-agent","purpose":"agent","userId":"u1","queueId":"q1",
  "calls":[{"id":"c-3","state":"connected","connectedTime":"2026-04-01T09:14:31.020Z"}]}]})";

TEST(PipelineSnapshots, ConnectedThenTerminatedYieldsEnded) {
    Harness h;
    h.feed(message(kQueueTopic, "m1", kConnected));
    h.feed(message(kQueueTopic, "m2", kTerminated));
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{
                                 "c1:p-acd:queued 2026-04-01T09:14:09.500Z",
                                 "c1:p-agent:contact 2026-04-01T09:14:31.020Z",
                                 // terminated carries no disconnectedTime: the receive time
                                 "c1:p-cust:ended 2026-04-01T09:14:40.000Z R",
                             }));
    const auto& out = h.memory->out;
    ASSERT_EQ(out.size(), 3U);
    EXPECT_EQ(out[0].type, "queued");
    EXPECT_EQ(out[0].state, core::InteractionState::kQueued);
    EXPECT_EQ(out[1].state, core::InteractionState::kContact);
    EXPECT_EQ(out[2].type, "ended");
    EXPECT_EQ(out[2].state, core::InteractionState::kEnded);
    // The whole event as built from the snapshot (pipeline::to_event_json).
    EXPECT_EQ(out[1].raw, R"({"id":"c1:p-agent:contact","timestamp":"2026-04-01T09:14:31.020Z",)"
                          R"("eventType":"contact","data":{"purpose":"agent","userId":"u1",)"
                          R"("media":{"type":"call","id":"c-3","state":"connected",)"
                          R"("connectedTime":"2026-04-01T09:14:31.020Z"},"conversationId":"c1",)"
                          R"("participantId":"p-agent","queueId":"q1",)"
                          R"("topicName":"v2.routing.queues.q1.conversations"}})");
    EXPECT_EQ(out[2].data,
              R"({"purpose":"customer","endedBy":"customer","media":{"type":"call","id":"c-1",)"
              R"("state":"terminated"},"conversationId":"c1","participantId":"p-cust",)"
              R"("queueId":"q1","topicName":"v2.routing.queues.q1.conversations",)"
              R"("timeSource":"received"})");
    EXPECT_TRUE(h.dead.entries.empty());
}

TEST(PipelineSnapshots, AgentRejectAndRequeueDoNotEndTheConversation) {
    Harness h(snapshot_options(kWall0915));
    const std::string customer =
        R"({"id":"p-cust","purpose":"customer","connectedTime":"2026-04-01T09:14:02.118Z",
            "calls":[{"id":"c-1","state":"connected"}]})";
    // The agent is offered the call.
    h.feed(message(kQueueTopic, "m1", R"({"id":"c2","participants":[)" + customer + R"(,
        {"id":"acd1","purpose":"acd","queueId":"q1",
         "calls":[{"id":"c-2","state":"connected","connectedTime":"2026-04-01T09:14:09.500Z"}]},
        {"id":"agent1","purpose":"agent","userId":"u1",
         "calls":[{"id":"c-3","state":"alerting"}]}]})"));
    // The agent rejects it: its leg disconnects without ever connecting.
    h.feed(message(kQueueTopic, "m2", R"({"id":"c2","participants":[)" + customer + R"(,
        {"id":"acd1","purpose":"acd","queueId":"q1",
         "calls":[{"id":"c-2","state":"connected","connectedTime":"2026-04-01T09:14:09.500Z"}]},
        {"id":"agent1","purpose":"agent","userId":"u1","endTime":"2026-04-01T09:14:45.000Z",
         "calls":[{"id":"c-3","state":"disconnected","disconnectType":"client",
                   "disconnectedTime":"2026-04-01T09:14:45.000Z"}]}]})"));
    // Requeued: a new acd leg, then a new agent is offered it.
    h.feed(message(kQueueTopic, "m3", R"({"id":"c2","participants":[)" + customer + R"(,
        {"id":"acd1","purpose":"acd","queueId":"q1","endTime":"2026-04-01T09:15:00.000Z",
         "calls":[{"id":"c-2","state":"disconnected","disconnectType":"transfer",
                   "connectedTime":"2026-04-01T09:14:09.500Z",
                   "disconnectedTime":"2026-04-01T09:15:00.000Z"}]},
        {"id":"agent1","purpose":"agent","userId":"u1","endTime":"2026-04-01T09:14:45.000Z",
         "calls":[{"id":"c-3","state":"disconnected","disconnectType":"client",
                   "disconnectedTime":"2026-04-01T09:14:45.000Z"}]},
        {"id":"acd2","purpose":"acd","queueId":"q1",
         "calls":[{"id":"c-4","state":"connected","connectedTime":"2026-04-01T09:15:00.000Z"}]},
        {"id":"agent2","purpose":"agent","userId":"u2",
         "calls":[{"id":"c-5","state":"alerting"}]}]})"));
    // Released in event-time order; alerting has no snapshot timestamp (receive time).
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{
                                 "c2:acd1:queued 2026-04-01T09:14:09.500Z",
                                 "c2:acd2:queued 2026-04-01T09:15:00.000Z",
                                 "c2:agent1:alerting 2026-04-01T09:15:10.000Z R",
                                 "c2:agent2:alerting 2026-04-01T09:15:10.000Z R",
                             }));
    EXPECT_EQ(h.outcome(SnapshotOutcome::kDerived), 2U);
    EXPECT_EQ(h.outcome(SnapshotOutcome::kUnchanged), 1U);
}

TEST(PipelineSnapshots, StaleSnapshotAfterANewerOneYieldsNothing) {
    Harness h;
    h.feed(message(kQueueTopic, "new", R"({"id":"c3","participants":[
        {"id":"acd","purpose":"acd","queueId":"q1",
         "calls":[{"id":"c-2","state":"disconnected","disconnectType":"transfer",
                   "connectedTime":"2026-04-01T09:14:09.500Z"}]},
        {"id":"agent","purpose":"agent","userId":"u1",
         "calls":[{"id":"c-3","state":"connected","connectedTime":"2026-04-01T09:14:31.020Z",
                   "afterCallWork":{"state":"pending","startTime":"2026-04-01T09:14:38.000Z"}}]}
        ]})"));
    // Older: the agent still alerting, a customer leg not seen before.
    h.feed(message(kQueueTopic, "old", R"({"id":"c3","participants":[
        {"id":"cust","purpose":"customer",
         "calls":[{"id":"c-1","state":"connected","connectedTime":"2026-04-01T09:14:02.118Z"}]},
        {"id":"acd","purpose":"acd","queueId":"q1",
         "calls":[{"id":"c-2","state":"connected","connectedTime":"2026-04-01T09:14:09.500Z"}]},
        {"id":"agent","purpose":"agent","userId":"u1","calls":[{"id":"c-3","state":"alerting"}]}
        ]})"));
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{
                                 "c3:acd:queued 2026-04-01T09:14:09.500Z",
                                 "c3:agent:contact 2026-04-01T09:14:31.020Z",
                                 "c3:agent:acw 2026-04-01T09:14:38.000Z",
                             }));
    EXPECT_EQ(h.outcome(SnapshotOutcome::kStale), 1U);
    EXPECT_EQ(h.outcome(SnapshotOutcome::kDerived), 1U);
    EXPECT_EQ(h.pipeline.counts().snapshots.load(), 2U);
}

TEST(PipelineSnapshots, MessagesDifferingOnlyInCorrelationIdYieldOneTransitionEach) {
    Harness h;
    h.feed(message(kQueueTopic, "m1", kConnected));
    h.feed(message(kQueueTopic, "m2", kConnected));
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{
                                 "c1:p-acd:queued 2026-04-01T09:14:09.500Z",
                                 "c1:p-agent:contact 2026-04-01T09:14:31.020Z",
                             }));
    EXPECT_EQ(h.outcome(SnapshotOutcome::kDerived), 1U);
    EXPECT_EQ(h.outcome(SnapshotOutcome::kUnchanged), 1U);
    EXPECT_EQ(h.pipeline.counts().duplicates.load(), 0U);  // the deriver, not the dedup window
}

TEST(PipelineSnapshots, EmitSnapshotsDeliversTheEventBodyByteForByte) {
    Harness h(snapshot_options(kWall0914, SnapshotEmit::kSnapshots));
    // Pretty-printed, escapes and an unknown member: all kept.
    const std::string body =
        "{ \"id\": \"c5\",\n  \"participants\": [ {\"id\": \"p\", "
        "\"purpose\": \"acd\", \"name\": \"Caf\\u00e9 \\\"Q\\\"\",\n"
        "  \"calls\": [{\"state\": \"connected\", \"connectedTime\": "
        "\"2026-04-01T09:14:09.500Z\"}]} ],\n  \"future\": [1, 2.50] }";
    h.feed(message("v2.users.u1.conversations.calls", "corr-1", body));
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{"corr-1 2026-04-01T09:14:40.000Z R"}));
    const Delivered& d = h.memory->out.at(0);
    EXPECT_EQ(d.type, "conversation.snapshot");
    EXPECT_EQ(d.data, body);
    EXPECT_EQ(d.state, core::InteractionState::kNone);
    EXPECT_EQ(h.pipeline.counts().transitions.load(), 0U);
    EXPECT_EQ(h.outcome(SnapshotOutcome::kDerived), 1U);  // derived, not emitted
}

TEST(PipelineSnapshots, EmitBothDeliversSnapshotsAndTransitions) {
    Harness h(snapshot_options(kWall0914, SnapshotEmit::kBoth));
    h.feed(message(kQueueTopic, "m1", kConnected));
    h.feed(message(kQueueTopic, "m2", kConnected));
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{
                                 "c1:p-acd:queued 2026-04-01T09:14:09.500Z",
                                 "c1:p-agent:contact 2026-04-01T09:14:31.020Z",
                                 "m1 2026-04-01T09:14:40.000Z R",
                                 "m2 2026-04-01T09:14:40.000Z R",
                             }));
    EXPECT_EQ(h.memory->out.at(2).data, kConnected);
    EXPECT_EQ(h.memory->out.at(3).data, kConnected);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=4 delivered=4 dead_lettered=0 filtered=0 duplicates=0 "
              "control=0 snapshots=2 transitions=2");
}

TEST(PipelineSnapshots, RawSnapshotWithoutCorrelationIdIsDeadLetteredButStillDerives) {
    Harness h(snapshot_options(kWall0914, SnapshotEmit::kBoth));
    h.feed(R"({"topicName":")" + kQueueTopic + R"(","eventBody":)" + kConnected + "}");
    EXPECT_EQ(h.delivered().size(), 2U);
    EXPECT_EQ(h.dead.entries,
              (std::vector<std::string>{"schema /metadata/CorrelationId: required (a non-empty "
                                        "string, the id of a raw snapshot event)"}));
}

TEST(PipelineSnapshots, StatesFilterKeepsOnlyContact) {
    Harness h(snapshot_options(), {}, {}, {core::InteractionState::kContact});
    h.feed(message(kQueueTopic, "m1", kConnected));
    h.feed(message(kQueueTopic, "m2", kTerminated));
    EXPECT_EQ(h.delivered(),
              (std::vector<std::string>{"c1:p-agent:contact 2026-04-01T09:14:31.020Z"}));
    EXPECT_EQ(h.pipeline.counts().filtered_by_kind[static_cast<std::size_t>(FilterKind::kState)],
              2U);
}

TEST(PipelineSnapshots, QueueFilterAppliesToTransitions) {
    Harness h(snapshot_options(), {}, {"q2"});
    h.feed(message(kQueueTopic, "m1", kConnected));
    EXPECT_TRUE(h.delivered().empty());
    EXPECT_EQ(h.pipeline.counts().filtered_by_kind[static_cast<std::size_t>(FilterKind::kQueue)],
              2U);
}

TEST(PipelineSnapshots, MalformedSnapshotIsDeadLetteredWithItsReason) {
    Harness h;
    const std::string bad = message(kQueueTopic, "m1", R"({"id":"c9"})");
    h.feed(bad);
    h.feed(message(kQueueTopic, "m2", R"({"id":"","participants":[]})"));
    EXPECT_TRUE(h.delivered().empty());
    EXPECT_EQ(h.dead.entries,
              (std::vector<std::string>{
                  "schema /eventBody/participants: required (an array)",
                  "schema /eventBody/id: required (a non-empty string, the conversation id)"}));
    EXPECT_EQ(h.dead.raws.at(0), bad);
    EXPECT_EQ(h.outcome(SnapshotOutcome::kMalformed), 2U);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=2 delivered=0 dead_lettered=2 filtered=0 duplicates=0 "
              "control=0 snapshots=2 transitions=0");
}

std::shared_ptr<const SchemaRegistry> registry() {
    static const auto r = std::make_shared<const SchemaRegistry>(
        SchemaRegistry::load(std::string(GSTREAM_SOURCE_DIR) + "/schemas/events"));
    return r;
}

TEST(PipelineSnapshots, SchemaFailuresNameThePointerAndKeyword) {
    Harness h(snapshot_options(), schema_check(registry()));
    h.feed(message(kQueueTopic, "m1", R"({"id":"c9","participants":[{"id":"p",
        "connectedTime":"yesterday"}]})"));
    h.feed(message(kQueueTopic, "m2", R"({"participants":[]})"));
    h.pipeline.drain(h.now_ms);  // dead letters are written in groups
    EXPECT_EQ(h.dead.entries,
              (std::vector<std::string>{"schema /eventBody/participants/0/connectedTime: format",
                                        "schema /eventBody: required"}));
}

TEST(PipelineSnapshots, SummaryCountsSnapshotsApartFromTransitions) {
    Harness h;
    h.feed(message(kQueueTopic, "m1", kConnected));
    h.feed(message(kQueueTopic, "m2", kTerminated));
    h.feed(message(kQueueTopic, "m3", kTerminated));
    h.feed(R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})");
    h.pipeline.drain(h.now_ms);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=3 delivered=3 dead_lettered=0 filtered=0 duplicates=0 "
              "control=1 snapshots=3 transitions=3");
}

TEST(PipelineSnapshots, TransitionsAreOrderedByEventTimeBehindTheWatermark) {
    PipelineOptions options = snapshot_options();
    options.allowed_lateness_ms = 5000;
    Harness h(options);
    // c1's contact at 09:14:31.020 arrives first; c4's queued at 09:14:30 within the lateness
    // is released before it; c4's queued acd2 at 09:14:20 is behind the watermark: late.
    h.feed(message(kQueueTopic, "m1", R"({"id":"c1","participants":[
        {"id":"a","purpose":"agent","calls":[{"state":"connected",
         "connectedTime":"2026-04-01T09:14:31.020Z"}]}]})"));
    h.feed(message(kQueueTopic, "m2", R"({"id":"c4","participants":[
        {"id":"q","purpose":"acd","calls":[{"state":"connected",
         "connectedTime":"2026-04-01T09:14:30.000Z"}]},
        {"id":"q2","purpose":"acd","calls":[{"state":"connected",
         "connectedTime":"2026-04-01T09:14:20.000Z"}]}]})"));
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{
                                 "c4:q2:queued 2026-04-01T09:14:20.000Z L",
                                 "c4:q:queued 2026-04-01T09:14:30.000Z",
                                 "c1:a:contact 2026-04-01T09:14:31.020Z",
                             }));
}

TEST(PipelineSnapshots, StateTableIsBoundedByTheOptions) {
    PipelineOptions options = snapshot_options();
    options.snapshots.ended_ttl_ms = 50;
    options.snapshots.max_conversations = 1;
    Harness h(options);
    h.feed(message(kQueueTopic, "m1", kConnected));
    h.feed(message(kQueueTopic, "m2", kTerminated));  // c1 ended
    EXPECT_EQ(h.pipeline.counts().snapshot_conversations.load(), 1U);
    h.pipeline.tick(h.now_ms + 50);  // the ended TTL
    EXPECT_EQ(h.pipeline.counts().snapshot_conversations.load(), 0U);
    EXPECT_EQ(h.pipeline.deriver().evicted(), 1U);
    h.now_ms += 100;
    h.feed(message(kQueueTopic, "m3", kConnected));
    h.feed(message(kQueueTopic, "m4", R"({"id":"c7","participants":[]})"));  // over capacity
    EXPECT_EQ(h.pipeline.counts().snapshot_conversations.load(), 1U);
    EXPECT_EQ(h.pipeline.deriver().evicted(), 2U);
    // c1 was forgotten: its transitions are derived again with the same ids, and the id
    // de-duplicator drops them.
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{
                                 "c1:p-acd:queued 2026-04-01T09:14:09.500Z",
                                 "c1:p-agent:contact 2026-04-01T09:14:31.020Z",
                                 "c1:p-cust:ended 2026-04-01T09:14:40.000Z R",
                             }));
    EXPECT_EQ(h.pipeline.counts().duplicates.load(), 2U);
}

// --- The real samples -------------------------------------------------------------------------

#define SKIP_WITHOUT_SAMPLES()                                                                  \
    do {                                                                                        \
        if (!std::filesystem::is_directory(kSamples)) {                                         \
            GTEST_SKIP() << "real Genesys samples not found at " << kSamples.string()           \
                         << " (set GSTREAM_SHARED_DIR at configure time to the shared folder)"; \
        }                                                                                       \
    } while (false)

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

constexpr std::string_view kAcwSample = "notification-user-conversations-callback-acw-01.json";
constexpr std::string_view kDisconnectedSample =
    "notification-user-conversations-callback-disconnected-02.json";

// What both samples prove (docs/lifecycle.md "The real samples"): the acd leg's connectedTime
// proves queued; agent leg fdee1ac6's callback connectedTime proves contact, its afterCallWork
// (pending, startTime) proves acw. Agent legs 125632bf and bbea022c alerted and timed out without
// connecting (disconnectType client / system): nothing. The customer's callback is still
// connected: no ended.
const std::vector<std::string> kSampleTransitions = {
    "68cb4546-9425-4380-a027-6b016c331569:9e96da37-d398-4c5d-87c7-a3597dbf88b6:queued "
    "2022-07-04T20:04:12.132Z",
    "68cb4546-9425-4380-a027-6b016c331569:fdee1ac6-27a6-422c-be99-1865665081d3:contact "
    "2022-07-04T20:07:20.528Z",
    "68cb4546-9425-4380-a027-6b016c331569:fdee1ac6-27a6-422c-be99-1865665081d3:acw "
    "2022-07-04T20:08:25.397Z",
};

TEST(PipelineSnapshotSamples, EveryRealConversationSnapshotPassesItsSchema) {
    SKIP_WITHOUT_SAMPLES();
    const CompiledSchema* schema = registry()->snapshot();
    ASSERT_NE(schema, nullptr);
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(kSamples)) {
        const std::string text = read(entry.path());
        core::JsonDocument doc;
        if (entry.path().extension() != ".json" || !doc.parse(text)) {
            continue;
        }
        const core::JsonValue topic = doc.root().find("topicName");
        if (!topic.is_string() || !is_conversation_snapshot_topic(topic.get_string())) {
            continue;
        }
        SCOPED_TRACE(entry.path().filename().string());
        SchemaError error;
        EXPECT_TRUE(schema->validate(doc.root().find("eventBody"), &error))
            << error.instance_pointer << ": " << error.keyword << " " << error.message;
        ++checked;
    }
    EXPECT_GE(checked, 2);
}

TEST(PipelineSnapshotSamples, EachUserSampleYieldsExactlyWhatItsParticipantsProve) {
    SKIP_WITHOUT_SAMPLES();
    for (std::string_view name : {kAcwSample, kDisconnectedSample}) {
        SCOPED_TRACE(name);
        Harness h(snapshot_options(kWall2022), schema_check(registry()));
        h.feed(read(kSamples / name));
        EXPECT_EQ(h.delivered(), kSampleTransitions);
        EXPECT_TRUE(h.dead.entries.empty()) << h.dead.entries.front();
        for (const Delivered& d : h.memory->out) {
            EXPECT_NE(d.data.find(R"("topicName":"v2.users.fd134e7c-97bc-47c2-a025-645f00af92fd.)"
                                  R"(conversations")"),
                      std::string::npos);
            EXPECT_NE(d.data.find(R"("queueId":"bb99a338-b1c6-45a1-85c8-8943e86febf4")"),
                      std::string::npos);
        }
    }
}

TEST(PipelineSnapshotSamples, TheLaterSampleAfterTheEarlierYieldsNothingMore) {
    SKIP_WITHOUT_SAMPLES();
    Harness h(snapshot_options(kWall2022), schema_check(registry()));
    h.feed(read(kSamples / kAcwSample));
    h.feed(read(kSamples / kDisconnectedSample));
    EXPECT_EQ(h.delivered(), kSampleTransitions);
    EXPECT_EQ(h.outcome(SnapshotOutcome::kDerived), 1U);
    EXPECT_EQ(h.outcome(SnapshotOutcome::kUnchanged), 1U);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=3 delivered=3 dead_lettered=0 filtered=0 duplicates=0 "
              "control=0 snapshots=2 transitions=3");
}

// API-NOTES.md §4.3's queue example (values invented there; no real queue capture exists, see
// SOURCES.md "not found"): the acd leg proves queued at its call's connectedTime, the agent leg
// alerting at the receive time; the customer is still connected.
TEST(PipelineSnapshotSamples, ApiNotesQueueExampleYieldsQueuedAndAlerting) {
    const std::string example =
        R"({ "topicName": "v2.routing.queues.2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c.conversations",
  "version": "2",
  "eventBody": {
    "id": "7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e",
    "participants": [
      { "id": "p-cust", "purpose": "customer", "connectedTime": "2026-04-01T09:14:02.118Z",
        "queueId": "2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c", "address": "tel:+15551230000",
        "wrapupRequired": false, "attributes": {"ivr.Language": "en"},
        "calls": [ { "id": "c-1", "state": "connected", "direction": "inbound",
                     "connectedTime": "2026-04-01T09:14:02.118Z",
                     "self": {"addressNormalized": "tel:+15551230000"} } ] },
      { "id": "p-acd", "purpose": "acd", "queueId": "2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c",
        "connectedTime": "2026-04-01T09:14:09.500Z", "endTime": "2026-04-01T09:14:31.020Z",
        "calls": [ { "id": "c-2", "state": "disconnected", "disconnectType": "transfer",
                     "disconnectedTime": "2026-04-01T09:14:31.020Z" } ] },
      { "id": "p-agent", "purpose": "agent", "userId": "9b7d", "queueId": "2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c",
        "wrapupRequired": true, "calls": [ { "id": "c-3", "state": "alerting", "direction": "inbound" } ] } ],
    "recordingState": "none" },
  "metadata": { "CorrelationId": "b1d7" } })";
    Harness h(snapshot_options(), schema_check(registry()));
    h.feed(example);
    EXPECT_EQ(h.delivered(),
              (std::vector<std::string>{
                  "7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e:p-acd:queued 2026-04-01T09:14:09.500Z",
                  "7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e:p-agent:alerting "
                  "2026-04-01T09:14:40.000Z R"}));
    EXPECT_TRUE(h.dead.entries.empty());
}

TEST(PipelineSnapshotSchemas, TransitionSchemaRejectsAnUnknownStateOrMember) {
    const CompiledSchema* schema = registry()->transition();
    ASSERT_NE(schema, nullptr);
    auto valid = [&](std::string_view json) {
        core::JsonDocument doc;
        EXPECT_TRUE(doc.parse(json));
        return schema->validate(doc.root());
    };
    const std::string data =
        R"("data":{"purpose":"agent","conversationId":"c","participantId":"p","topicName":"t")";
    EXPECT_TRUE(valid(R"({"id":"c:p:acw","timestamp":"2026-04-01T09:14:40Z","eventType":"acw",)" +
                      data + "}}"));
    EXPECT_FALSE(valid(R"({"id":"c:p:x","timestamp":"2026-04-01T09:14:40Z","eventType":"x",)" +
                       data + "}}"));
    EXPECT_FALSE(valid(R"({"id":"c:p:acw","timestamp":"2026-04-01T09:14:40Z","eventType":"acw",)" +
                       data + R"(,"extra":1}})"));
    EXPECT_FALSE(valid(R"({"id":"c:p:acw","timestamp":"2026-04-01T09:14:40Z","eventType":"acw",)" +
                       data + R"(,"timeSource":"snapshot"}})"));
}

}  // namespace
}  // namespace gstream::pipeline

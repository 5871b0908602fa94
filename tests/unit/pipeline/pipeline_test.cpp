#include "pipeline/pipeline.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sink/file/file_formatter.hpp"
#include "support/test_paths.hpp"

namespace gstream::pipeline {
namespace {

class MemorySink final : public sink::Sink {
public:
    std::string_view name() const override { return "memory"; }
    sink::SinkResult write_batch(std::span<const core::Event> events) override {
        std::vector<std::string> batch;
        for (const auto& e : events) {
            batch.push_back(std::string(e.id.get_string()) + (e.late ? "!" : ""));
        }
        batches.push_back(std::move(batch));
        return sink::SinkResult::kOk;
    }
    std::vector<std::vector<std::string>> batches;
};

class MemoryDeadLetters final : public DeadLetterWriter {
public:
    void write(std::vector<Rejection>& rejections) override {
        for (auto& r : rejections) {
            reasons.emplace_back(core::reason_name(r.reason));
        }
    }
    std::vector<std::string> reasons;
};

std::string ev(const std::string& id, const std::string& ts, const std::string& type = "acd.start",
               const std::string& queue = "q1") {
    return R"({"id":")" + id + R"(","timestamp":")" + ts + R"(","eventType":")" + type +
           R"(","data":{"conversationId":"c","eventTime":1,"queueId":")" + queue + R"("}})";
}

std::string envelope(const std::vector<std::string>& events) {
    std::string s = R"({"subscriptionId":"s","events":[)";
    for (std::size_t i = 0; i < events.size(); ++i) {
        s += (i ? "," : "") + events[i];
    }
    return s + "]}";
}

struct Harness {
    explicit Harness(PipelineOptions options = {}, std::vector<std::string> queues = {},
                     std::vector<core::InteractionState> states = {})
        : driver(make_sinks(), {}, [] { return true; })
        , pipeline(options, Validator{}, Filter(std::move(queues), std::move(states), {}), driver,
                   dead) {}
    std::vector<std::unique_ptr<sink::Sink>> make_sinks() {
        auto s = std::make_unique<MemorySink>();
        memory = s.get();
        std::vector<std::unique_ptr<sink::Sink>> v;
        v.push_back(std::move(s));
        return v;
    }
    std::vector<std::string> delivered() const {
        std::vector<std::string> out;
        for (const auto& b : memory->batches) {
            out.insert(out.end(), b.begin(), b.end());
        }
        return out;
    }
    MemorySink* memory = nullptr;
    MemoryDeadLetters dead;
    SinkDriver driver;
    Pipeline pipeline;
};

TEST(Pipeline, OrdersAcrossBatchesByInstantNotByString) {
    PipelineOptions options;
    options.batch.max_events = 2;
    options.allowed_lateness_ms = 10'000;
    Harness h(options);
    // The string order differs from the instant order because of offsets and fraction digits.
    h.pipeline.on_message(envelope({ev("a", "2026-11-30T10:00:01.5+01:00"),
                                    ev("b", "2026-11-30T09:00:01Z"),
                                    ev("c", "2026-11-30T09:00:01.25Z"),
                                    ev("d", "2026-11-30T08:30:00.000001-00:30")}),
                          0, 0);
    h.pipeline.drain(0);
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{"d", "b", "c", "a"}));
    EXPECT_EQ(h.memory->batches.size(), 2U);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=4 delivered=4 dead_lettered=0 filtered=0 duplicates=0 control=0 "
              "snapshots=0 transitions=0");
}

TEST(Pipeline, ConservesCountsAcrossEveryOutcome) {
    Harness h({}, {"q1"}, {core::InteractionState::kQueued});
    h.pipeline.on_message(envelope({ev("a", "2026-11-30T09:00:00Z"),
                                    ev("a", "2026-11-30T09:00:00Z"),              // duplicate
                                    ev("b", "2026-11-30T09:00:01Z", "acd.start", "q2"),  // queue
                                    ev("c", "2026-11-30T09:00:02Z", "customer.start"),   // state
                                    ev("d", "2026-11-30T09:00:60Z"),               // bad timestamp
                                    R"({"id":"e","timestamp":"2026-11-30T09:00:00Z","eventType":"acd.start","data":[]})"}),
                          0, 0);
    h.pipeline.on_message("not json", 0, 0);
    h.pipeline.on_message(R"({"stream":"interaction.lifecycle"})", 0, 0);
    h.pipeline.drain(0);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=7 delivered=1 dead_lettered=3 filtered=2 duplicates=1 control=1 "
              "snapshots=0 transitions=0");
    EXPECT_EQ(h.dead.reasons, (std::vector<std::string>{"bad_timestamp", "schema", "not_json"}));
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{"a"}));
}

TEST(Pipeline, WritesDeadLettersInGroupsByAgeAndCount) {
    PipelineOptions options;
    options.dead_letter_flush_ms = 100;
    options.dead_letter_max_pending = 3;
    Harness h(options);
    h.pipeline.on_message("not json", 0, 1000);
    h.pipeline.on_message("still not json", 0, 1050);
    EXPECT_TRUE(h.dead.reasons.empty());  // pending: one transaction for the group
    ASSERT_TRUE(h.pipeline.next_deadline_ms().has_value());
    EXPECT_EQ(*h.pipeline.next_deadline_ms(), 1100);
    h.pipeline.tick(1099);
    EXPECT_TRUE(h.dead.reasons.empty());
    h.pipeline.tick(1100);
    EXPECT_EQ(h.dead.reasons.size(), 2U);
    EXPECT_FALSE(h.pipeline.next_deadline_ms().has_value());
    for (int i = 0; i < 3; ++i) {
        h.pipeline.on_message("{", 0, 2000);  // the third reaches max_pending
    }
    EXPECT_EQ(h.dead.reasons.size(), 5U);
    h.pipeline.on_message("[", 0, 2001);
    h.pipeline.drain(2001);
    EXPECT_EQ(h.dead.reasons.size(), 6U);
}

TEST(Pipeline, FlagsLateEventsAndReleasesAQuietStream) {
    PipelineOptions options;
    options.allowed_lateness_ms = 2000;
    Harness h(options);
    h.pipeline.on_message(envelope({ev("a", "2026-11-30T09:00:10Z")}), 0, 1000);
    h.pipeline.on_message(envelope({ev("late", "2026-11-30T09:00:07Z")}), 0, 1001);
    EXPECT_EQ(h.pipeline.next_deadline_ms(), 3000);
    h.pipeline.tick(2999);
    h.pipeline.tick(3000);  // "a" released by processing time; the batch (age 10 s) still open
    EXPECT_EQ(h.pipeline.next_deadline_ms(), 11'001);
    h.pipeline.tick(11'001);
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{"late!", "a"}));
    EXPECT_EQ(h.pipeline.counts().late.load(), 1U);
}

TEST(Pipeline, DeadLetterLatePolicyDeadLettersAndCountsLateEvents) {
    PipelineOptions options;
    options.allowed_lateness_ms = 2000;
    options.late_policy = LatePolicy::kDeadLetter;
    Harness h(options);
    h.pipeline.on_message(envelope({ev("a", "2026-11-30T09:00:10Z")}), 0, 1000);
    h.pipeline.on_message(envelope({ev("late", "2026-11-30T09:00:07Z")}), 0, 1001);
    h.pipeline.drain(1001);
    EXPECT_EQ(h.delivered(), (std::vector<std::string>{"a"}));
    EXPECT_EQ(h.dead.reasons, (std::vector<std::string>{"late"}));
    EXPECT_EQ(h.pipeline.counts().late.load(), 1U);
    EXPECT_EQ(h.pipeline.counts().dead_lettered.load(), 1U);
}

// Issue 16, defect 3: detail events are de-duplicated by what identifies them. The same acd.start
// delivered again with a new CorrelationId reaches the sink once; another event that happens to
// carry the same CorrelationId is not taken for a repeat.
TEST(Pipeline, DetailEventsAreDeduplicatedByWhatIdentifiesThemNotByCorrelationId) {
    PipelineOptions options;
    options.protocol = Protocol::kNotifications;
    Harness h(options);
    const auto message = [](const std::string& kind, const std::string& correlation_id) {
        return R"({"topicName":"v2.detail.events.conversation.c1.)" + kind +
               R"(","version":"2","eventBody":{"eventTime":1775121295301,"conversationId":"c1",)"
               R"("participantId":"p1","sessionId":"s1","queueId":"q1"},)"
               R"("metadata":{"CorrelationId":")" +
               correlation_id + R"("}})";
    };
    h.pipeline.on_message(message("acd.start", "corr-1"), 0, 0);
    h.pipeline.on_message(message("acd.start", "corr-2"), 0, 0);  // redelivered
    h.pipeline.on_message(message("acd.end", "corr-1"), 0, 0);    // another event
    h.pipeline.drain(0);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=3 delivered=2 dead_lettered=0 filtered=0 duplicates=1 control=0 "
              "snapshots=0 transitions=0");
    const std::vector<std::string> ids = h.delivered();
    ASSERT_EQ(ids.size(), 2U);
    EXPECT_NE(ids[0], ids[1]);
}

// Every real conversation detail event of shared/fixtures/genesys-real (EventBridge captures; five
// of the eight carry the same CorrelationId, two others another one) is delivered once as
// EventBridge hands it over (`detail`), and not again when the WebSocket brings it (one line, a
// new CorrelationId).
TEST(Pipeline, RealDetailEventsAreOneEventsByEventBridgeAndByWebSocket) {
    const std::filesystem::path samples =
        std::filesystem::path(GSTREAM_SHARED_DIR) / "fixtures" / "genesys-real";
    if (!std::filesystem::is_directory(samples)) {
        GTEST_SKIP() << "real Genesys samples not found at " << samples.string();
    }
    std::vector<std::string> eventbridge;
    std::vector<std::string> websocket;
    for (const auto& entry : std::filesystem::directory_iterator(samples)) {
        if (!entry.path().filename().string().starts_with("eventbridge-")) {
            continue;
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(text.str())) << entry.path();
        const core::JsonValue detail = doc.root().find("detail");
        if (!detail.find("topicName").get_string().starts_with("v2.detail.events.conversation.")) {
            continue;
        }
        eventbridge.emplace_back(detail.raw());
        std::string body;
        sink::file::append_minified(detail.find("eventBody").raw(), body);
        websocket.push_back(R"({"topicName":)" + std::string(detail.find("topicName").raw()) +
                            R"(,"version":"2","eventBody":)" + body +
                            R"(,"metadata":{"CorrelationId":"ws-)" +
                            std::to_string(websocket.size()) + R"("}})");
    }
    ASSERT_EQ(eventbridge.size(), 8U);
    PipelineOptions options;
    options.protocol = Protocol::kNotifications;
    Harness h(options);
    for (const std::string& m : eventbridge) {
        h.pipeline.on_message(m, 0, 0);
    }
    for (const std::string& m : websocket) {
        h.pipeline.on_message(m, 0, 0);
    }
    h.pipeline.drain(0);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=16 delivered=8 dead_lettered=0 filtered=0 duplicates=8 control=0 "
              "snapshots=0 transitions=0");
}

}  // namespace
}  // namespace gstream::pipeline

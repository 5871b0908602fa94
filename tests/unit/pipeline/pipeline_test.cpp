#include "pipeline/pipeline.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

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
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (e_refused(events[i])) {
                refused.push_back({i, "too_large: the test refuses ids starting with 'x'"});
            }
        }
        return sink::SinkResult::kOk;
    }
    std::vector<sink::RejectedEvent> take_rejected() override { return std::exchange(refused, {}); }
    static bool e_refused(const core::Event& e) { return e.id.get_string().starts_with("x"); }
    std::vector<std::vector<std::string>> batches;
    std::vector<sink::RejectedEvent> refused;
};

class MemoryDeadLetters final : public DeadLetterWriter {
public:
    void write(std::vector<Rejection>& rejections) override {
        for (auto& r : rejections) {
            reasons.emplace_back(core::reason_name(r.reason));
            details.push_back(r.detail);
        }
    }
    std::vector<std::string> reasons;
    std::vector<std::string> details;
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

TEST(Pipeline, AnEventASinkRefusesAloneIsDeadLetteredAndTheRestOfItsBatchDelivered) {
    Harness h;
    h.pipeline.on_message(envelope({ev("a", "2026-11-30T09:00:00Z"), ev("x1", "2026-11-30T09:00:01Z"),
                                    ev("b", "2026-11-30T09:00:02Z")}),
                          0, 0);
    h.pipeline.drain(0);
    EXPECT_EQ(h.pipeline.counts().summary_line(),
              "summary: received=3 delivered=2 dead_lettered=1 filtered=0 duplicates=0 control=0 "
              "snapshots=0 transitions=0");
    EXPECT_EQ(h.dead.reasons, (std::vector<std::string>{"sink_rejected"}));
    EXPECT_EQ(h.dead.details,
              (std::vector<std::string>{
                  "sink memory rejected the event: too_large: the test refuses ids starting with 'x'"}));
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

}  // namespace
}  // namespace gstream::pipeline

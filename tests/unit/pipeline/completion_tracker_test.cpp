#include "pipeline/completion_tracker.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace gstream::pipeline {
namespace {

// An event of message `sequence` whose id token is `id`.
core::Event event(std::uint64_t sequence, const std::string& id) {
    auto m = std::make_shared<core::Message>();
    m->payload = R"({"id":")" + id + R"("})";
    m->sequence = sequence;
    EXPECT_TRUE(m->doc.parse_in_place(m->payload));
    core::Event e;
    e.id = m->doc.root().find("id");
    e.message = std::move(m);
    return e;
}

TEST(CompletionTracker, StartsAtTheCheckpoint) {
    const CompletionTracker t(42);
    EXPECT_EQ(t.next_incomplete(), 42u);
    EXPECT_EQ(t.held_events(), 0u);
}

TEST(CompletionTracker, MessagesWithoutHeldEventsAreCompleteAtOnce) {
    CompletionTracker t(0);
    t.on_message(0);
    t.on_message(1);
    EXPECT_EQ(t.next_incomplete(), 2u);
}

TEST(CompletionTracker, TheOldestHeldEventBoundsTheCommitPoint) {
    CompletionTracker t(10);
    t.on_message(10);
    const core::Event a = event(10, "a");
    const core::Event b = event(10, "b");
    t.on_held(a);
    t.on_held(b);
    t.on_message(11);
    const core::Event c = event(11, "c");
    t.on_held(c);
    t.on_message(12);  // control message: nothing held
    EXPECT_EQ(t.next_incomplete(), 10u);
    EXPECT_TRUE(t.held("a"));
    // Delivered out of message order (the orderer sorts by event time).
    t.on_done(c);
    EXPECT_EQ(t.next_incomplete(), 10u);
    EXPECT_FALSE(t.held("c"));
    t.on_done(a);
    EXPECT_EQ(t.next_incomplete(), 10u);
    t.on_done(b);
    EXPECT_EQ(t.next_incomplete(), 13u);
    EXPECT_EQ(t.held_events(), 0u);
}

TEST(CompletionTracker, TheSameIdHeldTwiceStaysHeldUntilBothAreDone) {
    CompletionTracker t(0);
    t.on_message(0);
    const core::Event a0 = event(0, "a");
    t.on_held(a0);
    t.on_message(1);
    const core::Event a1 = event(1, "a");
    t.on_held(a1);
    t.on_done(a0);
    EXPECT_TRUE(t.held("a"));
    EXPECT_EQ(t.next_incomplete(), 1u);
    t.on_done(a1);
    EXPECT_FALSE(t.held("a"));
    EXPECT_EQ(t.next_incomplete(), 2u);
}

}  // namespace
}  // namespace gstream::pipeline

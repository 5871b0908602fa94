#include "pipeline/frame_queue.hpp"

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace gstream::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

TEST(FrameQueue, HandsOverEveryQueuedFrameOldestFirst) {
    FrameQueue queue(4);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(queue.push_nowait({std::to_string(i), i}));
    }
    std::vector<ReceivedFrame> out;
    ASSERT_EQ(queue.pop_all_until(Clock::now(), out), 3U);
    EXPECT_EQ(out[0].payload, "0");
    EXPECT_EQ(out[2].payload, "2");
    EXPECT_EQ(out[2].received_ns, 2);
    EXPECT_EQ(queue.pop_all_until(Clock::now(), out), 0U);  // timed out, nothing queued
    EXPECT_TRUE(out.empty());
}

TEST(FrameQueue, WakesAWaitingConsumerAndEndsOnClose) {
    FrameQueue queue(8);
    std::vector<ReceivedFrame> out;
    auto consumer = std::async(std::launch::async, [&] {
        return queue.pop_all_until(Clock::now() + std::chrono::seconds(30), out);
    });
    ASSERT_TRUE(queue.push_nowait({"x", 7}));
    EXPECT_EQ(consumer.get(), 1U);
    EXPECT_EQ(out[0].payload, "x");
    ASSERT_TRUE(queue.push_nowait({"y", 8}));
    queue.close();
    EXPECT_TRUE(queue.push_nowait({"z", 9}));  // not taken: the consumer is gone
    EXPECT_FALSE(queue.closed_and_empty());
    EXPECT_EQ(queue.pop_all_until(Clock::now() + std::chrono::seconds(30), out), 1U);
    EXPECT_EQ(out[0].payload, "y");
    EXPECT_TRUE(queue.closed_and_empty());
    EXPECT_EQ(queue.pop_all_until(Clock::now() + std::chrono::seconds(30), out), 0U);
}

}  // namespace
}  // namespace gstream::pipeline

namespace gstream::pipeline {
namespace {

// The io thread's side never blocks: the frame that fills the queue is taken and answered with
// "no room"; the consumer's next pop calls the room callback once, outside the lock.
// The consumer's spent payload buffers go back with its next pop, and the producer's next push
// frees them (on the thread that allocated them); after close the consumer frees them itself.
TEST(FrameQueue, SpentBuffersAreFreedByTheNextPush) {
    FrameQueue queue(8);
    ASSERT_TRUE(queue.push_nowait({"a", 1}));
    std::vector<ReceivedFrame> out;
    std::vector<std::string> spent{std::string(5000, 'x'), std::string(300, 'y')};
    ASSERT_EQ(queue.pop_all_until(Clock::now(), out, &spent), 1U);
    EXPECT_TRUE(spent.empty());
    EXPECT_EQ(queue.spent_pending(), 2U);
    ASSERT_TRUE(queue.push_nowait({"b", 2}));
    EXPECT_EQ(queue.spent_pending(), 0U);

    queue.close();
    spent.assign(3, std::string(100, 'z'));
    ASSERT_EQ(queue.pop_all_until(Clock::now(), out, &spent), 1U);
    EXPECT_EQ(out[0].payload, "b");
    EXPECT_TRUE(spent.empty());
    EXPECT_EQ(queue.spent_pending(), 0U);
}

TEST(FrameQueueNoWait, FullAnswersNoRoomAndThePopCallsTheRoomCallbackOnce) {
    FrameQueue queue(2);
    int calls = 0;
    queue.set_room_callback([&] {
        ++calls;
        EXPECT_TRUE(queue.push_nowait({"from the callback", 0}));  // the lock is not held
    });
    EXPECT_TRUE(queue.push_nowait({"a", 1}));
    EXPECT_FALSE(queue.push_nowait({"b", 2}));
    std::vector<ReceivedFrame> out;
    ASSERT_EQ(queue.pop_all_until(std::chrono::steady_clock::now(), out), 2u);
    EXPECT_EQ(out[0].payload, "a");
    EXPECT_EQ(out[1].payload, "b");
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(queue.pop_all_until(std::chrono::steady_clock::now(), out), 1u);
    EXPECT_EQ(calls, 1);  // no producer was waiting
    queue.close();
    EXPECT_TRUE(queue.push_nowait({"after close", 0}));  // dropped: nothing to wait for
    EXPECT_TRUE(queue.closed_and_empty());
}

}  // namespace
}  // namespace gstream::pipeline

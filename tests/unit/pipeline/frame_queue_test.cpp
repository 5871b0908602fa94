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
        ASSERT_TRUE(queue.push({std::to_string(i), i}));
    }
    std::vector<ReceivedFrame> out;
    ASSERT_EQ(queue.pop_all_until(Clock::now(), out), 3U);
    EXPECT_EQ(out[0].payload, "0");
    EXPECT_EQ(out[2].payload, "2");
    EXPECT_EQ(out[2].received_ns, 2);
    EXPECT_EQ(queue.pop_all_until(Clock::now(), out), 0U);  // timed out, nothing queued
    EXPECT_TRUE(out.empty());
}

TEST(FrameQueue, BlocksTheProducerWhileFullAndWakesItWhenTaken) {
    FrameQueue queue(2);
    ASSERT_TRUE(queue.push({"a", 0}));
    ASSERT_TRUE(queue.push({"b", 0}));
    auto third = std::async(std::launch::async, [&] { return queue.push({"c", 0}); });
    EXPECT_EQ(third.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
    std::vector<ReceivedFrame> out;
    ASSERT_EQ(queue.pop_all_until(Clock::now(), out), 2U);
    EXPECT_TRUE(third.get());
    ASSERT_EQ(queue.pop_all_until(Clock::now() + std::chrono::seconds(5), out), 1U);
    EXPECT_EQ(out[0].payload, "c");
}

TEST(FrameQueue, WakesAWaitingConsumerAndEndsOnClose) {
    FrameQueue queue(8);
    std::vector<ReceivedFrame> out;
    auto consumer = std::async(std::launch::async, [&] {
        return queue.pop_all_until(Clock::now() + std::chrono::seconds(30), out);
    });
    ASSERT_TRUE(queue.push({"x", 7}));
    EXPECT_EQ(consumer.get(), 1U);
    EXPECT_EQ(out[0].payload, "x");
    ASSERT_TRUE(queue.push({"y", 8}));
    queue.close();
    EXPECT_FALSE(queue.push({"z", 9}));  // refused, not dropped silently: the caller keeps it
    EXPECT_FALSE(queue.closed_and_empty());
    EXPECT_EQ(queue.pop_all_until(Clock::now() + std::chrono::seconds(30), out), 1U);
    EXPECT_TRUE(queue.closed_and_empty());
    EXPECT_EQ(queue.pop_all_until(Clock::now() + std::chrono::seconds(30), out), 0U);
}

}  // namespace
}  // namespace gstream::pipeline

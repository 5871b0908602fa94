#include "pipeline/message_pool.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace gstream::pipeline {
namespace {

TEST(MessagePool, AReleasedMessageIsHandedOutAgainWithItsCapacity) {
    MessagePool pool;
    core::Message* first = nullptr;
    {
        auto m = pool.take(100);
        first = m.get();
        m->payload.assign(4000, 'x');
        ASSERT_TRUE(m->doc.parse(R"({"a":[1,2,3]})"));
    }
    auto again = pool.take(200);
    EXPECT_EQ(again.get(), first);
    EXPECT_GE(again->payload.capacity(), 4000U);
    EXPECT_EQ(pool.size(), 1U);
}

TEST(MessagePool, AMessageStillViewedIsNotReused) {
    MessagePool pool;
    auto held = pool.take(10);
    auto other = pool.take(10);
    EXPECT_NE(held.get(), other.get());
    core::Message* other_ptr = other.get();
    other.reset();
    // The oldest is still held: take() skips it and finds the released one.
    EXPECT_EQ(pool.take(10).get(), other_ptr);
    EXPECT_EQ(pool.size(), 2U);
}

TEST(MessagePool, TiersBoundWhatIsKept) {
    MessagePool pool;
    std::vector<std::shared_ptr<core::Message>> large;
    for (std::size_t i = 0; i < MessagePool::kLargeMessages + 5; ++i) {
        large.push_back(pool.take(MessagePool::kSmallPayloadBytes + 1));
    }
    EXPECT_EQ(pool.size(), MessagePool::kLargeMessages);  // the rest were handed out untracked
    auto huge = pool.take(MessagePool::kLargePayloadBytes + 1);
    EXPECT_EQ(pool.size(), MessagePool::kLargeMessages);
    core::Message* huge_ptr = huge.get();
    huge.reset();
    large.clear();
    // Every tracked large message is free again; the huge one was never kept.
    std::vector<std::shared_ptr<core::Message>> again;
    for (std::size_t i = 0; i < MessagePool::kLargeMessages; ++i) {
        again.push_back(pool.take(MessagePool::kSmallPayloadBytes + 1));
        EXPECT_NE(again.back().get(), huge_ptr);
    }
    EXPECT_EQ(pool.size(), MessagePool::kLargeMessages);
}

// Messages released on another thread (as the sink cursors and the pipeline may) come back.
TEST(MessagePool, MessagesReleasedOnAnotherThreadAreReused) {
    MessagePool pool;
    std::vector<std::shared_ptr<core::Message>> batch;
    for (int i = 0; i < 100; ++i) {
        batch.push_back(pool.take(64));
        batch.back()->payload = "message " + std::to_string(i);
    }
    std::thread([b = std::move(batch)]() mutable { b.clear(); }).join();
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(pool.take(64)->payload.rfind("message ", 0), 0U);
    }
    EXPECT_EQ(pool.size(), 100U);
}

}  // namespace
}  // namespace gstream::pipeline

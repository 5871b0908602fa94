#include "source/backoff.hpp"

#include <gtest/gtest.h>

#include "source/envelope/envelope_protocol.hpp"

namespace gstream::source {
namespace {

TEST(BackoffTest, CeilingDoublesUpToMaxAndDrawsStayInItsUpperHalf) {
    Backoff backoff(100, 1000, 42);
    const std::int64_t expected[] = {100, 200, 400, 800, 1000, 1000};
    for (std::int64_t ceiling : expected) {
        EXPECT_EQ(backoff.ceiling_ms(), ceiling);
        EXPECT_EQ(backoff.floor_ms(), ceiling / 2);
        const std::int64_t d = backoff.next_delay_ms();
        EXPECT_GE(d, ceiling / 2);
        EXPECT_LE(d, ceiling);
    }
    backoff.reset();
    EXPECT_EQ(backoff.ceiling_ms(), 100);
    EXPECT_EQ(backoff.attempts(), 0);
}

TEST(BackoffTest, EveryDrawOfManySeedsRespectsTheFloor) {
    // The floor is what bounds a retry loop: n draws never sum to less than their floors.
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        Backoff backoff(50, 200, seed);
        std::int64_t sum = 0;
        for (int i = 0; i < 8; ++i) {
            sum += backoff.next_delay_ms();
        }
        EXPECT_GE(sum, 25 + 50 + 100 + 100 + 100 + 100 + 100 + 100) << "seed " << seed;
        EXPECT_LE(sum, 50 + 100 + 200 * 6) << "seed " << seed;
    }
}

TEST(BackoffTest, ClampsNonsense) {
    Backoff backoff(0, -5, 1);
    EXPECT_EQ(backoff.ceiling_ms(), 1);
    EXPECT_EQ(backoff.floor_ms(), 1);
    EXPECT_EQ(backoff.next_delay_ms(), 1);
}

TEST(EnvelopeProtocolTest, SubscriptionBodyShapes) {
    EXPECT_EQ(envelope::subscription_body({"q1"}, {"queued", "contact"}),
              R"({"stream":"interaction.lifecycle","filter":{"routing.queue.id":"q1",)"
              R"("interaction.state":["queued","contact"]}})");
    EXPECT_EQ(envelope::subscription_body({"q1", "q2"}, {}),
              R"({"stream":"interaction.lifecycle","filter":{"routing.queue.id":["q1","q2"]}})");
    EXPECT_EQ(envelope::subscription_body({}, {}),
              R"({"stream":"interaction.lifecycle","filter":{}})");
}

TEST(EnvelopeProtocolTest, Urls) {
    EXPECT_EQ(envelope::subscription_url("https://api.mypurecloud.com/"),
              "https://api.mypurecloud.com/api/v2/eventbridge/streams/interaction.lifecycle/"
              "subscriptions");
    EXPECT_EQ(envelope::stream_url("https://api.mypurecloud.com", "a*b+c/="),
              "wss://api.mypurecloud.com/api/v2/eventbridge/interaction.lifecycle?token=a%2Ab%2Bc%2F%3D");
    EXPECT_EQ(envelope::stream_url("http://127.0.0.1:18080", "tok-1"),
              "ws://127.0.0.1:18080/api/v2/eventbridge/interaction.lifecycle?token=tok-1");
}

}  // namespace
}  // namespace gstream::source

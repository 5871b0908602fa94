#include "source/notifications/topic_plan.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

namespace gstream::source::notifications {
namespace {

std::vector<std::string> numbered(std::size_t n) {
    std::vector<std::string> topics;
    for (std::size_t i = 0; i < n; ++i)
        topics.push_back("v2.routing.queues.q" + std::to_string(i) + ".conversations");
    return topics;
}

TEST(TopicPlanTest, QueueTopicsWithAndWithoutMedia) {
    EXPECT_EQ(build_topics({"q1", "q2"}, {}, {"v2.analytics.queues.q1.observations"}),
              (std::vector<std::string>{"v2.routing.queues.q1.conversations",
                                        "v2.routing.queues.q2.conversations",
                                        "v2.analytics.queues.q1.observations"}));
    EXPECT_EQ(
        build_topics({"q1"}, {"calls", "chats"}, {"v2.routing.queues.q1.conversations.calls"}),
        (std::vector<std::string>{"v2.routing.queues.q1.conversations.calls",
                                  "v2.routing.queues.q1.conversations.chats"}));
    EXPECT_TRUE(is_known_media("cobrowseSessions"));
    EXPECT_FALSE(is_known_media("call"));
}

TEST(TopicPlanTest, PacksIntoTheFewestChannels) {
    const auto groups = pack_topics(numbered(2500));
    ASSERT_EQ(groups.size(), 3u);
    EXPECT_EQ(groups[0].size(), 1000u);
    EXPECT_EQ(groups[1].size(), 1000u);
    EXPECT_EQ(groups[2].size(), 500u);
    EXPECT_EQ(groups[2].back(), "v2.routing.queues.q2499.conversations");
    EXPECT_EQ(pack_topics(numbered(1000)).size(), 1u);
    EXPECT_EQ(pack_topics(numbered(1001)).size(), 2u);
    EXPECT_EQ(pack_topics(numbered(19000)).size(), 19u);
}

TEST(TopicPlanTest, RefusesMoreThanNineteenChannelsNamingTheCount) {
    try {
        pack_topics(numbered(19 * 1000 + 1));
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("19001 notification topics need 20 channels of at most 1000 topics, "
                            "over the limit of 19"),
                  std::string::npos)
            << what;
    }
    EXPECT_THROW(pack_topics({}), std::invalid_argument);
}

TEST(TopicPlanTest, DetailTopicsOfAConversation) {
    const auto topics = detail_topics_for("c1");
    ASSERT_EQ(topics.size(), kDetailTopicsPerConversation);
    EXPECT_EQ(topics.front(), "v2.detail.events.conversation.c1.customer.start");
    EXPECT_EQ(topics.back(), "v2.detail.events.conversation.c1.contact");
}

TEST(TopicPlanTest, PeeksTheTopLevelTopicName) {
    EXPECT_EQ(peek_topic_name(R"({"topicName":"channel.metadata","eventBody":{"message":"pong"}})"),
              "channel.metadata");
    EXPECT_EQ(
        peek_topic_name(
            R"({"eventBody":{"topicName":"inner"}, "topicName" : "v2.system.socket_closing"})"),
        "v2.system.socket_closing");
    EXPECT_EQ(peek_topic_name(R"({"x":"topicName","y":1})"), "");
    EXPECT_EQ(peek_topic_name(R"({"topicName":12})"), "");
    EXPECT_EQ(peek_topic_name("not json"), "");
}

}  // namespace
}  // namespace gstream::source::notifications

#include "genesys/notifications_api.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include "support/test_paths.hpp"

namespace gstream::genesys {
namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(GSTREAM_SHARED_DIR) + "/fixtures/genesys-real/" + name);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

TEST(GenesysNotificationsApi, ParsesARealChannel) {
    const std::string body = fixture("channel-create-response-01.json");
    if (body.empty())
        GTEST_SKIP() << "no " << GSTREAM_SHARED_DIR << "/fixtures/genesys-real";
    auto channel = parse_channel(body);
    ASSERT_TRUE(channel);
    EXPECT_EQ(channel->id, "streaming-0-fmtdmf8cdis7jh14udg5p89t6z");
    EXPECT_EQ(channel->connect_uri,
              "wss://streaming.mypurecloud.com/channels/streaming-0-fmtdmf8cdis7jh14udg5p89t6z");
    ASSERT_TRUE(channel->expires_ms);
    EXPECT_EQ(*channel->expires_ms, 1597236114707);  // 2020-08-12T12:41:54.707Z
    auto bad = parse_channel(R"({"id":"x"})");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, core::Errc::kBadResponse);
}

TEST(GenesysNotificationsApi, RedactsChannelIds) {
    EXPECT_EQ(redact_channel_id("streaming-0-fmtdmf8cdis7jh14udg5p89t6z"), "streamin\u2026");
    EXPECT_EQ(redact_channel_id("abc"), "abc\u2026");
}

TEST(GenesysNotificationsApi, SubscriptionBodyAndTopicStates) {
    EXPECT_EQ(subscriptions_body({"a.b", "c\"d"}), R"([{"id":"a.b"},{"id":"c\"d"}])");
    auto states = parse_topic_states(
        R"({"entities":[{"id":"t1","state":"Permitted"},)"
        R"({"id":"t2","state":"Rejected","rejectionReason":"no","missingPermissions":["a:b:c"]}]})");
    ASSERT_TRUE(states);
    ASSERT_EQ(states->size(), 2u);
    EXPECT_TRUE((*states)[0].permitted);
    EXPECT_FALSE((*states)[1].permitted);
    EXPECT_EQ((*states)[1].topic, "t2");
    EXPECT_EQ((*states)[1].rejection_reason, "no");
    EXPECT_EQ((*states)[1].missing_permissions, (std::vector<std::string>{"a:b:c"}));
    EXPECT_FALSE(parse_topic_states("[]"));
}

TEST(GenesysNotificationsApi, NamesThePermissionsOfA403) {
    EXPECT_EQ(
        permissions_named_by(
            R"({"message":"Missing permission: x:y:z","code":"missing.permissions",)"
            R"("status":403,"messageParams":{"permission":"analytics:conversationDetail:view"},)"
            R"("details":[{"fieldName":"routing:queue:view"},{"fieldName":"analytics:conversationDetail:view"}]})"),
        (std::vector<std::string>{"analytics:conversationDetail:view", "routing:queue:view"}));
    EXPECT_TRUE(permissions_named_by(fixture("error-429.json")).empty());
    EXPECT_TRUE(permissions_named_by("not json").empty());
}

}  // namespace
}  // namespace gstream::genesys

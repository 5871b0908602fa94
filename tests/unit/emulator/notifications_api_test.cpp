// The Notifications API REST logic and the fault stream, without sockets.

#include "emulator/notifications_api.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "emulator/emulator.hpp"
#include "support/ws_test_client.hpp"

namespace gstream::emulator {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const std::string kQueueTopic =
    "v2.routing.queues.2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c.conversations";

class NotificationsApiTest : public ::testing::Test {
protected:
    NotificationsApiTest() {
        options_.channel_ttl_ms = 1000;
        options_.max_channels = 3;
        options_.max_topics = 5;
        options_.forbidden_topic_prefixes = {"v2.analytics."};
    }
    void SetUp() override {
        api_ = std::make_unique<NotificationsApi>(options_, counters_, auth_);
        api_->set_socket_origin("ws://127.0.0.1:9");
        api_->on_channel_gone(
            [this](const std::string& id, ChannelGone why) { gone_.emplace_back(id, why); });
        token_ = token("client-a");
    }
    std::string token(const std::string& client) {
        const std::string basic = test::basic_auth(client, "secret");
        const auto r =
            auth_.handle({"POST", "/oauth/token", basic, "grant_type=client_credentials"}, now_);
        return std::string(json::parse(r.body).at("access_token").as_string());
    }
    ApiResponse call(std::string_view method,
                     const std::string& target,
                     const std::string& body = {},
                     std::string tok = {}) {
        const std::string auth = "Bearer " + (tok.empty() ? token_ : tok);
        auto r = api_->handle({method, target, auth, body}, now_, wall_);
        EXPECT_TRUE(r.has_value()) << target;
        return r ? *r : ApiResponse{};
    }
    std::string create() {
        const auto r = call("POST", "/api/v2/notifications/channels");
        EXPECT_EQ(r.status, 200) << r.body;
        return std::string(json::parse(r.body).at("id").as_string());
    }
    std::string create_for(const std::string& client) {
        const auto r = call("POST", "/api/v2/notifications/channels", {}, token(client));
        EXPECT_EQ(r.status, 200) << r.body;
        return std::string(json::parse(r.body).at("id").as_string());
    }
    std::string subs(const std::string& id) {
        return "/api/v2/notifications/channels/" + id + "/subscriptions";
    }
    int head(const std::string& id) {
        return call("HEAD", "/api/v2/notifications/channels/" + id).status;
    }

    EmulatorOptions options_;
    Counters counters_;
    Api auth_{options_, counters_};
    std::unique_ptr<NotificationsApi> api_;
    std::string token_;
    Clock::time_point now_ = Clock::now();
    std::chrono::system_clock::time_point wall_ =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(1'775'121'295'301));
    std::vector<std::pair<std::string, ChannelGone>> gone_;
};

TEST_F(NotificationsApiTest, ChannelHasTheRealShape) {
    const auto r = call("POST", "/api/v2/notifications/channels");
    ASSERT_EQ(r.status, 200);
    const json::object o = json::parse(r.body).as_object();
    const std::string id(o.at("id").as_string());
    // streaming-[0-9]-[a-z0-9]{26} (no std::regex: GCC 12 warns falsely on it under ASan)
    const bool shape = id.size() == 38 && id.starts_with("streaming-") &&
                       std::isdigit(static_cast<unsigned char>(id[10])) != 0 && id[11] == '-' &&
                       std::all_of(id.begin() + 12, id.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                       });
    EXPECT_TRUE(shape) << id;
    EXPECT_EQ(o.at("connectUri").as_string(), "ws://127.0.0.1:9/channels/" + id);
    // wall 2026-04-02T09:14:55.301Z + 1000 ms
    EXPECT_EQ(o.at("expires").as_string(), "2026-04-02T09:14:56.301Z");
    EXPECT_EQ(head(id), 200);
    EXPECT_EQ(head("streaming-0-unknown"), 404);
    const auto list = call("GET", "/api/v2/notifications/channels");
    EXPECT_EQ(json::parse(list.body).at("entities").as_array().size(), 1U);
}

TEST_F(NotificationsApiTest, NeedsAValidBearerToken) {
    auto r = api_->handle({"POST", "/api/v2/notifications/channels", "", ""}, now_, wall_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(json::parse(r->body).at("code").as_string(), "authentication.required");
    EXPECT_FALSE(api_->handle({"GET", "/other", "", ""}, now_, wall_).has_value());
}

TEST_F(NotificationsApiTest, ChannelExpiresAndResubscribingExtendsIt) {
    const std::string a = create();
    const std::string b = create();
    now_ += 600ms;
    EXPECT_EQ(call("PUT", subs(b), R"([{"id":")" + kQueueTopic + R"("}])").status, 200);
    now_ += 600ms;
    EXPECT_EQ(head(a), 404);
    EXPECT_EQ(head(b), 200);
    ASSERT_EQ(gone_.size(), 1U);
    EXPECT_EQ(gone_[0].first, a);
    EXPECT_EQ(gone_[0].second, ChannelGone::kExpired);
    EXPECT_EQ(counters_.channels_expired.load(), 1U);
}

TEST_F(NotificationsApiTest, ChannelBeyondTheLimitEvictsTheOldestUnconnectedFirst) {
    const std::string a = create();
    now_ += 1ms;
    const std::string b = create();
    now_ += 1ms;
    const std::string c = create();
    const std::string other_client = create_for("client-b");
    now_ += 1ms;
    const std::string d = create();  // evicts a (oldest)
    EXPECT_EQ(head(a), 404);
    api_->set_connected(b, true, now_);
    now_ += 1ms;
    const std::string e = create();  // b is older but connected: c goes
    EXPECT_EQ(head(b), 200);
    EXPECT_EQ(head(c), 404);
    EXPECT_EQ(head(d), 200);
    EXPECT_EQ(head(e), 200);
    EXPECT_EQ(head(other_client), 200);
    ASSERT_EQ(gone_.size(), 2U);
    EXPECT_EQ(gone_[0], std::make_pair(a, ChannelGone::kEvicted));
    EXPECT_EQ(gone_[1], std::make_pair(c, ChannelGone::kEvicted));
    const auto all = call("GET", "/api/v2/notifications/channels?includechannels=oauthclient");
    EXPECT_EQ(json::parse(all.body).at("entities").as_array().size(), 3U);
}

TEST_F(NotificationsApiTest, SubscriptionsAddReplaceListAndDelete) {
    const std::string id = create();
    const std::string t2 = "v2.detail.events.conversation.c1-c1-c1-c1.acd.end";
    auto r = call("POST", subs(id), R"([{"id":")" + kQueueTopic + R"("}])");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"entities":[{"id":")" + kQueueTopic + R"(","state":"Permitted"}]})");
    r = call("POST", subs(id), R"([{"id":")" + t2 + R"("}])");
    EXPECT_EQ(json::parse(r.body).at("entities").as_array().size(), 2U);
    r = call("PUT", subs(id), R"([{"id":")" + t2 + R"("}])");
    EXPECT_EQ(r.body, R"({"entities":[{"id":")" + t2 + R"(","state":"Permitted"}]})");
    r = call("GET", subs(id));
    EXPECT_EQ(r.body, R"({"entities":[{"id":")" + t2 + R"(","state":"Permitted"}]})");
    r = call("DELETE", subs(id));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(call("GET", subs(id)).body, R"({"entities":[]})");
    EXPECT_EQ(call("GET", subs("streaming-1-nope")).status, 404);
    EXPECT_EQ(call("PUT", subs(id), R"({"id":"x"})").status, 400);
}

TEST_F(NotificationsApiTest, UnknownTopicIsRejectedAndTheRestApplied) {
    const std::string id = create();
    const auto r =
        call("PUT", subs(id), R"([{"id":"v2.nope.topic"},{"id":")" + kQueueTopic + R"("}])");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"entities":[{"id":")" + kQueueTopic +
                          R"(","state":"Permitted"},{"id":"v2.nope.topic","state":"Rejected",)"
                          R"("rejectionReason":"Topic not found"}]})");
}

TEST_F(NotificationsApiTest, MissingPermissionFailsTheWholeRequestUnlessIgnoreErrors) {
    const std::string id = create();
    const std::string forbidden = "v2.analytics.queues.q-q-q-q.observations";
    const std::string body = R"([{"id":")" + kQueueTopic + R"("},{"id":")" + forbidden + R"("}])";
    auto r = call("PUT", subs(id), body);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(json::parse(r.body).at("code").as_string(), "missing.permissions");
    EXPECT_EQ(call("GET", subs(id)).body, R"({"entities":[]})");
    r = call("PUT", subs(id) + "?ignoreErrors=true", body);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"entities":[{"id":")" + kQueueTopic +
                          R"(","state":"Permitted"},{"id":")" + forbidden +
                          R"(","state":"Rejected","rejectionReason":"Missing permissions",)"
                          R"("missingPermissions":["routing:queue:view"]}]})");
}

TEST_F(NotificationsApiTest, TopicCapPerChannel) {
    const std::string id = create();
    auto topics = [](int from, int to) {
        std::string b = "[";
        for (int i = from; i < to; ++i) {
            b += (i > from ? "," : "") +
                 fmt::format(R"({{"id":"v2.routing.queues.q{}-0.conversations"}})", i);
        }
        return b + "]";
    };
    EXPECT_EQ(call("PUT", subs(id), topics(0, 5)).status, 200);
    const auto r = call("POST", subs(id), topics(5, 6));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json::parse(r.body).at("code").as_string(), "bad.request");
    EXPECT_EQ(json::parse(call("GET", subs(id)).body).at("entities").as_array().size(), 5U);
    EXPECT_EQ(call("PUT", subs(id), topics(1, 6)).status, 200);  // replacing is fine
    EXPECT_EQ(call("PUT", subs(id), topics(0, 6)).status, 400);
}

TEST_F(NotificationsApiTest, RateLimitedCallsAnswer429WithRetryAfter) {
    options_.channel_create_429_count = 1;
    options_.subscribe_429_count = 1;
    options_.retry_after_s = 7;
    SetUp();
    auto r = call("POST", "/api/v2/notifications/channels");
    ASSERT_EQ(r.status, 429);
    const json::object o = json::parse(r.body).as_object();
    EXPECT_EQ(o.at("code").as_string(), "too.many.requests.retry.after");
    EXPECT_EQ(o.at("message").as_string(),
              "Rate limit exceeded the maximum. Retry the request in [7] seconds");
    ASSERT_FALSE(r.headers.empty());
    EXPECT_EQ(r.headers[0], std::make_pair(std::string("Retry-After"), std::string("7")));
    const std::string id = create();
    EXPECT_EQ(call("PUT", subs(id), "[]").status, 429);
    EXPECT_EQ(call("PUT", subs(id), "[]").status, 200);
}

TEST_F(NotificationsApiTest, AvailableTopicsExpandAcceptsCsvAndRepeats) {
    auto r = call("GET", "/api/v2/notifications/availabletopics");
    const json::value plain_doc = json::parse(r.body);
    const auto& plain = plain_doc.at("entities").as_array();
    EXPECT_EQ(plain.size(), topic_catalogue().size());
    EXPECT_EQ(plain.at(0).as_object().size(), 2U);  // id, description
    r = call("GET",
             "/api/v2/notifications/availabletopics?expand=transports,requiresPermissions"
             "&expand=visibility");
    const json::value doc = json::parse(r.body);
    const auto& e = doc.at("entities").as_array().at(0).as_object();
    EXPECT_EQ(e.at("id").as_string(), "v2.routing.queues.{id}.conversations");
    EXPECT_EQ(json::serialize(e.at("transports")), R"(["All"])");
    EXPECT_EQ(json::serialize(e.at("requiresPermissions")), R"(["routing:queue:view"])");
    EXPECT_EQ(e.at("visibility").as_string(), "Public");
}

TEST_F(NotificationsApiTest, RevokedTokensRemoveEveryChannel) {
    const std::string id = create();
    api_->revoke_tokens();
    ASSERT_EQ(gone_.size(), 1U);
    EXPECT_EQ(gone_[0], std::make_pair(id, ChannelGone::kTokenRevoked));
    EXPECT_EQ(call("POST", "/api/v2/notifications/channels").status, 401);
}

TEST(TopicCatalogueTest, MatchesTemplatesSegmentBySegment) {
    EXPECT_NE(match_topic(kQueueTopic), nullptr);
    EXPECT_NE(match_topic("v2.detail.events.conversation.abc.customer.start"), nullptr);
    EXPECT_EQ(match_topic("v2.routing.queues..conversations"), nullptr);
    EXPECT_EQ(match_topic("v2.routing.queues.a.b.conversations"), nullptr);
    EXPECT_EQ(snapshot_queue_of(kQueueTopic), "2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c");
    EXPECT_EQ(snapshot_queue_of("v2.routing.queues.q.conversations.calls"), "");
}

// ---- FaultedStream ----

std::vector<NotificationMessage> numbered(int n) {
    std::vector<NotificationMessage> v;
    for (int i = 0; i < n; ++i) {
        NotificationMessage m;
        m.topic_name = "t" + std::to_string(i);
        m.event_body = "{}";
        m.correlation_id = "c" + std::to_string(i);
        v.push_back(m);
    }
    return v;
}

std::string drain(FaultedStream& s, std::vector<NotificationFault>* actions = nullptr) {
    std::string out;
    while (auto m = s.next()) {
        out += m->topic_name + "/" + m->correlation_id.substr(0, 2) + " ";
        if (actions) {
            for (auto f : s.take_actions())
                actions->push_back(f);
        }
    }
    return out;
}

FaultedStream stream_of(std::vector<NotificationMessage> v, std::vector<PlannedFault> plan = {}) {
    auto items = std::make_shared<std::vector<NotificationMessage>>(std::move(v));
    auto pos = std::make_shared<std::size_t>(0);
    return FaultedStream(
        [items, pos]() -> std::optional<NotificationMessage> {
            if (*pos >= items->size())
                return std::nullopt;
            return (*items)[(*pos)++];
        },
        std::move(plan), 1);
}

TEST(FaultedStreamTest, DropDuplicateReorder) {
    auto s = stream_of(numbered(6));
    s.inject(NotificationFault::kDrop);
    s.inject(NotificationFault::kReorder);
    s.inject(NotificationFault::kDuplicateExact);
    s.inject(NotificationFault::kDuplicate);
    const std::string out = drain(s);
    // t0 dropped; t1 held behind t2; t3 twice, the copy with a new id; t4 twice exactly.
    EXPECT_TRUE(out.starts_with("t2/c2 t1/c1 t3/c3 t3/")) << out;
    EXPECT_TRUE(out.ends_with(" t4/c4 t4/c4 t5/c5 ")) << out;
    EXPECT_EQ(s.dropped(), 1U);
    EXPECT_EQ(s.reordered(), 1U);
    EXPECT_EQ(s.duplicated(), 1U);
    EXPECT_EQ(s.duplicated_exact(), 1U);
    EXPECT_EQ(s.sent(), 7U);
}

TEST(FaultedStreamTest, PlannedFaultsBecomeDueAfterNMessages) {
    auto s = stream_of(numbered(5),
                       {*parse_planned_fault("drop:2:2"), *parse_planned_fault("close1001:3")});
    std::vector<NotificationFault> actions;
    EXPECT_EQ(drain(s, &actions), "t0/c0 t1/c1 t4/c4 ");
    ASSERT_EQ(actions.size(), 1U);
    EXPECT_EQ(actions[0], NotificationFault::kClose1001);
    EXPECT_FALSE(parse_planned_fault("drop"));
    EXPECT_FALSE(parse_planned_fault("nope:1"));
    EXPECT_FALSE(parse_planned_fault("drop:1:0"));
    EXPECT_FALSE(parse_planned_fault("drop:x"));
}

}  // namespace
}  // namespace gstream::emulator

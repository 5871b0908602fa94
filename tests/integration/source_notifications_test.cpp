// The Notifications API source against the scripted fake Genesys over loopback: channels, topic
// subscriptions, the health-check watchdog, make-before-break rollover, 401/403/404/429 handling.
#include <algorithm>
#include <stdexcept>

#include <gtest/gtest.h>

#include "source/source.hpp"
#include "tests/support/fake_genesys_server.hpp"

namespace gstream::source {
namespace {

using namespace std::chrono_literals;
using testing::FakeGenesysServer;
using testing::RecordedRequest;
using testing::RecordingObserver;
using testing::ScriptedResponse;
using testing::WsAction;
using testing::WsScript;
using Events = std::vector<std::string>;

constexpr const char* kHeartbeat =
    R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})";
constexpr const char* kSocketClosing =
    R"({"topicName":"v2.system.socket_closing","eventBody":{"message":"closing"}})";

std::string event(const std::string& id) {
    return R"({"topicName":"v2.routing.queues.q1.conversations","version":"2","eventBody":{"id":")" +
           id + R"("},"metadata":{"CorrelationId":"c-)" + id + R"("}})";
}

std::size_t count(const Events& events, const std::string& e) {
    return static_cast<std::size_t>(std::count(events.begin(), events.end(), e));
}

std::size_t index_of(const Events& events, const std::string& e) {
    return static_cast<std::size_t>(std::find(events.begin(), events.end(), e) - events.begin());
}

std::vector<RecordedRequest> with_method(std::vector<RecordedRequest> requests,
                                         const std::string& method) {
    std::erase_if(requests, [&](const RecordedRequest& r) { return r.method != method; });
    return requests;
}

std::size_t topics_in(const std::string& body) {
    std::size_t n = 0;
    for (auto pos = body.find("{\"id\":"); pos != std::string::npos;
         pos = body.find("{\"id\":", pos + 1)) {
        ++n;
    }
    return n;
}

WsScript script(std::vector<WsAction> actions, bool answer_pings = true) {
    WsScript s;
    s.actions = std::move(actions);
    s.answer_pings = answer_pings;
    return s;
}

const std::string kCh1 = FakeGenesysServer::channel_path("streaming-0-1");
const std::string kCh2 = FakeGenesysServer::channel_path("streaming-0-2");
const std::string kSubs1 =
    std::string(FakeGenesysServer::kChannelsPath) + "/streaming-0-1/subscriptions";
const std::string kSubs2 =
    std::string(FakeGenesysServer::kChannelsPath) + "/streaming-0-2/subscriptions";

class NotificationsSourceTest : public ::testing::Test {
protected:
    SourceOptions options() {
        SourceOptions o;
        o.login_origin = server_.origin();
        o.api_origin = server_.origin();
        o.client_id = "client-1";
        o.client_secret = "secret-1";
        o.queues = {"q1", "q2"};
        o.max_message_bytes = 1 << 20;
        o.connect_timeout_ms = 5000;
        o.ping_interval_ms = 5000;
        o.idle_timeout_ms = 10000;
        o.reconnect_initial_ms = 10;
        o.reconnect_max_ms = 50;
        o.subscribe_max_attempts = 3;
        o.token_refresh_margin_ms = 60000;
        o.notifications.watchdog_ms = 5000;
        o.notifications.pong_timeout_ms = 5000;
        // These scripts never close a retired socket: the client closes it after this grace.
        o.notifications.retire_grace_ms = 50;
        o.notifications.expiry_margin_ms = 60000;
        return o;
    }
    void start(SourceOptions o) {
        source_ = make_notifications_source(io_.io(), std::move(o), observer_);
        source_->start();
    }
    void TearDown() override {
        if (source_) {
            source_->stop();
            EXPECT_TRUE(observer_.wait_for_event("finished"));
        }
        io_.stop();
    }
    bool finished() { return observer_.wait_for_event("finished"); }
    std::vector<RecordedRequest> channel_posts() const {
        return with_method(server_.requests(FakeGenesysServer::kChannelsPath), "POST");
    }

    FakeGenesysServer server_;
    testing::IoThread io_;
    RecordingObserver observer_;
    std::unique_ptr<Source> source_;
};

TEST_F(NotificationsSourceTest, CreatesAChannelSubscribesTheTopicsAndConnectsToConnectUri) {
    server_.push_ws_script_for(kCh1, script({WsAction::text(kHeartbeat),
                                             WsAction::text(event("e1")), WsAction::close(1000)}));
    SourceOptions o = options();
    o.notifications.topics = {"v2.analytics.queues.q1.observations"};
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(),
              (Events{"connected", std::string("frame:") + kHeartbeat, "frame:" + event("e1"),
                      "disconnected:closed_by_peer", "finished"}));
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 1u);
    const auto posts = channel_posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].headers.at("authorization"), "Bearer token-1");
    const auto puts = server_.requests(kSubs1);
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_EQ(puts[0].method, "PUT");
    EXPECT_EQ(puts[0].headers.at("authorization"), "Bearer token-1");
    EXPECT_EQ(puts[0].body, R"([{"id":"v2.routing.queues.q1.conversations"},)"
                            R"({"id":"v2.routing.queues.q2.conversations"},)"
                            R"({"id":"v2.analytics.queues.q1.observations"}])");
    // The stream is connectUri exactly, with no token and no Authorization header.
    const auto upgrades = server_.requests(kCh1);
    ASSERT_EQ(upgrades.size(), 1u);
    EXPECT_EQ(upgrades[0].target, kCh1);
    EXPECT_EQ(upgrades[0].headers.count("authorization"), 0u);
    EXPECT_EQ(server_.channels(), (std::vector<std::string>{"streaming-0-1"}));
}

TEST_F(NotificationsSourceTest, PacksTwentyFiveHundredTopicsIntoThreeChannels) {
    for (const char* ch : {"streaming-0-1", "streaming-0-2", "streaming-0-3"}) {
        server_.push_ws_script_for(FakeGenesysServer::channel_path(ch),
                                   script({WsAction::close(1000)}));
    }
    SourceOptions o = options();
    o.queues.clear();
    for (int i = 0; i < 2500; ++i) {
        o.notifications.topics.push_back("v2.routing.queues.q" + std::to_string(i) +
                                         ".conversations");
    }
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(server_.channels().size(), 3u);
    EXPECT_EQ(channel_posts().size(), 3u);
    std::vector<std::size_t> sizes;
    for (int i = 1; i <= 3; ++i) {
        const auto puts = server_.requests(std::string(FakeGenesysServer::kChannelsPath) +
                                           "/streaming-0-" + std::to_string(i) + "/subscriptions");
        ASSERT_EQ(puts.size(), 1u);
        sizes.push_back(topics_in(puts[0].body));
    }
    std::sort(sizes.begin(), sizes.end());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{500, 1000, 1000}));
    EXPECT_EQ(count(observer_.events(), "connected"), 3u);
}

TEST_F(NotificationsSourceTest, MoreThanNineteenChannelsIsRefusedBeforeAnyNetworkCall) {
    SourceOptions o = options();
    o.queues.clear();
    for (int i = 0; i < 19 * 1000 + 1; ++i) {
        o.notifications.topics.push_back("t" + std::to_string(i));
    }
    try {
        make_notifications_source(io_.io(), o, observer_);
        FAIL() << "no start-up error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("19001 notification topics need 20 channels"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(server_.requests(FakeGenesysServer::kTokenPath).empty());
    EXPECT_TRUE(channel_posts().empty());
}

TEST_F(NotificationsSourceTest, SocketClosingRollsOverMakeBeforeBreak) {
    server_.push_ws_script_for(kCh1,
                               script({WsAction::text(event("a1")), WsAction::text(kSocketClosing),
                                       WsAction::text(event("a2"))}));
    server_.push_ws_script_for(kCh2,
                               script({WsAction::text(event("b1")), WsAction::text(event("b2"))}));
    start(options());
    ASSERT_TRUE(observer_.wait_for_frames(5));
    ASSERT_TRUE(server_.wait_for_log("close:" + kCh1 + ":1000", 5s));
    ASSERT_TRUE(observer_.wait_for_event("rollover:socket_closing"));

    // A new channel, subscribed to the same topics, connected before the old socket closed.
    EXPECT_EQ(server_.channels(), (std::vector<std::string>{"streaming-0-1", "streaming-0-2"}));
    const auto puts1 = server_.requests(kSubs1);
    const auto puts2 = server_.requests(kSubs2);
    ASSERT_EQ(puts1.size(), 1u);
    ASSERT_EQ(puts2.size(), 1u);
    EXPECT_EQ(puts2[0].body, puts1[0].body);
    const auto log = server_.log();
    EXPECT_LT(index_of(log, "upgrade:" + kCh2), index_of(log, "close:" + kCh1 + ":1000"));
    ASSERT_EQ(server_.requests(kCh2).size(), 1u);
    EXPECT_LE(puts2[0].at, server_.requests(kCh2)[0].at);

    // Every message of both sockets once, in order per socket; the retired socket's end is not
    // reported as a disconnection.
    const Events frames = observer_.frames();
    ASSERT_EQ(frames.size(), 5u);
    EXPECT_EQ(count(frames, event("a1")), 1u);
    EXPECT_EQ(count(frames, event("a2")), 1u);
    EXPECT_EQ(count(frames, event("b1")), 1u);
    EXPECT_EQ(count(frames, event("b2")), 1u);
    EXPECT_LT(index_of(frames, event("a1")), index_of(frames, kSocketClosing));
    EXPECT_LT(index_of(frames, kSocketClosing), index_of(frames, event("a2")));
    EXPECT_LT(index_of(frames, event("b1")), index_of(frames, event("b2")));
    const Events events = observer_.events();
    EXPECT_EQ(count(events, "connected"), 2u);
    EXPECT_EQ(count(events, "rollover:socket_closing"), 1u);
    for (const auto& e : events)
        EXPECT_FALSE(e.starts_with("disconnected")) << e;
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 1u);
}

TEST_F(NotificationsSourceTest, RetiredSocketIsReadUntilTheServerClosesIt) {
    // After socket_closing the server keeps sending on the old socket for a while (messages in
    // flight), then closes it 1001: those messages are delivered, and the client does not close
    // the old socket itself within the grace.
    server_.push_ws_script_for(
        kCh1, script({WsAction::text(event("a1")), WsAction::text(kSocketClosing),
                      WsAction::pause(300), WsAction::text(event("a2")),
                      WsAction::text(event("a3")), WsAction::close(1001)}));
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("b1"))}));
    SourceOptions o = options();
    o.notifications.retire_grace_ms = 30000;
    start(o);
    ASSERT_TRUE(observer_.wait_for_frames(5));
    ASSERT_TRUE(server_.wait_for_log("server-close:" + kCh1 + ":1001", 5s));
    const auto log = server_.log();
    EXPECT_LT(index_of(log, "upgrade:" + kCh2), index_of(log, "server-close:" + kCh1 + ":1001"));
    EXPECT_EQ(index_of(log, "close:" + kCh1 + ":1000"), log.size());  // never closed by us
    const Events frames = observer_.frames();
    EXPECT_EQ(count(frames, event("a2")), 1u);
    EXPECT_EQ(count(frames, event("a3")), 1u);
    EXPECT_EQ(count(frames, event("b1")), 1u);
    for (const auto& e : observer_.events())
        EXPECT_FALSE(e.starts_with("disconnected")) << e;
}

TEST_F(NotificationsSourceTest, SilentStallIsNoticedWithinWatchdogPlusPongTimeout) {
    // The first connection goes silent and ignores the health check; the second answers it.
    server_.push_ws_script_for(kCh1, script({WsAction::text(kHeartbeat)}, false));
    server_.push_ws_script_for(kCh1, script({WsAction::text(event("e2"))}));
    SourceOptions o = options();
    o.notifications.watchdog_ms = 200;
    o.notifications.pong_timeout_ms = 200;
    start(o);
    ASSERT_TRUE(observer_.wait_for_frames(1));
    const auto silent_since = std::chrono::steady_clock::now();
    ASSERT_TRUE(server_.wait_for_requests(kCh1, 2, 5s));
    const auto reconnect_after = server_.requests(kCh1)[1].at - silent_since;
    EXPECT_GE(reconnect_after, 390ms);
    EXPECT_LT(reconnect_after, 1500ms);  // 200 + 200 + backoff (<= 50) + HEAD + dial
    ASSERT_TRUE(observer_.wait_for_frames(2));
    EXPECT_EQ(server_.client_texts(kCh1), (std::vector<std::string>{R"({"message":"ping"})"}));
    EXPECT_EQ(count(observer_.events(), "disconnected:read_timeout"), 1u);
    // The channel still existed (HEAD 200): same channel, no new subscription.
    EXPECT_EQ(with_method(server_.requests(FakeGenesysServer::kChannelsPath +
                                           std::string("/streaming-0-1")),
                          "HEAD")
                  .size(),
              1u);
    EXPECT_EQ(server_.channels().size(), 1u);
    EXPECT_EQ(server_.requests(kSubs1).size(), 1u);
}

TEST_F(NotificationsSourceTest, PongKeepsTheConnection) {
    server_.push_ws_script_for(kCh1, script({WsAction::text(kHeartbeat)}));
    SourceOptions o = options();
    o.notifications.watchdog_ms = 100;
    o.notifications.pong_timeout_ms = 300;
    start(o);
    // Two health checks answered by pongs (delivered as frames): still one connection.
    ASSERT_TRUE(observer_.wait_for_frames(3));
    EXPECT_EQ(observer_.frames()[1], FakeGenesysServer::kPong);
    EXPECT_EQ(server_.requests(kCh1).size(), 1u);
    EXPECT_EQ(count(observer_.events(), "disconnected:read_timeout"), 0u);
}

TEST_F(NotificationsSourceTest, ExpiredChannelGetsANewChannelAndResubscription) {
    server_.push_ws_script_for(kCh1, script({WsAction::text(event("e1")), WsAction::drop()}));
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("e2")), WsAction::close(1000)}));
    server_.push_head_response({404, {}, ""});
    SourceOptions o = options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.frames(), (Events{event("e1"), event("e2")}));
    EXPECT_EQ(server_.channels(), (std::vector<std::string>{"streaming-0-1", "streaming-0-2"}));
    EXPECT_EQ(with_method(server_.requests(FakeGenesysServer::kChannelsPath +
                                           std::string("/streaming-0-1")),
                          "HEAD")
                  .size(),
              1u);
    ASSERT_EQ(server_.requests(kSubs2).size(), 1u);
    EXPECT_EQ(server_.requests(kSubs2)[0].body, server_.requests(kSubs1)[0].body);
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 1u);
}

TEST_F(NotificationsSourceTest, UpgradeRefusedWith401GetsANewChannelWithTheSameToken) {
    WsScript refused;
    refused.reject_status = 401;
    server_.push_ws_script_for(kCh1, refused);
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("e1")), WsAction::close(1000)}));
    SourceOptions o = options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    // The upgrade carries no token: its 401 renews the channel, not the token.
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 1u);
    EXPECT_EQ(server_.channels(), (std::vector<std::string>{"streaming-0-1", "streaming-0-2"}));
    ASSERT_EQ(server_.requests(kSubs2).size(), 1u);
    EXPECT_EQ(server_.requests(kSubs2)[0].headers.at("authorization"), "Bearer token-1");
    EXPECT_EQ(observer_.frames(), (Events{event("e1")}));
    EXPECT_EQ(count(observer_.events(), "disconnected:http_401"), 1u);
    EXPECT_EQ(count(observer_.events(), "scheduled"), 1u);  // after the backoff, not at once
    // The channel id is a capability: details name it by its first 8 characters only.
    ASSERT_FALSE(observer_.details().empty());
    EXPECT_NE(observer_.details()[0].find("/channels/streamin\u2026 refused with HTTP 401"),
              std::string::npos)
        << observer_.details()[0];
    for (const auto& d : observer_.details()) {
        EXPECT_EQ(d.find("streaming-0-"), std::string::npos) << d;
    }
}

// Issue 16, defect 1: every refused upgrade made a new token and a new channel at once, without
// backoff (15,457 of each in 10 s against `emulate --handshake-401 1000000`).
TEST_F(NotificationsSourceTest, RepeatedlyRefusedUpgradesFollowTheBackoffScheduleWithOneToken) {
    constexpr int kRefused = 5;
    WsScript refused;
    refused.reject_status = 401;
    for (int i = 1; i <= kRefused; ++i) {
        server_.push_ws_script_for(FakeGenesysServer::channel_path("streaming-0-" + std::to_string(i)),
                                   refused);
    }
    const std::string last = "streaming-0-" + std::to_string(kRefused + 1);
    server_.push_ws_script_for(FakeGenesysServer::channel_path(last),
                               script({WsAction::text(event("e1")), WsAction::close(1000)}));
    SourceOptions o = options();
    o.reconnect_initial_ms = 40;
    o.reconnect_max_ms = 100;
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.frames(), (Events{event("e1")}));
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 1u);
    const auto posts = channel_posts();
    ASSERT_EQ(posts.size(), static_cast<std::size_t>(kRefused + 1));
    for (const auto& post : posts) {
        EXPECT_EQ(post.headers.at("authorization"), "Bearer token-1");
    }
    EXPECT_EQ(count(observer_.events(), "disconnected:http_401"), static_cast<std::size_t>(kRefused));
    EXPECT_EQ(count(observer_.events(), "scheduled"), static_cast<std::size_t>(kRefused));
    // Between a refused upgrade and the next channel, at least the floor of the backoff's
    // ceiling (40, 80, 100, 100, 100 ms: floors 20, 40, 50, 50, 50 ms).
    const std::chrono::milliseconds floors[] = {20ms, 40ms, 50ms, 50ms, 50ms};
    for (int i = 0; i < kRefused; ++i) {
        const auto upgrade = server_.requests(
            FakeGenesysServer::channel_path("streaming-0-" + std::to_string(i + 1)));
        ASSERT_EQ(upgrade.size(), 1u) << i;
        EXPECT_GE(posts[static_cast<std::size_t>(i) + 1].at - upgrade[0].at, floors[i]) << i;
    }
}

TEST_F(NotificationsSourceTest, TokenRefusedByTheApiIsRenewedAfterTheBackoff) {
    const ScriptedResponse unauthorized{
        401, {}, R"({"message":"Invalid login credentials.","code":"bad.credentials","status":401})"};
    server_.push_channel_response(unauthorized);
    server_.push_channel_response(unauthorized);
    server_.push_ws_script_for(kCh1, script({WsAction::close(1000)}));
    SourceOptions o = options();
    o.reconnect_initial_ms = 40;
    o.reconnect_max_ms = 100;
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    const auto posts = channel_posts();
    ASSERT_EQ(posts.size(), 3u);
    EXPECT_EQ(posts[0].headers.at("authorization"), "Bearer token-1");
    EXPECT_EQ(posts[1].headers.at("authorization"), "Bearer token-2");
    EXPECT_EQ(posts[2].headers.at("authorization"), "Bearer token-3");
    EXPECT_GE(posts[1].at - posts[0].at, 20ms);
    EXPECT_GE(posts[2].at - posts[1].at, 40ms);
    EXPECT_EQ(count(observer_.events(), "scheduled"), 2u);
    EXPECT_EQ(count(observer_.events(), "finished"), 1u);
    for (const auto& e : observer_.events()) {
        EXPECT_FALSE(e.starts_with("fatal:")) << e;
    }
}

TEST_F(NotificationsSourceTest, RateLimitedChannelCreationHonoursRetryAfter) {
    server_.push_channel_response(
        {429,
         {{"Retry-After", "1"}, {"ININ-Correlation-Id", "corr-429"}},
         R"({"message":"Rate limit exceeded the maximum. Retry the request in [1] seconds",)"
         R"("code":"too.many.requests.retry.after","status":429})"});
    server_.push_ws_script_for(kCh1, script({WsAction::close(1000)}));
    SourceOptions o = options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    const auto posts = channel_posts();
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_GE(posts[1].at - posts[0].at, 1000ms);
    EXPECT_EQ(server_.channels().size(), 1u);
}

TEST_F(NotificationsSourceTest, StopEndsALongRetryAfterWaitAtOnce) {
    server_.push_channel_response({429, {{"Retry-After", "100"}}, ""});
    start(options());
    ASSERT_TRUE(server_.wait_for_requests(FakeGenesysServer::kChannelsPath, 1, 5s));
    const auto stopped_at = std::chrono::steady_clock::now();
    source_->stop();
    ASSERT_TRUE(observer_.wait_for_event("finished", 5s));
    EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 2s);
    EXPECT_EQ(channel_posts().size(), 1u);
    EXPECT_EQ(count(observer_.events(), "finished"), 1u);
}

TEST_F(NotificationsSourceTest, ForbiddenSubscriptionIsFatalNamingThePermission) {
    server_.push_subscribe_response(
        {403,
         {{"ININ-Correlation-Id", "corr-403"}},
         R"({"message":"Missing permissions","code":"missing.permissions","status":403,)"
         R"("messageParams":{"permission":"analytics:conversationDetail:view"}})"});
    start(options());
    ASSERT_TRUE(finished());
    const Events events = observer_.events();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_TRUE(events[0].starts_with("fatal:")) << events[0];
    EXPECT_NE(events[0].find("HTTP 403"), std::string::npos) << events[0];
    EXPECT_NE(events[0].find("grant the OAuth client's role the permission(s) "
                             "analytics:conversationDetail:view"),
              std::string::npos)
        << events[0];
    EXPECT_NE(events[0].find("corr-403"), std::string::npos) << events[0];
    EXPECT_EQ(events[0].find("streaming-0-1"), std::string::npos) << "channel id logged in full";
    EXPECT_EQ(events[1], "finished");
    EXPECT_TRUE(server_.requests(kCh1).empty());
}

TEST_F(NotificationsSourceTest, RejectedTopicIsReportedAndCountedNotFatal) {
    server_.reject_topic("v2.routing.queues.q2.conversations", "routing:queue:view");
    server_.push_ws_script_for(kCh1, script({WsAction::text(event("e1")), WsAction::close(1000)}));
    SourceOptions o = options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(
        observer_.events(),
        (Events{"rejected:v2.routing.queues.q2.conversations: rejected: missing "
                "permissions; missing permission(s): routing:queue:view",
                "connected", "frame:" + event("e1"), "disconnected:closed_by_peer", "finished"}));
}

TEST_F(NotificationsSourceTest, OnceEndsOnlyOnA1000OfTheCurrentConnection) {
    // The old socket closes with 1000 while its rollover is under way (not the end); the new
    // one first closes with 1001 (maintenance: reconnect), then with 1000 (the end).
    server_.push_ws_script_for(kCh1,
                               script({WsAction::text(kSocketClosing), WsAction::close(1000)}));
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("b1")), WsAction::close(1001)}));
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("b2")), WsAction::close(1000)}));
    SourceOptions o = options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.frames(), (Events{kSocketClosing, event("b1"), event("b2")}));
    EXPECT_EQ(server_.channels().size(), 2u);
    EXPECT_EQ(server_.requests(kCh2).size(), 2u);
    EXPECT_EQ(count(observer_.events(), "disconnected:closed_by_peer"), 2u);
}

TEST_F(NotificationsSourceTest, NoLongerSubscribedOnTheLiveChannelResubscribesOnANewOne) {
    server_.push_ws_script_for(
        kCh1,
        script({WsAction::text(
            R"({"topicName":"v2.system.no_longer_subscribed.x","eventBody":{"reason":"another_channel_subscribed"}})")}));
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("b1"))}));
    start(options());
    ASSERT_TRUE(observer_.wait_for_event("rollover:no_longer_subscribed"));
    ASSERT_TRUE(observer_.wait_for_frames(2));
    EXPECT_EQ(server_.channels().size(), 2u);
    EXPECT_EQ(server_.requests(kSubs2).size(), 1u);
}

TEST_F(NotificationsSourceTest, RollsOverExpiryMarginBeforeTheChannelExpires) {
    // Channels live 1.5 s; the margin is 1 s: the first is replaced after ~0.5 s.
    server_.set_channel_lifetime(1500ms);
    server_.push_ws_script_for(kCh1, script({WsAction::text(event("a1"))}));
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("b1"))}));
    SourceOptions o = options();
    o.notifications.expiry_margin_ms = 1000;
    const auto started = std::chrono::steady_clock::now();
    start(o);
    ASSERT_TRUE(observer_.wait_for_event("rollover:expiry"));
    ASSERT_TRUE(server_.wait_for_log("close:" + kCh1 + ":1000", 5s));
    ASSERT_EQ(channel_posts().size(), 2u);
    EXPECT_GE(channel_posts()[1].at - started, 400ms);
    EXPECT_EQ(server_.requests(kSubs2).size(), 1u);
    const auto log = server_.log();
    EXPECT_LT(index_of(log, "upgrade:" + kCh2), index_of(log, "close:" + kCh1 + ":1000"));
    ASSERT_TRUE(observer_.wait_for_frames(2));
    EXPECT_EQ(observer_.frames(), (Events{event("a1"), event("b1")}));
}

TEST_F(NotificationsSourceTest, TokenRevokedGetsANewTokenAndChannel) {
    server_.push_ws_script_for(
        kCh1, script({WsAction::text(R"({"topicName":"v2.system.token_revoked.x",)"
                                     R"("eventBody":{"reason":"user_tokens_revoked"}})")}));
    server_.push_ws_script_for(kCh2, script({WsAction::text(event("b1"))}));
    start(options());
    ASSERT_TRUE(observer_.wait_for_event("rollover:token_revoked"));
    ASSERT_TRUE(observer_.wait_for_frames(2));
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 2u);
    ASSERT_EQ(server_.requests(kSubs2).size(), 1u);
    EXPECT_EQ(server_.requests(kSubs2)[0].headers.at("authorization"), "Bearer token-2");
    EXPECT_TRUE(server_.wait_for_log("close:" + kCh1 + ":1000", 5s));
}

TEST_F(NotificationsSourceTest, DetailTopicsFollowConversationsOfQueueSnapshots) {
    const std::string live =
        R"({"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"c1",)"
        R"("participants":[{"id":"p1","purpose":"customer"},)"
        R"({"id":"p2","purpose":"acd","endTime":"2026-04-01T09:14:31.020Z"}]}})";
    const std::string ended =
        R"({"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"c1",)"
        R"("participants":[{"id":"p1","endTime":"2026-04-01T09:20:00.000Z"},)"
        R"({"id":"p2","endTime":"2026-04-01T09:14:31.020Z"}]}})";
    // The queue channel sends a live snapshot, waits until the detail channel is subscribed and
    // connected, then sends the ended snapshot.
    server_.push_ws_script_for(
        kCh1,
        script({WsAction::text(live), WsAction::await_requests(kCh2, 1), WsAction::text(ended)}));
    SourceOptions o = options();
    o.notifications.detail_topics = true;
    o.notifications.detail_linger_ms = 0;
    start(o);
    ASSERT_TRUE(server_.wait_for_requests(kSubs2, 2, 5s));
    const auto puts = server_.requests(kSubs2);
    std::string expected = "[";
    for (const char* suffix :
         {"customer.start", "customer.end", "acd.start", "acd.end", "user.start", "user.end", "acw",
          "wrapup", "attributes", "outbound", "flow.start", "flow.end", "flow.outcome",
          "voicemail.start", "voicemail.end", "contact"}) {
        expected += std::string(expected.size() > 1 ? "," : "") +
                    R"({"id":"v2.detail.events.conversation.c1.)" + suffix + R"("})";
    }
    expected += "]";
    EXPECT_EQ(puts[0].body, expected);
    EXPECT_EQ(puts[1].body, "[]");  // every participant ended, linger 0: unsubscribed
    EXPECT_EQ(server_.channels().size(), 2u);
    EXPECT_EQ(server_.requests(kSubs1).size(), 1u);
    EXPECT_EQ(observer_.frames(), (Events{live, ended}));
}

}  // namespace
}  // namespace gstream::source

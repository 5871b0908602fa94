// The envelope source against a scripted fake Genesys over loopback.
#include <algorithm>

#include <gtest/gtest.h>

#include "source/source.hpp"
#include "tests/support/fake_genesys_server.hpp"

namespace gstream::source {
namespace {

using namespace std::chrono_literals;
using testing::FakeGenesysServer;
using testing::RecordingObserver;
using testing::WsAction;
using testing::WsScript;
using Events = std::vector<std::string>;

std::size_t count(const Events& events, const std::string& e) {
    return static_cast<std::size_t>(std::count(events.begin(), events.end(), e));
}

class EnvelopeSourceTest : public ::testing::Test {
protected:
    SourceOptions oauth_options() {
        SourceOptions o;
        o.login_origin = server_.origin();
        o.api_origin = server_.origin();
        o.client_id = "client-1";
        o.client_secret = "secret-1";
        o.queues = {"q1"};
        o.states = {"queued", "contact"};
        o.max_message_bytes = 1024;
        o.connect_timeout_ms = 5000;
        o.ping_interval_ms = 5000;
        o.idle_timeout_ms = 10000;
        o.reconnect_initial_ms = 10;
        o.reconnect_max_ms = 50;
        o.subscribe_max_attempts = 3;
        o.token_refresh_margin_ms = 60000;
        return o;
    }
    SourceOptions direct_options() {
        SourceOptions o = oauth_options();
        o.stream_url = "ws://127.0.0.1:" + std::to_string(server_.port()) +
                       FakeGenesysServer::kStreamPath;
        return o;
    }
    void start(SourceOptions options) {
        source_ = make_envelope_source(io_.io(), std::move(options), observer_);
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

    FakeGenesysServer server_;
    testing::IoThread io_;
    RecordingObserver observer_;
    std::unique_ptr<Source> source_;
};

TEST_F(EnvelopeSourceTest, SubscribesThenStreamsWithTheToken) {
    server_.push_ws_script({0, {}, {}, {WsAction::text("m1"), WsAction::close(1000)}});
    SourceOptions o = oauth_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(),
              (Events{"connected", "frame:m1", "disconnected:closed_by_peer", "finished"}));
    auto subs = server_.requests(FakeGenesysServer::kSubscriptionPath);
    ASSERT_EQ(subs.size(), 1u);
    EXPECT_EQ(subs[0].method, "POST");
    EXPECT_EQ(subs[0].headers["authorization"], "Bearer token-1");
    EXPECT_EQ(subs[0].headers["content-type"], "application/json");
    EXPECT_EQ(subs[0].body,
              R"({"stream":"interaction.lifecycle","filter":{"routing.queue.id":"q1",)"
              R"("interaction.state":["queued","contact"]}})");
    auto dials = server_.requests(FakeGenesysServer::kStreamPath);
    ASSERT_EQ(dials.size(), 1u);
    EXPECT_EQ(dials[0].target, std::string(FakeGenesysServer::kStreamPath) + "?token=token-1");
    EXPECT_EQ(dials[0].headers.count("sec-websocket-extensions"), 0u);  // no permessage-deflate
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 1u);  // no new token per dial
    for (const auto& d : observer_.details()) EXPECT_EQ(d.find("token-1"), std::string::npos) << d;
    ASSERT_EQ(observer_.received_ns().size(), 1u);
    EXPECT_GT(observer_.received_ns()[0], 0);
}

TEST_F(EnvelopeSourceTest, RateLimitedSubscriptionHonoursRetryAfter) {
    server_.push_subscription_response(
        {429, {{"Retry-After", "1"}}, R"({"message":"slow down","code":"too.many.requests"})"});
    server_.push_ws_script({0, {}, {}, {WsAction::close(1000)}});
    SourceOptions o = oauth_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    auto subs = server_.requests(FakeGenesysServer::kSubscriptionPath);
    ASSERT_EQ(subs.size(), 2u);
    EXPECT_GE(subs[1].at - subs[0].at, 1000ms);
    EXPECT_LT(subs[1].at - subs[0].at, 5000ms);
    EXPECT_EQ(count(observer_.events(), "connected"), 1u);
}

TEST_F(EnvelopeSourceTest, SubscriptionGivesUpAfterMaxAttempts) {
    for (int i = 0; i < 3; ++i) server_.push_subscription_response({503, {}, "{}"});
    start(oauth_options());
    ASSERT_TRUE(finished());
    const Events events = observer_.events();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_NE(events[0].find("gave up after 3 attempts"), std::string::npos) << events[0];
    EXPECT_EQ(server_.requests(FakeGenesysServer::kSubscriptionPath).size(), 3u);
}

TEST_F(EnvelopeSourceTest, ForbiddenSubscriptionIsFatalAndNamesTheQueue) {
    server_.push_subscription_response(
        {403, {{"ININ-Correlation-Id", "corr-9"}},
         R"({"message":"Queue q-missing is not in this organization","code":"not.authorized",)"
         R"("status":403,"contextId":"ctx-1"})"});
    SourceOptions o = oauth_options();
    o.queues = {"q-missing"};
    start(o);
    ASSERT_TRUE(finished());
    const Events events = observer_.events();
    ASSERT_EQ(events.size(), 2u);
    const std::string& fatal = events[0];
    EXPECT_EQ(fatal.rfind("fatal:", 0), 0u);
    EXPECT_NE(fatal.find("HTTP 403"), std::string::npos) << fatal;
    EXPECT_NE(fatal.find("q-missing"), std::string::npos) << fatal;
    EXPECT_NE(fatal.find("code=not.authorized"), std::string::npos) << fatal;
    EXPECT_NE(fatal.find("corr-9"), std::string::npos) << fatal;
    EXPECT_NE(fatal.find("eventbridge:subscribe"), std::string::npos) << fatal;
    EXPECT_EQ(events[1], "finished");
    EXPECT_TRUE(server_.requests(FakeGenesysServer::kStreamPath).empty());
}

TEST_F(EnvelopeSourceTest, SubscriptionWithoutIdIsFatal) {
    server_.push_subscription_response({201, {}, R"({"stream":"interaction.lifecycle"})"});
    start(oauth_options());
    ASSERT_TRUE(finished());
    EXPECT_NE(observer_.events()[0].find("without a subscription id"), std::string::npos);
}

TEST_F(EnvelopeSourceTest, Subscription401TwiceIsFatalNamingTheScope) {
    server_.push_subscription_response({401, {}, R"({"code":"bad.credentials"})"});
    server_.push_subscription_response({401, {}, R"({"code":"bad.credentials"})"});
    start(oauth_options());
    ASSERT_TRUE(finished());
    EXPECT_NE(observer_.events()[0].find("eventbridge:subscribe"), std::string::npos);
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 2u);
}

TEST_F(EnvelopeSourceTest, Handshake401FetchesANewTokenAndDialsAgainAfterTheBackoff) {
    server_.push_ws_script({401, {}, R"({"message":"token expired"})", {}});
    server_.push_ws_script({0, {}, {}, {WsAction::text("after"), WsAction::close(1000)}});
    SourceOptions o = oauth_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(),
              (Events{"disconnected:http_401", "scheduled", "connected", "frame:after",
                      "disconnected:closed_by_peer", "finished"}));
    auto dials = server_.requests(FakeGenesysServer::kStreamPath);
    ASSERT_EQ(dials.size(), 2u);
    EXPECT_EQ(dials[0].target, std::string(FakeGenesysServer::kStreamPath) + "?token=token-1");
    EXPECT_EQ(dials[1].target, std::string(FakeGenesysServer::kStreamPath) + "?token=token-2");
    EXPECT_GE(dials[1].at - dials[0].at, 5ms);  // the floor of the first backoff (10 ms ceiling)
}

// Issue 16, defect 6: two 401s in a row were fatal, even a transient pair
// (`emulate --protocol envelope --handshake-401 2`).
TEST_F(EnvelopeSourceTest, Handshake401TwiceAtStartUpIsRetriedWithinTheAttempts) {
    server_.push_ws_script({401, {}, {}, {}});
    server_.push_ws_script({401, {}, {}, {}});
    server_.push_ws_script({0, {}, {}, {WsAction::text("after"), WsAction::close(1000)}});
    SourceOptions o = oauth_options();  // subscribe_max_attempts 3
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(),
              (Events{"disconnected:http_401", "scheduled", "disconnected:http_401", "scheduled",
                      "connected", "frame:after", "disconnected:closed_by_peer", "finished"}));
    auto dials = server_.requests(FakeGenesysServer::kStreamPath);
    ASSERT_EQ(dials.size(), 3u);
    EXPECT_EQ(dials[2].target, std::string(FakeGenesysServer::kStreamPath) + "?token=token-3");
}

TEST_F(EnvelopeSourceTest, Handshake401OnEveryStartUpAttemptIsFatalNamingTheScope) {
    for (int i = 0; i < 3; ++i) server_.push_ws_script({401, {}, {}, {}});
    start(oauth_options());  // subscribe_max_attempts 3
    ASSERT_TRUE(finished());
    const Events events = observer_.events();
    ASSERT_EQ(events.size(), 7u);
    EXPECT_EQ(count(events, "disconnected:http_401"), 3u);
    EXPECT_EQ(count(events, "scheduled"), 2u);
    EXPECT_NE(events[5].find("eventbridge:read"), std::string::npos) << events[5];
    EXPECT_NE(events[5].find("3 times at start-up"), std::string::npos) << events[5];
    EXPECT_EQ(events[6], "finished");
    // Each dial had a new token: a stale token is not what was refused.
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 3u);
}

TEST_F(EnvelopeSourceTest, Handshake403AtStartUpIsFatal) {
    server_.push_ws_script({403, {}, {}, {}});
    start(oauth_options());
    ASSERT_TRUE(finished());
    const Events events = observer_.events();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_NE(events[1].find("eventbridge:read"), std::string::npos) << events[1];
}

// At run time (the stream was connected once) a refusal is never fatal: the source backs off,
// reports the stream disconnected (the daemon's /readyz follows it) and keeps trying, beyond
// source.subscribe_max_attempts refusals.
TEST_F(EnvelopeSourceTest, RefusedUpgradesAtRunTimeBackOffAndKeepTrying) {
    server_.push_ws_script({0, {}, {}, {WsAction::text("a"), WsAction::drop()}});
    server_.push_ws_script({401, {}, {}, {}});
    server_.push_ws_script({403, {}, {}, {}});
    server_.push_ws_script({401, {}, {}, {}});
    server_.push_ws_script({401, {}, {}, {}});
    server_.push_ws_script({0, {}, {}, {WsAction::text("b"), WsAction::close(1000)}});
    SourceOptions o = oauth_options();  // subscribe_max_attempts 3
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.frames(), (Events{"a", "b"}));
    EXPECT_EQ(count(observer_.events(), "disconnected:http_401"), 3u);
    EXPECT_EQ(count(observer_.events(), "disconnected:http_403"), 1u);
    EXPECT_EQ(count(observer_.events(), "scheduled"), 5u);
    for (const auto& e : observer_.events()) EXPECT_FALSE(e.starts_with("fatal:")) << e;
    // A 401 drops the token, a 403 does not (the token was not what was refused).
    const auto dials = server_.requests(FakeGenesysServer::kStreamPath);
    ASSERT_EQ(dials.size(), 6u);
    const char* tokens[] = {"token-1", "token-1", "token-2", "token-2", "token-3", "token-4"};
    for (std::size_t i = 0; i < dials.size(); ++i) {
        EXPECT_EQ(dials[i].target,
                  std::string(FakeGenesysServer::kStreamPath) + "?token=" + tokens[i])
            << i;
    }
}

TEST_F(EnvelopeSourceTest, OnceStopsOnClose1000) {
    server_.push_ws_script({0, {}, {}, {WsAction::text("a"), WsAction::close(1000)}});
    SourceOptions o = direct_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.frames(), (Events{"a"}));
    EXPECT_EQ(server_.requests(FakeGenesysServer::kStreamPath).size(), 1u);
    EXPECT_TRUE(server_.requests(FakeGenesysServer::kTokenPath).empty());
}

TEST_F(EnvelopeSourceTest, Close1001ReconnectsAndFramesFromBothConnectionsArrive) {
    server_.push_ws_script({0, {}, {}, {WsAction::text("a"), WsAction::close(1001)}});
    server_.push_ws_script({0, {}, {}, {WsAction::text("b"), WsAction::close(1000)}});
    SourceOptions o = direct_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(),
              (Events{"connected", "frame:a", "disconnected:closed_by_peer", "scheduled",
                      "connected", "frame:b", "disconnected:closed_by_peer", "finished"}));
    EXPECT_NE(observer_.details()[0].find("code 1001"), std::string::npos);
}

TEST_F(EnvelopeSourceTest, AbruptDropReconnects) {
    server_.push_ws_script({0, {}, {}, {WsAction::text("a"), WsAction::drop()}});
    server_.push_ws_script({0, {}, {}, {WsAction::close(1000)}});
    SourceOptions o = direct_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(count(observer_.events(), "disconnected:closed_abnormally"), 1u);
    EXPECT_EQ(count(observer_.events(), "connected"), 2u);
}

struct FaultCase {
    WsAction action;
    std::string reason;
    int close_code;
};

class EnvelopeSourceFaultTest : public EnvelopeSourceTest,
                                public ::testing::WithParamInterface<FaultCase> {};

TEST_P(EnvelopeSourceFaultTest, FaultIsReportedThenReconnects) {
    server_.push_ws_script({0, {}, {}, {GetParam().action}});
    server_.push_ws_script({0, {}, {}, {WsAction::text("ok"), WsAction::close(1000)}});
    SourceOptions o = direct_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(),
              (Events{"connected", "disconnected:" + GetParam().reason, "scheduled", "connected",
                      "frame:ok", "disconnected:closed_by_peer", "finished"}));
    if (GetParam().close_code == 0) return;
    ASSERT_TRUE(server_.wait_for_client_closes(1, 5s));
    EXPECT_EQ(server_.client_close_codes()[0], GetParam().close_code);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, EnvelopeSourceFaultTest,
    ::testing::Values(FaultCase{WsAction::text("ab\xff\xfe"), "invalid_utf8", 1007},
                      // Beast sends 1009, but it closes the socket with the rest of the message unread, so the
                      // kernel answers with RST and the fake server may never read the close frame.
                      FaultCase{WsAction::text(std::string(2000, 'x')), "message_too_large", 0},
                      FaultCase{WsAction::binary("abc"), "binary_frame", 1003}),
    [](const ::testing::TestParamInfo<FaultCase>& fault) { return fault.param.reason; });

TEST_F(EnvelopeSourceTest, MessageOfExactlyMaxBytesIsDelivered) {
    server_.push_ws_script({0, {}, {}, {WsAction::text(std::string(1024, 'y')), WsAction::close(1000)}});
    SourceOptions o = direct_options();
    o.once = true;
    start(o);
    ASSERT_TRUE(finished());
    ASSERT_EQ(observer_.frames().size(), 1u);
    EXPECT_EQ(observer_.frames()[0], std::string(1024, 'y'));
}

TEST_F(EnvelopeSourceTest, LargeMessageIsReassembledFromPieces) {
    std::string big;
    for (int i = 0; i < 20000; ++i) big += static_cast<char>('a' + i % 26);
    big += "\xc3\xa9";  // a 2-byte UTF-8 sequence at the end
    server_.push_ws_script({0, {}, {}, {WsAction::text(big), WsAction::close(1000)}});
    SourceOptions o = direct_options();
    o.once = true;
    o.max_message_bytes = 1 << 20;
    start(o);
    ASSERT_TRUE(finished());
    ASSERT_EQ(observer_.frames().size(), 1u);
    EXPECT_EQ(observer_.frames()[0], big);
}

TEST_F(EnvelopeSourceTest, SilentServerHitsTheIdleTimeout) {
    server_.push_ws_script({0, {}, {}, {WsAction::pause(3000)}});
    server_.push_ws_script({0, {}, {}, {WsAction::close(1000)}});
    SourceOptions o = direct_options();
    o.once = true;
    o.ping_interval_ms = 50;
    o.idle_timeout_ms = 300;
    start(o);
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(),
              (Events{"connected", "disconnected:read_timeout", "scheduled", "connected",
                      "disconnected:closed_by_peer", "finished"}));
}

TEST_F(EnvelopeSourceTest, PongsKeepAnIdleConnectionAlive) {
    // The server reads (and so answers pings) but sends nothing for 5 idle periods.
    server_.push_ws_script({0, {}, {}, {}});
    SourceOptions o = direct_options();
    o.ping_interval_ms = 50;
    o.idle_timeout_ms = 200;
    start(o);
    ASSERT_TRUE(observer_.wait_for_event("connected"));
    EXPECT_FALSE(observer_.wait(
        [](const Events& e) { return e.size() > 1; }, 1000ms));
    source_->stop();
    ASSERT_TRUE(finished());
    EXPECT_EQ(observer_.events(), (Events{"connected", "finished"}));
    ASSERT_TRUE(server_.wait_for_client_closes(1, 5s));
    EXPECT_EQ(server_.client_close_codes()[0], 1000);
}

TEST_F(EnvelopeSourceTest, ConnectFailureIsReportedAndRetried) {
    std::uint16_t port = 0;
    {
        FakeGenesysServer gone;
        port = gone.port();
    }
    SourceOptions o = direct_options();
    o.stream_url = "ws://127.0.0.1:" + std::to_string(port) + "/x";
    start(o);
    ASSERT_TRUE(observer_.wait([](const Events& e) {
        return count(e, "disconnected:connect") >= 2 && count(e, "scheduled") >= 2;
    }));
}

TEST_F(EnvelopeSourceTest, StopBeforeStartFinishes) {
    source_ = make_envelope_source(io_.io(), direct_options(), observer_);
    source_->stop();
    ASSERT_TRUE(finished());
    source_->start();
    EXPECT_EQ(observer_.events(), (Events{"finished"}));
}

}  // namespace
}  // namespace gstream::source

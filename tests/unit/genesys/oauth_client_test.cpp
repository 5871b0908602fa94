// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "genesys/oauth_client.hpp"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "genesys/http_client.hpp"
#include "tests/support/fake_genesys_server.hpp"

namespace gstream::genesys {
namespace {

using namespace std::chrono_literals;
using testing::FakeGenesysServer;
using testing::ScriptedResponse;
using Clock = OAuthClient::Clock;

class OAuthClientTest : public ::testing::Test {
protected:
    OAuthClientTest()
        : http_(io_.io(), HttpClientOptions{}),
          oauth_(http_, OAuthOptions{server_.origin(), "client-1", "s3cret!", 60s}) {}

    ApiResult<std::string> token(Clock::time_point now) {
        auto future =
            boost::asio::co_spawn(io_.io(), oauth_.token(now), boost::asio::use_future);
        return future.get();
    }

    FakeGenesysServer server_;
    testing::IoThread io_;
    HttpClient http_;
    OAuthClient oauth_;
};

TEST_F(OAuthClientTest, RequestsWithBasicAuthAndFormBody) {
    auto t = token(Clock::now());
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(*t, "token-1");
    auto requests = server_.requests(FakeGenesysServer::kTokenPath);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].headers["authorization"], "Basic Y2xpZW50LTE6czNjcmV0IQ==");
    EXPECT_EQ(requests[0].headers["content-type"], "application/x-www-form-urlencoded");
    EXPECT_EQ(requests[0].body, "grant_type=client_credentials");
    EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_F(OAuthClientTest, CachesUntilTheMarginThenRenews) {
    const auto t0 = Clock::now();
    ASSERT_EQ(token(t0).value(), "token-1");
    EXPECT_TRUE(oauth_.has_fresh_token(t0 + 3539s));
    EXPECT_EQ(token(t0 + 3000s).value(), "token-1");
    EXPECT_EQ(token(t0 + 3539s).value(), "token-1");
    EXPECT_FALSE(oauth_.has_fresh_token(t0 + 3540s));  // expires_in 3600 - margin 60
    EXPECT_EQ(token(t0 + 3540s).value(), "token-2");
    EXPECT_EQ(oauth_.fetch_count(), 2u);
    EXPECT_EQ(server_.requests(FakeGenesysServer::kTokenPath).size(), 2u);
}

TEST_F(OAuthClientTest, MarginIsCappedAtHalfAShortLifetime) {
    server_.push_token_response({200, {}, R"({"access_token":"short","expires_in":100})"});
    const auto t0 = Clock::now();
    ASSERT_EQ(token(t0).value(), "short");
    EXPECT_EQ(token(t0 + 49s).value(), "short");
    EXPECT_EQ(token(t0 + 50s).value(), "token-1");
}

TEST_F(OAuthClientTest, InvalidateAndTwoConsecutive401sNameTheScope) {
    const auto t0 = Clock::now();
    ASSERT_EQ(token(t0).value(), "token-1");
    EXPECT_FALSE(oauth_.on_unauthorized("eventbridge:read", "the stream upgrade"));
    EXPECT_FALSE(oauth_.has_fresh_token(t0));
    ASSERT_EQ(token(t0).value(), "token-2");
    auto refused = oauth_.on_unauthorized("eventbridge:read", "the stream upgrade");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->code, core::Errc::kUnauthorized);
    EXPECT_NE(refused->message.find("eventbridge:read"), std::string::npos);

    oauth_.on_authorized();
    ASSERT_EQ(token(t0).value(), "token-3");
    EXPECT_FALSE(oauth_.on_unauthorized("eventbridge:read", "x"));  // the count was reset
}

TEST_F(OAuthClientTest, RefusedCredentialsAreNotRetryableAndHideTheSecret) {
    server_.push_token_response(
        {400, {}, R"({"error":"invalid_client","description":"authentication failed",)"
                  R"("error_description":"authentication failed"})"});
    auto t = token(Clock::now());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, core::Errc::kUnauthorized);
    EXPECT_FALSE(t.error().retryable);
    EXPECT_NE(t.error().message.find("invalid_client: authentication failed"), std::string::npos);
    EXPECT_NE(t.error().message.find("genesys.client_secret"), std::string::npos);
    EXPECT_EQ(t.error().message.find("s3cret"), std::string::npos);
}

TEST_F(OAuthClientTest, RateLimitIsRetryableWithRetryAfter) {
    server_.push_token_response({429, {{"Retry-After", "4"}}, R"({"message":"slow"})"});
    auto t = token(Clock::now());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, core::Errc::kRateLimited);
    EXPECT_TRUE(t.error().retryable);
    EXPECT_EQ(t.error().retry_after_ms, 4000);
}

TEST_F(OAuthClientTest, ResponseWithoutTokenIsBadResponse) {
    server_.push_token_response({200, {}, R"({"token_type":"bearer","expires_in":10})"});
    server_.push_token_response({200, {}, "not json"});
    auto t = token(Clock::now());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, core::Errc::kBadResponse);
    t = token(Clock::now());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, core::Errc::kBadResponse);
}

TEST_F(OAuthClientTest, TheTokenNeverAppearsInTheLog) {
    auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
    auto log = spdlog::get("genesys");
    if (!log) {
        log = std::make_shared<spdlog::logger>("genesys", ring);
        spdlog::register_logger(log);
    } else {
        log->sinks().push_back(ring);
    }
    log->set_level(spdlog::level::trace);
    ASSERT_EQ(token(Clock::now()).value(), "token-1");
    const auto lines = ring->last_formatted();
    ASSERT_FALSE(lines.empty());
    bool masked = false;
    for (const auto& line : lines) {
        EXPECT_EQ(line.find("token-1"), std::string::npos) << line;
        EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
        masked = masked || line.find("token=***") != std::string::npos;
    }
    EXPECT_TRUE(masked);
    log->sinks().erase(std::find(log->sinks().begin(), log->sinks().end(), ring));
}

TEST(HttpClientTransportTest, ConnectionRefusedIsATransportError) {
    testing::IoThread io;
    HttpClient http(io.io(), HttpClientOptions{});
    std::uint16_t port = 0;
    {
        FakeGenesysServer server;  // bind, learn the port, close it again
        port = server.port();
    }
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
    auto future = boost::asio::co_spawn(io.io(), http.request(request), boost::asio::use_future);
    auto response = future.get();
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error(), boost::asio::error::connection_refused);
}

}  // namespace
}  // namespace gstream::genesys

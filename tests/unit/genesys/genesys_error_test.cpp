#include "genesys/genesys_error.hpp"

#include <gtest/gtest.h>

#include "genesys/http_client.hpp"

namespace gstream::genesys {
namespace {

TEST(GenesysErrorTest, DescribesApiErrorBody) {
    EXPECT_EQ(describe_error_body(R"({"message":"Rate limit exceeded","code":"too.many.requests",)"
                                  R"("status":429,"contextId":"ctx-1"})"),
              "Rate limit exceeded (code=too.many.requests, status=429, contextId=ctx-1)");
}

TEST(GenesysErrorTest, DescribesOAuthErrorBody) {
    EXPECT_EQ(describe_error_body(R"({"error":"invalid_client","description":"client not found",)"
                                  R"("error_description":"client not found"})"),
              "invalid_client: client not found");
}

TEST(GenesysErrorTest, DescribesOtherBodiesAsOneTrimmedLine) {
    EXPECT_EQ(describe_error_body("  <html>\nbad gateway</html>\n"), "<html> bad gateway</html>");
    EXPECT_EQ(describe_error_body(""), "");
    EXPECT_EQ(describe_error_body(std::string(300, 'a')), std::string(200, 'a') + "...");
}

TEST(GenesysErrorTest, ParsesDelaySeconds) {
    EXPECT_EQ(parse_delay_seconds("3"), 3000);
    EXPECT_EQ(parse_delay_seconds(" 0 "), 0);
    EXPECT_EQ(parse_delay_seconds("99999999"), 3'600'000);
    EXPECT_EQ(parse_delay_seconds("-1"), std::nullopt);
    EXPECT_EQ(parse_delay_seconds("1.5"), std::nullopt);
    EXPECT_EQ(parse_delay_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
    EXPECT_EQ(parse_delay_seconds(""), std::nullopt);
}

TEST(GenesysErrorTest, ClassifiesResponses) {
    HttpResponse response;
    response.status = 429;
    response.headers = {{"inin-ratelimit-reset", "7"}, {"ININ-Correlation-Id", "corr-1"}};
    response.body = R"({"message":"slow down","code":"too.many.requests","status":429})";
    ApiError e = error_from_response(response, "the call");
    EXPECT_EQ(e.code, core::Errc::kRateLimited);
    EXPECT_TRUE(e.retryable);
    EXPECT_EQ(e.retry_after_ms, 7000);
    EXPECT_EQ(e.correlation_id, "corr-1");
    EXPECT_EQ(e.message,
              "the call failed with HTTP 429: slow down (code=too.many.requests, status=429) "
              "[ININ-Correlation-Id corr-1]");

    response.headers = {{"Retry-After", "2"}, {"inin-ratelimit-reset", "7"}};
    EXPECT_EQ(error_from_response(response, "x").retry_after_ms, 2000);

    response = HttpResponse{};
    response.status = 403;
    e = error_from_response(response, "x");
    EXPECT_EQ(e.code, core::Errc::kForbidden);
    EXPECT_FALSE(e.retryable);
    EXPECT_EQ(e.retry_after_ms, -1);
    response.status = 503;
    EXPECT_TRUE(error_from_response(response, "x").retryable);
    response.status = 404;
    EXPECT_EQ(error_from_response(response, "x").code, core::Errc::kHttpStatus);
    EXPECT_FALSE(error_from_response(response, "x").retryable);
}

TEST(HttpClientTest, ParsesUrls) {
    auto u = parse_url("https://api.mypurecloud.com/api/v2/x?a=b");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, "api.mypurecloud.com");
    EXPECT_EQ(u->port, "443");
    EXPECT_EQ(u->target, "/api/v2/x?a=b");
    EXPECT_EQ(u->host_header(), "api.mypurecloud.com");

    u = parse_url("WS://127.0.0.1:18080");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "ws");
    EXPECT_EQ(u->port, "18080");
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->host_header(), "127.0.0.1:18080");
    EXPECT_FALSE(u->tls());

    u = parse_url("http://[::1]:8080/p");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->host_header(), "[::1]:8080");

    EXPECT_FALSE(parse_url("ftp://x/"));
    EXPECT_FALSE(parse_url("/relative"));
    EXPECT_FALSE(parse_url("http://user:pw@host/"));
    EXPECT_FALSE(parse_url("not a url"));
    EXPECT_TRUE(is_ip_literal("127.0.0.1"));
    EXPECT_TRUE(is_ip_literal("::1"));
    EXPECT_FALSE(is_ip_literal("localhost"));
}

}  // namespace
}  // namespace gstream::genesys

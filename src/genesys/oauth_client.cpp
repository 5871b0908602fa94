// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "genesys/oauth_client.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include "genesys/http_client.hpp"
#include "genesys/log.hpp"

namespace gstream::genesys {
namespace {

std::string base64(std::string_view in) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string strip_trailing_slash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

}  // namespace

std::string basic_authorization(std::string_view client_id, std::string_view client_secret) {
    std::string credentials;
    credentials.reserve(client_id.size() + 1 + client_secret.size());
    credentials.append(client_id).append(":").append(client_secret);
    return "Basic " + base64(credentials);
}

OAuthClient::OAuthClient(HttpClient& http, OAuthOptions options)
    : http_(http), options_(std::move(options)) {
    options_.login_origin = strip_trailing_slash(options_.login_origin);
}

bool OAuthClient::has_fresh_token(Clock::time_point now) const {
    return valid_ && now < refresh_at_;
}

void OAuthClient::invalidate() {
    valid_ = false;
    token_.clear();
}

std::optional<ApiError> OAuthClient::on_unauthorized(std::string_view scope,
                                                     std::string_view what) {
    ++consecutive_unauthorized_;
    invalidate();
    if (consecutive_unauthorized_ < 2) return std::nullopt;
    ApiError error;
    error.code = core::Errc::kUnauthorized;
    error.http_status = 401;
    error.message = std::string(what) + " was refused with HTTP 401 twice, the second time with a "
                    "new token: the OAuth client lacks the scope " + std::string(scope) +
                    " (grant it to genesys.client_id's OAuth client)";
    return error;
}

boost::asio::awaitable<ApiResult<std::string>> OAuthClient::token(Clock::time_point now) {
    if (has_fresh_token(now)) co_return token_;

    HttpRequest request;
    request.method = "POST";
    request.url = options_.login_origin + "/oauth/token";
    request.headers.push_back(
        {"Authorization", basic_authorization(options_.client_id, options_.client_secret)});
    request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    request.headers.push_back({"Accept", "application/json"});
    request.body = "grant_type=client_credentials";

    auto response = co_await http_.request(std::move(request));
    if (!response) co_return transport_error(response.error(), "OAuth token request");
    if (response->status == 400 || response->status == 401) {
        ApiError error = error_from_response(*response, "OAuth token request");
        error.code = core::Errc::kUnauthorized;
        error.retryable = false;
        error.message += " (check genesys.client_id and genesys.client_secret, and that the "
                         "client-credentials grant is enabled)";
        co_return error;
    }
    if (response->status < 200 || response->status > 299) {
        co_return error_from_response(*response, "OAuth token request");
    }

    boost::system::error_code ec;
    auto body = boost::json::parse(response->body, ec);
    const boost::json::object* object = !ec && body.is_object() ? &body.get_object() : nullptr;
    const boost::json::value* access = object ? object->if_contains("access_token") : nullptr;
    const boost::json::value* expires = object ? object->if_contains("expires_in") : nullptr;
    std::int64_t expires_in = 0;
    if (expires != nullptr && expires->is_int64()) expires_in = expires->get_int64();
    if (expires != nullptr && expires->is_uint64()) {
        expires_in = static_cast<std::int64_t>(std::min<std::uint64_t>(expires->get_uint64(), 1u << 30));
    }
    if (access == nullptr || !access->is_string() || access->get_string().empty() ||
        expires_in <= 0) {
        ApiError error;
        error.code = core::Errc::kBadResponse;
        error.http_status = response->status;
        error.correlation_id = response->correlation_id();
        error.message = "OAuth token response has no access_token string or no positive "
                        "expires_in";
        co_return error;
    }

    const auto lifetime = std::chrono::seconds(expires_in);
    const auto margin = std::min<Clock::duration>(options_.refresh_margin, lifetime / 2);
    token_ = std::string(access->get_string());
    refresh_at_ = now + lifetime - margin;
    valid_ = true;
    ++fetches_;
    logger()->info("fetched an OAuth token expires_in={}s token=***", expires_in);
    co_return token_;
}

}  // namespace gstream::genesys

#pragma once
// OAuth 2 client-credentials grant against the Genesys login host (API-NOTES.md §1).
//
// POST {login_origin}/oauth/token, "Authorization: Basic base64(client_id:client_secret)",
// body "grant_type=client_credentials"; the response {"access_token","expires_in"} is cached and
// handed out until it has less than `refresh_margin` of life left (§1.3: expires_in may be as low
// as ~300 s, so the margin is capped at half the token's lifetime). The access token and the
// client secret are secrets: they never appear in a log line or an error message.
//
// Thread-safety: used from the thread running the HttpClient's io_context only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "genesys/genesys_error.hpp"

namespace gstream::genesys {

class HttpClient;

struct OAuthOptions {
    std::string login_origin;   ///< e.g. "https://login.mypurecloud.com" or "http://127.0.0.1:18080"
    std::string client_id;
    std::string client_secret;
    std::chrono::milliseconds refresh_margin{60'000};
};

/// The Basic credentials header value: "Basic " + base64(client_id ":" client_secret).
std::string basic_authorization(std::string_view client_id, std::string_view client_secret);

class OAuthClient {
public:
    using Clock = std::chrono::steady_clock;

    OAuthClient(HttpClient& http, OAuthOptions options);

    /// The cached token when it stays valid for at least the margin after `now`; otherwise
    /// fetches a new one. Errors: kUnauthorized (400/401 from the login host: wrong client id or
    /// secret, grant not enabled; not retryable), kRateLimited / kHttpStatus 5xx / transport
    /// errors (retryable, retry_after_ms set when the server said so), kBadResponse (no
    /// access_token or expires_in in a 2xx body).
    boost::asio::awaitable<ApiResult<std::string>> token(Clock::time_point now);

    /// True when token(now) would answer from the cache.
    bool has_fresh_token(Clock::time_point now) const;

    /// Drops the cached token (after a 401 from the API or the stream).
    void invalidate();

    /// Called when a request made with the current token got 401. The first time, drops the
    /// token and returns nullopt: fetch a new one and retry once. When the retry with a fresh
    /// token also gets 401 (two in a row), returns kUnauthorized naming `scope`, the scope the
    /// OAuth client most likely lacks ("eventbridge:read" / "eventbridge:subscribe").
    std::optional<ApiError> on_unauthorized(std::string_view scope, std::string_view what);

    /// Called when a request with the current token succeeded: resets the 401 count.
    void on_authorized() { consecutive_unauthorized_ = 0; }

    /// When the cached token stops being fresh (expiry minus the capped margin); the epoch when
    /// there is no token. A notification channel is bound to its token (API-NOTES.md §1.5, §3.5):
    /// the notifications source rolls its channels over before this instant.
    Clock::time_point refresh_at() const { return valid_ ? refresh_at_ : Clock::time_point{}; }

    /// Number of tokens fetched so far (for tests and metrics).
    std::uint64_t fetch_count() const { return fetches_; }

private:
    HttpClient& http_;
    OAuthOptions options_;
    std::string token_;
    Clock::time_point refresh_at_{};  ///< expires_at minus the (capped) margin
    bool valid_ = false;
    int consecutive_unauthorized_ = 0;
    std::uint64_t fetches_ = 0;
};

}  // namespace gstream::genesys

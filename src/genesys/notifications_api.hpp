#pragma once
// REST calls of the Genesys Cloud Notifications API (API-NOTES.md §3.1-§3.3, §3.7) over HttpClient.
//
//   POST /api/v2/notifications/channels                     -> {id, connectUri, expires}
//   HEAD /api/v2/notifications/channels/{id}                 -> 200 exists, 404 expired/unknown
//   PUT  /api/v2/notifications/channels/{id}/subscriptions   [{"id": topic}, ...] (the full set)
//        ->
//        {"entities":[{"id","state":"Permitted|Rejected","rejectionReason","missingPermissions"}]}
//
// Every call sends "Authorization: Bearer <token>". 429 answers are retried inside the call,
// waiting max(Retry-After or inin-ratelimit-reset, a jittered capped backoff), at most max_wait,
// up to max_attempts; other failures are returned at once (the caller owns reconnect backoff).
// Failed calls carry the ININ-Correlation-Id in ApiError (and their message). A 403 on the PUT
// means one topic is not permitted and the whole request failed (§3.3): its message names the
// permissions to grant. The channel id is a capability: log it only through redact_channel_id().
//
// Thread-safety: used from the thread running the HttpClient's io_context only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "genesys/genesys_error.hpp"

namespace gstream::genesys {

class HttpClient;

/// A notification channel (API-NOTES.md §3.2).
struct NotificationChannel {
    std::string id;           ///< opaque, e.g. "streaming-0-fmtdmf8cdis7jh14udg5p89t6z"; a secret
    std::string connect_uri;  ///< wss://... to connect to exactly as given (no token, no header)
    std::optional<std::int64_t> expires_ms;  ///< Unix epoch ms of "expires"; nullopt if absent
};

/// One topic's answer to a subscription PUT.
struct TopicState {
    std::string topic;
    bool permitted = true;  ///< state "Permitted" (or absent); false for "Rejected"
    std::string rejection_reason;
    std::vector<std::string> missing_permissions;
};

/// The first 8 characters of a channel id followed by "…" (the full id is a capability).
std::string redact_channel_id(std::string_view id);

/// Parses a Channel body; kBadResponse when id or connectUri is missing.
ApiResult<NotificationChannel> parse_channel(std::string_view body);

/// The PUT body: [{"id":"t1"},{"id":"t2"}] (JSON-escaped).
std::string subscriptions_body(const std::vector<std::string>& topics);

/// Per-topic states of a ChannelTopicEntityListing; topics absent from the answer are not listed.
/// kBadResponse when the body is not {"entities":[...]}.
ApiResult<std::vector<TopicState>> parse_topic_states(std::string_view body);

/// The permissions a 403 ErrorBody names (messageParams values, details[].fieldName/errorCode and
/// any "missingPermissions" lists that look like "domain:entity:action"), without duplicates.
std::vector<std::string> permissions_named_by(std::string_view error_body);

struct NotificationsApiOptions {
    std::string api_origin;  ///< "https://api.mypurecloud.com" or the emulator's origin
    int max_attempts = 5;    ///< tries of one call while it answers 429
    std::chrono::milliseconds initial_backoff{500};  ///< jittered backoff when no header says more
    std::chrono::milliseconds max_backoff{30'000};   ///< ceiling of the jittered backoff
    /// Cap of one wait, whatever Retry-After says (the official SDKs refuse waits over 180 s,
    /// API-NOTES.md §3.7).
    std::chrono::milliseconds max_wait{180'000};
};

class NotificationsApi {
public:
    NotificationsApi(HttpClient& http, NotificationsApiOptions options);

    /// POST /channels. Errors: ApiError as error_from_response / transport_error build them
    /// (401 kUnauthorized, 429 kRateLimited after max_attempts, ...); kBadResponse for a 2xx
    /// body without id or connectUri.
    boost::asio::awaitable<ApiResult<NotificationChannel>> create_channel(std::string token);

    /// HEAD /channels/{id}: true for 2xx, false for 404; other statuses are errors.
    boost::asio::awaitable<ApiResult<bool>> channel_exists(std::string token, std::string id);

    /// PUT /channels/{id}/subscriptions with the full topic set; the per-topic states answered.
    /// A 403 is kForbidden, not retryable, its message naming the permissions to grant.
    boost::asio::awaitable<ApiResult<std::vector<TopicState>>> replace_subscriptions(
        std::string token, std::string id, std::vector<std::string> topics);

    /// Ends every pending 429 wait at once and makes later calls fail without a request
    /// (kTimeout, not retryable): for shutdown.
    void cancel();

    /// Calls made (attempts included), for tests and metrics.
    std::uint64_t calls() const { return calls_; }
    /// 429 answers seen.
    std::uint64_t rate_limited() const { return rate_limited_; }

private:
    // One call with the 429 retries; any other answer (or a transport error) is returned.
    boost::asio::awaitable<ApiResult<HttpResponse>> send(std::string method,
                                                         std::string path,
                                                         std::string token,
                                                         std::string body,
                                                         std::string what);

    HttpClient& http_;
    NotificationsApiOptions options_;
    std::vector<boost::asio::steady_timer*> waits_;
    bool cancelled_ = false;
    std::uint64_t calls_ = 0;
    std::uint64_t rate_limited_ = 0;
};

}  // namespace gstream::genesys

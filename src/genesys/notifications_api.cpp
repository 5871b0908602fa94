// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "genesys/notifications_api.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include "core/time.hpp"
#include "genesys/http_client.hpp"
#include "genesys/log.hpp"

namespace gstream::genesys {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kChannelsPath = "/api/v2/notifications/channels";

ApiError bad_response(std::string what) {
    ApiError error;
    error.code = core::Errc::kBadResponse;
    error.message = std::move(what);
    return error;
}

std::string string_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// "routing:queue:view" and the like: two or more ':'-separated parts, no spaces.
bool looks_like_permission(std::string_view s) {
    if (s.empty() || s.size() > 200 || std::count(s.begin(), s.end(), ':') < 1)
        return false;
    return std::none_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '"' || static_cast<unsigned char>(c) < 0x20;
    });
}

void collect_permissions(const json::value& v, std::vector<std::string>& out) {
    if (v.is_string()) {
        const std::string_view s = v.get_string();
        if (looks_like_permission(s) && std::find(out.begin(), out.end(), s) == out.end()) {
            out.emplace_back(s);
        }
    } else if (v.is_array()) {
        for (const auto& item : v.get_array())
            collect_permissions(item, out);
    } else if (v.is_object()) {
        for (const auto& [key, value] : v.get_object()) {
            if (key == "message" || key == "messageWithParams" || key == "code" ||
                key == "contextId" || key == "status") {
                continue;
            }
            collect_permissions(value, out);
        }
    }
}

}  // namespace

std::string redact_channel_id(std::string_view id) {
    return std::string(id.substr(0, 8)) + "\u2026";
}

ApiResult<NotificationChannel> parse_channel(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) {
        return bad_response("the channel creation answered a body that is not a JSON object");
    }
    const json::object& o = v.get_object();
    NotificationChannel channel;
    channel.id = string_of(o, "id");
    channel.connect_uri = string_of(o, "connectUri");
    if (channel.id.empty() || channel.connect_uri.empty()) {
        return bad_response(
            "the channel creation answered without id or connectUri (API-NOTES.md §3.2)");
    }
    if (auto instant = core::parse_rfc3339(string_of(o, "expires"))) {
        channel.expires_ms = instant->ns / 1'000'000;
    }
    return channel;
}

std::string subscriptions_body(const std::vector<std::string>& topics) {
    json::array items;
    items.reserve(topics.size());
    for (const auto& topic : topics)
        items.push_back(json::object{{"id", topic}});
    return json::serialize(items);
}

ApiResult<std::vector<TopicState>> parse_topic_states(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    const json::value* entities =
        !ec && v.is_object() ? v.get_object().if_contains("entities") : nullptr;
    if (entities == nullptr || !entities->is_array()) {
        return bad_response(
            "the subscription answer is not {\"entities\":[...]} "
            "(API-NOTES.md §3.2)");
    }
    std::vector<TopicState> states;
    for (const auto& item : entities->get_array()) {
        if (!item.is_object())
            continue;
        const json::object& o = item.get_object();
        TopicState state;
        state.topic = string_of(o, "id");
        state.permitted = string_of(o, "state") != "Rejected";
        state.rejection_reason = string_of(o, "rejectionReason");
        if (const json::value* missing = o.if_contains("missingPermissions");
            missing != nullptr && missing->is_array()) {
            for (const auto& p : missing->get_array()) {
                if (p.is_string())
                    state.missing_permissions.emplace_back(p.get_string());
            }
        }
        states.push_back(std::move(state));
    }
    return states;
}

std::vector<std::string> permissions_named_by(std::string_view error_body) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    json::value v = json::parse(error_body, ec);
    if (!ec)
        collect_permissions(v, out);
    return out;
}

NotificationsApi::NotificationsApi(HttpClient& http, NotificationsApiOptions options)
    : http_(http)
    , options_(std::move(options)) {}

asio::awaitable<ApiResult<HttpResponse>> NotificationsApi::send(
    std::string method, std::string path, std::string token, std::string body, std::string what) {
    std::mt19937_64 random(std::random_device{}());
    std::int64_t ceiling = std::max<std::int64_t>(1, options_.initial_backoff.count());
    const int max_attempts = std::max(1, options_.max_attempts);
    for (int attempt = 1;; ++attempt) {
        if (cancelled_) {
            ApiError error = transport_error(core::make_error_code(core::Errc::kTimeout), what);
            error.retryable = false;
            error.message = what + " was cancelled (shutting down)";
            co_return error;
        }
        HttpRequest request;
        request.method = method;
        request.url = options_.api_origin + path;
        request.headers.push_back({"Authorization", "Bearer " + token});
        request.headers.push_back({"Accept", "application/json"});
        if (!body.empty())
            request.headers.push_back({"Content-Type", "application/json"});
        request.body = body;
        ++calls_;
        auto response = co_await http_.request(std::move(request));
        if (!response)
            co_return transport_error(response.error(), what);
        if (response->status != 429)
            co_return std::move(*response);
        ++rate_limited_;
        ApiError error = error_from_response(*response, what);
        if (attempt >= max_attempts || cancelled_) {
            error.message += " (gave up after " + std::to_string(attempt) + " attempts)";
            co_return error;
        }
        const std::int64_t jitter = std::uniform_int_distribution<std::int64_t>(0, ceiling)(random);
        ceiling = std::min<std::int64_t>(ceiling * 2,
                                         std::max<std::int64_t>(1, options_.max_backoff.count()));
        const std::int64_t delay = std::min<std::int64_t>(std::max(error.retry_after_ms, jitter),
                                                          options_.max_wait.count());
        logger()->warn("{} was rate limited (429), retrying in {} ms attempt={} correlation_id={}",
                       what, delay, attempt, error.correlation_id);
        asio::steady_timer timer(co_await asio::this_coro::executor,
                                 std::chrono::milliseconds(delay));
        waits_.push_back(&timer);
        auto [ec] = co_await timer.async_wait(kTok);
        (void)ec;  // cancel(): cancelled_ says so
        std::erase(waits_, &timer);
    }
}

void NotificationsApi::cancel() {
    cancelled_ = true;
    for (auto* timer : waits_)
        timer->cancel();
}

asio::awaitable<ApiResult<NotificationChannel>> NotificationsApi::create_channel(
    std::string token) {
    const std::string what =
        "creating a notification channel (POST " + std::string(kChannelsPath) + ")";
    auto response = co_await send("POST", std::string(kChannelsPath), std::move(token), {}, what);
    if (!response)
        co_return response.error();
    if (response->status < 200 || response->status > 299) {
        co_return error_from_response(*response, what);
    }
    auto channel = parse_channel(response->body);
    if (!channel) {
        ApiError error = channel.error();
        error.correlation_id = response->correlation_id();
        co_return error;
    }
    co_return std::move(*channel);
}

asio::awaitable<ApiResult<bool>> NotificationsApi::channel_exists(std::string token,
                                                                  std::string id) {
    const std::string what = "checking notification channel " + redact_channel_id(id) + " (HEAD)";
    auto response =
        co_await send("HEAD", std::string(kChannelsPath) + "/" + id, std::move(token), {}, what);
    if (!response)
        co_return response.error();
    if (response->status == 404)
        co_return false;
    if (response->status >= 200 && response->status <= 299)
        co_return true;
    co_return error_from_response(*response, what);
}

asio::awaitable<ApiResult<std::vector<TopicState>>> NotificationsApi::replace_subscriptions(
    std::string token, std::string id, std::vector<std::string> topics) {
    const std::string what = "subscribing " + std::to_string(topics.size()) +
                             " topic(s) on notification channel " + redact_channel_id(id) +
                             " (PUT)";
    auto response = co_await send("PUT", std::string(kChannelsPath) + "/" + id + "/subscriptions",
                                  std::move(token), subscriptions_body(topics), what);
    if (!response)
        co_return response.error();
    if (response->status == 403) {
        ApiError error = error_from_response(*response, what);
        error.retryable = false;
        const auto named = permissions_named_by(response->body);
        std::string list;
        for (const auto& p : named)
            list += (list.empty() ? "" : ", ") + p;
        error.message +=
            "; one topic that is not permitted fails the whole request (API-NOTES.md §3.3): grant "
            "the OAuth client's role " +
            (list.empty() ? std::string("the permissions each topic requires (GET "
                                        "/api/v2/notifications/availabletopics?expand="
                                        "requiresPermissions lists them per topic)")
                          : "the permission(s) " + list) +
            ", or remove the topic from source.queues / source.notifications.topics";
        co_return error;
    }
    if (response->status < 200 || response->status > 299) {
        co_return error_from_response(*response, what);
    }
    auto states = parse_topic_states(response->body);
    if (!states)
        co_return states.error();
    co_return std::move(*states);
}

}  // namespace gstream::genesys

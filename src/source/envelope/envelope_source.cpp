// The batch-envelope protocol source (SEED-PROTOCOL.md): OAuth token -> subscription -> WebSocket
// stream with reconnects. The coroutine shell over HttpClient, OAuthClient and WebSocketSession.
// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "genesys/http_client.hpp"
#include "genesys/oauth_client.hpp"
#include "ops/logging.hpp"
#include "source/backoff.hpp"
#include "source/envelope/envelope_protocol.hpp"
#include "source/source.hpp"
#include "source/websocket_connection.hpp"

namespace gstream::source {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr int kCloseNormal = 1000;
// A failure that repeats (the same reason) is logged once per interval; the first line of the
// next interval carries suppressed=N (ops::RateLimitedLog).
constexpr auto kRepeatLogInterval = std::chrono::seconds(60);

std::shared_ptr<spdlog::logger> logger() { return ops::logger("source"); }

std::string join(const std::vector<std::string>& items) {
    return fmt::format("{}", fmt::join(items, ", "));
}

// Whether any endpoint uses TLS (or a CA file is configured, which must load at start-up).
bool needs_tls(const SourceOptions& o) {
    return o.ca_file || o.stream_url.starts_with("wss:") || o.login_origin.starts_with("https:") ||
           o.api_origin.starts_with("https:");
}

class EnvelopeSource final : public Source {
public:
    EnvelopeSource(asio::io_context& io, SourceOptions options, SourceObserver& observer)
        : io_(io),
          options_(std::move(options)),
          observer_(observer),
          tls_(needs_tls(options_) ? genesys::make_tls_context({options_.tls_verify, options_.ca_file})
                                    : nullptr),
          wait_timer_(io),
          backoff_(options_.reconnect_initial_ms, options_.reconnect_max_ms) {
        if (options_.stream_url.empty()) {
            genesys::HttpClientOptions http_options;
            http_options.tls = {options_.tls_verify, options_.ca_file};
            http_options.tls_context = tls_;
            http_options.eager_tls = false;
            http_options.connect_timeout = milliseconds(options_.connect_timeout_ms);
            http_options.io_timeout = milliseconds(options_.connect_timeout_ms);
            http_ = std::make_unique<genesys::HttpClient>(io_, http_options);
            oauth_ = std::make_unique<genesys::OAuthClient>(
                *http_, genesys::OAuthOptions{options_.login_origin, options_.client_id,
                                              options_.client_secret,
                                              milliseconds(options_.token_refresh_margin_ms)});
        }
    }

    void start() override {
        asio::post(io_, [this] {
            if (started_) return;
            started_ = true;
            asio::co_spawn(io_, run(), asio::detached);
        });
    }

    void resume_reading() override {
        asio::post(io_, [this] {
            if (session_ != nullptr) session_->resume();
        });
    }

    void stop() override {
        asio::post(io_, [this] {
            stopping_ = true;
            wait_timer_.cancel();
            if (session_ != nullptr) session_->stop();
            if (!started_) {
                started_ = true;
                finish();
            }
        });
    }

private:
    asio::awaitable<void> run();
    asio::awaitable<bool> subscribe();
    asio::awaitable<bool> back_off(std::int64_t retry_after_ms);
    bool refused(const SessionEnd& end, bool direct);
    asio::awaitable<bool> wait(std::int64_t delay_ms);
    WebSocketOptions websocket_options(std::string url) const;
    void fatal(const std::string& message) {
        logger()->error("{}", message);
        observer_.on_fatal(message);
    }
    void finish() {
        if (finished_) return;
        finished_ = true;
        logger()->info("source stopped");
        observer_.on_finished();
    }

    asio::io_context& io_;
    SourceOptions options_;
    SourceObserver& observer_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::unique_ptr<genesys::HttpClient> http_;
    std::unique_ptr<genesys::OAuthClient> oauth_;
    asio::steady_timer wait_timer_;
    Backoff backoff_;
    ops::RateLimitedLog repeat_log_{logger(), 1, kRepeatLogInterval};
    WebSocketSession* session_ = nullptr;
    // Whether a stream connection succeeded once in this process: until then a refused upgrade
    // is a start-up failure and may be fatal; after, it is retried for as long as it lasts.
    bool connected_once_ = false;
    std::int64_t refused_in_a_row_ = 0;  // upgrades refused with 401/403 since the last success
    bool started_ = false;
    bool stopping_ = false;
    bool finished_ = false;
};

WebSocketOptions EnvelopeSource::websocket_options(std::string url) const {
    WebSocketOptions ws;
    ws.url = std::move(url);
    ws.tls_context = tls_;
    ws.tls_verify = options_.tls_verify;
    ws.max_message_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(1, options_.max_message_bytes));
    ws.connect_timeout = milliseconds(std::max<std::int64_t>(1, options_.connect_timeout_ms));
    ws.ping_interval = milliseconds(std::max<std::int64_t>(1, options_.ping_interval_ms));
    ws.idle_timeout = milliseconds(std::max<std::int64_t>(1, options_.idle_timeout_ms));
    return ws;
}

asio::awaitable<bool> EnvelopeSource::wait(std::int64_t delay_ms) {
    if (stopping_) co_return false;
    wait_timer_.expires_after(milliseconds(std::max<std::int64_t>(0, delay_ms)));
    auto [ec] = co_await wait_timer_.async_wait(kTok);
    (void)ec;  // cancelled by stop(): stopping_ says so
    co_return !stopping_;
}

// Waits the reconnect backoff's next delay (at least retry_after_ms), telling the observer.
asio::awaitable<bool> EnvelopeSource::back_off(std::int64_t retry_after_ms) {
    const std::int64_t delay = std::max(retry_after_ms, backoff_.next_delay_ms());
    observer_.on_reconnect_scheduled(delay);
    co_return co_await wait(delay);
}

// An upgrade refused with 401 or 403: true when that is fatal. Only at start-up (no stream
// connection yet in this process) can a refusal be told from a transient one: the token is new,
// the subscription call has just accepted it, and source.subscribe_max_attempts dials in a row,
// each with a newly fetched token, were refused; at run time (e.g. a token revoked, a platform
// hiccup) the source backs off, /readyz reports the stream disconnected, and it keeps trying.
bool EnvelopeSource::refused(const SessionEnd& end, bool direct) {
    ++refused_in_a_row_;
    if (end.error == ConnectionError::kHttp401 && oauth_) {
        oauth_->invalidate();  // refused: the next dial fetches a new token
    }
    const std::int64_t max_attempts = std::max<std::int64_t>(1, options_.subscribe_max_attempts);
    const bool forbidden = end.error == ConnectionError::kHttp403;
    if (connected_once_ || (!forbidden && !direct && refused_in_a_row_ < max_attempts)) {
        return false;
    }
    std::string message = end.detail;
    if (direct) {
        message += forbidden ? "" : "; source.url does not accept unauthenticated connections";
    } else if (forbidden) {
        message += "; the OAuth client lacks the scope eventbridge:read";
    } else {
        message = "the stream upgrade was refused with HTTP 401 " +
                  std::to_string(refused_in_a_row_) +
                  " times at start-up, each time with a new token: the OAuth client lacks the "
                  "scope eventbridge:read (grant it to genesys.client_id's OAuth client; "
                  "attempts: source.subscribe_max_attempts)";
    }
    fatal(message);
    return true;
}

asio::awaitable<bool> EnvelopeSource::subscribe() {
    const std::string what = "the subscription request for queue(s) [" + join(options_.queues) +
                             "] states [" + join(options_.states) + "]";
    Backoff retry(options_.reconnect_initial_ms, options_.reconnect_max_ms);
    const std::int64_t max_attempts = std::max<std::int64_t>(1, options_.subscribe_max_attempts);
    std::int64_t attempt = 0;
    while (!stopping_) {
        genesys::ApiError error;
        auto token = co_await oauth_->token(Clock::now());
        if (!token) {
            error = token.error();
        } else {
            genesys::HttpRequest request;
            request.method = "POST";
            request.url = envelope::subscription_url(options_.api_origin);
            request.headers.push_back({"Authorization", "Bearer " + *token});
            request.headers.push_back({"Content-Type", "application/json"});
            request.headers.push_back({"Accept", "application/json"});
            request.body = envelope::subscription_body(options_.queues, options_.states);
            auto response = co_await http_->request(std::move(request));
            if (stopping_) co_return false;
            if (!response) {
                error = genesys::transport_error(response.error(), what);
            } else if (response->status >= 200 && response->status <= 299) {
                boost::system::error_code ec;
                auto body = boost::json::parse(response->body, ec);
                const boost::json::value* id =
                    !ec && body.is_object() ? body.get_object().if_contains("id") : nullptr;
                if (id == nullptr || !id->is_string() || id->get_string().empty()) {
                    fatal(what + " answered HTTP " + std::to_string(response->status) +
                          " without a subscription id (SEED-PROTOCOL.md §2)");
                    co_return false;
                }
                oauth_->on_authorized();
                logger()->info("subscribed to {} subscription_id={}", envelope::kStreamName,
                               std::string_view(id->get_string()));
                co_return true;
            } else if (response->status == 401) {
                if (auto refused = oauth_->on_unauthorized("eventbridge:subscribe", what)) {
                    fatal(refused->message);
                    co_return false;
                }
                continue;  // a new token, once, without counting an attempt
            } else {
                error = genesys::error_from_response(*response, what);
                if (response->status == 400 || response->status == 403) {
                    error.message += response->status == 403
                                         ? "; check that the queue(s) in source.queues exist in "
                                           "this org and that the OAuth client has the scope "
                                           "eventbridge:subscribe"
                                         : "; check source.queues and source.states";
                }
            }
        }
        ++attempt;
        if (!error.retryable) {
            fatal(error.message);
            co_return false;
        }
        if (attempt >= max_attempts) {
            fatal(error.message + " (gave up after " + std::to_string(attempt) +
                  " attempts; source.subscribe_max_attempts)");
            co_return false;
        }
        const std::int64_t delay = std::max(error.retry_after_ms, retry.next_delay_ms());
        logger()->warn("subscription attempt {} failed, retrying in {} ms: {}", attempt, delay,
                       error.message);
        if (!co_await wait(delay)) co_return false;
    }
    co_return false;
}

asio::awaitable<void> EnvelopeSource::run() {
    const bool direct = !options_.stream_url.empty();
    if (!direct && !co_await subscribe()) {
        finish();
        co_return;
    }
    while (!stopping_) {
        std::string url = options_.stream_url;
        if (!direct) {
            // Renews only when the cached token is within the margin of expiry.
            auto token = co_await oauth_->token(Clock::now());
            if (stopping_) break;
            if (!token) {
                if (!token.error().retryable) {
                    fatal(token.error().message);
                    break;
                }
                repeat_log_.log(spdlog::level::warn, "token", Clock::now(),
                                "the token request failed: {}", token.error().message);
                observer_.on_disconnected(ConnectionError::kOther, token.error().message);
                if (!co_await back_off(token.error().retry_after_ms)) break;
                continue;
            }
            url = envelope::stream_url(options_.api_origin, *token);
        }

        WebSocketSession session(io_, websocket_options(std::move(url)));
        session_ = &session;
        SessionEnd end = co_await session.run(
            [this] {
                logger()->info("connected to the {} stream", envelope::kStreamName);
                observer_.on_connected();
            },
            [this](std::string&& payload, std::int64_t received_ns) {
                observer_.on_frame(Frame{std::move(payload), received_ns});
                return observer_.accepting();
            });
        session_ = nullptr;
        if (end.stopped || stopping_) break;
        if (end.messages > 0) backoff_.reset();
        if (end.connected) {
            connected_once_ = true;
            refused_in_a_row_ = 0;
        }
        // The server's normal close (1000, the end of a replay) is routine; anything else warns.
        const bool normal =
            end.error == ConnectionError::kClosedByPeer && end.close_code == kCloseNormal;
        repeat_log_.log(normal ? spdlog::level::info : spdlog::level::warn,
                        fmt::format("ended:{}", to_string(end.error)), Clock::now(),
                        "stream connection ended reason={} detail=\"{}\" messages={}",
                        to_string(end.error), end.detail, end.messages);
        observer_.on_disconnected(end.error, end.detail);

        if (end.error == ConnectionError::kClosedByPeer && end.close_code == kCloseNormal &&
            options_.once) {
            logger()->info("the server closed the stream with 1000; once: not reconnecting");
            break;
        }
        if (end.error == ConnectionError::kHttp401 || end.error == ConnectionError::kHttp403) {
            if (refused(end, direct)) break;
        } else if (end.connected && oauth_) {
            oauth_->on_authorized();
        }
        // Every failure, a refused upgrade included, waits the same capped, jittered backoff.
        if (!co_await back_off(end.retry_after_ms)) break;
    }
    finish();
}

}  // namespace

std::unique_ptr<Source> make_envelope_source(asio::io_context& io, SourceOptions options,
                                             SourceObserver& observer) {
    return std::make_unique<EnvelopeSource>(io, std::move(options), observer);
}

}  // namespace gstream::source

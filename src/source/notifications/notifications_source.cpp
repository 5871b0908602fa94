// The Genesys Notifications API source (API-NOTES.md §3, §4.1, §8): token -> channel -> PUT the
// topic set -> WebSocket at connectUri, one "lineage" coroutine per channel slot that reconnects,
// and make-before-break rollovers that start a second lineage for the same slot and retire the
// old connection once the new one is connected.
// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <stdexcept>

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

#include "core/clock.hpp"
#include "genesys/http_client.hpp"
#include "genesys/notifications_api.hpp"
#include "genesys/oauth_client.hpp"
#include "ops/logging.hpp"
#include "source/backoff.hpp"
#include "source/notifications/topic_plan.hpp"
#include "source/source.hpp"
#include "source/websocket_connection.hpp"

namespace gstream::source {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr int kCloseNormal = 1000;
constexpr std::string_view kPing = R"({"message":"ping"})";
constexpr int kMaxRejectionLines = 20;
constexpr std::int64_t kDetailSyncMs = 100;  // detail topic changes are batched this long
// A failure that repeats (the same reason on the same channel slot) is logged once per interval;
// the first line of the next interval carries suppressed=N (ops::RateLimitedLog).
constexpr auto kRepeatLogInterval = std::chrono::seconds(60);

std::shared_ptr<spdlog::logger> logger() { return ops::logger("source"); }

bool needs_tls(const SourceOptions& o) {
    return o.ca_file || o.login_origin.starts_with("https:") || o.api_origin.starts_with("https:");
}

std::string join(const std::vector<std::string>& items) {
    return fmt::format("{}", fmt::join(items, ", "));
}

// One WebSocket connection to one channel.
struct Connection {
    Connection(asio::io_context& io, genesys::NotificationChannel ch, std::uint64_t generation)
        : channel(std::move(ch))
        , token_generation(generation)
        , watchdog(io)
        , expiry(io)
        , retire(io) {}

    genesys::NotificationChannel channel;
    std::uint64_t token_generation;  // OAuthClient::fetch_count() when the channel was made
    std::unique_ptr<WebSocketSession> session;
    asio::steady_timer watchdog;
    asio::steady_timer expiry;
    asio::steady_timer retire;  // closes a retired socket the server has not closed in time
    Clock::time_point last_rx{};
    Clock::time_point ping_at{};
    bool ping_outstanding = false;
    bool connected = false;
    bool ended = false;
    bool retiring = false;        // a successor is being prepared: no_longer_subscribed is expected
    bool retired = false;         // the successor is connected; this one's end is expected
    std::string rollover_reason;  // why retiring was set
    int tasks = 0;                // watchdog/expiry/retire coroutines still referring to it
    std::string tag() const { return genesys::redact_channel_id(channel.id); }
};

struct Slot {
    std::size_t index = 0;
    std::vector<std::string> topics;
    std::shared_ptr<Connection> current;
    bool rolling = false;  // a successor lineage runs for `current`
    bool detail = false;   // the channel of per-conversation detail topics
    bool spawned = false;  // (detail slot) its first lineage was started
};

class NotificationsSource final : public Source {
public:
    NotificationsSource(asio::io_context& io, SourceOptions options, SourceObserver& observer)
        : io_(io)
        , options_(std::move(options))
        , observer_(observer)
        , tls_(needs_tls(options_)
                   ? genesys::make_tls_context({options_.tls_verify, options_.ca_file})
                   : nullptr) {
        const auto groups = notifications::pack_topics(
            notifications::build_topics(options_.queues, options_.notifications.media,
                                        options_.notifications.topics),
            static_cast<std::size_t>(
                std::max<std::int64_t>(1, options_.notifications.max_topics_per_channel)),
            notifications::kMaxPlannedChannels - (options_.notifications.detail_topics ? 1 : 0));
        for (std::size_t i = 0; i < groups.size(); ++i) {
            auto slot = std::make_unique<Slot>();
            slot->index = i;
            slot->topics = groups[i];
            slots_.push_back(std::move(slot));
        }
        if (options_.notifications.detail_topics) {
            auto slot = std::make_unique<Slot>();
            slot->index = groups.size();
            slot->detail = true;
            detail_slot_ = slot.get();
            slots_.push_back(std::move(slot));
        }
        genesys::HttpClientOptions http_options;
        http_options.tls = {options_.tls_verify, options_.ca_file};
        http_options.tls_context = tls_;
        http_options.eager_tls = false;
        http_options.connect_timeout = milliseconds(options_.connect_timeout_ms);
        http_options.io_timeout = milliseconds(options_.connect_timeout_ms);
        http_ = std::make_unique<genesys::HttpClient>(io_, http_options);
        oauth_ = std::make_unique<genesys::OAuthClient>(
            *http_,
            genesys::OAuthOptions{options_.login_origin, options_.client_id, options_.client_secret,
                                  milliseconds(options_.token_refresh_margin_ms)});
        genesys::NotificationsApiOptions api_options;
        api_options.api_origin = options_.api_origin;
        api_options.max_attempts =
            static_cast<int>(std::max<std::int64_t>(1, options_.subscribe_max_attempts));
        api_options.initial_backoff =
            milliseconds(std::max<std::int64_t>(1, options_.reconnect_initial_ms));
        api_options.max_backoff =
            milliseconds(std::max<std::int64_t>(1, options_.reconnect_max_ms));
        api_ = std::make_unique<genesys::NotificationsApi>(*http_, api_options);
        spare_channels_ = notifications::kMaxChannelsPerClient - slots_.size();
    }

    void start() override {
        asio::post(io_, [this] {
            if (started_)
                return;
            started_ = true;
            std::size_t topics = 0;
            for (const auto& slot : slots_)
                topics += slot->topics.size();
            logger()->info("notifications source starting topics={} channels={}", topics,
                           slots_.size());
            for (auto& slot : slots_) {
                if (!slot->detail)
                    spawn_lineage(*slot, nullptr);
            }
            if (detail_slot_ != nullptr) {
                ++lineages_;
                asio::co_spawn(io_, detail_sync(), asio::detached);
            }
        });
    }

    void stop() override {
        asio::post(io_, [this] { halt(); });
    }

    void resume_reading() override {
        asio::post(io_, [this] {
            for (auto& conn : live_) {
                if (conn->session)
                    conn->session->resume();
            }
        });
    }

private:
    void halt() {
        stopping_ = true;
        token_gate_.cancel();
        api_->cancel();
        for (auto* timer : waits_)
            timer->cancel();
        for (auto& conn : live_) {
            conn->watchdog.cancel();
            conn->expiry.cancel();
            conn->retire.cancel();
            if (conn->session)
                conn->session->stop();
        }
        if (!started_) {
            started_ = true;
            finish();
        }
    }

    void spawn_lineage(Slot& slot, std::shared_ptr<Connection> predecessor) {
        ++lineages_;
        if (!slot.detail)
            ++primary_lineages_;
        asio::co_spawn(io_, run_lineage(slot, std::move(predecessor)), asio::detached);
    }

    void lineage_ended(const Slot* slot) {
        --lineages_;
        if (slot != nullptr && !slot->detail && --primary_lineages_ == 0 &&
            detail_slot_ != nullptr && !stopping_) {
            // `once` ended every queue channel: the detail channel has nothing left to follow.
            halt();
        }
        maybe_finish();
    }

    // Learns conversation ids from a queue conversation snapshot (API-NOTES.md §4.3): a new id
    // gets its detail topics; one whose participants all have endTime is unsubscribed after
    // detail_linger_ms.
    void learn_conversation(std::string_view payload) {
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(payload, ec);
        const boost::json::object* body = nullptr;
        if (!ec && v.is_object()) {
            if (const auto* b = v.get_object().if_contains("eventBody"); b && b->is_object())
                body = &b->get_object();
        }
        const boost::json::value* id = body ? body->if_contains("id") : nullptr;
        if (id == nullptr || !id->is_string() || id->get_string().empty())
            return;
        bool ended = false;
        if (const auto* ps = body->if_contains("participants"); ps && ps->is_array()) {
            ended = !ps->get_array().empty();
            for (const auto& p : ps->get_array()) {
                const auto* end = p.is_object() ? p.get_object().if_contains("endTime") : nullptr;
                if (end == nullptr || !end->is_string() || end->get_string().empty())
                    ended = false;
            }
        }
        const std::string key(id->get_string());
        auto it = conversations_.find(key);
        if (it == conversations_.end()) {
            if (ended)
                return;
            const auto per_channel = static_cast<std::size_t>(
                std::max<std::int64_t>(1, options_.notifications.max_topics_per_channel));
            if ((conversations_.size() + 1) * notifications::kDetailTopicsPerConversation >
                per_channel) {
                if (detail_skipped_++ % 100 == 0) {
                    logger()->warn(
                        "detail topics are full ({} conversations); conversation {} "
                        "gets no detail topics skipped={}",
                        conversations_.size(), key, detail_skipped_);
                }
                return;
            }
            conversations_.emplace(key, std::nullopt);
            detail_dirty_ = true;
        } else if (ended && !it->second) {
            it->second = Clock::now();
        } else if (!ended && it->second) {
            it->second.reset();
        }
    }

    // Keeps the detail channel's subscription equal to the tracked conversations.
    asio::awaitable<void> detail_sync() {
        const auto linger =
            milliseconds(std::max<std::int64_t>(0, options_.notifications.detail_linger_ms));
        // A failed update is retried on the source's backoff schedule, not on every tick.
        Backoff retry(options_.reconnect_initial_ms, options_.reconnect_max_ms);
        std::int64_t retry_after_ms = 0;
        while (!stopping_) {
            if (!co_await wait(std::max(kDetailSyncMs, retry_after_ms)))
                break;
            retry_after_ms = 0;
            const auto now = Clock::now();
            const auto before = conversations_.size();
            std::erase_if(conversations_,
                          [&](const auto& c) { return c.second && *c.second + linger <= now; });
            detail_dirty_ = detail_dirty_ || conversations_.size() != before;
            if (!detail_dirty_)
                continue;
            std::vector<std::string> topics;
            for (const auto& [id, ended] : conversations_) {
                for (auto& t : notifications::detail_topics_for(id))
                    topics.push_back(std::move(t));
            }
            detail_slot_->topics = topics;
            if (!detail_slot_->spawned) {
                detail_slot_->spawned = true;
                detail_dirty_ = false;
                spawn_lineage(*detail_slot_, nullptr);  // subscribes detail_slot_->topics
                continue;
            }
            const auto current = detail_slot_->current;
            if (!current || !current->connected || current->ended)
                continue;  // retried on the next tick
            auto token = co_await this->token();
            if (stopping_)
                break;
            if (!token) {
                retry_after_ms = std::max(token.error().retry_after_ms, retry.next_delay_ms());
                continue;  // the lineages report token failures
            }
            auto states = co_await api_->replace_subscriptions(*token, current->channel.id, topics);
            if (stopping_)
                break;
            if (!states) {
                const genesys::ApiError error = states.error();
                retry_after_ms = std::max(error.retry_after_ms, retry.next_delay_ms());
                repeat_log_.log(spdlog::level::warn, "detail_update", Clock::now(),
                                "updating the detail topics failed, retrying in {} ms: {}",
                                retry_after_ms, error.message);
                continue;
            }
            retry.reset();
            detail_dirty_ = false;
            report_rejections(*detail_slot_, *states);
        }
        lineage_ended(nullptr);
    }

    // Finishes once no lineage runs and no watchdog/expiry coroutine refers to a connection
    // (after on_finished the source may be destroyed).
    void maybe_finish() {
        if (lineages_ != 0)
            return;
        for (const auto& conn : graveyard_) {
            if (conn->tasks > 0)
                return;
        }
        finish();
    }

    void fatal(const std::string& message) {
        if (stopping_)
            return;
        logger()->error("{}", message);
        observer_.on_fatal(message);
        halt();
    }

    void finish() {
        if (finished_)
            return;
        finished_ = true;
        logger()->info("source stopped");
        observer_.on_finished();
    }

    asio::awaitable<bool> wait(std::int64_t delay_ms) {
        if (stopping_)
            co_return false;
        asio::steady_timer timer(io_, milliseconds(std::max<std::int64_t>(0, delay_ms)));
        waits_.push_back(&timer);
        auto [ec] = co_await timer.async_wait(kTok);
        (void)ec;  // cancelled by stop(): stopping_ says so
        waits_.remove(&timer);
        co_return !stopping_;
    }

    WebSocketOptions websocket_options(const std::string& url) const {
        WebSocketOptions ws;
        ws.url = url;
        ws.tls_context = tls_;
        ws.tls_verify = options_.tls_verify;
        ws.max_message_bytes =
            static_cast<std::uint64_t>(std::max<std::int64_t>(1, options_.max_message_bytes));
        ws.connect_timeout = milliseconds(std::max<std::int64_t>(1, options_.connect_timeout_ms));
        ws.ping_interval = milliseconds(std::max<std::int64_t>(1, options_.ping_interval_ms));
        ws.idle_timeout = milliseconds(std::max<std::int64_t>(1, options_.idle_timeout_ms));
        return ws;
    }

    // Waits `backoff`'s next delay (at least retry_after_ms), telling the observer.
    asio::awaitable<bool> back_off(Backoff& backoff, std::int64_t retry_after_ms) {
        const std::int64_t delay = std::max(retry_after_ms, backoff.next_delay_ms());
        observer_.on_reconnect_scheduled(delay);
        co_return co_await wait(delay);
    }

    void report_rejections(const Slot& slot, const std::vector<genesys::TopicState>& states) {
        int lines = 0;
        std::size_t rejected = 0;
        for (const auto& state : states) {
            if (state.permitted)
                continue;
            ++rejected;
            std::string detail = "rejected";
            if (!state.rejection_reason.empty())
                detail += ": " + state.rejection_reason;
            if (!state.missing_permissions.empty()) {
                detail += "; missing permission(s): " + join(state.missing_permissions);
            }
            if (++lines <= kMaxRejectionLines) {
                logger()->warn("topic {} was not subscribed channel_slot={} {}", state.topic,
                               slot.index, detail);
            }
            observer_.on_topic_rejected(state.topic, detail);
        }
        if (rejected > 0) {
            logger()->warn(
                "{} of {} topic(s) were rejected on channel_slot={}; grant the missing "
                "permissions or remove them from the configuration",
                rejected, slot.topics.size(), slot.index);
        }
    }

    void request_rollover(Slot& slot, Connection* conn, std::string_view reason) {
        if (stopping_ || conn->retiring || conn->ended || slot.current.get() != conn ||
            slot.rolling) {
            return;
        }
        conn->retiring = true;
        if (rollovers_in_flight_ >= std::max<std::size_t>(1, spare_channels_)) {
            pending_rollovers_.push_back({&slot, slot.current, std::string(reason)});
            return;
        }
        begin_rollover(slot, slot.current, reason);
    }

    void begin_rollover(Slot& slot,
                        const std::shared_ptr<Connection>& conn,
                        std::string_view reason) {
        logger()->info("rolling notification channel over reason={} channel={} channel_slot={}",
                       reason, conn->tag(), slot.index);
        slot.rolling = true;
        ++rollovers_in_flight_;
        conn->rollover_reason = std::string(reason);
        spawn_lineage(slot, conn);
    }

    void rollover_settled() {
        if (rollovers_in_flight_ > 0)
            --rollovers_in_flight_;
        while (!pending_rollovers_.empty() && !stopping_) {
            auto next = std::move(pending_rollovers_.front());
            pending_rollovers_.pop_front();
            if (next.conn->ended || next.conn->retired || next.slot->current != next.conn ||
                next.slot->rolling) {
                next.conn->retiring = false;
                continue;
            }
            begin_rollover(*next.slot, next.conn, next.reason);
            break;
        }
    }

    void on_message(Slot& slot, Connection* conn, std::string&& payload, std::int64_t received_ns) {
        conn->last_rx = core::steady_time(received_ns);  // the read that completed it
        conn->ping_outstanding = false;
        const std::string_view topic = notifications::peek_topic_name(payload);
        std::string system_topic;
        if (topic.starts_with("v2.system."))
            system_topic = std::string(topic);
        if (detail_slot_ != nullptr && topic.starts_with("v2.routing.queues.") &&
            topic.find(".conversations") != std::string_view::npos) {
            learn_conversation(payload);
        }
        observer_.on_frame(Frame{std::move(payload), received_ns});
        if (system_topic.empty() || stopping_)
            return;
        if (system_topic == "v2.system.socket_closing") {
            request_rollover(slot, conn, "socket_closing");
        } else if (system_topic.starts_with("v2.system.token_revoked")) {
            if (conn->retiring || conn->retired)
                return;
            logger()->warn("the token of notification channel {} was revoked; renewing it",
                           conn->tag());
            oauth_->invalidate();
            request_rollover(slot, conn, "token_revoked");
        } else if (system_topic.starts_with("v2.system.no_longer_subscribed")) {
            if (conn->retiring || conn->retired)
                return;  // our own rollover resubscribed
            logger()->warn(
                "notification channel {} is no longer subscribed; resubscribing on a "
                "new channel",
                conn->tag());
            request_rollover(slot, conn, "no_longer_subscribed");
        } else {
            logger()->info("unhandled system message topic={} channel={}", system_topic,
                           conn->tag());
        }
    }

    // Sends the JSON health check after watchdog_ms of silence; drops the socket when nothing
    // arrives within pong_timeout_ms after it (API-NOTES.md §3.4, §8 item 3).
    // The watchdog and expiry coroutines refer to their Connection by pointer and count
    // themselves in conn->tasks; an ended Connection waits in graveyard_ until they are done.
    asio::awaitable<void> watchdog(Connection* conn) {
        co_await watch(conn);
        --conn->tasks;
        maybe_finish();
    }
    asio::awaitable<void> watch(Connection* conn) {
        const auto quiet =
            milliseconds(std::max<std::int64_t>(1, options_.notifications.watchdog_ms));
        const auto pong =
            milliseconds(std::max<std::int64_t>(1, options_.notifications.pong_timeout_ms));
        while (!conn->ended && !stopping_) {
            conn->watchdog.expires_at(conn->ping_outstanding ? conn->ping_at + pong
                                                             : conn->last_rx + quiet);
            auto [ec] = co_await conn->watchdog.async_wait(kTok);
            (void)ec;
            if (conn->ended || stopping_)
                co_return;
            const auto now = Clock::now();
            if (conn->session->paused()) {  // not reading is our doing (backpressure)
                conn->last_rx = now;
                conn->ping_outstanding = false;
                continue;
            }
            if (conn->ping_outstanding && now >= conn->ping_at + pong) {
                conn->session->drop(ConnectionError::kReadTimeout,
                                    "no message (not even a pong) on notification channel " +
                                        conn->tag() + " for " +
                                        std::to_string(quiet.count() + pong.count()) +
                                        " ms after a health-check ping");
                co_return;
            }
            if (!conn->ping_outstanding && now >= conn->last_rx + quiet) {
                conn->ping_outstanding = true;
                conn->ping_at = now;
                conn->session->send_text(std::string(kPing));
            }
        }
    }

    // Closes a retired socket after retire_grace_ms unless the server closed it first.
    asio::awaitable<void> retire_later(Connection* conn) {
        conn->retire.expires_after(
            milliseconds(std::max<std::int64_t>(0, options_.notifications.retire_grace_ms)));
        auto [ec] = co_await conn->retire.async_wait(kTok);
        if (!ec && !conn->ended && !stopping_) {
            logger()->info("closing retired notification channel {} after {} ms of grace",
                           conn->tag(), options_.notifications.retire_grace_ms);
            conn->session->stop();
        }
        --conn->tasks;
        maybe_finish();
    }

    // Rolls the channel over `expiry_margin_ms` before it expires, and before the token that
    // made it is renewed (a new token means a new channel, API-NOTES.md §1.5).
    asio::awaitable<void> expiry(Slot* slot, Connection* conn) {
        co_await expire(*slot, conn);
        --conn->tasks;
        maybe_finish();
    }
    asio::awaitable<void> expire(Slot& slot, Connection* conn) {
        const auto now = Clock::now();
        std::optional<Clock::time_point> deadline;
        if (conn->channel.expires_ms) {
            const std::int64_t left = *conn->channel.expires_ms - core::wall_ms();
            const std::int64_t margin = options_.notifications.expiry_margin_ms;
            if (left > margin) {
                deadline = now + milliseconds(left - margin);
            } else if (left > 0) {
                deadline = now + milliseconds(left / 2);
            } else {
                logger()->warn(
                    "notification channel {} expired before it was used (expires is "
                    "in the past: check the clock)",
                    conn->tag());
            }
        }
        const auto token_deadline = oauth_->refresh_at();
        if (token_deadline > now && (!deadline || token_deadline < *deadline)) {
            deadline = token_deadline;
        }
        if (!deadline)
            co_return;
        conn->expiry.expires_at(*deadline);
        auto [ec] = co_await conn->expiry.async_wait(kTok);
        if (ec || conn->ended || stopping_)
            co_return;
        request_rollover(slot, conn, "expiry");
    }

    // What one lineage knows about its channel.
    struct Lineage {
        Lineage(Slot& s, std::shared_ptr<Connection> p, const SourceOptions& o)
            : slot(s)
            , predecessor(std::move(p))
            , backoff(o.reconnect_initial_ms, o.reconnect_max_ms) {}
        Slot& slot;
        std::shared_ptr<Connection> predecessor;  // the connection a rollover replaces
        Backoff backoff;
        std::optional<genesys::NotificationChannel> channel;
        std::uint64_t generation = 0;  // OAuthClient::fetch_count() when `channel` was made
        bool subscribed = false;
        bool check_channel = false;  // HEAD before reconnecting to the same channel
        bool rollover_open = false;  // counted in rollovers_in_flight_
    };

    // One token fetch at a time: concurrent lineages would otherwise each fetch (and each new
    // token would make the others' channels stale).
    asio::awaitable<genesys::ApiResult<std::string>> token() {
        while (token_busy_ && !stopping_) {
            auto [ec] = co_await token_gate_.async_wait(kTok);
            (void)ec;
        }
        if (stopping_) {
            genesys::ApiError stopped;
            stopped.retryable = true;
            stopped.message = "stopping";
            co_return stopped;
        }
        token_busy_ = true;
        token_gate_.expires_at(Clock::time_point::max());
        auto result = co_await oauth_->token(Clock::now());
        token_busy_ = false;
        token_gate_.cancel();
        co_return result;
    }

    void settle(Lineage& l) {
        if (!l.rollover_open)
            return;
        l.rollover_open = false;
        rollover_settled();
    }

    // A failed REST call: fatal when retrying cannot help (403 on the PUT, 400, ...), else back
    // off. A 401 means the token was refused: it is dropped, and so is the channel it made (a
    // new token means a new channel, API-NOTES.md §8 item 2); the next attempt fetches a new
    // one, after the backoff like every other failure (a token refused at once again must not
    // spin). Returns false when the lineage must end.
    asio::awaitable<bool> on_api_error(Lineage& l, const genesys::ApiError& error) {
        if (error.http_status == 401) {
            oauth_->invalidate();
            l.channel.reset();
        } else if (!error.retryable && error.http_status != 404) {
            fatal(error.message);
            co_return false;
        }
        repeat_log_.log(spdlog::level::warn,
                        fmt::format("api_error:{}:{}", error.http_status, l.slot.index),
                        Clock::now(), "{} channel_slot={}", error.message, l.slot.index);
        observer_.on_disconnected(ConnectionError::kOther, error.message);
        co_return co_await back_off(l.backoff, error.retry_after_ms);
    }

    // Routine lines of a lineage (channel created, topics subscribed) are info on a first
    // attempt and debug while the lineage is retrying (the failure itself is logged, limited).
    static spdlog::level::level_enum routine_level(const Lineage& l) {
        return l.backoff.attempts() == 0 ? spdlog::level::info : spdlog::level::debug;
    }

    void on_connection_up(Lineage& l, Connection* conn);
    asio::awaitable<void> run_lineage(Slot& slot, std::shared_ptr<Connection> predecessor);

    struct PendingRollover {
        Slot* slot;
        std::shared_ptr<Connection> conn;
        std::string reason;
    };

    asio::io_context& io_;
    SourceOptions options_;
    SourceObserver& observer_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::unique_ptr<genesys::HttpClient> http_;
    std::unique_ptr<genesys::OAuthClient> oauth_;
    std::unique_ptr<genesys::NotificationsApi> api_;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::list<std::shared_ptr<Connection>> live_;
    std::vector<std::shared_ptr<Connection>> graveyard_;  // ended, coroutines still pending
    std::list<asio::steady_timer*> waits_;
    std::deque<PendingRollover> pending_rollovers_;
    asio::steady_timer token_gate_{io_};  // armed while one lineage fetches a token
    ops::RateLimitedLog repeat_log_{logger(), 1, kRepeatLogInterval};
    bool token_busy_ = false;
    std::size_t spare_channels_ = 1;
    std::size_t rollovers_in_flight_ = 0;
    std::size_t lineages_ = 0;
    std::size_t primary_lineages_ = 0;  // lineages of queue-topic slots
    Slot* detail_slot_ = nullptr;
    std::map<std::string, std::optional<Clock::time_point>> conversations_;  // id -> ended at
    bool detail_dirty_ = false;
    std::uint64_t detail_skipped_ = 0;
    bool started_ = false;
    bool stopping_ = false;
    bool finished_ = false;
};

void NotificationsSource::on_connection_up(Lineage& l, Connection* conn) {
    conn->connected = true;
    conn->last_rx = Clock::now();
    for (const auto& live : live_) {
        if (live.get() == conn)
            l.slot.current = live;
    }
    logger()->info("connected to notification channel {} channel_slot={}", conn->tag(),
                   l.slot.index);
    observer_.on_connected();
    if (l.predecessor != nullptr) {
        // Make-before-break: the old socket is retired, not closed: it is read until the server
        // closes it (or retire_grace_ms passes), so what it still carries is delivered (closing
        // it ourselves would discard the frames in flight); its end is expected and not reported
        // as a disconnection.
        l.slot.rolling = false;
        if (!l.predecessor->ended) {
            l.predecessor->retired = true;
            l.predecessor->tasks += 1;
            asio::co_spawn(io_, retire_later(l.predecessor.get()), asio::detached);
        }
        const std::string reason = l.predecessor->rollover_reason;
        l.predecessor.reset();
        observer_.on_channel_rollover(reason);
        settle(l);
    }
    conn->tasks += 2;
    asio::co_spawn(io_, watchdog(conn), asio::detached);
    asio::co_spawn(io_, expiry(&l.slot, conn), asio::detached);
}

asio::awaitable<void> NotificationsSource::run_lineage(Slot& slot,
                                                       std::shared_ptr<Connection> predecessor) {
    Lineage l(slot, std::move(predecessor), options_);
    l.rollover_open = l.predecessor != nullptr;

    while (!stopping_) {
        auto token = co_await this->token();
        if (stopping_)
            break;
        if (!token) {
            if (!token.error().retryable) {
                fatal(token.error().message);
                break;
            }
            observer_.on_disconnected(ConnectionError::kOther, token.error().message);
            if (!co_await back_off(l.backoff, token.error().retry_after_ms))
                break;
            continue;
        }
        if (l.channel && l.generation != oauth_->fetch_count()) {
            logger()->info("the OAuth token was renewed: notification channel {} is replaced",
                           genesys::redact_channel_id(l.channel->id));
            l.channel.reset();
        }
        if (l.channel && l.check_channel) {
            auto exists = co_await api_->channel_exists(*token, l.channel->id);
            if (stopping_)
                break;
            if (!exists) {
                const genesys::ApiError error = exists.error();
                if (!co_await on_api_error(l, error))
                    break;
                continue;
            }
            l.check_channel = false;
            if (!*exists) {
                logger()->info("notification channel {} is gone (HEAD 404); creating a new one",
                               genesys::redact_channel_id(l.channel->id));
                l.channel.reset();
            }
        }
        if (!l.channel) {
            auto created = co_await api_->create_channel(*token);
            if (stopping_)
                break;
            if (!created) {
                const genesys::ApiError error = created.error();
                if (!co_await on_api_error(l, error))
                    break;
                continue;
            }
            l.channel = std::move(*created);
            l.generation = oauth_->fetch_count();
            l.subscribed = false;
            logger()->log(routine_level(l), "created notification channel {} channel_slot={}",
                          genesys::redact_channel_id(l.channel->id), slot.index);
        }
        if (!l.subscribed) {
            auto states = co_await api_->replace_subscriptions(*token, l.channel->id, slot.topics);
            if (stopping_)
                break;
            if (!states) {
                if (states.error().http_status == 404)
                    l.channel.reset();
                const genesys::ApiError error = states.error();
                if (!co_await on_api_error(l, error))
                    break;
                continue;
            }
            l.subscribed = true;
            report_rejections(slot, *states);
            logger()->log(routine_level(l),
                          "subscribed {} topic(s) on notification channel {} channel_slot={}",
                          slot.topics.size(), genesys::redact_channel_id(l.channel->id),
                          slot.index);
        }
        oauth_->on_authorized();

        auto conn = std::make_shared<Connection>(io_, *l.channel, l.generation);
        WebSocketOptions ws = websocket_options(l.channel->connect_uri);
        ws.display_url = l.channel->connect_uri;
        if (const auto at = ws.display_url.find(l.channel->id); at != std::string::npos) {
            ws.display_url.replace(at, l.channel->id.size(), conn->tag());
        }
        ws.display_url = ws.display_url.substr(0, ws.display_url.find('?'));
        conn->session = std::make_unique<WebSocketSession>(io_, std::move(ws));
        live_.push_back(conn);
        if (l.predecessor == nullptr)
            slot.current = conn;
        // Named handlers with trivial captures (GCC 12 may destroy temporaries of a co_await
        // full-expression twice); `conn` outlives run().
        Connection* raw = conn.get();
        std::function<void()> on_up = [this, &l, raw] { on_connection_up(l, raw); };
        WebSocketSession::MessageHandler on_msg = [this, &slot, raw](std::string&& payload,
                                                                     std::int64_t received_ns) {
            on_message(slot, raw, std::move(payload), received_ns);
            return observer_.accepting();
        };
        SessionEnd end = co_await conn->session->run(std::move(on_up), std::move(on_msg));
        conn->ended = true;
        conn->watchdog.cancel();
        conn->expiry.cancel();
        conn->retire.cancel();
        live_.remove(conn);
        std::erase_if(graveyard_, [](const auto& c) { return c->tasks == 0; });
        if (conn->tasks > 0)
            graveyard_.push_back(conn);
        if (end.stopped || stopping_)
            break;
        if (conn->retired)
            break;  // the successor lineage carries on
        if (slot.rolling && slot.current == conn) {
            logger()->info(
                "notification channel {} ended during its rollover ({}); the new "
                "channel takes over",
                conn->tag(), end.detail);
            break;
        }
        if (end.messages > 0)
            l.backoff.reset();
        repeat_log_.log(spdlog::level::warn,
                        fmt::format("ended:{}:{}", to_string(end.error), slot.index),
                        Clock::now(),
                        "notification connection ended reason={} detail=\"{}\" messages={} "
                        "channel={} channel_slot={}",
                        to_string(end.error), end.detail, end.messages, conn->tag(), slot.index);
        observer_.on_disconnected(end.error, end.detail);
        if (end.error == ConnectionError::kClosedByPeer && end.close_code == kCloseNormal &&
            options_.once) {
            logger()->info(
                "the server closed notification channel {} with 1000; once: not "
                "reconnecting",
                conn->tag());
            break;
        }
        if (!end.connected && end.http_status != 0) {
            // A refused upgrade (401 included: HAWK renews the channel then, API-NOTES.md §3.5):
            // the channel is not usable any more. The upgrade carries no token, so the token is
            // kept until it nears expiry or a REST call refuses it; the next attempt makes a new
            // channel with it, after the backoff.
            l.channel.reset();
        } else {
            l.check_channel = true;
        }
        if (!co_await back_off(l.backoff, end.retry_after_ms))
            break;
    }
    if (l.predecessor != nullptr) {
        slot.rolling = false;
        l.predecessor->retiring = false;
    }
    settle(l);
    lineage_ended(&slot);
}

}  // namespace

std::unique_ptr<Source> make_notifications_source(asio::io_context& io,
                                                  SourceOptions options,
                                                  SourceObserver& observer) {
    if (!options.stream_url.empty()) {
        return make_envelope_source(io, std::move(options), observer);
    }
    return std::make_unique<NotificationsSource>(io, std::move(options), observer);
}

}  // namespace gstream::source

#pragma once
// The source interface: a Source speaks one upstream protocol and only produces frames (DESIGN.md
// §1). It owns auth, REST calls, reconnects, backoff and keep-alives; the pipeline sees Frames.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace gstream::source {

/// One complete text message from the upstream.
struct Frame {
    std::string payload;
    std::int64_t received_ns = 0;  ///< steady clock (time_since_epoch), for latency
};

/// Why a connection ended or could not be made. Stable names: to_string().
enum class ConnectionError {
    kConnect,           ///< resolve/TCP connect failed or timed out
    kTls,               ///< TLS handshake failed (certificate, host name, protocol)
    kHandshake,         ///< WebSocket upgrade failed (not an HTTP status answer) or timed out
    kHttp401,           ///< upgrade answered 401
    kHttp403,           ///< upgrade answered 403
    kHttp429,           ///< upgrade answered 429
    kHttpOther,         ///< upgrade answered another status
    kInvalidUtf8,       ///< a text frame with invalid UTF-8 (we close with 1007)
    kMessageTooLarge,   ///< a message over max_message_bytes (we close with 1009)
    kBinaryFrame,       ///< a binary message (we close with 1003)
    kReadTimeout,       ///< nothing (data or pong) for idle_timeout_ms
    kClosedAbnormally,  ///< the connection dropped without a close frame (1006)
    kClosedByPeer,      ///< the server sent a close frame (the detail names its code and reason)
    kOther,             ///< anything else (also: token or subscription call failed transiently)
};

/// Stable snake_case name, e.g. "invalid_utf8"; usable as a metric label.
std::string_view to_string(ConnectionError error);

/// Receives what a source does. Every call is made on the source's io thread, one at a time.
class SourceObserver {
public:
    virtual ~SourceObserver() = default;
    /// A complete text message. Must not block (the io thread also serves timers, the admin
    /// server and signals); a full queue downstream answers false from accepting() instead.
    virtual void on_frame(Frame&& frame) = 0;
    /// Asked after each on_frame(): false when downstream is full. The source then stops reading
    /// the socket that delivered it until Source::resume_reading().
    virtual bool accepting() { return true; }
    /// The WebSocket handshake succeeded.
    virtual void on_connected() {}
    /// A connection ended, or a dial failed, for `reason`; a reconnect follows unless the
    /// source is stopping. `detail` is one line for an operator (never contains the token).
    virtual void on_disconnected(ConnectionError reason, std::string_view detail) {
        (void)reason;
        (void)detail;
    }
    /// The next dial happens in `delay_ms`.
    virtual void on_reconnect_scheduled(std::int64_t delay_ms) { (void)delay_ms; }
    /// A start-up failure that retrying cannot fix (bad credentials, a missing scope, a 403 or
    /// 400 naming the queue). The source stops; on_finished follows.
    virtual void on_fatal(std::string_view message) { (void)message; }
    /// A topic the Notifications API answered "Rejected" (API-NOTES.md §3.2): `topic`, and
    /// `detail` naming the rejection reason and missing permissions. Not fatal; the other topics
    /// of the channel stay subscribed. Called once per rejected topic per subscription call.
    virtual void on_topic_rejected(std::string_view topic, std::string_view detail) {
        (void)topic;
        (void)detail;
    }
    /// A notification channel was replaced make-before-break (the new one is connected and the
    /// old socket is being closed). `reason`: "socket_closing", "expiry", "token_revoked",
    /// "no_longer_subscribed".
    virtual void on_channel_rollover(std::string_view reason) { (void)reason; }
    /// The source has stopped for good: after stop(), after `once` completed, or after
    /// on_fatal. Called exactly once; the source makes no further call to the observer.
    virtual void on_finished() {}
};

/// The Notifications API source (source.notifications.*; API-NOTES.md §3, §4.1).
struct NotificationsOptions {
    /// Media suffixes: v2.routing.queues.{id}.conversations.<media> per queue; empty: the
    /// all-media topic v2.routing.queues.{id}.conversations.
    std::vector<std::string> media;
    std::vector<std::string> topics;      ///< extra topics, subscribed as given
    std::int64_t watchdog_ms = 65'000;    ///< no message for this long -> {"message":"ping"}
    std::int64_t pong_timeout_ms = 10'000;  ///< no message this long after the ping -> reconnect
    std::int64_t expiry_margin_ms = 600'000;  ///< roll a channel over this long before `expires`
    /// After a rollover's successor is connected, the old socket is read until the server closes
    /// it, for at most this long (ms), then closed: what it still carries is delivered.
    std::int64_t retire_grace_ms = 90'000;
    std::int64_t max_topics_per_channel = 1000;  ///< API-NOTES.md §3.3 (lower only in tests)
    /// Subscribe the 16 per-conversation detail topics (v2.detail.events.conversation.{id}.*) of
    /// conversations learned from queue snapshots (eventBody.id), on one extra channel (so at most
    /// 18 channels of queue topics), at most max_topics_per_channel / 16 conversations at once.
    bool detail_topics = false;
    /// Unsubscribe a conversation's detail topics this long after a snapshot shows every
    /// participant ended (endTime set), so acw/wrapup events still arrive.
    std::int64_t detail_linger_ms = 300'000;
};

/// Filled by the daemon from config.
struct SourceOptions {
    std::string stream_url;  ///< direct ws(s):// URL (source.url); empty: OAuth + subscription
    std::string login_origin;  ///< e.g. "https://login.mypurecloud.com", "http://127.0.0.1:18080"
    std::string api_origin;    ///< e.g. "https://api.mypurecloud.com"
    std::string client_id, client_secret;
    std::vector<std::string> queues, states;  ///< subscription filter; empty lists are omitted
    std::int64_t max_message_bytes = 1 << 20;
    std::int64_t connect_timeout_ms = 10'000;  ///< resolve+connect, TLS and upgrade (each); REST
    std::int64_t ping_interval_ms = 20'000;    ///< WebSocket ping period
    std::int64_t idle_timeout_ms = 60'000;     ///< nothing received (data or pong) -> reconnect
    std::int64_t reconnect_initial_ms = 500;
    std::int64_t reconnect_max_ms = 30'000;
    std::int64_t subscribe_max_attempts = 5;   ///< tries of the subscription POST (429/5xx/transport)
    std::int64_t token_refresh_margin_ms = 60'000;
    bool tls_verify = true;
    std::optional<std::string> ca_file;
    bool once = false;  ///< stop after the server closes the current connection with code 1000
    NotificationsOptions notifications;  ///< protocol notifications only
};

class Source {
public:
    virtual ~Source() = default;
    /// Starts the source on its io_context (returns at once; the work runs on the io thread).
    virtual void start() = 0;
    /// Stops intake: closes the socket gracefully (1000), no reconnect; on_finished follows.
    /// Thread-safe (posts to the io_context). Destroy the source only after on_finished, or
    /// after the io_context has stopped running.
    virtual void stop() = 0;
    /// Reading goes on after SourceObserver::accepting() answered false (downstream has room
    /// again). Thread-safe (posts to the io_context).
    virtual void resume_reading() = 0;
};

/// The batch-envelope protocol source (SEED-PROTOCOL.md). `observer` must outlive the source.
std::unique_ptr<Source> make_envelope_source(boost::asio::io_context& io, SourceOptions options,
                                             SourceObserver& observer);

/// The Genesys Notifications API source: OAuth token -> channels (topics packed at most
/// max_topics_per_channel each, at most 19 channels) -> PUT subscriptions -> one WebSocket per
/// channel at its connectUri, with the JSON health-check watchdog and make-before-break channel
/// rollover (socket_closing, expiry, token renewal/revocation). Every message, control messages
/// included, goes to observer.on_frame. With options.stream_url set it reads that URL directly
/// (as make_envelope_source does). Throws std::invalid_argument at construction (a start-up
/// error, before any network call) when there is no topic or more than 19 channels are needed.
/// `observer` must outlive the source.
std::unique_ptr<Source> make_notifications_source(boost::asio::io_context& io,
                                                  SourceOptions options,
                                                  SourceObserver& observer);

}  // namespace gstream::source

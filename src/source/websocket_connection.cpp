// WebSocket client over Beast: one of the three translation units that instantiate Beast templates.
// Follows boost-1.81.0 example/websocket/client/async-ssl, written with coroutines.
// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "source/websocket_connection.hpp"

#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "core/clock.hpp"
#include "genesys/genesys_error.hpp"
#include "genesys/http_client.hpp"
#include "source/read_ahead_stream.hpp"

namespace gstream::source {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
// Not larger: Beast's UTF-8 check leaves its 8-bytes-at-a-time ASCII loop for the rest of a piece
// at the first non-ASCII byte, so 64 KiB pieces made the check of ~36 KB envelope frames ~3x
// slower (perf, envelope benchmark). A piece read from memory costs no syscall anyway.
constexpr std::size_t kReadPiece = 4096;
// Messages read synchronously from memory in a row before the loop yields to the io_context
// (timers, keepalive, admin server, stop()).
constexpr std::uint64_t kMaxSyncBurst = 256;

// ReadAheadStream sits between Beast and the transport: 64 KiB socket reads instead of Beast's
// 1536-byte ones, and a count of the complete messages already in memory (read_ahead_stream.hpp).
using PlainWs = websocket::stream<ReadAheadStream<beast::tcp_stream>>;
using SecureWs = websocket::stream<ReadAheadStream<beast::ssl_stream<beast::tcp_stream>>>;

// "wss://host:port/path" without the query, which carries the token.
std::string redacted(const genesys::ParsedUrl& url) {
    const auto q = url.target.find('?');
    return url.scheme + "://" + url.host_header() +
           (q == std::string::npos ? url.target : url.target.substr(0, q));
}

ConnectionError classify_read_error(error_code ec) {
    if (ec == websocket::error::bad_frame_payload) return ConnectionError::kInvalidUtf8;
    if (ec == websocket::error::message_too_big) return ConnectionError::kMessageTooLarge;
    if (ec == websocket::error::closed) return ConnectionError::kClosedByPeer;
    if (ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::ssl::error::stream_truncated || ec == asio::error::broken_pipe ||
        ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
        return ConnectionError::kClosedAbnormally;
    }
    return ConnectionError::kOther;
}

ConnectionError classify_status(int status) {
    switch (status) {
        case 401: return ConnectionError::kHttp401;
        case 403: return ConnectionError::kHttp403;
        case 429: return ConnectionError::kHttp429;
        default: return ConnectionError::kHttpOther;
    }
}

}  // namespace

struct WebSocketSession::Impl : std::enable_shared_from_this<WebSocketSession::Impl> {
    Impl(asio::io_context& io_context, WebSocketOptions opts)
        : io(io_context), options(std::move(opts)), keepalive_timer(io_context),
          resume_timer(io_context) {}

    asio::io_context& io;
    WebSocketOptions options;
    std::unique_ptr<PlainWs> plain;
    std::unique_ptr<SecureWs> secure;
    beast::tcp_stream* lowest = nullptr;  // while dialling, for stop()
    asio::steady_timer keepalive_timer;
    asio::steady_timer resume_timer;  // a paused read loop waits on it
    Clock::time_point last_rx{};
    bool paused = false;
    bool open = false;
    bool stopping = false;
    bool closing = false;
    bool timed_out = false;
    bool done = false;
    bool writing = false;
    bool pinging = false;  // keepalive()'s async_ping is in flight
    std::string outgoing;  // the text message being written (one at a time)
    std::optional<std::pair<ConnectionError, std::string>> dropped;

    template <class Ws>
    asio::awaitable<SessionEnd> run(Ws& ws, const genesys::ParsedUrl& url,
                                    std::function<void()> on_connected,
                                    MessageHandler on_message);
    // Both take `self` by value: the coroutine frame owns the Impl (and so the stream) from its
    // creation, even when it first runs after the session has ended.
    template <class Ws>
    static asio::awaitable<void> keepalive(std::shared_ptr<Impl> self, Ws& ws);
    template <class Ws>
    static asio::awaitable<void> close(std::shared_ptr<Impl> self, Ws& ws,
                                       websocket::close_code code);
    template <class Ws>
    static asio::awaitable<void> write_text(std::shared_ptr<Impl> self, Ws& ws);
    void abort_socket() {
        error_code ignored;
        if (lowest != nullptr) {
            lowest->cancel();
            lowest->socket().close(ignored);
        }
    }
};

template <class Ws>
asio::awaitable<void> WebSocketSession::Impl::close(std::shared_ptr<Impl> self, Ws& ws,
                                                    websocket::close_code code) {
    if (self->closing || self->done) co_return;
    self->closing = true;
    auto [ec] = co_await ws.async_close(websocket::close_reason(code), kTok);
    if (ec) self->abort_socket();
}

template <class Ws>
asio::awaitable<void> WebSocketSession::Impl::write_text(std::shared_ptr<Impl> self, Ws& ws) {
    ws.text(true);
    auto [ec, n] = co_await ws.async_write(asio::buffer(self->outgoing), kTok);
    (void)ec;  // the read loop sees the same failure
    (void)n;
    self->writing = false;
}

template <class Ws>
asio::awaitable<void> WebSocketSession::Impl::keepalive(std::shared_ptr<Impl> self, Ws& ws) {
    Impl& s = *self;
    auto last_ping = Clock::now();
    while (!s.done) {
        const auto next_ping = last_ping + s.options.ping_interval;
        const auto idle_deadline = s.last_rx + s.options.idle_timeout;
        s.keepalive_timer.expires_at(std::min(next_ping, idle_deadline));
        auto [wec] = co_await s.keepalive_timer.async_wait(kTok);
        (void)wec;
        if (s.done) co_return;
        const auto now = Clock::now();
        if (s.paused) {
            s.last_rx = now;  // not reading is our doing, not the peer's silence
        }
        if (now >= s.last_rx + s.options.idle_timeout) {
            // Nothing for idle_timeout, not even a pong: the link is dead (SEED-PROTOCOL.md §4).
            s.timed_out = true;
            s.abort_socket();
            co_return;
        }
        if (now >= next_ping && !s.closing) {
            last_ping = now;
            s.pinging = true;
            auto [pec] = co_await ws.async_ping({}, kTok);
            s.pinging = false;
            if (pec) co_return;  // the read loop sees the same failure
        }
    }
}

template <class Ws>
asio::awaitable<SessionEnd> WebSocketSession::Impl::run(Ws& ws, const genesys::ParsedUrl& url,
                                                        std::function<void()> on_connected,
                                                        MessageHandler on_message) {
    SessionEnd end;
    auto fail = [&](ConnectionError error, std::string detail) {
        end.error = error;
        end.detail = std::move(detail);
        end.stopped = stopping;
        return end;
    };
    const std::string where = options.display_url.empty() ? redacted(url) : options.display_url;
    beast::tcp_stream& tcp_stream = beast::get_lowest_layer(ws);
    lowest = &tcp_stream;

    // Resolve (the resolver has no deadline of its own: a timer cancels it; both are shared with
    // the timer's handler so a late expiry never touches a destroyed object).
    auto resolver = std::make_shared<tcp::resolver>(io);
    auto resolve_timer = std::make_shared<asio::steady_timer>(io, options.connect_timeout);
    auto resolve_expired = std::make_shared<bool>(false);
    resolve_timer->async_wait([resolver, resolve_expired](error_code ec) {
        if (!ec) {
            *resolve_expired = true;
            resolver->cancel();
        }
    });
    auto [rec, endpoints] = co_await resolver->async_resolve(url.host, url.port, kTok);
    resolve_timer->cancel();
    if (stopping) co_return fail(ConnectionError::kOther, "stopped");
    if (*resolve_expired) {
        co_return fail(ConnectionError::kConnect, "resolving " + url.host + " timed out");
    }
    if (rec) {
        co_return fail(ConnectionError::kConnect, "resolving " + url.host + ": " + rec.message());
    }

    tcp_stream.expires_after(options.connect_timeout);
    auto [cec, endpoint] = co_await tcp_stream.async_connect(endpoints, kTok);
    (void)endpoint;
    if (stopping) co_return fail(ConnectionError::kOther, "stopped");
    if (cec) {
        co_return fail(ConnectionError::kConnect, "connecting to " + where + ": " +
                                                      (cec == beast::error::timeout
                                                           ? std::string("timed out")
                                                           : cec.message()));
    }

    if constexpr (std::is_same_v<Ws, SecureWs>) {
        auto& tls = ws.next_layer().next_layer();
        // SNI (not for IP literals, RFC 6066 §3) and host-name verification.
        if (!genesys::is_ip_literal(url.host)) {
            SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str());
        }
        if (options.tls_verify) tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
        tcp_stream.expires_after(options.connect_timeout);
        auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTok);
        if (stopping) co_return fail(ConnectionError::kOther, "stopped");
        if (hec) {
            co_return fail(ConnectionError::kTls, "TLS handshake with " + where + ": " +
                                                      (hec == beast::error::timeout
                                                           ? std::string("timed out")
                                                           : hec.message()));
        }
    }

    // Beast's own timers take over from here (the tcp_stream deadline would cut idle reads).
    tcp_stream.expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options.connect_timeout;  // also bounds the closing handshake
    timeouts.idle_timeout = websocket::stream_base::none();  // our keepalive() does pings + idle
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    websocket::permessage_deflate deflate;
    deflate.client_enable = false;
    ws.set_option(deflate);
    ws.read_message_max(options.max_message_bytes);
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, "genesys-stream");
    }));

    websocket::response_type response;
    auto [uec] = co_await ws.async_handshake(response, url.host_header(), url.target, kTok);
    if (stopping) co_return fail(ConnectionError::kOther, "stopped");
    if (uec == websocket::error::upgrade_declined) {
        end.http_status = static_cast<int>(response.result_int());
        if (auto it = response.find("Retry-After"); it != response.end()) {
            if (auto ms = genesys::parse_delay_seconds(it->value())) end.retry_after_ms = *ms;
        }
        std::string detail = "upgrade of " + where + " refused with HTTP " +
                             std::to_string(end.http_status);
        const std::string body = genesys::describe_error_body(response.body());
        if (!body.empty()) detail += ": " + body;
        co_return fail(classify_status(end.http_status), std::move(detail));
    }
    if (uec) {
        co_return fail(ConnectionError::kHandshake,
                       "WebSocket upgrade of " + where + ": " + uec.message());
    }

    end.connected = true;
    open = true;
    last_rx = Clock::now();
    ws.control_callback([this](websocket::frame_type, beast::string_view) {
        last_rx = Clock::now();
    });
    asio::co_spawn(io, keepalive(shared_from_this(), ws), asio::detached);
    if (on_connected) on_connected();

    beast::flat_buffer buffer;
    bool first_piece = true;
    std::uint64_t returned = 0;  // complete messages Beast returned
    std::uint64_t burst = 0;     // messages read synchronously since the last async read
    for (;;) {
        if (stopping && !closing) co_await close(shared_from_this(), ws, websocket::close_code::normal);
        error_code ec;
        bool from_memory = false;
        // The next message is wholly in memory (Beast's buffer or ours): a synchronous read of it
        // cannot block, and costs neither a syscall nor a scheduler cycle. Not while one of our
        // async writes is in flight: Beast would answer a ping with a write of its own.
        if (burst < kMaxSyncBurst && ws.next_layer().complete_messages() > returned &&
            !writing && !pinging && !closing && !stopping && !timed_out && !dropped) {
            from_memory = true;
            ws.read_some(buffer, kReadPiece, ec);
            if (ec && ws.next_layer().teardown_deferred()) {
                // Beast failed the connection (close frame sent): finish its teardown without
                // blocking, as the async read would have.
                auto [tec] = co_await ws.next_layer().async_deferred_teardown(
                    beast::role_type::client, kTok);
                (void)tec;
            }
        } else {
            burst = 0;
            auto [aec, n] = co_await ws.async_read_some(buffer, kReadPiece, kTok);
            (void)n;
            ec = aec;
        }
        last_rx = Clock::now();
        if (ec) {
            ConnectionError error = classify_read_error(ec);
            std::string detail;
            if (dropped) {
                error = dropped->first;
                detail = dropped->second;
            } else if (timed_out) {
                error = ConnectionError::kReadTimeout;
                detail = "no data or pong from " + where + " for " +
                         std::to_string(options.idle_timeout.count()) + " ms";
            } else if (error == ConnectionError::kClosedByPeer) {
                const auto& reason = ws.reason();
                end.close_code = static_cast<int>(reason.code);
                detail = "server closed " + where + " with code " + std::to_string(reason.code);
                if (!reason.reason.empty()) detail += " (" + std::string(reason.reason.data(), reason.reason.size()) + ")";
            } else {
                detail = "reading from " + where + ": " + ec.message();
            }
            co_return fail(error, std::move(detail));
        }
        if (first_piece && ws.got_binary()) {
            co_await close(shared_from_this(), ws, websocket::close_code::unknown_data);
            // Drain until the close handshake completes (or fails) so the peer sees our code.
            for (;;) {
                buffer.clear();
                auto [dec, dn] = co_await ws.async_read_some(buffer, kReadPiece, kTok);
                (void)dn;
                if (dec) break;
            }
            co_return fail(ConnectionError::kBinaryFrame,
                           "binary message from " + where + " (only text is expected)");
        }
        first_piece = false;
        if (!ws.is_message_done()) continue;
        first_piece = true;
        std::string payload = beast::buffers_to_string(buffer.data());
        buffer.clear();
        ++returned;
        ++burst;
        ++end.messages;
        if (from_memory) ++end.messages_read_ahead;
        // The read that completed the message: one clock read per message.
        if (on_message && !on_message(std::move(payload), core::steady_ns(last_rx))) {
            paused = true;
            while (paused && !stopping && !done && !dropped) {
                resume_timer.expires_at(Clock::time_point::max());
                auto [pec] = co_await resume_timer.async_wait(kTok);
                (void)pec;
            }
            paused = false;
            last_rx = Clock::now();
        }
    }
}

WebSocketSession::WebSocketSession(asio::io_context& io, WebSocketOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

WebSocketSession::~WebSocketSession() {
    if (impl_) {
        impl_->done = true;
        impl_->keepalive_timer.cancel();
        impl_->resume_timer.cancel();
        impl_->abort_socket();
        impl_->lowest = nullptr;
    }
}

asio::awaitable<SessionEnd> WebSocketSession::run(std::function<void()> on_connected,
                                                  MessageHandler on_message) {
    auto self = impl_;
    auto url = genesys::parse_url(self->options.url);
    if (!url || (url->scheme != "ws" && url->scheme != "wss")) {
        SessionEnd end;
        end.error = ConnectionError::kOther;
        end.detail = "the stream URL is not a valid ws:// or wss:// URL";
        co_return end;
    }
    SessionEnd end;
    if (url->tls()) {
        if (!self->options.tls_context) {
            end.error = ConnectionError::kTls;
            end.detail = "no TLS context for a wss:// URL";
            co_return end;
        }
        self->secure = std::make_unique<SecureWs>(self->io, *self->options.tls_context);
        end = co_await self->run(*self->secure, *url, std::move(on_connected),
                                 std::move(on_message));
    } else {
        self->plain = std::make_unique<PlainWs>(self->io);
        end = co_await self->run(*self->plain, *url, std::move(on_connected),
                                 std::move(on_message));
    }
    self->done = true;
    self->open = false;
    self->keepalive_timer.cancel();
    self->resume_timer.cancel();
    self->abort_socket();
    co_return end;
}

void WebSocketSession::resume() {
    impl_->paused = false;
    impl_->resume_timer.cancel();
}

bool WebSocketSession::paused() const noexcept {
    return impl_->paused;
}

void WebSocketSession::stop() {
    auto& impl = *impl_;
    if (impl.stopping) return;
    impl.stopping = true;
    impl.resume_timer.cancel();
    if (impl.done) return;
    if (!impl.open) {
        impl.abort_socket();  // the pending dial phase fails at once
        return;
    }
    if (impl.secure) {
        asio::co_spawn(impl.io, Impl::close(impl_, *impl.secure, websocket::close_code::normal),
                       asio::detached);
    } else if (impl.plain) {
        asio::co_spawn(impl.io, Impl::close(impl_, *impl.plain, websocket::close_code::normal),
                       asio::detached);
    }
}

bool WebSocketSession::send_text(std::string text) {
    auto& impl = *impl_;
    if (!impl.open || impl.done || impl.stopping || impl.closing || impl.writing) return false;
    impl.writing = true;
    impl.outgoing = std::move(text);
    if (impl.secure) {
        asio::co_spawn(impl.io, Impl::write_text(impl_, *impl.secure), asio::detached);
    } else {
        asio::co_spawn(impl.io, Impl::write_text(impl_, *impl.plain), asio::detached);
    }
    return true;
}

void WebSocketSession::drop(ConnectionError reason, std::string detail) {
    auto& impl = *impl_;
    if (impl.done || impl.stopping || impl.dropped) return;
    impl.dropped.emplace(reason, std::move(detail));
    impl.resume_timer.cancel();
    impl.abort_socket();
}

}  // namespace gstream::source

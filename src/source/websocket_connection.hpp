#pragma once
// One WebSocket client connection (ws:// or wss://) that reads text messages until it ends.
//
// Dials (resolve + TCP connect, TLS with SNI and host-name verification, HTTP upgrade; each phase
// bounded by connect_timeout), then reads each message in ~4 KiB pieces into a flat buffer
// (Beast validates UTF-8 incrementally, DESIGN.md §5) and hands complete text messages to the
// handler. The socket is read in chunks of up to 64 KiB (read_ahead_stream.hpp); while the next
// message is already wholly in memory it is read synchronously (no syscall, no scheduler cycle),
// at most 256 messages in a row before the loop yields to the io_context.
// permessage-deflate is off; read_message_max = max_message_bytes. It sends a ping every
// ping_interval and ends the connection with kReadTimeout when nothing (data, ping or pong) has
// arrived for idle_timeout. Protocol faults (invalid UTF-8, oversize, binary) close the
// connection with the matching RFC 6455 code and end the session with that reason.
//
// Beast stays in websocket_connection.cpp. Thread-safety: all members are called on the
// io_context's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "source/source.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gstream::source {

struct WebSocketOptions {
    std::string url;  ///< ws:// or wss:// (contains the token: never log it)
    /// Shown in SessionEnd::detail instead of the URL when set (e.g. with a channel id, which is
    /// a capability, shortened); else the URL without its query.
    std::string display_url;
    std::shared_ptr<boost::asio::ssl::context> tls_context;  ///< required for wss://
    bool tls_verify = true;  ///< host-name verification (chain verification is in the context)
    std::uint64_t max_message_bytes = 1 << 20;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds ping_interval{20'000};
    std::chrono::milliseconds idle_timeout{60'000};
};

/// How a session ended.
struct SessionEnd {
    bool stopped = false;    ///< ended by stop(); `error` is then meaningless
    bool connected = false;  ///< the upgrade succeeded
    ConnectionError error = ConnectionError::kOther;
    std::string detail;            ///< one line, without the URL's query (the token)
    int http_status = 0;           ///< status of a refused upgrade
    std::int64_t retry_after_ms = -1;  ///< Retry-After of a refused upgrade
    int close_code = 0;            ///< code of the server's close frame (kClosedByPeer)
    std::uint64_t messages = 0;    ///< text messages delivered
    /// Of `messages`, those whose last piece was read synchronously from memory (the message was
    /// wholly received already: no syscall, no scheduler cycle). Diagnostics.
    std::uint64_t messages_read_ahead = 0;
};

class WebSocketSession {
public:
    /// Takes one complete text message and the steady-clock time (ns since the clock's epoch) of
    /// the read that completed it; answers false to pause reading until resume() (downstream is
    /// full: backpressure without blocking the io thread).
    using MessageHandler = std::function<bool(std::string&& payload, std::int64_t received_ns)>;

    WebSocketSession(boost::asio::io_context& io, WebSocketOptions options);
    ~WebSocketSession();
    WebSocketSession(const WebSocketSession&) = delete;
    WebSocketSession& operator=(const WebSocketSession&) = delete;

    /// Dials and reads until the connection ends. Call once. `on_connected` runs after the
    /// upgrade; `on_message` for each complete text message. While paused (on_message answered
    /// false) nothing is read and the idle timeout does not run; pings are still sent.
    boost::asio::awaitable<SessionEnd> run(std::function<void()> on_connected,
                                           MessageHandler on_message);

    /// Ends the session: a graceful close (1000) when open, else aborts the dial. Idempotent.
    void stop();

    /// Reading goes on after a pause (no effect when not paused).
    void resume();
    /// True while reading is paused by the message handler.
    bool paused() const noexcept;

    /// Sends one text message (e.g. the Notifications API health check {"message":"ping"},
    /// API-NOTES.md §3.4) when the connection is open and no other text write is in flight;
    /// returns false (nothing sent) otherwise. Write errors surface in the read loop.
    bool send_text(std::string text);

    /// Ends the session at once without a closing handshake (the peer is presumed dead): run()
    /// returns `reason` with `detail`. No effect after the session ended or while stopping.
    void drop(ConnectionError reason, std::string detail);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace gstream::source

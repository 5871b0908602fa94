#pragma once
// A scriptable stand-in for the Genesys login/API hosts and the envelope stream, for tests of the
// source over loopback (127.0.0.1, port 0). Runs its own io_context thread. Plain HTTP/WS, or
// HTTPS/WSS with a given certificate. Also: test certificates made with the openssl CLI, and an
// observer that records what a source reports.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <thread>
#include <vector>

#include "source/source.hpp"

namespace gstream::testing {

struct RecordedRequest {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
    std::chrono::steady_clock::time_point at;  ///< when the request was read
    int connection = 0;  ///< which accepted connection carried it (1, 2, ... in accept order)
};

struct ScriptedResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int delay_ms = 0;         ///< stall this long after reading the request before answering
    bool keep_alive = false;  ///< keep the connection open for the next request (if the client does)
    /// With keep_alive: answer as kept alive, then close the connection anyway (a server's idle
    /// timeout racing the client's next request).
    bool drop_after = false;
};

struct WsAction {
    enum class Kind { kText, kBinary, kClose, kDrop, kPause, kAwaitRequests };
    Kind kind = Kind::kText;
    std::string payload;  ///< kAwaitRequests: the request path
    int close_code = 1000;
    int pause_ms = 0;     ///< kAwaitRequests: the count to wait for
    static WsAction text(std::string p) { return {Kind::kText, std::move(p)}; }
    static WsAction binary(std::string p) { return {Kind::kBinary, std::move(p)}; }
    static WsAction close(int code) { return {Kind::kClose, {}, code}; }
    static WsAction drop() { return {Kind::kDrop}; }
    /// Neither reads nor writes for `ms` (pings go unanswered).
    static WsAction pause(int ms) { return {Kind::kPause, {}, 1000, ms}; }
    /// Waits (up to 10 s) until `count` requests on `path` were received (e.g. an upgrade of
    /// another channel), then goes on.
    static WsAction await_requests(std::string path, int count) {
        return {Kind::kAwaitRequests, std::move(path), 1000, count};
    }
};

/// What one WebSocket connection does. reject_status != 0 refuses the upgrade with that status.
/// After the actions (if none closes or drops) the server reads until the client closes.
struct WsScript {
    int reject_status = 0;
    std::vector<std::pair<std::string, std::string>> reject_headers;
    std::string reject_body;
    std::vector<WsAction> actions;
    /// Answer the Notifications API health check {"message":"ping"} with the pong message
    /// (API-NOTES.md §3.4) while reading after the actions.
    bool answer_pings = true;
};

struct FakeServerOptions {
    std::optional<std::string> cert_file;  ///< PEM chain: serve https/wss when set
    std::optional<std::string> key_file;
    std::uint16_t port = 0;  ///< bind this port (0: any free one)
    /// set_default_response_for() before the first connection is accepted.
    std::map<std::string, ScriptedResponse> default_responses;
};

class FakeGenesysServer {
public:
    static constexpr const char* kTokenPath = "/oauth/token";
    static constexpr const char* kSubscriptionPath =
        "/api/v2/eventbridge/streams/interaction.lifecycle/subscriptions";
    static constexpr const char* kStreamPath = "/api/v2/eventbridge/interaction.lifecycle";
    static constexpr const char* kChannelsPath = "/api/v2/notifications/channels";
    static constexpr const char* kPong =
        R"({"topicName":"channel.metadata","eventBody":{"message":"pong"}})";

    explicit FakeGenesysServer(FakeServerOptions options = {});
    ~FakeGenesysServer();

    std::uint16_t port() const;
    /// "http://127.0.0.1:<port>" (https when serving TLS).
    std::string origin() const;

    /// Scripted answers, consumed in order. When the token queue is empty the answer is 200
    /// {"access_token":"token-<n>","token_type":"bearer","expires_in":3600}; for subscriptions,
    /// 201 {"id":"sub-1",...}; for the stream, accept and wait for the client to close.
    void push_token_response(ScriptedResponse response);
    void push_subscription_response(ScriptedResponse response);
    void push_ws_script(WsScript script);

    /// Notifications API (API-NOTES.md §3.1). Scripted answers for POST /channels, HEAD
    /// /channels/{id} and PUT /channels/{id}/subscriptions are consumed in order; without one,
    /// POST creates "streaming-0-<n>" (n = 1, 2, ...; connectUri ws(s)://127.0.0.1:<port>/channels/
    /// <id>, expires in channel_lifetime), HEAD answers 200 for a created, unexpired channel
    /// and 404 otherwise, PUT answers every topic Permitted except those in reject_topic().
    void push_channel_response(ScriptedResponse response);
    void push_head_response(ScriptedResponse response);
    void push_subscribe_response(ScriptedResponse response);
    void set_channel_lifetime(std::chrono::milliseconds lifetime);
    /// PUT answers this topic "Rejected" with missingPermissions [permission].
    void reject_topic(std::string topic, std::string permission);
    /// HEAD answers 404 for this channel from now on.
    void expire_channel(const std::string& id);
    /// Ids of the channels created by default answers, in order.
    std::vector<std::string> channels() const;
    /// "/channels/<id>" for a channel id.
    static std::string channel_path(const std::string& id) { return "/channels/" + id; }
    /// A WebSocket script for upgrades of `path` (consumed before the general queue).
    void push_ws_script_for(const std::string& path, WsScript script);
    /// Text messages clients sent on WebSocket connections of `path`.
    std::vector<std::string> client_texts(const std::string& path) const;
    /// Ordered server-side log: "upgrade:<path>", "close:<path>:<code>" (client close frame),
    /// "end:<path>" (the connection ended).
    std::vector<std::string> log() const;
    bool wait_for_log(const std::string& line, std::chrono::milliseconds timeout) const;

    /// Scripted answers for any other `path` (an HTTP sink's endpoint), consumed in order; when
    /// none is left, the default set by set_default_response_for, else 404.
    void push_response_for(const std::string& path, ScriptedResponse response);
    void set_default_response_for(const std::string& path, ScriptedResponse response);

    /// Requests received on `path` (the target up to '?'), upgrades included, in order.
    std::vector<RecordedRequest> requests(const std::string& path) const;
    /// Close codes sent by clients, in order.
    std::vector<int> client_close_codes() const;
    /// Waits until `requests(path).size() >= count`.
    bool wait_for_requests(const std::string& path, std::size_t count,
                           std::chrono::milliseconds timeout) const;
    bool wait_for_client_closes(std::size_t count, std::chrono::milliseconds timeout) const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// Certificates in a temp dir: a CA and a server certificate for IP:127.0.0.1 signed by it, a
/// second unrelated CA, and a certificate for DNS:wrong.example signed by the first CA.
struct TestCerts {
    std::string dir;
    std::string ca_cert;
    std::string server_cert, server_key;          ///< SAN IP:127.0.0.1
    std::string other_ca_cert;                    ///< does not sign anything we serve
    std::string wrong_host_cert, wrong_host_key;  ///< SAN DNS:wrong.example only
};
/// Generates TestCerts with the openssl CLI; throws std::runtime_error on failure.
TestCerts make_test_certs();

/// Records a source's callbacks as lines: "connected", "frame:<payload>",
/// "disconnected:<reason>", "scheduled", "fatal:<message>", "finished", "rejected:<topic>: <detail>",
/// "rollover:<reason>".
class RecordingObserver : public source::SourceObserver {
public:
    void on_frame(source::Frame&& frame) override;
    void on_connected() override;
    void on_disconnected(source::ConnectionError reason, std::string_view detail) override;
    void on_reconnect_scheduled(std::int64_t delay_ms) override;
    void on_fatal(std::string_view message) override;
    void on_finished() override;
    void on_topic_rejected(std::string_view topic, std::string_view detail) override;
    void on_channel_rollover(std::string_view reason) override;

    std::vector<std::string> events() const;
    std::vector<std::string> frames() const;
    std::vector<std::string> details() const;  ///< detail of each on_disconnected
    std::vector<std::int64_t> received_ns() const;
    /// Waits until `pred(events())` holds.
    bool wait(const std::function<bool(const std::vector<std::string>&)>& pred,
              std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    bool wait_for_event(const std::string& event,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    bool wait_for_frames(std::size_t count,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

private:
    void add(std::string event);
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::vector<std::string> events_;
    std::vector<std::string> frames_;
    std::vector<std::string> details_;
    std::vector<std::int64_t> received_ns_;
};

/// Runs an io_context on a thread until destroyed (stops it and joins).
class IoThread {
public:
    IoThread();
    ~IoThread();
    boost::asio::io_context& io() { return *io_; }
    /// Stops the io_context and joins the thread (the io_context itself lives until destruction).
    void stop();

private:
    std::unique_ptr<boost::asio::io_context> io_;
    struct Guard;
    std::unique_ptr<Guard> guard_;
    std::thread thread_;
};

}  // namespace gstream::testing

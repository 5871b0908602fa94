// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "tests/support/fake_genesys_server.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include "core/time.hpp"

namespace gstream::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kTok = asio::as_tuple(asio::use_awaitable);

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

}  // namespace

struct FakeGenesysServer::Impl {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::unique_ptr<asio::ssl::context> tls;
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable cv;
    std::deque<ScriptedResponse> token_responses;
    std::deque<ScriptedResponse> subscription_responses;
    std::deque<WsScript> ws_scripts;
    std::vector<RecordedRequest> recorded;
    std::vector<int> close_codes;
    int tokens_issued = 0;
    std::deque<ScriptedResponse> channel_responses, head_responses, subscribe_responses;
    std::chrono::milliseconds channel_lifetime{3'600'000};
    std::map<std::string, std::string> rejected_topics;  // topic -> permission
    std::vector<std::string> created_channels;
    std::set<std::string> expired_channels;
    std::map<std::string, std::deque<WsScript>> path_scripts;
    std::map<std::string, std::vector<std::string>> texts;
    std::vector<std::string> events;
    std::map<std::string, std::deque<ScriptedResponse>> path_responses;
    std::map<std::string, ScriptedResponse> default_responses;
    int connections = 0;

    void log_event(std::string line) {
        {
            std::lock_guard lock(mutex);
            events.push_back(std::move(line));
        }
        cv.notify_all();
    }

    std::size_t count_requests(const std::string& path) const {
        std::size_t n = 0;
        for (const auto& r : recorded) n += path_of(r.target) == path ? 1 : 0;
        return n;
    }

    // Default Notifications API answers (called with the mutex held).
    bool notifications_answer(const RecordedRequest& rec, const std::string& path,
                              ScriptedResponse& answer) {
        const std::string channels = kChannelsPath;
        if (path == channels && rec.method == "POST") {
            if (!channel_responses.empty()) {
                answer = std::move(channel_responses.front());
                channel_responses.pop_front();
                return true;
            }
            const std::string id = "streaming-0-" + std::to_string(created_channels.size() + 1);
            created_channels.push_back(id);
            const auto expires = std::chrono::system_clock::now() + channel_lifetime;
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                expires.time_since_epoch())
                                .count();
            std::string uri = std::string(tls ? "wss" : "ws") + "://127.0.0.1:" +
                              std::to_string(acceptor.local_endpoint().port()) + "/channels/" + id;
            answer.body = R"({"connectUri":")" + uri + R"(","id":")" + id +
                          R"(","expires":")" +
                          core::format_rfc3339(*core::instant_from_epoch_ms(ms)) + R"("})";
            return true;
        }
        if (!path.starts_with(channels + "/")) return false;
        std::string rest = path.substr(channels.size() + 1);
        const bool subscriptions = rest.ends_with("/subscriptions");
        if (subscriptions) rest = rest.substr(0, rest.size() - std::string("/subscriptions").size());
        const bool known = std::find(created_channels.begin(), created_channels.end(), rest) !=
                               created_channels.end() &&
                           expired_channels.count(rest) == 0;
        if (!subscriptions && rec.method == "HEAD") {
            if (!head_responses.empty()) {
                answer = std::move(head_responses.front());
                head_responses.pop_front();
                return true;
            }
            answer.status = known ? 200 : 404;
            return true;
        }
        if (subscriptions && rec.method == "PUT") {
            if (!subscribe_responses.empty()) {
                answer = std::move(subscribe_responses.front());
                subscribe_responses.pop_front();
                return true;
            }
            if (!known) {
                answer.status = 404;
                answer.body = R"({"message":"channel not found","code":"not.found","status":404})";
                return true;
            }
            boost::system::error_code ec;
            auto body = boost::json::parse(rec.body, ec);
            boost::json::array entities;
            if (!ec && body.is_array()) {
                for (const auto& item : body.get_array()) {
                    const auto* id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
                    if (id == nullptr || !id->is_string()) continue;
                    const std::string topic(id->get_string());
                    boost::json::object o{{"id", topic}};
                    if (auto it = rejected_topics.find(topic); it != rejected_topics.end()) {
                        o["state"] = "Rejected";
                        o["rejectionReason"] = "missing permissions";
                        o["missingPermissions"] = boost::json::array{boost::json::value(it->second)};
                    } else {
                        o["state"] = "Permitted";
                    }
                    entities.push_back(std::move(o));
                }
            }
            answer.body = boost::json::serialize(boost::json::object{{"entities", entities}});
            return true;
        }
        return false;
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(kTok);
            if (ec) co_return;
            asio::co_spawn(io, serve_connection(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> serve_connection(tcp::socket socket) {
        int connection = 0;
        {
            std::lock_guard lock(mutex);
            connection = ++connections;
        }
        beast::tcp_stream stream(std::move(socket));
        if (!tls) {
            co_await serve(std::move(stream), connection);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), *tls);
        beast::get_lowest_layer(tls_stream).expires_after(std::chrono::seconds(10));
        auto [ec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::server, kTok);
        if (ec) co_return;
        beast::get_lowest_layer(tls_stream).expires_never();
        co_await serve(std::move(tls_stream), connection);
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream stream, int connection) {
        beast::flat_buffer buffer;
        for (;;) {
            const bool keep = co_await serve_one(stream, buffer, connection);
            if (!keep) co_return;
        }
    }

    // Serves one request; true when the connection stays open for another.
    template <class Stream>
    asio::awaitable<bool> serve_one(Stream& stream, beast::flat_buffer& buffer, int connection) {
        http::request<http::string_body> request;
        auto [ec, n] = co_await http::async_read(stream, buffer, request, kTok);
        (void)n;
        if (ec) co_return false;
        RecordedRequest rec;
        rec.method = std::string(request.method_string());
        rec.target = std::string(request.target());
        for (const auto& f : request) {
            rec.headers[lower(std::string(f.name_string()))] = std::string(f.value());
        }
        rec.body = request.body();
        rec.at = std::chrono::steady_clock::now();
        rec.connection = connection;
        {
            std::lock_guard lock(mutex);
            recorded.push_back(rec);
        }
        cv.notify_all();

        if (websocket::is_upgrade(request)) {
            WsScript script;
            const std::string ws_path = path_of(rec.target);
            {
                std::lock_guard lock(mutex);
                events.push_back("upgrade:" + ws_path);
                if (auto it = path_scripts.find(ws_path);
                    it != path_scripts.end() && !it->second.empty()) {
                    script = std::move(it->second.front());
                    it->second.pop_front();
                } else if (!ws_scripts.empty()) {
                    script = std::move(ws_scripts.front());
                    ws_scripts.pop_front();
                }
            }
            if (script.reject_status != 0) {
                http::response<http::string_body> response{
                    static_cast<http::status>(script.reject_status), 11};
                for (const auto& [k, v] : script.reject_headers) response.set(k, v);
                response.set(http::field::connection, "close");
                response.body() = script.reject_body;
                response.prepare_payload();
                co_await http::async_write(stream, response, kTok);
                co_return false;
            }
            co_await serve_websocket(std::move(stream), std::move(request), std::move(script),
                                     ws_path);
            log_event("end:" + ws_path);
            co_return false;
        }

        ScriptedResponse answer;
        const std::string path = path_of(rec.target);
        {
            std::lock_guard lock(mutex);
            if (path == kTokenPath) {
                if (!token_responses.empty()) {
                    answer = std::move(token_responses.front());
                    token_responses.pop_front();
                } else {
                    ++tokens_issued;
                    answer.body = R"({"access_token":"token-)" + std::to_string(tokens_issued) +
                                  R"(","token_type":"bearer","expires_in":3600})";
                }
            } else if (notifications_answer(rec, path, answer)) {
            } else if (path == kSubscriptionPath) {
                if (!subscription_responses.empty()) {
                    answer = std::move(subscription_responses.front());
                    subscription_responses.pop_front();
                } else {
                    answer.status = 201;
                    answer.body = R"({"id":"sub-1","stream":"interaction.lifecycle","filter":{}})";
                }
            } else if (auto it = path_responses.find(path);
                       it != path_responses.end() && !it->second.empty()) {
                answer = std::move(it->second.front());
                it->second.pop_front();
            } else if (auto d = default_responses.find(path); d != default_responses.end()) {
                answer = d->second;
            } else {
                answer.status = 404;
                answer.body = R"({"message":"not found","code":"not.found","status":404})";
            }
        }
        if (answer.delay_ms > 0) {
            asio::steady_timer timer(io, std::chrono::milliseconds(answer.delay_ms));
            co_await timer.async_wait(kTok);
        }
        const bool keep = answer.keep_alive && request.keep_alive();
        http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
        response.set(http::field::content_type, "application/json");
        for (const auto& [k, v] : answer.headers) response.set(k, v);
        if (!keep) response.set(http::field::connection, "close");
        response.body() = answer.body;
        response.prepare_payload();
        auto [wec, wn] = co_await http::async_write(stream, response, kTok);
        (void)wn;
        co_return keep && !wec && !answer.drop_after;
    }

    template <class Stream>
    asio::awaitable<void> serve_websocket(Stream stream, http::request<http::string_body> request,
                                          WsScript script, std::string path) {
        websocket::stream<Stream> ws(std::move(stream));
        ws.read_message_max(64 << 20);
        auto [aec] = co_await ws.async_accept(request, kTok);
        if (aec) co_return;
        for (const auto& action : script.actions) {
            switch (action.kind) {
                case WsAction::Kind::kText:
                case WsAction::Kind::kBinary: {
                    ws.text(action.kind == WsAction::Kind::kText);
                    auto [wec, wn] = co_await ws.async_write(asio::buffer(action.payload), kTok);
                    (void)wn;
                    if (wec) co_return;
                    break;
                }
                case WsAction::Kind::kClose: {
                    auto [cec] = co_await ws.async_close(
                        websocket::close_reason(static_cast<std::uint16_t>(action.close_code)),
                        kTok);
                    (void)cec;
                    {
                        std::lock_guard lock(mutex);
                        events.push_back("server-close:" + path + ":" +
                                         std::to_string(action.close_code));
                    }
                    cv.notify_all();
                    co_return;
                }
                case WsAction::Kind::kDrop: {
                    beast::error_code ignored;
                    beast::get_lowest_layer(ws).socket().close(ignored);
                    co_return;
                }
                case WsAction::Kind::kPause: {
                    asio::steady_timer timer(io, std::chrono::milliseconds(action.pause_ms));
                    co_await timer.async_wait(kTok);
                    break;
                }
                case WsAction::Kind::kAwaitRequests: {
                    // Polls the recorded requests (this io thread also records them).
                    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                    for (;;) {
                        {
                            std::lock_guard lock(mutex);
                            if (count_requests(action.payload) >=
                                static_cast<std::size_t>(action.pause_ms)) {
                                break;
                            }
                        }
                        if (std::chrono::steady_clock::now() >= deadline) break;
                        asio::steady_timer timer(io, std::chrono::milliseconds(5));
                        co_await timer.async_wait(kTok);
                    }
                    break;
                }
            }
        }
        beast::flat_buffer buffer;
        for (;;) {
            auto [rec, rn] = co_await ws.async_read(buffer, kTok);
            (void)rn;
            const std::string text = beast::buffers_to_string(buffer.data());
            buffer.clear();
            if (rec == websocket::error::closed) {
                {
                    std::lock_guard lock(mutex);
                    close_codes.push_back(ws.reason().code);
                    events.push_back("close:" + path + ":" + std::to_string(ws.reason().code));
                }
                cv.notify_all();
            }
            if (rec) co_return;
            {
                std::lock_guard lock(mutex);
                texts[path].push_back(text);
            }
            cv.notify_all();
            if (script.answer_pings && text == R"({"message":"ping"})") {
                ws.text(true);
                const std::string pong = kPong;
                auto [pec, pn] = co_await ws.async_write(asio::buffer(pong), kTok);
                (void)pn;
                if (pec) co_return;
            }
        }
    }
};

FakeGenesysServer::FakeGenesysServer(FakeServerOptions options) : impl_(std::make_unique<Impl>()) {
    if (options.cert_file) {
        impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(*options.cert_file);
        impl_->tls->use_private_key_file(*options.key_file, asio::ssl::context::pem);
    }
    impl_->default_responses = std::move(options.default_responses);
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), options.port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeGenesysServer::~FakeGenesysServer() {
    impl_->io.stop();
    impl_->thread.join();
}

std::uint16_t FakeGenesysServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeGenesysServer::origin() const {
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

void FakeGenesysServer::push_response_for(const std::string& path, ScriptedResponse response) {
    std::lock_guard lock(impl_->mutex);
    impl_->path_responses[path].push_back(std::move(response));
}

void FakeGenesysServer::set_default_response_for(const std::string& path,
                                                 ScriptedResponse response) {
    std::lock_guard lock(impl_->mutex);
    impl_->default_responses[path] = std::move(response);
}

void FakeGenesysServer::push_token_response(ScriptedResponse response) {
    std::lock_guard lock(impl_->mutex);
    impl_->token_responses.push_back(std::move(response));
}

void FakeGenesysServer::push_subscription_response(ScriptedResponse response) {
    std::lock_guard lock(impl_->mutex);
    impl_->subscription_responses.push_back(std::move(response));
}

void FakeGenesysServer::push_ws_script(WsScript script) {
    std::lock_guard lock(impl_->mutex);
    impl_->ws_scripts.push_back(std::move(script));
}

void FakeGenesysServer::push_channel_response(ScriptedResponse response) {
    std::lock_guard lock(impl_->mutex);
    impl_->channel_responses.push_back(std::move(response));
}

void FakeGenesysServer::push_head_response(ScriptedResponse response) {
    std::lock_guard lock(impl_->mutex);
    impl_->head_responses.push_back(std::move(response));
}

void FakeGenesysServer::push_subscribe_response(ScriptedResponse response) {
    std::lock_guard lock(impl_->mutex);
    impl_->subscribe_responses.push_back(std::move(response));
}

void FakeGenesysServer::set_channel_lifetime(std::chrono::milliseconds lifetime) {
    std::lock_guard lock(impl_->mutex);
    impl_->channel_lifetime = lifetime;
}

void FakeGenesysServer::reject_topic(std::string topic, std::string permission) {
    std::lock_guard lock(impl_->mutex);
    impl_->rejected_topics[std::move(topic)] = std::move(permission);
}

void FakeGenesysServer::expire_channel(const std::string& id) {
    std::lock_guard lock(impl_->mutex);
    impl_->expired_channels.insert(id);
}

std::vector<std::string> FakeGenesysServer::channels() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->created_channels;
}

void FakeGenesysServer::push_ws_script_for(const std::string& path, WsScript script) {
    std::lock_guard lock(impl_->mutex);
    impl_->path_scripts[path].push_back(std::move(script));
}

std::vector<std::string> FakeGenesysServer::client_texts(const std::string& path) const {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->texts.find(path);
    return it == impl_->texts.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> FakeGenesysServer::log() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->events;
}

bool FakeGenesysServer::wait_for_log(const std::string& line,
                                     std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->cv.wait_for(lock, timeout, [&] {
        return std::find(impl_->events.begin(), impl_->events.end(), line) != impl_->events.end();
    });
}

std::vector<RecordedRequest> FakeGenesysServer::requests(const std::string& path) const {
    std::lock_guard lock(impl_->mutex);
    std::vector<RecordedRequest> out;
    for (const auto& r : impl_->recorded) {
        if (path_of(r.target) == path) out.push_back(r);
    }
    return out;
}

std::vector<int> FakeGenesysServer::client_close_codes() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->close_codes;
}

bool FakeGenesysServer::wait_for_requests(const std::string& path, std::size_t count,
                                          std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->cv.wait_for(lock, timeout, [&] {
        std::size_t n = 0;
        for (const auto& r : impl_->recorded) n += path_of(r.target) == path ? 1 : 0;
        return n >= count;
    });
}

bool FakeGenesysServer::wait_for_client_closes(std::size_t count,
                                               std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->cv.wait_for(lock, timeout, [&] { return impl_->close_codes.size() >= count; });
}

TestCerts make_test_certs() {
    namespace fs = std::filesystem;
    TestCerts certs;
    std::string pattern = (fs::temp_directory_path() / "gstream-certs-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    certs.dir = pattern;
    const std::string d = certs.dir + "/";
    certs.ca_cert = d + "ca.pem";
    certs.server_cert = d + "server.pem";
    certs.server_key = d + "server.key";
    certs.other_ca_cert = d + "other-ca.pem";
    certs.wrong_host_cert = d + "wrong.pem";
    certs.wrong_host_key = d + "wrong.key";
    {
        std::ofstream(d + "ip.ext") << "subjectAltName=IP:127.0.0.1\n";
        std::ofstream(d + "dns.ext") << "subjectAltName=DNS:wrong.example\n";
    }
    const std::string q = " >/dev/null 2>&1";
    const std::vector<std::string> commands = {
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gstream-test-ca -keyout " +
            d + "ca.key -out " + certs.ca_cert + q,
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gstream-other-ca -keyout " +
            d + "other-ca.key -out " + certs.other_ca_cert + q,
        "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout " + certs.server_key +
            " -out " + d + "server.csr" + q,
        "openssl x509 -req -in " + d + "server.csr -CA " + certs.ca_cert + " -CAkey " + d +
            "ca.key -CAcreateserial -days 2 -extfile " + d + "ip.ext -out " + certs.server_cert + q,
        "openssl req -newkey rsa:2048 -nodes -subj /CN=wrong.example -keyout " +
            certs.wrong_host_key + " -out " + d + "wrong.csr" + q,
        "openssl x509 -req -in " + d + "wrong.csr -CA " + certs.ca_cert + " -CAkey " + d +
            "ca.key -CAcreateserial -days 2 -extfile " + d + "dns.ext -out " +
            certs.wrong_host_cert + q,
    };
    for (const auto& command : commands) {
        if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
    }
    return certs;
}

void RecordingObserver::add(std::string event) {
    {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
    }
    cv_.notify_all();
}

void RecordingObserver::on_frame(source::Frame&& frame) {
    {
        std::lock_guard lock(mutex_);
        frames_.push_back(frame.payload);
        received_ns_.push_back(frame.received_ns);
    }
    add("frame:" + frame.payload);
}
void RecordingObserver::on_connected() { add("connected"); }
void RecordingObserver::on_disconnected(source::ConnectionError reason, std::string_view detail) {
    {
        std::lock_guard lock(mutex_);
        details_.emplace_back(detail);
    }
    add("disconnected:" + std::string(source::to_string(reason)));
}
void RecordingObserver::on_reconnect_scheduled(std::int64_t) { add("scheduled"); }
void RecordingObserver::on_fatal(std::string_view message) { add("fatal:" + std::string(message)); }
void RecordingObserver::on_finished() { add("finished"); }
void RecordingObserver::on_topic_rejected(std::string_view topic, std::string_view detail) {
    add("rejected:" + std::string(topic) + ": " + std::string(detail));
}
void RecordingObserver::on_channel_rollover(std::string_view reason) {
    add("rollover:" + std::string(reason));
}

std::vector<std::string> RecordingObserver::events() const {
    std::lock_guard lock(mutex_);
    return events_;
}
std::vector<std::string> RecordingObserver::frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
}
std::vector<std::string> RecordingObserver::details() const {
    std::lock_guard lock(mutex_);
    return details_;
}
std::vector<std::int64_t> RecordingObserver::received_ns() const {
    std::lock_guard lock(mutex_);
    return received_ns_;
}

bool RecordingObserver::wait(const std::function<bool(const std::vector<std::string>&)>& pred,
                             std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(events_); });
}

bool RecordingObserver::wait_for_event(const std::string& event,
                                       std::chrono::milliseconds timeout) const {
    return wait(
        [&](const std::vector<std::string>& events) {
            return std::find(events.begin(), events.end(), event) != events.end();
        },
        timeout);
}

bool RecordingObserver::wait_for_frames(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return frames_.size() >= count; });
}

struct IoThread::Guard {
    asio::executor_work_guard<asio::io_context::executor_type> guard;
};

IoThread::IoThread()
    : io_(std::make_unique<asio::io_context>()),
      guard_(std::make_unique<Guard>(Guard{asio::make_work_guard(*io_)})) {
    thread_ = std::thread([this] { io_->run(); });
}

IoThread::~IoThread() { stop(); }

void IoThread::stop() {
    if (!thread_.joinable()) return;
    guard_.reset();
    io_->stop();
    thread_.join();
}

}  // namespace gstream::testing

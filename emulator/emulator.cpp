// The emulator's network side: one io_context thread, C++20 coroutines, Beast HTTP and
// WebSocket over plain TCP or TLS. The REST logic lives in api.cpp, the traffic in generator.cpp.
// Idiom after the Boost 1.81 example advanced/server-flex-awaitable.

#include "emulator/emulator.hpp"

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>

#include "emulator/api.hpp"
#include "emulator/generator.hpp"

namespace gstream::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr auto kTlsHandshakeTimeout = 10s;
constexpr auto kHttpReadTimeout = 30s;   // a whole request, headers and body
constexpr auto kHttpWriteTimeout = 30s;
constexpr auto kWsHandshakeTimeout = 10s;  // also the close handshake
constexpr auto kWsIdleTimeout = 60s;     // pings at half of it
constexpr auto kDrainTimeout = 5s;       // after a close/drop: wait this long for the client
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kBodyLimit = 64 * 1024;

void log_exception(std::exception_ptr e) {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "emulator: session failed: %s\n", ex.what());
    }
}

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

struct Emulator::Impl {
    EmulatorOptions options;
    Counters counters;
    asio::ip::address address;
    unsigned short requested_port = 0;
    std::vector<std::string> replay_lines;
    Api api;

    // Stream state: touched on the server thread only.
    bool stream_started = false;
    std::unique_ptr<Generator> generator;
    std::optional<GeneratedMessage> current_message;  // generator: the message at `next`
    bool exhausted = false;
    std::uint64_t next = 0;        // index of the first message not fully written
    std::uint64_t owner = 0;       // the session allowed to advance `next`
    std::uint64_t session_ids = 0;
    std::string fallback_subscription_id = random_uuid();

    mutable std::mutex mu;
    mutable std::condition_variable cv;
    bool finished = false;
    bool started = false;
    bool stopped = false;

    std::optional<asio::ssl::context> ssl;
    // Declared after the state the coroutines use: destroyed first, with their frames.
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::atomic<unsigned short> port{0};
    std::thread thread;

    explicit Impl(EmulatorOptions o) : options(std::move(o)), api(options, counters) {}

    void begin_stream() {
        if (stream_started) {
            return;
        }
        stream_started = true;
        if (options.replay_file) {
            return;
        }
        StreamFilter filter;
        if (const auto& sub = api.latest_subscription()) {
            filter = sub->filter;
        }
        generator = std::make_unique<Generator>(options, filter);
        if (options.manifest_file) {
            const std::string text = Generator::dry_run(options, filter).to_json();
            std::ofstream out(*options.manifest_file, std::ios::trunc);
            out << text << '\n';
            if (!out) {
                std::fprintf(stderr, "emulator: cannot write manifest file=%s\n",
                             options.manifest_file->c_str());
            }
        }
    }

    /// The text of the message at `next`, or nullopt at the end of the stream.
    std::optional<std::string> current() {
        if (options.replay_file) {
            if (next < replay_lines.size()) {
                return replay_lines[next];
            }
            return std::nullopt;
        }
        if (!current_message && !exhausted) {
            current_message = generator->next();
            exhausted = !current_message;
        }
        if (!current_message) {
            return std::nullopt;
        }
        const auto& sub = api.latest_subscription();
        return render(*current_message, sub ? std::string_view(sub->id)
                                            : std::string_view(fallback_subscription_id));
    }

    void advance() {
        current_message.reset();
        ++next;
    }

    void mark_finished() {
        std::lock_guard lock(mu);
        finished = true;
        cv.notify_all();
    }
};

namespace {

using Impl = Emulator::Impl;

template <class Stream>
struct WsSession {
    explicit WsSession(Stream stream)
        : ws(std::move(stream)), done_timer(ws.get_executor()) {}
    websocket::stream<Stream> ws;
    asio::steady_timer done_timer;
    bool reader_done = false;
};

// Reads (and drops) whatever the client sends, so that pings, pongs and its close frame are
// processed while the writer streams.
template <class Stream>
asio::awaitable<void> ws_read_loop(std::shared_ptr<WsSession<Stream>> s) {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await s->ws.async_read(buffer, kUse);
        if (ec) {
            break;
        }
        buffer.consume(n);
    }
    s->reader_done = true;
    s->done_timer.cancel();
}

template <class Stream>
asio::awaitable<void> wait_reader(WsSession<Stream>& s) {
    if (s.reader_done) {
        co_return;
    }
    s.done_timer.expires_after(kDrainTimeout);
    auto [ec] = co_await s.done_timer.async_wait(kUse);
    (void)ec;  // cancelled = the reader ended; expired = the client did not close in time
}

template <class Stream>
asio::awaitable<void> ws_write_loop(Impl& impl, std::shared_ptr<WsSession<Stream>> s,
                                    std::uint64_t me) {
    auto& ws = s->ws;
    const auto& o = impl.options;
    asio::steady_timer pace(ws.get_executor());
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    for (;;) {
        if (s->reader_done) {
            co_return;  // the client went away
        }
        if (impl.owner != me) {
            // A newer connection took the stream over.
            auto [ec] = co_await ws.async_close(websocket::close_code::going_away, kUse);
            (void)ec;
            co_await wait_reader(*s);
            co_return;
        }
        if (o.rate > 0) {
            pace.expires_at(t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(static_cast<double>(sent) / o.rate)));
            auto [ec] = co_await pace.async_wait(kUse);
            (void)ec;
            if (impl.owner != me || s->reader_done) {
                continue;
            }
        }
        std::optional<std::string> message = impl.current();
        if (!message) {
            auto [ec] = co_await ws.async_close(websocket::close_code::normal, kUse);
            (void)ec;
            co_await wait_reader(*s);
            impl.mark_finished();
            co_return;
        }
        ws.text(true);
        auto [ec, n] = co_await ws.async_write(asio::buffer(*message), kUse);
        if (ec) {
            co_return;
        }
        impl.counters.messages_sent++;
        ++sent;
        if (impl.owner != me) {
            continue;
        }
        impl.advance();
        if (o.drop_after_messages > 0 && impl.next % o.drop_after_messages == 0 &&
            impl.current()) {
            impl.counters.drops++;
            if (o.drop_mode == "abrupt") {
                // No close frame: FIN after the data already written, so nothing written is
                // lost; the client sees the stream end without a close code (1006).
                boost::system::error_code ignored;
                beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_send, ignored);
                co_await wait_reader(*s);
                beast::get_lowest_layer(ws).socket().close(ignored);
            } else {
                auto [cec] = co_await ws.async_close(websocket::close_code::going_away, kUse);
                (void)cec;
                co_await wait_reader(*s);
            }
            co_return;
        }
    }
}

template <class Stream>
asio::awaitable<void> serve_websocket(Impl& impl, Stream stream,
                                      http::request<http::string_body> request) {
    auto s = std::make_shared<WsSession<Stream>>(std::move(stream));
    auto& ws = s->ws;
    beast::get_lowest_layer(ws).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = kWsHandshakeTimeout;
    timeouts.idle_timeout = kWsIdleTimeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.set_option(websocket::stream_base::decorator(
        [cid = random_uuid()](websocket::response_type& res) { res.set("ININ-Correlation-Id", cid); }));
    auto [ec] = co_await ws.async_accept(request, kUse);
    if (ec) {
        co_return;
    }
    impl.counters.handshakes++;
    impl.begin_stream();
    const std::uint64_t me = ++impl.session_ids;
    impl.owner = me;
    asio::co_spawn(ws.get_executor(), ws_read_loop(s), log_exception);
    co_await ws_write_loop(impl, s, me);
}

http::response<http::string_body> make_response(const ApiResponse& r, unsigned version,
                                                bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "genesys-stream-emulator");
    res.set(http::field::content_type, "application/json");
    res.set("ININ-Correlation-Id", random_uuid());
    for (const auto& [name, value] : r.headers) {
        res.set(name, value);
    }
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    return res;
}

asio::awaitable<void> close_stream(beast::tcp_stream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
}

asio::awaitable<void> close_stream(beast::ssl_stream<beast::tcp_stream>& stream) {
    beast::get_lowest_layer(stream).expires_after(kTlsHandshakeTimeout);
    auto [ec] = co_await stream.async_shutdown(kUse);
    (void)ec;  // a peer that just closes the socket is fine
}

template <class Stream>
asio::awaitable<void> serve_http(Impl& impl, Stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(kBodyLimit);
        beast::get_lowest_layer(stream).expires_after(kHttpReadTimeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUse);
        if (ec) {
            if (ec.category() == make_error_code(http::error::end_of_stream).category() &&
                ec != http::error::end_of_stream && ec != http::error::partial_message) {
                // A malformed request or over a limit: answer 400 once, then close.
                ApiResponse bad = error_body(400, "bad.request", "Malformed HTTP request.");
                auto res = make_response(bad, 11, false);
                beast::get_lowest_layer(stream).expires_after(kHttpWriteTimeout);
                auto [wec, wn] = co_await http::async_write(stream, res, kUse);
                (void)wec;
            }
            break;
        }
        http::request<http::string_body> request = parser.release();
        const auto now = std::chrono::steady_clock::now();
        if (websocket::is_upgrade(request)) {
            if (auto reject = impl.api.check_handshake(sv(request.target()), now)) {
                auto res = make_response(*reject, request.version(), false);
                beast::get_lowest_layer(stream).expires_after(kHttpWriteTimeout);
                auto [wec, wn] = co_await http::async_write(stream, res, kUse);
                (void)wec;
                break;
            }
            co_await serve_websocket(impl, std::move(stream), std::move(request));
            co_return;
        }
        ApiRequest api_request{sv(request.method_string()), sv(request.target()),
                               sv(request[http::field::authorization]), request.body()};
        auto res = make_response(impl.api.handle(api_request, now), request.version(),
                                 request.keep_alive());
        beast::get_lowest_layer(stream).expires_after(kHttpWriteTimeout);
        auto [wec, wn] = co_await http::async_write(stream, res, kUse);
        if (wec) {
            co_return;
        }
        if (!res.keep_alive()) {
            break;
        }
    }
    co_await close_stream(stream);
}

asio::awaitable<void> serve_tls(Impl& impl, tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *impl.ssl);
    beast::get_lowest_layer(stream).expires_after(kTlsHandshakeTimeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUse);
    if (ec) {
        co_return;
    }
    co_await serve_http(impl, std::move(stream));
}

asio::awaitable<void> accept_loop(Impl& impl) {
    asio::steady_timer backoff(impl.ioc);
    for (;;) {
        auto [ec, socket] = co_await impl.acceptor.async_accept(kUse);
        if (ec) {
            if (ec == asio::error::operation_aborted || !impl.acceptor.is_open()) {
                co_return;
            }
            // Out of descriptors and the like: do not spin.
            backoff.expires_after(100ms);
            auto [wec] = co_await backoff.async_wait(kUse);
            (void)wec;
            continue;
        }
        impl.counters.connections++;
        boost::system::error_code ignored;
        socket.set_option(asio::socket_base::send_buffer_size(impl.options.send_buffer_bytes),
                          ignored);
        if (impl.ssl) {
            asio::co_spawn(impl.ioc, serve_tls(impl, std::move(socket)), log_exception);
        } else {
            asio::co_spawn(impl.ioc, serve_http(impl, beast::tcp_stream(std::move(socket))),
                           log_exception);
        }
    }
}

std::vector<std::string> read_replay_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error(fmt::format("cannot read replay file '{}' (--replay)", path));
    }
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (!line.empty()) {
            lines.push_back(std::move(line));
        }
    }
    if (in.bad()) {
        throw std::runtime_error(fmt::format("cannot read replay file '{}' (--replay)", path));
    }
    return lines;
}

void check_rate(double value, std::string_view flag) {
    if (!(value >= 0 && value <= 1)) {
        throw std::runtime_error(fmt::format("{} must be a fraction in 0..1", flag));
    }
}

}  // namespace

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    const EmulatorOptions& o = impl_->options;
    if (o.protocol != "envelope") {
        throw std::runtime_error(fmt::format(
            "unsupported protocol '{}': only 'envelope' is served (--protocol)", o.protocol));
    }
    const auto colon = o.listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        throw std::runtime_error(fmt::format("--listen must be HOST:PORT, got '{}'", o.listen));
    }
    std::string host = o.listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    boost::system::error_code ec;
    impl_->address = asio::ip::make_address(host, ec);
    const std::string port_text = o.listen.substr(colon + 1);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(port_text, &used);
        if (used != port_text.size()) {
            port = 70000;
        }
    } catch (const std::exception&) {
        port = 70000;
    }
    if (ec || port > 65535) {
        throw std::runtime_error(
            fmt::format("--listen must be IP:PORT (port 0..65535), got '{}'", o.listen));
    }
    impl_->requested_port = static_cast<unsigned short>(port);
    if (o.drop_mode != "close1001" && o.drop_mode != "abrupt") {
        throw std::runtime_error(fmt::format(
            "unknown drop mode '{}': use close1001 or abrupt (--drop-mode)", o.drop_mode));
    }
    check_rate(o.malformed_rate, "--malformed-rate");
    check_rate(o.schema_invalid_rate, "--schema-invalid-rate");
    check_rate(o.duplicate_rate, "--duplicate-rate");
    check_rate(o.bad_timestamp_rate, "--bad-timestamp-rate");
    check_rate(o.duplicate_key_rate, "--duplicate-key-rate");
    if (o.schema_invalid_rate + o.bad_timestamp_rate + o.duplicate_key_rate > 1) {
        throw std::runtime_error(
            "--schema-invalid-rate + --bad-timestamp-rate + --duplicate-key-rate must not exceed 1");
    }
    if (!(o.rate >= 0)) {
        throw std::runtime_error("--rate must be >= 0 (0 = as fast as the client reads)");
    }
    if (o.events_per_message == 0) {
        throw std::runtime_error("--events-per-message must be at least 1");
    }
    if (o.queue_count == 0) {
        throw std::runtime_error("--queues must be at least 1");
    }
    if (o.max_out_of_order_ms < 0) {
        throw std::runtime_error("--max-out-of-order-ms must be >= 0");
    }
    if (o.token_ttl_s <= 0 || o.retry_after_s < 0 || o.send_buffer_bytes <= 0 ||
        o.handshake_401_count < 0 || o.subscribe_429_count < 0) {
        throw std::runtime_error(
            "--token-ttl and --send-buffer must be > 0; --retry-after, --handshake-401 and "
            "--subscribe-429 must be >= 0");
    }
    if (o.replay_file) {
        if (o.manifest_file) {
            throw std::runtime_error("--manifest needs generator mode (no --replay)");
        }
        impl_->replay_lines = read_replay_file(*o.replay_file);
    }
    if (o.tls_cert.has_value() != o.tls_key.has_value()) {
        throw std::runtime_error("--tls-cert and --tls-key go together");
    }
    if (o.tls_cert) {
        auto& ctx = impl_->ssl.emplace(asio::ssl::context::tls_server);
        ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
        ctx.use_certificate_chain_file(*o.tls_cert, ec);
        if (ec) {
            throw std::runtime_error(fmt::format("cannot load TLS certificate '{}' (--tls-cert): {}",
                                                 *o.tls_cert, ec.message()));
        }
        ctx.use_private_key_file(*o.tls_key, asio::ssl::context::pem, ec);
        if (ec) {
            throw std::runtime_error(fmt::format("cannot load TLS key '{}' (--tls-key): {}",
                                                 *o.tls_key, ec.message()));
        }
    }
}

Emulator::~Emulator() { stop(); }

void Emulator::start() {
    Impl& impl = *impl_;
    {
        std::lock_guard lock(impl.mu);
        if (impl.started) {
            throw std::runtime_error("emulator already started");
        }
        impl.started = true;
    }
    const tcp::endpoint endpoint(impl.address, impl.requested_port);
    boost::system::error_code ec;
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        impl.acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw std::runtime_error(
            fmt::format("cannot listen on {} (--listen): {}", impl.options.listen, ec.message()));
    }
    impl.port = impl.acceptor.local_endpoint().port();
    asio::co_spawn(impl.ioc, accept_loop(impl), log_exception);
    impl.thread = std::thread([&impl] { impl.ioc.run(); });
}

unsigned short Emulator::port() const { return impl_->port.load(); }

std::string Emulator::origin() const {
    const std::string host = impl_->address.is_v6()
                                 ? "[" + impl_->address.to_string() + "]"
                                 : impl_->address.to_string();
    return fmt::format("{}://{}:{}", impl_->ssl ? "https" : "http", host, port());
}

void Emulator::stop() {
    Impl& impl = *impl_;
    {
        std::lock_guard lock(impl.mu);
        if (impl.stopped || !impl.started) {
            impl.stopped = true;
            return;
        }
        impl.stopped = true;
    }
    impl.ioc.stop();
    if (impl.thread.joinable()) {
        impl.thread.join();
    }
    {
        std::lock_guard lock(impl.mu);
        impl.cv.notify_all();
    }
}

Stats Emulator::stats() const {
    const Counters& c = impl_->counters;
    Stats s;
    s.tokens_issued = c.tokens_issued.load();
    s.subscriptions = c.subscriptions.load();
    s.subscriptions_rejected = c.subscriptions_rejected.load();
    s.handshakes = c.handshakes.load();
    s.handshakes_rejected = c.handshakes_rejected.load();
    s.messages_sent = c.messages_sent.load();
    s.connections = c.connections.load();
    s.drops = c.drops.load();
    return s;
}

bool Emulator::finished() const {
    std::lock_guard lock(impl_->mu);
    return impl_->finished;
}

bool Emulator::wait_finished(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mu);
    impl_->cv.wait_for(lock, timeout, [this] { return impl_->finished; });
    return impl_->finished;
}

}  // namespace gstream::emulator

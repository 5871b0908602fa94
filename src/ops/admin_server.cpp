#include "ops/admin_server.hpp"

#include <atomic>
#include <charconv>
#include <exception>
#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "ops/logging.hpp"

namespace gstream::ops {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

constexpr std::size_t kMaxSessions = 64;
// Requests are bodiless GETs; anything bigger is not a request we serve.
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 1024;
// Pause after a failed accept (e.g. EMFILE) so the loop does not spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Endpoint {
    std::string host;
    std::string port;
};

[[noreturn]] void fail_listen(const std::string& listen, std::string_view why) {
    throw std::runtime_error("admin server: cannot listen on " + listen +
                             " (option metrics.listen): " + std::string(why));
}

// HOST:PORT, [IPv6]:PORT. An empty host means every IPv4 interface.
Endpoint split_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        fail_listen(listen, "expected HOST:PORT");
    }
    std::string host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        fail_listen(listen, "write IPv6 addresses in brackets, e.g. [::1]:9090");
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
        fail_listen(listen, "port must be a number from 0 to 65535");
    }
    return {host.empty() ? "0.0.0.0" : host, port};
}

http::response<http::string_body> make_response(http::status status,
                                                unsigned version,
                                                bool keep_alive,
                                                std::string body,
                                                std::string_view content_type) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "genesys-stream");
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

std::string join_reasons(const std::vector<std::string>& reasons) {
    std::string out = "not ready";
    for (std::size_t i = 0; i < reasons.size(); ++i) {
        out += i == 0 ? ": " : "; ";
        out += reasons[i];
    }
    return out;
}

// A parser error the client caused (bad syntax, limits) rather than a transport event.
bool is_bad_request(const boost::system::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

void shutdown_send(beast::tcp_stream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

// Everything the accept loop and the sessions share; they hold it by shared_ptr.
struct AdminServerState {
    AdminServerState(asio::io_context& ioc,
                     std::string listen_address,
                     std::function<std::string()> metrics,
                     std::function<ReadyState()> ready_state,
                     AdminTimeouts phase_timeouts)
        : strand(asio::make_strand(ioc))
        , acceptor(strand)
        , listen(std::move(listen_address))
        , metrics_text(std::move(metrics))
        , ready(std::move(ready_state))
        , timeouts(phase_timeouts) {}

    Strand strand;
    tcp::acceptor acceptor;
    std::string listen;
    std::function<std::string()> metrics_text;
    std::function<ReadyState()> ready;
    AdminTimeouts timeouts;
    std::atomic<std::uint16_t> port{0};

    // Touched on the strand only.
    bool stopped = false;
    std::unordered_set<beast::tcp_stream*> sessions;

    http::response<http::string_body> handle(const http::request<http::string_body>& req) {
        const unsigned version = req.version();
        const bool keep_alive = req.keep_alive();
        constexpr std::string_view kText = "text/plain; charset=utf-8";

        if (req.method() != http::verb::get) {
            auto res = make_response(http::status::method_not_allowed, version, keep_alive,
                                     "method not allowed", kText);
            res.set(http::field::allow, "GET");
            return res;
        }
        std::string_view path = req.target();
        path = path.substr(0, path.find('?'));
        if (path == "/metrics") {
            return make_response(http::status::ok, version, keep_alive, metrics_text(),
                                 kMetricsContentType);
        }
        if (path == "/healthz") {
            return make_response(http::status::ok, version, keep_alive, "ok", kText);
        }
        if (path == "/readyz") {
            const ReadyState state = ready();
            if (state.ready) {
                return make_response(http::status::ok, version, keep_alive, "ready", kText);
            }
            return make_response(http::status::service_unavailable, version, keep_alive,
                                 join_reasons(state.reasons), kText);
        }
        return make_response(http::status::not_found, version, keep_alive, "not found", kText);
    }
};

namespace {

// Removes a session from the registry however its coroutine ends.
class SessionEntry {
public:
    SessionEntry(std::unordered_set<beast::tcp_stream*>& sessions, beast::tcp_stream* stream)
        : sessions_(sessions)
        , stream_(stream) {
        sessions_.insert(stream_);
    }
    ~SessionEntry() { sessions_.erase(stream_); }
    SessionEntry(const SessionEntry&) = delete;
    SessionEntry& operator=(const SessionEntry&) = delete;

private:
    std::unordered_set<beast::tcp_stream*>& sessions_;
    beast::tcp_stream* stream_;
};

void on_coroutine_end(std::exception_ptr error) {
    if (!error) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        logger("admin")->error("An admin request failed. error={}", e.what());
    }
}

// One connection: read a request, answer it, repeat while keep-alive.
asio::awaitable<void> run_session(std::shared_ptr<AdminServerState> st, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    SessionEntry entry(st->sessions, &stream);
    beast::flat_buffer buffer;

    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(kBodyLimit);

        // One deadline for the whole request, including keep-alive idle time, so a client
        // that dribbles bytes cannot hold the connection.
        stream.expires_after(st->timeouts.read);
        auto [read_ec, read_bytes] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (read_ec == http::error::end_of_stream) {
            // The client closed between requests: the normal end of keep-alive.
            shutdown_send(stream);
            co_return;
        }
        if (read_ec && !is_bad_request(read_ec)) {
            // Timeout, reset, or stop(): nothing to answer.
            co_return;
        }

        http::response<http::string_body> res =
            read_ec ? make_response(http::status::bad_request, 11, false, "bad request",
                                    "text/plain; charset=utf-8")
                    : st->handle(parser.get());

        stream.expires_after(st->timeouts.write);
        auto [write_ec, write_bytes] =
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (write_ec) {
            co_return;
        }
        if (!res.keep_alive()) {
            shutdown_send(stream);
            co_return;
        }
    }
}

asio::awaitable<void> accept_loop(std::shared_ptr<AdminServerState> st) {
    asio::steady_timer retry_timer(st->strand);
    for (;;) {
        auto [ec, socket] = co_await st->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (st->stopped || ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            logger("admin")->warn("Cannot accept an admin connection. address={} error={}",
                                  st->listen, ec.message());
            retry_timer.expires_after(kAcceptRetryDelay);
            auto [timer_ec] = co_await retry_timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (timer_ec) {
                co_return;
            }
            continue;
        }
        if (st->sessions.size() >= kMaxSessions) {
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        asio::co_spawn(st->strand, run_session(st, std::move(socket)), on_coroutine_end);
    }
}

}  // namespace

AdminServer::AdminServer(asio::io_context& ioc,
                         std::string listen,
                         std::function<std::string()> metrics_text,
                         std::function<ReadyState()> ready,
                         AdminTimeouts timeouts)
    : state_(std::make_shared<AdminServerState>(
          ioc, std::move(listen), std::move(metrics_text), std::move(ready), timeouts)) {}

AdminServer::~AdminServer() {
    stop();
}

void AdminServer::start() {
    AdminServerState& st = *state_;
    const Endpoint where = split_listen(st.listen);

    boost::system::error_code ec;
    tcp::resolver resolver(st.strand);
    const auto results = resolver.resolve(
        where.host, where.port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
        fail_listen(st.listen, "cannot resolve host '" + where.host + "': " + ec.message());
    }
    const tcp::endpoint endpoint = results.begin()->endpoint();

    if (st.acceptor.open(endpoint.protocol(), ec); ec) {
        fail_listen(st.listen, ec.message());
    }
    // Lets a restarted daemon bind while old connections sit in TIME_WAIT.
    if (st.acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
        fail_listen(st.listen, ec.message());
    }
    if (st.acceptor.bind(endpoint, ec); ec) {
        fail_listen(st.listen, ec.message());
    }
    if (st.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
        fail_listen(st.listen, ec.message());
    }
    st.port = st.acceptor.local_endpoint().port();
    logger("admin")->info("Admin server listening. address={} port={}", st.listen, st.port.load());

    asio::co_spawn(st.strand, accept_loop(state_), on_coroutine_end);
}

std::uint16_t AdminServer::port() const noexcept {
    return state_->port.load();
}

void AdminServer::stop() {
    asio::post(state_->strand, [st = state_] {
        if (st->stopped) {
            return;
        }
        st->stopped = true;
        boost::system::error_code ignored;
        st->acceptor.close(ignored);
        // Closing cancels each session's pending operation; its coroutine then ends and
        // unregisters itself, so iterate over a copy.
        const auto open = st->sessions;
        for (beast::tcp_stream* stream : open) {
            stream->close();
        }
    });
}

}  // namespace gstream::ops

#include "support/ws_test_client.hpp"

#include <cctype>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace gstream::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

struct Origin {
    bool tls = false;
    std::string host;
    std::string port;
};

Origin parse_origin(const std::string& origin) {
    Origin o;
    std::string rest;
    if (origin.rfind("https://", 0) == 0) {
        o.tls = true;
        rest = origin.substr(8);
    } else if (origin.rfind("http://", 0) == 0) {
        rest = origin.substr(7);
    } else {
        throw std::invalid_argument("origin must start with http:// or https://: " + origin);
    }
    const auto colon = rest.rfind(':');
    o.host = rest.substr(0, colon);
    o.port = rest.substr(colon + 1);
    if (o.host.size() > 2 && o.host.front() == '[') {
        o.host = o.host.substr(1, o.host.size() - 2);
    }
    return o;
}

asio::ssl::context make_client_context(const std::string& ca_file, const std::string& host) {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    if (!ca_file.empty()) {
        ctx.load_verify_file(ca_file);
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
    ctx.set_verify_callback(asio::ssl::host_name_verification(host));
    return ctx;
}

// Runs `work` on a private io_context for at most `timeout`; false when it did not finish.
template <class Awaitable>
bool run_bounded(asio::io_context& ioc, Awaitable work, std::chrono::milliseconds timeout) {
    bool done = false;
    std::string failure;
    asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e) {
        done = true;
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                failure = ex.what();
            }
        }
    });
    ioc.run_for(timeout);
    if (!failure.empty()) {
        throw std::runtime_error(failure);
    }
    return done;
}

asio::awaitable<bool> connect(beast::tcp_stream& stream, const Origin& o, std::string& error) {
    tcp::resolver resolver(stream.get_executor());
    auto [rec, results] = co_await resolver.async_resolve(o.host, o.port, kUse);
    if (rec) {
        error = rec.message();
        co_return false;
    }
    auto [cec, ep] = co_await stream.async_connect(results, kUse);
    if (cec) {
        error = cec.message();
        co_return false;
    }
    co_return true;
}

asio::awaitable<bool> connect(beast::ssl_stream<beast::tcp_stream>& stream, const Origin& o,
                              std::string& error) {
    if (!co_await connect(beast::get_lowest_layer(stream), o, error)) {
        co_return false;
    }
    boost::system::error_code ec;
    if (asio::ip::make_address(o.host, ec); ec) {
        // SNI for host names only (RFC 6066 forbids literal addresses).
        SSL_set_tlsext_host_name(stream.native_handle(), o.host.c_str());
    }
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kUse);
    if (hec) {
        error = hec.message();
        co_return false;
    }
    co_return true;
}

template <class Stream>
asio::awaitable<void> http_exchange(Stream& stream, const Origin& o, http::request<http::string_body> req,
                                    HttpResult& out) {
    if (!co_await connect(stream, o, out.error)) {
        co_return;
    }
    auto [wec, wn] = co_await http::async_write(stream, req, kUse);
    if (wec) {
        out.error = wec.message();
        co_return;
    }
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream, buffer, res, kUse);
    if (rec) {
        out.error = rec.message();
        co_return;
    }
    out.status = res.result_int();
    out.body = res.body();
    for (const auto& field : res) {
        std::string name(field.name_string());
        for (auto& ch : name) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        out.headers[name] = std::string(field.value());
    }
}

template <class Stream>
asio::awaitable<void> ws_exchange(Stream next_layer, const Origin& o, std::string target,
                                  std::size_t max_messages, WsResult& out) {
    websocket::stream<Stream> ws(std::move(next_layer));
    if (!co_await connect(ws.next_layer(), o, out.error)) {
        co_return;
    }
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    websocket::response_type res;
    auto [hec] = co_await ws.async_handshake(res, o.host + ":" + o.port, target, kUse);
    out.handshake_status = res.result_int();
    if (hec) {
        out.handshake_body = res.body();
        out.error = hec.message();
        co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
        if (out.messages.size() >= max_messages) {
            auto [cec] = co_await ws.async_close(websocket::close_code::normal, kUse);
            (void)cec;
            co_return;
        }
        auto [ec, n] = co_await ws.async_read(buffer, kUse);
        if (ec == websocket::error::closed) {
            out.close_code = ws.reason().code;
            co_return;
        }
        if (ec) {
            out.error = ec.message();
            co_return;
        }
        out.messages.push_back(beast::buffers_to_string(buffer.data()));
        buffer.consume(n);
    }
}

asio::awaitable<void> raw_exchange_op(beast::tcp_stream& stream, const Origin& o,
                                      const std::string& bytes, std::string& received) {
    std::string error;
    if (!co_await connect(stream, o, error)) {
        co_return;
    }
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(bytes), kUse);
    (void)wec;
    char chunk[4096];
    for (;;) {
        auto [rec, n] = co_await stream.async_read_some(asio::buffer(chunk), kUse);
        received.append(chunk, n);
        if (rec) {
            co_return;
        }
    }
}

}  // namespace

HttpResult http_request(const std::string& method, const std::string& origin,
                        const std::string& target, const Headers& headers, const std::string& body,
                        const std::string& ca_file, std::chrono::milliseconds timeout) {
    const Origin o = parse_origin(origin);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, o.host + ":" + o.port);
    for (const auto& [name, value] : headers) {
        req.set(name, value);
    }
    req.body() = body;
    req.keep_alive(false);
    req.prepare_payload();
    HttpResult out;
    asio::io_context ioc;
    bool finished = false;
    if (o.tls) {
        auto ctx = make_client_context(ca_file, o.host);
        beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
        finished = run_bounded(ioc, http_exchange(stream, o, std::move(req), out), timeout);
    } else {
        beast::tcp_stream stream(ioc);
        finished = run_bounded(ioc, http_exchange(stream, o, std::move(req), out), timeout);
    }
    if (!finished) {
        out.status = 0;
        out.error = "timeout";
    }
    return out;
}

WsResult ws_read(const std::string& origin, const std::string& target, const std::string& ca_file,
                 std::size_t max_messages, std::chrono::milliseconds timeout) {
    const Origin o = parse_origin(origin);
    WsResult out;
    asio::io_context ioc;
    bool finished = false;
    if (o.tls) {
        auto ctx = make_client_context(ca_file, o.host);
        finished = run_bounded(
            ioc,
            ws_exchange(beast::ssl_stream<beast::tcp_stream>(ioc, ctx), o, target, max_messages, out),
            timeout);
    } else {
        finished = run_bounded(ioc, ws_exchange(beast::tcp_stream(ioc), o, target, max_messages, out),
                               timeout);
    }
    out.timed_out = !finished;
    return out;
}

std::string raw_exchange(const std::string& origin, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
    const Origin o = parse_origin(origin);
    asio::io_context ioc;
    std::string received;
    beast::tcp_stream stream(ioc);
    run_bounded(ioc, raw_exchange_op(stream, o, bytes, received), timeout);
    return received;
}

std::string basic_auth(const std::string& id, const std::string& secret) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string in = id + ":" + secret;
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kAlphabet[(acc >> bits) & 0x3F];
        }
    }
    if (bits > 0) {
        out += kAlphabet[(acc << (6 - bits)) & 0x3F];
    }
    while (out.size() % 4 != 0) {
        out += '=';
    }
    return "Basic " + out;
}

}  // namespace gstream::test

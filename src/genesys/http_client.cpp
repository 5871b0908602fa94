// HTTP/1.1 client over Beast: one of the three translation units that instantiate Beast templates.
// GCC 12 at -O1 (asan preset) reports a false -Wmismatched-new-delete on Asio coroutine frames
// (awaitable_frame_base has matching class-level new/delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "genesys/http_client.hpp"

#include "genesys/blocking_http_client.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace gstream::genesys {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// beast::error::timeout from tcp_stream deadlines becomes our kTimeout (same meaning everywhere).
error_code normalize(error_code ec) {
    if (ec == beast::error::timeout) return core::make_error_code(core::Errc::kTimeout);
    return ec;
}

// Resolves with a deadline (the resolver has none of its own). The timer owns the resolver
// through a shared_ptr so a late expiry never touches a destroyed object.
asio::awaitable<core::Result<tcp::resolver::results_type>> resolve(
    asio::io_context& io, const ParsedUrl& url, std::chrono::milliseconds timeout) {
    auto resolver = std::make_shared<tcp::resolver>(io);
    auto timer = std::make_shared<asio::steady_timer>(io, timeout);
    auto expired = std::make_shared<bool>(false);
    timer->async_wait([resolver, expired](error_code ec) {
        if (!ec) {
            *expired = true;
            resolver->cancel();
        }
    });
    auto [ec, results] = co_await resolver->async_resolve(url.host, url.port, kTok);
    timer->cancel();
    if (*expired) co_return core::make_error_code(core::Errc::kTimeout);
    if (ec) co_return ec;
    co_return results;
}

template <class Stream>
asio::awaitable<core::Result<HttpResponse>> exchange(Stream& stream,
                                                     http::request<http::string_body>& request,
                                                     const HttpClientOptions& options) {
    beast::get_lowest_layer(stream).expires_after(options.io_timeout);
    auto [wec, written] = co_await http::async_write(stream, request, kTok);
    (void)written;
    if (wec) co_return normalize(wec);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    auto [rec, read] = co_await http::async_read(stream, buffer, parser, kTok);
    (void)read;
    if (rec == http::error::body_limit || rec == http::error::header_limit) {
        co_return core::make_error_code(core::Errc::kBadResponse);
    }
    if (rec) co_return normalize(rec);

    auto message = parser.release();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    response.keep_alive = message.keep_alive();
    for (const auto& field : message) {
        response.headers.push_back(
            {std::string(field.name_string()), std::string(field.value())});
    }
    response.body = std::move(message.body());
    co_return response;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(const TlsOptions& options) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    error_code ec;
    context->set_default_verify_paths(ec);  // no system roots is not fatal: a CA file may follow
    if (options.ca_file) {
        context->load_verify_file(*options.ca_file, ec);
        if (ec) {
            throw std::runtime_error("cannot load the CA file " + *options.ca_file + ": " +
                                     ec.message());
        }
    }
    context->set_verify_mode(options.verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
    return context;
}

std::string ParsedUrl::host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const bool default_port = (tls() && port == "443") || (!tls() && port == "80");
    if (!default_port) h += ":" + port;
    return h;
}

core::Result<ParsedUrl> parse_url(std::string_view text) {
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) return core::make_error_code(core::Errc::kConfig);
    const auto& u = *parsed;
    ParsedUrl url;
    url.scheme = std::string(u.scheme());
    std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (url.scheme != "http" && url.scheme != "https" && url.scheme != "ws" &&
        url.scheme != "wss") {
        return core::make_error_code(core::Errc::kConfig);
    }
    if (!u.has_authority() || u.has_userinfo()) return core::make_error_code(core::Errc::kConfig);
    if (u.host_type() == boost::urls::host_type::ipv6) {
        url.host = u.host_ipv6_address().to_string();
    } else {
        url.host = std::string(u.encoded_host());
    }
    if (url.host.empty()) return core::make_error_code(core::Errc::kConfig);
    url.port = u.has_port() && !u.port().empty() ? std::string(u.port())
                                                 : std::string(url.tls() ? "443" : "80");
    url.target = std::string(u.encoded_path());
    if (url.target.empty()) url.target = "/";
    if (u.has_query()) url.target += "?" + std::string(u.encoded_query());
    return url;
}

bool is_ip_literal(std::string_view host) {
    error_code ec;
    (void)asio::ip::make_address(std::string(host), ec);
    return !ec;
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) return std::string_view(h.value);
    }
    return std::nullopt;
}

std::string HttpResponse::correlation_id() const {
    auto v = header("ININ-Correlation-Id");
    return v ? std::string(*v) : std::string();
}

// A connection to one origin: plain TCP, or TLS over it.
struct KeptConnection {
    std::string origin;  // scheme://host:port
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;

    void shutdown() {
        error_code ignored;
        // No TLS close_notify exchange: the last response is complete either way.
        auto& socket = secure ? beast::get_lowest_layer(*secure).socket() : plain->socket();
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }
};

struct HttpClient::Impl {
    asio::io_context& io;
    HttpClientOptions options;
    std::shared_ptr<asio::ssl::context> tls;
    std::optional<KeptConnection> kept;  // keep_alive only

    asio::awaitable<core::Result<KeptConnection>> connect(const ParsedUrl& url) {
        auto endpoints = co_await resolve(io, url, options.connect_timeout);
        if (!endpoints) co_return endpoints.error();

        KeptConnection c;
        c.origin = url.scheme + "://" + url.host + ":" + url.port;
        auto tcp_stream = std::make_unique<beast::tcp_stream>(io);
        tcp_stream->expires_after(options.connect_timeout);
        auto [cec, endpoint] = co_await tcp_stream->async_connect(*endpoints, kTok);
        (void)endpoint;
        if (cec) co_return normalize(cec);
        if (!url.tls()) {
            c.plain = std::move(tcp_stream);
            co_return c;
        }
        if (!tls) {
            try {
                tls = make_tls_context(options.tls);
            } catch (const std::exception&) {
                co_return core::make_error_code(core::Errc::kConfig);  // ca_file unreadable
            }
        }
        c.secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*tcp_stream), *tls);
        // SNI: most TLS front ends need it to pick the certificate (not sent for IP literals).
        if (!is_ip_literal(url.host) &&
            !SSL_set_tlsext_host_name(c.secure->native_handle(), url.host.c_str())) {
            co_return error_code(static_cast<int>(::ERR_get_error()),
                                 asio::error::get_ssl_category());
        }
        if (options.tls.verify) {
            c.secure->set_verify_callback(asio::ssl::host_name_verification(url.host));
        }
        beast::get_lowest_layer(*c.secure).expires_after(options.connect_timeout);
        auto [hec] = co_await c.secure->async_handshake(asio::ssl::stream_base::client, kTok);
        if (hec) co_return normalize(hec);
        co_return c;
    }

    static asio::awaitable<core::Result<HttpResponse>> send(
        KeptConnection& c, http::request<http::string_body>& message, const HttpClientOptions& o) {
        if (c.secure) co_return co_await exchange(*c.secure, message, o);
        co_return co_await exchange(*c.plain, message, o);
    }
};

namespace {

// A kept-alive connection the server closed while idle fails this way before any response
// byte; the request can be sent again on a new connection.
bool stale_connection(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated;
}

}  // namespace

HttpClient::HttpClient(asio::io_context& io, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(Impl{io, options, options.tls_context, std::nullopt})) {
    if (!impl_->tls && options.eager_tls) {
        impl_->tls = make_tls_context(options.tls);
    }
}

HttpClient::~HttpClient() = default;

void HttpClient::close() {
    if (impl_->kept) impl_->kept->shutdown();
    impl_->kept.reset();
}

asio::awaitable<core::Result<HttpResponse>> HttpClient::request(HttpRequest request) {
    auto url = parse_url(request.url);
    if (!url || (url->scheme != "http" && url->scheme != "https")) {
        co_return core::make_error_code(core::Errc::kConfig);
    }
    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) co_return core::make_error_code(core::Errc::kConfig);

    const auto& options = impl_->options;
    http::request<http::string_body> message{verb, url->target, 11};
    message.set(http::field::host, url->host_header());
    message.set(http::field::user_agent, "genesys-stream");
    if (!options.keep_alive) message.set(http::field::connection, "close");
    for (const auto& h : request.headers) message.set(h.name, h.value);
    message.body() = std::move(request.body);
    message.prepare_payload();

    if (!options.keep_alive) {
        // A connection of this request's own: several requests may be in flight at once.
        auto connection = co_await impl_->connect(*url);
        if (!connection) co_return connection.error();
        auto response = co_await Impl::send(*connection, message, options);
        connection->shutdown();
        co_return response;
    }
    // Keep-alive: one request at a time (HttpClientOptions::keep_alive).
    const std::string origin = url->scheme + "://" + url->host + ":" + url->port;
    if (impl_->kept && impl_->kept->origin != origin) close();
    const bool reused = impl_->kept.has_value();
    if (!impl_->kept) {
        auto connection = co_await impl_->connect(*url);
        if (!connection) co_return connection.error();
        impl_->kept = std::move(*connection);
    }
    auto response = co_await Impl::send(*impl_->kept, message, options);
    if (!response && reused && stale_connection(response.error())) {
        close();
        auto connection = co_await impl_->connect(*url);
        if (!connection) co_return connection.error();
        impl_->kept = std::move(*connection);
        response = co_await Impl::send(*impl_->kept, message, options);
    }
    if (!response || !response->keep_alive) close();
    co_return response;
}

struct BlockingHttpClient::Impl {
    asio::io_context io;
    HttpClient client;

    explicit Impl(const BlockingHttpClientOptions& o)
        : client(io, HttpClientOptions{.tls = o.tls,
                                       .tls_context = nullptr,
                                       .eager_tls = false,
                                       .connect_timeout = o.connect_timeout,
                                       .io_timeout = o.io_timeout,
                                       .max_body_bytes = o.max_body_bytes,
                                       .keep_alive = true}) {}

    static asio::awaitable<void> run(HttpClient& client, HttpRequest request,
                                     std::optional<core::Result<HttpResponse>>& out) {
        out = co_await client.request(std::move(request));
    }
};

BlockingHttpClient::BlockingHttpClient(BlockingHttpClientOptions options) {
    if (options.tls.ca_file) {
        (void)make_tls_context(options.tls);  // a bad CA file fails at start-up, not per batch
    }
    impl_ = std::make_unique<Impl>(options);
}

BlockingHttpClient::~BlockingHttpClient() {
    if (impl_) impl_->client.close();
}

core::Result<HttpResponse> BlockingHttpClient::request(HttpRequest request) {
    std::optional<core::Result<HttpResponse>> out;
    std::exception_ptr failure;
    asio::co_spawn(impl_->io, Impl::run(impl_->client, std::move(request), out),
                   [&failure](std::exception_ptr e) { failure = e; });
    impl_->io.restart();
    impl_->io.run();
    if (failure) std::rethrow_exception(failure);
    if (!out) return core::make_error_code(core::Errc::kTimeout);
    return std::move(*out);
}

}  // namespace gstream::genesys

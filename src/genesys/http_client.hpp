#pragma once
// A small asynchronous HTTP/1.1 client for the Genesys login and API hosts (and the emulator).
//
// One connection per request ("Connection: close"): the consumer makes a handful of REST calls
// per dial, so pooling would buy nothing. http:// and https:// are supported; TLS uses SNI,
// verifies the peer against the system roots (plus an optional CA file) and checks the host name
// (ssl::host_name_verification; IP literals are matched against IP SANs). Every phase (resolve,
// connect, TLS handshake, write, read) has a deadline. Beast stays in http_client.cpp.
//
// Thread-safety: an HttpClient is used from the thread running its io_context only.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

namespace boost::asio::ssl {
class context;
}

#include "core/errc.hpp"
#include "genesys/genesys_error.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gstream::genesys {

/// TLS settings shared by REST calls and the WebSocket stream.
struct TlsOptions {
    bool verify = true;                  ///< verify the certificate chain and the host name
    std::optional<std::string> ca_file;  ///< PEM file of extra trusted CAs (added to system roots)
};

/// Builds a client TLS context (TLS 1.2+, system roots, optional CA file). Throws
/// std::runtime_error naming the CA file when it cannot be loaded (start-up only).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options);

/// The parts of an absolute http(s):// or ws(s):// URL.
struct ParsedUrl {
    std::string scheme;  ///< lower case: "http", "https", "ws" or "wss"
    std::string host;    ///< without brackets for IPv6 literals
    std::string port;    ///< explicit port, or the scheme's default ("80"/"443")
    std::string target;  ///< path (at least "/") plus "?query" if any
    bool tls() const { return scheme == "https" || scheme == "wss"; }
    /// "host" or "host:port" as sent in the Host header (port omitted when it is the default).
    std::string host_header() const;
};

/// Parses an absolute URL; kConfig for anything else (other schemes, no host, fragments, userinfo).
core::Result<ParsedUrl> parse_url(std::string_view url);

/// True when `host` is an IPv4/IPv6 literal (no SNI is sent for those, RFC 6066 §3).
bool is_ip_literal(std::string_view host);

struct HttpHeader {
    std::string name;
    std::string value;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;                   ///< absolute http:// or https:// URL
    std::vector<HttpHeader> headers;   ///< extra headers (Host, User-Agent, Content-Length are set)
    std::string body;
};

struct HttpResponse {
    int status = 0;
    std::vector<HttpHeader> headers;
    std::string body;
    /// The first header of that name (case-insensitive), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
    /// ININ-Correlation-Id, or "" (API-NOTES.md §3.7).
    std::string correlation_id() const;
};

struct HttpClientOptions {
    TlsOptions tls;
    /// A TLS context to share (e.g. the source's); when null, one is made from `tls` at
    /// construction if `eager_tls`, else on the first https request. Loading the system roots
    /// costs ~0.1-0.2 s, which plain-http uses (the emulator) should not pay.
    std::shared_ptr<boost::asio::ssl::context> tls_context;
    bool eager_tls = true;
    std::chrono::milliseconds connect_timeout{10'000};  ///< resolve + connect + TLS handshake
    std::chrono::milliseconds io_timeout{30'000};       ///< write the request, read the response
    std::size_t max_body_bytes = 1 << 20;               ///< larger responses fail (kBadResponse)
};

class HttpClient {
public:
    /// Throws std::runtime_error when the TLS context cannot be built (start-up only).
    HttpClient(boost::asio::io_context& io, HttpClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Sends one request and reads the whole response. Any HTTP status is a success here (the
    /// caller classifies it, see error_from_response); failures are transport errors: a bad URL
    /// (core::Errc::kConfig), asio/ssl errors, core::Errc::kTimeout for a phase past its deadline,
    /// core::Errc::kBadResponse for an unparsable or oversized response.
    boost::asio::awaitable<core::Result<HttpResponse>> request(HttpRequest request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gstream::genesys

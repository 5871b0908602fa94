#pragma once
// The plain parts of an HTTP exchange (URL, request, response, TLS settings) shared by the
// asynchronous client (http_client.hpp) and the blocking one (blocking_http_client.hpp). No
// Boost.Asio or Beast here: code that only builds requests and reads responses (the HTTP sink)
// includes this and stays a light translation unit.
//
// Thread-safety: plain values and pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errc.hpp"

namespace gstream::genesys {

/// TLS settings shared by REST calls and the WebSocket stream.
struct TlsOptions {
    bool verify = true;                  ///< verify the certificate chain and the host name
    std::optional<std::string> ca_file;  ///< PEM file of extra trusted CAs (added to system roots)
};

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
    std::string url;                  ///< absolute http:// or https:// URL
    std::vector<HttpHeader> headers;  ///< extra headers (Host, User-Agent, Content-Length are set)
    std::string body;
};

struct HttpResponse {
    int status = 0;
    /// The server keeps the connection open after this response (HTTP/1.1 without
    /// `Connection: close`); only meaningful with HttpClientOptions::keep_alive.
    bool keep_alive = false;
    std::vector<HttpHeader> headers;
    std::string body;
    /// The first header of that name (case-insensitive), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
    /// ININ-Correlation-Id, or "" (API-NOTES.md §3.7).
    std::string correlation_id() const;
};

}  // namespace gstream::genesys

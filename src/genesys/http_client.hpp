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
#include "genesys/http_message.hpp"

namespace gstream::genesys {

/// Builds a client TLS context (TLS 1.2+, system roots, optional CA file). Throws
/// std::runtime_error naming the CA file when it cannot be loaded (start-up only).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options);

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
    /// Keep one connection open between requests to the same origin (HTTP/1.1 keep-alive)
    /// instead of one connection per request. A reused connection the server closed meanwhile
    /// (EOF or reset before any response byte) is replaced and the request sent once more, so
    /// only use it for requests that are safe to repeat (the HTTP sink's carry an
    /// Idempotency-Key). Any transport error or a `Connection: close` answer drops it. With it,
    /// one request at a time; without it, requests may overlap (each has its own connection).
    bool keep_alive = false;
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

    /// Closes the kept-alive connection, if any (the next request opens a new one).
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gstream::genesys

#pragma once
// A blocking HTTP/1.1 client with a kept-alive connection, for callers that own a plain thread
// (the HTTP sink's write_batch). It runs genesys::HttpClient (keep_alive on) on a private
// io_context, so it shares that client's one Beast translation unit, TLS rules (SNI, peer and
// host-name verification, optional CA file) and per-phase deadlines; this header pulls in no
// Boost.Asio or Beast.
//
// Thread-safety: one thread at a time (the object holds a connection and an io_context).

#include <chrono>
#include <cstddef>
#include <memory>

#include "core/errc.hpp"
#include "genesys/http_message.hpp"

namespace gstream::genesys {

struct BlockingHttpClientOptions {
    TlsOptions tls;
    std::chrono::milliseconds connect_timeout{10'000};  ///< resolve + connect + TLS handshake
    std::chrono::milliseconds io_timeout{30'000};       ///< write the request, read the response
    std::size_t max_body_bytes = 1 << 20;               ///< larger responses fail (kBadResponse)
};

class BlockingHttpClient {
public:
    /// Throws std::runtime_error when the CA file cannot be loaded (start-up only); the TLS
    /// context is built on the first https request otherwise.
    explicit BlockingHttpClient(BlockingHttpClientOptions options);
    ~BlockingHttpClient();
    BlockingHttpClient(const BlockingHttpClient&) = delete;
    BlockingHttpClient& operator=(const BlockingHttpClient&) = delete;

    /// Sends one request and waits for the whole response, at most connect_timeout +
    /// io_timeout (twice that when a kept-alive connection turned out closed and the request
    /// is sent again on a new one). Errors as HttpClient::request: core::Errc::kConfig (bad
    /// URL, unreadable CA file), kTimeout, kBadResponse, or the asio/ssl transport error.
    core::Result<HttpResponse> request(HttpRequest request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gstream::genesys

#pragma once
// The admin HTTP server: GET /metrics, /healthz, /readyz (DESIGN.md §1, docs/operations.md).
// All Beast code lives in admin_server.cpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace gstream::ops {

struct AdminServerState;  // defined in admin_server.cpp

/// What /readyz reports. Not ready with reasons, e.g. {"stream disconnected", "draining"}.
struct ReadyState {
    bool ready = false;
    std::vector<std::string> reasons;  ///< short phrases for operators; no ids or secrets
};

/// Deadlines of the admin server's phases.
struct AdminTimeouts {
    /// Reading one whole request, and the idle time between keep-alive requests.
    std::chrono::milliseconds read{10'000};
    /// Writing one response.
    std::chrono::milliseconds write{10'000};
};

/// A small HTTP/1.1 server on the caller's io_context (coroutines on one strand, so the
/// io_context may be run by any number of threads).
///
/// Routes (GET only; other methods get 405 with `Allow: GET`, other paths 404; the query string
/// is ignored):
///   /metrics  200, `text/plain; version=0.0.4; charset=utf-8`, body = metrics_text()
///   /healthz  200 "ok" while the process serves requests
///   /readyz   200 "ready", or 503 "not ready: <reason>; <reason>"
/// A malformed or oversized request gets 400 and the connection is closed. Keep-alive is
/// honoured. At most 64 connections are served at once; more are closed on accept.
///
/// The callbacks run on the io_context, once per request; they must be thread-safe with respect
/// to the rest of the program and must not block.
class AdminServer {
public:
    /// `listen`: HOST:PORT (IPv6 as [::1]:9090; port 0 picks a free port), the `metrics.listen`
    /// option. Nothing happens until start().
    AdminServer(boost::asio::io_context& ioc,
                std::string listen,
                std::function<std::string()> metrics_text,
                std::function<ReadyState()> ready,
                AdminTimeouts timeouts = {});
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;
    /// Calls stop(). Destroy the server before its io_context.
    ~AdminServer();

    /// Resolves and binds the address and starts accepting. Throws std::runtime_error naming the
    /// address and the metrics.listen option when the address is malformed, does not resolve, or
    /// cannot be bound (start-up error). Call once, before running the io_context or from it.
    void start();

    /// The bound port (useful with port 0). 0 before start().
    std::uint16_t port() const noexcept;

    /// Stops accepting and closes open connections (asynchronously, on the io_context).
    /// Thread-safe; idempotent.
    void stop();

private:
    // Shared with the server's coroutines, which may outlive this object until they see stop().
    std::shared_ptr<AdminServerState> state_;
};

}  // namespace gstream::ops

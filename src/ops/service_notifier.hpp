#pragma once
// The daemon's side of systemd's service protocol (sd_notify(3), Type=notify): READY=1 after
// start-up, STATUS= with the connection state, WATCHDOG=1 pings, STOPPING=1 at the drain. Every
// message goes to the unix datagram socket named by $NOTIFY_SOCKET; without it (not started by
// systemd) each call is a no-op.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gstream::ops {

/// One per process, built by the composition root (app/daemon.cpp). Thread-safe: status
/// updates come from the io thread (connection changes) and the main thread (start, stop).
class ServiceNotifier {
public:
    /// `status` composes the STATUS= text (e.g. "connected; 120 events delivered"); it is called
    /// from update_status() and from the io thread's timer, so it must be thread-safe.
    explicit ServiceNotifier(std::function<std::string()> status);
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    /// The watchdog interval systemd asked for ($WATCHDOG_USEC, when $WATCHDOG_PID is unset or
    /// this process; see sd_watchdog_enabled(3)), zero when there is none.
    std::chrono::microseconds watchdog_interval() const { return watchdog_; }

    /// READY=1 with the current status. Start-up is done: configuration loaded, data directory
    /// locked, sinks open, admin server listening. Not waiting for Genesys Cloud, so an outage
    /// does not turn into a start timeout and a restart loop.
    void ready();
    /// STATUS=<text> when the text differs from the last one sent.
    void update_status();
    /// STOPPING=1 (once) with STATUS=draining.
    void stopping();
    /// On `io`'s thread: WATCHDOG=1 every half watchdog interval (a stuck io thread stops the
    /// pings, and systemd restarts the service), and the status refreshed (event counts) at the
    /// same time or every 5 s without a watchdog. Stops with the io_context or stop_timer().
    void start_timer(boost::asio::io_context& io);
    /// Cancels the timer; call on the io thread or after it has stopped.
    void stop_timer();

private:
    void send(const std::string& message);
    void arm();

    std::function<std::string()> status_;
    std::chrono::microseconds watchdog_{0};
    bool enabled_ = false;  // $NOTIFY_SOCKET set
    std::mutex mutex_;
    std::string last_status_;
    bool stopping_ = false;
    std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace gstream::ops

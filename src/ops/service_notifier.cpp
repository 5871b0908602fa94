#include "ops/service_notifier.hpp"

#include <cstdint>
#include <cstdlib>

#include <systemd/sd-daemon.h>

namespace gstream::ops {

ServiceNotifier::ServiceNotifier(std::function<std::string()> status)
    : status_(std::move(status)) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && *socket != '\0';
    std::uint64_t usec = 0;
    // > 0 when $WATCHDOG_USEC is set and $WATCHDOG_PID is unset or names this process.
    if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_ = std::chrono::microseconds(usec);
    }
}

ServiceNotifier::~ServiceNotifier() = default;

void ServiceNotifier::send(const std::string& message) {
    if (enabled_) {
        // Best effort: a service manager that went away must not stop the daemon.
        (void)sd_notify(0, message.c_str());
    }
}

void ServiceNotifier::ready() {
    const std::string status = status_();
    std::lock_guard lock(mutex_);
    last_status_ = status;
    send("READY=1\nSTATUS=" + status);
}

void ServiceNotifier::update_status() {
    const std::string status = status_();
    std::lock_guard lock(mutex_);
    if (stopping_ || status == last_status_) {
        return;
    }
    last_status_ = status;
    send("STATUS=" + status);
}

void ServiceNotifier::stopping() {
    std::lock_guard lock(mutex_);
    if (stopping_) {
        return;
    }
    stopping_ = true;
    last_status_ = "draining";
    send("STOPPING=1\nSTATUS=draining");
}

void ServiceNotifier::start_timer(boost::asio::io_context& io) {
    if (!enabled_) {
        return;
    }
    timer_ = std::make_unique<boost::asio::steady_timer>(io);
    arm();
}

void ServiceNotifier::stop_timer() {
    if (timer_) {
        timer_->cancel();
    }
}

void ServiceNotifier::arm() {
    const auto period = watchdog_.count() > 0 ? std::chrono::microseconds(watchdog_ / 2)
                                              : std::chrono::microseconds(std::chrono::seconds(5));
    timer_->expires_after(period);
    timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return;  // cancelled: the daemon is stopping
        }
        if (watchdog_.count() > 0) {
            send("WATCHDOG=1");
        }
        update_status();
        arm();
    });
}

}  // namespace gstream::ops

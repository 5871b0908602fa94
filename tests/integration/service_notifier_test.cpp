// systemd's Type=notify protocol (sd_notify(3)) without systemd: the test binds the unix datagram
// socket that $NOTIFY_SOCKET names, runs the daemon, and reads what it says: READY=1 once
// start-up is done (not waiting for Genesys Cloud), STATUS= with the connection state,
// WATCHDOG=1 at half of $WATCHDOG_USEC, STOPPING=1 on SIGTERM.
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <string_view>
#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;

/// The service manager's end: a bound unix datagram socket, one message per receive.
class NotifySocket {
public:
    explicit NotifySocket(std::string path)
        : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
        bound_ = fd_ >= 0 && path_.size() < sizeof(addr.sun_path) &&
                 ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
    }
    ~NotifySocket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    bool bound() const { return bound_; }
    const std::string& path() const { return path_; }

    /// The next message, or nullopt after `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
            return std::nullopt;
        }
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (n < 0) {
            return std::nullopt;
        }
        return std::string(buffer, static_cast<std::size_t>(n));
    }
    /// Receives until a message satisfies `match` (returned) or `timeout` passes (nullopt);
    /// every message seen is appended to `seen`.
    template <typename Match>
    std::optional<std::string> wait_for(Match match,
                                        std::chrono::milliseconds timeout,
                                        std::vector<std::string>& seen) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= 0ms) {
                return std::nullopt;
            }
            auto m = receive(left);
            if (!m) {
                return std::nullopt;
            }
            seen.push_back(*m);
            if (match(*m)) {
                return m;
            }
        }
    }

private:
    std::string path_;
    int fd_ = -1;
    bool bound_ = false;
};

std::string write_config(const TempDir& dir, const std::string& base_url) {
    const std::string path = dir.file("config.yaml");
    write_file(path,
               "genesys:\n  base_url: " + base_url +
                   "\n  client_id: demo\n  client_secret: demo\n"
                   "source:\n  protocol: envelope\n"
                   "  reconnect_initial_ms: 50\n  reconnect_max_ms: 200\n"
                   "pipeline:\n  batch: { max_events: 10, max_bytes: 1048576, max_age_ms: 50 }\n"
                   "sinks:\n  - { type: file, path: " +
                   dir.file("events.jsonl") +
                   ", fsync: never }\n"
                   "data_dir: " +
                   dir.file("state") +
                   "\n"
                   "metrics:\n  listen: 127.0.0.1:0\n");
    return path;
}

std::string joined(const std::vector<std::string>& seen) {
    std::string s;
    for (const auto& m : seen) {
        s += "[" + m + "] ";
    }
    return s;
}

TEST(ServiceNotifier, ReadyStatusWatchdogAndStoppingOverTheNotifySocket) {
    TempDir dir;
    NotifySocket notify(dir.file("notify.sock"));
    ASSERT_TRUE(notify.bound()) << notify.path();
    // 50 messages/s of a long stream: the connection is up for the whole test.
    auto emulator = start_emulator({"--protocol", "envelope", "--events", "100000", "--rate", "50"},
                                   dir.file("emulator.log"));
    ChildProcess daemon({GSTREAM_BINARY, "run", "--config", write_config(dir, emulator.origin())},
                        {{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "200000"}},
                        dir.file("daemon.log"));
    std::vector<std::string> seen;
    // Start-up done before the io thread ran: nothing connected or delivered yet.
    const auto ready = notify.receive(30s);
    ASSERT_TRUE(ready) << read_file(dir.file("daemon.log"));
    EXPECT_EQ(*ready, "READY=1\nSTATUS=connecting; 0 events delivered");
    // The admin server was listening before READY=1.
    EXPECT_TRUE(daemon.wait_for_log_line("admin listening 127.0.0.1:", 1s));

    // "STATUS=<state>; N events delivered" with N a count (a scan, not std::regex: GCC 12 warns
    // inside <regex> at -O1, and warnings are errors).
    const auto status_with = [](const std::string& m, std::string_view state, bool nonzero) {
        const std::string head = "STATUS=" + std::string(state) + "; ";
        const std::string tail = " events delivered";
        if (!m.starts_with(head) || !m.ends_with(tail) || m.size() <= head.size() + tail.size()) {
            return false;
        }
        const std::string n = m.substr(head.size(), m.size() - head.size() - tail.size());
        return n.find_first_not_of("0123456789") == std::string::npos &&
               (!nonzero || n != std::string(n.size(), '0'));
    };
    EXPECT_TRUE(notify.wait_for(
        [](const std::string& m) { return m.starts_with("STATUS=connected; "); }, 20s, seen))
        << joined(seen);
    EXPECT_TRUE(notify.wait_for(
        [&](const std::string& m) { return status_with(m, "connected", true); }, 20s, seen))
        << joined(seen);
    // WATCHDOG_USEC=200000: a ping every 100 ms; three in a row within 2 s.
    int pings = 0;
    for (int i = 0; i < 3; ++i) {
        pings += notify.wait_for([](const std::string& m) { return m == "WATCHDOG=1"; }, 2s, seen)
                     ? 1
                     : 0;
    }
    EXPECT_EQ(pings, 3) << joined(seen);

    daemon.signal(SIGTERM);
    EXPECT_TRUE(notify.wait_for(
        [](const std::string& m) { return m == "STOPPING=1\nSTATUS=draining"; }, 20s, seen))
        << joined(seen);
    EXPECT_EQ(daemon.wait(30s), 0);
    // Only these shapes were ever sent.
    for (const auto& m : seen) {
        EXPECT_TRUE(m == "WATCHDOG=1" || m == "STOPPING=1\nSTATUS=draining" ||
                    status_with(m, "connecting", false) || status_with(m, "connected", false) ||
                    status_with(m, "reconnecting", false))
            << m;
    }
}

TEST(ServiceNotifier, ReadyWithoutGenesysCloudSoAnOutageIsNoStartTimeout) {
    TempDir dir;
    NotifySocket notify(dir.file("notify.sock"));
    ASSERT_TRUE(notify.bound()) << notify.path();
    // Nothing listens on port 1: the connection is refused, again and again.
    ChildProcess daemon(
        {GSTREAM_BINARY, "run", "--config", write_config(dir, "http://127.0.0.1:1")},
        {{"NOTIFY_SOCKET", notify.path()}}, dir.file("daemon.log"));
    const auto ready = notify.receive(30s);
    ASSERT_TRUE(ready) << read_file(dir.file("daemon.log"));
    EXPECT_EQ(*ready, "READY=1\nSTATUS=connecting; 0 events delivered");
    // No watchdog without WATCHDOG_USEC.
    daemon.signal(SIGTERM);
    std::vector<std::string> seen;
    EXPECT_TRUE(notify.wait_for(
        [](const std::string& m) { return m == "STOPPING=1\nSTATUS=draining"; }, 20s, seen))
        << joined(seen);
    EXPECT_EQ(daemon.wait(30s), 0);
    for (const auto& m : seen) {
        EXPECT_NE(m, "WATCHDOG=1");
    }
}

TEST(ServiceNotifier, AWatchdogForAnotherPidIsIgnored) {
    // With $WATCHDOG_PID naming another process (sd_watchdog_enabled(3)), the daemon does not
    // ping: the socket receives READY=1 and then STOPPING=1 only.
    TempDir dir;
    NotifySocket notify(dir.file("notify.sock"));
    ASSERT_TRUE(notify.bound()) << notify.path();
    ChildProcess daemon(
        {GSTREAM_BINARY, "run", "--config", write_config(dir, "http://127.0.0.1:1")},
        {{"NOTIFY_SOCKET", notify.path()},
         {"WATCHDOG_USEC", "20000"},
         {"WATCHDOG_PID", std::to_string(::getpid())}},
        dir.file("daemon.log"));
    const auto ready = notify.receive(30s);
    ASSERT_TRUE(ready) << read_file(dir.file("daemon.log"));
    EXPECT_EQ(*ready, "READY=1\nSTATUS=connecting; 0 events delivered");
    daemon.signal(SIGTERM);
    std::vector<std::string> seen;
    EXPECT_TRUE(notify.wait_for(
        [](const std::string& m) { return m == "STOPPING=1\nSTATUS=draining"; }, 20s, seen))
        << joined(seen);
    EXPECT_EQ(daemon.wait(30s), 0);
    for (const auto& m : seen) {
        EXPECT_NE(m, "WATCHDOG=1");
    }
}

}  // namespace
}  // namespace gstream::testing

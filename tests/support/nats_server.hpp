#pragma once
// A real `nats-server -js` for tests: a child process on a free loopback port (the server picks
// it: `-p -1`, read back from its ports file), JetStream storing in a folder the test owns, ready
// once a client connects (no sleeps). Stop and start again on the same port and store to test a
// restart. Also a small JetStream reader for assertions.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace gstream::testing {

class NatsServer {
public:
    /// Starts `nats-server -js -a 127.0.0.1` with its store and log under `dir`; `extra_args`
    /// e.g. {"--auth", "TOKEN"}. `connect_token`: what readiness checks connect with. Fails the
    /// test (gtest ADD_FAILURE) and leaves url() empty when it is not ready within 30 s.
    explicit NatsServer(std::string dir, std::vector<std::string> extra_args = {},
                        std::string connect_token = "", std::string tls_ca_file = "");
    ~NatsServer();  ///< SIGKILL if running
    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    /// "nats://127.0.0.1:PORT" ("tls://localhost:PORT" with `tls_ca_file`: readiness then
    /// connects with TLS, trusting that CA).
    const std::string& url() const { return url_; }
    int port() const { return port_; }
    bool running() const { return process_ != nullptr; }
    /// Stops the server: SIGTERM (clean) or SIGKILL, and waits for it.
    void stop(bool kill = false);
    /// Starts it again on the same port and store; true when ready.
    bool start();
    /// Sends `signo` to the running server (SIGSTOP / SIGCONT: a server that stalls). After
    /// SIGSTOP, returns once the kernel shows the process stopped (/proc/PID/stat state T).
    void signal(int signo);

private:
    bool wait_ready();
    std::string dir_;
    std::vector<std::string> extra_args_;
    std::string token_;
    std::string tls_ca_file_;
    std::unique_ptr<ChildProcess> process_;
    int port_ = -1;
    std::string url_;
    int starts_ = 0;
};

/// One stored message, as a JetStream consumer would see it.
struct StoredMessage {
    std::uint64_t sequence = 0;
    std::string subject;
    std::map<std::string, std::string> headers;
    std::string data;
};

/// Every message of `stream` in sequence order (read with the JetStream "get message" API),
/// nullopt when the server cannot be read. `token` for servers with --auth.
std::optional<std::vector<StoredMessage>> read_stream(const std::string& url,
                                                      const std::string& stream,
                                                      const std::string& token = "");

/// The number of messages in `stream`, nullopt when it cannot be read (not created yet).
std::optional<std::uint64_t> stream_messages(const std::string& url, const std::string& stream);

/// Creates a file-storage stream `name` taking `subjects`, with `max_msg_size` (-1 = none).
bool create_stream(const std::string& url, const std::string& name,
                   const std::vector<std::string>& subjects, std::int64_t max_msg_size = -1);

}  // namespace gstream::testing

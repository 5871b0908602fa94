#pragma once
// A local Genesys Cloud emulator for the batch-envelope protocol (SEED-PROTOCOL.md): OAuth
// client credentials, the subscription REST call and the streaming WebSocket, all on one origin,
// with a deterministic traffic generator and fault injection. docs/emulator.md has the details.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace gstream::emulator {

struct EmulatorOptions {
    std::string listen = "127.0.0.1:0";  ///< HOST:PORT; port 0 picks a free port
    std::string protocol = "envelope";   ///< only "envelope" is served
    std::optional<std::string> replay_file;  ///< one message per non-empty line, sent verbatim
    double rate = 0;                     ///< messages per second; 0 = as fast as the client reads
    std::optional<std::string> client_id, client_secret;  ///< when set, token requests must match
    std::optional<std::string> tls_cert, tls_key;         ///< PEM files: serve https and wss
    int token_ttl_s = 86399;             ///< expires_in of issued tokens (API-NOTES.md §1.2)
    // Generator (used when there is no replay_file).
    std::uint64_t events = 1000;          ///< lifecycle events to generate (before the filter)
    std::uint32_t events_per_message = 50;
    std::uint64_t seed = 1;
    std::uint32_t queue_count = 20;
    double malformed_rate = 0;       ///< per data message: a not-JSON message is inserted before it
    double schema_invalid_rate = 0;  ///< per sent event (fractions 0..1, exclusive kinds)
    double duplicate_rate = 0;       ///< per valid event: re-sent later with the same id
    double bad_timestamp_rate = 0;
    double duplicate_key_rate = 0;
    std::int64_t max_out_of_order_ms = 0;  ///< events shuffled within this much event time
    std::uint64_t drop_after_messages = 0;  ///< 0 = never; else drop after every N messages
    std::string drop_mode = "close1001";    ///< close1001 | abrupt
    int handshake_401_count = 0;   ///< the first N WebSocket handshakes answer 401
    int subscribe_429_count = 0;   ///< the first N authorised subscription POSTs answer 429
    int retry_after_s = 1;         ///< Retry-After of those 429s
    std::optional<std::string> manifest_file;  ///< generator mode: written when the stream starts
    int send_buffer_bytes = 65536;  ///< SO_SNDBUF of stream sockets (keeps little in flight)
};

/// Counters, readable from any thread.
struct Stats {
    std::uint64_t tokens_issued = 0;
    std::uint64_t subscriptions = 0;         ///< 201 answers
    std::uint64_t subscriptions_rejected = 0;  ///< 400/401/429 answers to subscription POSTs
    std::uint64_t handshakes = 0;            ///< accepted WebSocket upgrades
    std::uint64_t handshakes_rejected = 0;   ///< 401 answers to upgrades
    std::uint64_t messages_sent = 0;         ///< text messages fully written
    std::uint64_t connections = 0;           ///< accepted TCP connections
    std::uint64_t drops = 0;                 ///< injected connection drops
};

/// The emulator server. start() runs it on its own thread (one io_context). Methods are
/// thread-safe; stop() is idempotent and also called by the destructor.
class Emulator {
public:
    /// Validates the options (throws std::runtime_error with a clear message: bad listen
    /// address, unknown protocol or drop mode, unreadable replay or TLS files, rates out of 0..1).
    explicit Emulator(EmulatorOptions options);
    ~Emulator();
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;

    /// Binds and starts the server thread. Throws std::runtime_error when binding fails.
    void start();
    /// The bound port (after start()).
    unsigned short port() const;
    /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" (the listen host, real port).
    std::string origin() const;
    /// Stops serving and joins the thread. Idempotent.
    void stop();
    Stats stats() const;

    /// True once the whole stream was written, closed with 1000, and the client closed too.
    bool finished() const;
    /// Waits up to `timeout` for finished(); returns finished().
    bool wait_finished(std::chrono::milliseconds timeout) const;

    struct Impl;  ///< implementation detail (emulator.cpp)

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace gstream::emulator

#pragma once
// A local Genesys Cloud emulator, on one origin (OAuth client credentials + API + WebSocket), with
// deterministic traffic and fault injection. Two protocols: the batch envelope of
// SEED-PROTOCOL.md, and the Notifications API (channels, subscriptions, topic events; API-NOTES.md
// §3). docs/emulator.md has the details.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gstream::emulator {

struct EmulatorOptions {
    std::string listen = "127.0.0.1:0";  ///< HOST:PORT; port 0 picks a free port
    std::string protocol = "envelope";   ///< "envelope" or "notifications"
    std::optional<std::string> replay_file;  ///< one message per non-empty line, sent verbatim
    /// Envelope replay: a new connection resumes this many messages before the first one not
    /// fully written to the previous connection (upstream redelivery, for crash tests: what sat in
    /// socket buffers when a consumer was killed is sent again). 0 = resume right after.
    std::uint64_t replay_resume_overlap = 0;
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

    // Notifications protocol (API-NOTES.md §3; docs/emulator.md).
    std::int64_t heartbeat_ms = 30000;            ///< channel.metadata heartbeat period
    std::int64_t channel_ttl_ms = 86'400'000;     ///< channel lifetime (`expires`), 24 h
    std::int64_t socket_closing_delay_ms = 60000; ///< v2.system.socket_closing -> close 1001
    std::uint32_t conversations = 100;            ///< generated conversations
    std::uint32_t conversation_concurrency = 4;   ///< conversations in progress at once
    std::uint32_t max_channels = 20;              ///< per OAuth client; the 21st evicts
    std::uint32_t max_topics = 1000;              ///< per channel
    int channel_create_429_count = 0;  ///< the first N channel creates answer 429
    /// Topic prefixes that need a permission the client lacks: a request naming one answers 403
    /// `missing.permissions` as a whole, or (ignoreErrors=true) marks the topic Rejected.
    std::vector<std::string> forbidden_topic_prefixes;
    std::string missing_permission = "routing:queue:view";
    /// Planned faults "KIND:AFTER[:COUNT]" (docs/emulator.md "Faults").
    std::vector<std::string> faults;
};

/// Counters, readable from any thread.
struct Stats {
    std::uint64_t tokens_issued = 0;
    std::uint64_t subscriptions = 0;         ///< 201 answers
    std::uint64_t subscriptions_rejected = 0;  ///< 400/401/429 answers to subscription POSTs
    std::uint64_t handshakes = 0;            ///< accepted WebSocket upgrades
    std::uint64_t handshakes_rejected = 0;   ///< refused upgrades (401, 409, 404 answers)
    std::uint64_t messages_sent = 0;         ///< text messages fully written
    std::uint64_t connections = 0;           ///< accepted TCP connections
    std::uint64_t drops = 0;                 ///< injected connection drops
    std::uint64_t resent = 0;  ///< replay messages sent again by replay_resume_overlap
    // Notifications protocol.
    std::uint64_t channels_created = 0;
    std::uint64_t channels_evicted = 0;
    std::uint64_t channels_expired = 0;
    std::uint64_t heartbeats = 0;        ///< channel.metadata heartbeats written
    std::uint64_t pongs = 0;             ///< answers to {"message":"ping"}
    std::uint64_t system_messages = 0;   ///< v2.system.* messages written
    std::uint64_t data_messages = 0;     ///< topic events written (snapshots, details, replay)
    std::uint64_t faults_injected = 0;   ///< faults applied (planned, control endpoint, inject())
};

/// Faults of the notifications protocol (docs/emulator.md "Faults").
enum class NotificationFault : std::uint8_t {
    kStall,               ///< the socket stays open, nothing is sent, pings are ignored
    kResume,              ///< ends a stall
    kClose1001,           ///< close 1001 (maintenance) now
    kSocketClosing,       ///< v2.system.socket_closing now, close 1001 after the delay
    kDuplicate,           ///< the next data message twice, the copy with a new CorrelationId
    kDuplicateExact,      ///< the next data message is sent twice, byte for byte
    kReorder,             ///< the next data message is held back and sent after the one after it
    kDrop,                ///< the next data message is never sent
    kTokenRevoked,        ///< v2.system.token_revoked.{channelId}; every token becomes invalid
    kNoLongerSubscribed,  ///< v2.system.no_longer_subscribed.{channelId}; the topics are removed
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

    /// Notifications protocol: applies a fault (thread-safe; runs on the server thread). Data
    /// faults (duplicate, duplicate-exact, reorder, drop) apply to the next `count` data
    /// messages; the others act on every connected channel once.
    void inject(NotificationFault fault, int count = 1);

    struct Impl;  ///< implementation detail (emulator.cpp)

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace gstream::emulator

#pragma once
// The NATS JetStream sink's settings (`type: nats` in schemas/config.schema.json; docs/sinks/nats.md),
// read from config::SinkConfig::settings, and their offline checks.
//
// Thread-safety: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "sink/format/event_format.hpp"

namespace gstream::sink::nats {

/// `create_stream:`: the stream the sink creates when it does not exist.
struct CreateStreamConfig {
    std::vector<std::string> subjects;
    bool memory_storage = false;             ///< storage: memory (default file)
    std::int64_t duplicate_window_ms = 120'000;  ///< JetStream's `duplicate_window`
    std::int64_t replicas = 1;
};

/// `tls:`. Verification of the server's certificate and name is always on.
struct TlsConfig {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    std::string server_name;
};

struct NatsSinkConfig {
    std::string name = "nats";  ///< sinks[].name: logs, metrics, checkpoint
    int line = 0;               ///< the sink's line in the configuration (messages)
    std::vector<std::string> servers;
    std::string subject = "genesys.{eventType}.{queueId}";
    std::string stream;
    std::optional<CreateStreamConfig> create_stream;
    // Authentication: at most one of creds_file, nkey_seed_file, token, user (+ password).
    std::string creds_file;
    std::string nkey;  ///< the user's NKey public key (U...), with nkey_seed_file
    std::string nkey_seed_file;
    std::string token;
    std::string user;
    std::string password;
    std::optional<TlsConfig> tls;  ///< also implied by a tls:// server
    format::Format format = format::Format::kNative;
    std::int64_t max_in_flight = 256;
    std::int64_t ack_timeout_ms = 5'000;
    std::int64_t connect_timeout_ms = 2'000;

    /// TLS is on: a `tls:` section or a tls:// server.
    bool secure() const;
};

/// The settings of a `type: nats` sink (the schema has typed them and applied defaults).
NatsSinkConfig read_nats_config(const config::SinkConfig& sink);

/// Offline checks (no network): the subject template, the stream name, one authentication
/// method, readable files, create_stream's subjects covering the subject. Empty when usable,
/// else one line "sink 'NAME' (line N): ..." naming the key to change.
std::string check_nats_config(const NatsSinkConfig& config);

}  // namespace gstream::sink::nats

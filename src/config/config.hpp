#pragma once
// The daemon's configuration as plain structs.
//
// Every option, its default, bounds and description are declared once in
// schemas/config.schema.json; the loader (config/config_loader.hpp) validates the YAML against
// that schema and fills these structs. The member initialisers below repeat the schema's defaults
// so that a default-constructed Config is the effective configuration of an empty file
// (a unit test keeps the two equal). Durations are milliseconds, named *_ms here and in YAML.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/fwd.hpp>

namespace gstream::config {

struct GenesysConfig {
    /// AWS-style name ("us-east-1") or Genesys domain ("mypurecloud.com"), as written; always a
    /// known region after loading (genesys::find_region accepts both forms).
    std::string region = "us-east-1";
    /// "http(s)://host[:port]" used for both login and API instead of the region's hosts
    /// (the emulator). No path, query or trailing data.
    std::optional<std::string> base_url;
    std::string client_id;
    std::string client_secret;  ///< a secret: never log it (to_log_string shows "***")
    std::int64_t token_refresh_margin_ms = 300000;
};

struct TlsConfig {
    bool verify = true;
    std::optional<std::string> ca_file;
};

/// source.notifications (protocol notifications without source.url); docs/notifications.md.
struct NotificationsConfig {
    std::vector<std::string> media;   ///< "calls", "chats", ...; empty: all-media topic per queue
    std::vector<std::string> topics;  ///< extra topics, as given
    std::int64_t watchdog_ms = 65000;
    std::int64_t pong_timeout_ms = 10000;
    std::int64_t retire_grace_ms = 90000;
    std::int64_t expiry_margin_ms = 600000;
    bool detail_topics = false;  ///< per-conversation v2.detail.events.conversation.{id}.* topics
    std::int64_t detail_linger_ms = 300000;
};

struct SourceConfig {
    std::string protocol = "envelope";  ///< "envelope" | "notifications"
    /// "ws://..." or "wss://...": read this WebSocket directly, no OAuth and no subscription.
    std::optional<std::string> url;
    std::vector<std::string> queues;  ///< queue ids; empty = every queue the client can see
    std::vector<std::string> states;  ///< "queued" | "alerting" | "contact" | "acw" | "ended"
    std::int64_t max_message_bytes = 4194304;
    std::int64_t connect_timeout_ms = 10000;
    std::int64_t ping_interval_ms = 15000;
    std::int64_t idle_timeout_ms = 45000;
    std::int64_t reconnect_initial_ms = 250;
    std::int64_t reconnect_max_ms = 30000;
    std::int64_t subscribe_max_attempts = 6;
    TlsConfig tls;
    NotificationsConfig notifications;
    std::int64_t queue_capacity = 128;
};

struct BatchConfig {
    std::int64_t max_events = 100;
    std::int64_t max_bytes = 1048576;
    std::int64_t max_age_ms = 10000;
};

struct DedupConfig {
    std::int64_t window_events = 100000;
    std::int64_t window_ms = 600000;
};

/// Keeps (negate = false, YAML `in:`) or drops (negate = true, YAML `not_in:`) events whose value
/// at `pointer` is one of `values`. A missing value or a non-string value never matches.
struct FieldFilter {
    std::string pointer;  ///< RFC 6901 JSON pointer into the event, starting with '/'
    std::vector<std::string> values;
    bool negate = false;

    friend bool operator==(const FieldFilter&, const FieldFilter&) = default;
};

/// Conversation snapshots (docs/lifecycle.md): what is emitted and the deriver's bounds.
struct SnapshotsConfig {
    std::string emit = "transitions";  ///< "transitions" | "snapshots" | "both"
    std::int64_t ended_ttl_ms = 300000;
    std::int64_t idle_ttl_ms = 14400000;
    std::int64_t max_conversations = 100000;
};

struct PipelineConfig {
    BatchConfig batch;
    std::int64_t allowed_lateness_ms = 2000;
    std::string late_policy = "deliver";  ///< "deliver" | "dead_letter"
    DedupConfig dedup;
    std::vector<FieldFilter> filters;
    std::optional<std::string> schemas_dir;  ///< absent = the built-in schemas directory
    SnapshotsConfig snapshots;
};

struct SinkConfig {
    std::string type = "file";  ///< "file" (the only kind so far)
    /// Unique; keys the sink's checkpoint position and is its metrics' `sink` label. The loader
    /// fills in `type` when the only sink has no name.
    std::string name;
    std::string path;
    std::string fsync = "interval";  ///< "always" | "interval" | "never"
    std::int64_t fsync_interval_ms = 1000;
    /// Every key of the sink's item except `type` and `name`, as its branch of the schema typed
    /// them (defaults applied, ${VAR} substituted): what the sink type's own code reads
    /// (src/sink/<type>/, through sink_registry.hpp). Null only for a SinkConfig built in code.
    std::shared_ptr<const boost::json::object> settings;
    /// The line of the sink's item in the configuration (1-based; 0 when built in code), for
    /// messages that name where to change it.
    int line = 0;
};

struct DeadLetterConfig {
    std::string path;  ///< the loader fills in `<data_dir>/dead-letter.sqlite3` when absent
};

struct MetricsConfig {
    std::optional<std::string> listen;  ///< "HOST:PORT" (port 0 = any); absent = no admin server
};

struct LoggingConfig {
    std::string level = "info";   ///< "trace" | "debug" | "info" | "warn" | "error"
    std::string format = "text";  ///< "text" | "json"
};

/// Write-ahead log and crash recovery (docs/recovery.md).
struct WalConfig {
    bool enabled = true;
    /// Set after loading exactly when `enabled` (default `<data_dir>/wal`); absent = no log.
    std::optional<std::string> dir;
    std::int64_t segment_bytes = 67108864;
    std::string fsync = "batch";  ///< "always" | "batch" | "never"
    std::int64_t checkpoint_interval_ms = 1000;
};

struct Config {
    GenesysConfig genesys;
    SourceConfig source;
    PipelineConfig pipeline;
    std::vector<SinkConfig> sinks;  ///< at least one after loading
    DeadLetterConfig dead_letter;
    MetricsConfig metrics;
    LoggingConfig logging;
    std::int64_t shutdown_timeout_ms = 10000;
    WalConfig wal;
    /// The daemon's state directory. The loader fills it in: the `data_dir` key, else
    /// $STATE_DIRECTORY (systemd's StateDirectory=, its first path), else kDefaultDataDir.
    std::string data_dir;
};

/// Where the daemon keeps its state when neither `data_dir` nor $STATE_DIRECTORY says (as
/// Vector's /var/lib/vector).
inline constexpr const char* kDefaultDataDir = "/var/lib/genesys-stream";

}  // namespace gstream::config

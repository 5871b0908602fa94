#include "config/config_loader.hpp"

#include <memory>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "genesys/region.hpp"

namespace gstream::config {
namespace {

const ConfigSchema& schema() {
    static const ConfigSchema kSchema = ConfigSchema::load_file(default_schema_path());
    return kSchema;
}

const EnvLookup kNoEnv = env_from_map({});

Config load(const std::string& yaml, const EnvLookup& env = kNoEnv) {
    return load_config_string(yaml, "t.yaml", schema(), env);
}

// The first diagnostic of a YAML text that must not load.
std::string error_of(const std::string& yaml, const EnvLookup& env = kNoEnv) {
    try {
        load(yaml, env);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<loaded>";
}

// Credentials and a sink: the smallest valid file; tests append to it.
const std::string kBase =
    "genesys:\n"
    "  client_id: id\n"
    "  client_secret: s3cret\n"
    "sinks:\n"
    "  - type: file\n"
    "    path: out/a.jsonl\n";

TEST(ConfigLoaderTest, MinimalFileGetsEveryDefault) {
    const Config c = load(kBase);
    Config expected;
    expected.genesys.client_id = "id";
    expected.genesys.client_secret = "s3cret";
    expected.sinks.push_back(SinkConfig{"file", "file", "out/a.jsonl", "interval", 1000});
    // The write-ahead log is on, in the default data directory, beside the dead-letter queue.
    expected.data_dir = "/var/lib/genesys-stream";
    expected.dead_letter.path = "/var/lib/genesys-stream/dead-letter.sqlite3";
    expected.wal.dir = "/var/lib/genesys-stream/wal";
    // The schema's defaults and the structs' initialisers agree, key by key.
    EXPECT_EQ(to_log_string(c), to_log_string(expected));

    EXPECT_EQ(c.genesys.region, "us-east-1");
    EXPECT_FALSE(c.genesys.base_url.has_value());
    EXPECT_EQ(c.genesys.token_refresh_margin_ms, 300000);
    EXPECT_EQ(c.source.protocol, "envelope");
    EXPECT_FALSE(c.source.url.has_value());
    EXPECT_TRUE(c.source.queues.empty());
    EXPECT_TRUE(c.source.states.empty());
    EXPECT_EQ(c.source.max_message_bytes, 4194304);
    EXPECT_EQ(c.source.connect_timeout_ms, 10000);
    EXPECT_EQ(c.source.ping_interval_ms, 15000);
    EXPECT_EQ(c.source.idle_timeout_ms, 45000);
    EXPECT_EQ(c.source.reconnect_initial_ms, 250);
    EXPECT_EQ(c.source.reconnect_max_ms, 30000);
    EXPECT_EQ(c.source.subscribe_max_attempts, 6);
    EXPECT_TRUE(c.source.tls.verify);
    EXPECT_FALSE(c.source.tls.ca_file.has_value());
    EXPECT_EQ(c.source.queue_capacity, 128);
    EXPECT_EQ(c.pipeline.batch.max_events, 100);
    EXPECT_EQ(c.pipeline.batch.max_bytes, 1048576);
    EXPECT_EQ(c.pipeline.batch.max_age_ms, 10000);
    EXPECT_EQ(c.pipeline.allowed_lateness_ms, 2000);
    EXPECT_EQ(c.pipeline.dedup.window_events, 100000);
    EXPECT_EQ(c.pipeline.dedup.window_ms, 600000);
    EXPECT_TRUE(c.pipeline.filters.empty());
    EXPECT_FALSE(c.pipeline.schemas_dir.has_value());
    ASSERT_EQ(c.sinks.size(), 1u);
    EXPECT_EQ(c.sinks[0].type, "file");
    EXPECT_EQ(c.sinks[0].name, "file");  // one sink: named after its type
    EXPECT_EQ(c.sinks[0].path, "out/a.jsonl");
    EXPECT_EQ(c.sinks[0].fsync, "interval");
    EXPECT_EQ(c.sinks[0].fsync_interval_ms, 1000);
    EXPECT_EQ(c.dead_letter.path, "/var/lib/genesys-stream/dead-letter.sqlite3");
    EXPECT_TRUE(c.wal.enabled);
    EXPECT_EQ(c.wal.dir, "/var/lib/genesys-stream/wal");
    EXPECT_FALSE(c.metrics.listen.has_value());
    EXPECT_EQ(c.logging.level, "info");
    EXPECT_EQ(c.logging.format, "text");
    EXPECT_EQ(c.shutdown_timeout_ms, 10000);
}

TEST(ConfigLoaderTest, EveryKeySet) {
    const Config c = load(
        "genesys:\n"
        "  region: eu-central-1\n"
        "  base_url: https://gc.example.org:8443\n"
        "  client_id: id\n"
        "  client_secret: s\n"
        "  token_refresh_margin_ms: 60000\n"
        "source:\n"
        "  protocol: notifications\n"
        "  url: wss://stream.example.org/x?token=abc\n"
        "  queues: [q1, q2]\n"
        "  states:\n"
        "    - queued\n"
        "    - ended\n"
        "  max_message_bytes: 2048\n"
        "  connect_timeout_ms: 1000\n"
        "  ping_interval_ms: 2000\n"
        "  idle_timeout_ms: 6000\n"
        "  reconnect_initial_ms: 10\n"
        "  reconnect_max_ms: 20\n"
        "  subscribe_max_attempts: 3\n"
        "  tls: {verify: false, ca_file: /etc/ca.pem}\n"
        "  queue_capacity: 16\n"
        "pipeline:\n"
        "  batch: {max_events: 5, max_bytes: 4096, max_age_ms: 50}\n"
        "  allowed_lateness_ms: 0\n"
        "  late_policy: dead_letter\n"
        "  dedup: {window_events: 7, window_ms: 8}\n"
        "  filters:\n"
        "    - {pointer: /data/mediaType, in: [voice]}\n"
        "    - pointer: /data/direction\n"
        "      not_in: [outbound, x]\n"
        "  schemas_dir: /opt/schemas\n"
        "sinks:\n"
        "  - {type: file, name: a, path: a.jsonl, fsync: always}\n"
        "  - {type: file, name: b.2, path: b.jsonl, fsync: never, fsync_interval_ms: 5}\n"
        "dead_letter: {path: dlq.sqlite3}\n"
        "metrics: {listen: '[::1]:9464'}\n"
        "logging: {level: debug, format: json}\n"
        "shutdown_timeout_ms: 500\n");
    EXPECT_EQ(c.genesys.region, "eu-central-1");
    EXPECT_EQ(c.genesys.base_url, "https://gc.example.org:8443");
    EXPECT_EQ(c.genesys.token_refresh_margin_ms, 60000);
    EXPECT_EQ(c.source.protocol, "notifications");
    EXPECT_EQ(c.source.url, "wss://stream.example.org/x?token=abc");
    EXPECT_EQ(c.source.queues, (std::vector<std::string>{"q1", "q2"}));
    EXPECT_EQ(c.source.states, (std::vector<std::string>{"queued", "ended"}));
    EXPECT_EQ(c.source.max_message_bytes, 2048);
    EXPECT_EQ(c.source.connect_timeout_ms, 1000);
    EXPECT_EQ(c.source.ping_interval_ms, 2000);
    EXPECT_EQ(c.source.idle_timeout_ms, 6000);
    EXPECT_EQ(c.source.reconnect_initial_ms, 10);
    EXPECT_EQ(c.source.reconnect_max_ms, 20);
    EXPECT_EQ(c.source.subscribe_max_attempts, 3);
    EXPECT_FALSE(c.source.tls.verify);
    EXPECT_EQ(c.source.tls.ca_file, "/etc/ca.pem");
    EXPECT_EQ(c.source.queue_capacity, 16);
    EXPECT_EQ(c.pipeline.batch.max_events, 5);
    EXPECT_EQ(c.pipeline.batch.max_bytes, 4096);
    EXPECT_EQ(c.pipeline.batch.max_age_ms, 50);
    EXPECT_EQ(c.pipeline.allowed_lateness_ms, 0);
    EXPECT_EQ(c.pipeline.late_policy, "dead_letter");
    EXPECT_EQ(c.pipeline.dedup.window_events, 7);
    EXPECT_EQ(c.pipeline.dedup.window_ms, 8);
    ASSERT_EQ(c.pipeline.filters.size(), 2u);
    EXPECT_EQ(c.pipeline.filters[0], (FieldFilter{"/data/mediaType", {"voice"}, false}));
    EXPECT_EQ(c.pipeline.filters[1], (FieldFilter{"/data/direction", {"outbound", "x"}, true}));
    EXPECT_EQ(c.pipeline.schemas_dir, "/opt/schemas");
    ASSERT_EQ(c.sinks.size(), 2u);
    EXPECT_EQ(c.sinks[0].fsync, "always");
    EXPECT_EQ(c.sinks[0].fsync_interval_ms, 1000);
    EXPECT_EQ(c.sinks[0].name, "a");
    EXPECT_EQ(c.sinks[1].name, "b.2");
    EXPECT_EQ(c.sinks[1].path, "b.jsonl");
    EXPECT_EQ(c.sinks[1].fsync, "never");
    EXPECT_EQ(c.sinks[1].fsync_interval_ms, 5);
    EXPECT_EQ(c.dead_letter.path, "dlq.sqlite3");
    EXPECT_EQ(c.metrics.listen, "[::1]:9464");
    EXPECT_EQ(c.logging.level, "debug");
    EXPECT_EQ(c.logging.format, "json");
    EXPECT_EQ(c.shutdown_timeout_ms, 500);
}

// data_dir: the key, else systemd's $STATE_DIRECTORY (its first path), else the default; the
// log and the dead-letter database go there unless their own keys say otherwise.
TEST(ConfigLoaderTest, DataDirHoldsTheLogAndTheDeadLetterQueue) {
    const Config from_key = load(kBase + "data_dir: /srv/gs\n");
    EXPECT_EQ(from_key.data_dir, "/srv/gs");
    EXPECT_EQ(from_key.wal.dir, "/srv/gs/wal");
    EXPECT_EQ(from_key.dead_letter.path, "/srv/gs/dead-letter.sqlite3");
    const Config from_systemd =
        load(kBase, env_from_map({{"STATE_DIRECTORY", "/var/lib/gs-a:/var/lib/gs-b"}}));
    EXPECT_EQ(from_systemd.data_dir, "/var/lib/gs-a");
    EXPECT_EQ(from_systemd.wal.dir, "/var/lib/gs-a/wal");
    const Config overridden = load(kBase + "data_dir: /srv/gs\nwal: {dir: /old/wal}\n"
                                           "dead_letter: {path: /q/dlq.sqlite3}\n");
    EXPECT_EQ(overridden.wal.dir, "/old/wal");
    EXPECT_EQ(overridden.dead_letter.path, "/q/dlq.sqlite3");
    const Config off = load(kBase + "wal: {enabled: false}\n");
    EXPECT_FALSE(off.wal.enabled);
    EXPECT_FALSE(off.wal.dir.has_value());
    EXPECT_EQ(error_of(kBase + "wal: {enabled: false, dir: /x}\n"),
              "t.yaml:7:28: key 'wal.dir': set while wal.enabled is false; remove one of them "
              "(without the log a crash loses what the pipeline held)");
}

TEST(ConfigLoaderTest, UnknownTopLevelKey) {
    EXPECT_EQ(error_of(kBase + "loging:\n  level: info\n"),
              "t.yaml:7:1: key 'loging': unknown key (did you mean 'logging'?); allowed keys here: "
              "genesys, source, pipeline, data_dir, sinks, dead_letter, metrics, logging, wal, "
              "shutdown_timeout_ms");
}

TEST(ConfigLoaderTest, UnknownKeyNestedInASink) {
    EXPECT_EQ(error_of("genesys: {client_id: a, client_secret: b}\n"
                       "sinks:\n"
                       "  - type: file\n"
                       "    path: a.jsonl\n"
                       "    fsync_interval: 5\n"),
              "t.yaml:5:5: key 'sinks[0].fsync_interval': unknown key (did you mean "
              "'fsync_interval_ms'?); allowed keys here: type, name, path, fsync, "
              "fsync_interval_ms");
}

TEST(ConfigLoaderTest, UnknownKeyDeepInsideWithoutSuggestion) {
    EXPECT_EQ(error_of(kBase + "source:\n  tls:\n    insecure: true\n"),
              "t.yaml:9:5: key 'source.tls.insecure': unknown key; allowed keys here: verify, "
              "ca_file");
}

TEST(ConfigLoaderTest, WrongTypes) {
    EXPECT_EQ(error_of(kBase + "shutdown_timeout_ms: abc\n"),
              "t.yaml:7:22: key 'shutdown_timeout_ms': expected integer, got string 'abc'");
    EXPECT_EQ(error_of(kBase + "shutdown_timeout_ms: 1.5\n"),
              "t.yaml:7:22: key 'shutdown_timeout_ms': expected integer, got number 1.5");
    EXPECT_EQ(error_of(kBase + "shutdown_timeout_ms: \"1500\"\n"),
              "t.yaml:7:22: key 'shutdown_timeout_ms': expected integer, got string '1500' "
              "(remove the quotes)");
    EXPECT_EQ(error_of(kBase + "shutdown_timeout_ms: 99999999999999999999\n"),
              "t.yaml:7:22: key 'shutdown_timeout_ms': integer 99999999999999999999 is out of "
              "range");
    EXPECT_EQ(error_of(kBase + "source:\n  tls:\n    verify: yes\n"),
              "t.yaml:9:13: key 'source.tls.verify': expected boolean (true or false), got "
              "string 'yes'");
    EXPECT_EQ(error_of(kBase + "source:\n  queues: q1\n"),
              "t.yaml:8:11: key 'source.queues': expected array, got string 'q1'");
    EXPECT_EQ(error_of(kBase + "source:\n  queues: [q1, [x]]\n"),
              "t.yaml:8:16: key 'source.queues[1]': expected string, got an array");
    EXPECT_EQ(error_of(kBase + "logging: debug\n"),
              "t.yaml:7:10: key 'logging': expected object, got string 'debug'");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  batch:\n    max_events: true\n"),
              "t.yaml:9:17: key 'pipeline.batch.max_events': expected integer, got boolean true");
}

TEST(ConfigLoaderTest, EnumAndBounds) {
    EXPECT_EQ(error_of(kBase + "logging:\n  level: verbose\n"),
              "t.yaml:8:10: key 'logging.level': 'verbose' is not one of: trace, debug, info, "
              "warn, error");
    EXPECT_EQ(error_of(kBase + "source:\n  states: [queued, talking]\n"),
              "t.yaml:8:20: key 'source.states[1]': 'talking' is not one of: queued, alerting, "
              "contact, acw, ended");
    EXPECT_EQ(error_of(kBase + "source:\n  ping_interval_ms: 5\n"),
              "t.yaml:8:21: key 'source.ping_interval_ms': 5 is below the minimum 100");
    EXPECT_EQ(error_of(kBase + "source:\n  subscribe_max_attempts: 101\n"),
              "t.yaml:8:27: key 'source.subscribe_max_attempts': 101 is above the maximum 100");
    EXPECT_EQ(error_of(kBase + "source:\n  queue_capacity: -1\n"),
              "t.yaml:8:19: key 'source.queue_capacity': -1 is below the minimum 1");
    EXPECT_EQ(error_of(kBase + "dead_letter:\n  path: ''\n"),
              "t.yaml:8:9: key 'dead_letter.path': must not be empty");
}

TEST(ConfigLoaderTest, SinksMissingEmptyOrWrong) {
    EXPECT_EQ(error_of("genesys: {client_id: a, client_secret: b}\n"),
              "t.yaml:1:1: key 'sinks': required key is missing (Where delivered batches go; at "
              "least one. Each sink has a type.)");
    EXPECT_EQ(error_of("genesys: {client_id: a, client_secret: b}\nsinks: []\n"),
              "t.yaml:2:8: key 'sinks': expected at least 1 item, got 0 (Where delivered batches "
              "go; at least one. Each sink has a type.)");
    EXPECT_EQ(error_of("genesys: {client_id: a, client_secret: b}\nsinks:\n"),
              "t.yaml:1:1: key 'sinks': required key has no value (Where delivered batches go; at "
              "least one. Each sink has a type.)");
    EXPECT_EQ(error_of("sinks:\n  - type: file\n    fsync: never\n"),
              "t.yaml:2:5: key 'sinks[0].path': required key is missing (Output file (JSON "
              "lines); parent directories are created.)");
    // The list names every registered type (sink_registry.cpp and the schema's sinks branches).
    const std::string types = "file, stdout, kafka, nats, http";
    EXPECT_EQ(error_of("sinks:\n  - type: carrier-pigeon\n    path: x\n"),
              "t.yaml:2:11: key 'sinks[0].type': 'carrier-pigeon' is not one of: " + types);
    EXPECT_EQ(error_of("sinks:\n  - path: x\n"),
              "t.yaml:2:5: key 'sinks[0].type': required key is missing; one of: " + types);
    EXPECT_EQ(error_of("sinks:\n  - file\n"),
              "t.yaml:2:5: key 'sinks[0]': expected object, got string 'file'");
}

TEST(ConfigLoaderTest, Regions) {
    EXPECT_EQ(load("genesys: {region: mypurecloud.ie, client_id: a, client_secret: b}\n"
                   "sinks: [{type: file, path: x}]\n")
                  .genesys.region,
              "mypurecloud.ie");
    const Config c = load(
        "genesys: {region: ap-northeast-3, client_id: a, client_secret: b}\n"
        "sinks: [{type: file, path: x}]\n");
    ASSERT_TRUE(genesys::find_region(c.genesys.region).has_value());
    EXPECT_EQ(genesys::find_region(c.genesys.region)->domain, "apne3.pure.cloud");
    EXPECT_EQ(error_of("genesys:\n  region: af-south-1\n  client_id: a\n  client_secret: b\n"
                       "sinks: [{type: file, path: x}]\n"),
              "t.yaml:2:11: key 'genesys.region': unknown region 'af-south-1'; use one of: " +
                  genesys::region_names() + " (or the region's domain, e.g. mypurecloud.com)");
}

TEST(ConfigLoaderTest, CredentialsRequiredWithoutSourceUrl) {
    EXPECT_EQ(error_of("sinks: [{type: file, path: x}]\n"),
              "t.yaml:1:1: key 'genesys.client_id': required when source.url is not set (set "
              "genesys.client_id and genesys.client_secret, or source.url to read a WebSocket "
              "directly)");
    try {
        load("sinks: [{type: file, path: x}]\ngenesys:\n  client_id: a\n");
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.diagnostics().size(), 1u);
        EXPECT_EQ(e.diagnostics()[0].key, "genesys.client_secret");
        EXPECT_EQ(e.diagnostics()[0].line, 3);
        EXPECT_EQ(e.diagnostics()[0].column, 3);
    }
    EXPECT_EQ(error_of("genesys:\n  client_id: ''\n  client_secret: b\n"
                       "sinks: [{type: file, path: x}]\n"),
              "t.yaml:2:14: key 'genesys.client_id': required when source.url is not set (set "
              "genesys.client_id and genesys.client_secret, or source.url to read a WebSocket "
              "directly)");
    const Config c = load("source: {url: 'ws://127.0.0.1:1/x'}\nsinks: [{type: file, path: x}]\n");
    EXPECT_EQ(c.source.url, "ws://127.0.0.1:1/x");
    EXPECT_TRUE(c.genesys.client_id.empty());
}

TEST(ConfigLoaderTest, UrlFormats) {
    const std::string sinks = "sinks: [{type: file, path: x}]\n";
    EXPECT_EQ(
        load("genesys: {base_url: 'http://127.0.0.1:18080', client_id: a, client_secret: b}\n" +
             sinks)
            .genesys.base_url,
        "http://127.0.0.1:18080");
    EXPECT_EQ(load("genesys: {base_url: 'https://api.example.org/', client_id: a, "
                   "client_secret: b}\n" +
                   sinks)
                  .genesys.base_url,
              "https://api.example.org/");
    for (const char* bad : {"http://host/path", "ftp://host", "host:80", "http://", "http://u:p@h",
                            "http://h?x=1", "http://h:"}) {
        EXPECT_EQ(error_of(std::string("genesys:\n  base_url: '") + bad +
                           "'\n  client_id: a\n  client_secret: b\n" + sinks),
                  std::string("t.yaml:2:13: key 'genesys.base_url': expected http://host[:port] or "
                              "https://host[:port] with no path, got '") +
                      bad + "'")
            << bad;
    }
    for (const char* bad : {"http://h/x", "wss://", "ws//h"}) {
        EXPECT_EQ(
            error_of(std::string("source:\n  url: '") + bad + "'\n" + sinks),
            std::string("t.yaml:2:8: key 'source.url': expected a ws:// or wss:// URL, got '") +
                bad + "'")
            << bad;
    }
    for (const char* bad :
         {"9464", ":9464", "host:", "host:65536", "host:-1", "::1:80", "[::1:80"}) {
        EXPECT_EQ(error_of(kBase + "metrics:\n  listen: '" + bad + "'\n"),
                  std::string("t.yaml:8:11: key 'metrics.listen': expected HOST:PORT (e.g. "
                              "127.0.0.1:9464, port 0 = any), got '") +
                      bad + "'")
            << bad;
    }
    EXPECT_EQ(load(kBase + "metrics: {listen: '127.0.0.1:0'}\n").metrics.listen, "127.0.0.1:0");
    EXPECT_EQ(load(kBase + "metrics: {listen: 'localhost:65535'}\n").metrics.listen,
              "localhost:65535");
}

TEST(ConfigLoaderTest, Filters) {
    EXPECT_EQ(
        error_of(kBase + "pipeline:\n  filters:\n    - pointer: data/queueId\n      in: [a]\n"),
        "t.yaml:9:16: key 'pipeline.filters[0].pointer': expected an RFC 6901 JSON pointer "
        "starting with '/' (e.g. /data/queueId), got 'data/queueId'");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  filters:\n    - pointer: /a~2b\n      in: [a]\n"),
              "t.yaml:9:16: key 'pipeline.filters[0].pointer': bad JSON pointer '/a~2b': '~' must "
              "be followed by 0 or 1 (write ~0 for '~', ~1 for '/')");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  filters:\n    - pointer: /a\n      in: [a]\n"
                               "      not_in: [b]\n"),
              "t.yaml:9:7: key 'pipeline.filters[0]': set only one of the keys 'in', 'not_in'");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  filters:\n    - pointer: /a\n"),
              "t.yaml:9:7: key 'pipeline.filters[0]': set exactly one of the keys 'in', 'not_in'");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  filters:\n    - in: [a]\n"),
              "t.yaml:9:7: key 'pipeline.filters[0].pointer': required key is missing (RFC 6901 "
              "JSON pointer into the event, starting with '/', e.g. /data/mediaType.)");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  filters:\n    - {pointer: /a, in: []}\n"),
              "t.yaml:9:25: key 'pipeline.filters[0].in': expected at least 1 item, got 0 (Keep "
              "only events whose value at pointer is one of these strings.)");
    const Config c =
        load(kBase + "pipeline:\n  filters:\n    - {pointer: '/a~1b/~0c', not_in: [x]}\n");
    ASSERT_EQ(c.pipeline.filters.size(), 1u);
    EXPECT_EQ(c.pipeline.filters[0], (FieldFilter{"/a~1b/~0c", {"x"}, true}));
}

TEST(ConfigLoaderTest, CrossFieldRules) {
    EXPECT_EQ(error_of(kBase + "source:\n  reconnect_initial_ms: 500\n  reconnect_max_ms: 100\n"),
              "t.yaml:9:21: key 'source.reconnect_max_ms': 100 is below "
              "source.reconnect_initial_ms (500); raise it or lower the other");
    EXPECT_EQ(error_of(kBase + "source:\n  ping_interval_ms: 45000\n"),
              // A default takes the position of its parent object.
              "t.yaml:8:3: key 'source.idle_timeout_ms': 45000 must be greater than "
              "source.ping_interval_ms (45000) so a pong can arrive before the deadline");
    EXPECT_EQ(error_of("genesys: {client_id: a, client_secret: b}\nsinks:\n"
                       "  - {type: file, name: a, path: out/a.jsonl}\n"
                       "  - {type: file, name: b, path: out/a.jsonl}\n"),
              "t.yaml:4:33: key 'sinks[1].path': same file as sinks[0].path; give each sink its "
              "own path");
    // The first of two sinks without a name (the second one is reported too).
    EXPECT_EQ(error_of(kBase + "  - {type: file, path: out/b.jsonl}\n"),
              "t.yaml:5:5: key 'sinks[0].name': required when there are two or more sinks: it "
              "keys the sink's position in the write-ahead log and its metrics");
}

TEST(ConfigLoaderTest, SinkNamesAreUniqueAndRequiredWithSeveralSinks) {
    const std::string two = "genesys: {client_id: a, client_secret: b}\nsinks:\n"
                            "  - {type: file, name: kafka-mirror, path: a}\n"
                            "  - {type: file, name: kafka-mirror, path: b}\n";
    EXPECT_EQ(error_of(two), "t.yaml:4:24: key 'sinks[1].name': 'kafka-mirror' is the name of "
                             "sinks[0] too; give each sink its own name");
    EXPECT_EQ(error_of("sinks:\n  - {type: file, name: 'has space', path: a}\n"),
              "t.yaml:2:24: key 'sinks[0].name': expected a name of letters, digits, '_', '-' "
              "and '.' (at most 64, starting with a letter or digit), got 'has space'");
    EXPECT_EQ(error_of("sinks:\n  - {type: file, name: -x, path: a}\n").substr(0, 36),
              "t.yaml:2:24: key 'sinks[0].name': ex");
    EXPECT_EQ(load("genesys: {client_id: a, client_secret: b}\n"
                   "sinks:\n  - {type: file, name: Main_1.x, path: a}\n")
                  .sinks[0]
                  .name,
              "Main_1.x");
}

TEST(ConfigLoaderTest, EnvironmentSubstitution) {
    const EnvLookup env = env_from_map({{"SHUTDOWN", "2500"}, {"SECRET", "from-env"}});
    const Config c = load(
        "genesys:\n"
        "  client_id: ${ID:-default-id}\n"
        "  client_secret: ${SECRET}\n"
        "source:\n"
        "  connect_timeout_ms: ${CONNECT_MS:-9464}\n"
        "  tls:\n"
        "    verify: ${VERIFY:-false}\n"
        "sinks:\n"
        "  - type: file\n"
        "    path: out/$$HOME/${NAME:-x}.jsonl\n"
        "shutdown_timeout_ms: ${SHUTDOWN}\n",
        env);
    EXPECT_EQ(c.genesys.client_id, "default-id");
    EXPECT_EQ(c.genesys.client_secret, "from-env");
    EXPECT_EQ(c.source.connect_timeout_ms, 9464);
    EXPECT_FALSE(c.source.tls.verify);
    EXPECT_EQ(c.sinks[0].path, "out/$HOME/x.jsonl");
    EXPECT_EQ(c.shutdown_timeout_ms, 2500);
}

TEST(ConfigLoaderTest, UnsetVariableNamesTheVariableAndTheLine) {
    EXPECT_EQ(error_of("genesys:\n  client_id: a\n  client_secret: ${GENESYS_SECRET}\n"
                       "sinks: [{type: file, path: x}]\n"),
              "t.yaml:3:18: key 'genesys.client_secret': environment variable 'GENESYS_SECRET' is "
              "not set (set it, or give a default: ${GENESYS_SECRET:-default})");
    EXPECT_EQ(error_of(kBase + "source:\n  queues: [a, '${Q2}']\n"),
              "t.yaml:8:15: key 'source.queues[1]': environment variable 'Q2' is not set (set it, "
              "or give a default: ${Q2:-default})");
}

TEST(ConfigLoaderTest, SubstitutedValueIsTypeChecked) {
    EXPECT_EQ(
        error_of(kBase + "shutdown_timeout_ms: ${SHUTDOWN}\n", env_from_map({{"SHUTDOWN", "10s"}})),
        "t.yaml:7:22: key 'shutdown_timeout_ms': expected integer, got string '10s'");
    EXPECT_EQ(error_of(kBase + "shutdown_timeout_ms: ${SHUTDOWN:-50}\n"),
              "t.yaml:7:22: key 'shutdown_timeout_ms': 50 is below the minimum 100");
}

TEST(ConfigLoaderTest, EmptyValueMeansNotSet) {
    const Config c = load(kBase +
                          "metrics:\n  listen: ${METRICS_LISTEN:-}\n"
                          "logging:\n  level:\n  format: ~\n"
                          "shutdown_timeout_ms: null\n");
    EXPECT_FALSE(c.metrics.listen.has_value());
    EXPECT_EQ(c.logging.level, "info");
    EXPECT_EQ(c.logging.format, "text");
    EXPECT_EQ(c.shutdown_timeout_ms, 10000);
    // Quoted, it is a value: the empty string.
    EXPECT_EQ(error_of(kBase + "metrics:\n  listen: \"${METRICS_LISTEN:-}\"\n"),
              "t.yaml:8:11: key 'metrics.listen': expected HOST:PORT (e.g. 127.0.0.1:9464, port 0 "
              "= any), got ''");
}

TEST(ConfigLoaderTest, DuplicateKey) {
    EXPECT_EQ(error_of(kBase + "logging:\n  level: info\n  level: debug\n"),
              "t.yaml:9:3: key 'logging.level': duplicate key (first given at line 8); remove one");
}

TEST(ConfigLoaderTest, SyntaxErrorAndEmptyFile) {
    EXPECT_EQ(error_of("sinks:\n  - type: file\n   path: x\n"),
              "t.yaml:3:4: YAML syntax error: end of sequence not found");
    EXPECT_EQ(error_of(""),
              "t.yaml:1:1: the configuration is empty; at least 'sinks' is required (see "
              "examples/minimal.yaml)");
    EXPECT_EQ(error_of("# only a comment\n"),
              "t.yaml:1:1: the configuration is empty; at least 'sinks' is required (see "
              "examples/minimal.yaml)");
    EXPECT_EQ(error_of("- a\n- b\n"), "t.yaml:1:1: expected object, got an array");
}

TEST(ConfigLoaderTest, AllProblemsAreReportedInFileOrder) {
    try {
        load("logging:\n  level: loud\nsource:\n  ping_interval_ms: x\nsinks: []\n");
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.diagnostics().size(), 3u);
        EXPECT_EQ(e.diagnostics()[0].to_string(),
                  "t.yaml:2:10: key 'logging.level': 'loud' is not one of: trace, debug, info, "
                  "warn, error");
        EXPECT_EQ(e.diagnostics()[1].key, "source.ping_interval_ms");
        EXPECT_EQ(e.diagnostics()[1].line, 4);
        EXPECT_EQ(e.diagnostics()[2].key, "sinks");
        EXPECT_EQ(e.diagnostics()[2].line, 5);
        EXPECT_STREQ(e.what(), e.diagnostics()[0].to_string().c_str());
    }
}

TEST(ConfigLoaderTest, LogStringHidesSecrets) {
    const Config c = load(
        "genesys: {client_id: id, client_secret: hunter2}\n"
        "source: {url: 'wss://h/stream?token=abc'}\n"
        "sinks: [{type: file, path: x}]\n");
    const std::string text = to_log_string(c);
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_EQ(text.find("abc"), std::string::npos) << text;
    EXPECT_NE(text.find("client_secret: \"***\""), std::string::npos) << text;
    EXPECT_NE(text.find("url: wss://h/stream?***"), std::string::npos) << text;
    EXPECT_NE(text.find("client_id: id"), std::string::npos) << text;
    // The log string is itself a valid configuration that loads back to the same values.
    const Config again = load_config_string(text, "log.yaml", schema(), kNoEnv);
    EXPECT_EQ(again.genesys.client_id, "id");
    EXPECT_EQ(again.sinks[0].path, "x");
}

TEST(ConfigLoaderTest, ASinksOwnKeysReachItsTypeAsTypedSettingsWithTheirLine) {
    const Config c = load(
        "source: {url: 'ws://h/stream'}\n"
        "sinks:\n"
        "  - type: file\n"
        "    name: archive\n"
        "    path: out.jsonl\n");
    ASSERT_EQ(c.sinks.size(), 1u);
    const SinkConfig& s = c.sinks[0];
    ASSERT_NE(s.settings, nullptr);
    EXPECT_EQ(s.line, 3);
    // Everything but type and name, with the schema's defaults applied.
    EXPECT_EQ(s.settings->size(), 3u);
    EXPECT_EQ(s.settings->at("path").as_string(), "out.jsonl");
    EXPECT_EQ(s.settings->at("fsync").as_string(), "interval");
    EXPECT_EQ(s.settings->at("fsync_interval_ms").as_int64(), 1000);
    EXPECT_EQ(s.settings->if_contains("type"), nullptr);
}

TEST(ConfigLoaderTest, LogStringHidesTheCredentialsAmongASinksSettings) {
    Config c = load("source: {url: 'ws://h/stream'}\nsinks: [{type: file, path: x}]\n");
    auto settings = std::make_shared<boost::json::object>();
    (*settings)["servers"] = boost::json::array{"nats://h:4222"};
    (*settings)["token"] = "s3cr3t";
    (*settings)["headers"] = boost::json::object{{"Authorization", "Bearer abc"}, {"X-Team", "cc"}};
    (*settings)["librdkafka"] = boost::json::object{{"sasl.password", "pw"}, {"linger.ms", "5"}};
    c.sinks[0].settings = settings;
    const std::string text = to_log_string(c);
    for (const char* secret : {"s3cr3t", "Bearer", "pw\n"}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
    }
    EXPECT_NE(text.find("X-Team: cc"), std::string::npos) << text;
    EXPECT_NE(text.find("linger.ms: 5"), std::string::npos) << text;
    EXPECT_NE(text.find("nats://h:4222"), std::string::npos) << text;
}

TEST(ConfigLoaderTest, FileErrors) {
    EXPECT_THROW(load_config_file("/nonexistent/genesys-stream.yaml", default_schema_path()),
                 ConfigError);
    try {
        load_config_file("/nonexistent/genesys-stream.yaml", default_schema_path());
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "/nonexistent/genesys-stream.yaml: cannot read the configuration file (No "
                     "such file or directory)");
    }
    try {
        load_config_string(kBase, "t.yaml", std::string("/nonexistent/schema.json"));
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "/nonexistent/schema.json: cannot read the configuration schema (a "
                     "--schema-dir or $GSTREAM_SCHEMA_DIR replaces the built-in schemas)");
    }
}

}  // namespace
}  // namespace gstream::config

// The `type: nats` sink's configuration: the schema branch (errors with line and key), the
// settings as the sink reads them, the offline checks (no network), secrets never printed.
#include "sink/nats/nats_config.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "sink/sink_registry.hpp"

namespace gstream::sink::nats {
namespace {

const config::ConfigSchema& schema() {
    static const config::ConfigSchema kSchema =
        config::ConfigSchema::load_file(config::default_schema_path());
    return kSchema;
}

const std::string kHead = "source: {url: 'ws://127.0.0.1:1/'}\nsinks:\n  - type: nats\n";

config::Config load(const std::string& sink_lines) {
    return config::load_config_string(kHead + sink_lines, "t.yaml", schema(),
                                      config::env_from_map({}));
}

std::string error_of(const std::string& sink_lines) {
    try {
        load(sink_lines);
    } catch (const config::ConfigError& e) {
        return e.what();
    }
    return "<loaded>";
}

TEST(NatsConfig, DefaultsAndEveryKeyReachTheSink) {
    const config::Config c = load(
        "    name: js\n"
        "    servers: [nats://a:4222, tls://b:4443]\n"
        "    stream: GENESYS\n"
        "    user: gs\n"
        "    password: pw\n"
        "    tls: {ca_file: /etc/ssl/certs/ca-certificates.crt, server_name: nats.internal}\n"
        "    create_stream: {subjects: ['genesys.>'], storage: memory}\n"
        "    format: cloudevents-binary\n");
    const NatsSinkConfig n = read_nats_config(c.sinks.at(0));
    EXPECT_EQ(n.name, "js");
    EXPECT_EQ(n.line, 3);
    EXPECT_EQ(n.servers, (std::vector<std::string>{"nats://a:4222", "tls://b:4443"}));
    EXPECT_EQ(n.subject, "genesys.{eventType}.{queueId}");
    EXPECT_EQ(n.stream, "GENESYS");
    EXPECT_EQ(n.user, "gs");
    EXPECT_EQ(n.password, "pw");
    ASSERT_TRUE(n.tls.has_value());
    EXPECT_EQ(n.tls->server_name, "nats.internal");
    ASSERT_TRUE(n.create_stream.has_value());
    EXPECT_EQ(n.create_stream->subjects, (std::vector<std::string>{"genesys.>"}));
    EXPECT_TRUE(n.create_stream->memory_storage);
    EXPECT_EQ(n.create_stream->duplicate_window_ms, 120'000);
    EXPECT_EQ(n.create_stream->replicas, 1);
    EXPECT_EQ(n.format, format::Format::kCloudEventsBinary);
    EXPECT_EQ(n.max_in_flight, 256);
    EXPECT_EQ(n.ack_timeout_ms, 5'000);
    EXPECT_EQ(n.connect_timeout_ms, 2'000);
    EXPECT_TRUE(n.secure());
    EXPECT_EQ(check_nats_config(n), "");
}

TEST(NatsConfig, SchemaErrorsNameTheLineAndTheKey) {
    EXPECT_EQ(error_of("    stream: S\n"),
              "t.yaml:3:5: key 'sinks[0].servers': required key is missing (NATS server URLs "
              "(nats://host:port, or tls://host:port for TLS); the sink connects to one of them "
              "and, after losing it, to any of them.)");
    EXPECT_EQ(error_of("    servers: [nats://a:4222]\n    stream: S\n    subjet: x\n"),
              "t.yaml:6:5: key 'sinks[0].subjet': unknown key (did you mean 'subject'?); allowed "
              "keys here: type, name, servers, subject, stream, create_stream, creds_file, nkey, "
              "nkey_seed_file, token, user, password, tls, format, max_in_flight, ack_timeout_ms, "
              "connect_timeout_ms");
    EXPECT_EQ(error_of("    servers: [nats://a:4222]\n    stream: S\n    format: avro\n"),
              "t.yaml:6:13: key 'sinks[0].format': 'avro' is not one of: native, cloudevents, "
              "cloudevents-binary");
    EXPECT_EQ(error_of("    servers: [nats://a:4222]\n    stream: S\n    max_in_flight: 0\n"),
              "t.yaml:6:20: key 'sinks[0].max_in_flight': 0 is below the minimum 1");
    EXPECT_EQ(error_of("    servers: [nats://a:4222]\n    stream: S\n"
                       "    create_stream: {storage: file}\n"),
              "t.yaml:6:20: key 'sinks[0].create_stream.subjects': required key is missing (The "
              "subjects the stream takes (wildcards * and > allowed); they must cover subject.)");
}

TEST(NatsConfig, TheTokenAndThePasswordAreNeverPrinted) {
    const config::Config c = load(
        "    servers: [nats://a:4222]\n    stream: S\n    token: tok-SECRET-1\n");
    const std::string text = config::to_log_string(c);
    EXPECT_EQ(text.find("tok-SECRET-1"), std::string::npos) << text;
    EXPECT_NE(text.find("token: \"***\""), std::string::npos) << text;
    const config::Config p = load(
        "    servers: [nats://a:4222]\n    stream: S\n    user: u\n    password: pw-SECRET-2\n");
    EXPECT_EQ(config::to_log_string(p).find("pw-SECRET-2"), std::string::npos);
    // Nor in a schema error about the value.
    const std::string e = error_of("    servers: [nats://a:4222]\n    stream: S\n    token: [x]\n");
    EXPECT_NE(e.find("sinks[0].token"), std::string::npos) << e;
    EXPECT_EQ(e.find("[x]"), std::string::npos) << e;
}

std::string check(const std::string& sink_lines) {
    return check_sink(load(sink_lines).sinks.at(0));
}

// check_sink() runs offline: servers that cannot be reached do not matter (and it returns at
// once: no connection is tried).
TEST(NatsConfig, OfflineChecksNameTheKeyToChange) {
    const std::string base = "    servers: [nats://192.0.2.1:4222]\n    stream: GENESYS\n";
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(check(base), "");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
    EXPECT_EQ(check(base + "    subject: 'g.{queue}'\n"),
              "sink 'nats' (line 3): subject 'g.{queue}': unknown placeholder {queue} (known: "
              "{eventType}, {queueId}, {conversationId})");
    EXPECT_EQ(check("    servers: [http://a:80]\n    stream: S\n"),
              "sink 'nats' (line 3): servers: 'http://a:80' is not a NATS URL (nats://host:port or "
              "tls://host:port)");
    EXPECT_EQ(check("    servers: [nats://a:1]\n    stream: A.B\n"),
              "sink 'nats' (line 3): stream 'A.B': a stream name cannot be empty or hold "
              "whitespace, '.', '*', '>', '/' or '\\'");
    EXPECT_EQ(check(base + "    create_stream: {subjects: ['genesys.acd_end.*']}\n"),
              "sink 'nats' (line 3): create_stream.subjects: none covers the subject "
              "'genesys.{eventType}.{queueId}' (as 'genesys.*.*'); add 'genesys.*.*' or a "
              "wildcard above it");
    EXPECT_EQ(check(base + "    token: t\n    user: u\n"),
              "sink 'nats' (line 3): set only one of creds_file, nkey_seed_file, token, user");
    EXPECT_EQ(check(base + "    password: p\n"), "sink 'nats' (line 3): password needs user");
    EXPECT_EQ(check(base + "    nkey_seed_file: /nonexistent/seed\n"),
              "sink 'nats' (line 3): nkey and nkey_seed_file go together (the public key and its "
              "seed)");
    EXPECT_EQ(check(base + "    creds_file: /nonexistent/user.creds\n"),
              "sink 'nats' (line 3): creds_file: cannot read '/nonexistent/user.creds'");
    EXPECT_EQ(check(base + "    tls: {cert_file: /etc/hostname}\n"),
              "sink 'nats' (line 3): tls: cert_file and key_file go together (mutual TLS)");
}

// make_sink() runs the same checks before connecting.
TEST(NatsConfig, MakeSinkRefusesWhatTheChecksRefuse) {
    const config::Config c = load("    servers: [nats://127.0.0.1:1]\n    stream: S\n"
                                  "    password: p\n");
    try {
        make_sink(c.sinks.at(0));
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "sink 'nats' (line 3): password needs user");
    }
}

}  // namespace
}  // namespace gstream::sink::nats

// The Kafka sink end to end (docs/sinks/kafka.md, "Tests"): the real binary reading an emulator
// stream, producing into librdkafka's mock cluster in a process of its own
// (tests/tools/kafka_mock_cluster), read back afterwards with a plain consumer. Until the daemon
// runs one sink through the outbox cursor too, each run also has a file sink, so that the Kafka
// sink reads the outbox at its own cursor (at_outbox_record) as it will alone.
#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dlq/dead_letter_queue.hpp"
#include "sink/kafka/kafka_formatter.hpp"
#include "support/envelope_stream.hpp"
#include "support/integration.hpp"
#include "support/kafka_mock.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 4;
const std::string kTopic = "genesys";

std::string event_id(int e) {
    return fmt::format("e{:06}", e);
}

/// `events` events, `per_message` per data message, replay file text.
std::string make_replay(int events, int per_message, const std::vector<std::string>& extra = {}) {
    std::string replay;
    for (int e = 0; e < events;) {
        std::vector<std::string> batch;
        for (int k = 0; k < per_message && e < events; ++k, ++e) {
            batch.push_back(envelope_event(event_id(e), e));
        }
        replay += envelope_message(batch) + "\n";
    }
    for (const std::string& message : extra) {
        replay += message + "\n";
    }
    return replay;
}

struct KafkaOptions {
    std::string bootstrap;
    std::string librdkafka;  ///< YAML flow-map members, e.g. "message.max.bytes: 4000"
    bool exactly_once = true;
    int ack_timeout_ms = 2000;
    std::string log_level = "info";
};

std::string write_config(const TempDir& dir, const std::string& base_url, const KafkaOptions& o) {
    const std::string path = dir.file("config.yaml");
    write_file(path,
               fmt::format("genesys:\n  base_url: {}\n  client_id: demo\n  client_secret: demo\n"
                           "source:\n  protocol: envelope\n  reconnect_initial_ms: 50\n"
                           "pipeline:\n  batch: {{ max_events: 100, max_bytes: 1048576, "
                           "max_age_ms: 20 }}\n  allowed_lateness_ms: 200\n"
                           "sinks:\n"
                           "  - type: kafka\n    name: kafka\n    brokers: [{}]\n    topic: {}\n"
                           "    exactly_once: {}\n    ack_timeout_ms: {}\n"
                           "    librdkafka: {{ {} }}\n"
                           "  - {{ type: file, name: events, path: {}, fsync: never }}\n"
                           "dead_letter:\n  path: {}\ndata_dir: {}\n"
                           "wal:\n  dir: {}\n  checkpoint_interval_ms: 250\n"
                           "logging:\n  level: {}\n",
                           base_url, o.bootstrap, kTopic, o.exactly_once ? "true" : "false",
                           o.ack_timeout_ms, o.librdkafka, dir.file("events.jsonl"),
                           dir.file("dlq.sqlite3"), dir.path(), dir.file("wal"), o.log_level));
    return path;
}

/// Event id (from the value's "id") -> the records that carry it.
std::map<std::string, std::vector<KafkaRecord>> by_event_id(const std::vector<KafkaRecord>& rs) {
    std::map<std::string, std::vector<KafkaRecord>> out;
    for (const KafkaRecord& r : rs) {
        const auto start = r.value.find("\"id\":\"") + 6;
        out[r.value.substr(start, r.value.find('"', start) - start)].push_back(r);
    }
    return out;
}

/// Every event e000000.. e(events-1) once in the topic, with its key, the partition murmur2
/// picks for it, the sink's headers, and the file sink's line as its value.
void expect_each_event_once(const std::string& bootstrap, const TempDir& dir, int events) {
    const auto records = read_topic(bootstrap, kTopic);
    const auto ids = by_event_id(records);
    std::map<std::string, std::string> lines;
    for (const std::string& line : read_lines(dir.file("events.jsonl"))) {
        const auto start = line.find("\"id\":\"") + 6;
        lines[line.substr(start, line.find('"', start) - start)] = line;
    }
    EXPECT_EQ(records.size(), static_cast<std::size_t>(events));
    std::map<std::int32_t, std::optional<sink::kafka::Position>> last;
    for (int e = 0; e < events; ++e) {
        const std::string id = event_id(e);
        const auto it = ids.find(id);
        ASSERT_NE(it, ids.end()) << id << " missing";
        ASSERT_EQ(it->second.size(), 1U) << id << " repeated";
        const KafkaRecord& r = it->second.front();
        EXPECT_EQ(r.key, "c" + id);
        EXPECT_EQ(r.partition, sink::kafka::partition_for(r.key, kPartitions)) << id;
        EXPECT_EQ(r.header("gstream-sink"), "kafka");
        EXPECT_EQ(r.header("gstream-event-id"), id);
        EXPECT_EQ(r.header("content-type"), "application/json");
        EXPECT_TRUE(sink::kafka::parse_position(r.header("gstream-position")).has_value())
            << r.header("gstream-position");
        EXPECT_EQ(r.value, lines[id]) << id;
    }
    // Each partition holds its positions in order (the idempotent producer's promise).
    for (const KafkaRecord& r : records) {
        const auto p = sink::kafka::parse_position(r.header("gstream-position"));
        auto& before = last[r.partition];
        if (p && before) {
            EXPECT_LT(*before, *p) << "partition " << r.partition << " offset " << r.offset;
        }
        before = p;
    }
}

TEST(KafkaSinkIntegration, EveryEventOnceWithItsKeyPartitionAndHeaders) {
    TempDir dir;
    KafkaMockCluster kafka(3, kPartitions, {kTopic}, dir.file("mock.log"));
    constexpr int kEvents = 500;
    write_file(dir.file("replay.jsonl"), make_replay(kEvents, 10));
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate", "2000"},
        dir.file("emulator.log"));
    const std::string config =
        write_config(dir, emulator.origin(), {.bootstrap = kafka.bootstrap()});
    const RunResult run = run_consumer(config, dir.file("consumer.log"), 120s);
    ASSERT_EQ(run.exit_code, 0) << run.log;
    ASSERT_TRUE(run.summary.has_value()) << run.log;
    EXPECT_EQ((*run.summary)["delivered"], kEvents) << run.log;
    expect_each_event_once(kafka.bootstrap(), dir, kEvents);
    EXPECT_TRUE(dead_letters(dir.file("dlq.sqlite3")).empty());
}

// message.max.bytes below one event's size: librdkafka refuses that message; the event is
// dead-lettered with the reason too_large, and the others are delivered.
TEST(KafkaSinkIntegration, AnOversizeEventIsDeadLetteredAndTheRestDelivered) {
    TempDir dir;
    KafkaMockCluster kafka(1, kPartitions, {kTopic}, dir.file("mock.log"));
    constexpr int kEvents = 100;
    const std::string big_id = "big" + std::string(3000, 'x');
    const std::string big = envelope_message({envelope_event(big_id, 5000)});
    write_file(dir.file("replay.jsonl"), make_replay(kEvents, 10, {big}));
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate", "2000"},
        dir.file("emulator.log"));
    const std::string config =
        write_config(dir, emulator.origin(),
                     {.bootstrap = kafka.bootstrap(), .librdkafka = "message.max.bytes: 2000"});
    const RunResult run = run_consumer(config, dir.file("consumer.log"), 120s);
    ASSERT_EQ(run.exit_code, 0) << run.log;
    // The file sink took it: drop it from its lines before comparing values.
    auto lines = read_lines(dir.file("events.jsonl"));
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(kEvents + 1));
    const auto records = read_topic(kafka.bootstrap(), kTopic);
    EXPECT_EQ(records.size(), static_cast<std::size_t>(kEvents));
    const auto ids = by_event_id(records);
    for (int e = 0; e < kEvents; ++e) {
        EXPECT_EQ(ids.count(event_id(e)), 1U) << event_id(e);
    }
    EXPECT_EQ(ids.count(big_id), 0U);
    auto queue = dlq::DeadLetterQueue::open(dir.file("dlq.sqlite3"));
    dlq::ListFilter all;
    all.limit = 0;
    const auto dead = queue.list(all);
    ASSERT_EQ(dead.size(), 1U) << run.log;
    EXPECT_EQ(dead[0].reason, "sink_rejected");
    EXPECT_EQ(dead[0].stage, "sink");
    EXPECT_NE(dead[0].detail.find("sink kafka rejected the event: too_large: "), std::string::npos)
        << dead[0].detail;
    EXPECT_NE(dead[0].raw.find(big_id), std::string::npos);
}

/// Polls (10 ms) the file at `path` until it contains `text`; true when it does.
bool wait_for_text(const std::string& path, const std::string& text, ChildProcess& process) {
    const auto deadline = Clock::now() + 120s;
    while (Clock::now() < deadline) {
        if (read_file(path).find(text) != std::string::npos) {
            return true;
        }
        if (process.wait(0ms)) {
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

// Every broker down when the daemon starts: the sink answers retry (backpressure) until they
// are up again, then everything arrives, once.
TEST(KafkaSinkIntegration, BrokersDownAtStartThenUpLoseNothing) {
    TempDir dir;
    KafkaMockCluster kafka(3, kPartitions, {kTopic}, dir.file("mock.log"));
    ASSERT_EQ(kafka.command("down all"), "ok");
    constexpr int kEvents = 300;
    write_file(dir.file("replay.jsonl"), make_replay(kEvents, 10));
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate", "2000"},
        dir.file("emulator.log"));
    const std::string config = write_config(
        dir, emulator.origin(), {.bootstrap = kafka.bootstrap(), .ack_timeout_ms = 500});
    ChildProcess consumer({GSTREAM_BINARY, "run", "--config", config, "--once"}, {},
                          dir.file("consumer.log"));
    ASSERT_TRUE(
        wait_for_text(dir.file("consumer.log"), "sink write failed, retrying sink=kafka", consumer))
        << read_file(dir.file("consumer.log"));
    ASSERT_EQ(kafka.command("up all"), "ok");
    const auto code = consumer.wait(120s);
    ASSERT_EQ(code, 0) << read_file(dir.file("consumer.log"));
    expect_each_event_once(kafka.bootstrap(), dir, kEvents);
}

// A SASL mechanism librdkafka does not know: start-up fails with one line naming the sink and
// the cause, and the password (from the environment) is in no log line.
TEST(KafkaSinkIntegration, BadSaslConfigurationIsOneClearLine) {
    TempDir dir;
    const std::string config =
        write_config(dir, "http://127.0.0.1:9",
                     {.bootstrap = "127.0.0.1:9",
                      .librdkafka = "security.protocol: SASL_PLAINTEXT, sasl.mechanism: NOPE, "
                                    "sasl.username: u, sasl.password: '${KAFKA_PASSWORD}'"});
    ChildProcess consumer({GSTREAM_BINARY, "run", "--config", config, "--once"},
                          {{"KAFKA_PASSWORD", "hunter2"}}, dir.file("consumer.log"));
    const auto code = consumer.wait(60s);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0);
    const std::string log = read_file(dir.file("consumer.log"));
    EXPECT_EQ(log.find("hunter2"), std::string::npos) << log;
    int lines = 0;
    for (const std::string& line : read_lines(dir.file("consumer.log"))) {
        if (line.find("Unsupported SASL mechanism: NOPE") != std::string::npos) {
            ++lines;
            EXPECT_NE(line.find("sink 'kafka'"), std::string::npos) << line;
        }
    }
    EXPECT_EQ(lines, 1) << log;
}

// SASL PLAIN against the mock (which has no SASL), every librdkafka debug context on: the
// password is in no log line, librdkafka's own included.
TEST(KafkaSinkIntegration, TheSaslPasswordNeverReachesALogLine) {
    TempDir dir;
    KafkaMockCluster kafka(1, kPartitions, {kTopic}, dir.file("mock.log"));
    write_file(dir.file("replay.jsonl"), make_replay(10, 10));
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate", "2000"},
        dir.file("emulator.log"));
    const std::string config = write_config(
        dir, emulator.origin(),
        {.bootstrap = kafka.bootstrap(),
         .librdkafka = "security.protocol: SASL_PLAINTEXT, sasl.mechanism: PLAIN, "
                       "sasl.username: u, sasl.password: '${KAFKA_PASSWORD}', debug: all",
         .log_level = "debug"});
    ChildProcess consumer({GSTREAM_BINARY, "run", "--config", config, "--once"},
                          {{"KAFKA_PASSWORD", "hunter2"}}, dir.file("consumer.log"));
    ASSERT_TRUE(
        wait_for_text(dir.file("consumer.log"), "sink write failed, retrying sink=kafka", consumer))
        << read_file(dir.file("consumer.log"));
    consumer.signal(SIGKILL);
    consumer.wait(30s);
    const std::string log = read_file(dir.file("consumer.log"));
    EXPECT_NE(log.find("librdkafka sink=kafka"), std::string::npos) << log.substr(0, 2000);
    EXPECT_EQ(log.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace gstream::testing

// kill -9 runs of the daemon producing to Kafka (docs/sinks/kafka.md, "The exactly-once
// argument"): librdkafka's mock cluster lives in a helper process (tests/tools/
// kafka_mock_cluster) that outlives each killed daemon; the topic is read back at the end with a
// plain consumer. Until the daemon runs one sink through the outbox cursor too, the daemon also
// has a file sink, so the Kafka sink reads the outbox at its own cursor (at_outbox_record).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/envelope_stream.hpp"
#include "support/integration.hpp"
#include "support/kafka_mock.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kStepDeadline = 240s;
constexpr int kPartitions = 4;
const std::string kTopic = "genesys";

std::string write_config(const TempDir& dir,
                         const std::string& base_url,
                         const std::string& bootstrap,
                         bool exactly_once,
                         bool file_sink) {
    const std::string path = dir.file("config.yaml");
    write_file(path,
               fmt::format("genesys:\n  base_url: {}\n  client_id: demo\n  client_secret: demo\n"
                           "source:\n  protocol: envelope\n  reconnect_initial_ms: 50\n"
                           "  queue_capacity: 16\n"
                           "pipeline:\n  batch: {{ max_events: 500, max_bytes: 1048576, "
                           "max_age_ms: 20 }}\n  allowed_lateness_ms: 200\n"
                           "  dedup: {{ window_events: 50000 }}\n"
                           "sinks:\n"
                           "  - type: kafka\n    name: kafka\n    brokers: [{}]\n    topic: {}\n"
                           "    exactly_once: {}\n"
                           "{}"
                           "dead_letter:\n  path: {}\ndata_dir: {}\n"
                           "wal:\n  dir: {}\n  fsync: batch\n  checkpoint_interval_ms: 500\n",
                           base_url, bootstrap, kTopic, exactly_once ? "true" : "false",
                           file_sink ? fmt::format("  - {{ type: file, name: events, path: {}, "
                                                   "fsync: never }}\n",
                                                   dir.file("events.jsonl"))
                                     : std::string(),
                           dir.file("dlq.sqlite3"), dir.path(), dir.file("wal")));
    return path;
}

unsigned test_seed() {
    const char* env = std::getenv("GSTREAM_TEST_SEED");
    const unsigned seed = env != nullptr && *env != '\0' ? static_cast<unsigned>(std::stoul(env))
                                                         : std::random_device{}();
    std::printf("seed=%u\n", seed);
    std::fflush(stdout);
    return seed;
}

constexpr int kEvents = 50'000;
constexpr int kEventsPerMessage = 20;
constexpr int kRate = 1'000;     // messages per second: ~2.6 s of stream
constexpr int kOverlap = 1'000;  // messages the emulator resends on reconnect (wal_crash_test)
constexpr int kKills = 10;

/// `kKills` SIGKILLs when the topic holds a random number of messages spread over the stream,
/// a restart after each, then a last run to the end. Returns event id -> copies in the topic.
std::map<std::string, int> kill_and_restart(bool exactly_once,
                                            bool file_sink,
                                            const KillStream& stream,
                                            const TempDir& dir) {
    KafkaMockCluster kafka(3, kPartitions, {kTopic}, dir.file("mock.log"));
    write_file(dir.file("replay.jsonl"), stream.replay);
    std::mt19937 rng(test_seed());
    std::vector<std::int64_t> targets;
    const double stretch = 0.80 / kKills;
    for (int k = 0; k < kKills; ++k) {
        std::uniform_real_distribution<double> at(0.05 + stretch * k, 0.10 + stretch * k);
        targets.push_back(static_cast<std::int64_t>(at(rng) * kEvents));
    }
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate",
         std::to_string(kRate), "--replay-resume-overlap", std::to_string(kOverlap), "--stay"},
        dir.file("emulator.log"));
    const std::string config =
        write_config(dir, emulator.origin(), kafka.bootstrap(), exactly_once, file_sink);
    KafkaTopicWatch topic(kafka.bootstrap(), kTopic, kPartitions);
    for (int k = 0; k < kKills; ++k) {
        const std::string log = dir.file(fmt::format("consumer{}.log", k));
        ChildProcess consumer({GSTREAM_BINARY, "run", "--config", config, "--once"}, {}, log);
        const auto deadline = Clock::now() + kStepDeadline;
        bool reached = false;
        while (!reached && Clock::now() < deadline && !consumer.wait(0ms)) {
            reached = topic.messages() >= targets[static_cast<std::size_t>(k)];
            if (!reached) {
                std::this_thread::sleep_for(2ms);
            }
        }
        EXPECT_TRUE(reached) << "kill " << k << ": the topic did not reach " << targets[k]
                             << " messages\n"
                             << read_file(log);
        if (!reached) {
            return {};
        }
        consumer.signal(SIGKILL);
        EXPECT_EQ(consumer.wait(30s), 128 + SIGKILL) << read_file(log);
        // The read-back at start: what it read and how long it took.
        for (const std::string& line : read_lines(log)) {
            if (line.find("read back the tail") != std::string::npos) {
                std::printf("  %s\n", line.substr(line.find("sink=")).c_str());
            }
        }
        std::printf("kill %d: target=%lld topic_messages=%lld\n", k,
                    static_cast<long long>(targets[static_cast<std::size_t>(k)]),
                    static_cast<long long>(topic.messages()));
    }
    const auto last = run_consumer(config, dir.file("consumer-last.log"), 600s);
    EXPECT_EQ(last.exit_code, 0) << last.log;
    emulator.process->signal(SIGTERM);
    EXPECT_EQ(emulator.process->wait(30s), 0);

    std::map<std::string, int> ids;
    for (const KafkaRecord& r : read_topic(kafka.bootstrap(), kTopic, 120s)) {
        const auto start = r.value.find("\"id\":\"") + 6;
        ids[r.value.substr(start, r.value.find('"', start) - start)]++;
    }
    // Every bad message dead-lettered (not_json), nothing else.
    std::map<std::string, int> reasons;
    const auto dead = dead_letters(dir.file("dlq.sqlite3"), &reasons);
    for (const std::string& b : stream.bad) {
        EXPECT_TRUE(dead.contains(b)) << "not dead-lettered: " << b;
    }
    for (const auto& [raw, n] : dead) {
        EXPECT_TRUE(stream.bad.contains(raw)) << "unexpected dead letter: " << raw.substr(0, 200);
    }
    for (const auto& [reason, n] : reasons) {
        EXPECT_EQ(reason, "not_json") << n;
    }
    return ids;
}

/// Every event e000000.. once in the topic, nothing else.
void expect_each_event_once(const std::map<std::string, int>& ids) {
    std::vector<int> missing;
    std::vector<int> repeated;
    for (int e = 0; e < kEvents; ++e) {
        const auto it = ids.find(numbered_event_id(e));
        if (it == ids.end()) {
            missing.push_back(e);
        } else if (it->second != 1) {
            repeated.push_back(e);
        }
    }
    EXPECT_TRUE(missing.empty()) << missing.size() << " missing, first " << missing.front();
    EXPECT_TRUE(repeated.empty()) << repeated.size() << " repeated, first " << repeated.front();
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kEvents));
}

// With a file sink beside it: the Kafka sink reads the outbox at its own cursor.
TEST(KafkaKill, TenKillNinesDuringA50kEventStreamEachEventOnceInTheTopic) {
    const auto started = Clock::now();
    TempDir dir;
    const KillStream stream = make_kill_stream(kEvents, kEventsPerMessage);
    const auto ids = kill_and_restart(true, true, stream, dir);
    ASSERT_FALSE(ids.empty());
    expect_each_event_once(ids);
    std::printf("wall time: %.1f s\n",
                std::chrono::duration<double>(Clock::now() - started).count());
}

// Kafka the only sink: the pipeline thread writes to it (no outbox cursor, no position
// header); the read-back by event id alone keeps each event once.
TEST(KafkaKill, TenKillNinesWithKafkaTheOnlySinkEachEventOnceInTheTopic) {
    TempDir dir;
    const KillStream stream = make_kill_stream(kEvents, kEventsPerMessage);
    const auto ids = kill_and_restart(true, false, stream, dir);
    ASSERT_FALSE(ids.empty());
    expect_each_event_once(ids);
}

// exactly_once off: nothing lost; the duplicates the restarts caused are counted and reported.
TEST(KafkaKill, TenKillNinesWithoutExactlyOnceLoseNothingAndCountTheDuplicates) {
    TempDir dir;
    const KillStream stream = make_kill_stream(kEvents, kEventsPerMessage);
    const auto ids = kill_and_restart(false, true, stream, dir);
    ASSERT_FALSE(ids.empty());
    int missing = 0;
    long long duplicates = 0;
    for (int e = 0; e < kEvents; ++e) {
        const auto it = ids.find(numbered_event_id(e));
        if (it == ids.end()) {
            ++missing;
        } else {
            duplicates += it->second - 1;
        }
    }
    EXPECT_EQ(missing, 0);
    std::printf("exactly_once=false: %lld duplicate messages over %d events\n", duplicates,
                kEvents);
    RecordProperty("duplicates", static_cast<int>(duplicates));
}

}  // namespace
}  // namespace gstream::testing

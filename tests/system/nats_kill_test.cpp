// The daemon with a NATS JetStream sink killed (SIGKILL) at random moments during an emulator
// stream and started again each time (docs/sinks/nats.md, "Delivery guarantee"): afterwards the
// stream holds every valid event exactly once and the dead-letter queue every bad message. Black
// box, like tests/integration/wal_crash_test.cpp: the real binary, the emulator replaying an
// envelope stream with --replay-resume-overlap, a real nats-server; the stream read back.
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
#include "support/nats_server.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kStepDeadline = 240s;

std::string write_config(const TempDir& dir, const std::string& base_url,
                         const std::string& nats_url) {
    const std::string path = dir.file("config.yaml");
    write_file(path,
               fmt::format(
                   "genesys:\n  base_url: {}\n  client_id: demo\n  client_secret: demo\n"
                   "source:\n  protocol: envelope\n  reconnect_initial_ms: 50\n  queue_capacity: 16\n"
                   "pipeline:\n  batch: {{ max_events: 500, max_bytes: 1048576, max_age_ms: 20 }}\n"
                   "  allowed_lateness_ms: 200\n  dedup: {{ window_events: 50000 }}\n"
                   "sinks:\n  - type: nats\n    name: jetstream\n    servers: [{}]\n"
                   "    stream: GENESYS\n"
                   "    create_stream: {{ subjects: ['genesys.>'], duplicate_window_ms: 600000 }}\n"
                   "dead_letter:\n  path: {}\ndata_dir: {}\n"
                   "wal:\n  dir: {}\n  fsync: batch\n  checkpoint_interval_ms: 500\n"
                   "shutdown_timeout_ms: 10000\n",
                   base_url, nats_url, dir.file("dlq.sqlite3"), dir.path(), dir.file("wal")));
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

/// Polls (20 ms) the stream until it holds `messages` or the consumer exits.
bool wait_for_stream(const std::string& url, ChildProcess& consumer, std::uint64_t messages) {
    const auto deadline = Clock::now() + kStepDeadline;
    while (Clock::now() < deadline) {
        if (stream_messages(url, "GENESYS").value_or(0) >= messages) {
            return true;
        }
        if (consumer.wait(0ms)) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

// 50,000 events in 20-event envelopes at 1,000 messages/s (~2.5 s of stream plus the resends);
// the overlap (1,000 messages) covers what can sit in socket buffers and the frame queue at a
// SIGKILL (see wal_crash_test.cpp for the measurement).
TEST(NatsKill, TenRandomKillNinesDuringA50kEventStreamLeaveEveryEventOnceInTheStream) {
    constexpr int kEvents = 50'000;
    constexpr int kKills = 10;
    const auto started = Clock::now();
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    const KillStream stream = make_kill_stream(kEvents, 20);
    write_file(dir.file("replay.jsonl"), stream.replay);

    std::mt19937 rng(test_seed());
    std::vector<std::uint64_t> targets;
    const double stretch = 0.80 / kKills;
    for (int k = 0; k < kKills; ++k) {
        std::uniform_real_distribution<double> at(0.05 + stretch * k, 0.10 + stretch * k);
        targets.push_back(static_cast<std::uint64_t>(at(rng) * kEvents));
    }
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl"),
                                    "--rate", "1000", "--replay-resume-overlap", "1000", "--stay"},
                                   dir.file("emulator.log"));
    const std::string config = write_config(dir, emulator.origin(), server.url());
    for (int k = 0; k < kKills; ++k) {
        const std::string log = dir.file(fmt::format("consumer{}.log", k));
        ChildProcess consumer({GSTREAM_BINARY, "run", "--config", config, "--once"}, {}, log);
        ASSERT_TRUE(wait_for_stream(server.url(), consumer, targets[k]))
            << "kill " << k << ": the stream did not reach " << targets[k] << " messages\n"
            << read_file(log);
        consumer.signal(SIGKILL);
        ASSERT_EQ(consumer.wait(30s), 128 + SIGKILL) << read_file(log);
        std::printf("kill %d: target=%llu stream=%llu\n", k,
                    static_cast<unsigned long long>(targets[k]),
                    static_cast<unsigned long long>(
                        stream_messages(server.url(), "GENESYS").value_or(0)));
    }
    const RunResult last = run_consumer(config, dir.file("consumer-last.log"), 600s);
    ASSERT_EQ(last.exit_code, 0) << last.log;
    ASSERT_TRUE(last.summary.has_value()) << last.log;
    emulator.process->signal(SIGTERM);
    EXPECT_EQ(emulator.process->wait(30s), 0);

    const auto messages = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(messages.has_value());
    std::map<std::string, int> ids;
    for (const StoredMessage& m : *messages) {
        const auto it = m.headers.find("Nats-Msg-Id");
        ++ids[it == m.headers.end() ? std::string("<none>") : it->second];
    }
    int missing = 0;
    int repeated = 0;
    for (int e = 0; e < kEvents; ++e) {
        const auto it = ids.find(numbered_event_id(e));
        missing += it == ids.end() ? 1 : 0;
        repeated += it != ids.end() && it->second != 1 ? 1 : 0;
    }
    EXPECT_EQ(missing, 0);
    EXPECT_EQ(repeated, 0);
    EXPECT_EQ(messages->size(), static_cast<std::size_t>(kEvents));
    std::map<std::string, int> reasons;
    const std::map<std::string, int> dead = dead_letters(dir.file("dlq.sqlite3"), &reasons);
    for (const std::string& b : stream.bad) {
        EXPECT_TRUE(dead.contains(b)) << "not dead-lettered: " << b;
    }
    for (const auto& [raw, n] : dead) {
        EXPECT_TRUE(stream.bad.contains(raw)) << "unexpected dead letter: " << raw.substr(0, 200);
    }
    for (const auto& [reason, n] : reasons) {
        EXPECT_EQ(reason, "not_json") << n << " dead letters";
    }
    if (const auto at = last.log.find("NATS sink closed."); at != std::string::npos) {
        std::printf("last run: %s\n", last.log.substr(at, last.log.find('\n', at) - at).c_str());
    }
    std::printf("stream: %zu messages; %zu bad dead-lettered; wall time %.1f s\n", messages->size(),
                dead.size(), std::chrono::duration<double>(Clock::now() - started).count());
}

}  // namespace
}  // namespace gstream::testing

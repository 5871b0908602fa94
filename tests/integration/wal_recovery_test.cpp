// Crash recovery end to end (docs/recovery.md): the consumer with a write-ahead log is killed
// with SIGKILL mid-stream, restarted on a stream that has only new traffic, and every valid event
// it had received is in the file sink exactly once, every bad message in the dead-letter queue.
#include <csignal>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dlq/dead_letter_queue.hpp"
#include "support/envelope_stream.hpp"
#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;

bool valid(int i) {
    return i % 17 != 5;
}

std::string write_config(const TempDir& dir,
                         const std::string& base_url,
                         int allowed_lateness_ms = 100) {
    const std::string path = dir.file("config.yaml");
    write_file(path,
               "genesys:\n  base_url: " + base_url +
                   "\n  client_id: demo\n  client_secret: demo\n"
                   "source:\n  protocol: envelope\n  reconnect_initial_ms: 50\n"
                   "pipeline:\n  batch: { max_events: 10, max_bytes: 1048576, max_age_ms: 20 }\n"
                   "  allowed_lateness_ms: " +
                   std::to_string(allowed_lateness_ms) +
                   "\n"
                   "sinks:\n  - { type: file, path: " +
                   dir.file("events.jsonl") +
                   ", fsync: never }\n"
                   "dead_letter:\n  path: " +
                   dir.file("dlq.sqlite3") +
                   "\ndata_dir: " + dir.path() + "\n"
                   "wal:\n  dir: " +
                   dir.file("wal") + "\n  fsync: batch\n  checkpoint_interval_ms: 20\n");
    return path;
}

// Message i: "not json i" when !valid(i), else an envelope with event m{i} at `step_ms` * i
// (and, every 11th, a duplicate of m{i-1}).
std::string stream(int messages, int step_ms) {
    std::string replay;
    for (int i = 0; i < messages; ++i) {
        if (!valid(i)) {
            replay += fmt::format("not json {}\n", i);
        } else if (i % 11 == 3 && valid(i - 1)) {
            replay +=
                envelope_message({envelope_event(fmt::format("m{}", i), i * step_ms),
                                  envelope_event(fmt::format("m{}", i - 1), (i - 1) * step_ms)}) +
                "\n";
        } else {
            replay += envelope_message({envelope_event(fmt::format("m{}", i), i * step_ms)}) + "\n";
        }
    }
    return replay;
}

// SIGKILLs the consumer once the sink holds `lines` lines (bounded wait).
void kill_when_lines(ChildProcess& consumer, const TempDir& dir, std::size_t lines) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (read_lines(dir.file("events.jsonl")).size() < lines &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    consumer.signal(SIGKILL);
    const auto code = consumer.wait(10s);
    ASSERT_TRUE(code.has_value());
    std::printf("first run: exit=%d lines_at_kill=%zu\n", *code,
                read_lines(dir.file("events.jsonl")).size());
}

// The restart: the stream resumes with new traffic only (Genesys never replays), n0..n9.
void restart_with_new_traffic(const TempDir& dir, int allowed_lateness_ms) {
    std::string fresh;
    for (int i = 0; i < 10; ++i) {
        fresh += envelope_message({envelope_event(fmt::format("n{}", i), 400'000 + i)}) + "\n";
    }
    write_file(dir.file("replay2.jsonl"), fresh);
    auto emulator =
        start_emulator({"--protocol", "envelope", "--replay", dir.file("replay2.jsonl")},
                       dir.file("emulator2.log"));
    const auto r = run_consumer(write_config(dir, emulator.origin(), allowed_lateness_ms),
                                dir.file("consumer2.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    EXPECT_NE(r.log.find("write-ahead log replayed"), std::string::npos) << r.log;
    std::printf("second run: sink cut back at start: %s\n",
                r.log.find("cut back to its commit point") != std::string::npos ? "yes" : "no");
}

// Messages 0 .. received-1 were received: each valid event is in the sink exactly once, each bad
// message in the dead-letter queue at least once; n0..n9 once; no line twice. received = 0: the
// prefix is taken as everything up to the last message seen anywhere.
void expect_exactly_once(const TempDir& dir, int received, int at_least) {
    const std::map<std::string, int> ids = sink_event_ids(dir.file("events.jsonl"));
    std::map<int, int> dead;  // bad message index -> dead letters
    {
        auto queue = dlq::DeadLetterQueue::open(dir.file("dlq.sqlite3"));
        for (const auto& d : queue.list({})) {
            ASSERT_EQ(d.reason, "not_json") << d.raw;
            dead[std::stoi(d.raw.substr(9))]++;
        }
    }
    if (received == 0) {
        for (const auto& [id, n] : ids) {
            if (id[0] == 'm') {
                received = std::max(received, std::stoi(id.substr(1)) + 1);
            }
        }
        if (!dead.empty()) {
            received = std::max(received, dead.rbegin()->first + 1);
        }
    }
    std::printf("received: %d messages, %zu sink lines, %zu dead letters\n", received,
                read_lines(dir.file("events.jsonl")).size(), dead.size());
    EXPECT_GE(received, at_least);
    int wrong = 0;
    for (int i = 0; i < received && wrong <= 5; ++i) {
        if (valid(i)) {
            const auto it = ids.find(fmt::format("m{}", i));
            const int n = it == ids.end() ? 0 : it->second;
            wrong += n == 1 ? 0 : 1;
            EXPECT_EQ(n, 1) << "m" << i;
        } else {
            wrong += dead[i] >= 1 ? 0 : 1;
            EXPECT_GE(dead[i], 1) << "not json " << i;
        }
    }
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(ids.count(fmt::format("n{}", i)), 1U) << i;
    }
    for (const auto& [id, n] : ids) {
        EXPECT_EQ(n, 1) << id;
    }
}

// Killed while batches are being written: lines after the last checkpoint are cut and written
// again from the log, held events are replayed, nothing is written twice.
TEST(WalRecovery, KillNineMidStreamThenRestartDeliversEveryReceivedEventExactlyOnce) {
    TempDir dir;
    constexpr int kMessages = 3000;
    constexpr int kKillAfterLines = 300;
    write_file(dir.file("replay1.jsonl"), stream(kMessages, 1));
    {
        auto emulator = start_emulator(
            {"--protocol", "envelope", "--replay", dir.file("replay1.jsonl"), "--rate", "3000"},
            dir.file("emulator1.log"));
        ChildProcess consumer(
            {GSTREAM_BINARY, "run", "--config", write_config(dir, emulator.origin()), "--once"}, {},
            dir.file("consumer1.log"));
        kill_when_lines(consumer, dir, kKillAfterLines);
    }
    restart_with_new_traffic(dir, 100);
    expect_exactly_once(dir, 0, kKillAfterLines);
}

// Every message received, the last 600 held by the orderer (a 60 s lateness over event times
// 100 ms apart) when SIGKILL comes: the restart delivers them from the log. Without the log
// they are lost.
TEST(WalRecovery, EventsHeldInTheOrdererAtKillNineAreDeliveredAfterRestart) {
    TempDir dir;
    constexpr int kMessages = 3000;
    constexpr int kLatenessMs = 60'000;
    write_file(dir.file("replay1.jsonl"), stream(kMessages, 100));
    // Delivered before the kill: instants up to the last one minus the lateness.
    std::size_t released = 0;
    for (int i = 0; i * 100 <= (kMessages - 1) * 100 - kLatenessMs; ++i) {
        released += valid(i) ? 1 : 0;
    }
    {
        auto emulator =
            start_emulator({"--protocol", "envelope", "--replay", dir.file("replay1.jsonl")},
                           dir.file("emulator1.log"));
        ChildProcess consumer(
            {GSTREAM_BINARY, "run", "--config", write_config(dir, emulator.origin(), kLatenessMs)},
            {}, dir.file("consumer1.log"));
        kill_when_lines(consumer, dir, released);
        EXPECT_EQ(read_lines(dir.file("events.jsonl")).size(), released);
    }
    restart_with_new_traffic(dir, kLatenessMs);
    expect_exactly_once(dir, kMessages, kMessages);
}

}  // namespace
}  // namespace gstream::testing

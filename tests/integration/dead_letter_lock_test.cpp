// Issue 16, defect 2: a dead-letter database locked by another process lost dead letters (the
// metric counted 113, the table held 71) and readiness never recovered. Now they wait in memory,
// are retried, and all land once the lock is released; /readyz follows.
#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dlq/dead_letter_queue.hpp"
#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;

int readyz(const std::string& admin) {
    const auto r = http_get(admin, "/readyz");
    return r ? r->status : 0;
}

// Polls /readyz (a gauge of the daemon's state) until it answers `status`, bounded.
bool wait_ready(const std::string& admin, int status, std::chrono::seconds limit) {
    for (const auto until = std::chrono::steady_clock::now() + limit;
         std::chrono::steady_clock::now() < until;) {
        if (readyz(admin) == status) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

// The next stderr line of `consumer` that contains `text` (the log lines start with a time).
bool wait_for_log_containing(ChildProcess& consumer, const std::string& text,
                             std::chrono::seconds limit) {
    for (const auto until = std::chrono::steady_clock::now() + limit;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        const auto line = consumer.wait_for_log_line("", left);
        if (!line) {
            return false;
        }
        if (line->find(text) != std::string::npos) {
            return true;
        }
    }
}

TEST(DeadLetterLock, ALockedDatabaseKeepsEveryDeadLetterAndReadinessRecovers) {
    TempDir dir;
    const std::string db_path = dir.file("dlq.sqlite3");
    auto emulator = start_emulator({"--protocol", "envelope", "--events", "200000",
                                    "--events-per-message", "5", "--malformed-rate", "0.2",
                                    "--rate", "200", "--seed", "9"},
                                   dir.file("emulator.log"));
    write_file(dir.file("config.yaml"),
               fmt::format("genesys: {{ base_url: {}, client_id: demo, client_secret: demo }}\n"
                           "source: {{ protocol: envelope }}\n"
                           "sinks: [{{ type: file, path: {}, fsync: never }}]\n"
                           "dead_letter: {{ path: {} }}\n"
                           "metrics: {{ listen: 127.0.0.1:0 }}\n"
                           "data_dir: {}\n",
                           emulator.origin(), dir.file("events.jsonl"), db_path, dir.path()));
    ChildProcess consumer({GSTREAM_BINARY, "run", "--config", dir.file("config.yaml")}, {},
                          dir.file("consumer.log"));
    const auto line = consumer.wait_for_log_line("admin listening ", 30s);
    ASSERT_TRUE(line) << read_file(dir.file("consumer.log"));
    const std::string admin = line->substr(std::string("admin listening ").size());
    // Another process's write lock once the daemon runs: its appends get SQLITE_BUSY (after its
    // busy timeout).
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);

    // Locked: dead letters fail to store; the daemon keeps them and says so on /readyz.
    ASSERT_TRUE(wait_for_log_containing(consumer, "kept in memory and retried", 60s))
        << read_file(dir.file("consumer.log"));
    EXPECT_EQ(readyz(admin), 503);
    ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
    // Released: the waiting ones are stored and readiness comes back by itself.
    ASSERT_TRUE(wait_for_log_containing(consumer, "dead-letter queue writable again", 60s))
        << read_file(dir.file("consumer.log"));
    ASSERT_TRUE(wait_ready(admin, 200, 60s)) << read_file(dir.file("consumer.log"));

    consumer.signal(SIGTERM);
    const auto summary_line = consumer.wait_for_log_line("summary:", 60s);
    ASSERT_EQ(consumer.wait(60s), 0) << read_file(dir.file("consumer.log"));
    ASSERT_TRUE(summary_line) << read_file(dir.file("consumer.log"));
    const auto summary = parse_summary(*summary_line);
    ASSERT_TRUE(summary);
    auto queue = dlq::DeadLetterQueue::open(db_path);
    EXPECT_GT((*summary)["dead_lettered"], 0);
    EXPECT_EQ(static_cast<long long>(queue.list({}).size()), (*summary)["dead_lettered"]);
}

}  // namespace
}  // namespace gstream::testing

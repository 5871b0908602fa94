// Backpressure with the write-ahead log (docs/recovery.md): a sink that stops reading does not
// stop the socket reader. The file sink writes into a named pipe nobody reads; the emulator
// sends the whole stream meanwhile, the consumer logs every message to disk with its memory
// bounded, keeps its connection, and delivers everything in order once the pipe is read.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kMessages = 40'000;
constexpr int kEventsPerMessage = 3;
constexpr int kEventSpacingMs = 1;  // 120,000 events: two minutes of event time

std::string message(int m, int spacing_ms = kEventSpacingMs, std::size_t note_bytes = 150) {
    std::string s = R"({"stream":"interaction.lifecycle","subscriptionId":"s1","events":[)";
    for (int k = 0; k < kEventsPerMessage; ++k) {
        const int i = m * kEventsPerMessage + k;
        const long long offset = static_cast<long long>(i) * spacing_ms;
        const long long ms = 1'764'496'800'000LL + offset;
        s += fmt::format(
            R"({}{{"id":"e{}","timestamp":"2025-11-30T10:{:02}:{:02}.{:03}Z","eventType":"acd.start",)"
            R"("data":{{"conversationId":"c{}","eventTime":{},"queueId":"q1","note":"{}"}}}})",
            k ? "," : "", i, offset / 60000, offset / 1000 % 60, offset % 1000, i, ms,
            std::string(note_bytes, 'n'));
    }
    return s + "]}";
}

// The value of an unlabelled sample in a Prometheus text page, -1 when absent.
double sample(const std::string& page, const std::string& name) {
    const std::string key = "\n" + name + " ";
    const auto at = page.find(key);
    return at == std::string::npos ? -1 : std::stod(page.substr(at + key.size()));
}

// Sum of every sample of a labelled counter whose line starts with `prefix` (the name, or the
// name with its first label).
double sum_of(const std::string& page, const std::string& prefix) {
    const std::string key = "\n" + prefix + (prefix.ends_with('}') ? "" : "{");
    double sum = 0;
    for (std::size_t at = page.find(key); at != std::string::npos; at = page.find(key, at + 1)) {
        sum += std::stod(page.substr(page.find("} ", at) + 2));
    }
    return sum;
}

long status_kb(pid_t pid, const std::string& field) {
    const std::string status = read_file(fmt::format("/proc/{}/status", pid));
    const auto at = status.find(field + ":");
    return at == std::string::npos ? -1 : std::stol(status.substr(at + field.size() + 1));
}

/// A named pipe at `path` whose reader end is open (so the sink can open the pipe) but reads
/// nothing yet; the pipe holds one page. Returns the reader's descriptor, -1 on failure.
int stalled_pipe(const std::string& path) {
    if (::mkfifo(path.c_str(), 0600) != 0) {
        return -1;
    }
    const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (reader >= 0) {
        ::fcntl(reader, F_SETPIPE_SZ, 4096);
    }
    return reader;
}

/// The stalled sink comes back: reads the pipe until the consumer closes it; nullopt when
/// nothing comes for two minutes.
std::optional<std::string> read_until_closed(int reader) {
    ::fcntl(reader, F_SETFL, 0);
    std::string out;
    char buf[1 << 16];
    for (;;) {
        pollfd p{reader, POLLIN, 0};
        if (::poll(&p, 1, 120'000) <= 0) {
            return std::nullopt;
        }
        const ssize_t n = ::read(reader, buf, sizeof buf);
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            return out;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

/// The emulator replaying `replay` (one message per line) at `rate` messages/s, and the consumer
/// with the log, `sinks` (YAML list items) and batches of `batch_events`, until --once ends.
struct StalledRun {
    EmulatorProcess emulator;
    std::optional<ChildProcess> consumer;
    std::string admin;  ///< the admin server's address
};

void start_run(const TempDir& dir,
               const std::string& replay,
               int batch_events,
               const std::string& sinks,
               StalledRun& run,
               int rate = 20'000) {
    write_file(dir.file("replay.jsonl"), replay);
    run.emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl"),
                                   "--rate", std::to_string(rate)},
                                  dir.file("emulator.log"));
    write_file(dir.file("config.yaml"),
               fmt::format("genesys:\n  base_url: {}\n  client_id: demo\n  client_secret: demo\n"
                           "source:\n  protocol: envelope\n  ping_interval_ms: 200\n"
                           "  idle_timeout_ms: 1000\n"
                           "pipeline:\n  batch: {{ max_events: {}, max_bytes: 1048576, "
                           "max_age_ms: 50 }}\n"
                           "sinks:\n{}dead_letter:\n  path: {}\ndata_dir: {}\n"
                           "metrics:\n  listen: 127.0.0.1:0\n"
                           "wal:\n  dir: {}\n  fsync: batch\n  checkpoint_interval_ms: 100\n",
                           run.emulator.origin(), batch_events, sinks, dir.file("dlq.sqlite3"),
                           dir.path(), dir.file("wal")));
    run.consumer.emplace(
        std::vector<std::string>{GSTREAM_BINARY, "run", "--config", dir.file("config.yaml"),
                                 "--once"},
        std::map<std::string, std::string>{}, dir.file("consumer.log"));
    const auto line = run.consumer->wait_for_log_line("admin listening ", 30s);
    ASSERT_TRUE(line) << read_file(dir.file("consumer.log"));
    run.admin = line->substr(std::string("admin listening ").size());
}

/// The stalled sink comes back: its pipe is read to the end, and the consumer then exits 0.
void read_pipe_and_finish(int reader, StalledRun& run, const TempDir& dir, std::string& out) {
    const auto read = read_until_closed(reader);
    ::close(reader);
    ASSERT_TRUE(read) << "the sink stopped writing";
    out = *read;
    const auto code = run.consumer->wait(60s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << read_file(dir.file("consumer.log"));
}

TEST(WalBackpressure, StalledSinkKeepsTheConnectionBoundsMemoryAndDeliversInOrderAfter) {
    TempDir dir;
    const std::string pipe = dir.file("events.pipe");
    const int reader = stalled_pipe(pipe);
    ASSERT_GE(reader, 0) << std::strerror(errno);

    std::string replay;
    std::uint64_t logged_bytes = 0;  // what the log holds once every message is in it
    for (int m = 0; m < kMessages; ++m) {
        const std::string line = message(m);
        logged_bytes += 28 + line.size();
        replay += line + "\n";
    }
    StalledRun run;
    start_run(dir, replay, 500, "  - { type: file, path: " + pipe + " }\n", run);
    ASSERT_FALSE(HasFatalFailure());
    const ChildProcess& consumer = *run.consumer;
    const std::string& admin = run.admin;

    // Stalled: the whole stream reaches the log while the pipe is not read.
    std::string page;
    const auto deadline = std::chrono::steady_clock::now() + 300s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto r = http_get(admin, "/metrics");
        ASSERT_TRUE(r && r->status == 200);
        page = "\n" + r->body;
        if (sample(page, "genesys_stream_wal_bytes") >= static_cast<double>(logged_bytes)) {
            break;
        }
        std::this_thread::sleep_for(50ms);  // polling a gauge, bounded by the deadline
    }
    ASSERT_GE(sample(page, "genesys_stream_wal_bytes"), static_cast<double>(logged_bytes))
        << read_file(dir.file("consumer.log"));
    const long rss_kb = status_kb(consumer.pid(), "VmRSS");
    const double delivered = sample(page, "genesys_stream_events_delivered_total");
    std::printf("stalled: log bytes=%.0f stream bytes=%llu rss_kb=%ld delivered=%.0f\n",
                sample(page, "genesys_stream_wal_bytes"),
                static_cast<unsigned long long>(logged_bytes), rss_kb, delivered);
    EXPECT_LT(delivered, 2000);  // a page of pipe and one batch at most, of 120,000
    // One connection from start to the end of the stream (the emulator closes it with 1000
    // once everything is written): no reconnect, no other connection error.
    EXPECT_EQ(sample(page, "genesys_stream_reconnects_total"), 0);
    EXPECT_EQ(sum_of(page, "genesys_stream_connection_errors_total"),
              sum_of(page, "genesys_stream_connection_errors_total{reason=\"closed_by_peer\"}"));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    // The stream is ~30 MB; the messages are on disk, not in memory.
    EXPECT_LT(rss_kb, 48 * 1024);
    EXPECT_GT(logged_bytes, 28u << 20);
#endif

    // The sink comes back: everything, once, in event-time order.
    std::string out;
    read_pipe_and_finish(reader, run, dir, out);
    ASSERT_FALSE(HasFatalFailure());
    int expected = 0;
    int wrong = 0;
    for (std::size_t at = 0; at < out.size() && wrong < 5;) {
        const std::size_t nl = out.find('\n', at);
        ASSERT_NE(nl, std::string::npos);
        const std::string want = fmt::format("\"id\":\"e{}\"", expected);
        if (out.substr(at, nl - at).find(want) == std::string::npos) {
            ++wrong;
            ADD_FAILURE() << "line " << expected << " is not e" << expected << ": "
                          << out.substr(at, std::min<std::size_t>(nl - at, 120));
        }
        ++expected;
        at = nl + 1;
    }
    EXPECT_EQ(expected, kMessages * kEventsPerMessage);
}

// Two sinks, one stalled: each sink reads the outbox at its own cursor (docs/recovery.md,
// "Several sinks"). The file sink gets the whole stream, in order, while the pipe sink is not
// read for two minutes of event time; then the pipe gets it all too, in order.
TEST(WalBackpressure, OneStalledSinkDoesNotStarveTheOther) {
    constexpr int kStallMessages = 10'000;  // 30,000 events 4 ms apart: two minutes of event time
    TempDir dir;
    const std::string pipe = dir.file("stalled.pipe");
    const std::string file = dir.file("events.jsonl");
    const int reader = stalled_pipe(pipe);
    ASSERT_GE(reader, 0) << std::strerror(errno);
    std::string replay;
    for (int m = 0; m < kStallMessages; ++m) {
        replay += message(m, 4, 20) + "\n";
    }
    StalledRun run;
    start_run(dir, replay, 100,
              "  - { type: file, name: stalled, path: " + pipe +
                  " }\n  - { type: file, name: events, path: " + file + " }\n",
              run);
    ASSERT_FALSE(HasFatalFailure());
    const std::string& admin = run.admin;

    // The file sink gets everything while the pipe is not read.
    const std::size_t total = static_cast<std::size_t>(kStallMessages) * kEventsPerMessage;
    std::string page;
    const auto deadline = std::chrono::steady_clock::now() + 300s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto r = http_get(admin, "/metrics");
        ASSERT_TRUE(r && r->status == 200) << read_file(dir.file("consumer.log"));
        page = "\n" + r->body;
        // The lag gauges are set at each checkpoint, so one taken before the last batches
        // reached the outbox reads a little low: wait for the figure the test asserts below.
        if (read_lines(file).size() >= total &&
            sample(page, "genesys_stream_sink_lag_batches{sink=\"stalled\"}") > 250) {
            break;
        }
        std::this_thread::sleep_for(50ms);  // polling the sink file, bounded by the deadline
    }
    const std::vector<std::string> lines = read_lines(file);
    ASSERT_EQ(lines.size(), total) << read_file(dir.file("consumer.log"));
    for (std::size_t i = 0; i < lines.size(); ++i) {
        ASSERT_NE(lines[i].find(fmt::format("\"id\":\"e{}\"", i)), std::string::npos)
            << "file sink line " << i << ": " << lines[i];
    }
    // Of the stream's 300 batches, the stalled sink took a pipe page's worth at most, and its
    // cursor is far behind the other's.
    const double lag = sample(page, "genesys_stream_sink_lag_batches{sink=\"stalled\"}");
    std::printf("stalled sink lag=%.0f batches, outbox bytes=%.0f, other sink lag=%.0f\n", lag,
                sample(page, "genesys_stream_outbox_bytes"),
                sample(page, "genesys_stream_sink_lag_batches{sink=\"events\"}"));
    EXPECT_GT(lag, 250);
    EXPECT_GT(sample(page, "genesys_stream_outbox_bytes"), 1'000'000);
    EXPECT_EQ(sample(page, "genesys_stream_reconnects_total"), 0);
    // Per sink, by name: the file sink took every batch of the pipeline (~300: 100 events each,
    // or fewer when a batch's age ran out) at its first attempt; the stalled one at most a pipe
    // page's worth (its write blocks, it is not failing). Only the configured sinks have series.
    // (The counts move just after each write returns: poll, bounded.)
    const std::string ok_events = "genesys_stream_sink_writes_total{result=\"ok\",sink=\"events\"}";
    const std::string events_in_batches = "genesys_stream_batch_size_events_sum";
    double batches = 0;
    for (auto until = std::chrono::steady_clock::now() + 30s;;) {
        batches = sample(page, "genesys_stream_batch_size_events_count");
        if ((sample(page, events_in_batches) == static_cast<double>(total) &&
             sample(page, ok_events) == batches) ||
            std::chrono::steady_clock::now() >= until) {
            break;
        }
        const auto r = http_get(admin, "/metrics");
        ASSERT_TRUE(r && r->status == 200);
        page = "\n" + r->body;
    }
    EXPECT_EQ(sample(page, events_in_batches), static_cast<double>(total));
    EXPECT_GE(batches, 300);
    EXPECT_EQ(sample(page, ok_events), batches);
    EXPECT_EQ(sample(page, "genesys_stream_batch_flushes_total{sink=\"events\"}"), batches);
    EXPECT_EQ(sample(page, "genesys_stream_sink_writes_total{result=\"retry\",sink=\"events\"}"),
              0);
    EXPECT_LT(sample(page, "genesys_stream_sink_writes_total{result=\"ok\",sink=\"stalled\"}"),
              50);
    EXPECT_EQ(page.find("sink=\"file\""), std::string::npos);
    EXPECT_EQ(page.find("sink=\"kafka\""), std::string::npos);

    // The stalled sink comes back: everything, once, in order.
    std::string out;
    read_pipe_and_finish(reader, run, dir, out);
    ASSERT_FALSE(HasFatalFailure());
    std::size_t expected = 0;
    for (std::size_t at = 0; at < out.size();) {
        const std::size_t nl = out.find('\n', at);
        ASSERT_NE(nl, std::string::npos);
        ASSERT_EQ(out.substr(at, nl - at), lines[expected]) << "pipe line " << expected;
        ++expected;
        at = nl + 1;
    }
    EXPECT_EQ(expected, total);
}

// A pipe sink whose reader goes away: the write fails with EPIPE (SIGPIPE is ignored), the sink
// is retried and /readyz says so, the process stays up; a new reader gets everything, in order.
TEST(WalBackpressure, APipeSinkWhoseReaderLeftIsRetriedNotFatal) {
    TempDir dir;
    const std::string pipe = dir.file("events.pipe");
    const int first_reader = stalled_pipe(pipe);
    ASSERT_GE(first_reader, 0) << std::strerror(errno);
    std::string replay;
    for (int m = 0; m < 200; ++m) {
        replay += message(m) + "\n";
    }
    StalledRun run;
    // 100 messages/s: the first batch (100 events, 34 messages) is written ~340 ms after the
    // connection, long after the first reader is gone.
    start_run(dir, replay, 100, "  - { type: file, path: " + pipe + " }\n", run, 100);
    ASSERT_FALSE(HasFatalFailure());
    ::close(first_reader);  // the sink has the pipe open (the admin server starts after it)

    std::optional<HttpResponse> ready;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        ready = http_get(run.admin, "/readyz");
        ASSERT_TRUE(ready) << read_file(dir.file("consumer.log"));
        if (ready->body.find("sink file is failing") != std::string::npos) {
            break;
        }
        std::this_thread::sleep_for(20ms);  // polling /readyz, bounded by the deadline
    }
    EXPECT_EQ(ready->status, 503);
    EXPECT_NE(ready->body.find("sink file is failing"), std::string::npos) << ready->body;
    EXPECT_FALSE(run.consumer->wait(0ms).has_value()) << read_file(dir.file("consumer.log"));
    EXPECT_NE(read_file(dir.file("consumer.log")).find("Broken pipe"), std::string::npos);

    const int reader = ::open(pipe.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(reader, 0);
    std::string out;
    read_pipe_and_finish(reader, run, dir, out);
    ASSERT_FALSE(HasFatalFailure());
    const std::vector<std::string> lines = [&] {
        std::vector<std::string> v;
        for (std::size_t at = 0; at < out.size();) {
            const std::size_t nl = out.find('\n', at);
            v.push_back(out.substr(at, nl - at));
            at = nl == std::string::npos ? out.size() : nl + 1;
        }
        return v;
    }();
    ASSERT_EQ(lines.size(), 200u * kEventsPerMessage);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        ASSERT_NE(lines[i].find(fmt::format("\"id\":\"e{}\"", i)), std::string::npos)
            << "line " << i << ": " << lines[i];
    }
}

}  // namespace
}  // namespace gstream::testing

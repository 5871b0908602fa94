// Crash tests of the write-ahead log (docs/recovery.md, "Tests"), black box: the real binary as a
// child process, the emulator replaying an envelope stream, the file sink and the SQLite
// dead-letter queue read afterwards, /readyz over HTTP. Nothing here depends on how the daemon
// writes or reads its log, only on what it promises.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous for ASan builds; a passing run takes a small fraction of each.
constexpr auto kStepDeadline = 240s;

/// An envelope stream for the replay file: events "e000000", "e000001", ... (fixed width, so
/// every sink line has the same length); message i is "not json i" when i % 97 == 96; every 7th
/// data message also repeats the first event of the data message before it (same bytes).
struct Stream {
    std::string replay;         ///< one message per line
    std::set<std::string> bad;  ///< the not-JSON messages
    int messages = 0;
    int events = 0;      ///< distinct valid events
    int duplicates = 0;  ///< repeated events
};

std::string event_id(int e) {
    return fmt::format("e{:06}", e);
}

/// `events` events, `per_message` per data message, event e at instant e * `step_ms`; each data
/// message padded with `padding_bytes` at the top level (in the log, never in the sink).
Stream make_stream(int events, int per_message, int step_ms, int padding_bytes = 0) {
    Stream s;
    s.events = events;
    const std::string padding =
        padding_bytes > 0 ? fmt::format(R"("padding":"{}")", std::string(padding_bytes, 'x'))
                          : std::string();
    int e = 0;
    int data_messages = 0;
    std::string previous_first;
    for (int i = 0; e < events; ++i) {
        if (i % 97 == 96) {
            const std::string bad = fmt::format("not json {}", i);
            s.bad.insert(bad);
            s.replay += bad + "\n";
            ++s.messages;
            continue;
        }
        std::vector<std::string> batch;
        for (int k = 0; k < per_message && e < events; ++k, ++e) {
            batch.push_back(envelope_event(event_id(e), static_cast<std::int64_t>(e) * step_ms));
        }
        const std::string first = batch.front();
        if (data_messages % 7 == 6) {
            batch.push_back(previous_first);
            ++s.duplicates;
        }
        previous_first = first;
        ++data_messages;
        s.replay += envelope_message(batch, padding) + "\n";
        ++s.messages;
    }
    return s;
}

struct ConsumerOptions {
    std::string base_url;
    int allowed_lateness_ms = 200;
    int checkpoint_interval_ms = 250;
    int shutdown_timeout_ms = 10'000;
    int queue_capacity = 16;
    int dedup_window_events = 100'000;
    bool admin = false;
    bool second_sink = false;  ///< also events2.jsonl: each sink reads the outbox at its cursor
};

std::string write_config(const TempDir& dir, const ConsumerOptions& o) {
    const std::string path = dir.file("config.yaml");
    std::string text = fmt::format(
        "genesys:\n  base_url: {}\n  client_id: demo\n  client_secret: demo\n"
        "source:\n  protocol: envelope\n  reconnect_initial_ms: 50\n  queue_capacity: {}\n"
        "pipeline:\n  batch: {{ max_events: 500, max_bytes: 1048576, max_age_ms: 20 }}\n"
        "  allowed_lateness_ms: {}\n  dedup: {{ window_events: {} }}\n"
        "sinks:\n  - {{ type: file, name: events, path: {}, fsync: never }}\n{}"
        "dead_letter:\n  path: {}\ndata_dir: {}\n"
        "wal:\n  dir: {}\n  fsync: batch\n  checkpoint_interval_ms: {}\n"
        "shutdown_timeout_ms: {}\n",
        o.base_url, o.queue_capacity, o.allowed_lateness_ms, o.dedup_window_events,
        dir.file("events.jsonl"),
        o.second_sink
            ? fmt::format("  - {{ type: file, name: events2, path: {}, fsync: never }}\n",
                          dir.file("events2.jsonl"))
            : std::string(),
        dir.file("dlq.sqlite3"), dir.path(), dir.file("wal"),
        o.checkpoint_interval_ms, o.shutdown_timeout_ms);
    if (o.admin) {
        text += "metrics:\n  listen: 127.0.0.1:0\n";
    }
    write_file(path, text);
    return path;
}

ChildProcess* start_consumer(std::optional<ChildProcess>& slot,
                             const std::string& config,
                             const std::string& log,
                             bool once = true) {
    std::vector<std::string> argv{GSTREAM_BINARY, "run", "--config", config};
    if (once) {
        argv.emplace_back("--once");
    }
    slot.emplace(argv, std::map<std::string, std::string>{}, log);
    return &*slot;
}

/// Lines in the file sink, from its size (every line has the same length; 0 before the first).
class SinkProgress {
public:
    explicit SinkProgress(std::string path)
        : path_(std::move(path)) {}
    std::size_t lines() {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path_, ec);
        if (ec || size == 0) {
            return 0;
        }
        if (line_bytes_ == 0) {  // the first complete line (a write may be under way)
            const auto newline = read_file(path_).find('\n');
            if (newline == std::string::npos) {
                return 0;
            }
            line_bytes_ = newline + 1;
        }
        return static_cast<std::size_t>(size / line_bytes_);
    }

private:
    std::string path_;
    std::size_t line_bytes_ = 0;
};

/// Polls (1 ms) until the sink holds `lines` lines or the consumer exits; true when reached.
bool wait_for_sink_lines(SinkProgress& sink, ChildProcess& consumer, std::size_t lines) {
    const auto deadline = Clock::now() + kStepDeadline;
    while (Clock::now() < deadline) {
        if (sink.lines() >= lines) {
            return true;
        }
        if (consumer.wait(0ms)) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return false;
}

/// Polls (5 ms) the file at `path` until it contains `text` `times` times; true when it does.
bool wait_for_text(const std::string& path, const std::string& text, int times = 1) {
    const auto deadline = Clock::now() + kStepDeadline;
    while (Clock::now() < deadline) {
        const std::string content = read_file(path);
        int seen = 0;
        for (auto at = content.find(text); at != std::string::npos && seen < times;
             at = content.find(text, at + 1)) {
            ++seen;
        }
        if (seen >= times) {
            return true;
        }
        std::this_thread::sleep_for(5ms);
    }
    return false;
}

/// The last `n` lines of `text`.
std::string tail(const std::string& text, int n) {
    std::size_t at = text.size();
    for (int i = 0; i <= n && at != std::string::npos && at > 0; ++i) {
        at = text.rfind('\n', at - 1);
    }
    return at == std::string::npos ? text : text.substr(at + 1);
}

/// "a-b, c, ..." for the sorted indices in `v` (at most 20 ranges).
std::string ranges(const std::vector<int>& v) {
    std::string out;
    int shown = 0;
    for (std::size_t i = 0; i < v.size() && shown < 20; ++shown) {
        std::size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1) {
            ++j;
        }
        out += (out.empty() ? "" : ", ") +
               (i == j ? std::to_string(v[i]) : fmt::format("{}-{}", v[i], v[j]));
        i = j + 1;
    }
    return out;
}

/// Events e000000 .. e(events-1) are each in the sink exactly once and nothing else is, but for
/// `extra` ids (exactly once each); each message of `bad` is dead-lettered at least once, with
/// reason not_json, and nothing outside `bad` and `may_be_bad` is dead-lettered.
void expect_exactly_once(const TempDir& dir,
                         int events,
                         const std::set<std::string>& bad,
                         const std::set<std::string>& may_be_bad = {},
                         const std::vector<std::string>& extra = {},
                         const std::string& sink = "events.jsonl") {
    SCOPED_TRACE(sink);
    const std::map<std::string, int> ids = sink_event_ids(dir.file(sink));
    std::vector<int> missing;
    std::vector<int> repeated;
    for (int e = 0; e < events; ++e) {
        const auto it = ids.find(event_id(e));
        if (it == ids.end()) {
            missing.push_back(e);
        } else if (it->second != 1) {
            repeated.push_back(e);
        }
    }
    EXPECT_TRUE(missing.empty()) << missing.size() << " events missing: " << ranges(missing);
    EXPECT_TRUE(repeated.empty()) << repeated.size() << " events repeated: " << ranges(repeated);
    for (const std::string& id : extra) {
        const auto it = ids.find(id);
        EXPECT_EQ(it == ids.end() ? 0 : it->second, 1) << id;
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(events) + extra.size());
    EXPECT_EQ(read_lines(dir.file(sink)).size(),
              static_cast<std::size_t>(events) + extra.size());

    std::map<std::string, int> reasons;
    const std::map<std::string, int> dead = dead_letters(dir.file("dlq.sqlite3"), &reasons);
    for (const std::string& b : bad) {
        EXPECT_TRUE(dead.contains(b)) << "not dead-lettered: " << b;
    }
    for (const auto& [raw, n] : dead) {
        EXPECT_TRUE(bad.contains(raw) || may_be_bad.contains(raw))
            << "unexpected dead letter: " << raw.substr(0, 200);
    }
    for (const auto& [reason, n] : reasons) {
        EXPECT_EQ(reason, "not_json") << n << " dead letters";
    }
}

/// The seed of the kill moments: GSTREAM_TEST_SEED when set (to reproduce a failure), else
/// random; printed either way.
unsigned test_seed() {
    const char* env = std::getenv("GSTREAM_TEST_SEED");
    const unsigned seed = env != nullptr && *env != '\0' ? static_cast<unsigned>(std::stoul(env))
                                                         : std::random_device{}();
    std::printf("seed=%u\n", seed);
    std::fflush(stdout);
    return seed;
}

// 200,000 events in 20-event envelopes (~10,100 messages of ~3 KiB with the bad and the
// repeated ones), paced at 2,000 messages/s: ~5 s of stream plus the redelivered overlaps.
//
// Why the overlap covers what can be in flight at a SIGKILL: what the process had read but not
// yet appended to its log is at most the frame queue plus the group the pipeline thread took
// from it (2 x source.queue_capacity = 32 messages) plus a partial message in the WebSocket read
// buffer; what the kernel holds is the emulator's send buffer (SO_SNDBUF 64 KiB, which Linux
// doubles) and the consumer's receive buffer (autotuned; not set by the daemon). Measured with
// `ss -tm` on a consumer that could not keep up (debug build): at most ~200 KB in the emulator's
// send queue and ~310 KB in the consumer's receive queue, i.e. ~170 messages. 1,000 messages
// (~3 MiB) is about five times the whole sum; a larger overlap only costs time, as repeats are
// dropped as duplicates: 1,000 x 21 ids stay well inside the 50,000-id de-duplication window.
// The window is smaller than the default because every checkpoint rewrites it whole
// (docs/recovery.md), which dominates the consumer's time in a debug build.
constexpr int kEvents = 200'000;
constexpr int kEventsPerMessage = 20;
constexpr int kRate = 2'000;
constexpr int kOverlap = 1'000;
constexpr int kKills = 10;

/// `kills` SIGKILLs at random sink line counts spread over a stream of `events` events, a
/// restart after each, then a last run to the end: every valid event in each sink exactly once,
/// every bad message dead-lettered.
void kill_and_restart(int events, int kills, int rate, bool second_sink) {
    const auto started = Clock::now();
    TempDir dir;
    const Stream stream = make_stream(events, kEventsPerMessage, 1);
    write_file(dir.file("replay.jsonl"), stream.replay);
    std::printf("stream: %d messages, %d events, %zu not json, %d repeated events\n",
                stream.messages, stream.events, stream.bad.size(), stream.duplicates);

    // Kill k lands at a random sink line count in [5% + s k, 5% + s k + 5%] of the stream, with
    // s = 80% / kills: one in each stretch, the last before 90% of the sink's lines.
    std::mt19937 rng(test_seed());
    std::vector<std::size_t> targets;
    const double stretch = 0.80 / kills;
    for (int k = 0; k < kills; ++k) {
        std::uniform_real_distribution<double> at(0.05 + stretch * k, 0.10 + stretch * k);
        targets.push_back(static_cast<std::size_t>(at(rng) * events));
    }

    auto emulator =
        start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate",
                        std::to_string(rate), "--replay-resume-overlap", std::to_string(kOverlap),
                        "--stay"},
                       dir.file("emulator.log"));
    const std::string config = write_config(dir, {.base_url = emulator.origin(),
                                                  .checkpoint_interval_ms = 500,
                                                  .dedup_window_events = 50'000,
                                                  .second_sink = second_sink});
    // With two sinks the kills follow the second one (either may lead).
    SinkProgress sink(dir.file(second_sink ? "events2.jsonl" : "events.jsonl"));
    for (int k = 0; k < kills; ++k) {
        std::optional<ChildProcess> slot;
        ChildProcess& consumer =
            *start_consumer(slot, config, dir.file(fmt::format("consumer{}.log", k)));
        ASSERT_TRUE(wait_for_sink_lines(sink, consumer, targets[k]))
            << "kill " << k << ": the sink did not reach " << targets[k] << " lines (it has "
            << sink.lines() << ")\n"
            << read_file(dir.file(fmt::format("consumer{}.log", k)));
        consumer.signal(SIGKILL);
        const auto code = consumer.wait(30s);
        ASSERT_EQ(code, 128 + SIGKILL) << read_file(dir.file(fmt::format("consumer{}.log", k)));
        std::printf("kill %d: target=%zu sink_lines=%zu\n", k, targets[k], sink.lines());
    }
    const auto last = run_consumer(config, dir.file("consumer-last.log"), 600s);
    ASSERT_EQ(last.exit_code, 0) << last.log;
    ASSERT_TRUE(last.summary.has_value()) << last.log;
    EXPECT_NE(last.log.find("write-ahead log replayed"), std::string::npos) << last.log;
    const Summary& s = *last.summary;
    EXPECT_EQ(s["received"], s["delivered"] + s["dead_lettered"] + s["filtered"] + s["duplicates"]);
    // --stay: the emulator serves the last run's resend even when it had written the whole
    // stream before the last kill (a slow, sanitized consumer); a signal ends it.
    emulator.process->signal(SIGTERM);
    EXPECT_EQ(emulator.process->wait(30s), 0);

    expect_exactly_once(dir, events, stream.bad);
    if (second_sink) {
        expect_exactly_once(dir, events, stream.bad, {}, {}, "events2.jsonl");
    }
    std::printf("wall time: %.1f s\n",
                std::chrono::duration<double>(Clock::now() - started).count());
}

TEST(WalCrash, TenRandomKillNinesDuringA200kEventStreamLoseNothingAndRepeatNothing) {
    kill_and_restart(kEvents, kKills, kRate, false);
}

// Two sinks: each reads the outbox at its own cursor and has its own commit point.
TEST(WalCrash, FourRandomKillNinesWithTwoSinksLoseNothingAndRepeatNothingInEither) {
    kill_and_restart(40'000, 4, 1'000, true);
}

// SIGTERM while the orderer holds events (a 60 s lateness over instants 100 ms apart holds the
// last 600) and the stream is still running: the drain delivers what the process has, exit 0
// with the summary line; the restart, on the same stream (the emulator resends the last 500
// messages of ~2 KiB: ~1 MiB, more than the socket buffers and the 2 x 16-message frame queue
// can hold), delivers the rest, each event once.
TEST(WalCrash, SigtermMidStreamExitsZeroAndTheNextStartLosesNothing) {
    TempDir dir;
    constexpr int kSigtermEvents = 3'000;
    const Stream stream = make_stream(kSigtermEvents, 1, 100, 2'000);
    write_file(dir.file("replay.jsonl"), stream.replay);
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl"),
                                    "--rate", "1000", "--replay-resume-overlap", "500"},
                                   dir.file("emulator.log"));
    const std::string config = write_config(dir, {.base_url = emulator.origin(),
                                                  .allowed_lateness_ms = 60'000,
                                                  .checkpoint_interval_ms = 20,
                                                  .shutdown_timeout_ms = 100});
    SinkProgress sink(dir.file("events.jsonl"));
    {
        std::optional<ChildProcess> slot;
        ChildProcess& consumer = *start_consumer(slot, config, dir.file("consumer1.log"));
        // 300 lines out: ~900 events received, 600 of them held.
        ASSERT_TRUE(wait_for_sink_lines(sink, consumer, 300))
            << read_file(dir.file("consumer1.log"));
        consumer.signal(SIGTERM);
        std::optional<Summary> summary;
        if (const auto line = consumer.wait_for_log_line("summary:", kStepDeadline)) {
            summary = parse_summary(*line);
        }
        const auto code = consumer.wait(kStepDeadline);
        const std::string log = read_file(dir.file("consumer1.log"));
        ASSERT_EQ(code, 0) << log;
        ASSERT_TRUE(summary.has_value()) << log;
        EXPECT_NE(log.find("signal received, draining"), std::string::npos) << log;
        // The held events were flushed at the drain: the sink is a gap-free prefix of the stream
        // (a delivered event after a held one would have broken it), and the run counted
        // exactly what it wrote: the sink's own summary line (the first line's `delivered` is
        // what reached the outbox; with a 100 ms shutdown timeout a slow cursor may leave the
        // last batches there for the next start).
        const auto ids = sink_event_ids(dir.file("events.jsonl"));
        const auto lines = read_lines(dir.file("events.jsonl")).size();
        EXPECT_NE(log.find(fmt::format("summary sink=events delivered={} rejected=0", lines)),
                  std::string::npos)
            << log;
        EXPECT_LE(static_cast<long long>(lines), (*summary)["delivered"]);
        EXPECT_EQ(ids.size(), lines);
        EXPECT_GT(lines, 300U) << "the held events were not delivered at the drain";
        EXPECT_LT(lines, static_cast<std::size_t>(kSigtermEvents)) << "not mid-stream";
        for (std::size_t e = 0; e < lines; ++e) {
            EXPECT_TRUE(ids.contains(event_id(static_cast<int>(e)))) << e;
        }
        std::printf("sigterm: sink_lines=%zu summary received=%lld delivered=%lld\n", lines,
                    (*summary)["received"], (*summary)["delivered"]);
    }
    const auto second = run_consumer(config, dir.file("consumer2.log"), 600s);
    ASSERT_EQ(second.exit_code, 0) << second.log;
    EXPECT_EQ(emulator.process->wait(30s), 0);
    expect_exactly_once(dir, kSigtermEvents, stream.bad);
}

// The write-ahead log hits RLIMIT_FSIZE (prlimit --fsize): write(2) fails with EFBIG, which the
// daemon handles like ENOSPC (it ignores SIGXFSZ). Messages are padded to ~4 KiB at the
// envelope's top level, which the log keeps and the sink drops, so the log's segment (1 MiB:
// ~250 messages) is the only file to reach the limit: the sink (~250 lines of ~190 bytes), the
// dead-letter queue (2 entries), the checkpoint and the log on stderr stay far below it. With a
// 60 s lateness over instants 100 ms apart the orderer holds every event, so the sink is empty
// at the kill and whatever the restart delivers came from the log. The restart (no limit) reads
// a fresh stream of new traffic only, as after a real outage: the messages the stuck process
// held in memory are gone with it, and that loss is the upstream's to redeliver (docs/recovery.md).
constexpr int kFullDiskEvents = 600;
constexpr int kFileSizeLimit = 1 << 20;

/// The full-disk setup: replay1.jsonl (the padded stream), replay2.jsonl (new traffic n000000..
/// n000009, after it in event time), the emulator serving replay1.
struct FullDisk {
    explicit FullDisk(const TempDir& dir)
        : stream(make_stream(kFullDiskEvents, 1, 100, 4'000)) {
        write_file(dir.file("replay1.jsonl"), stream.replay);
        std::string fresh;
        for (int i = 0; i < 10; ++i) {
            fresh_ids.push_back(fmt::format("n{:06}", i));
            fresh += envelope_message({envelope_event(fresh_ids.back(), 600'000 + i)}) + "\n";
        }
        write_file(dir.file("replay2.jsonl"), fresh);
    }
    Stream stream;
    std::vector<std::string> fresh_ids;
};

/// Starts the consumer under `prlimit --fsize` and waits for its third failed log write (backoff
/// 50 + 100 ms: by then the unpaced emulator has filled the 16-message frame queue too, the
/// state an operator would find). Expects the error line to name wal.dir and the errno.
void start_on_full_disk(const TempDir& dir,
                        const std::string& config,
                        std::optional<ChildProcess>& consumer) {
    consumer.emplace(
        std::vector<std::string>{"/usr/bin/prlimit", fmt::format("--fsize={}", kFileSizeLimit),
                                 GSTREAM_BINARY, "run", "--config", config},
        std::map<std::string, std::string>{}, dir.file("consumer1.log"));
    const std::string failed =
        fmt::format("write-ahead log write failed dir=\"{}\"", dir.file("wal"));
    ASSERT_TRUE(wait_for_text(dir.file("consumer1.log"), failed, 3))
        << read_file(dir.file("consumer1.log"));
    EXPECT_NE(read_file(dir.file("consumer1.log")).find("File too large"), std::string::npos);
}

/// Restarts without the limit on the new traffic only (as after a real outage: what the stuck
/// process held in memory is gone with it, and that loss is the upstream's to redeliver), then
/// checks that the sink holds a gap-free prefix of the stream, each event once, the bad
/// messages of that prefix dead-lettered, the new traffic once.
void restart_and_expect_a_prefix_exactly_once(const TempDir& dir,
                                              const FullDisk& setup,
                                              int min_messages,
                                              bool replay_sink_rejected = false) {
    {
        auto emulator =
            start_emulator({"--protocol", "envelope", "--replay", dir.file("replay2.jsonl")},
                           dir.file("emulator2.log"));
        const std::string config = write_config(dir, {.base_url = emulator.origin(),
                                                      .allowed_lateness_ms = 60'000,
                                                      .checkpoint_interval_ms = 20});
        const auto r = run_consumer(config, dir.file("consumer2.log"), 600s);
        ASSERT_EQ(r.exit_code, 0) << r.log;
        EXPECT_NE(r.log.find("write-ahead log replayed"), std::string::npos) << r.log;
        if (replay_sink_rejected) {  // what an operator does next: `dlq replay`
            const auto [code, out] = run_shell(fmt::format(
                "{} dlq replay --config {} --reason sink_rejected", GSTREAM_BINARY, config));
            ASSERT_EQ(code, 0) << out;
        }
    }
    const auto ids = sink_event_ids(dir.file("events.jsonl"));
    int received = 0;
    for (const auto& [id, n] : ids) {
        if (id[0] == 'e') {
            received = std::max(received, std::stoi(id.substr(1)) + 1);
        }
    }
    std::set<std::string> bad;
    int messages_received = 0;  // events are in message order, one per data message
    for (int i = 0, e = 0; e < received; ++i, ++messages_received) {
        if (i % 97 == 96) {
            bad.insert(fmt::format("not json {}", i));
        } else {
            ++e;
        }
    }
    std::printf("full disk: %d events delivered after the restart (%d of %d messages)\n", received,
                messages_received, setup.stream.messages);
    EXPECT_GE(messages_received, min_messages);
    expect_exactly_once(dir, received, bad, setup.stream.bad, setup.fresh_ids);
}

// The write-ahead log hits RLIMIT_FSIZE (prlimit --fsize): write(2) fails with EFBIG, which the
// daemon handles like ENOSPC (it ignores SIGXFSZ). Messages are padded to ~4 KiB at the
// envelope's top level, which the log keeps and the sink drops, so the log's segment (1 MiB:
// ~250 messages) is the only file to reach the limit: the sink (~250 lines of ~190 bytes), the
// dead-letter queue (2 entries), the checkpoint and the log on stderr stay far below it. With a
// 60 s lateness over instants 100 ms apart the orderer holds every event, so the sink is empty
// at the kill and whatever the restart delivers came from the log.
TEST(WalCrash, FullDiskFailsReadinessAndLosesNothing) {
    if (!std::filesystem::exists("/usr/bin/prlimit")) {
        GTEST_SKIP() << "needs /usr/bin/prlimit (util-linux)";
    }
    TempDir dir;
    const FullDisk setup(dir);
    {
        auto emulator =
            start_emulator({"--protocol", "envelope", "--replay", dir.file("replay1.jsonl")},
                           dir.file("emulator1.log"));
        const std::string config = write_config(dir, {.base_url = emulator.origin(),
                                                      .allowed_lateness_ms = 60'000,
                                                      .checkpoint_interval_ms = 20,
                                                      .admin = true});
        std::optional<ChildProcess> consumer;
        ASSERT_NO_FATAL_FAILURE(start_on_full_disk(dir, config, consumer));
        const auto admin = consumer->wait_for_log_line("admin listening ", kStepDeadline);
        ASSERT_TRUE(admin.has_value()) << read_file(dir.file("consumer1.log"));
        const std::string address = admin->substr(std::string("admin listening ").size());
        const auto ready = http_get(address, "/readyz");
        EXPECT_TRUE(ready.has_value()) << "/readyz did not answer within 10 s";
        if (ready) {
            EXPECT_EQ(ready->status, 503);
            EXPECT_NE(ready->body.find("write-ahead log"), std::string::npos) << ready->body;
        }

        EXPECT_FALSE(consumer->wait(0ms).has_value()) << "the daemon exited on a full disk";
        EXPECT_EQ(read_lines(dir.file("events.jsonl")).size(), 0U) << "the orderer holds all";
        std::uintmax_t wal_bytes = 0;
        for (const auto& f : std::filesystem::directory_iterator(dir.file("wal"))) {
            wal_bytes += f.is_regular_file() ? f.file_size() : 0;
        }
        std::printf("full disk: %ju bytes in the log's folder, the stream has %zu\n", wal_bytes,
                    setup.stream.replay.size());
        consumer->signal(SIGKILL);
        EXPECT_EQ(consumer->wait(30s), 128 + SIGKILL) << "it was still running, not crashed";
    }
    // About 1 MiB of ~4 KiB messages reached the log before the limit; the rest never did.
    restart_and_expect_a_prefix_exactly_once(dir, setup, 150);
}

// SIGTERM while the log cannot be written: docs/recovery.md promises that the signal is served
// (the io thread never blocks on the full queue), that once shutdown_timeout_ms has passed the
// messages waiting for the log are dead-lettered (an error line says so), and that the process
// exits 0 with its summary. The restart and a `dlq replay` then lose nothing of what it had
// taken in.
TEST(WalCrash, SigtermOnAFullDiskExitsAfterTheShutdownTimeout) {
    if (!std::filesystem::exists("/usr/bin/prlimit")) {
        GTEST_SKIP() << "needs /usr/bin/prlimit (util-linux)";
    }
    TempDir dir;
    const FullDisk setup(dir);
    {
        auto emulator =
            start_emulator({"--protocol", "envelope", "--replay", dir.file("replay1.jsonl")},
                           dir.file("emulator1.log"));
        const std::string config = write_config(dir, {.base_url = emulator.origin(),
                                                      .allowed_lateness_ms = 60'000,
                                                      .checkpoint_interval_ms = 20,
                                                      .shutdown_timeout_ms = 500});
        std::optional<ChildProcess> consumer;
        ASSERT_NO_FATAL_FAILURE(start_on_full_disk(dir, config, consumer));
        consumer->signal(SIGTERM);
        const auto code = consumer->wait(30s);
        const std::string log = tail(read_file(dir.file("consumer1.log")), 6);
        ASSERT_TRUE(code.has_value()) << "still running 30 s after SIGTERM; the log ends:\n" << log;
        EXPECT_EQ(*code, 0) << log;
        EXPECT_NE(log.find("dead-lettering them"), std::string::npos) << log;
    }
    // The messages the log could not take before the deadline are in the dead-letter queue,
    // for `dlq replay`, with a detail that says why.
    std::map<std::string, int> reasons;
    const auto dead = dead_letters(dir.file("dlq.sqlite3"), &reasons);
    EXPECT_GE(reasons["sink_rejected"], 1) << "nothing dead-lettered at shutdown";
    restart_and_expect_a_prefix_exactly_once(dir, setup, 150, true);
}

}  // namespace
}  // namespace gstream::testing

#include "wal/recovery.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../support/child_process.hpp"
#include "ops/metrics.hpp"
#include "pipeline/decoder.hpp"

namespace gstream::wal {
namespace {

using gstream::testing::TempDir;

class MemoryDeadLetters final : public pipeline::DeadLetterWriter {
public:
    void write(std::vector<pipeline::Rejection>& rejections) override {
        for (auto& r : rejections) {
            entries.push_back(std::string(core::reason_name(r.reason)) + " " + r.raw);
        }
    }
    std::vector<std::string> entries;
};

std::string ev(const std::string& id, int second) {
    return R"({"id":")" + id + R"(","timestamp":"2024-05-01T10:00:0)" + std::to_string(second) +
           R"(Z","eventType":"acd.start","data":{"conversationId":"c","queueId":"q"}})";
}

std::string envelope(const std::vector<std::string>& events) {
    std::string s = R"({"subscriptionId":"s","events":[)";
    for (std::size_t i = 0; i < events.size(); ++i) {
        s += (i ? "," : "") + events[i];
    }
    return s + "]}";
}

// One daemon run: WAL + checkpoint + a pipeline writing to a real file sink.
struct DaemonRun {
    DaemonRun(const std::string& wal_dir, const std::string& sink_path, MemoryDeadLetters& dead)
        : recovery(options(wal_dir), {{"file", sink_path}}, metrics) {
        auto s = std::make_unique<sink::file::FileSink>(
            sink::file::FileSinkConfig{sink_path, sink::file::FsyncPolicy::kNever, 1000});
        file = s.get();
        std::vector<std::unique_ptr<sink::Sink>> sinks;
        sinks.push_back(std::move(s));
        driver = std::make_unique<pipeline::SinkDriver>(
            std::move(sinks), pipeline::SinkDriverOptions{}, [] { return true; });
        pipeline::PipelineOptions po;
        po.allowed_lateness_ms = 1000;
        po.batch.max_events = 1;
        pipe = std::make_unique<pipeline::Pipeline>(po, pipeline::Validator{},
                                                    pipeline::Filter({}, {}, {}), *driver, dead);
        recovery.attach(*pipe, {file}, dead, nullptr, 0);
        recovery.start(frames, [] { return false; });
    }
    ~DaemonRun() {  // a crash: no drain, no checkpoint; the writer's thread ends
        frames.close();
        recovery.stop();
    }
    static RecoveryOptions options(const std::string& dir) {
        RecoveryOptions o;
        o.wal.dir = dir;
        o.checkpoint_interval_ms = 1'000'000;
        return o;
    }
    // The source queues `payloads`; the pipeline reads them back from the log.
    void receive(std::vector<std::string> payloads, std::int64_t now_ms) {
        const std::uint64_t target = recovery.read_position() + payloads.size();
        for (std::string& p : payloads) {
            frames.push_nowait({std::move(p), 0});
        }
        pump_until(recovery, target, now_ms);
    }
    // Reads the last run's records (the backlog). Returns how many reached the pipeline.
    std::size_t replay(std::int64_t now_ms) {
        std::size_t n = 0;
        for (;;) {
            const std::uint64_t before = recovery.read_position();
            n += recovery.pump(std::chrono::steady_clock::now(), [now_ms] { return now_ms; });
            if (recovery.read_position() == before) {
                return n;
            }
        }
    }
    static void pump_until(Recovery& recovery, std::uint64_t target, std::int64_t now_ms) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (recovery.read_position() < target && std::chrono::steady_clock::now() < deadline) {
            recovery.pump(std::chrono::steady_clock::now() + std::chrono::seconds(1),
                          [now_ms] { return now_ms; });
        }
        ASSERT_EQ(recovery.read_position(), target);
    }

    ops::Metrics metrics{"test"};
    pipeline::FrameQueue frames{100};
    Recovery recovery;
    sink::file::FileSink* file = nullptr;
    std::unique_ptr<pipeline::SinkDriver> driver;
    std::unique_ptr<pipeline::Pipeline> pipe;
};

std::map<std::string, int> ids_in(const std::string& path) {
    std::map<std::string, int> ids;
    for (const std::string& line : gstream::testing::read_lines(path)) {
        const auto start = line.find("\"id\":\"") + 6;
        ids[line.substr(start, line.find('"', start) - start)]++;
    }
    return ids;
}

TEST(CheckpointFormat, RoundTripAndDamageDetected) {
    Checkpoint c;
    c.next_sequence = 17;
    c.sinks.push_back({"main", "out/with space.jsonl", 1234});
    c.seen.push_back({"id-1", 50});
    c.seen.push_back({"", 0});
    const std::string text = format_checkpoint(c);
    Checkpoint back;
    ASSERT_TRUE(parse_checkpoint(text, back));
    EXPECT_EQ(back.next_sequence, 17u);
    ASSERT_EQ(back.sinks.size(), 1u);
    EXPECT_EQ(back.sinks[0].name, "main");
    EXPECT_EQ(back.sinks[0].path, "out/with space.jsonl");
    EXPECT_EQ(back.sinks[0].size, 1234);
    ASSERT_EQ(back.seen.size(), 2u);
    EXPECT_EQ(back.seen[0].id, "id-1");
    EXPECT_EQ(back.seen[0].age_ms, 50);
    EXPECT_EQ(back.seen[1].id, "");
    std::string damaged = text;
    damaged[text.find("17")] = '9';
    EXPECT_FALSE(parse_checkpoint(damaged, back));
    EXPECT_FALSE(parse_checkpoint(text.substr(0, text.size() - 3), back));
}

TEST(CheckpointFormat, CursorsAndOutboxEndRoundTrip) {
    Checkpoint c;
    c.next_sequence = 3;
    c.outbox_end = 42;
    c.sinks.push_back({"a", "a.jsonl", 10, 40});
    c.sinks.push_back({"kafka", "", 0, 7});
    c.sinks.push_back({"b", "b c.jsonl", 20, 0});
    const std::string text = format_checkpoint(c);
    Checkpoint back;
    ASSERT_TRUE(parse_checkpoint(text, back));
    EXPECT_EQ(back.outbox_end, 42u);
    ASSERT_EQ(back.sinks.size(), 3u);
    EXPECT_EQ(back.sinks[0].cursor, 40u);
    EXPECT_EQ(back.sinks[1].name, "kafka");
    EXPECT_EQ(back.sinks[1].path, "");
    EXPECT_EQ(back.sinks[1].cursor, 7u);
    EXPECT_EQ(back.sinks[2].name, "b");
    EXPECT_EQ(back.sinks[2].path, "b c.jsonl");
    EXPECT_EQ(back.sinks[2].size, 20);
    EXPECT_EQ(back.sinks[2].cursor, 0u);
    EXPECT_EQ(back.position_of({"kafka", ""}), &back.sinks[1]);
    EXPECT_EQ(back.position_of({"b", "elsewhere.jsonl"}), &back.sinks[2]);  // by name
    EXPECT_EQ(back.position_of({"new", "a.jsonl"}), nullptr);  // a path alone is no key
}

// A checkpoint of format 1 (before sinks had names) keyed positions by the file's path: read,
// each position is found by its path, and the next checkpoint is written by name.
TEST(CheckpointFormat, PathKeyedFormatOneIsReadAndMatchedByPath) {
    std::string text = "gstream-checkpoint 1\nnext_sequence 5\noutbox_end 9\n"
                       "sink 120 out/a b.jsonl\ncursor 8 out/a b.jsonl\nsink 0 out/c.jsonl\n"
                       "seen 10 id-1\n";
    text += fmt::format("end {:08x}\n", crc32c(0, text.data(), text.size()));
    Checkpoint c;
    ASSERT_TRUE(parse_checkpoint(text, c));
    EXPECT_EQ(c.next_sequence, 5u);
    EXPECT_EQ(c.outbox_end, 9u);
    ASSERT_EQ(c.sinks.size(), 2u);
    const Checkpoint::SinkPosition* a = c.position_of({"events", "out/a b.jsonl"});
    ASSERT_EQ(a, &c.sinks[0]);
    EXPECT_EQ(a->size, 120);
    EXPECT_EQ(a->cursor, 8u);
    EXPECT_EQ(c.position_of({"other", "out/c.jsonl"}), &c.sinks[1]);
    EXPECT_EQ(c.position_of({"events", "out/new.jsonl"}), nullptr);
    ASSERT_EQ(c.seen.size(), 1u);
    EXPECT_TRUE(format_checkpoint(c).starts_with("gstream-checkpoint 2\n"));
}

// An upgrade: the file sink's lines after a format-1 checkpoint are cut back by its path, and
// the next checkpoint records the sink by name.
TEST(Recovery, APathKeyedCheckpointIsMigratedToNames) {
    TempDir dir;
    const std::string wal_dir = dir.file("wal");
    const std::string sink_path = dir.file("out.jsonl");
    std::filesystem::create_directories(wal_dir);
    std::ofstream(sink_path, std::ios::binary) << "line one\nline two\n";
    std::string text = "gstream-checkpoint 1\nnext_sequence 0\nsink 9 " + sink_path + "\n";
    text += fmt::format("end {:08x}\n", crc32c(0, text.data(), text.size()));
    std::ofstream(wal_dir + "/checkpoint", std::ios::binary) << text;
    MemoryDeadLetters dead;
    DaemonRun run(wal_dir, sink_path, dead);
    EXPECT_EQ(gstream::testing::read_file(sink_path), "line one\n");
    ASSERT_TRUE(run.recovery.checkpoint(10));
    Checkpoint c;
    ASSERT_TRUE(parse_checkpoint(gstream::testing::read_file(wal_dir + "/checkpoint"), c));
    ASSERT_EQ(c.sinks.size(), 1u);
    EXPECT_EQ(c.sinks[0].name, "file");
    EXPECT_EQ(c.sinks[0].path, sink_path);
    EXPECT_EQ(c.sinks[0].size, 9);
}

// A crash after a checkpoint: lines written after it are cut, the log replays the rest, and
// every valid event ends in the sink exactly once; the bad message is dead-lettered again.
TEST(Recovery, CrashAfterCheckpointDeliversEveryEventExactlyOnce) {
    TempDir dir;
    const std::string wal_dir = dir.file("wal");
    const std::string sink_path = dir.file("out.jsonl");
    MemoryDeadLetters dead1;
    {
        DaemonRun run(wal_dir, sink_path, dead1);
        run.receive({envelope({ev("e1", 1), ev("e2", 2)}), envelope({ev("e3", 5)})}, 10);
        run.receive({"not json", envelope({ev("e1", 1), ev("e4", 5)})}, 20);
        // e1, e2 delivered (below the watermark 5s - 1s); e3, e4 held in the orderer.
        EXPECT_EQ(ids_in(sink_path), (std::map<std::string, int>{{"e1", 1}, {"e2", 1}}));
        ASSERT_TRUE(run.recovery.checkpoint(30));
        EXPECT_EQ(dead1.entries, std::vector<std::string>{"not_json not json"});
        // After the checkpoint: e5 arrives, e3 is released by processing time and written,
        // then the process dies (no drain, no checkpoint).
        run.receive({envelope({ev("e5", 7)})}, 1100);
        EXPECT_EQ(ids_in(sink_path)["e3"], 1);
    }
    {
        // The commit point: message 1 (e3) is the first incomplete one.
        std::ifstream in(wal_dir + "/checkpoint");
        std::string header, next;
        std::getline(in, header);
        std::getline(in, next);
        EXPECT_EQ(next, "next_sequence 1");
    }
    MemoryDeadLetters dead2;
    DaemonRun run(wal_dir, sink_path, dead2);
    // The stray e3 line (written after the checkpoint) is gone before replay.
    EXPECT_EQ(ids_in(sink_path), (std::map<std::string, int>{{"e1", 1}, {"e2", 1}}));
    EXPECT_EQ(run.replay(2000), 4u);  // messages 1..4
    run.pipe->drain(3000);
    ASSERT_TRUE(run.recovery.checkpoint(3000));
    EXPECT_EQ(ids_in(sink_path),
              (std::map<std::string, int>{{"e1", 1}, {"e2", 1}, {"e3", 1}, {"e4", 1}, {"e5", 1}}));
    EXPECT_EQ(dead2.entries, std::vector<std::string>{"not_json not json"});
    EXPECT_EQ(run.pipe->counts().duplicates.load(), 1u);  // the second e1, remembered
}

TEST(Recovery, CorruptRecordIsDeadLetteredAsWalCorrupt) {
    TempDir dir;
    const std::string wal_dir = dir.file("wal");
    const std::string sink_path = dir.file("out.jsonl");
    MemoryDeadLetters dead1;
    {
        DaemonRun run(wal_dir, sink_path, dead1);
        run.receive({envelope({ev("e1", 1)}), envelope({ev("e2", 2)})}, 10);
    }
    {
        std::fstream f(wal_dir + "/wal-00000000000000000000.log",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(kHeaderBytes + 10));
        f.put('#');  // inside e1's payload
    }
    MemoryDeadLetters dead2;
    DaemonRun run(wal_dir, sink_path, dead2);
    EXPECT_EQ(run.replay(100), 1u);
    run.pipe->drain(200);
    ASSERT_EQ(dead2.entries.size(), 1u);
    EXPECT_TRUE(dead2.entries[0].starts_with("wal_corrupt {\"subscrip#ionId\""))
        << dead2.entries[0];
    EXPECT_EQ(ids_in(sink_path), (std::map<std::string, int>{{"e2", 1}}));
    const std::string metrics = run.metrics.serialize();
    EXPECT_NE(metrics.find("genesys_stream_wal_corrupt_records_total 1"), std::string::npos);
    EXPECT_NE(metrics.find(R"(genesys_stream_events_dead_lettered_total{reason="wal_corrupt"} 1)"),
              std::string::npos);
}

class AlwaysRetrySink final : public sink::Sink {
public:
    std::string_view name() const override { return "retry"; }
    sink::SinkResult write_batch(std::span<const core::Event>) override {
        return sink::SinkResult::kRetry;
    }
};

class AlwaysRejectSink final : public sink::Sink {
public:
    std::string_view name() const override { return "reject"; }
    sink::SinkResult write_batch(std::span<const core::Event>) override {
        return sink::SinkResult::kReject;
    }
    std::string last_error() const override { return "no such topic"; }
};

// Several sinks: each reads the outbox at its own cursor. One rejects everything (dead-lettered
// for that sink, with the events' own bytes), the other gets every event; the checkpoint
// records both cursors at the outbox's end, and the next start has nothing to deliver again.
TEST(Recovery, SeveralSinksEachHaveTheirOwnCursor) {
    TempDir dir;
    const std::string wal_dir = dir.file("wal");
    const std::string sink_path = dir.file("out.jsonl");
    RecoveryOptions o = DaemonRun::options(wal_dir);
    o.per_sink_cursors = true;
    std::vector<std::string> rejected;
    std::mutex mutex;
    auto dead_letter = [&](std::vector<pipeline::Rejection>& rs) {
        std::lock_guard lock(mutex);
        for (const pipeline::Rejection& r : rs) {
            rejected.push_back(std::string(core::reason_name(r.reason)) + " " +
                               std::string(r.stage) + " " + r.raw);
        }
        return true;
    };
    MemoryDeadLetters dead;
    {
        ops::Metrics metrics("test");
        Recovery recovery(o, {{"reject", ""}, {"file", sink_path}}, metrics);
        ASSERT_NE(recovery.outbox(), nullptr);
        std::vector<std::unique_ptr<sink::Sink>> sinks;
        sinks.push_back(std::make_unique<AlwaysRejectSink>());
        auto file = std::make_unique<sink::file::FileSink>(
            sink::file::FileSinkConfig{sink_path, sink::file::FsyncPolicy::kNever, 1000});
        sink::file::FileSink* file_ptr = file.get();
        sinks.push_back(std::move(file));
        recovery.set_sinks(std::move(sinks), {nullptr, file_ptr}, dead_letter);
        pipeline::PipelineOptions po;
        po.batch.max_events = 2;
        pipeline::Pipeline pipe(po, pipeline::Validator{}, pipeline::Filter({}, {}, {}),
                                *recovery.outbox(), dead);
        recovery.attach(pipe, {}, dead, nullptr, 0);
        pipeline::FrameQueue frames(10);
        recovery.start(frames, [] { return false; });
        frames.push_nowait({envelope({ev("e1", 1), ev("e2", 2)}), 0});
        frames.push_nowait({envelope({ev("e3", 3)}), 0});
        DaemonRun::pump_until(recovery, 2, 5);
        pipe.drain(10);
        recovery.finish_delivery();
        ASSERT_TRUE(recovery.checkpoint(10));
        frames.close();
        recovery.stop();
        EXPECT_EQ(pipe.counts().delivered.load(), 3u);
    }
    EXPECT_EQ(ids_in(sink_path), (std::map<std::string, int>{{"e1", 1}, {"e2", 1}, {"e3", 1}}));
    EXPECT_EQ(rejected, (std::vector<std::string>{"sink_rejected sink " + ev("e1", 1),
                                                  "sink_rejected sink " + ev("e2", 2),
                                                  "sink_rejected sink " + ev("e3", 3)}));
    Checkpoint c;
    ASSERT_TRUE(parse_checkpoint(gstream::testing::read_file(wal_dir + "/checkpoint"), c));
    EXPECT_EQ(c.next_sequence, 2u);
    EXPECT_EQ(c.outbox_end, 2u);  // two batches
    ASSERT_EQ(c.sinks.size(), 2u);
    EXPECT_EQ(c.sinks[0].cursor, 2u);
    EXPECT_EQ(c.sinks[1].cursor, 2u);
    EXPECT_EQ(c.sinks[0].name, "reject");
    EXPECT_EQ(c.sinks[1].name, "file");
    EXPECT_EQ(c.sinks[1].path, sink_path);
}

// A run with several sinks left one behind; the next start has only that sink configured: its
// batches still in the outbox are delivered first (the cursor mode stays on until it catches up).
TEST(Recovery, ASinkBehindTheOutboxCatchesUpWhenItIsTheOnlyOneLeft) {
    TempDir dir;
    const std::string wal_dir = dir.file("wal");
    const std::string sink_path = dir.file("a.jsonl");
    {
        auto message = std::make_shared<core::Message>();
        message->payload = envelope({ev("e1", 1)});
        pipeline::EnvelopeDecoder decoder;
        pipeline::DecodeOutput out;
        decoder.decode(std::move(message), out);
        WalOptions o;
        o.dir = wal_dir + "/outbox";
        Outbox outbox(o, nullptr);
        ASSERT_EQ(outbox.deliver(out.events).delivered, 1u);
        ASSERT_FALSE(outbox.sync());
        Checkpoint c;
        c.outbox_end = 1;
        c.sinks.push_back({"file", sink_path, 0, 0});
        c.sinks.push_back({"b", dir.file("b.jsonl"), 0, 1});
        std::ofstream(wal_dir + "/checkpoint", std::ios::binary) << format_checkpoint(c);
    }
    ops::Metrics metrics("test");
    Recovery recovery(DaemonRun::options(wal_dir), {{"file", sink_path}}, metrics);
    ASSERT_NE(recovery.outbox(), nullptr);
    auto file = std::make_unique<sink::file::FileSink>(
        sink::file::FileSinkConfig{sink_path, sink::file::FsyncPolicy::kNever, 1000});
    sink::file::FileSink* file_ptr = file.get();
    std::vector<std::unique_ptr<sink::Sink>> sinks;
    sinks.push_back(std::move(file));
    recovery.set_sinks(std::move(sinks), {file_ptr},
                       [](std::vector<pipeline::Rejection>&) { return true; });
    MemoryDeadLetters dead;
    pipeline::Pipeline pipe({}, pipeline::Validator{}, pipeline::Filter({}, {}, {}),
                            *recovery.outbox(), dead);
    recovery.attach(pipe, {}, dead, nullptr, 0);
    pipeline::FrameQueue frames(10);
    recovery.start(frames, [] { return false; });
    frames.close();
    recovery.finish_delivery();
    recovery.stop();
    EXPECT_EQ(ids_in(sink_path), (std::map<std::string, int>{{"e1", 1}}));
}

// SIGTERM past shutdown_timeout_ms with a failing sink: the batch is neither delivered nor
// dead-lettered; it stays in the log and the next start delivers it.
TEST(Recovery, EventsNotDeliveredBeforeShutdownStayInTheLog) {
    TempDir dir;
    const std::string wal_dir = dir.file("wal");
    const std::string sink_path = dir.file("out.jsonl");
    MemoryDeadLetters dead1;
    {
        ops::Metrics metrics("test");
        Recovery recovery(DaemonRun::options(wal_dir), {}, metrics);
        std::vector<std::unique_ptr<sink::Sink>> sinks;
        sinks.push_back(std::make_unique<AlwaysRetrySink>());
        pipeline::SinkDriver driver(std::move(sinks), {}, [] { return true; });
        pipeline::PipelineOptions po;
        po.batch.max_events = 1;
        pipeline::Pipeline pipe(po, pipeline::Validator{}, pipeline::Filter({}, {}, {}), driver,
                                dead1);
        recovery.attach(pipe, {}, dead1, nullptr, 0);
        pipeline::FrameQueue frames(10);
        recovery.start(frames, [] { return false; });
        frames.push_nowait({envelope({ev("e1", 1)}), 0});
        frames.push_nowait({"not json", 0});
        DaemonRun::pump_until(recovery, 2, 5);
        pipe.drain(10);
        ASSERT_TRUE(recovery.checkpoint(10));
        frames.close();
        recovery.stop();
        EXPECT_EQ(pipe.counts().delivered.load(), 0u);
        EXPECT_EQ(pipe.counts().dead_lettered.load(), 1u);  // only the bad message
    }
    EXPECT_EQ(dead1.entries, std::vector<std::string>{"not_json not json"});
    MemoryDeadLetters dead2;
    DaemonRun run(wal_dir, sink_path, dead2);
    EXPECT_EQ(run.recovery.loaded().next_sequence, 0u);
    EXPECT_EQ(run.replay(100), 2u);
    run.pipe->drain(200);
    EXPECT_EQ(ids_in(sink_path), (std::map<std::string, int>{{"e1", 1}}));
}

// A full disk (RLIMIT_FSIZE in a child process; write(2) fails with EFBIG): healthy() turns false
// (the /readyz failure) while the log cannot be written, the error is logged, and the messages
// wait in memory: once the limit is lifted they are logged and delivered.
TEST(Recovery, FullDiskIsUnhealthyAndLosesNothing) {
    TempDir dir;
    const std::string wal_dir = dir.file("wal");
    const std::string sink_path = dir.file("out.jsonl");
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        MemoryDeadLetters dead;
        rlimit lim{};
        ::getrlimit(RLIMIT_FSIZE, &lim);
        std::atomic<int> calls{0};
        std::atomic<bool> unhealthy_seen{false};
        ops::Metrics metrics("test");
        Recovery recovery(DaemonRun::options(wal_dir), {}, metrics);
        pipeline::SinkDriver driver(
            [&] {
                std::vector<std::unique_ptr<sink::Sink>> sinks;
                sinks.push_back(std::make_unique<sink::file::FileSink>(sink::file::FileSinkConfig{
                    sink_path, sink::file::FsyncPolicy::kNever, 1000}));
                return sinks;
            }(),
            {}, [] { return true; });
        pipeline::PipelineOptions po;
        po.batch.max_events = 1;
        pipeline::Pipeline pipe(po, pipeline::Validator{}, pipeline::Filter({}, {}, {}), driver,
                                dead);
        recovery.attach(pipe, {}, dead, nullptr, 0);
        rlimit small = lim;
        small.rlim_cur = 50;
        ::setrlimit(RLIMIT_FSIZE, &small);
        pipeline::FrameQueue frames(10);
        // Called by the writer's thread after each failed write.
        recovery.start(frames, [&] {
            unhealthy_seen = unhealthy_seen || !recovery.healthy();
            if (++calls == 2) {
                ::setrlimit(RLIMIT_FSIZE, &lim);  // space again
            }
            return false;
        });
        frames.push_nowait({envelope({ev("e1", 1)}), 0});
        DaemonRun::pump_until(recovery, 1, 5);
        frames.close();
        recovery.stop();
        pipe.drain(5000);
        const bool delivered = ids_in(sink_path) == std::map<std::string, int>{{"e1", 1}};
        ::_exit(!unhealthy_seen       ? 10
                : calls != 2          ? 11
                : !recovery.healthy() ? 12
                : !delivered          ? 13
                                      : 0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    // What was logged after the disk came back is complete: a restart replays exactly it.
    MemoryDeadLetters dead;
    DaemonRun run(wal_dir, sink_path, dead);
    EXPECT_EQ(run.replay(100), 1u);
}

}  // namespace
}  // namespace gstream::wal

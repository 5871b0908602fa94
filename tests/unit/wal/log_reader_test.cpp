#include "wal/log_reader.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../../support/child_process.hpp"
#include "log_records.hpp"
#include "ops/metrics.hpp"
#include "pipeline/frame_queue.hpp"
#include "wal/log_writer.hpp"

namespace gstream::wal {
namespace {

namespace fs = std::filesystem;
using gstream::testing::TempDir;

using testing::Seen;

std::unique_ptr<WriteAheadLog> open_log(const std::string& dir, std::uint64_t segment_bytes) {
    boost::system::error_code ec;
    WalOptions o;
    o.dir = dir;
    o.segment_bytes = segment_bytes;
    o.fsync = FsyncPolicy::kNever;
    auto log = WriteAheadLog::open(o, ec);
    EXPECT_FALSE(ec) << ec.message();
    return log;
}

std::string payload(int i) {
    return "message-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 50), 'x');
}

// 300 records over many small segments, read with a chunk smaller than most records: every
// record once, in order, each payload byte for byte; `end` stops the reader exactly.
TEST(LogReader, ReadsEveryRecordInOrderAcrossSegmentsAndChunks) {
    TempDir dir;
    auto log = open_log(dir.path(), 2000);
    for (int i = 0; i < 300; ++i) {
        log->append(payload(i), 1000 + i);
        if (i % 10 == 9) {
            ASSERT_FALSE(log->sync());
        }
    }
    ASSERT_FALSE(log->sync());
    ASSERT_GT(log->segments(), 5u);
    LogReader reader(dir.path(), 0, 40);
    auto first = testing::read_records(reader, 120);
    EXPECT_EQ(reader.next(), 120u);
    auto rest = testing::read_records(reader, 300, 1000);
    first.insert(first.end(), rest.begin(), rest.end());
    ASSERT_EQ(first.size(), 300u);
    for (int i = 0; i < 300; ++i) {
        EXPECT_EQ(first[static_cast<std::size_t>(i)].sequence, static_cast<std::uint64_t>(i));
        EXPECT_EQ(first[static_cast<std::size_t>(i)].payload, payload(i));
        EXPECT_FALSE(first[static_cast<std::size_t>(i)].corrupt);
    }
}

// Starting at a checkpoint in the middle of a segment skips what is below it; segments
// released behind the reader do not disturb it.
TEST(LogReader, StartsMidSegmentAndSurvivesReleasedSegments) {
    TempDir dir;
    auto log = open_log(dir.path(), 1000);
    for (int i = 0; i < 100; ++i) {
        log->append(payload(i), 0);
        ASSERT_FALSE(log->sync());
    }
    LogReader reader(dir.path(), 37);
    auto seen = testing::read_records(reader, 60);
    ASSERT_EQ(seen.size(), 23u);
    EXPECT_EQ(seen.front().sequence, 37u);
    ASSERT_FALSE(log->release_through(59));
    seen = testing::read_records(reader, 100);
    ASSERT_EQ(seen.size(), 40u);
    EXPECT_EQ(seen.front().sequence, 60u);
    EXPECT_EQ(seen.back().payload, payload(99));
}

// A damaged record in the middle of a segment: reported corrupt with its bytes and position,
// every other record still read once.
TEST(LogReader, DamagedRecordIsReportedAndSkipped) {
    TempDir dir;
    std::uint64_t offset_of_5 = 0;
    {
        auto log = open_log(dir.path(), 1 << 20);
        for (int i = 0; i < 10; ++i) {
            if (i == 5) {
                ASSERT_FALSE(log->sync());
                offset_of_5 = log->bytes();
            }
            log->append(payload(i), 0);
        }
        ASSERT_FALSE(log->sync());
    }
    {
        std::fstream f(dir.file("wal-00000000000000000000.log"),
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(offset_of_5 + kHeaderBytes + 2));
        f.put('#');
    }
    LogReader reader(dir.path(), 0, 64);
    const auto seen = testing::read_records(reader, 10);
    ASSERT_EQ(seen.size(), 10u);
    for (int i = 0; i < 10; ++i) {
        const Seen& s = seen[static_cast<std::size_t>(i)];
        EXPECT_EQ(s.sequence, static_cast<std::uint64_t>(i));
        EXPECT_EQ(s.corrupt, i == 5);
        if (i == 5) {
            EXPECT_EQ(s.payload, "me#sage-5xxxxx");
            EXPECT_NE(s.detail.find("checksum mismatch in wal-00000000000000000000.log at offset " +
                                    std::to_string(offset_of_5)),
                      std::string::npos)
                << s.detail;
        } else {
            EXPECT_EQ(s.payload, payload(i));
        }
    }
}

// The writer's thread logs what a producer queues while the reader follows the durable
// sequence: every message once, in order (run under TSan too).
TEST(LogWriter, ReaderFollowsTheWriterThread) {
    TempDir dir;
    auto log = open_log(dir.path(), 64 * 1024);
    ops::Metrics metrics("test");
    pipeline::FrameQueue frames(64);
    LogWriter writer(*log, frames, metrics, [] { return false; });
    writer.start();
    constexpr int kMessages = 5000;
    std::thread producer([&] {
        for (int i = 0; i < kMessages; ++i) {
            frames.push_nowait({payload(i), 0});
        }
        frames.close();
    });
    LogReader reader(dir.path(), 0, 4096);
    std::vector<std::string> got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!(writer.finished() && reader.next() >= writer.durable()) &&
           std::chrono::steady_clock::now() < deadline) {
        const std::uint64_t end = writer.wait_beyond(
            reader.next(), std::chrono::steady_clock::now() + std::chrono::seconds(1));
        boost::system::error_code ec;
        reader.read(
            end, 100, [&](const WalRecord& r) { got.emplace_back(r.payload); }, ec);
        ASSERT_FALSE(ec) << ec.message();
        if (reader.next() > 0) {
            writer.release_through(reader.next() - 1);
        }
    }
    producer.join();
    writer.join();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_EQ(got[static_cast<std::size_t>(i)], payload(i)) << i;
    }
    EXPECT_TRUE(writer.take_unlogged().empty());
    EXPECT_LE(log->segments(), 2u);  // released behind the reader
}

}  // namespace
}  // namespace gstream::wal

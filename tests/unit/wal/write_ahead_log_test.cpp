#include "wal/write_ahead_log.hpp"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../support/child_process.hpp"
#include "log_records.hpp"
#include "wal/log_reader.hpp"

namespace gstream::wal {
namespace {

namespace fs = std::filesystem;
using gstream::testing::TempDir;

using testing::Seen;

// Every record from `from` on: the segments through LogReader, then what open() cut off a torn
// tail (the order in which recovery meets them).
std::vector<Seen> replay_all(WriteAheadLog& log, std::uint64_t from = 0) {
    LogReader reader(log.dir(), from);
    std::vector<Seen> out = testing::read_records(reader, log.next_sequence(), SIZE_MAX);
    log.take_torn([&](const WalRecord& r) {
        if (r.sequence >= from) {
            testing::add(out, r);
        }
    });
    return out;
}

std::size_t corrupt_in(const std::vector<Seen>& records) {
    return static_cast<std::size_t>(
        std::count_if(records.begin(), records.end(), [](const Seen& s) { return s.corrupt; }));
}

std::unique_ptr<WriteAheadLog> open_log(const std::string& dir,
                                        std::uint64_t segment_bytes = 1 << 20) {
    boost::system::error_code ec;
    WalOptions o;
    o.dir = dir;
    o.segment_bytes = segment_bytes;
    auto log = WriteAheadLog::open(o, ec);
    EXPECT_FALSE(ec) << ec.message();
    return log;
}

std::vector<std::string> segment_files(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

TEST(Crc32c, KnownVector) {
    // RFC 3720 B.4: CRC-32C of "123456789" is 0xE3069283.
    EXPECT_EQ(crc32c(0, "123456789", 9), 0xE3069283U);
    // RFC 3720 B.4: 32 bytes of zeros, of ones, and ascending 0..31 (the 8-byte steps and the
    // byte tail of the hardware path).
    std::string zeros(32, '\0'), ones(32, '\xFF'), ascending;
    for (int i = 0; i < 32; ++i) {
        ascending.push_back(static_cast<char>(i));
    }
    EXPECT_EQ(crc32c(0, zeros.data(), zeros.size()), 0x8A9136AAU);
    EXPECT_EQ(crc32c(0, ones.data(), ones.size()), 0x62A8AB43U);
    EXPECT_EQ(crc32c(0, ascending.data(), ascending.size()), 0x46DD794EU);
    // Chained over any split: the same as in one call.
    for (std::size_t split = 0; split <= ascending.size(); ++split) {
        EXPECT_EQ(crc32c(crc32c(0, ascending.data(), split), ascending.data() + split,
                         ascending.size() - split),
                  0x46DD794EU)
            << split;
    }
}

TEST(WriteAheadLog, AppendReplayRoundTripAcrossReopen) {
    TempDir dir;
    {
        auto log = open_log(dir.path());
        EXPECT_EQ(log->append("first", 1000), 0u);
        EXPECT_EQ(log->append("second", 1001), 1u);
        EXPECT_FALSE(log->sync());
        EXPECT_EQ(log->bytes(), 2 * kHeaderBytes + 11);
    }
    auto log = open_log(dir.path());
    EXPECT_EQ(log->next_sequence(), 2u);
    EXPECT_EQ(log->append("third", 1002), 2u);
    EXPECT_FALSE(log->sync());
    const auto all = replay_all(*log);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].payload, "first");
    EXPECT_EQ(all[1].payload, "second");
    EXPECT_EQ(all[2].payload, "third");
    EXPECT_EQ(all[2].sequence, 2u);
    const auto tail = replay_all(*log, 1);
    ASSERT_EQ(tail.size(), 2u);
    EXPECT_EQ(tail[0].sequence, 1u);
    EXPECT_EQ(segment_files(dir.path()), std::vector<std::string>{"wal-00000000000000000000.log"});
}

TEST(WriteAheadLog, TornTailIsCutAndTheSequenceGoesOn) {
    TempDir dir;
    const std::string seg = dir.file("wal-00000000000000000000.log");
    {
        auto log = open_log(dir.path());
        log->append("aaaa", 1);
        log->append("bbbbbbbb", 2);
        ASSERT_FALSE(log->sync());
    }
    const auto full = fs::file_size(seg);
    fs::resize_file(seg, full - 3);  // the second record loses its last 3 bytes
    auto log = open_log(dir.path());
    EXPECT_EQ(fs::file_size(seg), kHeaderBytes + 4);
    EXPECT_EQ(log->next_sequence(), 1u);
    const auto all = replay_all(*log);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].payload, "aaaa");
    EXPECT_TRUE(all[1].corrupt);
    EXPECT_EQ(all[1].payload, "");  // incomplete: unrecoverable
    EXPECT_NE(all[1].detail.find("torn"), std::string::npos) << all[1].detail;
    EXPECT_EQ(corrupt_in(all), 1u);
    EXPECT_EQ(log->append("cccc", 3), 1u);
    ASSERT_FALSE(log->sync());
    log.reset();
    auto again = open_log(dir.path());
    const auto after = replay_all(*again);
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[1].payload, "cccc");
    EXPECT_FALSE(after[1].corrupt);
}

TEST(WriteAheadLog, CorruptRecordInTheMiddleIsSkippedAndReportedWithItsBytes) {
    TempDir dir;
    const std::string seg = dir.file("wal-00000000000000000000.log");
    {
        auto log = open_log(dir.path());
        log->append("one", 1);
        log->append("two-payload", 2);
        log->append("three", 3);
        ASSERT_FALSE(log->sync());
    }
    {
        std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(kHeaderBytes + 3 + kHeaderBytes + 4));
        f.put('X');  // "two-Xayload": checksum mismatch
    }
    auto log = open_log(dir.path());
    EXPECT_EQ(log->next_sequence(), 3u);
    const auto all = replay_all(*log);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].payload, "one");
    EXPECT_FALSE(all[0].corrupt);
    EXPECT_TRUE(all[1].corrupt);
    EXPECT_EQ(all[1].payload, "two-Xayload");
    EXPECT_EQ(all[1].sequence, 1u);
    EXPECT_EQ(all[1].detail,
              "checksum mismatch in wal-00000000000000000000.log at offset 31 (39 bytes)");
    EXPECT_EQ(all[2].payload, "three");
    EXPECT_EQ(all[2].sequence, 2u);
    EXPECT_EQ(corrupt_in(all), 1u);
    // A replay from after the damage does not report it again.
    EXPECT_EQ(replay_all(*log, 2).size(), 1u);
}

TEST(WriteAheadLog, GarbageHeaderIsSkippedUnrecoverable) {
    TempDir dir;
    const std::string seg = dir.file("wal-00000000000000000000.log");
    {
        auto log = open_log(dir.path());
        log->append("one", 1);
        log->append("two", 2);
        ASSERT_FALSE(log->sync());
    }
    {
        std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(0);
        f.write("\0\0\0\0", 4);  // the first record's magic is gone
    }
    auto log = open_log(dir.path());
    const auto all = replay_all(*log);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(all[0].corrupt);
    EXPECT_EQ(all[0].payload, "");
    EXPECT_EQ(all[1].payload, "two");
    EXPECT_EQ(all[1].sequence, 1u);
}

TEST(WriteAheadLog, RotationAndReleaseDeleteOnlyFullyReleasedSegments) {
    TempDir dir;
    auto log = open_log(dir.path(), 4096);
    const std::string payload(1500, 'p');
    for (int i = 0; i < 7; ++i) {
        log->append(payload, i);
        ASSERT_FALSE(log->sync());  // one record per sync: a segment closes after 3 records
    }
    EXPECT_EQ(
        segment_files(dir.path()),
        (std::vector<std::string>{"wal-00000000000000000000.log", "wal-00000000000000000003.log",
                                  "wal-00000000000000000006.log"}));
    ASSERT_FALSE(log->release_through(1));  // segment 0 still holds record 2
    EXPECT_EQ(segment_files(dir.path()).size(), 3u);
    ASSERT_FALSE(log->release_through(2));
    EXPECT_EQ(
        segment_files(dir.path()),
        (std::vector<std::string>{"wal-00000000000000000003.log", "wal-00000000000000000006.log"}));
    ASSERT_FALSE(log->release_through(100));  // the active segment stays
    EXPECT_EQ(segment_files(dir.path()), std::vector<std::string>{"wal-00000000000000000006.log"});
    EXPECT_EQ(log->bytes(), kHeaderBytes + 1500);
    log.reset();
    auto again = open_log(dir.path(), 4096);
    EXPECT_EQ(again->next_sequence(), 7u);
    const auto all = replay_all(*again, 6);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].sequence, 6u);
}

TEST(WriteAheadLog, EmptyActiveSegmentKeepsTheSequence) {
    TempDir dir;
    {
        auto log = open_log(dir.path(), 4096);
        log->append(std::string(5000, 'x'), 0);
        ASSERT_FALSE(log->sync());  // closes segment 0, opens an empty segment 1
        ASSERT_FALSE(log->release_through(0));
    }
    EXPECT_EQ(segment_files(dir.path()), std::vector<std::string>{"wal-00000000000000000001.log"});
    auto log = open_log(dir.path(), 4096);
    EXPECT_EQ(log->next_sequence(), 1u);
}

// flush() makes records readable without a sync; discard_unwritten() takes back what was not
// written; truncate_from() removes records across segments and the sequence goes on from there.
TEST(WriteAheadLog, FlushDiscardAndTruncateFrom) {
    TempDir dir;
    auto log = open_log(dir.path(), 4096);
    const std::string payload(1500, 'p');
    for (int i = 0; i < 7; ++i) {
        log->append(payload + std::to_string(i), i);
        ASSERT_FALSE(log->flush());  // a segment closes after 3 records
    }
    EXPECT_EQ(segment_files(dir.path()).size(), 3u);
    {
        LogReader reader(dir.path(), 0);
        EXPECT_EQ(testing::read_records(reader, 7).size(), 7u);
    }
    log->append("unwritten-1", 0);
    log->append("unwritten-2", 0);
    EXPECT_EQ(log->next_sequence(), 9u);
    EXPECT_EQ(log->discard_unwritten(), 2u);
    EXPECT_EQ(log->next_sequence(), 7u);

    ASSERT_FALSE(log->truncate_from(4));  // deletes segment 6, cuts segment 3 after record 3
    EXPECT_EQ(log->next_sequence(), 4u);
    EXPECT_EQ(
        segment_files(dir.path()),
        (std::vector<std::string>{"wal-00000000000000000000.log", "wal-00000000000000000003.log"}));
    log->append("after", 0);
    ASSERT_FALSE(log->sync());
    log.reset();
    auto again = open_log(dir.path(), 4096);
    EXPECT_EQ(again->next_sequence(), 5u);
    const auto all = replay_all(*again, 0);
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[3].payload, payload + "3");
    EXPECT_EQ(all[4].sequence, 4u);
    EXPECT_EQ(all[4].payload, "after");
    EXPECT_EQ(corrupt_in(all), 0u);

    // Below every segment left (older ones released): all go, the log starts again there.
    ASSERT_FALSE(again->release_through(2));
    ASSERT_FALSE(again->truncate_from(1));
    EXPECT_EQ(again->next_sequence(), 1u);
    EXPECT_EQ(segment_files(dir.path()), std::vector<std::string>{"wal-00000000000000000001.log"});
    EXPECT_FALSE(again->truncate_from(5));  // past the end: nothing to do
    EXPECT_EQ(again->next_sequence(), 1u);
}

// A full disk, simulated with RLIMIT_FSIZE in a child process (SIGXFSZ ignored, so write(2)
// fails with EFBIG): sync() reports the error, nothing half-written stays, and the records are
// written once the limit is lifted.
TEST(WriteAheadLog, WriteFailureIsAnErrorAndNothingIsLost) {
    TempDir dir;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        boost::system::error_code ec;
        WalOptions o;
        o.dir = dir.path();
        auto log = WriteAheadLog::open(o, ec);
        if (!log) {
            ::_exit(10);
        }
        log->append("small", 1);
        if (log->sync()) {
            ::_exit(11);
        }
        rlimit lim{};
        ::getrlimit(RLIMIT_FSIZE, &lim);
        rlimit small = lim;
        small.rlim_cur = 100;
        ::setrlimit(RLIMIT_FSIZE, &small);
        log->append(std::string(200, 'b'), 2);
        const auto err = log->sync();
        if (!err) {
            ::_exit(12);
        }
        if (std::filesystem::file_size(dir.path() + "/wal-00000000000000000000.log") !=
            kHeaderBytes + 5) {
            ::_exit(14);
        }
        ::setrlimit(RLIMIT_FSIZE, &lim);
        if (log->sync()) {
            ::_exit(15);
        }
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    auto log = open_log(dir.path());
    const auto all = replay_all(*log);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1].payload, std::string(200, 'b'));
}

}  // namespace
}  // namespace gstream::wal

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "dlq/dead_letter_queue.hpp"

namespace gstream::dlq {
namespace {

namespace fs = std::filesystem;

fs::path make_temp_dir() {
    std::string templ = (fs::temp_directory_path() / "gstream-dlq-ckpt-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return templ;
}

// Enough dead letters to pass the 1000-page checkpoint threshold several times: the background
// checkpoints run while appends go on, nothing is lost, and close still folds the write-ahead
// log back into the database and removes it.
TEST(DeadLetterQueueCheckpoint, ManyAppendsAcrossBackgroundCheckpointsLoseNothing) {
    const fs::path dir = make_temp_dir();
    const std::string path = (dir / "dlq.sqlite3").string();
    constexpr int kBatches = 60;
    constexpr int kPerBatch = 50;
    {
        DeadLetterQueue q = DeadLetterQueue::open(path);
        for (int b = 0; b < kBatches; ++b) {
            std::vector<DeadLetter> batch;
            for (int i = 0; i < kPerBatch; ++i) {
                DeadLetter d;
                d.time_ms = b * kPerBatch + i;
                d.source = "notifications";
                d.stage = "validate";
                d.reason = "schema";
                d.detail = "/eventBody/eventTime: type";
                d.raw = std::string(2000, static_cast<char>('a' + (i % 26)));
                batch.push_back(std::move(d));
            }
            ASSERT_FALSE(q.append(batch)) << "batch " << b;
        }
        EXPECT_EQ(q.backlog(), kBatches * kPerBatch);
        ListFilter last;
        last.since_ms = kBatches * kPerBatch - 1;
        const auto tail = q.list(last);
        ASSERT_EQ(tail.size(), 1U);
        EXPECT_EQ(tail[0].raw, std::string(2000, static_cast<char>('a' + (kPerBatch - 1) % 26)));
    }
    EXPECT_FALSE(fs::exists(path + "-wal"));  // the close checkpointed it all
    {
        DeadLetterQueue q = DeadLetterQueue::open(path);
        EXPECT_EQ(q.backlog(), kBatches * kPerBatch);
        ListFilter all;
        all.limit = 0;
        const auto entries = q.list(all);
        ASSERT_EQ(entries.size(), static_cast<std::size_t>(kBatches * kPerBatch));
        for (std::size_t i = 0; i < entries.size(); ++i) {
            ASSERT_EQ(entries[i].time_ms, static_cast<std::int64_t>(i));
        }
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}

// The checkpoint thread really copies the log back (its connection once ran checkpoints that
// did nothing, because it had not read the database yet and so did not know it was in WAL mode:
// the log then grew until close).
TEST(DeadLetterQueueCheckpoint, TheCheckpointThreadCopiesTheLogBack) {
    const fs::path dir = make_temp_dir();
    const std::string path = (dir / "dlq.sqlite3").string();
    {
        DeadLetterQueue q = DeadLetterQueue::open(path);
        // ~3.2 MB of dead letters: ~800 pages of log, below the 1,000 pages at which the queue
        // starts a checkpoint by itself (one started during the appends would restart the log,
        // and the checkpoint below would then see only what came after: seen under ASan).
        for (int b = 0; b < 16; ++b) {
            std::vector<DeadLetter> batch(50);
            for (DeadLetter& d : batch) {
                d.source = "envelope";
                d.stage = "validate";
                d.reason = "schema";
                d.raw = std::string(4000, 'x');
            }
            ASSERT_FALSE(q.append(batch)) << "batch " << b;
        }
        ASSERT_TRUE(q.checkpoint_and_wait(std::chrono::seconds(60)));
        const DeadLetterQueue::CheckpointResult r = q.last_checkpoint();
        EXPECT_GT(r.log_frames, 700);
        EXPECT_EQ(r.checkpointed_frames, r.log_frames);  // no reader held any frame back
        EXPECT_EQ(q.backlog(), 800);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace gstream::dlq

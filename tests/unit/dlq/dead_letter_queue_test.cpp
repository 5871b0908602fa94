#include "dlq/dead_letter_queue.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace gstream::dlq {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "gstream-dlq-XXXXXX").string();
        if (mkdtemp(templ.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = templ;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Bytes that a text API would mangle: NUL, 0xFF, a lone continuation byte.
const std::string kRawBytes = std::string("{\"a\":\0\xff\x80}", 10);

DeadLetter entry(std::int64_t time_ms, std::string reason, std::string raw = kRawBytes) {
    DeadLetter d;
    d.time_ms = time_ms;
    d.source = "envelope";
    d.stage = "validate";
    d.reason = std::move(reason);
    d.detail = "/data/eventTime: type";
    d.subscription_id = "5f0c1c1e-0000-4000-8000-000000000001";
    d.raw = std::move(raw);
    return d;
}

TEST(DeadLetterQueueTest, AppendGetListRemoveRoundTrip) {
    TempDir dir;
    auto q = DeadLetterQueue::open((dir.path() / "nested" / "dlq.db").string());
    EXPECT_TRUE(fs::exists(dir.path() / "nested" / "dlq.db"));
    EXPECT_EQ(q.backlog(), 0);

    DeadLetter no_sub = entry(2000, "not_json", std::string("\0", 1));
    no_sub.subscription_id.reset();
    no_sub.source = "notifications";
    no_sub.stage = "decode";
    no_sub.detail = "";
    const std::vector<DeadLetter> batch{entry(1000, "schema"), no_sub, entry(3000, "late", "")};
    ASSERT_FALSE(q.append(batch));
    EXPECT_EQ(q.backlog(), 3);

    const auto all = q.list({});
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].id, 1);
    EXPECT_EQ(all[1].id, 2);
    EXPECT_EQ(all[2].id, 3);

    EXPECT_EQ(all[0].time_ms, 1000);
    EXPECT_EQ(all[0].source, "envelope");
    EXPECT_EQ(all[0].stage, "validate");
    EXPECT_EQ(all[0].reason, "schema");
    EXPECT_EQ(all[0].detail, "/data/eventTime: type");
    EXPECT_EQ(all[0].subscription_id,
              std::optional<std::string>("5f0c1c1e-0000-4000-8000-000000000001"));
    EXPECT_EQ(all[0].raw, kRawBytes);
    EXPECT_EQ(all[0].raw.size(), 10u);

    EXPECT_EQ(all[1].raw, std::string("\0", 1));
    EXPECT_EQ(all[1].subscription_id, std::nullopt);
    EXPECT_EQ(all[1].source, "notifications");
    EXPECT_EQ(all[1].stage, "decode");
    EXPECT_EQ(all[1].detail, "");
    EXPECT_EQ(all[2].raw, "");

    const auto one = q.get(2);
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(one->reason, "not_json");
    EXPECT_EQ(one->raw, std::string("\0", 1));
    EXPECT_EQ(q.get(99), std::nullopt);

    const std::array<std::int64_t, 3> ids{1, 3, 42};
    EXPECT_EQ(q.remove(ids), 2);
    EXPECT_EQ(q.backlog(), 1);
    EXPECT_EQ(q.get(1), std::nullopt);
    const auto left = q.list({});
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].id, 2);

    // Ids are never reused, even after the newest entry was removed.
    const std::vector<DeadLetter> more{entry(4000, "schema")};
    ASSERT_FALSE(q.append(more));
    EXPECT_EQ(q.list({}).back().id, 4);
}

TEST(DeadLetterQueueTest, BacklogSurvivesReopen) {
    TempDir dir;
    const std::string path = (dir.path() / "dlq.db").string();
    {
        auto q = DeadLetterQueue::open(path);
        std::vector<DeadLetter> batch;
        for (int i = 0; i < 7; ++i) {
            batch.push_back(entry(i, "schema"));
        }
        ASSERT_FALSE(q.append(batch));
        const std::array<std::int64_t, 2> ids{2, 5};
        ASSERT_EQ(q.remove(ids), 2);
    }
    auto reopened = DeadLetterQueue::open(path);
    EXPECT_EQ(reopened.backlog(), 5);
    EXPECT_EQ(reopened.get(7)->raw, kRawBytes);
}

TEST(DeadLetterQueueTest, ListFilters) {
    TempDir dir;
    auto q = DeadLetterQueue::open((dir.path() / "dlq.db").string());
    const std::vector<DeadLetter> batch{entry(100, "schema"), entry(200, "late"),
                                        entry(300, "schema"), entry(400, "schema"),
                                        entry(500, "late")};
    ASSERT_FALSE(q.append(batch));

    auto ids = [](const std::vector<DeadLetter>& v) {
        std::vector<std::int64_t> out;
        for (const auto& d : v) {
            out.push_back(d.id);
        }
        return out;
    };
    using Ids = std::vector<std::int64_t>;

    ListFilter by_reason;
    by_reason.reason = "schema";
    EXPECT_EQ(ids(q.list(by_reason)), (Ids{1, 3, 4}));

    ListFilter window;
    window.since_ms = 200;  // inclusive
    window.until_ms = 400;  // exclusive
    EXPECT_EQ(ids(q.list(window)), (Ids{2, 3}));

    ListFilter both = window;
    both.reason = "late";
    EXPECT_EQ(ids(q.list(both)), (Ids{2}));

    ListFilter limited;
    limited.limit = 2;
    EXPECT_EQ(ids(q.list(limited)), (Ids{1, 2}));
    limited.after_id = 2;
    EXPECT_EQ(ids(q.list(limited)), (Ids{3, 4}));

    ListFilter unknown;
    unknown.reason = "wal_corrupt";
    EXPECT_TRUE(q.list(unknown).empty());
}

TEST(DeadLetterQueueTest, ObserverSeesEveryChange) {
    TempDir dir;
    auto q = DeadLetterQueue::open((dir.path() / "dlq.db").string());
    std::vector<std::int64_t> seen;
    q.set_backlog_observer([&seen](std::int64_t v) { seen.push_back(v); });
    const std::vector<DeadLetter> batch{entry(1, "schema"), entry(2, "schema")};
    ASSERT_FALSE(q.append(batch));
    ASSERT_FALSE(q.append(std::span<const DeadLetter>(batch).first(1)));
    const std::array<std::int64_t, 1> first{1};
    EXPECT_EQ(q.remove(first), 1);
    EXPECT_EQ(q.remove(first), 0);  // nothing removed: no call
    EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 2, 3, 2}));
}

TEST(DeadLetterQueueTest, UsesWalJournal) {
    TempDir dir;
    const fs::path path = dir.path() / "dlq.db";
    auto q = DeadLetterQueue::open(path.string());
    const std::vector<DeadLetter> batch{entry(1, "schema")};
    ASSERT_FALSE(q.append(batch));
    EXPECT_TRUE(fs::exists(path.string() + "-wal"));
}

TEST(DeadLetterQueueTest, UnwritableLocationNamesThePath) {
    TempDir dir;
    // A regular file where a directory is needed: fails even for root (unlike chmod).
    const fs::path blocker = dir.path() / "not-a-dir";
    std::ofstream(blocker) << "x";
    const std::string path = (blocker / "dlq.db").string();
    try {
        DeadLetterQueue::open(path);
        FAIL() << "open succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("cannot create directory"), std::string::npos)
            << e.what();
    }

    // The path is a directory: SQLite cannot open it.
    const std::string dir_path = dir.path().string();
    try {
        DeadLetterQueue::open(dir_path);
        FAIL() << "open succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(dir_path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("cannot open database"), std::string::npos)
            << e.what();
    }
}

TEST(DeadLetterQueueTest, ConcurrentWritersAreSerialised) {
    TempDir dir;
    auto q = DeadLetterQueue::open((dir.path() / "dlq.db").string());
    std::vector<std::int64_t> seen;  // written under the queue's mutex
    q.set_backlog_observer([&seen](std::int64_t v) { seen.push_back(v); });
    const std::vector<DeadLetter> pair{entry(1, "schema"), entry(2, "late")};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
        writers.emplace_back([&q, &pair] {
            for (int i = 0; i < 25; ++i) {
                EXPECT_FALSE(q.append(pair));
            }
        });
    }
    for (auto& w : writers) {
        w.join();
    }
    EXPECT_EQ(q.backlog(), 200);
    EXPECT_EQ(q.list({.limit = 0}).size(), 200u);
    ASSERT_EQ(seen.size(), 101u);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i], static_cast<std::int64_t>(2 * i));
    }
}

TEST(DeadLetterQueueTest, MovedQueueKeepsWorking) {
    TempDir dir;
    auto q = DeadLetterQueue::open((dir.path() / "dlq.db").string());
    DeadLetterQueue moved = std::move(q);
    const std::vector<DeadLetter> batch{entry(1, "schema")};
    ASSERT_FALSE(moved.append(batch));
    EXPECT_EQ(moved.backlog(), 1);
}

}  // namespace
}  // namespace gstream::dlq

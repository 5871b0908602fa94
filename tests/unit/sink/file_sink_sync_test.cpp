#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../../support/child_process.hpp"
#include "sink/file/file_sink.hpp"

namespace gstream::sink::file {
namespace {

using gstream::testing::TempDir;

// One event whose data carries `filler` bytes, so a few batches pass the writeback threshold.
core::Event make_event(int n, std::size_t filler) {
    auto message = std::make_shared<core::Message>();
    message->payload = "{\"id\":\"e" + std::to_string(n) +
                       "\",\"eventType\":\"acd.start\",\"data\":{\"note\":\"" +
                       std::string(filler, 'x') + "\"}}";
    EXPECT_TRUE(message->doc.parse_in_place(message->payload));
    core::Event e;
    e.value = message->doc.root();
    e.id = e.value.find("id");
    e.event_type = e.value.find("eventType");
    e.kind = e.event_type.get_string();
    e.data = e.value.find("data");
    e.message = std::move(message);
    return e;
}

// The interval policy syncs (and starts writebacks) on its own thread: every batch is in the
// file, in order, when write_batch() returns, and flush() and close still sync.
TEST(FileSinkSync, IntervalSyncsInTheBackgroundWithoutLosingOrReorderingLines) {
    TempDir dir;
    const std::string path = dir.file("out.jsonl");
    std::string expected;
    {
        FileSink sink({path, FsyncPolicy::kInterval, 0});  // every batch asks for a sync
        for (int b = 0; b < 40; ++b) {
            std::vector<core::Event> batch;
            for (int i = 0; i < 10; ++i) {
                batch.push_back(make_event(b * 10 + i, 10'000));
            }
            ASSERT_EQ(sink.write_batch(batch), SinkResult::kOk);
            for (const core::Event& e : batch) {
                expected += "{\"id\":" + std::string(e.id.raw()) +
                            ",\"eventType\":\"acd.start\",\"eventTime\":\"1970-01-01T00:00:00.000Z\"" +
                            ",\"data\":" + std::string(e.data.raw()) + "}\n";
            }
            EXPECT_EQ(sink.size(), static_cast<std::int64_t>(expected.size()));
        }
        EXPECT_EQ(sink.flush(), SinkResult::kOk);
        EXPECT_EQ(sink.sync(), SinkResult::kOk);
        std::vector<core::Event> last{make_event(400, 10)};
        ASSERT_EQ(sink.write_batch(last), SinkResult::kOk);
        expected += "{\"id\":\"e400\",\"eventType\":\"acd.start\",\"eventTime\":"
                    "\"1970-01-01T00:00:00.000Z\",\"data\":{\"note\":\"xxxxxxxxxx\"}}\n";
    }  // the destructor stops the sync thread and syncs what is left
    EXPECT_EQ(gstream::testing::read_file(path), expected);
}

// Between interval syncs, every 8 MiB written is synced in the background too, so that the
// fdatasync at close has little left to wait for.
TEST(FileSinkSync, IntervalAlsoSyncsEveryEightMebibytes) {
    TempDir dir;
    const std::string path = dir.file("out.jsonl");
    std::int64_t written = 0;
    {
        FileSink sink({path, FsyncPolicy::kInterval, 3'600'000});  // no interval sync in the test
        std::vector<core::Event> batch;
        for (int i = 0; i < 10; ++i) {
            batch.push_back(make_event(i, 100'000));
        }
        std::uint64_t requests_at_8 = 0;
        while (sink.size() < (20 << 20)) {
            ASSERT_EQ(sink.write_batch(batch), SinkResult::kOk);
            if (sink.size() < (8 << 20)) {
                EXPECT_EQ(sink.background_sync_requests(), 0U) << sink.size();
            } else if (requests_at_8 == 0) {
                requests_at_8 = sink.background_sync_requests();
                EXPECT_EQ(requests_at_8, 1U) << sink.size();
            }
        }
        EXPECT_EQ(sink.background_sync_requests(), 2U);  // at 8 and at 16 MiB
        written = sink.size();
    }
    EXPECT_EQ(static_cast<std::int64_t>(gstream::testing::read_file(path).size()), written);
}

TEST(FileSinkSync, ASinkThatNeverWritesStartsNoThreadAndClosesAtOnce) {
    TempDir dir;
    const std::string path = dir.file("out.jsonl");
    {
        FileSink sink({path, FsyncPolicy::kInterval, 1000});
        EXPECT_EQ(sink.flush(), SinkResult::kOk);
    }
    EXPECT_EQ(gstream::testing::read_file(path), "");
}

}  // namespace
}  // namespace gstream::sink::file

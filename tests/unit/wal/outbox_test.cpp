#include "wal/outbox.hpp"

#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../../support/child_process.hpp"
#include "pipeline/decoder.hpp"
#include "sink/file/file_formatter.hpp"
#include "wal/log_reader.hpp"

namespace gstream::wal {
namespace {

using gstream::testing::TempDir;

// Events decoded from one envelope message, as the pipeline would hand them over.
std::vector<core::Event> decode_envelope(const std::string& payload) {
    auto message = std::make_shared<core::Message>();
    message->payload = payload;
    pipeline::EnvelopeDecoder decoder;
    pipeline::DecodeOutput out;
    decoder.decode(std::move(message), out);
    EXPECT_TRUE(out.rejections.empty());
    return std::move(out.events);
}

std::string lines_of(const std::vector<core::Event>& events) {
    std::string out;
    for (const core::Event& e : events) {
        sink::file::format_event(e, out);
    }
    return out;
}

// What a sink's cursor rebuilds from a record formats to the very lines the pipeline's events
// give, and keeps each event's raw bytes (the dead-letter payload).
TEST(Outbox, RecordRoundTripKeepsTheLinesAndTheRawBytes) {
    const std::string payload =
        R"({"subscriptionId":"s","events":[)"
        R"({"id":"a\u0041","timestamp":"2024-05-01T10:00:00.123456Z","eventType":"acd.start",)"
        "\n"
        R"(  "data":{"conversationId":"c1","queueId":"q1","n":[1, 2]}},)"
        R"({"id":"b","timestamp":"2024-05-01T10:00:01Z","eventType":"acd.end","data":{}}]})";
    std::vector<core::Event> events = decode_envelope(payload);
    ASSERT_EQ(events.size(), 2u);
    events[1].late = true;
    std::string record;
    Outbox::encode(events, record);

    auto message = std::make_shared<core::Message>();
    message->payload = record;
    std::vector<core::Event> back;
    std::string error;
    ASSERT_TRUE(Outbox::decode(std::move(message), back, error)) << error << "\n" << record;
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(lines_of(back), lines_of(events));
    EXPECT_EQ(back[0].raw(), events[0].raw());
    EXPECT_EQ(back[1].raw(), events[1].raw());
    EXPECT_TRUE(back[1].late);
    EXPECT_EQ(back[0].instant.ns, events[0].instant.ns);
    EXPECT_EQ(back[0].instant.digits, 6);

    for (const std::string bad : {"not json", "{}", R"([[{"id":"x"}]])", R"([[{"eventTime":"x"},1]])"}) {
        auto m = std::make_shared<core::Message>();
        m->payload = bad;
        std::vector<core::Event> none;
        EXPECT_FALSE(Outbox::decode(std::move(m), none, error)) << bad;
    }
}

// Batches are readable as soon as deliver() returns; start-up cuts what the checkpoint does not
// cover; a cursor waiting for more wakes up on close().
TEST(Outbox, DeliverPrepareAndClose) {
    TempDir dir;
    const std::vector<core::Event> events = decode_envelope(
        R"({"subscriptionId":"s","events":[{"id":"a","timestamp":"2024-05-01T10:00:00Z",)"
        R"("eventType":"acd.start","data":{}}]})");
    WalOptions o;
    o.dir = dir.file("outbox");
    {
        Outbox outbox(o, nullptr);
        for (int i = 0; i < 3; ++i) {
            EXPECT_EQ(outbox.deliver(events).delivered, 1u);
        }
        EXPECT_EQ(outbox.end(), 3u);
        LogReader reader(o.dir, 0);
        std::size_t seen = 0;
        boost::system::error_code ec;
        reader.read(outbox.end(), 10, [&](const WalRecord& r) { seen += r.corrupt ? 0 : 1; }, ec);
        EXPECT_FALSE(ec);
        EXPECT_EQ(seen, 3u);
        EXPECT_FALSE(outbox.sync());
    }
    Outbox outbox(o, nullptr);
    EXPECT_EQ(outbox.end(), 3u);
    outbox.prepare(1);
    EXPECT_EQ(outbox.end(), 1u);
    EXPECT_THROW(outbox.prepare(5), std::runtime_error);
    // A cursor waiting for a record beyond the end wakes up on close().
    auto waiter = std::async(std::launch::async, [&] {
        return outbox.wait_beyond(1, std::chrono::steady_clock::now() + std::chrono::hours(1));
    });
    EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
    outbox.close();
    ASSERT_EQ(waiter.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(waiter.get(), 1u);
    EXPECT_TRUE(outbox.closed());
}

}  // namespace
}  // namespace gstream::wal

#include "wal/sink_cursor.hpp"

#include <algorithm>
#include <chrono>

#include "core/clock.hpp"
#include "ops/logging.hpp"
#include "ops/metrics.hpp"
#include "wal/disk_retry.hpp"
#include "wal/log_reader.hpp"

namespace gstream::wal {
namespace {

std::vector<std::unique_ptr<sink::Sink>> one(std::unique_ptr<sink::Sink> sink) {
    std::vector<std::unique_ptr<sink::Sink>> sinks;
    sinks.push_back(std::move(sink));
    return sinks;
}

}  // namespace

SinkCursor::SinkCursor(std::unique_ptr<sink::Sink> sink,
                       sink::file::FileSink* file,
                       Outbox& outbox,
                       std::uint64_t position,
                       SinkCursorOptions options,
                       std::function<bool()> give_up,
                       std::function<bool(std::vector<pipeline::Rejection>&)> dead_letter,
                       ops::Metrics& metrics)
    : file_(file)
    , driver_(one(std::move(sink)), options.retry, give_up)
    , outbox_(outbox)
    , options_(options)
    , give_up_(std::move(give_up))
    , dead_letter_(std::move(dead_letter))
    , metrics_(metrics)
    , label_(driver_.sinks()[0]->name())
    , position_(position)
    , committed_{position, file != nullptr ? file->size() : 0} {}

SinkCursor::~SinkCursor() {
    join();
}

void SinkCursor::start() {
    thread_ = std::thread([this] { run(); });
}

void SinkCursor::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool SinkCursor::wait_stopped(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return stopped_cv_.wait_until(lock, deadline, [&] { return stopped_; });
}

SinkCursor::Committed SinkCursor::committed() const {
    std::lock_guard lock(mutex_);
    return committed_;
}

bool SinkCursor::store(std::vector<pipeline::Rejection>& rejections) {
    const bool stored = retry_on_disk_error(
        [&] {
            std::vector<pipeline::Rejection> copy = rejections;  // the writer consumes its input
            return dead_letter_(copy);
        },
        give_up_, [](bool) {});  // the dead-letter writer logs and fails /readyz itself
    if (stored) {
        metrics_.dead_lettered(rejections.front().reason == core::Errc::kWalCorrupt
                                   ? ops::DeadLetterReason::kWalCorrupt
                                   : ops::DeadLetterReason::kSinkRejected)
            .Increment(static_cast<double>(rejections.size()));
        rejections.clear();
    }
    return stored;
}

// One outbox record: delivered, dead-lettered, or (false) given up on at shutdown.
bool SinkCursor::handle(const WalRecord& r) {
    std::vector<pipeline::Rejection> rejections;
    std::string error;
    std::shared_ptr<core::Message> message;
    if (!r.corrupt) {
        message = std::make_shared<core::Message>();
        message->payload.assign(r.payload);
        message->received_ns = core::steady_ns();
        message->sequence = r.sequence;
        events_.clear();
    }
    if (r.corrupt || !Outbox::decode(std::move(message), events_, error)) {
        const std::string detail = r.corrupt ? r.detail : fmt::format("outbox record {}: {}",
                                                                      r.sequence, error);
        metrics_.wal_corrupt_records().Increment();
        ops::logger("wal")->error("outbox record skipped sink=\"{}\": {}", label_, detail);
        if (!r.payload.empty()) {
            rejections.push_back(
                {core::Errc::kWalCorrupt, "outbox", detail, std::string(r.payload), std::nullopt});
            return store(rejections);
        }
        return true;
    }
    driver_.sinks()[0]->at_outbox_record(r.sequence);
    pipeline::DeliveryReport report = driver_.deliver(events_);
    events_.clear();
    if (report.abandoned) {
        return false;
    }
    return report.rejections.empty() || store(report.rejections);
}

void SinkCursor::commit() {
    const std::uint64_t position = position_.load(std::memory_order_relaxed);
    std::int64_t size = 0;
    if (file_ != nullptr) {
        if (options_.sync_files && file_->sync() != sink::SinkResult::kOk) {
            ops::logger("sink")->warn("sink not committed sink=\"{}\" error=\"{}\"", label_,
                                      file_->last_error());
            return;
        }
        size = file_->size();
    } else if (driver_.sinks()[0]->flush() != sink::SinkResult::kOk) {
        return;
    }
    std::lock_guard lock(mutex_);
    committed_ = {position, size};
}

void SinkCursor::run() {
    LogReader reader(outbox_.dir(), position_.load());
    std::int64_t last_commit_ms = core::steady_ms();
    for (;;) {
        const std::uint64_t end = outbox_.wait_beyond(
            reader.next(),
            std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.commit_interval_ms));
        if (give_up_ && give_up_()) {
            break;  // shutdown past its deadline: the rest waits in the outbox
        }
        bool stop = false;
        if (reader.next() < end) {
            boost::system::error_code ec;
            reader.read(
                end, 1, [&](const WalRecord& r) { stop = stop || !handle(r); }, ec);
            if (stop) {
                break;  // position_ stays before the record given up on
            }
            if (ec) {
                ops::logger("wal")->error("outbox read failed sink=\"{}\" record={} error=\"{}\"; "
                                          "retrying",
                                          label_, reader.next(), ec.message());
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
            position_.store(reader.next(), std::memory_order_release);
        }
        const std::int64_t now = core::steady_ms();
        if (position_.load(std::memory_order_relaxed) != committed().position &&
            now - last_commit_ms >= options_.commit_interval_ms) {
            commit();
            last_commit_ms = now;
        }
        if (outbox_.closed() && reader.next() >= outbox_.end()) {
            break;
        }
    }
    commit();
    std::lock_guard lock(mutex_);
    stopped_ = true;
    stopped_cv_.notify_all();
}

}  // namespace gstream::wal

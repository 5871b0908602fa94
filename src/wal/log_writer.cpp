#include "wal/log_writer.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "ops/logging.hpp"
#include "ops/metrics.hpp"
#include "wal/disk_retry.hpp"

namespace gstream::wal {
namespace {

using core::steady_ms;
using core::wall_ms;

constexpr auto kIdleWake = std::chrono::milliseconds(200);

}  // namespace

LogWriter::LogWriter(WriteAheadLog& log,
                     pipeline::FrameQueue& frames,
                     ops::Metrics& metrics,
                     std::function<bool()> give_up)
    : log_(log)
    , frames_(frames)
    , metrics_(metrics)
    , give_up_(std::move(give_up))
    , durable_(log.next_sequence()) {}

LogWriter::~LogWriter() {
    join();
}

void LogWriter::start() {
    thread_ = std::thread([this] { run(); });
}

void LogWriter::join() {
    if (thread_.joinable()) {
        thread_.join();
        apply_release();  // a request made after the thread's last round
    }
}

void LogWriter::apply_release() {
    const std::uint64_t request = release_request_.load(std::memory_order_relaxed);
    if (request > released_) {
        if (const auto ec = log_.release_through(request - 1)) {
            ops::logger("wal")->warn("write-ahead log segment not deleted: {}", ec.message());
        } else {
            released_ = request;
        }
    }
    metrics_.wal_bytes().Set(static_cast<double>(log_.bytes()));
}

std::uint64_t LogWriter::wait_beyond(std::uint64_t sequence,
                                     std::chrono::steady_clock::time_point deadline) {
    std::uint64_t d = durable();
    if (d > sequence || finished()) {
        return d;
    }
    std::unique_lock lock(mutex_);
    reader_waiting_ = true;
    advanced_.wait_until(lock, deadline, [&] { return durable() > sequence || finished(); });
    reader_waiting_ = false;
    return durable();
}

void LogWriter::release_through(std::uint64_t sequence) noexcept {
    release_request_.store(sequence + 1, std::memory_order_relaxed);
}

std::vector<pipeline::ReceivedFrame> LogWriter::take_unlogged() {
    std::lock_guard lock(mutex_);
    return std::move(unlogged_);
}

void LogWriter::publish() {
    durable_.store(log_.next_sequence(), std::memory_order_release);
    std::lock_guard lock(mutex_);
    if (reader_waiting_ || finished()) {
        advanced_.notify_all();
    }
}

// Syncs what was appended; true when it is durable, false when given up on (shutdown).
bool LogWriter::sync_with_retry(std::size_t messages) {
    boost::system::error_code ec;
    const bool synced = retry_on_disk_error(
        [&] {
            ec = log_.sync(steady_ms());
            return !ec;
        },
        give_up_,
        [&](bool stop) {
            healthy_.store(false, std::memory_order_relaxed);
            ops::logger("wal")->error(
                "write-ahead log write failed dir=\"{}\" messages={} error=\"{}\"{}", log_.dir(),
                messages, ec.message(),
                stop ? " (shutting down: dead-lettering them)" : "; retrying");
        });
    if (synced) {
        healthy_.store(true, std::memory_order_relaxed);
    }
    return synced;
}

void LogWriter::run() {
    std::vector<pipeline::ReceivedFrame> frames;
    for (;;) {
        const std::size_t n =
            frames_.pop_all_until(std::chrono::steady_clock::now() + kIdleWake, frames);
        if (n > 0) {
            const std::int64_t received_wall = wall_ms();
            const std::int64_t now = steady_ms();
            const std::uint64_t first = log_.next_sequence();
            for (const pipeline::ReceivedFrame& f : frames) {
                log_.append(f.payload, received_wall, now);
            }
            if (sync_with_retry(n)) {
                publish();
            } else {
                // They are dead-lettered: none of them may reach the log later (a write or
                // sync once the disk has room again would replay them at the next start too).
                if (const auto ec = log_.truncate_from(first)) {
                    ops::logger("wal")->error(
                        "write-ahead log: cannot take back {} message(s) given up on: {}", n,
                        ec.message());
                }
                std::lock_guard lock(mutex_);
                for (pipeline::ReceivedFrame& f : frames) {
                    unlogged_.push_back(std::move(f));
                }
            }
        } else if (frames_.closed_and_empty()) {
            break;
        } else {
            (void)log_.sync(steady_ms());  // closes an old active segment when idle
        }
        apply_release();
    }
    finished_.store(true, std::memory_order_release);
    publish();
}

}  // namespace gstream::wal

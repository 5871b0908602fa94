#pragma once
// SinkCursor: one sink's own thread and position over the outbox (docs/recovery.md, "Several
// sinks").
//
// Reads the outbox (Outbox) from its position one record (batch) at a time, rebuilds the events,
// and writes them to its sink through its own SinkDriver (retry with capped, jittered backoff;
// rejections dead-lettered with reason sink_rejected). Every `commit_interval_ms` with progress,
// and when it stops, it syncs the sink (a file sink's fdatasync, unless `sync_files` is false)
// and publishes the committed pair {position, file size} that the next checkpoint records. A
// stalled or failing sink holds back only this thread: its batches wait in the outbox on disk.
//
// It stops once the outbox is closed and it has delivered everything in it, or once shutdown
// is past its deadline (a batch being retried then, and the rest, stay in the outbox for the
// next start).
//
// Thread-safety: start()/join() from the owner; committed(), position() and writable() from any
// thread. The sink is used by this cursor's thread only.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/rejection.hpp"
#include "pipeline/sink_driver.hpp"
#include "sink/file/file_sink.hpp"
#include "wal/outbox.hpp"

namespace gstream::ops {
class Metrics;
}

namespace gstream::wal {

struct SinkCursorOptions {
    std::int64_t commit_interval_ms = 1000;  ///< sync + publish the committed pair this often
    bool sync_files = true;                  ///< false with wal.fsync: never
    pipeline::SinkDriverOptions retry;
};

class SinkCursor {
public:
    /// The position the next checkpoint records: every outbox record below `position` is in the
    /// sink, durably, and a file sink was `size` bytes long then.
    struct Committed {
        std::uint64_t position = 0;
        std::int64_t size = 0;
    };

    /// `file`: the same sink when it is a file sink (its size is the commit point), else null.
    /// `position`: the first outbox record to deliver (the checkpoint's cursor). `give_up`:
    /// shutdown past its deadline. `dead_letter`: stores rejections, from this thread; false
    /// when the dead-letter queue failed (retried).
    SinkCursor(std::unique_ptr<sink::Sink> sink,
               sink::file::FileSink* file,
               Outbox& outbox,
               std::uint64_t position,
               SinkCursorOptions options,
               std::function<bool()> give_up,
               std::function<bool(std::vector<pipeline::Rejection>&)> dead_letter,
               ops::Metrics& metrics);
    ~SinkCursor();  ///< joins
    SinkCursor(const SinkCursor&) = delete;
    SinkCursor& operator=(const SinkCursor&) = delete;

    void start();
    /// Waits for the thread (see above for when it stops).
    void join();
    /// Waits until the thread has stopped or `deadline`; true when it has stopped.
    bool wait_stopped(std::chrono::steady_clock::time_point deadline);

    Committed committed() const;
    /// The first outbox record not yet written to the sink.
    std::uint64_t position() const noexcept { return position_.load(std::memory_order_acquire); }
    /// False while the sink is failing (/readyz).
    bool writable() const noexcept { return driver_.writable(); }
    /// The sink's name and its batches, retries and rejects so far (metrics). Any thread.
    pipeline::SinkDriver::NamedCounts named_counts() const { return driver_.named_counts()[0]; }
    /// The sink's name (sinks[].name): its checkpoint key and `sink` metric label.
    const std::string& label() const noexcept { return label_; }
    /// The file sink's path, or empty.
    std::string path() const { return file_ != nullptr ? file_->path() : std::string(); }

private:
    void run();
    bool handle(const WalRecord& r);  // false: stop (given up at shutdown)
    bool store(std::vector<pipeline::Rejection>& rejections);
    void commit();

    sink::file::FileSink* file_;
    pipeline::SinkDriver driver_;
    Outbox& outbox_;
    SinkCursorOptions options_;
    std::function<bool()> give_up_;
    std::function<bool(std::vector<pipeline::Rejection>&)> dead_letter_;
    ops::Metrics& metrics_;
    std::string label_;
    std::atomic<std::uint64_t> position_;
    mutable std::mutex mutex_;
    Committed committed_;                  // guarded by mutex_
    bool stopped_ = false;                 // guarded by mutex_
    std::condition_variable stopped_cv_;
    std::vector<core::Event> events_;
    std::thread thread_;
};

}  // namespace gstream::wal

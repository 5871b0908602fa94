#pragma once
// LogWriter: the write-ahead log's own thread (docs/recovery.md).
//
// It takes every frame the source queued (pipeline::FrameQueue), appends them to the log and
// makes them durable with one sync (group commit), then publishes the durable sequence: every
// record below it is on disk (per `wal.fsync`) and may be read by the pipeline (LogReader). The
// socket reader therefore waits on the disk only, never on the pipeline or a sink: while a sink
// is stalled, messages accumulate in the log, not in memory.
//
// A failing disk (ENOSPC, EFBIG, EIO) is retried with backoff (50 ms doubling to 1 s) while
// healthy() answers false (/readyz); the frame queue then fills and the socket reader waits:
// nothing is dropped. When `give_up()` answers true (shutdown past its deadline) the frames not
// yet logged are handed over (take_unlogged(); Recovery dead-letters them), with an error line.
//
// Thread-safety: start()/join() from the owner; durable(), wait_beyond(), finished(), healthy(),
// release_through() and take_unlogged() from any thread. The WriteAheadLog is used by the writer
// thread only between start() and join().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline/frame_queue.hpp"
#include "wal/write_ahead_log.hpp"

namespace gstream::ops {
class Metrics;
}

namespace gstream::wal {

class LogWriter {
public:
    LogWriter(WriteAheadLog& log,
              pipeline::FrameQueue& frames,
              ops::Metrics& metrics,
              std::function<bool()> give_up);
    ~LogWriter();  ///< joins
    LogWriter(const LogWriter&) = delete;
    LogWriter& operator=(const LogWriter&) = delete;

    void start();
    /// Waits for the thread, which ends once the frame queue is closed and drained.
    void join();

    /// Every record with a lower sequence is durable.
    std::uint64_t durable() const noexcept { return durable_.load(std::memory_order_acquire); }
    /// Blocks until durable() > `sequence`, the writer finished, or `deadline`. Returns durable().
    std::uint64_t wait_beyond(std::uint64_t sequence,
                              std::chrono::steady_clock::time_point deadline);
    /// The frame queue is closed and every frame was logged (or handed over unlogged).
    bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }
    /// False while the log cannot be written.
    bool healthy() const noexcept { return healthy_.load(std::memory_order_relaxed); }
    /// Closed segments whose records all have sequence <= `sequence` may be deleted; done on the
    /// writer thread after its next sync (at most ~200 ms later when idle), or by join().
    void release_through(std::uint64_t sequence) noexcept;
    /// Frames given up on at shutdown (see above); moved out.
    std::vector<pipeline::ReceivedFrame> take_unlogged();

private:
    void run();
    bool sync_with_retry(std::size_t messages);
    void publish();
    void apply_release();

    WriteAheadLog& log_;
    pipeline::FrameQueue& frames_;
    ops::Metrics& metrics_;
    std::function<bool()> give_up_;
    std::thread thread_;
    std::atomic<std::uint64_t> durable_;
    std::atomic<std::uint64_t> release_request_{0};  // sequence + 1; 0: nothing to release
    std::uint64_t released_ = 0;
    std::atomic<bool> finished_{false};
    std::atomic<bool> healthy_{true};
    std::mutex mutex_;
    std::condition_variable advanced_;
    bool reader_waiting_ = false;
    std::vector<pipeline::ReceivedFrame> unlogged_;
};

}  // namespace gstream::wal

#pragma once
// File sink: appends JSON Lines (file_formatter.hpp) to one file.
//
// Each batch is formatted into one buffer and written with write(2) in O_APPEND mode, so a batch
// is acknowledged once the kernel has it. Durability follows `fsync`: "always" runs fdatasync(2)
// before acknowledging each batch; "interval" (default) at most every `fsync_interval_ms`, on a
// background thread of the sink's own so that the writer does not wait for the disk (that thread
// also starts the writeback of every MiB written, so that each sync has less to wait for), and on
// flush(), sync() and close, which wait; "never" leaves it to the kernel. A failed background
// fdatasync makes the next write_batch() sync in line, which answers kRetry if it fails again.
// A failed or short write (disk full, I/O error) answers kRetry; the partial tail is cut off
// again (ftruncate to the last acknowledged size) so a retried batch is never written twice.
//
// Commit point (docs/recovery.md): with a write-ahead log, the daemon records size() after sync()
// in its checkpoint; on start, truncate_to_commit_point() cuts the lines written after the last
// checkpoint, and the log replays them.
//
// The path may also name a pipe (FIFO) or a character device (/dev/stdout): lines are written
// the same way, blocking while the reader does not read; there is nothing to sync and no commit
// point, so after a crash such a sink gets the lines since the last checkpoint again
// (at-least-once). Opening a FIFO waits until it has a reader.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include <boost/system/error_code.hpp>

#include "sink/sink.hpp"

namespace gstream::sink::file {

enum class FsyncPolicy { kAlways, kInterval, kNever };

struct FileSinkConfig {
    std::string path;
    FsyncPolicy fsync = FsyncPolicy::kInterval;
    std::int64_t fsync_interval_ms = 1000;
    std::string name = "file";  ///< the configured name (sinks[].name): logs, metrics, checkpoint
};

/// Not thread-safe: one thread (the pipeline's, or with several sinks and a write-ahead log this
/// sink's cursor thread, wal::SinkCursor) calls every member. The background sync thread is
/// internal.
class FileSink final : public Sink {
public:
    /// Opens (creates, with parent folders) the file for appending. Throws std::runtime_error
    /// naming the path when it cannot (start-up).
    explicit FileSink(FileSinkConfig config);
    ~FileSink() override;
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    std::string_view name() const override { return config_.name; }
    SinkResult write_batch(std::span<const core::Event> events) override;
    SinkResult flush() override;
    std::string last_error() const override { return last_error_; }

    /// Background fdatasyncs asked for so far by the "interval" policy: one per fsync_interval_ms
    /// and one per 8 MiB written (diagnostics, tests). Writer's thread only.
    std::uint64_t background_sync_requests() const noexcept { return background_sync_requests_; }
    /// Bytes acknowledged so far (the file's size as this sink wrote it).
    std::int64_t size() const noexcept { return size_; }
    const std::string& path() const noexcept { return config_.path; }
    /// fdatasync(2) of everything acknowledged, whatever the fsync policy (a checkpoint's
    /// durability). kRetry with last_error() on failure.
    SinkResult sync();

    /// Start-up recovery: when the file at `path` is longer than `size` bytes, cuts it to `size`
    /// and fdatasyncs it. `cut` receives the bytes removed (0 when none; -1 when the file is
    /// shorter than `size`, which is left alone: a file replaced or cut by hand). A missing file
    /// is not an error.
    static boost::system::error_code truncate_to_commit_point(const std::string& path,
                                                              std::int64_t size,
                                                              std::int64_t& cut);

private:
    void request_background_sync();
    void request_writeback();
    void background_sync_loop();

    FileSinkConfig config_;
    int fd_ = -1;
    std::int64_t size_ = 0;            // bytes acknowledged so far
    std::int64_t last_sync_ms_ = 0;
    bool dirty_ = false;
    bool regular_ = true;  // a regular file (not a pipe or a device)
    std::string buffer_;
    std::string last_error_;

    // The "interval" policy's background fdatasync: the thread starts with the first request.
    std::thread sync_thread_;
    std::mutex sync_mutex_;
    std::condition_variable sync_wake_;
    bool sync_requested_ = false;  // guarded by sync_mutex_
    bool sync_stop_ = false;       // guarded by sync_mutex_
    // Between interval syncs, every kWritebackBytes written the thread starts their writeback
    // (sync_file_range, no wait), and every kSyncBytes it fdatasyncs them, so the next fdatasync
    // (the one at close too) waits less. The hint alone left ~100 ms of a 100 MB run to the final
    // fdatasync on a VM disk (the host flushes at the guest's fdatasync, not at the hint); with
    // the 8 MiB syncs it was ~25 ms (docs/performance.md).
    static constexpr std::int64_t kWritebackBytes = 1 << 20;
    static constexpr std::int64_t kSyncBytes = 8 << 20;
    std::int64_t sync_requested_to_ = 0;  // the writer's side: size_ at the last sync request
    std::uint64_t background_sync_requests_ = 0;  // the writer's side
    std::int64_t writeback_from_ = 0;       // guarded by sync_mutex_: file offsets
    std::int64_t writeback_to_ = 0;         // guarded by sync_mutex_
    std::int64_t writeback_requested_to_ = 0;  // the writer's side
    std::atomic<bool> background_sync_failed_{false};
};

}  // namespace gstream::sink::file

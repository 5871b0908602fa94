#pragma once
// Outbox: the pipeline's output, logged once, read by every sink at its own cursor
// (docs/recovery.md, "A cursor per sink").
//
// With a write-ahead log the pipeline does not write to the sinks (one or several): each
// batch it releases (ordered, validated, de-duplicated) becomes one record of a second segmented
// log in `<wal.dir>/outbox`, and each sink has its own thread (SinkCursor) reading that log from
// its own position. A stalled sink then holds back only its own cursor: the others keep
// delivering, the pipeline keeps running, and the stalled sink's batches wait on disk until it
// returns. A segment is deleted once every sink's committed cursor is past it.
//
// Record payload: a JSON array with one `[line, raw]` pair per event, where `line` is the event as
// the file sink writes it (file_formatter.hpp, one object) and `raw` the event's bytes as received
// (the dead-letter payload if a sink rejects it). decode() rebuilds events from it that format to
// the same line.
//
// Each batch is written with write(2) as soon as it is delivered here (readable by the cursors,
// safe from a process crash) and fdatasynced by sync() before each checkpoint (and before a full
// segment is closed), per `wal.fsync`. A failed write (disk full) is retried with backoff while
// healthy() is false (/readyz); the pipeline waits meanwhile.
//
// Thread-safety: deliver(), flush(), sync(), prepare(), release_through() and close() on the
// pipeline thread; end(), wait_beyond(), closed() and healthy() from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/delivery.hpp"
#include "wal/write_ahead_log.hpp"

namespace gstream::wal {

class Outbox final : public pipeline::Delivery {
public:
    /// Opens (creates) the outbox log in `options.dir`. `give_up`: shutdown past its deadline.
    /// Throws std::runtime_error naming the directory when it cannot (start-up).
    Outbox(WalOptions options, std::function<bool()> give_up);
    ~Outbox() override;

    /// Start-up: removes the records at and after `end` (the last checkpoint's outbox end): the
    /// log replays the messages they came from. Throws std::runtime_error when the outbox ends
    /// before `end` (records removed by hand).
    void prepare(std::uint64_t end);

    /// Appends the batch as one record and writes it; retries a failing write until it succeeds
    /// or shutdown passes its deadline (then abandoned, nothing kept). Never rejects.
    pipeline::DeliveryReport deliver(std::span<const core::Event> events) override;
    void flush() override {}
    /// fdatasync of what was written (unless wal.fsync is never); a checkpoint's first step.
    boost::system::error_code sync();
    /// Deletes closed segments whose records all have sequence <= `sequence`.
    void release_through(std::uint64_t sequence);
    /// No more batches: cursors finish once they reach end().
    void close();

    /// One past the last record written (cursors read below it).
    std::uint64_t end() const noexcept { return end_.load(std::memory_order_acquire); }
    /// Blocks until end() > `sequence`, close(), or `deadline`. Returns end().
    std::uint64_t wait_beyond(std::uint64_t sequence,
                              std::chrono::steady_clock::time_point deadline);
    bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
    bool healthy() const noexcept { return healthy_.load(std::memory_order_relaxed); }
    std::uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
    const std::string& dir() const noexcept { return log_->dir(); }

    /// The record payload of a batch (see above), appended to `out`.
    static void encode(std::span<const core::Event> events, std::string& out);
    /// Events of one record, their views into `record` (kept alive by them). False with `error`
    /// when the payload is not such an array.
    static bool decode(std::shared_ptr<core::Message> record,
                       std::vector<core::Event>& out,
                       std::string& error);

private:
    void publish();

    std::unique_ptr<WriteAheadLog> log_;
    std::function<bool()> give_up_;
    std::string buffer_;
    std::atomic<std::uint64_t> end_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<bool> closed_{false};
    std::atomic<bool> healthy_{true};
    std::mutex mutex_;
    std::condition_variable advanced_;
};

}  // namespace gstream::wal

#pragma once
// The durable dead-letter queue: one SQLite database file (WAL journal, synchronous=NORMAL).
// The write-ahead log is checkpointed (copied back into the database) on a thread of the queue's
// own once it reaches 1000 pages, so append() never waits for it; close checkpoints the rest.
//
// Every event the pipeline cannot deliver lands here with its exact bytes, the stage that gave
// up, a reason code and a detail. Operators list, inspect, replay and remove entries from the
// CLI (DESIGN.md §1). The backlog (number of stored entries) is kept in memory and reported to
// an observer after every change, so the `dead_letter_backlog` gauge goes down as well as up
// (SEED-PROTOCOL.md §5).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

namespace gstream::dlq {

/// One dead-lettered message or event.
struct DeadLetter {
    std::int64_t id = 0;  ///< assigned by the queue on append (ignored on input); never reused
    std::int64_t time_ms =
        0;               ///< when it was dead-lettered, milliseconds since the Unix epoch (UTC)
    std::string source;  ///< "envelope" | "notifications" | "replay"
    std::string stage;   ///< "decode" | "validate" | "order" | "sink"
    std::string
        reason;  ///< reason code, e.g. "schema" (core::reason_name, "late", "sink_rejected")
    std::string detail;  ///< human detail, e.g. "/data/eventTime: type"; may be empty
    std::optional<std::string> subscription_id;  ///< the upstream subscription, when known
    std::string raw;  ///< the exact bytes received; may hold NUL and invalid UTF-8
};

/// Selection for DeadLetterQueue::list. Entries come back in id (arrival) order.
struct ListFilter {
    std::optional<std::string> reason;                                 ///< only this reason code
    std::int64_t since_ms = std::numeric_limits<std::int64_t>::min();  ///< time_ms >= since_ms
    std::int64_t until_ms = std::numeric_limits<std::int64_t>::max();  ///< time_ms < until_ms
    std::int64_t after_id = 0;  ///< only ids greater than this (paging: pass the last id seen)
    std::size_t limit = 1000;   ///< at most this many entries; 0 means no limit
};

/// A dead-letter queue stored in one SQLite file.
///
/// Thread-safety: every member function may be called from any thread; calls are serialised by
/// an internal mutex. They block on disk I/O, so call them from the blocking-work pool, never
/// from the network io_context thread. backlog() does not take the mutex (an atomic read).
///
/// Errors: open() throws at start-up. append() returns an error code (data plane).
/// list(), get() and remove() are operator (CLI) operations and throw std::runtime_error on a
/// database error; callers on a coroutine must catch before the next co_await.
///
/// The in-memory backlog counts this process's changes only: another process (the CLI) removing
/// entries while the daemon runs is seen at the daemon's next open.
class DeadLetterQueue {
public:
    /// Opens (or creates) the database at `path`, creating missing parent directories and the
    /// schema. Throws std::runtime_error naming the path when that fails.
    static DeadLetterQueue open(const std::string& path);

    DeadLetterQueue(DeadLetterQueue&&) noexcept;
    DeadLetterQueue& operator=(DeadLetterQueue&&) noexcept;
    ~DeadLetterQueue();

    /// Stores all entries in one transaction: either all are stored or none.
    /// Returns core::Errc::kIo (message in the log) when the database refuses the write.
    boost::system::error_code append(std::span<const DeadLetter> entries);

    /// Starts copying the write-ahead log back into the database on the queue's checkpoint
    /// thread (a PASSIVE checkpoint, which never blocks appends), without waiting. Closing soon
    /// after then has little left to copy and fdatasync: a process about to end calls it before
    /// its own last waits (the daemon: before the final drain), so the two overlap.
    /// Thread-safe.
    void checkpoint_soon();

    /// What a checkpoint of the write-ahead log found and did, in frames (pages); -1 when it
    /// could not run (sqlite3_wal_checkpoint_v2's pnLog and pnCkpt).
    struct CheckpointResult {
        int log_frames = -1;
        int checkpointed_frames = -1;
    };
    /// Runs a checkpoint on the checkpoint thread and waits up to `timeout` for it. False on
    /// timeout, or when the checkpoint thread could not open its connection. Thread-safe
    /// (diagnostics and tests; the daemon never waits for a checkpoint).
    bool checkpoint_and_wait(std::chrono::milliseconds timeout);
    /// The result of the checkpoint thread's latest checkpoint. Thread-safe.
    CheckpointResult last_checkpoint() const;

    /// Number of stored entries (COUNT(*) at open, then updated on every change).
    std::int64_t backlog() const noexcept;

    /// Entries matching `filter`, in id order.
    std::vector<DeadLetter> list(const ListFilter& filter) const;

    /// The entry with this id, if stored.
    std::optional<DeadLetter> get(std::int64_t id) const;

    /// Removes the entries with these ids (unknown ids are ignored), in one transaction.
    /// Returns how many were removed.
    std::int64_t remove(std::span<const std::int64_t> ids);

    /// Called with the new backlog after every change, under the queue's mutex (so calls arrive
    /// in order); it must not call back into the queue. Called once immediately with the
    /// current backlog. Pass an empty function to detach.
    void set_backlog_observer(std::function<void(std::int64_t)> observer);

    /// The database file this queue was opened on.
    const std::string& path() const noexcept;

private:
    struct Impl;
    explicit DeadLetterQueue(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gstream::dlq

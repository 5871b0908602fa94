#pragma once
// Recovery: the write-ahead log, its checkpoint and crash recovery, wired around the pipeline
// (docs/recovery.md). Owned by the daemon.
//
// Start:  Recovery(...)            opens the log, reads the checkpoint, cuts each file sink back
//                                  to its commit point (before the sinks open their files)
//         attach(...)              restores the de-duplication window; dead-letters the records
//                                  of a torn tail (wal_corrupt)
//         start(frames, give_up)   starts the log writer's thread (LogWriter): from now on every
//                                  frame the source queues is logged there, not by the pipeline;
//                                  and each sink's cursor thread
// Run:    pump(deadline, now)      pipeline thread: reads the log behind the writer (LogReader),
//                                  the last run's unacknowledged records first, and hands them
//                                  to the pipeline with their sequences; corrupt ones are
//                                  dead-lettered (wal_corrupt)
//         maybe_checkpoint(now)    every checkpoint_interval_ms
// Stop:   finished()               the source ended and the pipeline has read everything
//         finish_delivery()        after Pipeline::drain(), with several sinks: the cursors
//                                  deliver what the outbox holds (or give up at the deadline)
//         checkpoint(now)
//
// Cursors (options.per_sink_cursors, which the daemon always sets: one topology): the pipeline
// delivers to the outbox (outbox()), and each sink reads it at its own cursor on its own thread
// (SinkCursor), so one stalled sink never starves another (docs/recovery.md, "A cursor per
// sink"). Without it (tests of the log alone) the pipeline writes to the sinks itself.
//
// Checkpoint = flush pending dead letters, sync the file sinks (several sinks: sync the outbox
// and take each cursor's committed position and size), then write (temp file + fsync + rename)
// the commit point: the first message sequence not fully handled, each file sink's size (and
// cursor, and the outbox's end), and the de-duplication ids of events no stage still holds; then
// release the log segments below it (deleted by the writer's thread) and the outbox segments
// every cursor is past.
//
// Thread-safety: every method but healthy() and failing_sinks() runs on the pipeline thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/completion_tracker.hpp"
#include "pipeline/frame_queue.hpp"
#include "pipeline/pipeline.hpp"
#include "sink/file/file_sink.hpp"
#include "wal/log_reader.hpp"
#include "wal/log_writer.hpp"
#include "wal/outbox.hpp"
#include "wal/sink_cursor.hpp"
#include "wal/write_ahead_log.hpp"

namespace gstream::ops {
class Metrics;
}

namespace gstream::wal {

struct RecoveryOptions {
    WalOptions wal;
    std::int64_t checkpoint_interval_ms = 1000;
    /// Each sink reads an outbox at its own cursor (the daemon always sets it; also on when the
    /// checkpoint shows a configured sink behind the outbox's end).
    bool per_sink_cursors = false;
};

/// A configured sink as the checkpoint knows it.
struct SinkIdentity {
    std::string name;  ///< sinks[].name: the key of its position
    std::string path;  ///< a file sink's path (its commit point is cut back on start); else empty
};

/// The checkpoint file's content (`<wal dir>/checkpoint`).
struct Checkpoint {
    std::uint64_t next_sequence = 0;  ///< replay starts here
    /// Several sinks: the outbox records below it are durable and covered; start-up cuts the
    /// rest (the log replays their messages).
    std::uint64_t outbox_end = 0;
    /// Keyed by the sink's name. A checkpoint written before sinks had names (format 1) keys
    /// them by the file's path: `name` is then empty, and position_of() matches on the path, so
    /// an upgrade neither loses nor repeats anything (the next checkpoint is written by name).
    struct SinkPosition {
        std::string name;
        std::string path;          ///< a file sink's path when the checkpoint was written
        std::int64_t size = 0;     ///< a file sink's size then (its commit point)
        std::uint64_t cursor = 0;  ///< several sinks: the first outbox record not committed
    };
    std::vector<SinkPosition> sinks;
    /// The position recorded for `sink`: by name, or (format 1) by a file sink's path; null
    /// when the checkpoint has none (a sink new to the configuration).
    const SinkPosition* position_of(const SinkIdentity& sink) const;
    struct Seen {
        std::string id;
        std::int64_t age_ms = 0;  ///< how long before the checkpoint it was seen
    };
    std::vector<Seen> seen;  ///< de-duplication window, oldest first
};

/// Text form (format 2), ending with a CRC-32C line. parse_checkpoint reads formats 1 and 2 and
/// answers false on any damage.
std::string format_checkpoint(const Checkpoint& c);
bool parse_checkpoint(std::string_view text, Checkpoint& out);

class Recovery {
public:
    /// Opens the log in options.wal.dir and reads its checkpoint; cuts the files of the file
    /// sinks among `sinks` back to their recorded sizes. Throws std::runtime_error (start-up)
    /// when the log cannot be opened or the checkpoint is damaged.
    Recovery(RecoveryOptions options, const std::vector<SinkIdentity>& sinks, ops::Metrics& metrics);

    /// Several sinks: hands the sinks to their cursors (one thread each, started by start()).
    /// `files[i]` is sinks[i] when it is a file sink, else null. `dead_letter`: stores the
    /// rejections of a cursor's thread (see SinkCursor). Before attach().
    void set_sinks(std::vector<std::unique_ptr<sink::Sink>> sinks,
                   std::vector<sink::file::FileSink*> files,
                   std::function<bool(std::vector<pipeline::Rejection>&)> dead_letter);
    /// Several sinks: where the pipeline delivers (the outbox); null otherwise.
    pipeline::Delivery* outbox() noexcept { return outbox_.get(); }
    /// The names of the sinks failing now (retrying a write), for /readyz. Any thread.
    std::vector<std::string> failing_sinks() const;
    /// Several sinks: each cursor's sink name and its counts (metrics), after set_sinks(); empty
    /// otherwise. The counts live as long as this object.
    std::vector<pipeline::SinkDriver::NamedCounts> sink_counts() const;

    /// `file_sinks`: the file sinks (owned by the driver; unused with several sinks);
    /// `dead_letters_ok`: false while the dead-letter queue fails (no checkpoint then covers the
    /// rejections). Without a checkpoint yet (first start), writes one: the sinks' sizes now.
    /// Throws when it cannot.
    void attach(pipeline::Pipeline& pipeline,
                std::vector<sink::file::FileSink*> file_sinks,
                pipeline::DeadLetterWriter& dead_letters,
                std::function<bool()> dead_letters_ok,
                std::int64_t now_ms);
    /// Starts the log writer's thread on `frames` (see LogWriter; `give_up`: shutdown past its
    /// deadline). Without start(), pump() reads only what the log held at open.
    void start(pipeline::FrameQueue& frames, std::function<bool()> give_up);
    /// Waits until the log holds records the pipeline has not read, or `deadline`; then hands up
    /// to `max_records` of them to the pipeline (`now_ms`: the pipeline's clock). Returns how many.
    std::size_t pump(std::chrono::steady_clock::time_point deadline,
                     const std::function<std::int64_t()>& now_ms,
                     std::size_t max_records = 1024);
    /// The writer finished (the source ended) and the pipeline has read every logged record.
    bool finished() const noexcept;
    /// The sequence of the next record the pipeline reads.
    std::uint64_t read_position() const noexcept { return reader_->next(); }
    /// Several sinks: no more batches; waits until every cursor delivered the outbox or gave
    /// up (shutdown past its deadline). No-op otherwise.
    void finish_delivery();
    /// Stops the writer's thread once the frame queue is closed (joins it).
    void stop();
    ~Recovery();
    void maybe_checkpoint(std::int64_t now_ms);
    /// Writes a checkpoint now. False (logged) when a sink or the dead-letter queue cannot sync.
    bool checkpoint(std::int64_t now_ms);

    /// False while the log cannot be written or read, or the last checkpoint failed (/readyz).
    /// Any thread.
    bool healthy() const noexcept {
        return healthy_.load(std::memory_order_relaxed) &&
               !read_failed_.load(std::memory_order_relaxed) && (!writer_ || writer_->healthy());
    }
    const Checkpoint& loaded() const noexcept { return loaded_; }

private:
    void on_corrupt(const WalRecord& r);
    void dead_letter(std::vector<pipeline::Rejection>& rejections);

    RecoveryOptions options_;
    ops::Metrics& metrics_;

    std::unique_ptr<WriteAheadLog> log_;
    std::uint64_t backlog_end_ = 0;  // the log's next sequence at open: below it, the last run's
    std::unique_ptr<LogReader> reader_;
    std::unique_ptr<LogWriter> writer_;
    std::uint64_t replayed_ = 0;
    bool backlog_reported_ = false;
    std::vector<pipeline::Rejection> corrupt_;
    Checkpoint loaded_;
    bool have_checkpoint_ = false;
    pipeline::CompletionTracker tracker_;
    pipeline::Pipeline* pipeline_ = nullptr;
    pipeline::DeadLetterWriter* dead_letters_ = nullptr;
    std::function<bool()> dead_letters_ok_;
    std::vector<sink::file::FileSink*> file_sinks_;
    std::int64_t last_checkpoint_ms_ = 0;
    std::uint64_t corrupt_records_ = 0;  // torn at open + met by the reader
    std::vector<std::int64_t> last_signature_;  // of the last checkpoint written
    std::function<bool()> give_up_;
    std::unique_ptr<Outbox> outbox_;                    // several sinks
    std::vector<std::unique_ptr<SinkCursor>> cursors_;  // several sinks, one per sink
    std::atomic<bool> healthy_{true};       // the last checkpoint was written
    std::atomic<bool> read_failed_{false};  // the last read of the log failed
};

}  // namespace gstream::wal

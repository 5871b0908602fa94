#pragma once
// Recovery: the write-ahead log, its checkpoint and crash recovery, wired around the pipeline
// (docs/recovery.md). Owned by the daemon; every method runs on the pipeline thread.
//
// Start:  Recovery(...)            opens the log, reads the checkpoint, cuts each file sink back
//                                  to its commit point (before the sinks open their files)
//         attach(...)              restores the de-duplication window
//         replay(...)              runs unacknowledged records through the pipeline (before the
//                                  source connects); corrupt ones are dead-lettered (wal_corrupt)
// Run:    on_frames(...)           appends a popped batch of frames, syncs once (group commit),
//                                  then hands them to the pipeline with their log sequences
//         maybe_checkpoint(now)    every checkpoint_interval_ms
// Stop:   checkpoint(now)          after Pipeline::drain()
//
// Checkpoint = flush pending dead letters, sync the file sinks, then write (temp file + fsync +
// rename) the commit point: the first message sequence not fully handled, each file sink's
// size, and the de-duplication ids of events no stage still holds; then delete released
// segments.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/completion_tracker.hpp"
#include "pipeline/frame_queue.hpp"
#include "pipeline/pipeline.hpp"
#include "sink/file/file_sink.hpp"
#include "wal/write_ahead_log.hpp"

namespace gstream::ops {
class Metrics;
}

namespace gstream::wal {

struct RecoveryOptions {
    WalOptions wal;
    std::int64_t checkpoint_interval_ms = 1000;
};

/// The checkpoint file's content (`<wal dir>/checkpoint`).
struct Checkpoint {
    std::uint64_t next_sequence = 0;  ///< replay starts here
    struct SinkPosition {
        std::string path;
        std::int64_t size = 0;
    };
    std::vector<SinkPosition> sinks;
    struct Seen {
        std::string id;
        std::int64_t age_ms = 0;  ///< how long before the checkpoint it was seen
    };
    std::vector<Seen> seen;  ///< de-duplication window, oldest first
};

/// Text form, ending with a CRC-32C line. parse_checkpoint answers false on any damage.
std::string format_checkpoint(const Checkpoint& c);
bool parse_checkpoint(std::string_view text, Checkpoint& out);

class Recovery {
public:
    /// Opens the log in options.wal.dir and reads its checkpoint; cuts the files of
    /// `file_sink_paths` back to their recorded sizes. Throws std::runtime_error (start-up) when
    /// the log cannot be opened or the checkpoint is damaged.
    Recovery(RecoveryOptions options,
             const std::vector<std::string>& file_sink_paths,
             ops::Metrics& metrics);

    /// `file_sinks`: the file sinks (owned by the driver); `dead_letters_ok`: false while the
    /// dead-letter queue fails (no checkpoint then covers the rejections). Without a checkpoint
    /// yet (first start), writes one: the sinks' sizes now. Throws when it cannot.
    void attach(pipeline::Pipeline& pipeline,
                std::vector<sink::file::FileSink*> file_sinks,
                pipeline::DeadLetterWriter& dead_letters,
                std::function<bool()> dead_letters_ok,
                std::int64_t now_ms);
    /// Replays the records at and after the checkpoint. Returns the number replayed.
    std::uint64_t replay(std::int64_t now_ms, std::int64_t now_ns);

    /// Logs `frames` (one fdatasync for all), then passes them to the pipeline. While the log
    /// cannot be written (disk full) it retries with backoff, healthy() false, until it can or
    /// `give_up()` (shutdown past its deadline): then the frames go through unlogged, with an
    /// error line.
    void on_frames(std::vector<pipeline::ReceivedFrame>& frames,
                   const std::function<std::int64_t()>& now_ms,
                   const std::function<bool()>& give_up);
    void maybe_checkpoint(std::int64_t now_ms);
    /// Writes a checkpoint now. False (logged) when a sink or the dead-letter queue cannot sync.
    bool checkpoint(std::int64_t now_ms);

    /// False while the log cannot be written or the last checkpoint failed (/readyz).
    bool healthy() const noexcept { return healthy_.load(std::memory_order_relaxed); }
    const Checkpoint& loaded() const noexcept { return loaded_; }
    std::uint64_t next_sequence() const noexcept { return log_->next_sequence(); }

private:
    RecoveryOptions options_;
    ops::Metrics& metrics_;
    std::unique_ptr<WriteAheadLog> log_;
    Checkpoint loaded_;
    bool have_checkpoint_ = false;
    pipeline::CompletionTracker tracker_;
    pipeline::Pipeline* pipeline_ = nullptr;
    pipeline::DeadLetterWriter* dead_letters_ = nullptr;
    std::function<bool()> dead_letters_ok_;
    std::vector<sink::file::FileSink*> file_sinks_;
    std::int64_t last_checkpoint_ms_ = 0;
    std::uint64_t last_corrupt_ = 0;
    std::vector<std::int64_t> last_signature_;  // of the last checkpoint written
    std::atomic<bool> healthy_{true};
};

}  // namespace gstream::wal

#pragma once
// Write-ahead log of received messages (docs/recovery.md).
//
// Genesys never replays a notification, so each received message is appended here, and made
// durable by sync(), before the pipeline sees it. The log is a directory of segment files
// `wal-<first sequence, 20 digits>.log`; each holds records
//
//   [u32 magic "GWAL"][u32 payload length][u32 CRC-32C of the rest][u64 sequence]
//   [i64 received wall-clock ms][payload bytes]
//
// in host byte order (little-endian on every supported platform). Sequences are contiguous and
// monotonic across restarts. A segment is closed when it reaches `segment_bytes` or is older than
// `segment_age_ms`; release_through() deletes closed segments whose records are all released.
// The active (last) segment is never deleted, so its name keeps the sequence across restarts.
//
// Errors are values: the ENOSPC of a full disk comes back as std::errc::no_space_on_device from
// append()/sync(), nothing is dropped silently (the caller keeps the payloads and retries).
// Not thread-safe: one owner (the log writer's thread, LogWriter). LogReader reads the same
// files from another thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

namespace gstream::wal {

/// When appended records are made durable (`wal.fsync`).
enum class FsyncPolicy {
    kAlways,  ///< fdatasync(2) after every record: survives power loss, one sync per message
    kBatch,   ///< fdatasync(2) once per sync() call (group commit): survives power loss
    kNever,   ///< write(2) at sync(), no fdatasync: survives a process crash, not power loss
};

struct WalOptions {
    std::string dir;                            ///< created with its parents when missing
    std::uint64_t segment_bytes = 64ULL << 20;  ///< a segment is closed once this big
    std::int64_t segment_age_ms = 600'000;      ///< ... or once this old (steady clock)
    FsyncPolicy fsync = FsyncPolicy::kBatch;
};

/// One record met by LogReader::read() or take_torn().
struct WalRecord {
    std::uint64_t sequence = 0;
    std::int64_t received_wall_ms = 0;
    std::string_view payload;  ///< valid during the visit only
    /// The record failed its checksum (or its header is damaged). `payload` holds its bytes
    /// when they are recoverable (the header's length was sane and the bytes are all there),
    /// else it is empty; `sequence` is then the last good sequence before it + 1 (a guess).
    bool corrupt = false;
    std::string detail;  ///< why it is corrupt: "checksum mismatch in wal-....log at 1234"
};

/// CRC-32C (Castagnoli), table-driven. Exposed for tests.
std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size) noexcept;

inline constexpr std::uint32_t kRecordMagic = 0x4C415747;  // "GWAL" in little-endian bytes
inline constexpr std::size_t kHeaderBytes = 28;
/// A header whose length is above this is not trusted (the record is unrecoverable).
inline constexpr std::uint32_t kMaxRecordPayload = 256U << 20;

class WriteAheadLog {
public:
    /// Opens (creates) the log in options.dir: finds the segments, scans the last one, and cuts a
    /// torn tail (a final record that is incomplete or fails its checksum with nothing valid
    /// after it) off it. Errors: the directory cannot be created or read, a segment cannot be
    /// opened or truncated.
    static std::unique_ptr<WriteAheadLog> open(WalOptions options, boost::system::error_code& ec);
    ~WriteAheadLog();
    WriteAheadLog(const WriteAheadLog&) = delete;
    WriteAheadLog& operator=(const WriteAheadLog&) = delete;

    /// Visits, once, the records open() cut off the active segment's torn tail (corrupt; payload
    /// when recoverable). The segments themselves are read with LogReader.
    void take_torn(const std::function<void(const WalRecord&)>& visitor);

    /// Buffers one record and returns its sequence. With FsyncPolicy::kAlways it is written and
    /// synced at once. Not durable before sync() otherwise. `now_steady_ms` drives age rotation.
    std::uint64_t append(std::string_view payload,
                         std::int64_t received_wall_ms,
                         std::int64_t now_steady_ms = 0);
    /// Writes the buffered records and, unless FsyncPolicy::kNever, fdatasyncs them (one sync
    /// for all: group commit). On error (ENOSPC, EIO) nothing written is acknowledged: the
    /// partial tail is truncated, the buffer is kept, and a later sync() tries again. Then
    /// closes the active segment when it is full, or older than segment_age_ms at
    /// `now_steady_ms` (0: no age check).
    boost::system::error_code sync(std::int64_t now_steady_ms = 0);
    /// Writes the buffered records with write(2), without fdatasync: from now on LogReader can
    /// read them and they survive a process crash (not power loss until the next sync()). Closes
    /// the active segment when it is full or old, fdatasyncing it first unless kNever. Errors as
    /// sync(). The outbox's per-batch write (docs/recovery.md).
    boost::system::error_code flush(std::int64_t now_steady_ms = 0);
    /// Drops the records appended but not yet written; their sequences are given out again.
    /// Returns how many were dropped (a give-up at shutdown: they must not reach the disk later).
    std::size_t discard_unwritten() noexcept;
    /// Removes every record with sequence >= `sequence` (start-up recovery of the outbox: what
    /// the last checkpoint does not cover is written again). Deletes the segments after it and
    /// cuts the one holding it; next_sequence() is then `sequence`. No-op when `sequence` >=
    /// next_sequence(). When every segment starts after it, they are all deleted and the log
    /// continues at `sequence` in a new segment. Errors: I/O.
    boost::system::error_code truncate_from(std::uint64_t sequence);
    /// Deletes every closed segment whose records all have sequence <= `sequence`.
    boost::system::error_code release_through(std::uint64_t sequence);

    /// Continues the sequence at `sequence` when that is above next_sequence() (a checkpoint
    /// ahead of the log: segments removed by hand), in a new active segment.
    boost::system::error_code skip_to(std::uint64_t sequence);

    /// The sequence the next append() gets.
    std::uint64_t next_sequence() const noexcept { return next_sequence_; }
    /// Bytes in all segment files, including buffered records.
    std::uint64_t bytes() const noexcept { return bytes_ + buffer_.size(); }
    std::size_t segments() const noexcept { return segments_.size(); }
    const std::string& dir() const noexcept { return options_.dir; }

private:
    struct Segment {
        std::uint64_t first_sequence = 0;
        std::string path;
        std::uint64_t size = 0;
    };

    explicit WriteAheadLog(WalOptions options);
    boost::system::error_code open_active(std::uint64_t first_sequence);
    boost::system::error_code write_buffer();
    boost::system::error_code rotate_if_due(std::int64_t now_steady_ms);

    WalOptions options_;
    std::vector<Segment> segments_;  // oldest first; the last one is active
    int fd_ = -1;                    // the active segment, O_APPEND
    std::int64_t active_opened_ms_ = 0;
    std::uint64_t next_sequence_ = 0;
    std::uint64_t bytes_ = 0;  // sum of segment sizes on disk
    bool unsynced_ = false;  // written, not yet fdatasynced
    std::string buffer_;     // records appended, not yet written
    std::uint64_t buffer_first_sequence_ = 0;
    struct Torn {
        std::uint64_t sequence;
        std::string payload;
        std::string detail;
    };
    std::vector<Torn> torn_;  // cut off by open(), reported by take_torn()
};

/// "wal-00000000000000000042.log"
std::string segment_name(std::uint64_t first_sequence);

}  // namespace gstream::wal

#pragma once
// LogReader: reads the write-ahead log's records in sequence order, behind the writer
// (docs/recovery.md). The pipeline thread reads every message from the log, the backlog of the
// last run first, so a stalled sink holds the reader back, never the socket.
//
// Reads each segment in chunks (1 MiB, more for a bigger record) with pread(2), moving to the
// next segment file at the end of one; memory stays at one chunk whatever the backlog. Every
// record's checksum is verified; damaged bytes are reported as corrupt records (payload when
// recoverable) and skipped to the next valid record.
//
// Only records below the `end` given to read() are visited: the caller passes the writer's
// durable sequence, so a record still being written is never met. Segments the writer releases
// behind the reader may vanish from the directory; the one open stays readable (Linux unlink
// semantics). Not thread-safe: one owner (the pipeline thread).

#include <cstdint>
#include <functional>
#include <string>

#include <boost/system/error_code.hpp>

#include "wal/write_ahead_log.hpp"

namespace gstream::wal {

class LogReader {
public:
    /// Nothing is opened before the first read(). `chunk_bytes`: the read size.
    LogReader(std::string dir, std::uint64_t next_sequence, std::size_t chunk_bytes = 1U << 20);
    ~LogReader();
    LogReader(const LogReader&) = delete;
    LogReader& operator=(const LogReader&) = delete;

    /// Visits, in order, up to `max_records` records with sequence in [next(), end), and the
    /// corrupt records met on the way (WalRecord::corrupt; their payload views are valid during
    /// the visit only). Returns the number of good records visited. Errors (ec): I/O errors, and
    /// no_such_file_or_directory when no segment holds next() although end says it exists (the
    /// log was removed or cut by hand); next() then stays where it was.
    std::size_t read(std::uint64_t end,
                     std::size_t max_records,
                     const std::function<void(const WalRecord&)>& visitor,
                     boost::system::error_code& ec);

    /// The sequence of the next record to visit.
    std::uint64_t next() const noexcept { return next_; }

private:
    boost::system::error_code open_segment(bool after_current);
    std::size_t fill(std::size_t need, boost::system::error_code& ec);
    void close_segment();
    std::size_t take(const WalRecord& r, const std::function<void(const WalRecord&)>& visitor);
    std::size_t read_damaged(std::uint64_t end,
                             const std::function<void(const WalRecord&)>& visitor,
                             boost::system::error_code& ec);

    std::string dir_;
    std::uint64_t next_;
    std::size_t chunk_bytes_;
    int fd_ = -1;
    std::uint64_t segment_first_ = 0;
    std::uint64_t last_seen_ = 0;  // the sequence after the last record met in this segment
    std::string segment_name_;
    std::uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
    std::string buffer_;
    std::size_t pos_ = 0;   // next unread byte in buffer_
    std::size_t size_ = 0;  // bytes of buffer_ that hold file data
};

}  // namespace gstream::wal

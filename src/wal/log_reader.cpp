#include "wal/log_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include "wal/segment_format.hpp"

namespace gstream::wal {
namespace {

using boost::system::error_code;

error_code errno_code(int e) {
    return {e, boost::system::system_category()};
}

}  // namespace

LogReader::LogReader(std::string dir, std::uint64_t next_sequence, std::size_t chunk_bytes)
    : dir_(std::move(dir))
    , next_(next_sequence)
    , chunk_bytes_(std::max<std::size_t>(chunk_bytes, kHeaderBytes)) {}

LogReader::~LogReader() {
    close_segment();
}

void LogReader::close_segment() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = -1;
    buffer_offset_ = 0;
    pos_ = 0;
    size_ = 0;
}

// Opens the segment that holds next_ (the last one whose first sequence is <= next_, or the
// oldest when all of them start above it), or with `after_current` the one after the open one.
error_code LogReader::open_segment(bool after_current) {
    error_code ec;
    const std::vector<detail::SegmentFile> segments = detail::list_segments(dir_, ec);
    if (ec) {
        return ec;
    }
    const detail::SegmentFile* pick = nullptr;
    for (const detail::SegmentFile& s : segments) {
        if (after_current) {
            if (s.first_sequence > segment_first_) {
                pick = &s;
                break;
            }
        } else if (s.first_sequence <= next_ || pick == nullptr) {
            pick = &s;
        }
    }
    if (pick == nullptr) {
        return errno_code(ENOENT);
    }
    const int fd = ::open(pick->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno_code(errno);
    }
    close_segment();
    fd_ = fd;
    segment_first_ = pick->first_sequence;
    segment_name_ = std::filesystem::path(pick->path).filename().string();
    last_seen_ = segment_first_;
    next_ = std::max(next_, segment_first_);  // a segment starts where the one before ended
    return {};
}

std::size_t LogReader::fill(std::size_t need, error_code& ec) {
    if (size_ - pos_ >= need) {
        return size_ - pos_;
    }
    if (pos_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + pos_, size_ - pos_);
        buffer_offset_ += pos_;
        size_ -= pos_;
        pos_ = 0;
    }
    const std::size_t want = std::max(need, chunk_bytes_);
    if (buffer_.size() < want) {
        buffer_.resize(want);
    }
    while (size_ < need) {
        const ssize_t n = ::pread(fd_, buffer_.data() + size_, buffer_.size() - size_,
                                  static_cast<off_t>(buffer_offset_ + size_));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            ec = errno_code(errno);
            break;
        }
        if (n == 0) {
            break;
        }
        size_ += static_cast<std::size_t>(n);
    }
    return size_ - pos_;
}

std::size_t LogReader::read(std::uint64_t end,
                            std::size_t max_records,
                            const std::function<void(const WalRecord&)>& visitor,
                            error_code& ec) {
    ec.clear();
    std::size_t visited = 0;
    while (visited < max_records && next_ < end) {
        if (fd_ < 0 && (ec = open_segment(false))) {
            return visited;
        }
        const std::size_t have = fill(kHeaderBytes, ec);
        if (ec) {
            return visited;
        }
        if (have == 0) {  // the end of this segment: the next record is in the next one
            if ((ec = open_segment(true))) {
                return visited;
            }
            continue;
        }
        if (have >= kHeaderBytes) {
            const char* p = buffer_.data() + pos_;
            const auto len = detail::load<std::uint32_t>(p + 4);
            if (detail::load<std::uint32_t>(p) == kRecordMagic && len <= kMaxRecordPayload) {
                const std::size_t whole = fill(kHeaderBytes + len, ec);
                if (ec) {
                    return visited;
                }
                const std::string_view data(buffer_.data() + pos_, size_ - pos_);
                if (whole >= kHeaderBytes + len && detail::valid_at(data, 0)) {
                    const WalRecord r = detail::record_at(data, 0);
                    if (r.sequence >= end) {
                        break;  // written, not yet durable
                    }
                    pos_ += kHeaderBytes + len;
                    visited += take(r, visitor);
                    continue;
                }
            }
        }
        visited += read_damaged(end, visitor, ec);  // bad bytes, or a record cut short
        if (ec) {
            return visited;
        }
    }
    return visited;
}

// A good record met: visited unless it is below next_ (a checkpoint inside the segment).
std::size_t LogReader::take(const WalRecord& r,
                            const std::function<void(const WalRecord&)>& visitor) {
    last_seen_ = r.sequence + 1;
    if (r.sequence < next_) {
        return 0;
    }
    next_ = r.sequence + 1;
    visitor(r);
    return 1;
}

// Reads the rest of the segment whole and scans it: damaged bytes become corrupt records, the
// scan resumes at the next valid record. The chunked reader goes on after the last record
// handled here.
std::size_t LogReader::read_damaged(std::uint64_t end,
                                    const std::function<void(const WalRecord&)>& visitor,
                                    error_code& ec) {
    const std::uint64_t base = buffer_offset_ + pos_;
    std::string data;
    std::size_t visited = 0;
    if ((ec = detail::read_file((std::filesystem::path(dir_) / segment_name_).string(), data,
                                base))) {
        return visited;
    }
    std::size_t p = 0;
    while (p < data.size() && next_ < end) {
        if (detail::valid_at(data, p)) {
            const WalRecord r = detail::record_at(data, p);
            if (r.sequence >= end) {
                break;
            }
            p += kHeaderBytes + r.payload.size();
            visited += take(r, visitor);
            continue;
        }
        const std::size_t q = detail::resync(data, p);
        const WalRecord r =
            detail::corrupt_at(data, p, q, segment_name_, last_seen_, q == data.size(), base);
        if (last_seen_++ >= next_) {
            visitor(r);
        }
        p = q;
    }
    pos_ = 0;
    size_ = 0;
    buffer_offset_ = base + p;
    if (p == data.size() && next_ < end) {
        // Damage up to the segment's end: the next records are in the next segment, or, with
        // none, the damaged bytes held them.
        if (const error_code oec = open_segment(true)) {
            if (oec != errno_code(ENOENT)) {
                ec = oec;
                return visited;
            }
            next_ = end;
        }
    }
    return visited;
}

}  // namespace gstream::wal

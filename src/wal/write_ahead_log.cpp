#include "wal/write_ahead_log.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fcntl.h>
#if defined(__x86_64__)
#include <nmmintrin.h>
#endif
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_mode.hpp"
#include "wal/segment_format.hpp"

namespace gstream::wal {
namespace {

namespace fs = std::filesystem;
using boost::system::error_code;
using detail::read_file;
using detail::scan;

error_code errno_code(int e) {
    return {e, boost::system::system_category()};
}

constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? (c >> 1) ^ 0x82F63B78U : c >> 1;  // Castagnoli, reflected
        }
        t[i] = c;
    }
    return t;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

template <class T>
void store(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}

error_code sync_dir(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return errno_code(errno);
    }
    const int rc = ::fsync(fd);
    const int e = errno;
    ::close(fd);
    return rc == 0 ? error_code{} : errno_code(e);
}

#if defined(__x86_64__)
// The SSE 4.2 crc32 instruction computes CRC-32C eight bytes at a time (~10x the table).
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc,
                                                             const unsigned char* p,
                                                             std::size_t size) noexcept {
    std::uint64_t c = ~crc;
    for (; size >= 8; size -= 8, p += 8) {
        std::uint64_t v;
        std::memcpy(&v, p, sizeof v);
        c = _mm_crc32_u64(c, v);
    }
    auto c32 = static_cast<std::uint32_t>(c);
    for (; size > 0; --size, ++p) {
        c32 = _mm_crc32_u8(c32, *p);
    }
    return ~c32;
}
#endif

}  // namespace

std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
    static const bool hardware = __builtin_cpu_supports("sse4.2");
    if (hardware) {
        return crc32c_sse42(crc, p, size);
    }
#endif
    crc = ~crc;
    for (std::size_t i = 0; i < size; ++i) {
        crc = kCrcTable[(crc ^ p[i]) & 0xFFU] ^ (crc >> 8);
    }
    return ~crc;
}

std::string segment_name(std::uint64_t first_sequence) {
    return fmt::format("wal-{:020}.log", first_sequence);
}

WriteAheadLog::WriteAheadLog(WalOptions options)
    : options_(std::move(options)) {}

WriteAheadLog::~WriteAheadLog() {
    if (fd_ >= 0) {
        (void)write_buffer();
        if (unsynced_ && options_.fsync != FsyncPolicy::kNever) {
            ::fdatasync(fd_);
        }
        ::close(fd_);
    }
}

std::unique_ptr<WriteAheadLog> WriteAheadLog::open(WalOptions options, error_code& ec) {
    ec.clear();
    std::unique_ptr<WriteAheadLog> log(new WriteAheadLog(std::move(options)));
    std::error_code sec;
    fs::create_directories(log->options_.dir, sec);
    if (sec) {
        ec = errno_code(sec.value());
        return nullptr;
    }
    for (detail::SegmentFile& f : detail::list_segments(log->options_.dir, ec)) {
        log->segments_.push_back({f.first_sequence, std::move(f.path), f.size});
    }
    if (ec) {
        return nullptr;
    }
    if (log->segments_.empty()) {
        ec = log->open_active(0);
        return ec ? nullptr : std::move(log);
    }
    // Scan the active segment: its last good record gives the next sequence; a torn tail is cut.
    Segment& last = log->segments_.back();
    std::string data;
    if ((ec = read_file(last.path, data))) {
        return nullptr;
    }
    std::uint64_t next = last.first_sequence;
    const std::string name = fs::path(last.path).filename().string();
    const std::size_t keep =
        scan(data, name, last.first_sequence, [&](const WalRecord& r, bool torn) {
            if (!r.corrupt) {
                next = r.sequence + 1;
            } else if (torn) {
                log->torn_.push_back({r.sequence, std::string(r.payload), r.detail});
            }
        });
    if (keep < data.size()) {
        if (::truncate(last.path.c_str(), static_cast<off_t>(keep)) != 0) {
            ec = errno_code(errno);
            return nullptr;
        }
    }
    for (std::size_t i = 0; i + 1 < log->segments_.size(); ++i) {
        log->bytes_ += log->segments_[i].size;
    }
    last.size = keep;
    log->bytes_ += keep;
    log->next_sequence_ = next;
    log->fd_ = ::open(last.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (log->fd_ < 0) {
        ec = errno_code(errno);
        return nullptr;
    }
    if (keep < data.size() && ::fdatasync(log->fd_) != 0) {
        ec = errno_code(errno);
        return nullptr;
    }
    return log;
}

error_code WriteAheadLog::open_active(std::uint64_t first_sequence) {
    const std::string path = (fs::path(options_.dir) / segment_name(first_sequence)).string();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                          core::kDataFileMode);
    if (fd < 0) {
        return errno_code(errno);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
    segments_.push_back({first_sequence, path, 0});
    next_sequence_ = first_sequence;
    if (options_.fsync != FsyncPolicy::kNever) {
        if (const error_code ec = sync_dir(options_.dir)) {
            return ec;
        }
    }
    return {};
}

void WriteAheadLog::take_torn(const std::function<void(const WalRecord&)>& visitor) {
    for (const Torn& t : torn_) {
        WalRecord r;
        r.corrupt = true;
        r.sequence = t.sequence;
        r.payload = t.payload;
        r.detail = t.detail;
        visitor(r);
    }
    torn_.clear();
}

std::uint64_t WriteAheadLog::append(std::string_view payload,
                                    std::int64_t received_wall_ms,
                                    std::int64_t now_steady_ms) {
    if (buffer_.empty()) {
        buffer_first_sequence_ = next_sequence_;
    }
    const std::uint64_t sequence = next_sequence_++;
    const std::size_t start = buffer_.size();
    store(buffer_, kRecordMagic);
    store(buffer_, static_cast<std::uint32_t>(payload.size()));
    store(buffer_, std::uint32_t{0});
    store(buffer_, sequence);
    store(buffer_, received_wall_ms);
    buffer_.append(payload);
    const std::uint32_t crc = crc32c(0, buffer_.data() + start + 12, 16 + payload.size());
    std::memcpy(buffer_.data() + start + 8, &crc, sizeof crc);
    if (active_opened_ms_ == 0) {
        active_opened_ms_ = now_steady_ms;
    }
    if (options_.fsync == FsyncPolicy::kAlways) {
        (void)sync(now_steady_ms);  // an error stays visible: the buffer is kept and the next
                                    // sync() fails too
    }
    return sequence;
}

error_code WriteAheadLog::write_buffer() {
    if (buffer_.empty()) {
        return {};
    }
    Segment& active = segments_.back();
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const error_code ec = errno_code(n < 0 ? errno : ENOSPC);
            // Nothing of this buffer counts: cut what was written, keep the buffer to retry.
            if (done > 0) {
                (void)::ftruncate(fd_, static_cast<off_t>(active.size));
            }
            return ec;
        }
        done += static_cast<std::size_t>(n);
    }
    active.size += buffer_.size();
    bytes_ += buffer_.size();
    buffer_.clear();
    unsynced_ = true;
    return {};
}

error_code WriteAheadLog::sync(std::int64_t now_steady_ms) {
    if (error_code ec = write_buffer()) {
        return ec;
    }
    if (unsynced_ && options_.fsync != FsyncPolicy::kNever) {
        if (::fdatasync(fd_) != 0) {
            return errno_code(errno);  // written; the next sync() tries the fdatasync again
        }
    }
    unsynced_ = false;
    return rotate_if_due(now_steady_ms);
}

error_code WriteAheadLog::flush(std::int64_t now_steady_ms) {
    if (error_code ec = write_buffer()) {
        return ec;
    }
    return rotate_if_due(now_steady_ms);
}

// Closes the active segment when it is full, or older than segment_age_ms at `now_steady_ms`
// (0: no age check). A closed segment is never synced again: what flush() wrote to it is made
// durable first.
error_code WriteAheadLog::rotate_if_due(std::int64_t now_steady_ms) {
    const Segment& active = segments_.back();
    const bool old = now_steady_ms > 0 && active_opened_ms_ > 0 &&
                     now_steady_ms - active_opened_ms_ >= options_.segment_age_ms;
    if (active.size == 0 || (active.size < options_.segment_bytes && !old)) {
        return {};
    }
    if (unsynced_ && options_.fsync != FsyncPolicy::kNever && ::fdatasync(fd_) != 0) {
        return errno_code(errno);
    }
    unsynced_ = false;
    active_opened_ms_ = now_steady_ms;
    return open_active(next_sequence_);
}

std::size_t WriteAheadLog::discard_unwritten() noexcept {
    if (buffer_.empty()) {
        return 0;
    }
    const std::size_t n = next_sequence_ - buffer_first_sequence_;
    next_sequence_ = buffer_first_sequence_;
    buffer_.clear();
    return n;
}

error_code WriteAheadLog::truncate_from(std::uint64_t sequence) {
    discard_unwritten();
    if (sequence >= next_sequence_) {
        return {};
    }
    while (segments_.size() > 1 && segments_.back().first_sequence >= sequence) {
        if (::unlink(segments_.back().path.c_str()) != 0 && errno != ENOENT) {
            return errno_code(errno);
        }
        bytes_ -= segments_.back().size;
        segments_.pop_back();
    }
    if (segments_.back().first_sequence > sequence) {
        // Everything left is at or after it (older segments released): start afresh there.
        if (::unlink(segments_.back().path.c_str()) != 0 && errno != ENOENT) {
            return errno_code(errno);
        }
        segments_.clear();
        bytes_ = 0;
        unsynced_ = false;
        return open_active(sequence);
    }
    Segment& last = segments_.back();
    std::string data;
    if (error_code ec = read_file(last.path, data)) {
        return ec;
    }
    std::size_t keep = 0;
    std::size_t pos = 0;
    while (pos < data.size()) {
        if (!detail::valid_at(data, pos)) {
            pos = detail::resync(data, pos);  // damaged bytes: kept, the readers skip them
            continue;
        }
        const WalRecord r = detail::record_at(data, pos);
        if (r.sequence >= sequence) {
            break;
        }
        pos += kHeaderBytes + r.payload.size();
        keep = pos;
    }
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (::truncate(last.path.c_str(), static_cast<off_t>(keep)) != 0) {
        return errno_code(errno);
    }
    fd_ = ::open(last.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) {
        return errno_code(errno);
    }
    if (options_.fsync != FsyncPolicy::kNever && ::fdatasync(fd_) != 0) {
        return errno_code(errno);
    }
    bytes_ -= last.size - keep;
    last.size = keep;
    next_sequence_ = sequence;
    unsynced_ = false;
    return {};
}

error_code WriteAheadLog::skip_to(std::uint64_t sequence) {
    if (sequence <= next_sequence_) {
        return {};
    }
    if (error_code ec = write_buffer()) {
        return ec;
    }
    if (segments_.back().size == 0) {  // an empty active segment: replaced
        ::unlink(segments_.back().path.c_str());
        segments_.pop_back();
    }
    return open_active(sequence);
}

error_code WriteAheadLog::release_through(std::uint64_t sequence) {
    while (segments_.size() > 1 && segments_[1].first_sequence <= sequence + 1) {
        if (::unlink(segments_.front().path.c_str()) != 0 && errno != ENOENT) {
            return errno_code(errno);
        }
        bytes_ -= segments_.front().size;
        segments_.erase(segments_.begin());
    }
    return {};
}

}  // namespace gstream::wal

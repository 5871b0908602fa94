#include "wal/segment_format.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

namespace gstream::wal::detail {
namespace {

namespace fs = std::filesystem;
using boost::system::error_code;

error_code errno_code(int e) {
    return {e, boost::system::system_category()};
}

}  // namespace

std::optional<std::uint64_t> parse_segment_name(std::string_view name) {
    if (name.size() != 28 || !name.starts_with("wal-") || !name.ends_with(".log")) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    const char* first = name.data() + 4;
    const char* last = first + 20;
    const auto [ptr, err] = std::from_chars(first, last, v);
    if (err != std::errc() || ptr != last) {
        return std::nullopt;
    }
    return v;
}

std::vector<SegmentFile> list_segments(const std::string& dir, error_code& ec) {
    ec.clear();
    std::vector<SegmentFile> out;
    std::error_code sec;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, sec)) {
        std::error_code fec;
        const auto first = parse_segment_name(entry.path().filename().string());
        if (first && entry.is_regular_file(fec)) {
            const auto size = entry.file_size(fec);
            if (!fec) {  // a segment released while listing is skipped
                out.push_back({*first, entry.path().string(), size});
            }
        }
    }
    if (sec) {
        ec = errno_code(sec.value());
    }
    std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) {
        return a.first_sequence < b.first_sequence;
    });
    return out;
}

error_code read_file(const std::string& path, std::string& out, std::uint64_t offset) {
    out.clear();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno_code(errno);
    }
    char buf[1 << 16];
    auto at = static_cast<off_t>(offset);
    for (;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return errno_code(e);
        }
        if (n == 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
        at += n;
    }
    ::close(fd);
    return {};
}

bool valid_at(std::string_view data, std::size_t pos) noexcept {
    if (pos > data.size() || data.size() - pos < kHeaderBytes) {
        return false;
    }
    const char* p = data.data() + pos;
    if (load<std::uint32_t>(p) != kRecordMagic) {
        return false;
    }
    const auto len = load<std::uint32_t>(p + 4);
    if (len > kMaxRecordPayload || data.size() - pos - kHeaderBytes < len) {
        return false;
    }
    return crc32c(0, p + 12, 16 + len) == load<std::uint32_t>(p + 8);
}

std::size_t resync(std::string_view data, std::size_t pos) noexcept {
    for (std::size_t q = pos + 1; q + kHeaderBytes <= data.size(); ++q) {
        if (static_cast<unsigned char>(data[q]) == (kRecordMagic & 0xFFU) && valid_at(data, q)) {
            return q;
        }
    }
    return data.size();
}

WalRecord corrupt_at(std::string_view data, std::size_t pos, std::size_t next,
                     std::string_view name, std::uint64_t expected, bool torn,
                     std::uint64_t base) {
    WalRecord r;
    r.corrupt = true;
    r.sequence = expected;
    const char* p = data.data() + pos;
    if (data.size() - pos >= kHeaderBytes && load<std::uint32_t>(p) == kRecordMagic) {
        const auto len = load<std::uint32_t>(p + 4);
        if (len <= kMaxRecordPayload && kHeaderBytes + len <= next - pos) {
            r.payload = data.substr(pos + kHeaderBytes, len);
        }
    }
    r.detail = fmt::format("{} in {} at offset {} ({} bytes{})",
                           torn ? "torn or corrupt tail" : "checksum mismatch", name, base + pos,
                           next - pos, r.payload.empty() ? ", unrecoverable" : "");
    return r;
}

}  // namespace gstream::wal::detail

#pragma once
// The on-disk record format shared by the writer (write_ahead_log.cpp) and the reader
// (log_reader.cpp): header decoding, segment names, and the resynchronising scan over damaged
// bytes. Internal to src/wal.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>
#include <fmt/format.h>

#include "wal/write_ahead_log.hpp"

namespace gstream::wal::detail {

template <class T>
T load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

/// "wal-<20 digits>.log" -> first sequence.
std::optional<std::uint64_t> parse_segment_name(std::string_view name);

struct SegmentFile {
    std::uint64_t first_sequence = 0;
    std::string path;
    std::uint64_t size = 0;
};
/// The segment files in `dir`, oldest first. ec on I/O errors.
std::vector<SegmentFile> list_segments(const std::string& dir, boost::system::error_code& ec);

/// Reads a whole file (or from `offset` to its end) into `out`.
boost::system::error_code read_file(const std::string& path, std::string& out,
                                    std::uint64_t offset = 0);

/// A record starting at `pos` that is whole and passes its checksum.
bool valid_at(std::string_view data, std::size_t pos) noexcept;

/// The record whose valid header starts at `pos` (valid_at() answered true).
inline WalRecord record_at(std::string_view data, std::size_t pos) {
    const char* p = data.data() + pos;
    WalRecord r;
    r.sequence = load<std::uint64_t>(p + 12);
    r.received_wall_ms = load<std::int64_t>(p + 20);
    r.payload = data.substr(pos + kHeaderBytes, load<std::uint32_t>(p + 4));
    return r;
}

/// The offset of the next valid record after `pos`, or data.size().
std::size_t resync(std::string_view data, std::size_t pos) noexcept;

/// The corrupt item covering bytes [pos, next) of segment `name`: its payload when the header's
/// length is sane and the bytes are all there; sequence = `expected` (the header's own is not
/// trusted). `data` starts at file offset `base` (for the detail).
WalRecord corrupt_at(std::string_view data, std::size_t pos, std::size_t next,
                     std::string_view name, std::uint64_t expected, bool torn,
                     std::uint64_t base = 0);

/// Scans one segment's bytes. Calls on_item(record, torn) for every good and corrupt record;
/// returns the offset where a torn tail starts (data.size() when there is none).
template <class F>
std::size_t scan(std::string_view data, std::string_view name, std::uint64_t first_sequence,
                 F&& on_item) {
    std::size_t pos = 0;
    std::uint64_t expected = first_sequence;
    while (pos < data.size()) {
        if (valid_at(data, pos)) {
            const WalRecord r = record_at(data, pos);
            expected = r.sequence + 1;
            pos += kHeaderBytes + r.payload.size();
            on_item(r, false);
            continue;
        }
        const std::size_t next = resync(data, pos);
        const bool torn = next == data.size();
        on_item(corrupt_at(data, pos, next, name, expected++, torn), torn);
        if (torn) {
            return pos;
        }
        pos = next;
    }
    return data.size();
}

}  // namespace gstream::wal::detail

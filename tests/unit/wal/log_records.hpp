#pragma once
// Test helper: the records of a write-ahead log as LogReader delivers them, copied out.

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wal/log_reader.hpp"

namespace gstream::wal::testing {

struct Seen {
    std::uint64_t sequence;
    std::string payload;
    bool corrupt;
    std::string detail;
};

inline void add(std::vector<Seen>& out, const WalRecord& r) {
    out.push_back({r.sequence, std::string(r.payload), r.corrupt, r.detail});
}

/// Reads [reader.next(), end), `batch` records per read() call.
inline std::vector<Seen> read_records(LogReader& reader, std::uint64_t end,
                                      std::size_t batch = 7) {
    std::vector<Seen> out;
    for (int guard = 0; reader.next() < end && guard < 100000; ++guard) {
        boost::system::error_code ec;
        reader.read(end, batch, [&](const WalRecord& r) { add(out, r); }, ec);
        EXPECT_FALSE(ec) << ec.message();
        if (ec) {
            break;
        }
    }
    return out;
}

}  // namespace gstream::wal::testing

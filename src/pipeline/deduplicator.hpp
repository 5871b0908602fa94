#pragma once
// De-duplication by event id within a window of the last N ids and T milliseconds. Pure: the
// caller passes `now`.
//
// Storage is flat, with no allocation per id once warm: the ids' bytes sit back to back in one
// circular byte buffer, their (time seen, hash, position) records in a circular array, oldest
// first, and an open-addressing hash table (linear probing) maps ids to records. Every structure
// doubles when full and never shrinks.

#include <cstdint>
#include <string_view>
#include <vector>

namespace gstream::pipeline {

class Deduplicator {
public:
    /// `window_events` ids at most are remembered (at most 2^31; the config allows 10^8), each
    /// for `window_ms` of processing time.
    Deduplicator(std::uint64_t window_events, std::int64_t window_ms);

    /// True when `id` was seen within the window (a duplicate); otherwise remembers it.
    /// `now_ms`: a monotonic clock in milliseconds.
    bool seen(std::string_view id, std::int64_t now_ms);
    std::size_t size() const noexcept { return static_cast<std::size_t>(count_); }

    /// Visits every remembered id with the time it was seen (`now_ms` clock), oldest first
    /// (persisted with write-ahead log checkpoints, docs/recovery.md).
    template <class F>
    void for_each(F&& visit) const {
        for (std::uint64_t s = head_; s != head_ + count_; ++s) {
            const Record& r = records_[s & record_mask_];
            visit(bytes_of(r), r.at_ms);
        }
    }
    /// Remembers `id` as seen at `seen_ms` (restoring a persisted window; call oldest first).
    void remember(std::string_view id, std::int64_t seen_ms);

private:
    struct Record {
        std::int64_t at_ms;
        std::uint64_t hash;
        std::uint64_t pos;  // logical position of the id's first byte in bytes_
        std::uint32_t len;
    };

    std::string_view bytes_of(const Record& r) const noexcept {
        return {bytes_.data() + (r.pos & byte_mask_), r.len};
    }
    bool contains(std::string_view id, std::uint64_t hash) const noexcept;
    void push(std::string_view id, std::uint64_t hash, std::int64_t at_ms);
    void pop_oldest();
    void expire(std::int64_t now_ms);
    void grow_bytes(std::size_t need);
    void grow_records();
    void grow_table();
    void insert_slot(std::uint64_t record_seq, std::uint64_t hash);
    void rebuild_table(std::size_t size);

    std::uint64_t window_events_;
    std::int64_t window_ms_;
    // Records of sequence numbers [head_, head_ + count_), record s at records_[s & record_mask_].
    std::vector<Record> records_;
    std::uint64_t record_mask_ = 0;
    std::uint64_t head_ = 0;
    std::uint64_t count_ = 0;
    // Id bytes at logical positions [oldest record's pos, byte_tail_), byte p at
    // bytes_[p & byte_mask_]. An id never wraps around the end (the gap before the end is skipped).
    std::vector<char> bytes_;
    std::uint64_t byte_mask_ = 0;
    std::uint64_t byte_tail_ = 0;
    // Hash table, at most half full. A slot holds the low 32 bits of the id's hash (its home
    // and a tag, so probing and deletion rarely touch records_) and the record's index in
    // records_ + 1 (0 = empty; live records have distinct indexes).
    struct Slot {
        std::uint32_t hash;
        std::uint32_t ref;
    };
    std::vector<Slot> slots_;
    std::uint64_t slot_mask_ = 0;
};

}  // namespace gstream::pipeline

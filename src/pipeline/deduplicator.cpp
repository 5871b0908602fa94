#include "pipeline/deduplicator.hpp"

#include <cstring>

namespace gstream::pipeline {
namespace {

constexpr std::size_t kInitialRecords = 64;
constexpr std::size_t kInitialBytes = 4096;

std::uint64_t load64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

__extension__ typedef unsigned __int128 U128;

std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
    const U128 r = static_cast<U128>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

// A fast 64-bit hash of the id bytes (wyhash-style multiply-fold).
std::uint64_t hash_id(std::string_view s) noexcept {
    constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL;
    constexpr std::uint64_t k1 = 0xe7037ed1a0b428dbULL;
    std::uint64_t h = k0 ^ (s.size() * k1);
    const char* p = s.data();
    std::size_t n = s.size();
    while (n >= 16) {
        h = mix(load64(p) ^ k1 ^ h, load64(p + 8) ^ k0);
        p += 16;
        n -= 16;
    }
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (n >= 8) {
        a = load64(p);
        b = load64(p + n - 8);
    } else if (n > 0) {
        std::memcpy(&a, p, n);
        b = static_cast<unsigned char>(p[n - 1]);
    }
    return mix(a ^ k1 ^ h, b ^ k0 ^ n);
}

}  // namespace

Deduplicator::Deduplicator(std::uint64_t window_events, std::int64_t window_ms)
    : window_events_(window_events)
    , window_ms_(window_ms) {}

bool Deduplicator::contains(std::string_view id, std::uint64_t hash) const noexcept {
    if (count_ == 0) {
        return false;
    }
    const auto tag = static_cast<std::uint32_t>(hash);
    for (std::uint64_t i = tag & slot_mask_;; i = (i + 1) & slot_mask_) {
        const Slot slot = slots_[i];
        if (slot.ref == 0) {
            return false;
        }
        if (slot.hash == tag) {
            const Record& r = records_[slot.ref - 1];
            if (r.hash == hash && bytes_of(r) == id) {
                return true;
            }
        }
    }
}

void Deduplicator::insert_slot(std::uint64_t record_seq, std::uint64_t hash) {
    std::uint64_t i = static_cast<std::uint32_t>(hash) & slot_mask_;  // the slot's home
    while (slots_[i].ref != 0) {
        i = (i + 1) & slot_mask_;
    }
    slots_[i] = Slot{static_cast<std::uint32_t>(hash),
                     static_cast<std::uint32_t>((record_seq & record_mask_) + 1)};
}

void Deduplicator::rebuild_table(std::size_t size) {
    slots_.assign(size, Slot{0, 0});
    slot_mask_ = size - 1;
    for (std::uint64_t s = head_; s != head_ + count_; ++s) {
        insert_slot(s, records_[s & record_mask_].hash);
    }
}

void Deduplicator::grow_table() {
    rebuild_table(slots_.empty() ? 2 * kInitialRecords : 2 * slots_.size());
}

void Deduplicator::grow_records() {
    const std::size_t size = records_.empty() ? kInitialRecords : 2 * records_.size();
    std::vector<Record> records(size);
    for (std::uint64_t s = head_; s != head_ + count_; ++s) {
        records[s & (size - 1)] = records_[s & record_mask_];
    }
    records_ = std::move(records);
    record_mask_ = size - 1;
    if (!slots_.empty()) {
        rebuild_table(slots_.size());  // slots name records by index
    }
}

void Deduplicator::grow_bytes(std::size_t need) {
    std::size_t size = bytes_.empty() ? kInitialBytes : 2 * bytes_.size();
    while (size < 2 * need) {
        size *= 2;
    }
    // Packs the live ids from position 0 of the new buffer, oldest first.
    std::vector<char> bytes(size);
    std::uint64_t tail = 0;
    for (std::uint64_t s = head_; s != head_ + count_; ++s) {
        Record& r = records_[s & record_mask_];
        std::memcpy(bytes.data() + tail, bytes_.data() + (r.pos & byte_mask_), r.len);
        r.pos = tail;
        tail += r.len;
    }
    bytes_ = std::move(bytes);
    byte_mask_ = size - 1;
    byte_tail_ = tail;
}

void Deduplicator::push(std::string_view id, std::uint64_t hash, std::int64_t at_ms) {
    if (count_ == records_.size()) {
        grow_records();
    }
    if (2 * (count_ + 1) > slots_.size()) {
        grow_table();
    }
    const std::uint64_t len = id.size();
    for (;;) {
        const std::uint64_t oldest = count_ == 0 ? byte_tail_ : records_[head_ & record_mask_].pos;
        std::uint64_t at = byte_tail_;
        const std::uint64_t offset = at & byte_mask_;
        if (!bytes_.empty() && offset + len > bytes_.size()) {
            at += bytes_.size() - offset;  // skip the gap at the end: an id never wraps
        }
        if (!bytes_.empty() && at + len - oldest <= bytes_.size()) {
            if (len > 0) {
                std::memcpy(bytes_.data() + (at & byte_mask_), id.data(), len);
            }
            byte_tail_ = at + len;
            records_[(head_ + count_) & record_mask_] =
                Record{at_ms, hash, at, static_cast<std::uint32_t>(len)};
            insert_slot(head_ + count_, hash);
            ++count_;
            return;
        }
        grow_bytes(byte_tail_ - oldest + len);
    }
}

void Deduplicator::pop_oldest() {
    const Record& r = records_[head_ & record_mask_];
    const auto ref = static_cast<std::uint32_t>((head_ & record_mask_) + 1);
    // Finds the record's slot, then closes the hole (backward-shift deletion): every following
    // slot of the probe run whose home is not strictly between the hole and it moves back.
    std::uint64_t i = static_cast<std::uint32_t>(r.hash) & slot_mask_;
    while (slots_[i].ref != ref) {
        i = (i + 1) & slot_mask_;
    }
    std::uint64_t hole = i;
    for (std::uint64_t j = (hole + 1) & slot_mask_; slots_[j].ref != 0;
         j = (j + 1) & slot_mask_) {
        const std::uint64_t home = slots_[j].hash & slot_mask_;
        // Movable when home is not in (hole, j] cyclically.
        const bool in_between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!in_between) {
            slots_[hole] = slots_[j];
            hole = j;
        }
    }
    slots_[hole] = Slot{0, 0};
    ++head_;
    --count_;
    if (count_ == 0) {
        byte_tail_ = 0;
    }
}

void Deduplicator::expire(std::int64_t now_ms) {
    while (count_ > 0 && (count_ > window_events_ ||
                          records_[head_ & record_mask_].at_ms + window_ms_ <= now_ms)) {
        pop_oldest();
    }
}

bool Deduplicator::seen(std::string_view id, std::int64_t now_ms) {
    expire(now_ms);
    const std::uint64_t hash = hash_id(id);
    if (contains(id, hash)) {
        return true;
    }
    if (window_events_ == 0) {
        return false;
    }
    push(id, hash, now_ms);
    expire(now_ms);
    return false;
}

void Deduplicator::remember(std::string_view id, std::int64_t seen_ms) {
    if (window_events_ == 0) {
        return;
    }
    const std::uint64_t hash = hash_id(id);
    if (!contains(id, hash)) {
        push(id, hash, seen_ms);
    }
    while (count_ > window_events_) {
        pop_oldest();
    }
}

}  // namespace gstream::pipeline

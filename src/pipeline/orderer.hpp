#pragma once
// Orderer: releases events in event-time order behind a watermark. Pure: the caller passes `now`.
//
// watermark = highest instant seen − allowed lateness. An event whose instant is below the
// watermark when it arrives is late: it is emitted at once with `late = true`. Other events are
// held and released in instant order (ties in arrival order) once their instant is at or below
// the watermark, or once the oldest of them has been held `allowed_lateness_ms` of processing time,
// so a quiet stream never keeps its last events. A release by processing time raises the
// watermark to the released instant, so everything emitted so far stays at or below it.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/event.hpp"

namespace gstream::pipeline {

class Orderer {
public:
    explicit Orderer(std::int64_t allowed_lateness_ms);

    /// Adds an event. A late event is appended to `out` at once (flagged); others are held.
    /// Then releases what the new watermark allows. `now_ms`: monotonic milliseconds.
    void push(core::Event&& event, std::int64_t now_ms, std::vector<core::Event>& out);
    /// Releases what is due at `now_ms` into `out`, in instant order.
    void release(std::int64_t now_ms, std::vector<core::Event>& out);
    /// Releases everything held, in instant order (drain at shutdown or end of stream).
    void flush(std::vector<core::Event>& out);
    /// When release() next has something to do by processing time; nullopt when nothing is held.
    std::optional<std::int64_t> next_deadline_ms() const;

    std::size_t held() const noexcept { return heap_.size(); }
    /// Current watermark in ns since the epoch (INT64_MIN before the first event).
    std::int64_t watermark_ns() const noexcept { return watermark_ns_; }

private:
    // The heap orders small keys; the held events stay put in slots_ (an Event is ~170 bytes,
    // and a heap operation moves log2(held) elements).
    struct Key {
        std::int64_t instant_ns;
        std::uint64_t sequence;
        std::uint32_t slot;  ///< index in slots_
    };
    struct Later {
        bool operator()(const Key& a, const Key& b) const noexcept {
            return a.instant_ns != b.instant_ns ? a.instant_ns > b.instant_ns
                                                : a.sequence > b.sequence;
        }
    };
    struct Arrival {
        std::int64_t at_ms;
        std::int64_t instant_ns;
    };

    void release_up_to(std::int64_t bound_ns, std::vector<core::Event>& out);

    std::int64_t lateness_ms_;
    std::int64_t lateness_ns_;
    std::int64_t max_seen_ns_ = INT64_MIN;
    std::int64_t watermark_ns_ = INT64_MIN;
    std::vector<Key> heap_;             // a min-heap by (instant, sequence) under Later
    std::vector<core::Event> slots_;    // held events; moved-from when free
    std::vector<std::uint32_t> free_;   // free indexes of slots_
    std::deque<Arrival> arrivals_;  // held events in arrival order (may include released ones)
};

}  // namespace gstream::pipeline

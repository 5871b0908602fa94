#pragma once
// Batcher: closes a batch on count, bytes or age, whichever comes first. Pure.

#include <cstdint>
#include <optional>
#include <vector>

#include "core/event.hpp"

namespace gstream::pipeline {

struct BatchLimits {
    std::size_t max_events = 100;
    std::size_t max_bytes = 1 << 20;  ///< sum of the events' raw sizes, bytes
    std::int64_t max_age_ms = 10'000; ///< from the first event added
};

class Batcher {
public:
    explicit Batcher(BatchLimits limits);

    /// Adds an event; `now_ms` starts the age clock of an empty batch.
    void add(core::Event&& event, std::int64_t now_ms);
    /// True when the batch reached max_events or max_bytes.
    bool full() const noexcept;
    /// True when the batch is non-empty and at least max_age_ms old.
    bool expired(std::int64_t now_ms) const noexcept;
    /// When the current batch will expire; nullopt when empty.
    std::optional<std::int64_t> deadline_ms() const noexcept;
    bool empty() const noexcept { return events_.empty(); }
    /// Hands over the batch and starts a new one.
    std::vector<core::Event> take();

private:
    BatchLimits limits_;
    std::vector<core::Event> events_;
    std::size_t bytes_ = 0;
    std::int64_t opened_ms_ = 0;
};

}  // namespace gstream::pipeline

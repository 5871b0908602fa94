#include "source/backoff.hpp"

#include <algorithm>

namespace gstream::source {

Backoff::Backoff(std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t seed)
    : initial_ms_(std::max<std::int64_t>(1, initial_ms)),
      max_ms_(std::max(initial_ms_, max_ms)),
      random_(seed) {}

std::int64_t Backoff::ceiling_ms() const {
    std::int64_t ceiling = initial_ms_;
    for (int i = 0; i < attempts_ && ceiling < max_ms_; ++i) ceiling *= 2;
    return std::min(ceiling, max_ms_);
}

std::int64_t Backoff::next_delay_ms() {
    const std::int64_t ceiling = ceiling_ms();
    const std::int64_t floor = floor_ms();
    if (ceiling < max_ms_) ++attempts_;
    return std::uniform_int_distribution<std::int64_t>(floor, ceiling)(random_);
}

}  // namespace gstream::source

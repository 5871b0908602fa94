#pragma once
// Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
// Jitter"): the n-th delay is uniform in [0, min(max, initial * 2^n)]. Pure; not thread-safe.

#include <cstdint>
#include <random>

namespace gstream::source {

class Backoff {
public:
    /// initial_ms and max_ms are clamped to >= 1 and max_ms >= initial_ms.
    Backoff(std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t seed = std::random_device{}());

    /// The ceiling of the next draw: min(max, initial * 2^attempts).
    std::int64_t ceiling_ms() const;
    /// Draws the next delay in [0, ceiling_ms()] and doubles the ceiling (up to max).
    std::int64_t next_delay_ms();
    /// Back to the initial ceiling (after a connection that delivered messages).
    void reset() { attempts_ = 0; }
    int attempts() const { return attempts_; }

private:
    std::int64_t initial_ms_;
    std::int64_t max_ms_;
    int attempts_ = 0;
    std::mt19937_64 random_;
};

}  // namespace gstream::source

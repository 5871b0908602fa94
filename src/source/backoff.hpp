#pragma once
// Capped exponential backoff with jitter: the n-th delay is uniform in [c/2, c] where
// c = min(max, initial * 2^n) ("equal jitter", AWS Architecture Blog, "Exponential Backoff And
// Jitter"). The lower half is cut off so that a failure that repeats at once (a refused upgrade,
// a refused token) can never retry faster than the schedule: n retries take at least the sum of
// their floors, whatever the draws. Pure; not thread-safe.

#include <cstdint>
#include <random>

namespace gstream::source {

class Backoff {
public:
    /// initial_ms and max_ms are clamped to >= 1 and max_ms >= initial_ms.
    Backoff(std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t seed = std::random_device{}());

    /// The ceiling of the next draw: min(max, initial * 2^attempts).
    std::int64_t ceiling_ms() const;
    /// The floor of the next draw: ceiling_ms() / 2, rounded up.
    std::int64_t floor_ms() const { return (ceiling_ms() + 1) / 2; }
    /// Draws the next delay in [floor_ms(), ceiling_ms()] and doubles the ceiling (up to max).
    std::int64_t next_delay_ms();
    /// Back to the initial ceiling (after a connection that delivered messages).
    void reset() { attempts_ = 0; }
    /// Draws since the last reset() (capped once the ceiling reached max).
    int attempts() const { return attempts_; }

private:
    std::int64_t initial_ms_;
    std::int64_t max_ms_;
    int attempts_ = 0;
    std::mt19937_64 random_;
};

}  // namespace gstream::source

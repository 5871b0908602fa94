#pragma once
// Clock readings in the units the daemon passes around. Thread-safe.

#include <chrono>
#include <cstdint>

namespace gstream::core {

/// Monotonic milliseconds (std::chrono::steady_clock): deadlines, ages, processing time.
inline std::int64_t steady_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Monotonic nanoseconds (std::chrono::steady_clock): receive times, latency.
inline std::int64_t steady_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// The same nanoseconds of a steady_clock reading taken already.
inline std::int64_t steady_ns(std::chrono::steady_clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// The steady_clock reading of steady_ns() nanoseconds (the inverse of steady_ns(t)).
inline std::chrono::steady_clock::time_point steady_time(std::int64_t ns) noexcept {
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::nanoseconds(ns)));
}

/// Wall-clock milliseconds since the Unix epoch (std::chrono::system_clock).
inline std::int64_t wall_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace gstream::core

#pragma once
// Event instants: parsing RFC 3339 §5.6 date-times and formatting them back in UTC.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gstream::core {

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z, plus how many fraction digits the
/// input carried (so output keeps sub-millisecond precision only where the input had it).
struct Instant {
    std::int64_t ns = 0;    ///< nanoseconds since the Unix epoch, UTC
    std::uint8_t digits = 3; ///< fraction digits to print: 3, 6 or 9

    friend bool operator==(const Instant&, const Instant&) = default;
};

/// Smallest and largest representable instants: years 1970 to 2262 (int64 nanoseconds).
inline constexpr std::int64_t kMaxInstantNs = INT64_MAX;

/// Parses an RFC 3339 §5.6 `date-time` ("2026-11-30T11:15:02.1+01:00"): any number of fraction
/// digits (beyond 9 they are truncated), `T`/`t` and `Z`/`z`, any offset up to ±23:59.
/// Returns nullopt for a missing offset, an impossible calendar date (Feb 30, Feb 29 of a
/// non-leap year), a leap second, or an instant outside 1970-01-01..2262-04-11 (int64 ns).
/// Pure; thread-safe.
std::optional<Instant> parse_rfc3339(std::string_view text) noexcept;

/// Converts epoch milliseconds (Genesys `eventTime`) to an Instant with 3 digits; nullopt outside
/// the representable range.
std::optional<Instant> instant_from_epoch_ms(std::int64_t ms) noexcept;

/// Formats an instant in UTC with `Z` and `digits` fraction digits (3, 6 or 9; other values are
/// rounded up to the next of these): "2026-11-30T10:15:02.125Z". Appends to `out`.
void append_rfc3339(std::string& out, Instant instant);

/// Same as append_rfc3339, returned as a new string.
std::string format_rfc3339(Instant instant);

/// Days since 1970-01-01 of a civil date (proleptic Gregorian). Howard Hinnant's algorithm.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace gstream::core

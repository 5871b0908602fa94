#include "core/time.hpp"

#include <array>
#include <limits>

namespace gstream::core {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

bool is_leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` ASCII digits at `pos`; false when any is not a digit.
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
    if (pos + n > s.size()) {
        return false;
    }
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    out = v;
    return true;
}

struct Civil {
    std::int64_t year;
    unsigned month, day;
};

Civil civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {m <= 2 ? y + 1 : y, m, d};
}

}  // namespace

std::optional<Instant> parse_rfc3339(std::string_view s) noexcept {
    // date-fullyear "-" date-month "-" date-mday ("T"/"t"/" " is not allowed by §5.6) time
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!read_digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' ||
        !read_digits(s, 5, 2, month) || s[7] != '-' || !read_digits(s, 8, 2, day) ||
        (s[10] != 'T' && s[10] != 't') || !read_digits(s, 11, 2, hour) || s[13] != ':' ||
        !read_digits(s, 14, 2, minute) || s[16] != ':' || !read_digits(s, 17, 2, second)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    std::int64_t fraction_ns = 0;
    std::uint8_t digits = 3;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t n = 0;
        std::int64_t scale = 100'000'000;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 9) {
                fraction_ns += (s[pos] - '0') * scale;
                scale /= 10;
            }
            ++n;
            ++pos;
        }
        if (n == 0) {
            return std::nullopt;
        }
        digits = n <= 3 ? 3 : (n <= 6 ? 6 : 9);
    }
    if (pos >= s.size()) {
        return std::nullopt;  // no offset: a local time, not an instant
    }
    std::int64_t offset_s = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        unsigned oh = 0, om = 0;
        if (!read_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !read_digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_s = (static_cast<std::int64_t>(oh) * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    const std::int64_t days = days_from_civil(year, month, day);
    const std::int64_t seconds =
        days * 86400 + static_cast<std::int64_t>(hour) * 3600 + minute * 60 + second - offset_s;
    constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kNsPerSecond;
    if (seconds < 0 || seconds > kMaxSeconds) {
        return std::nullopt;
    }
    const std::int64_t base = seconds * kNsPerSecond;
    if (base > std::numeric_limits<std::int64_t>::max() - fraction_ns) {
        return std::nullopt;
    }
    return Instant{base + fraction_ns, digits};
}

std::optional<Instant> instant_from_epoch_ms(std::int64_t ms) noexcept {
    constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max() / 1'000'000;
    if (ms < 0 || ms > kMaxMs) {
        return std::nullopt;
    }
    return Instant{ms * 1'000'000, 3};
}

void append_rfc3339(std::string& out, Instant instant) {
    const std::int64_t ns = instant.ns;
    const std::int64_t seconds = ns / kNsPerSecond;
    const auto fraction = static_cast<std::uint32_t>(ns % kNsPerSecond);
    const std::int64_t days = seconds / 86400;
    const auto sod = static_cast<unsigned>(seconds % 86400);
    const Civil c = civil_from_days(days);
    char buf[40];
    auto put = [&](std::size_t at, unsigned v, int width) {
        for (int i = width - 1; i >= 0; --i) {
            buf[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
    };
    put(0, static_cast<unsigned>(c.year), 4);
    buf[4] = '-';
    put(5, c.month, 2);
    buf[7] = '-';
    put(8, c.day, 2);
    buf[10] = 'T';
    put(11, sod / 3600, 2);
    buf[13] = ':';
    put(14, sod / 60 % 60, 2);
    buf[16] = ':';
    put(17, sod % 60, 2);
    buf[19] = '.';
    const int digits = instant.digits <= 3 ? 3 : (instant.digits <= 6 ? 6 : 9);
    unsigned f = fraction;
    for (int i = digits; i < 9; ++i) {
        f /= 10;
    }
    put(20, f, digits);
    const auto len = static_cast<std::size_t>(20 + digits);
    buf[len] = 'Z';
    out.append(buf, len + 1);
}

std::string format_rfc3339(Instant instant) {
    std::string out;
    append_rfc3339(out, instant);
    return out;
}

}  // namespace gstream::core

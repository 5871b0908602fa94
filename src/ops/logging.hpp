#pragma once
// Operator logs (STYLE.md rule 9): one named spdlog logger per subsystem, a sentence plus
// key=value fields, written to stderr as text or as one JSON object per line.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

namespace gstream::ops {

/// The subsystem loggers setup_logging() creates: source, pipeline, sink, dlq, admin, app.
inline constexpr std::string_view kLoggerNames[] = {"source", "pipeline", "sink",
                                                    "dlq",    "admin",    "app"};

/// Configures every subsystem logger to write to stderr.
/// `level`: trace, debug, info, warn, error, critical or off.
/// `format`: "text" (`2026-11-30T10:15:02.125Z info [source] Connected. url=...`) or "json"
/// (`{"ts":"2026-11-30T10:15:02.125Z","level":"info","logger":"source","msg":"Connected. ..."}`;
/// timestamps are UTC with milliseconds; bytes that are not UTF-8 become U+FFFD).
/// Throws std::invalid_argument naming the bad value (start-up). Call it before other threads
/// log; calling it again reconfigures the existing loggers.
void setup_logging(std::string_view level, std::string_view format);

/// The same, writing to `sink` instead of stderr (tests pass a ringbuffer_sink_mt).
void setup_logging(std::string_view level, std::string_view format, spdlog::sink_ptr sink);

/// The logger of a subsystem (see kLoggerNames), created with the current sink, level and format
/// if it does not exist yet. Thread-safe. Before setup_logging(), loggers write text at info
/// level to stderr.
std::shared_ptr<spdlog::logger> logger(std::string_view subsystem);

/// `text` with every occurrence of every non-empty secret replaced by "***". Where secrets
/// overlap at one position the longest wins. Use it on anything that may echo a token, a client
/// secret or a channel id (URLs, upstream error bodies) before logging it.
std::string redact(std::string_view text, std::span<const std::string> secrets);

/// A log line budget for per-event problems (STYLE.md rule 9: they are counted in metrics; the
/// log only shows a sample). At most `max_lines` lines per `interval` per key; lines over the
/// budget are dropped and counted, and the first line of the next window carries
/// `suppressed=N`. Keys must come from a small fixed set (reason codes), never from event data.
/// Thread-safe.
class RateLimitedLog {
public:
    using Clock = std::chrono::steady_clock;

    RateLimitedLog(std::shared_ptr<spdlog::logger> logger,
                   std::size_t max_lines,
                   Clock::duration interval);

    /// Logs `fmt` with `args` at `level` unless the key's budget for the window containing `now`
    /// is spent. Returns true when the line was written. Formatting happens only when written.
    template <class... Args>
    bool log(spdlog::level::level_enum level,
             std::string_view key,
             Clock::time_point now,
             fmt::format_string<Args...> fmt,
             Args&&... args) {
        if (!logger_->should_log(level)) {
            return false;
        }
        const std::uint64_t suppressed = admit(key, now);
        if (suppressed == kDenied) {
            return false;
        }
        std::string line = fmt::format(fmt, std::forward<Args>(args)...);
        if (suppressed > 0) {
            line += fmt::format(" suppressed={}", suppressed);
        }
        logger_->log(level, "{}", line);
        return true;
    }

    /// Lines dropped so far over all keys.
    std::uint64_t suppressed_total() const;

private:
    static constexpr std::uint64_t kDenied = ~std::uint64_t{0};
    static constexpr std::size_t kMaxKeys = 1024;

    struct Window {
        Clock::time_point start;
        std::size_t lines = 0;
        std::uint64_t suppressed = 0;  // in this window, reported at the next window's first line
    };

    // kDenied when over budget; otherwise the number suppressed in the previous window.
    std::uint64_t admit(std::string_view key, Clock::time_point now);

    std::shared_ptr<spdlog::logger> logger_;
    std::size_t max_lines_;
    Clock::duration interval_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Window> windows_;
    std::uint64_t suppressed_total_ = 0;
};

}  // namespace gstream::ops

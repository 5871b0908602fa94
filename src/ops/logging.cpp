#include "ops/logging.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <stdexcept>
#include <vector>

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace gstream::ops {
namespace {

// Text lines: RFC 3339 UTC time with milliseconds, level, [logger], message.
constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v";

void append_timestamp(const spdlog::log_clock::time_point& time, spdlog::memory_buf_t& dest) {
    const auto since_epoch = time.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs);
    const std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&t, &tm);
    fmt::format_to(std::back_inserter(dest), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   static_cast<int>(millis.count()));
}

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when it is not one
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 < 0x80) {
        return 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        lo = b0 == 0xE0 ? 0xA0 : 0x80;
        hi = b0 == 0xED ? 0x9F : 0xBF;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        lo = b0 == 0xF0 ? 0x90 : 0x80;
        hi = b0 == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (s.size() < len) {
        return 0;
    }
    for (std::size_t i = 1; i < len; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
            return 0;
        }
    }
    return len;
}

void append_json_string(std::string_view s, spdlog::memory_buf_t& dest) {
    dest.push_back('"');
    while (!s.empty()) {
        const char c = s[0];
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            dest.push_back('\\');
            dest.push_back(c);
            s.remove_prefix(1);
        } else if (c == '\n') {
            dest.append(std::string_view("\\n"));
            s.remove_prefix(1);
        } else if (c == '\r') {
            dest.append(std::string_view("\\r"));
            s.remove_prefix(1);
        } else if (c == '\t') {
            dest.append(std::string_view("\\t"));
            s.remove_prefix(1);
        } else if (u < 0x20 || u == 0x7F) {
            fmt::format_to(std::back_inserter(dest), "\\u{:04x}", static_cast<unsigned>(u));
            s.remove_prefix(1);
        } else if (const std::size_t len = utf8_sequence_length(s); len > 0) {
            dest.append(s.substr(0, len));
            s.remove_prefix(len);
        } else {
            dest.append(std::string_view("\\ufffd"));
            s.remove_prefix(1);
        }
    }
    dest.push_back('"');
}

// One JSON object per line: {"ts":..., "level":..., "logger":..., "msg":...}.
class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        dest.append(std::string_view(R"({"ts":")"));
        append_timestamp(msg.time, dest);
        dest.append(std::string_view(R"(","level":)"));
        const auto level = spdlog::level::to_string_view(msg.level);
        append_json_string(std::string_view(level.data(), level.size()), dest);
        dest.append(std::string_view(R"(,"logger":)"));
        append_json_string(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
        dest.append(std::string_view(R"(,"msg":)"));
        append_json_string(std::string_view(msg.payload.data(), msg.payload.size()), dest);
        dest.append(std::string_view("}\n"));
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

struct LogState {
    std::mutex mutex;
    spdlog::sink_ptr sink;
    spdlog::level::level_enum level = spdlog::level::info;
};

LogState& state() {
    static LogState s;
    return s;
}

spdlog::level::level_enum parse_level(std::string_view level) {
    static constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 7> kLevels{{
        {"trace", spdlog::level::trace},
        {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},
        {"warn", spdlog::level::warn},
        {"error", spdlog::level::err},
        {"critical", spdlog::level::critical},
        {"off", spdlog::level::off},
    }};
    for (const auto& [name, value] : kLevels) {
        if (name == level) {
            return value;
        }
    }
    throw std::invalid_argument("log level '" + std::string(level) +
                                "' is not one of trace, debug, info, warn, error, critical, off");
}

std::unique_ptr<spdlog::formatter> make_formatter(std::string_view format) {
    if (format == "text") {
        return std::make_unique<spdlog::pattern_formatter>(kTextPattern,
                                                           spdlog::pattern_time_type::utc);
    }
    if (format == "json") {
        return std::make_unique<JsonFormatter>();
    }
    throw std::invalid_argument("log format '" + std::string(format) +
                                "' is not one of text, json");
}

// Requires state().mutex.
spdlog::sink_ptr default_sink_locked() {
    LogState& s = state();
    if (!s.sink) {
        s.sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        s.sink->set_formatter(make_formatter("text"));
    }
    return s.sink;
}

// Requires state().mutex.
std::shared_ptr<spdlog::logger> get_or_create_locked(const std::string& name) {
    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    auto created = std::make_shared<spdlog::logger>(name, default_sink_locked());
    created->set_level(state().level);
    created->flush_on(spdlog::level::warn);
    spdlog::register_logger(created);
    return created;
}

}  // namespace

void setup_logging(std::string_view level, std::string_view format) {
    setup_logging(level, format, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void setup_logging(std::string_view level, std::string_view format, spdlog::sink_ptr sink) {
    const auto parsed_level = parse_level(level);
    sink->set_formatter(make_formatter(format));

    LogState& s = state();
    std::lock_guard lock(s.mutex);
    s.sink = std::move(sink);
    s.level = parsed_level;
    for (const std::string_view name : kLoggerNames) {
        get_or_create_locked(std::string(name));
    }
    // Loggers created earlier (including ones outside kLoggerNames) move to the new sink.
    spdlog::apply_all([&s](const std::shared_ptr<spdlog::logger>& l) {
        l->sinks().assign(1, s.sink);
        l->set_level(s.level);
    });
}

std::shared_ptr<spdlog::logger> logger(std::string_view subsystem) {
    const std::string name(subsystem);
    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    std::lock_guard lock(state().mutex);
    return get_or_create_locked(name);
}

std::string redact(std::string_view text, std::span<const std::string> secrets) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t match = 0;
        for (const std::string& secret : secrets) {
            if (!secret.empty() && secret.size() > match && text.substr(i).starts_with(secret)) {
                match = secret.size();
            }
        }
        if (match > 0) {
            out += "***";
            i += match;
        } else {
            out += text[i];
            ++i;
        }
    }
    return out;
}

RateLimitedLog::RateLimitedLog(std::shared_ptr<spdlog::logger> logger,
                               std::size_t max_lines,
                               Clock::duration interval)
    : logger_(std::move(logger))
    , max_lines_(max_lines)
    , interval_(interval) {}

std::uint64_t RateLimitedLog::admit(std::string_view key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = windows_.find(std::string(key));
    if (it == windows_.end()) {
        if (windows_.size() >= kMaxKeys) {
            // Keys are meant to be a fixed set; if a caller leaks unbounded keys, forget the
            // windows instead of growing.
            windows_.clear();
        }
        it = windows_.emplace(std::string(key), Window{now}).first;
    }
    Window& w = it->second;
    std::uint64_t carried = 0;
    if (now - w.start >= interval_) {
        carried = w.suppressed;
        w = Window{now};
    }
    if (w.lines >= max_lines_) {
        ++w.suppressed;
        ++suppressed_total_;
        return kDenied;
    }
    ++w.lines;
    return carried;
}

std::uint64_t RateLimitedLog::suppressed_total() const {
    std::lock_guard lock(mutex_);
    return suppressed_total_;
}

}  // namespace gstream::ops

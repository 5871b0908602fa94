#include "ops/logging.hpp"

#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace gstream::ops {
namespace {

using namespace std::chrono_literals;

// 2026-11-30T10:15:02.125Z (std::regex trips a GCC 12 -Wmaybe-uninitialized under ASan).
bool is_timestamp(std::string_view s) {
    constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s.size() != kShape.size()) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool ok = kShape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(s[i])) != 0
                                         : s[i] == kShape[i];
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> capture(std::string_view level,
                                                           std::string_view format) {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
    setup_logging(level, format, sink);
    return sink;
}

TEST(LoggingTest, JsonIsOneObjectPerLine) {
    auto sink = capture("info", "json");
    logger("source")->info("Connected. url={} attempt={}", "wss://h/\"q\"", 2);
    logger("dlq")->warn("Odd bytes \x01\xff\n end");
    logger("pipeline")->debug("not shown at info");

    const auto lines = sink->last_formatted();
    ASSERT_EQ(lines.size(), 2u);
    for (const auto& line : lines) {
        EXPECT_EQ(line.back(), '\n');
        EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    }
    const auto first = boost::json::parse(lines[0]).as_object();
    EXPECT_EQ(first.at("level").as_string(), "info");
    EXPECT_EQ(first.at("logger").as_string(), "source");
    EXPECT_EQ(first.at("msg").as_string(), "Connected. url=wss://h/\"q\" attempt=2");
    EXPECT_TRUE(is_timestamp(first.at("ts").as_string())) << first.at("ts");
    EXPECT_EQ(first.size(), 4u);

    // Control characters are escaped, invalid UTF-8 becomes U+FFFD: the line stays valid JSON.
    const auto second = boost::json::parse(lines[1]).as_object();
    EXPECT_EQ(second.at("level").as_string(), "warning");
    EXPECT_EQ(second.at("msg").as_string(), "Odd bytes \x01\xEF\xBF\xBD\n end");
}

TEST(LoggingTest, TextLinesAndLevels) {
    auto sink = capture("debug", "text");
    logger("admin")->debug("Listening. address={}", "127.0.0.1:9090");
    logger("admin")->trace("hidden");
    const auto lines = sink->last_formatted();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(is_timestamp(std::string_view(lines[0]).substr(0, 24))) << lines[0];
    EXPECT_EQ(lines[0].substr(24), " debug [admin] Listening. address=127.0.0.1:9090\n");
}

TEST(LoggingTest, EverySubsystemLoggerExists) {
    auto sink = capture("info", "text");
    for (const auto name : kLoggerNames) {
        ASSERT_NE(spdlog::get(std::string(name)), nullptr) << name;
        logger(name)->info("hello");
    }
    EXPECT_EQ(sink->last_formatted().size(), std::size(kLoggerNames));
}

TEST(LoggingTest, RejectsUnknownLevelAndFormat) {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4);
    EXPECT_THROW(setup_logging("verbose", "text", sink), std::invalid_argument);
    EXPECT_THROW(setup_logging("info", "xml", sink), std::invalid_argument);
    try {
        setup_logging("info", "yaml", sink);
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("'yaml'"), std::string::npos);
    }
}

TEST(RedactTest, ReplacesEverySecret) {
    const std::vector<std::string> secrets{"tok3n", "s3cret", "", "tok3n-long"};
    EXPECT_EQ(redact("wss://h/x?token=tok3n&b=tok3n", secrets), "wss://h/x?token=***&b=***");
    EXPECT_EQ(redact("id=s3cret;tok3n-longer", secrets), "id=***;***er");
    EXPECT_EQ(redact("nothing here", secrets), "nothing here");
    EXPECT_EQ(redact("", secrets), "");
    EXPECT_EQ(redact("abc", {}), "abc");
}

TEST(RateLimitedLogTest, AtMostNPerIntervalPerKey) {
    auto sink = capture("info", "text");
    RateLimitedLog limited(logger("pipeline"), 2, 10s);
    const auto t0 = RateLimitedLog::Clock::time_point{} + 1h;

    int written = 0;
    for (int i = 0; i < 5; ++i) {
        written += limited.log(spdlog::level::warn, "schema", t0 + 1s, "Event failed. n={}", i);
    }
    EXPECT_EQ(written, 2);
    EXPECT_TRUE(limited.log(spdlog::level::warn, "late", t0 + 2s, "Late event."));
    EXPECT_EQ(limited.suppressed_total(), 3u);

    // Next window for "schema": allowed again, and the first line reports what was dropped.
    EXPECT_TRUE(limited.log(spdlog::level::warn, "schema", t0 + 12s, "Event failed. n={}", 9));
    EXPECT_TRUE(limited.log(spdlog::level::warn, "schema", t0 + 12s, "Event failed. n={}", 10));
    EXPECT_FALSE(limited.log(spdlog::level::warn, "schema", t0 + 12s, "Event failed. n={}", 11));
    EXPECT_EQ(limited.suppressed_total(), 4u);

    const auto lines = sink->last_formatted();
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_NE(lines[0].find("Event failed. n=0\n"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("Event failed. n=1\n"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("Late event.\n"), std::string::npos) << lines[2];
    EXPECT_NE(lines[3].find("Event failed. n=9 suppressed=3\n"), std::string::npos) << lines[3];
    EXPECT_NE(lines[4].find("Event failed. n=10\n"), std::string::npos) << lines[4];
}

TEST(RateLimitedLogTest, BelowLevelIsNeitherLoggedNorCounted) {
    auto sink = capture("error", "text");
    RateLimitedLog limited(logger("sink"), 1, 1s);
    EXPECT_FALSE(limited.log(spdlog::level::warn, "k", {}, "x"));
    EXPECT_EQ(limited.suppressed_total(), 0u);
    EXPECT_TRUE(sink->last_formatted().empty());
}

}  // namespace
}  // namespace gstream::ops

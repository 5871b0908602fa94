#include "sink/sink_registry.hpp"

#include <array>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "sink/file/file_sink.hpp"
#include "sink/kafka/kafka_sink.hpp"
#include "sink/nats/nats_sink.hpp"
#include "sink/http/http_sink.hpp"

namespace gstream::sink {
namespace {

file::FsyncPolicy fsync_policy(const std::string& s) {
    if (s == "always") {
        return file::FsyncPolicy::kAlways;
    }
    return s == "never" ? file::FsyncPolicy::kNever : file::FsyncPolicy::kInterval;
}

std::unique_ptr<Sink> make_file_sink(const config::SinkConfig& c) {
    return std::make_unique<file::FileSink>(
        file::FileSinkConfig{c.path, fsync_policy(c.fsync), c.fsync_interval_ms, c.name});
}

// `type: stdout`: the file sink's lines on the daemon's standard output, which carries nothing
// else (status lines and logs go to stderr). No commit point: a pipe has no size to cut back.
std::unique_ptr<Sink> make_stdout_sink(const config::SinkConfig& c) {
    return std::make_unique<file::FileSink>(
        file::FileSinkConfig{"/dev/stdout", file::FsyncPolicy::kNever, c.fsync_interval_ms, c.name});
}

std::string check_stdout_sink(const config::SinkConfig&) {
    return {};
}

std::string check_file_sink(const config::SinkConfig& c) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(c.path, ec)) {
        return fmt::format("sink '{}': path '{}' is a directory; name a file", c.name, c.path);
    }
    return {};
}

std::unique_ptr<Sink> make_kafka_sink(const config::SinkConfig& c) {
    return std::make_unique<kafka::KafkaSink>(kafka::kafka_config_from(c));
}

std::string check_kafka_sink(const config::SinkConfig& c) {
    return kafka::check_kafka_config(kafka::kafka_config_from(c));
}

struct SinkType {
    std::string_view type;
    std::unique_ptr<Sink> (*make)(const config::SinkConfig&);
    std::string (*check)(const config::SinkConfig&);
};

// The registry: one entry per sink type.
constexpr std::array<SinkType, 5> kSinkTypes{{
    {"file", &make_file_sink, &check_file_sink},
    {"stdout", &make_stdout_sink, &check_stdout_sink},
    {"kafka", &make_kafka_sink, &check_kafka_sink},
    {"nats", &nats::make_nats_sink, &nats::check_nats_sink},
    {"http", &http::make_http_sink, &http::check_http_sink},
}};

const SinkType* find(std::string_view type) {
    for (const SinkType& t : kSinkTypes) {
        if (t.type == type) {
            return &t;
        }
    }
    return nullptr;
}

}  // namespace

std::unique_ptr<Sink> make_sink(const config::SinkConfig& config) {
    const SinkType* t = find(config.type);
    if (t == nullptr) {
        throw std::runtime_error(
            fmt::format("sink '{}': unknown type '{}'", config.name, config.type));
    }
    return t->make(config);
}

std::string check_sink(const config::SinkConfig& config) {
    const SinkType* t = find(config.type);
    if (t == nullptr) {
        return fmt::format("sink '{}': unknown type '{}'", config.name, config.type);
    }
    return t->check(config);
}

std::vector<std::string> check_sinks(const config::Config& config) {
    std::vector<std::string> problems;
    for (const config::SinkConfig& s : config.sinks) {
        if (std::string p = check_sink(s); !p.empty()) {
            problems.push_back(std::move(p));
        }
    }
    return problems;
}

}  // namespace gstream::sink

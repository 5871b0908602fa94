#include "sink/kafka/kafka_formatter.hpp"

#include <charconv>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

namespace gstream::sink::kafka {
namespace {

std::optional<std::uint64_t> parse_u64(std::string_view text) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

}  // namespace

std::string format_position(Position p) {
    return fmt::format("{}.{}", p.record, p.index);
}

std::optional<Position> parse_position(std::string_view text) {
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) {
        return std::nullopt;
    }
    const auto record = parse_u64(text.substr(0, dot));
    const auto index = parse_u64(text.substr(dot + 1));
    if (!record || !index) {
        return std::nullopt;
    }
    return Position{*record, *index};
}

std::int32_t partition_for(std::string_view key, std::int32_t partition_count) {
    // librdkafka's own murmur2_random, so that the partition is the producer's and Java's: with
    // a non-null key it uses neither the topic nor the opaques.
    static const char kEmpty = '\0';
    return rd_kafka_msg_partitioner_murmur2_random(nullptr, key.empty() ? &kEmpty : key.data(),
                                                   key.size(), partition_count, nullptr, nullptr);
}

KafkaFormatter::KafkaFormatter(const KafkaSinkConfig& config)
    : config_(config)
    , encoder_(format::EncoderOptions{.format = config.format}) {}

const std::string& KafkaFormatter::topic_of(const core::Event& event) const {
    return topic_for(config_, event.kind);
}

std::string KafkaFormatter::key_of(const core::Event& event) const {
    return config_.key == KeyField::kEventId ? format::event_id(event)
                                             : format::partition_key(event);
}

void KafkaFormatter::format(const core::Event& event,
                            std::optional<Position> position,
                            KafkaMessage& out) const {
    format::Encoded encoded;
    encoder_.encode(event, encoded);
    out.topic = topic_of(event);
    out.key = key_of(event);
    out.value = std::move(encoded.body);
    out.headers.clear();
    out.headers.emplace_back(kSinkHeader, config_.name);
    out.headers.emplace_back(kEventIdHeader, format::event_id(event));
    if (position) {
        out.headers.emplace_back(kPositionHeader, format_position(*position));
    }
    out.headers.emplace_back("content-type", encoded.content_type);
    for (auto& [name, value] : encoded.attributes) {
        out.headers.emplace_back("ce_" + name, std::move(value));
    }
}

}  // namespace gstream::sink::kafka

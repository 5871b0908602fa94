#pragma once
// The pure part of the Kafka sink: an event as a Kafka message (key, value, headers), the
// partition its key picks, and the outbox position each message carries for exactly-once.
//
// Headers of every message:
//   gstream-sink: <sink name>
//   gstream-event-id: <the event's id, unescaped> (what exactly_once looks for on read-back)
//   gstream-position: <outbox record>.<index in the record>   (only with a write-ahead log)
//   content-type: the value's media type (application/json, application/cloudevents+json)
//   ce_<attribute>: <value>   (format cloudevents-binary; CloudEvents Kafka protocol binding)
//
// Thread-safety: pure functions; a KafkaFormatter is immutable after construction.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "sink/format/event_format.hpp"
#include "sink/kafka/kafka_config.hpp"

namespace gstream::sink::kafka {

inline constexpr std::string_view kSinkHeader = "gstream-sink";
inline constexpr std::string_view kEventIdHeader = "gstream-event-id";
inline constexpr std::string_view kPositionHeader = "gstream-position";

/// Where an event is in the outbox: record `record`, event `index` of it. Ordered as the outbox
/// is (wal::SinkCursor hands records in growing order).
struct Position {
    std::uint64_t record = 0;
    std::uint64_t index = 0;
    auto operator<=>(const Position&) const = default;
};

/// "<record>.<index>", e.g. "42.7".
std::string format_position(Position p);
/// The inverse of format_position(); nullopt for anything else (no sign, no spaces).
std::optional<Position> parse_position(std::string_view text);

/// The partition librdkafka's murmur2_random partitioner (and Java's default partitioner)
/// picks for a non-null `key` among `partition_count` (> 0): (murmur2(key) & 0x7fffffff) %
/// partition_count.
std::int32_t partition_for(std::string_view key, std::int32_t partition_count);

/// One event as a message.
struct KafkaMessage {
    std::string topic;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;  ///< in the order produced
};

class KafkaFormatter {
public:
    /// Throws std::logic_error from EventEncoder for a format not built yet.
    explicit KafkaFormatter(const KafkaSinkConfig& config);
    /// Replaces `out` with `event` as a message; `position` is absent without a write-ahead log.
    void format(const core::Event& event,
                std::optional<Position> position,
                KafkaMessage& out) const;
    /// The topic `event` goes to (no encoding).
    const std::string& topic_of(const core::Event& event) const;
    /// The key of `event` (no encoding).
    std::string key_of(const core::Event& event) const;

private:
    const KafkaSinkConfig& config_;
    format::EventEncoder encoder_;
};

}  // namespace gstream::sink::kafka

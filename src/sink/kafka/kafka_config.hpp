#pragma once
// The Kafka sink's settings (the `type: kafka` branch of sinks[] in schemas/config.schema.json,
// docs/sinks/kafka.md) and the librdkafka properties they become.
//
// Property names and defaults: librdkafka 2.0.2 CONFIGURATION.md. The sink's own defaults
// (acks=all, enable.idempotence=true, partitioner=murmur2_random) come first; the `librdkafka:`
// map overrides them.
//
// Thread-safety: plain values and pure functions.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "sink/format/event_format.hpp"

namespace gstream::sink::kafka {

/// What the message key (and so the partition) is made of.
enum class KeyField {
    kConversationId,  ///< the conversationId; the event id for events without one
    kEventId,
};

struct KafkaSinkConfig {
    std::string name = "kafka";        ///< sinks[].name: logs, metrics, the gstream-sink header
    std::vector<std::string> brokers;  ///< HOST:PORT each (bootstrap.servers)
    std::string topic;
    std::map<std::string, std::string> topic_by_event_type;  ///< eventType -> topic
    KeyField key = KeyField::kConversationId;
    std::string compression = "none";  ///< compression.type
    format::Format format = format::Format::kNative;
    bool exactly_once = true;
    std::int64_t exactly_once_tail = 10'000;        ///< messages read back per partition
    std::int64_t ack_timeout_ms = 10'000;           ///< per write_batch() wait, milliseconds
    std::map<std::string, std::string> librdkafka;  ///< passed through, overriding the defaults
    int line = 0;  ///< the sink's line in the configuration (messages), 0 when unknown
};

/// The settings of a `type: kafka` sink, as the schema typed them (defaults applied).
KafkaSinkConfig kafka_config_from(const config::SinkConfig& sink);

/// The producer's librdkafka properties, in the order they are set: bootstrap.servers, the
/// sink's defaults, compression.type, then the `librdkafka:` map.
std::vector<std::pair<std::string, std::string>> producer_properties(const KafkaSinkConfig& c);

/// The properties the read-back consumer (exactly_once) shares with the producer: bootstrap
/// servers and the `librdkafka:` map minus producer-only properties.
std::vector<std::pair<std::string, std::string>> consumer_properties(const KafkaSinkConfig& c);

/// The topic of an event of type `event_type`.
const std::string& topic_for(const KafkaSinkConfig& c, std::string_view event_type);

/// Offline check for `check-config` and start-up: every property is set on a scratch
/// rd_kafka_conf_t (no network). Empty when usable, else one line naming the sink, the key
/// (`librdkafka.<property>`) and librdkafka's reason.
std::string check_kafka_config(const KafkaSinkConfig& c);

}  // namespace gstream::sink::kafka

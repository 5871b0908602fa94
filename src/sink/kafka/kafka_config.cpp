#include "sink/kafka/kafka_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "sink/sink_settings.hpp"

namespace gstream::sink::kafka {
namespace {

// Producer-only properties (CONFIGURATION.md, column "C/P" = P) a read-back consumer must not
// be given: librdkafka would log a warning for each.
constexpr std::array<std::string_view, 14> kProducerOnly{"acks",
                                                         "request.required.acks",
                                                         "enable.idempotence",
                                                         "partitioner",
                                                         "compression.type",
                                                         "compression.codec",
                                                         "linger.ms",
                                                         "queue.buffering.max.ms",
                                                         "batch.size",
                                                         "batch.num.messages",
                                                         "message.timeout.ms",
                                                         "delivery.timeout.ms",
                                                         "retries",
                                                         "message.send.max.retries"};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& s : items) {
        out += (out.empty() ? "" : ",") + s;
    }
    return out;
}

}  // namespace

KafkaSinkConfig kafka_config_from(const config::SinkConfig& sink) {
    KafkaSinkConfig c;
    c.name = sink.name.empty() ? std::string("kafka") : sink.name;
    c.brokers = setting_strings(sink, "brokers");
    c.topic = setting_string(sink, "topic");
    c.topic_by_event_type = setting_map(sink, "topic_by_event_type");
    c.key = setting_string(sink, "key", "conversationId") == "eventId" ? KeyField::kEventId
                                                                       : KeyField::kConversationId;
    c.compression = setting_string(sink, "compression", "none");
    c.format = format::parse_format(setting_string(sink, "format", "native"))
                   .value_or(format::Format::kNative);
    c.exactly_once = setting_bool(sink, "exactly_once", true);
    c.exactly_once_tail = setting_int(sink, "exactly_once_tail", 10'000);
    c.ack_timeout_ms = setting_int(sink, "ack_timeout_ms", 10'000);
    c.librdkafka = setting_map(sink, "librdkafka");
    c.line = sink.line;
    return c;
}

std::vector<std::pair<std::string, std::string>> producer_properties(const KafkaSinkConfig& c) {
    std::vector<std::pair<std::string, std::string>> p{
        {"bootstrap.servers", joined(c.brokers)}, {"acks", "all"},
        {"enable.idempotence", "true"},           {"partitioner", "murmur2_random"},
        {"compression.type", c.compression},
    };
    for (const auto& [k, v] : c.librdkafka) {
        p.emplace_back(k, v);
    }
    return p;
}

std::vector<std::pair<std::string, std::string>> consumer_properties(const KafkaSinkConfig& c) {
    std::vector<std::pair<std::string, std::string>> p{{"bootstrap.servers", joined(c.brokers)}};
    for (const auto& [k, v] : c.librdkafka) {
        if (std::find(kProducerOnly.begin(), kProducerOnly.end(), k) == kProducerOnly.end()) {
            p.emplace_back(k, v);
        }
    }
    return p;
}

const std::string& topic_for(const KafkaSinkConfig& c, std::string_view event_type) {
    const auto it = c.topic_by_event_type.find(std::string(event_type));
    return it == c.topic_by_event_type.end() ? c.topic : it->second;
}

std::string check_kafka_config(const KafkaSinkConfig& c) {
    const std::string where = c.line > 0 ? fmt::format("sink '{}' (line {})", c.name, c.line)
                                         : fmt::format("sink '{}'", c.name);
    if (c.topic.empty()) {
        return where + ": topic is empty; set sinks[].topic";
    }
    for (const auto& [type, topic] : c.topic_by_event_type) {
        if (topic.empty()) {
            return fmt::format("{}: topic_by_event_type.{} is empty; name a topic", where, type);
        }
    }
    std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                            &rd_kafka_conf_destroy);
    char error[512];
    for (const auto& [key, value] : producer_properties(c)) {
        if (key == "bootstrap.servers") {
            continue;  // a client without brokers makes no connection: the check stays offline
        }
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error, sizeof error) !=
            RD_KAFKA_CONF_OK) {
            // A key of the `librdkafka:` map, or one of the sink's own keys it came from.
            const std::string label = c.librdkafka.contains(key)   ? "librdkafka." + key
                                      : key == "bootstrap.servers" ? std::string("brokers")
                                                                   : std::string("compression");
            return fmt::format("{}: {}: {}", where, label, error);
        }
    }
    // What only rd_kafka_new() checks (SASL mechanism and credentials, TLS files, idempotence
    // against acks): a client with no bootstrap servers, which makes no connection.
    rd_kafka_conf_set(conf.get(), "log_level", "0", error, sizeof error);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
    if (rk == nullptr) {
        return fmt::format("{}: librdkafka refused the configuration: {} (sinks[].librdkafka)",
                           where, error);
    }
    (void)conf.release();  // rd_kafka_new() took it
    rd_kafka_destroy(rk);
    return {};
}

}  // namespace gstream::sink::kafka

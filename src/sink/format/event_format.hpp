#pragma once
// How a sink puts one event into a message: the `format` key every sink has (docs/sinks.md,
// "Formats"). Pure; shared by the Kafka, NATS and HTTP sinks.
//
// - native: the file sink's line (sink/file/file_formatter.hpp) without its '\n'.
// - cloudevents: a CloudEvents 1.0 structured-mode event (`application/cloudevents+json`):
//   specversion, id, source, type (`com.genesys.cloud.<kind>`), time (the event time, UTC),
//   subject (conversationId), datacontenttype, the extensions correlationid (a Notifications
//   API message's metadata.CorrelationId), partitionkey and late (only when late), and `data`:
//   the Genesys event's original bytes, only whitespace outside strings dropped.
// - cloudevents-binary: the body is that `data`; the same attributes travel as protocol headers,
//   which the sink names per its protocol binding (Kafka `ce_id`, HTTP and NATS `ce-id`) from
//   Encoded::attributes.
// Sources: CloudEvents 1.0 spec and its Kafka/HTTP bindings (../shared/genesys/DELIVERY-NOTES.md
// §6). There is no `recordedtime`: the daemon keeps no wall-clock receive time per event.
//
// Thread-safety: an EventEncoder is immutable after construction; encode() from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.hpp"

namespace gstream::sink::format {

enum class Format {
    kNative,
    kCloudEvents,        ///< structured mode
    kCloudEventsBinary,  ///< binary mode: attributes as headers
};

/// "native" | "cloudevents" | "cloudevents-binary"; nullopt for anything else.
std::optional<Format> parse_format(std::string_view text);

struct EncoderOptions {
    Format format = Format::kNative;
    /// CloudEvents `source`; empty: the documented default from `region_domain` and the topic
    /// kind (docs/sinks.md).
    std::string source;
    /// The Genesys region's domain ("mypurecloud.com"), for the default `source`.
    std::string region_domain = "mypurecloud.com";
};

/// One event as a message: a body, and for binary mode the context attributes.
struct Encoded {
    std::string body;
    /// CloudEvents binary mode: (attribute name without prefix, value), e.g. ("id", "..."),
    /// ("specversion", "1.0"). Empty in the other formats.
    std::vector<std::pair<std::string, std::string>> attributes;
    /// The body's media type: application/json (native, binary mode) or
    /// application/cloudevents+json (structured).
    std::string_view content_type;
};

class EventEncoder {
public:
    explicit EventEncoder(EncoderOptions options);
    /// Replaces `out` with `event` encoded (reusing its buffers).
    void encode(const core::Event& event, Encoded& out) const;
    Format format() const noexcept { return options_.format; }
    /// The CloudEvents `source` of `event`: EncoderOptions::source, else
    /// `genesys-cloud://<region_domain>/<feed>` (docs/sinks.md).
    std::string source_of(const core::Event& event) const;

    /// Prefix of the CloudEvents `type`: "com.genesys.cloud." + the event kind ("acd.start").
    static constexpr std::string_view kTypePrefix = "com.genesys.cloud.";

private:
    EncoderOptions options_;
};

/// The event's stable id, unescaped: the key that de-duplicates re-sends (Nats-Msg-Id,
/// Idempotency-Key, CloudEvents id).
std::string event_id(const core::Event& event);
/// The key that keeps one conversation in order on one partition: the conversationId, or the
/// event id when the event has none (unescaped).
std::string partition_key(const core::Event& event);

}  // namespace gstream::sink::format

#include "sink/format/event_format.hpp"


#include "core/time.hpp"
#include "sink/file/file_formatter.hpp"

namespace gstream::sink::format {

std::optional<Format> parse_format(std::string_view text) {
    if (text == "native") {
        return Format::kNative;
    }
    if (text == "cloudevents") {
        return Format::kCloudEvents;
    }
    if (text == "cloudevents-binary") {
        return Format::kCloudEventsBinary;
    }
    return std::nullopt;
}

EventEncoder::EventEncoder(EncoderOptions options) : options_(std::move(options)) {}

namespace {

// The default `source`'s last segment: which Genesys feed the event came from.
std::string_view feed_of(const core::Event& event) {
    switch (event.format) {
        case core::EventFormat::kNotification:
            return "v2.detail.events.conversation";
        case core::EventFormat::kSnapshot:
            return "v2.routing.queues.conversations";
        case core::EventFormat::kEnvelope:
        case core::EventFormat::kTransition:
            break;
    }
    return "interaction.lifecycle";
}

// metadata.CorrelationId of a Notifications API message, else !valid().
core::JsonValue correlation_id(const core::Event& event) {
    if (event.format != core::EventFormat::kNotification &&
        event.format != core::EventFormat::kSnapshot) {
        return {};
    }
    const core::JsonValue id = event.value.find("metadata").find("CorrelationId");
    return id.is_string() ? id : core::JsonValue{};
}

std::string_view kind_of(const core::Event& event) {
    return event.event_type.is_string() ? event.event_type.get_string() : event.kind;
}

}  // namespace

std::string EventEncoder::source_of(const core::Event& event) const {
    if (!options_.source.empty()) {
        return options_.source;
    }
    std::string out = "genesys-cloud://";
    out.append(options_.region_domain);
    out.push_back('/');
    out.append(feed_of(event));
    return out;
}

void EventEncoder::encode(const core::Event& event, Encoded& out) const {
    out.body.clear();
    out.attributes.clear();
    switch (options_.format) {
        case Format::kNative:
            file::format_event(event, out.body);
            out.body.pop_back();  // the line's '\n'
            out.content_type = "application/json";
            return;
        case Format::kCloudEvents: {
            std::string& b = out.body;
            b.append(R"({"specversion":"1.0","id":)");
            b.append(event.id.raw());
            b.append(R"(,"source":)");
            file::append_json_string(source_of(event), b);
            b.append(R"(,"type":)");
            file::append_json_string(std::string(kTypePrefix) + std::string(kind_of(event)), b);
            b.append(R"(,"time":")");
            core::append_rfc3339(b, event.instant);
            b.push_back('"');
            if (event.conversation_id.is_string()) {
                b.append(R"(,"subject":)");
                b.append(event.conversation_id.raw());
            }
            b.append(R"(,"datacontenttype":"application/json")");
            if (const core::JsonValue c = correlation_id(event); c.valid()) {
                b.append(R"(,"correlationid":)");
                b.append(c.raw());
            }
            b.append(R"(,"partitionkey":)");
            file::append_json_string(partition_key(event), b);
            if (event.late) {
                b.append(R"(,"late":true)");
            }
            b.append(R"(,"data":)");
            file::append_minified(event.data.raw(), b);
            b.push_back('}');
            out.content_type = "application/cloudevents+json";
            return;
        }
        case Format::kCloudEventsBinary: {
            auto& a = out.attributes;
            a.emplace_back("specversion", "1.0");
            a.emplace_back("id", event_id(event));
            a.emplace_back("source", source_of(event));
            a.emplace_back("type", std::string(kTypePrefix) + std::string(kind_of(event)));
            std::string time;
            core::append_rfc3339(time, event.instant);
            a.emplace_back("time", std::move(time));
            if (event.conversation_id.is_string()) {
                a.emplace_back("subject", std::string(event.conversation_id.get_string()));
            }
            if (const core::JsonValue c = correlation_id(event); c.valid()) {
                a.emplace_back("correlationid", std::string(c.get_string()));
            }
            a.emplace_back("partitionkey", partition_key(event));
            if (event.late) {
                a.emplace_back("late", "true");
            }
            file::append_minified(event.data.raw(), out.body);
            out.content_type = "application/json";
            return;
        }
    }
}

std::string event_id(const core::Event& event) {
    return std::string(event.id.get_string());
}

std::string partition_key(const core::Event& event) {
    if (event.conversation_id.is_string() && !event.conversation_id.get_string().empty()) {
        return std::string(event.conversation_id.get_string());
    }
    return event_id(event);
}

}  // namespace gstream::sink::format

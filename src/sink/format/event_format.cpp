#include "sink/format/event_format.hpp"

#include <stdexcept>

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

void EventEncoder::encode(const core::Event& event, Encoded& out) const {
    out.body.clear();
    out.attributes.clear();
    switch (options_.format) {
        case Format::kNative:
            file::format_event(event, out.body);
            out.body.pop_back();  // the line's '\n'
            out.content_type = "application/json";
            return;
        case Format::kCloudEvents:
        case Format::kCloudEventsBinary:
            break;
    }
    throw std::logic_error("CloudEvents formats are not built yet");
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

#include "sink/file/file_formatter.hpp"

#include <cstring>

namespace gstream::sink::file {

void append_minified(std::string_view json, std::string& out) {
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            out.push_back(c);
            if (c == '\\' && i + 1 < json.size()) {
                out.push_back(json[++i]);
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
            out.push_back(c);
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            out.push_back(c);
        }
    }
}

namespace {

void append_value(std::string_view raw, std::string& out) {
    // JSON strings cannot hold a raw line break, so only whitespace between tokens can.
    if (std::memchr(raw.data(), '\n', raw.size()) == nullptr &&
        std::memchr(raw.data(), '\r', raw.size()) == nullptr) {
        out.append(raw);
    } else {
        append_minified(raw, out);
    }
}

}  // namespace

void format_event(const core::Event& event, std::string& out) {
    out.append(R"({"id":)");
    out.append(event.id.raw());
    out.append(R"(,"eventType":)");
    out.append(event.event_type.raw());
    out.append(R"(,"eventTime":")");
    core::append_rfc3339(out, event.instant);
    out.push_back('"');
    if (event.queue_id.valid()) {
        out.append(R"(,"queueId":)");
        append_value(event.queue_id.raw(), out);
    }
    if (event.conversation_id.valid()) {
        out.append(R"(,"conversationId":)");
        append_value(event.conversation_id.raw(), out);
    }
    if (event.late) {
        out.append(R"(,"late":true)");
    }
    out.append(R"(,"data":)");
    append_value(event.data.raw(), out);
    out.append("}\n");
}

}  // namespace gstream::sink::file

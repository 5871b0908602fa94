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

void append_value(const core::JsonValue& value, std::string& out) {
    const std::string_view raw = value.raw();
    // JSON strings cannot hold a raw line break, so only whitespace between tokens can; the
    // parser noted whether the whole text has one.
    if (value.document() == nullptr || !value.document()->has_line_breaks()) {
        out.append(raw);
    } else if (std::memchr(raw.data(), '\n', raw.size()) == nullptr &&
        std::memchr(raw.data(), '\r', raw.size()) == nullptr) {
        out.append(raw);
    } else {
        append_minified(raw, out);
    }
}

}  // namespace

void append_json_string(std::string_view text, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20) {
            out.append("\\u00");
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 15]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

void format_event(const core::Event& event, std::string& out) {
    out.append(R"({"id":)");
    out.append(event.id.raw());
    out.append(R"(,"eventType":)");
    if (event.event_type.valid()) {
        out.append(event.event_type.raw());
    } else {
        append_json_string(event.kind, out);
    }
    out.append(R"(,"eventTime":")");
    core::append_rfc3339(out, event.instant);
    out.push_back('"');
    if (event.queue_id.valid()) {
        out.append(R"(,"queueId":)");
        append_value(event.queue_id, out);
    }
    if (event.conversation_id.valid()) {
        out.append(R"(,"conversationId":)");
        append_value(event.conversation_id, out);
    }
    if (event.late) {
        out.append(R"(,"late":true)");
    }
    out.append(R"(,"data":)");
    append_value(event.data, out);
    out.append("}\n");
}

}  // namespace gstream::sink::file

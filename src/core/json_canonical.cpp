#include "core/json_canonical.hpp"

#include <algorithm>
#include <charconv>

namespace gstream::core {

void append_canonical_string(std::string_view text, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (u < 0x20) {
                    out.append("\\u00");
                    out.push_back(kHex[u >> 4]);
                    out.push_back(kHex[u & 15]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

namespace {

template <class T>
void append_number(T value, std::string& out) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, ec == std::errc{} ? end : buffer);
}

}  // namespace

void append_canonical_json(const JsonValue& value, std::string& out,
                           std::vector<std::pair<std::string_view, JsonValue>>& scratch) {
    if (!value.valid()) {
        out.append("null");
        return;
    }
    switch (value.type()) {
        case JsonType::kNull: out.append("null"); return;
        case JsonType::kFalse: out.append("false"); return;
        case JsonType::kTrue: out.append("true"); return;
        case JsonType::kInteger: append_number(value.get_int64(), out); return;
        case JsonType::kBigInteger: out.append(value.raw()); return;  // '-' and digits only
        case JsonType::kFloat: {
            const double d = value.get_double();
            append_number(d == 0 ? 0.0 : d, out);  // -0.0 as 0
            return;
        }
        case JsonType::kString: append_canonical_string(value.get_string(), out); return;
        case JsonType::kArray: {
            out.push_back('[');
            bool first = true;
            value.for_each_element([&](const JsonValue& e) {
                if (!first) {
                    out.push_back(',');
                }
                first = false;
                append_canonical_json(e, out, scratch);
            });
            out.push_back(']');
            return;
        }
        case JsonType::kObject: {
            // This object's members sit at the end of `scratch` while its values are written
            // (which push their own members after them): indexes, not iterators.
            const std::size_t begin = scratch.size();
            value.for_each_member([&](std::string_view name, const JsonValue& member) {
                scratch.emplace_back(name, member);
            });
            const auto first = scratch.begin() + static_cast<std::ptrdiff_t>(begin);
            std::stable_sort(first, scratch.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
            const std::size_t end = scratch.size();
            out.push_back('{');
            for (std::size_t i = begin; i < end; ++i) {
                if (i != begin) {
                    out.push_back(',');
                }
                append_canonical_string(scratch[i].first, out);
                out.push_back(':');
                const JsonValue member = scratch[i].second;  // a copy: `scratch` may grow
                append_canonical_json(member, out, scratch);
            }
            out.push_back('}');
            scratch.resize(begin);
            return;
        }
        case JsonType::kKey: break;  // not a value
    }
    out.append("null");
}

}  // namespace gstream::core

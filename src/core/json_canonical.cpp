#include "core/json_canonical.hpp"

#include <algorithm>
#include <charconv>

namespace gstream::core {

void append_canonical_string(std::string_view text, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0;  // start of the bytes not yet appended, which need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (u >= 0x20 && u != '"' && u != '\\') {
            continue;
        }
        out.append(text.data() + run, i - run);
        run = i + 1;
        switch (u) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                out.append("\\u00");
                out.push_back(kHex[u >> 4]);
                out.push_back(kHex[u & 15]);
        }
    }
    out.append(text.data() + run, text.size() - run);
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

void append_canonical_json(const JsonValue& value, std::string& out, CanonicalScratch& scratch) {
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
        case JsonType::kString: {
            // A string written without escapes (most are) is already canonical: an escape always
            // takes more bytes than what it stands for, and raw control characters are not JSON.
            const std::string_view text = value.get_string();
            const std::string_view raw = value.raw();
            if (raw.size() == text.size() + 2) {
                out.append(raw);
            } else {
                append_canonical_string(text, out);
            }
            return;
        }
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
                std::uint64_t prefix = 0;
                for (std::size_t k = 0; k < 8; ++k) {
                    const auto byte = k < name.size() ? static_cast<unsigned char>(name[k]) : 0U;
                    prefix = (prefix << 8) | byte;
                }
                scratch.push_back({prefix, name, member});
            });
            // Bytewise name order: by the prefixes, then, when they tie, by the whole names.
            const auto less = [](const CanonicalMember& a, const CanonicalMember& b) {
                return a.prefix != b.prefix ? a.prefix < b.prefix : a.name < b.name;
            };
            const std::size_t end = scratch.size();
            // Objects are small: an insertion sort (stable, no allocation) unless one is not.
            if (end - begin <= 32) {
                for (std::size_t i = begin + 1; i < end; ++i) {
                    std::size_t j = i;
                    while (j > begin && less(scratch[i], scratch[j - 1])) {
                        --j;
                    }
                    if (j != i) {
                        std::rotate(scratch.begin() + static_cast<std::ptrdiff_t>(j),
                                    scratch.begin() + static_cast<std::ptrdiff_t>(i),
                                    scratch.begin() + static_cast<std::ptrdiff_t>(i) + 1);
                    }
                }
            } else {
                std::stable_sort(scratch.begin() + static_cast<std::ptrdiff_t>(begin),
                                 scratch.end(), less);
            }
            out.push_back('{');
            for (std::size_t i = begin; i < end; ++i) {
                if (i != begin) {
                    out.push_back(',');
                }
                append_canonical_string(scratch[i].name, out);
                out.push_back(':');
                const JsonValue member = scratch[i].value;  // a copy: `scratch` may grow
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

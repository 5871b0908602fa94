#include "config/env_substitution.hpp"

#include <cstdlib>
#include <utility>

namespace gstream::config {
namespace {

bool is_name_start(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) noexcept {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

}  // namespace

std::optional<std::string> process_env(std::string_view name) {
    const std::string key(name);
    const char* value = std::getenv(key.c_str());
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

EnvLookup env_from_map(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

EnvSubstitution substitute_env(std::string_view text, const EnvLookup& env) {
    EnvSubstitution out;
    out.text.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c != '$' || i + 1 >= text.size()) {
            out.text += c;
            ++i;
            continue;
        }
        if (text[i + 1] == '$') {
            out.text += '$';
            out.changed = true;
            i += 2;
            continue;
        }
        if (text[i + 1] != '{') {
            out.text += c;
            ++i;
            continue;
        }
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            out.error = "unterminated '${' (write '$$' for a literal '$')";
            return out;
        }
        const std::string_view inner = text.substr(i + 2, close - i - 2);
        const std::size_t sep = inner.find(":-");
        const std::string_view name = inner.substr(0, sep);
        bool valid = !name.empty() && is_name_start(name[0]);
        for (const char n : name) {
            valid = valid && is_name_char(n);
        }
        if (!valid) {
            out.error = "bad environment variable reference '${" + std::string(inner) +
                        "}' (use ${NAME} or ${NAME:-default}; '$$' for a literal '$')";
            return out;
        }
        const std::optional<std::string> value = env(name);
        if (sep == std::string_view::npos) {
            if (!value) {
                out.error = "environment variable '" + std::string(name) +
                            "' is not set (set it, or give a default: ${" + std::string(name) +
                            ":-default})";
                return out;
            }
            out.text += *value;
        } else if (value && !value->empty()) {
            out.text += *value;
        } else {
            out.text += inner.substr(sep + 2);
        }
        out.changed = true;
        i = close + 1;
    }
    return out;
}

}  // namespace gstream::config

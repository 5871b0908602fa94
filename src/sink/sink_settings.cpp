#include "sink/sink_settings.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace gstream::sink {
namespace {

const boost::json::value* find(const config::SinkConfig& sink, std::string_view key) {
    if (sink.settings == nullptr) {
        return nullptr;
    }
    return sink.settings->if_contains(key);
}

std::string text_of(const boost::json::value& v) {
    if (v.is_string()) {
        return std::string(v.get_string());
    }
    return boost::json::serialize(v);
}

}  // namespace

std::string setting_string(const config::SinkConfig& sink, std::string_view key,
                           std::string_view fallback) {
    const boost::json::value* v = find(sink, key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string(fallback);
}

std::int64_t setting_int(const config::SinkConfig& sink, std::string_view key,
                         std::int64_t fallback) {
    const boost::json::value* v = find(sink, key);
    return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

bool setting_bool(const config::SinkConfig& sink, std::string_view key, bool fallback) {
    const boost::json::value* v = find(sink, key);
    return v != nullptr && v->is_bool() ? v->get_bool() : fallback;
}

std::vector<std::string> setting_strings(const config::SinkConfig& sink, std::string_view key) {
    std::vector<std::string> out;
    const boost::json::value* v = find(sink, key);
    if (v == nullptr) {
        return out;
    }
    if (v->is_array()) {
        for (const boost::json::value& item : v->get_array()) {
            out.push_back(text_of(item));
        }
    } else {
        out.push_back(text_of(*v));
    }
    return out;
}

std::map<std::string, std::string> setting_map(const config::SinkConfig& sink,
                                               std::string_view key) {
    std::map<std::string, std::string> out;
    const boost::json::value* v = find(sink, key);
    if (v != nullptr && v->is_object()) {
        for (const auto& member : v->get_object()) {
            out.emplace(std::string(member.key()), text_of(member.value()));
        }
    }
    return out;
}

}  // namespace gstream::sink

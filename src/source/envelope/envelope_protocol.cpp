#include "source/envelope/envelope_protocol.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace gstream::source::envelope {
namespace {

std::string_view strip_trailing_slash(std::string_view s) {
    while (!s.empty() && s.back() == '/') s.remove_suffix(1);
    return s;
}

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string subscription_url(std::string_view api_origin) {
    return std::string(strip_trailing_slash(api_origin)) +
           "/api/v2/eventbridge/streams/interaction.lifecycle/subscriptions";
}

std::string subscription_body(const std::vector<std::string>& queues,
                              const std::vector<std::string>& states) {
    boost::json::object filter;
    if (queues.size() == 1) {
        filter["routing.queue.id"] = queues.front();
    } else if (queues.size() > 1) {
        boost::json::array ids;
        for (const auto& q : queues) ids.emplace_back(q);
        filter["routing.queue.id"] = std::move(ids);
    }
    if (!states.empty()) {
        boost::json::array values;
        for (const auto& s : states) values.emplace_back(s);
        filter["interaction.state"] = std::move(values);
    }
    boost::json::object body;
    body["stream"] = kStreamName;
    body["filter"] = std::move(filter);
    return boost::json::serialize(body);
}

std::string stream_url(std::string_view api_origin, std::string_view token) {
    std::string_view origin = strip_trailing_slash(api_origin);
    std::string url;
    if (origin.substr(0, 8) == "https://") {
        url = "wss://" + std::string(origin.substr(8));
    } else if (origin.substr(0, 7) == "http://") {
        url = "ws://" + std::string(origin.substr(7));
    } else {
        url = std::string(origin);
    }
    url += "/api/v2/eventbridge/interaction.lifecycle?token=";
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char c : token) {
        if (unreserved(c)) {
            url += c;
        } else {
            url += '%';
            url += kHex[(static_cast<unsigned char>(c) >> 4) & 15];
            url += kHex[static_cast<unsigned char>(c) & 15];
        }
    }
    return url;
}

}  // namespace gstream::source::envelope

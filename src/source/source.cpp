#include "source/source.hpp"

namespace gstream::source {

std::string_view to_string(ConnectionError error) {
    switch (error) {
        case ConnectionError::kConnect: return "connect";
        case ConnectionError::kTls: return "tls";
        case ConnectionError::kHandshake: return "handshake";
        case ConnectionError::kHttp401: return "http_401";
        case ConnectionError::kHttp403: return "http_403";
        case ConnectionError::kHttp429: return "http_429";
        case ConnectionError::kHttpOther: return "http_other";
        case ConnectionError::kInvalidUtf8: return "invalid_utf8";
        case ConnectionError::kMessageTooLarge: return "message_too_large";
        case ConnectionError::kBinaryFrame: return "binary_frame";
        case ConnectionError::kReadTimeout: return "read_timeout";
        case ConnectionError::kClosedAbnormally: return "closed_abnormally";
        case ConnectionError::kClosedByPeer: return "closed_by_peer";
        case ConnectionError::kOther: return "other";
    }
    return "other";
}

}  // namespace gstream::source

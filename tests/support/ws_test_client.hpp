#pragma once
// Small blocking HTTP and WebSocket clients for tests (Beast underneath, every call bounded by a
// timeout). Origins are "http://HOST:PORT" or "https://HOST:PORT"; for https/wss pass the PEM file
// of the CA that signed the server certificate (the peer and its IP/host name are verified).

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gstream::test {

struct HttpResult {
    int status = 0;  ///< 0 when the exchange failed (see error)
    std::string body;
    std::map<std::string, std::string> headers;  ///< names in lower case
    std::string error;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

/// One request on a fresh connection.
HttpResult http_request(const std::string& method, const std::string& origin,
                        const std::string& target, const Headers& headers = {},
                        const std::string& body = {}, const std::string& ca_file = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

inline HttpResult http_post(const std::string& origin, const std::string& target,
                            const Headers& headers, const std::string& body,
                            const std::string& ca_file = {}) {
    return http_request("POST", origin, target, headers, body, ca_file);
}

struct WsResult {
    int handshake_status = 0;  ///< 101 when upgraded, else the HTTP status; 0 on transport error
    std::string handshake_body;  ///< body of a refused handshake
    std::vector<std::string> messages;  ///< text messages in arrival order
    int close_code = -1;  ///< the server's close code; -1 when the stream ended without one
    std::string error;    ///< what ended the stream when there was no close frame ("" otherwise)
    bool timed_out = false;
};

/// Opens a WebSocket to origin+target and reads until the server closes, the connection ends,
/// `max_messages` were read (then it closes with 1000 itself) or `timeout` passes.
WsResult ws_read(const std::string& origin, const std::string& target,
                 const std::string& ca_file = {}, std::size_t max_messages = SIZE_MAX,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Writes `bytes` on a plain TCP connection and returns everything read until the server
/// closes or `timeout` passes.
std::string raw_exchange(const std::string& origin, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Base64 of "id:secret" for an Authorization: Basic header.
std::string basic_auth(const std::string& id, const std::string& secret);

}  // namespace gstream::test

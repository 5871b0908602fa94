#pragma once
// Errors of Genesys Cloud REST calls (login host and API host), as values.
//
// Facts from API-NOTES.md §1.4 (OAuth error bodies {"error","description","error_description"})
// and §3.7 (API ErrorBody {"message","code","status","contextId"}, headers ININ-Correlation-Id,
// Retry-After and inin-ratelimit-reset, both in seconds).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "core/errc.hpp"

namespace gstream::genesys {

struct HttpResponse;

/// A failed REST call: what went wrong, said for an operator, and whether to try again.
struct ApiError {
    boost::system::error_code code;  ///< core::Errc, or a transport error (asio/ssl/beast category)
    int http_status = 0;             ///< 0 when no HTTP response was received
    std::string message;             ///< one line, never contains a token or the client secret
    std::string correlation_id;      ///< ININ-Correlation-Id of the response, if any
    bool retryable = false;          ///< transport faults, 429 and 5xx are retryable
    std::int64_t retry_after_ms = -1;  ///< from Retry-After / inin-ratelimit-reset; -1 if absent
};

template <class T>
using ApiResult = boost::system::result<T, ApiError>;

/// Lets ApiResult<T>::value() throw (start-up code only).
[[noreturn]] void throw_exception_from_error(const ApiError& e, const boost::source_location& loc);

/// "message (code=..., status=..., contextId=...)" from a Genesys ErrorBody, or
/// "error: error_description" from an OAuth error body; the trimmed body (at most 200 bytes) when
/// it is neither. Empty for an empty body.
std::string describe_error_body(std::string_view body);

/// Parses a delta-seconds header value (Retry-After, inin-ratelimit-reset) into milliseconds.
/// HTTP-dates and malformed values give nullopt. Values are capped at one hour.
std::optional<std::int64_t> parse_delay_seconds(std::string_view value);

/// Builds the error for a non-2xx response to the call named by `what` (e.g. "subscription
/// request"): code kUnauthorized (401), kForbidden (403), kRateLimited (429), kHttpStatus
/// (anything else); retryable for 408, 429 and 5xx; retry_after_ms from Retry-After, else from
/// inin-ratelimit-reset.
ApiError error_from_response(const HttpResponse& response, std::string_view what);

/// Builds the error for a call that got no response (connect, TLS, timeout, ...): retryable.
ApiError transport_error(boost::system::error_code ec, std::string_view what);

}  // namespace gstream::genesys

#pragma once
// Error codes of genesys-stream, as a boost::system error category ("gstream").
// Data-plane code returns these as values (boost::system::error_code / result<T>);
// exceptions are only for start-up (STYLE.md rule 5).

#include <string_view>
#include <type_traits>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace gstream::core {

enum class Errc {
    kOk = 0,
    // JSON and event decoding (event-level dead-letter reasons, docs/reason-codes.md).
    kNotJson,            ///< not well-formed JSON (RFC 8259)
    kNotObject,          ///< well-formed, but not the object the protocol needs
    kBadEnvelope,        ///< envelope without subscriptionId/events as SEED-PROTOCOL.md §3 requires
    kDuplicateKey,       ///< an object repeats a member name (at any depth)
    kTooDeep,            ///< nesting beyond the limit (64 levels)
    kNumberOutOfRange,   ///< an integer the pipeline needs is outside int64
    kBadTimestamp,       ///< not an RFC 3339 date-time with offset, impossible date, or year outside 1970–2262
    kSchema,             ///< JSON Schema validation failed
    kLate,               ///< behind the watermark, with the dead-letter late policy
    kSinkRejected,       ///< a sink rejected the batch, or it could not be delivered before shutdown
    // Transport and upstream.
    kConnectionClosed,   ///< the peer closed the stream
    kMessageTooLarge,    ///< a message over source.max_message_bytes
    kBinaryFrame,        ///< a binary WebSocket frame (the protocols send text only)
    kHttpStatus,         ///< an unexpected HTTP status from an upstream call
    kUnauthorized,       ///< 401 twice in a row: the client lacks a scope or its secret is wrong
    kForbidden,          ///< 403: scope or queue not permitted
    kRateLimited,        ///< 429 after every retry
    kBadResponse,        ///< an upstream response body that does not parse as documented
    kTimeout,            ///< a phase ran past its deadline
    // Configuration and storage.
    kConfig,             ///< configuration error (start-up only)
    kIo,                 ///< file or database error
    // Recovery (appended last so that the codes above keep their values).
    kWalCorrupt,         ///< a write-ahead log record failed its checksum (docs/recovery.md)
};

/// The "gstream" error category. Thread-safe (a function-local static).
const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// The stable snake_case name of a code, used as the dead-letter reason and as a metric label
/// (for example "duplicate_key"). Never empty.
std::string_view reason_name(Errc e) noexcept;

template <class T>
using Result = boost::system::result<T, boost::system::error_code>;

}  // namespace gstream::core

template <>
struct boost::system::is_error_code_enum<gstream::core::Errc> : std::true_type {};

#pragma once
// Every label value a genesys-stream metric may carry, as enums (STYLE.md rule 8: label values
// come from fixed sets, never from ids or error text). The names are the exported label values
// and are stable: dashboards and alert rules use them (docs/metrics.md).

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/errc.hpp"

namespace gstream::ops {

/// Why an event was dead-lettered: `reason` of events_dead_lettered_total.
enum class DeadLetterReason {
    kNotJson,
    kBadEnvelope,
    kDuplicateKey,
    kTooDeep,
    kNumberOutOfRange,
    kBadTimestamp,
    kSchema,
    kLate,
    kSinkRejected,
    kWalCorrupt,
};
inline constexpr std::size_t kDeadLetterReasonCount = 10;

/// Which filter dropped an event: `filter` of events_filtered_total.
enum class FilterKind { kQueue, kState, kField };
inline constexpr std::size_t kFilterKindCount = 3;

/// Why a source connection failed or ended: `reason` of connection_errors_total.
enum class ConnectionError {
    kConnect,    ///< DNS or TCP connect failed
    kTls,        ///< TLS handshake or certificate failure
    kHandshake,  ///< WebSocket upgrade refused for another reason than the statuses below
    kHttp401,    ///< a REST call or the upgrade answered 401
    kHttp403,
    kHttp429,
    kHttpOther,        ///< any other unexpected HTTP status
    kInvalidUtf8,      ///< a text frame that is not UTF-8
    kMessageTooLarge,  ///< a message over source.max_message_bytes
    kBinaryFrame,
    kReadTimeout,       ///< no frame, pong or heartbeat before the read deadline
    kClosedAbnormally,  ///< the peer went away without a close frame (1006)
    kClosedByPeer,      ///< the server closed the stream with a close frame (1001 and others)
    kOther,
};
inline constexpr std::size_t kConnectionErrorCount = 14;

/// A sink's answer to one write (STYLE.md rule 2): `result` of sink_writes_total.
enum class SinkResult { kOk, kRetry, kReject };
inline constexpr std::size_t kSinkResultCount = 3;

/// The label value, e.g. "number_out_of_range", "http_401", "reject".
std::string_view to_string(DeadLetterReason reason) noexcept;
std::string_view to_string(FilterKind kind) noexcept;
std::string_view to_string(ConnectionError error) noexcept;
std::string_view to_string(SinkResult result) noexcept;

/// The reason for a label value or a stored DeadLetter::reason; nullopt if unknown.
std::optional<DeadLetterReason> parse_dead_letter_reason(std::string_view name) noexcept;

/// The dead-letter reason of an error code a rejection carries; nullopt for codes that are not
/// event-level (transport, config, I/O). core::Errc::kNotObject counts as kNotJson, as
/// SEED-PROTOCOL.md §3 treats "not an object" like "not JSON".
std::optional<DeadLetterReason> dead_letter_reason(core::Errc code) noexcept;

}  // namespace gstream::ops

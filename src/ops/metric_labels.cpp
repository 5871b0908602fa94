#include "ops/metric_labels.hpp"

namespace gstream::ops {

std::string_view to_string(DeadLetterReason reason) noexcept {
    switch (reason) {
        case DeadLetterReason::kNotJson:
            return "not_json";
        case DeadLetterReason::kBadEnvelope:
            return "bad_envelope";
        case DeadLetterReason::kDuplicateKey:
            return "duplicate_key";
        case DeadLetterReason::kTooDeep:
            return "too_deep";
        case DeadLetterReason::kNumberOutOfRange:
            return "number_out_of_range";
        case DeadLetterReason::kBadTimestamp:
            return "bad_timestamp";
        case DeadLetterReason::kSchema:
            return "schema";
        case DeadLetterReason::kLate:
            return "late";
        case DeadLetterReason::kSinkRejected:
            return "sink_rejected";
        case DeadLetterReason::kWalCorrupt:
            return "wal_corrupt";
    }
    return "unknown";
}

std::string_view to_string(FilterKind kind) noexcept {
    switch (kind) {
        case FilterKind::kQueue:
            return "queue";
        case FilterKind::kState:
            return "state";
        case FilterKind::kField:
            return "field";
    }
    return "unknown";
}

std::string_view to_string(ConnectionError error) noexcept {
    switch (error) {
        case ConnectionError::kConnect:
            return "connect";
        case ConnectionError::kTls:
            return "tls";
        case ConnectionError::kHandshake:
            return "handshake";
        case ConnectionError::kHttp401:
            return "http_401";
        case ConnectionError::kHttp403:
            return "http_403";
        case ConnectionError::kHttp429:
            return "http_429";
        case ConnectionError::kHttpOther:
            return "http_other";
        case ConnectionError::kInvalidUtf8:
            return "invalid_utf8";
        case ConnectionError::kMessageTooLarge:
            return "message_too_large";
        case ConnectionError::kBinaryFrame:
            return "binary_frame";
        case ConnectionError::kReadTimeout:
            return "read_timeout";
        case ConnectionError::kClosedAbnormally:
            return "closed_abnormally";
        case ConnectionError::kClosedByPeer:
            return "closed_by_peer";
        case ConnectionError::kOther:
            return "other";
    }
    return "unknown";
}

std::string_view to_string(SinkResult result) noexcept {
    switch (result) {
        case SinkResult::kOk:
            return "ok";
        case SinkResult::kRetry:
            return "retry";
        case SinkResult::kReject:
            return "reject";
    }
    return "unknown";
}

std::optional<DeadLetterReason> parse_dead_letter_reason(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kDeadLetterReasonCount; ++i) {
        const auto reason = static_cast<DeadLetterReason>(i);
        if (to_string(reason) == name) {
            return reason;
        }
    }
    return std::nullopt;
}

std::optional<DeadLetterReason> dead_letter_reason(core::Errc code) noexcept {
    switch (code) {
        case core::Errc::kNotJson:
        case core::Errc::kNotObject:
            return DeadLetterReason::kNotJson;
        case core::Errc::kBadEnvelope:
            return DeadLetterReason::kBadEnvelope;
        case core::Errc::kDuplicateKey:
            return DeadLetterReason::kDuplicateKey;
        case core::Errc::kTooDeep:
            return DeadLetterReason::kTooDeep;
        case core::Errc::kNumberOutOfRange:
            return DeadLetterReason::kNumberOutOfRange;
        case core::Errc::kBadTimestamp:
            return DeadLetterReason::kBadTimestamp;
        case core::Errc::kSchema:
            return DeadLetterReason::kSchema;
        case core::Errc::kLate:
            return DeadLetterReason::kLate;
        case core::Errc::kSinkRejected:
            return DeadLetterReason::kSinkRejected;
        case core::Errc::kWalCorrupt:
            return DeadLetterReason::kWalCorrupt;
        default:
            return std::nullopt;
    }
}

}  // namespace gstream::ops

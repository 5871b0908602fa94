#pragma once
// The pure part of the HTTP sink (STYLE.md rule 13): request bodies from encoded events, the
// Idempotency-Key, the Retry-After header, and what a status means for the batch.
//
// Thread-safety: pure functions.

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sink/sink.hpp"

namespace gstream::sink::http {

/// How one request carries several events (`framing` key).
enum class Framing {
    kNdjson,           ///< one event per line, each ending in '\n'
    kJsonArray,        ///< `[e1,e2,...]`
    kCloudEventsBatch  ///< `[ce1,ce2,...]`: CloudEvents JSON batch format (structured events)
};

/// "ndjson" | "json_array" | "cloudevents-batch"; nullopt for anything else.
std::optional<Framing> parse_framing(std::string_view text);

/// The Content-Type of a framed body: application/x-ndjson, application/json, or
/// application/cloudevents-batch+json (CloudEvents JSON Event Format 1.0 §4, "batch").
std::string_view content_type(Framing framing);

/// Appends `bodies` (one encoded event each, no trailing newline) framed as `framing` to `out`.
void frame(Framing framing, std::span<const std::string> bodies, std::string& out);

/// The bytes `bodies` take once framed: what frame() appends.
std::size_t framed_size(Framing framing, std::span<const std::string> bodies);

/// Splits `bodies` into consecutive chunks, each framed at most `max_bytes` (a body larger than
/// that alone makes a chunk). Returns the end index of each chunk; never empty for a non-empty
/// input.
std::vector<std::size_t> split(Framing framing,
                               std::span<const std::string> bodies,
                               std::size_t max_bytes);

/// The Idempotency-Key of a request: lower-case hex SHA-256 (OpenSSL) of the event ids, each
/// as a netstring ("<decimal byte length>:<id>,"; ids as format::event_id, unescaped). The same
/// events in the same order give the same key, so a receiver can recognise a re-sent batch.
std::string idempotency_key(std::span<const std::string> event_ids);

/// A CloudEvents attribute value as an HTTP header value (CloudEvents HTTP protocol binding 1.0
/// §3.1.3.2): space, '"', '%' and bytes outside printable ASCII (0x21-0x7E) percent-encoded
/// (UTF-8 bytes, upper-case hex).
std::string ce_header_value(std::string_view value);

/// A Retry-After value (RFC 9110 §10.2.3): delta-seconds or an IMF-fixdate, as a wait from
/// `now` (zero for a date in the past). nullopt when it parses as neither.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// What an HTTP status means for a batch (STYLE.md rule 2): 2xx kOk; 408, 429, 5xx kRetry;
/// 1xx and 3xx kRetry too (a redirect is not followed: a configuration problem, but the events
/// are kept); other 4xx kReject.
SinkResult classify(int status);

/// `status` and the first `max_bytes` of `body` (control characters as spaces), for a
/// dead-letter detail: "http 400: {\"error\":...".
std::string status_detail(int status, std::string_view body, std::size_t max_bytes = 256);

}  // namespace gstream::sink::http

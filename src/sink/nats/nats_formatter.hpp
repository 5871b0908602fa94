#pragma once
// The NATS sink's pure part: an event as a JetStream message (subject, headers, body) and its
// size as the server counts it against `max_payload`.
//
// Subjects (docs/sinks/nats.md, "Subjects"): a template of dot-separated tokens with the
// placeholders {eventType} (the event kind, e.g. "acd.end"), {queueId} and {conversationId}. In a
// substituted value every character a subject token cannot hold (space, tab, CR, LF, NUL, '.',
// '*', '>') becomes '_'; a missing or empty value becomes "_". So "genesys.{eventType}.{queueId}"
// gives "genesys.acd_end.0a1b..." or "genesys.acd_end._".
//
// Headers: `Nats-Msg-Id: <event id>` (JetStream drops a re-send within the stream's
// duplicate_window; nats-server docs, "JetStream / Message Deduplication"); in cloudevents-binary
// mode every attribute as `ce-<name>` and datacontenttype as `content-type` (CloudEvents NATS
// protocol binding 1.0, binary mode); in cloudevents (structured) mode
// `content-type: application/cloudevents+json`.
//
// Thread-safety: SubjectTemplate is immutable after construction; a NatsFormatter reuses its
// buffers, so one thread at a time.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "sink/format/event_format.hpp"

namespace gstream::sink::nats {

class SubjectTemplate {
public:
    /// Parses `text`; nullopt with `error` set ("unknown placeholder {x}", "empty token"...)
    /// when it is not a valid template.
    static std::optional<SubjectTemplate> parse(std::string_view text, std::string& error);

    /// Replaces `out` with the subject of `event`.
    void render(const core::Event& event, std::string& out) const;
    /// The template with each token that holds a placeholder as '*': the subjects it can give,
    /// as a NATS wildcard subject ("genesys.*.*").
    std::string wildcard() const;

private:
    enum class Part { kLiteral, kEventType, kQueueId, kConversationId };
    struct Piece {
        Part part = Part::kLiteral;
        std::string text;  // kLiteral
    };
    std::vector<Piece> pieces_;
    std::string text_;
};

/// Whether the stream subject `filter` (wildcards '*', '>') matches every subject `subject`
/// (which may hold '*' tokens, from SubjectTemplate::wildcard()) can be.
bool subject_covers(std::string_view filter, std::string_view subject);

/// A token value as it goes into a subject: the characters above replaced by '_', "_" if empty.
std::string subject_token(std::string_view value);

/// One event as a message.
struct NatsMessage {
    std::string subject;
    std::vector<std::pair<std::string, std::string>> headers;  ///< (name, value), in this order
    std::string body;
};

/// The bytes the headers take on the wire (`NATS/1.0\r\n`, `Name: value\r\n` each, `\r\n`), which
/// the server adds to the body to compare with max_payload (nats.c natsMsgHeader_encodedLen).
std::size_t encoded_headers_size(const std::vector<std::pair<std::string, std::string>>& headers);

class NatsFormatter {
public:
    NatsFormatter(SubjectTemplate subject, format::EncoderOptions encoder);
    /// Replaces `out` with `event` as a message. False with `error` ("invalid_event_id: ...")
    /// when the event cannot be one: its id is empty or holds CR, LF or NUL (not a header value).
    bool format(const core::Event& event, NatsMessage& out, std::string& error);

private:
    SubjectTemplate subject_;
    format::EventEncoder encoder_;
    format::Encoded encoded_;  // reused buffers
};

}  // namespace gstream::sink::nats

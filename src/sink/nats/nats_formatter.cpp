#include "sink/nats/nats_formatter.hpp"

#include <utility>

namespace gstream::sink::nats {
namespace {

bool forbidden_in_token(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == '.' || c == '*' ||
           c == '>';
}

std::string_view string_of(const core::JsonValue& v) {
    return v.valid() && v.is_string() ? v.get_string() : std::string_view();
}

void append_token(std::string_view value, std::string& out) {
    if (value.empty()) {
        out += '_';
        return;
    }
    for (const char c : value) {
        out += forbidden_in_token(c) ? '_' : c;
    }
}

}  // namespace

std::string subject_token(std::string_view value) {
    std::string out;
    append_token(value, out);
    return out;
}

std::optional<SubjectTemplate> SubjectTemplate::parse(std::string_view text, std::string& error) {
    SubjectTemplate t;
    t.text_ = std::string(text);
    std::string literal;
    auto flush_literal = [&] {
        if (!literal.empty()) {
            t.pieces_.push_back({Part::kLiteral, std::move(literal)});
            literal.clear();
        }
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '{') {
            const std::size_t close = text.find('}', i);
            if (close == std::string_view::npos) {
                error = "'{' without '}'";
                return std::nullopt;
            }
            const std::string_view name = text.substr(i + 1, close - i - 1);
            Part part = Part::kLiteral;
            if (name == "eventType") {
                part = Part::kEventType;
            } else if (name == "queueId") {
                part = Part::kQueueId;
            } else if (name == "conversationId") {
                part = Part::kConversationId;
            } else {
                error = "unknown placeholder {" + std::string(name) +
                        "} (known: {eventType}, {queueId}, {conversationId})";
                return std::nullopt;
            }
            flush_literal();
            t.pieces_.push_back({part, {}});
            i = close;
            continue;
        }
        if (c == '}') {
            error = "'}' without '{'";
            return std::nullopt;
        }
        if (c == '*' || c == '>') {
            error = "wildcards ('*', '>') cannot be published to";
            return std::nullopt;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0') {
            error = "whitespace is not allowed in a subject";
            return std::nullopt;
        }
        literal += c;
    }
    flush_literal();
    // Every token between dots must be non-empty (a placeholder always gives at least "_").
    const std::string w = t.wildcard();
    if (w.empty() || w.front() == '.' || w.back() == '.' || w.find("..") != std::string::npos) {
        error = "empty token (a subject is tokens separated by single dots)";
        return std::nullopt;
    }
    return t;
}

void SubjectTemplate::render(const core::Event& event, std::string& out) const {
    out.clear();
    for (const Piece& p : pieces_) {
        switch (p.part) {
            case Part::kLiteral:
                out += p.text;
                break;
            case Part::kEventType:
                append_token(event.kind, out);
                break;
            case Part::kQueueId:
                append_token(string_of(event.queue_id), out);
                break;
            case Part::kConversationId:
                append_token(string_of(event.conversation_id), out);
                break;
        }
    }
}

std::string SubjectTemplate::wildcard() const {
    // Rebuild token by token: a token holding any placeholder is '*'.
    std::string out;
    std::string token;
    bool variable = false;
    auto end_token = [&] {
        out += variable ? std::string("*") : token;
        token.clear();
        variable = false;
    };
    for (const Piece& p : pieces_) {
        if (p.part != Part::kLiteral) {
            variable = true;
            continue;
        }
        for (const char c : p.text) {
            if (c == '.') {
                end_token();
                out += '.';
            } else {
                token += c;
            }
        }
    }
    end_token();
    return out;
}

bool subject_covers(std::string_view filter, std::string_view subject) {
    for (;;) {
        const std::size_t fdot = filter.find('.');
        const std::size_t sdot = subject.find('.');
        const std::string_view ftok = filter.substr(0, fdot);
        const std::string_view stok = subject.substr(0, sdot);
        if (ftok == ">") {
            return !subject.empty();
        }
        if (ftok != "*" && ftok != stok) {
            return false;  // a literal covers only itself, never a variable token
        }
        if (fdot == std::string_view::npos || sdot == std::string_view::npos) {
            return fdot == std::string_view::npos && sdot == std::string_view::npos;
        }
        filter.remove_prefix(fdot + 1);
        subject.remove_prefix(sdot + 1);
    }
}

std::size_t encoded_headers_size(const std::vector<std::pair<std::string, std::string>>& headers) {
    if (headers.empty()) {
        return 0;
    }
    std::size_t n = sizeof("NATS/1.0\r\n") - 1;
    for (const auto& [name, value] : headers) {
        n += name.size() + 2 + value.size() + 2;
    }
    return n + 2;
}

NatsFormatter::NatsFormatter(SubjectTemplate subject, format::EncoderOptions encoder)
    : subject_(std::move(subject))
    , encoder_(std::move(encoder)) {}

bool NatsFormatter::format(const core::Event& event, NatsMessage& out, std::string& error) {
    const std::string id = format::event_id(event);
    if (id.empty() || id.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        error = "invalid_event_id: the event id is empty or holds CR, LF or NUL, so it cannot be "
                "a Nats-Msg-Id header";
        return false;
    }
    subject_.render(event, out.subject);
    encoder_.encode(event, encoded_);
    out.body.swap(encoded_.body);
    out.headers.clear();
    out.headers.emplace_back("Nats-Msg-Id", id);
    switch (encoder_.format()) {
        case format::Format::kNative:
            break;
        case format::Format::kCloudEvents:
            out.headers.emplace_back("content-type", std::string(encoded_.content_type));
            break;
        case format::Format::kCloudEventsBinary:
            for (const auto& [name, value] : encoded_.attributes) {
                if (name == "datacontenttype") {
                    continue;  // the binding's content-type header, below
                }
                out.headers.emplace_back("ce-" + name, value);
            }
            out.headers.emplace_back("content-type", std::string(encoded_.content_type));
            break;
    }
    return true;
}

}  // namespace gstream::sink::nats

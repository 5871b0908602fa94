#include "core/json_document.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <cstdlib>
#include <limits>

// SSE2 is part of x86-64: RapidJSON then scans strings 16 bytes at a time. Those aligned loads
// may read past the terminator within its 16-byte block (never across a page), which
// AddressSanitizer reports, so sanitizer builds use the scalar scan.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <simdjson.h>

namespace gstream::core {

namespace {

// Token boundaries in text the parser has already accepted.

std::uint32_t skip_ws(std::string_view text, std::uint32_t p) {
    while (p < text.size() &&
           (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r')) {
        ++p;
    }
    return p;
}

// Where the next value (or key) starts after the token that ended at `end`: past whitespace and
// one ':' or ','.
std::uint32_t value_start(std::string_view text, std::uint32_t end) {
    std::uint32_t p = skip_ws(text, end);
    if (p < text.size() && (text[p] == ':' || text[p] == ',')) {
        p = skip_ws(text, p + 1);
    }
    return p;
}

// One past the closing quote of the string token that opens at `begin`.
std::uint32_t string_end(std::string_view text, std::uint32_t begin) {
    std::size_t p = begin + 1;
    for (;;) {
        const void* q = std::memchr(text.data() + p, '"', text.size() - p);
        if (q == nullptr) {
            return static_cast<std::uint32_t>(text.size());  // not reached: the parser checked it
        }
        const auto at = static_cast<std::size_t>(static_cast<const char*>(q) - text.data());
        std::size_t backslashes = 0;
        while (at - backslashes > begin + 1 && text[at - 1 - backslashes] == '\\') {
            ++backslashes;
        }
        if (backslashes % 2 == 0) {
            return static_cast<std::uint32_t>(at + 1);
        }
        p = at + 1;
    }
}

std::uint32_t number_end(std::string_view text, std::uint32_t p) {
    while (p < text.size()) {
        const char c = text[p];
        if ((c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E') {
            break;
        }
        ++p;
    }
    return p;
}

}  // namespace


// SAX handler that appends nodes to the document's tape. Offsets are recomputed from the text,
// not read from the stream (RapidJSON parses strings and numbers on a local copy of a
// StringStream, so its position lags inside the handler): a value starts after whitespace and
// one ':' or ',' from the end of the previous token; a string ends at its first unescaped quote,
// a number after its digits, a literal after its letters, a container at its closing bracket.
class JsonTapeBuilder {
public:
    explicit JsonTapeBuilder(JsonDocument& doc)
        : doc_(doc)
        , text_(doc.text_) {}

    bool Null() { return scalar(JsonType::kNull, 4); }
    bool Bool(bool b) { return scalar(b ? JsonType::kTrue : JsonType::kFalse, b ? 4 : 5); }
    bool Int(int) { return false; }  // never called with kParseNumbersAsStringsFlag
    bool Uint(unsigned) { return false; }
    bool Int64(std::int64_t) { return false; }
    bool Uint64(std::uint64_t) { return false; }
    bool Double(double) { return false; }

    bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
        const std::uint32_t begin = value_start(text_, last_end_);
        const std::uint32_t end = begin + length;
        JsonNode& n = push(begin, end);
        const std::string_view digits(str, length);
        const bool integral = digits.find_first_of(".eE") == std::string_view::npos;
        if (integral) {
            std::int64_t v = 0;
            const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
            if (ec == std::errc{} && ptr == digits.data() + digits.size()) {
                n.type = JsonType::kInteger;
                n.num.i = v;
            } else {
                n.type = JsonType::kBigInteger;
                n.flags |= kJsonFlagBigInteger;
                n.num.d = to_double(digits);
                mark_parent(kJsonFlagBigInteger);
            }
        } else {
            n.type = JsonType::kFloat;
            n.num.d = to_double(digits);
        }
        last_end_ = end;
        return true;
    }

    bool String(const char* str, rapidjson::SizeType length, bool) {
        const std::uint32_t begin = value_start(text_, last_end_);
        const std::uint32_t end = string_end(text_, begin);
        JsonNode& n = push(begin, end);
        n.type = JsonType::kString;
        store_string(n, str, length);
        last_end_ = end;
        return true;
    }

    bool Key(const char* str, rapidjson::SizeType length, bool) {
        const std::uint32_t begin = value_start(text_, last_end_);
        const std::uint32_t end = string_end(text_, begin);
        JsonNode& n = push_raw(begin, end);
        n.type = JsonType::kKey;
        store_string(n, str, length);
        n.next = static_cast<std::uint32_t>(doc_.nodes_.size());
        last_end_ = end;
        return true;
    }

    bool StartObject() { return open(JsonType::kObject); }
    bool StartArray() { return open(JsonType::kArray); }
    bool EndObject(rapidjson::SizeType count) { return close(count); }
    bool EndArray(rapidjson::SizeType count) { return close(count); }

private:
    struct Open {
        std::uint32_t index;
        std::uint32_t height;  // max height among children containers
        std::uint8_t flags;
    };

    static double to_double(std::string_view digits) {
        // strtod needs a terminated string; numbers are short.
        std::string copy(digits);
        return std::strtod(copy.c_str(), nullptr);
    }




    JsonNode& push_raw(std::uint32_t begin, std::uint32_t end) {
        JsonNode& n = doc_.nodes_.emplace_back();
        n.begin = begin;
        n.end = end;
        return n;
    }

    // A value node: a scalar's subtree ends right after it.
    JsonNode& push(std::uint32_t begin, std::uint32_t end) {
        JsonNode& n = push_raw(begin, end);
        n.next = static_cast<std::uint32_t>(doc_.nodes_.size());
        return n;
    }

    bool scalar(JsonType type, std::uint32_t length) {
        const std::uint32_t begin = value_start(text_, last_end_);
        const std::uint32_t end = begin + length;
        JsonNode& n = push(begin, end);
        n.type = type;
        last_end_ = end;
        return true;
    }

    void store_string(JsonNode& n, const char* str, rapidjson::SizeType length) {
        n.aux2 = static_cast<std::uint32_t>(doc_.pool_.size());
        n.aux = length;
        doc_.pool_.append(str, length);
    }

    void mark_parent(std::uint8_t flag) {
        if (!stack_.empty()) {
            stack_.back().flags |= flag;
        }
    }

    bool open(JsonType type) {
        const std::uint32_t begin = value_start(text_, last_end_);
        JsonNode& n = push_raw(begin, begin + 1);
        n.type = type;
        stack_.push_back({static_cast<std::uint32_t>(doc_.nodes_.size() - 1), 0, 0});
        last_end_ = begin + 1;
        return true;
    }

    bool close(rapidjson::SizeType count) {
        const Open top = stack_.back();
        stack_.pop_back();
        const std::uint32_t end = skip_ws(text_, last_end_) + 1;  // past '}' or ']'
        JsonNode& n = doc_.nodes_[top.index];
        n.end = end;
        n.next = static_cast<std::uint32_t>(doc_.nodes_.size());
        n.aux = count;
        n.aux2 = top.height + 1;
        n.flags = top.flags;
        if (n.type == JsonType::kObject && count > 1 && has_duplicate(top.index)) {
            n.flags |= kJsonFlagDuplicateKey;
        }
        if (!stack_.empty()) {
            stack_.back().height = std::max(stack_.back().height, n.aux2);
            stack_.back().flags |= n.flags;
        }
        last_end_ = end;
        return true;
    }

public:
    // A 256-bit filter over a cheap hash of each name finds the (rare) candidates; only those
    // are compared with the names before them. `keys_` is scratch space.
    static bool has_duplicate_member(JsonDocument& doc_, std::uint32_t object_index,
                                     std::vector<std::string_view>& keys_) {
        keys_.clear();
        std::uint64_t filter[4] = {0, 0, 0, 0};
        const auto stop = static_cast<std::uint32_t>(doc_.nodes_.size());
        for (std::uint32_t i = object_index + 1; i < stop; i = doc_.nodes_[i + 1].next) {
            const JsonNode& k = doc_.nodes_[i];
            const std::string_view name = doc_.string_of(k);
            std::uint32_t h = static_cast<std::uint32_t>(name.size()) * 0x9E3779B1U;
            if (!name.empty()) {
                h ^= static_cast<unsigned char>(name.front()) * 0x85EBCA6BU;
                h ^= static_cast<unsigned char>(name.back()) * 0xC2B2AE35U;
                h ^= static_cast<unsigned char>(name[name.size() / 2]) * 0x27D4EB2FU;
            }
            h ^= h >> 15;
            const std::uint64_t bit = 1ULL << (h & 63U);
            std::uint64_t& word = filter[(h >> 6) & 3U];
            if ((word & bit) != 0 && std::find(keys_.begin(), keys_.end(), name) != keys_.end()) {
                return true;
            }
            word |= bit;
            keys_.push_back(name);
        }
        return false;
    }

private:
    bool has_duplicate(std::uint32_t object_index) {
        return has_duplicate_member(doc_, object_index, keys_);
    }

    JsonDocument& doc_;
    std::string_view text_;
    std::uint32_t last_end_ = 0;
    std::vector<Open> stack_;
    std::vector<std::string_view> keys_;
};

bool JsonDocument::parse(std::string_view text, JsonParser parser) {
    owned_.assign(text);
    return parse_in_place(owned_, parser);
}

bool JsonDocument::parse_copy(std::string text) {
    owned_ = std::move(text);
    return parse_in_place(owned_);
}

bool JsonDocument::parse_in_place(const std::string& text, JsonParser parser) {
    text_ = text;
    nodes_.clear();
    pool_.clear();
    error_ = {};
    if (text.size() >= std::numeric_limits<std::uint32_t>::max()) {
        error_ = {0, "document larger than 4 GiB"};
        return false;
    }
    if (parser == JsonParser::kAuto && parse_with_simdjson()) {
        return true;
    }
    nodes_.clear();
    pool_.clear();
    return parse_with_rapidjson();
}

bool JsonDocument::parse_with_rapidjson() {
    const std::string_view text = text_;
    // UTF-8 is checked in bulk (SIMD) so that the reader can scan strings without it.
    if (!simdjson::validate_utf8(text.data(), text.size())) {
        error_ = {0, "invalid UTF-8"};
        return false;
    }
    nodes_.reserve(text.size() / 24 + 8);
    pool_.reserve(text.size() / 2 + 16);
    // The text is a std::string's, so NUL-terminated, which StringStream needs to find the end.
    rapidjson::StringStream stream(text.data());
    JsonTapeBuilder builder(*this);
    rapidjson::Reader reader;
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
    const rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, builder);
    if (!ok) {
        error_ = {static_cast<std::uint32_t>(ok.Offset()), rapidjson::GetParseError_En(ok.Code())};
        nodes_.clear();
        return false;
    }
    // The stream reports '\0' at the terminator; a NUL byte inside the text would look the same.
    if (stream.Tell() != text.size()) {
        error_ = {static_cast<std::uint32_t>(stream.Tell()), "unexpected NUL byte"};
        nodes_.clear();
        return false;
    }
    return true;
}

// Walks a simdjson DOM in document order while a cursor moves over the text, so every node gets
// the byte range of its value. The DOM has validated the text, so the cursor only has to find
// token boundaries. Recursion is bounded by the parser's depth limit (kSimdMaxDepth).
class SimdTapeWalker {
public:
    explicit SimdTapeWalker(JsonDocument& doc)
        : doc_(doc)
        , text_(doc.text_) {}

    struct Info {
        std::uint32_t height;
        std::uint8_t flags;
    };

    Info walk(simdjson::dom::element e) {
        const std::uint32_t begin = value_start(text_, pos_);
        switch (e.type()) {
            case simdjson::dom::element_type::OBJECT: return container(e, begin, true);
            case simdjson::dom::element_type::ARRAY: return container(e, begin, false);
            case simdjson::dom::element_type::STRING: {
                const std::uint32_t end = string_end(text_, begin);
                JsonNode& n = push(begin, end, JsonType::kString);
                store_string(n, begin, end, e.get_string().value_unsafe());
                return {0, 0};
            }
            case simdjson::dom::element_type::INT64: {
                JsonNode& n = push(begin, number_end(text_, begin), JsonType::kInteger);
                n.num.i = e.get_int64().value_unsafe();
                return {0, 0};
            }
            case simdjson::dom::element_type::UINT64: {
                // Only values above INT64_MAX are reported as uint64.
                JsonNode& n = push(begin, number_end(text_, begin), JsonType::kBigInteger);
                n.num.d = static_cast<double>(e.get_uint64().value_unsafe());
                n.flags |= kJsonFlagBigInteger;
                return {0, kJsonFlagBigInteger};
            }
            case simdjson::dom::element_type::DOUBLE: {
                const std::uint32_t end = number_end(text_, begin);
                const bool integral =
                    text_.substr(begin, end - begin).find_first_of(".eE") == std::string_view::npos;
                JsonNode& n = push(begin, end, integral ? JsonType::kBigInteger : JsonType::kFloat);
                n.num.d = e.get_double().value_unsafe();
                if (integral) {
                    n.flags |= kJsonFlagBigInteger;
                    return {0, kJsonFlagBigInteger};
                }
                return {0, 0};
            }
            case simdjson::dom::element_type::BOOL: {
                const bool b = e.get_bool().value_unsafe();
                push(begin, begin + (b ? 4 : 5), b ? JsonType::kTrue : JsonType::kFalse);
                return {0, 0};
            }
            case simdjson::dom::element_type::NULL_VALUE: push(begin, begin + 4, JsonType::kNull); return {0, 0};
        }
        return {0, 0};
    }

private:
    Info container(simdjson::dom::element e, std::uint32_t begin, bool object) {
        const auto index = static_cast<std::uint32_t>(doc_.nodes_.size());
        doc_.nodes_.emplace_back();
        doc_.nodes_.back().type = object ? JsonType::kObject : JsonType::kArray;
        doc_.nodes_.back().begin = begin;
        pos_ = begin + 1;
        std::uint32_t height = 0;
        std::uint8_t flags = 0;
        std::uint32_t count = 0;
        auto child = [&](simdjson::dom::element value) {
            const Info c = walk(value);
            height = std::max(height, c.height);
            flags |= c.flags;
            ++count;
        };
        if (object) {
            simdjson::dom::object members;
            if (e.get_object().get(members) != simdjson::SUCCESS) {
                return {0, 0};  // not reached: e is an object
            }
            for (const simdjson::dom::key_value_pair member : members) {
                const std::uint32_t kbegin = value_start(text_, pos_);
                const std::uint32_t kend = string_end(text_, kbegin);
                JsonNode& k = push_raw(kbegin, kend, JsonType::kKey);
                k.next = static_cast<std::uint32_t>(doc_.nodes_.size());
                store_string(k, kbegin, kend, member.key);
                child(member.value);
            }
        } else {
            simdjson::dom::array elements;
            if (e.get_array().get(elements) != simdjson::SUCCESS) {
                return {0, 0};  // not reached: e is an array
            }
            for (const simdjson::dom::element value : elements) {
                child(value);
            }
        }
        const std::uint32_t end = skip_ws(text_, pos_) + 1;  // past '}' or ']'
        pos_ = end;
        JsonNode& n = doc_.nodes_[index];
        n.end = end;
        n.next = static_cast<std::uint32_t>(doc_.nodes_.size());
        n.aux = count;
        n.aux2 = height + 1;
        n.flags = flags;
        if (object && count > 1 && has_duplicate(index)) {
            n.flags |= kJsonFlagDuplicateKey;
        }
        return {n.aux2, n.flags};
    }

    JsonNode& push_raw(std::uint32_t begin, std::uint32_t end, JsonType type) {
        JsonNode& n = doc_.nodes_.emplace_back();
        n.type = type;
        n.begin = begin;
        n.end = end;
        pos_ = end;
        return n;
    }

    JsonNode& push(std::uint32_t begin, std::uint32_t end, JsonType type) {
        JsonNode& n = push_raw(begin, end, type);
        n.next = static_cast<std::uint32_t>(doc_.nodes_.size());
        return n;
    }

    // A string without escapes is its own text between the quotes: no copy.
    void store_string(JsonNode& n, std::uint32_t begin, std::uint32_t end, std::string_view unescaped) {
        if (unescaped.size() == end - begin - 2) {
            n.flags |= kJsonFlagInText;
            n.aux2 = begin + 1;
        } else {
            n.aux2 = static_cast<std::uint32_t>(doc_.pool_.size());
            doc_.pool_.append(unescaped);
        }
        n.aux = static_cast<std::uint32_t>(unescaped.size());
    }





    bool has_duplicate(std::uint32_t object_index) {
        return JsonTapeBuilder::has_duplicate_member(doc_, object_index, keys_);
    }

    JsonDocument& doc_;
    std::string_view text_;
    std::uint32_t pos_ = 0;
    std::vector<std::string_view> keys_;
};

namespace {

// simdjson's DOM recursion limit here; deeper documents take the RapidJSON path.
constexpr std::size_t kSimdMaxDepth = 256;

simdjson::dom::parser& thread_parser() {
    thread_local simdjson::dom::parser parser = [] {
        simdjson::dom::parser p;
        // On failure the parser allocates on first use with the default depth; still correct.
        if (p.allocate(1 << 16, kSimdMaxDepth) != simdjson::SUCCESS) {
            return simdjson::dom::parser{};
        }
        return p;
    }();
    return parser;
}

}  // namespace

bool JsonDocument::parse_with_simdjson() {
    simdjson::dom::parser& parser = thread_parser();
    // realloc_if_needed: the text has no guaranteed SIMDJSON_PADDING, so simdjson copies it.
    const auto result = parser.parse(text_.data(), text_.size(), true);
    if (result.error() != simdjson::SUCCESS) {
        return false;
    }
    nodes_.reserve(text_.size() / 24 + 8);
    SimdTapeWalker walker(*this);
    walker.walk(result.value_unsafe());
    return true;
}

JsonType JsonValue::type() const noexcept { return doc_->node(index_).type; }

bool JsonValue::is_number() const noexcept {
    if (!valid()) {
        return false;
    }
    const JsonType t = type();
    return t == JsonType::kInteger || t == JsonType::kBigInteger || t == JsonType::kFloat;
}

bool JsonValue::is_integer() const noexcept {
    return valid() && (type() == JsonType::kInteger || type() == JsonType::kBigInteger);
}

std::string_view JsonValue::raw() const noexcept {
    if (!valid()) {
        return {};
    }
    const JsonNode& n = doc_->node(index_);
    return doc_->text().substr(n.begin, n.end - n.begin);
}

std::uint32_t JsonValue::begin() const noexcept { return valid() ? doc_->node(index_).begin : 0; }
std::uint32_t JsonValue::end() const noexcept { return valid() ? doc_->node(index_).end : 0; }

std::string_view JsonValue::get_string() const noexcept {
    if (!is_string()) {
        return {};
    }
    return doc_->string_of(doc_->node(index_));
}

std::int64_t JsonValue::get_int64() const noexcept {
    return valid() && type() == JsonType::kInteger ? doc_->node(index_).num.i : 0;
}

double JsonValue::get_double() const noexcept {
    if (!valid()) {
        return 0;
    }
    const JsonNode& n = doc_->node(index_);
    switch (n.type) {
        case JsonType::kInteger: return static_cast<double>(n.num.i);
        case JsonType::kBigInteger:
        case JsonType::kFloat: return n.num.d;
        default: return 0;
    }
}

std::size_t JsonValue::size() const noexcept {
    return is_object() || is_array() ? doc_->node(index_).aux : 0;
}

std::uint32_t JsonValue::height() const noexcept {
    return is_object() || is_array() ? doc_->node(index_).aux2 : 0;
}

bool JsonValue::has_duplicate_key() const noexcept {
    return valid() && (doc_->node(index_).flags & kJsonFlagDuplicateKey) != 0;
}

bool JsonValue::has_big_integer() const noexcept {
    return valid() && (doc_->node(index_).flags & kJsonFlagBigInteger) != 0;
}

JsonValue JsonValue::find(std::string_view key) const noexcept {
    if (!is_object()) {
        return {};
    }
    std::uint32_t i = index_ + 1;
    const std::uint32_t stop = doc_->node(index_).next;
    while (i < stop) {
        if (doc_->string_of(doc_->node(i)) == key) {
            return {doc_, i + 1};
        }
        i = doc_->node(i + 1).next;
    }
    return {};
}

JsonValue JsonValue::at_pointer(std::string_view pointer) const noexcept {
    JsonValue v = *this;
    std::string token;
    while (v.valid() && !pointer.empty()) {
        if (pointer.front() != '/') {
            return {};
        }
        pointer.remove_prefix(1);
        const std::size_t slash = pointer.find('/');
        const std::string_view part = pointer.substr(0, slash);
        pointer = slash == std::string_view::npos ? std::string_view{} : pointer.substr(slash);
        token.clear();
        for (std::size_t i = 0; i < part.size(); ++i) {
            if (part[i] == '~' && i + 1 < part.size() && (part[i + 1] == '0' || part[i + 1] == '1')) {
                token.push_back(part[i + 1] == '0' ? '~' : '/');
                ++i;
            } else {
                token.push_back(part[i]);
            }
        }
        if (v.is_object()) {
            v = v.find(token);
        } else if (v.is_array()) {
            std::size_t idx = 0;
            const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), idx);
            if (token.empty() || ec != std::errc{} || ptr != token.data() + token.size() ||
                (token.size() > 1 && token[0] == '0')) {
                return {};
            }
            JsonValue found;
            std::size_t at = 0;
            v.for_each_element([&](JsonValue e) {
                if (at++ == idx) {
                    found = e;
                }
            });
            v = found;
        } else {
            return {};
        }
    }
    return v;
}

}  // namespace gstream::core

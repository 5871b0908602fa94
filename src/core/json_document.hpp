#pragma once
// A strict, one-pass JSON document over the original bytes.
//
// The decoder parses each message once into a flat tape of nodes. Every node keeps the byte range
// of its value in the original text, so sinks and the dead-letter queue get the original bytes,
// every escape intact, with no re-serialisation. While parsing it records, per subtree, what the
// pipeline must dead-letter event by event: repeated member names, nesting height and integers
// outside int64.
//
// Two parsers build the same tape. The fast path is a one-pass scanner (RFC 8259 grammar, UTF-8
// checked in bulk by simdjson::validate_utf8) that records each value's byte range as it goes,
// which simdjson's DOM does not keep (and simdjson 3.0.1 fails whole documents on integers beyond
// uint64 and on deep nesting, DESIGN.md §5). What the scanner refuses (every malformed document,
// a lone surrogate escape, a number beyond the limits) is parsed again by RapidJSON's iterative
// SAX reader, which decides and words the error. Neither recurses: 100,000-deep input cannot
// overflow the stack.
//
// Both refuse the same edges (docs/architecture.md, "Decoder"): a lone surrogate escape, either
// half, so every unescaped string is UTF-8; a number with more than 308 digits before the decimal
// point, an exponent above +308 (`0e400`) or a value beyond double's range (`1.8e308`), so every
// number's double is finite. A negative exponent that underflows (`1e-400`) reads as 0.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/errc.hpp"

namespace gstream::core {

enum class JsonType : std::uint8_t {
    kNull,
    kFalse,
    kTrue,
    kInteger,     ///< an integer that fits int64
    kBigInteger,  ///< an integer (no fraction, no exponent) outside int64; digits kept in raw()
    kFloat,       ///< any other number; value as double (finite: larger numbers are refused)
    kString,
    kArray,
    kObject,
    kKey,  ///< internal: a member name inside an object
};

/// One node of the tape. 32 bytes. Internal layout; use JsonValue.
struct JsonNode {
    JsonType type = JsonType::kNull;
    std::uint8_t flags = 0;
    std::uint32_t begin = 0;   ///< byte offset of the value's first byte in the text
    std::uint32_t end = 0;     ///< byte offset one past the value's last byte
    std::uint32_t next = 0;    ///< index of the first node after this subtree
    std::uint32_t aux = 0;     ///< containers: member/element count; strings: length in the pool
    std::uint32_t aux2 = 0;    ///< containers: height (1 = no nested container); strings: pool offset
    union {
        std::int64_t i;
        double d;
    } num{0};
};

inline constexpr std::uint8_t kJsonFlagDuplicateKey = 1;  ///< subtree has an object with a repeated name
inline constexpr std::uint8_t kJsonFlagBigInteger = 2;    ///< subtree has an integer outside int64
inline constexpr std::uint8_t kJsonFlagInText = 4;  ///< string/key: aux2 is an offset into the text

class JsonDocument;

/// Internal: a document's nodes. Its storage only grows, so a reused document (the pipeline reuses
/// its messages) parses without allocating or zeroing; parsers write through data() below
/// capacity() and then set_size().
class JsonTape {
public:
    JsonTape() = default;
    JsonTape(JsonTape&& other) noexcept
        : nodes_(std::move(other.nodes_))
        , size_(std::exchange(other.size_, 0)) {}
    JsonTape& operator=(JsonTape&& other) noexcept {
        nodes_ = std::move(other.nodes_);
        size_ = std::exchange(other.size_, 0);
        return *this;
    }
    JsonTape(const JsonTape&) = delete;
    JsonTape& operator=(const JsonTape&) = delete;

    std::uint32_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }
    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(nodes_.size()); }
    /// Room for at least `n` nodes, nodes [0, size()) kept.
    void reserve(std::uint32_t n) {
        if (n > nodes_.size()) {
            nodes_.resize(n);
        }
    }
    void set_size(std::uint32_t n) noexcept { size_ = n; }
    JsonNode* data() noexcept { return nodes_.data(); }
    const JsonNode* data() const noexcept { return nodes_.data(); }
    JsonNode& operator[](std::uint32_t i) noexcept { return nodes_[i]; }
    const JsonNode& operator[](std::uint32_t i) const noexcept { return nodes_[i]; }
    /// A new zeroed node at the end.
    JsonNode& emplace_back() {
        if (size_ == nodes_.size()) {
            nodes_.resize(nodes_.size() * 2 + 16);
        }
        JsonNode& n = nodes_[size_++];
        n = JsonNode{};
        return n;
    }

private:
    std::vector<JsonNode> nodes_;  // size() is the capacity
    std::uint32_t size_ = 0;
};

/// Which parser builds the tape: the fast path with its fallback, or only one of them (tests
/// compare the two).
enum class JsonParser { kAuto, kRapidJsonOnly, kFastOnly };

/// Whether parsing checks that the text is UTF-8 (kCheck) or the caller vouches for it.
enum class Utf8 { kCheck, kTrusted };

/// A read-only view of one value of a JsonDocument. Cheap to copy (two words). Valid while the
/// document and its text live. A default-constructed or not-found value is !valid().
class JsonValue {
public:
    JsonValue() = default;
    JsonValue(const JsonDocument* doc, std::uint32_t index) : doc_(doc), index_(index) {}

    bool valid() const noexcept { return doc_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    JsonType type() const noexcept;  // valid() values only
    bool is_object() const noexcept { return valid() && type() == JsonType::kObject; }
    bool is_array() const noexcept { return valid() && type() == JsonType::kArray; }
    bool is_string() const noexcept { return valid() && type() == JsonType::kString; }
    bool is_number() const noexcept;
    bool is_integer() const noexcept;  ///< kInteger or kBigInteger

    /// The original bytes of the value, exactly as in the text.
    std::string_view raw() const noexcept;
    /// Byte offsets of raw() in the text.
    std::uint32_t begin() const noexcept;
    std::uint32_t end() const noexcept;

    /// The unescaped string (kString), valid UTF-8. Empty for other types. May contain U+0000.
    std::string_view get_string() const noexcept;
    /// kInteger's value; 0 for other types.
    std::int64_t get_int64() const noexcept;
    /// The numeric value as double (kInteger, kBigInteger, kFloat), always finite; 0 otherwise.
    double get_double() const noexcept;
    bool get_bool() const noexcept { return valid() && type() == JsonType::kTrue; }

    /// Members of an object / elements of an array; 0 for scalars.
    std::size_t size() const noexcept;
    /// Nesting height of a container (an empty or flat container is 1); 0 for scalars.
    std::uint32_t height() const noexcept;
    bool has_duplicate_key() const noexcept;  ///< some object in this subtree repeats a name
    bool has_big_integer() const noexcept;    ///< some integer in this subtree is outside int64

    /// First member named `key` of an object; !valid() when absent or not an object.
    JsonValue find(std::string_view key) const noexcept;
    /// RFC 6901 JSON Pointer ("" = this value, "/data/queueId", "~0" and "~1" escapes, array
    /// indexes); !valid() when it does not resolve.
    JsonValue at_pointer(std::string_view pointer) const noexcept;

    /// Iterates members (key, value) of an object.
    template <class F>
    void for_each_member(F&& f) const;
    /// Iterates elements of an array.
    template <class F>
    void for_each_element(F&& f) const;

    std::uint32_t index() const noexcept { return index_; }
    const JsonDocument* document() const noexcept { return doc_; }

private:
    const JsonDocument* doc_ = nullptr;
    std::uint32_t index_ = 0;
};

/// A parsed document. Holds the tape and the unescaped strings; the text is not copied unless
/// parse_copy() is used. Movable, not copyable. Not thread-safe for concurrent parse; concurrent
/// reads are fine.
class JsonDocument {
public:
    /// Where and why the text is not well-formed JSON.
    struct ParseError {
        std::uint32_t offset = 0;
        std::string message;
    };

    JsonDocument() = default;
    JsonDocument(JsonDocument&&) noexcept = default;
    JsonDocument& operator=(JsonDocument&&) noexcept = default;
    JsonDocument(const JsonDocument&) = delete;
    JsonDocument& operator=(const JsonDocument&) = delete;

    /// Parses `text` (RFC 8259, UTF-8 validated, one value with only whitespace around it, under
    /// 4 GiB) in place: `text` must outlive the document and stay unchanged. Returns false and
    /// fills error() when it is not well-formed. Reuses the document's storage. The hot path.
    /// `utf8`: kTrusted when the caller knows the text is valid UTF-8 (a WebSocket text message:
    /// RFC 6455 §8.1, and Beast closes a connection that breaks it with 1007), so the fast path
    /// does not check it again; the fallback always checks.
    bool parse_in_place(const std::string& text, JsonParser parser = JsonParser::kAuto,
                        Utf8 utf8 = Utf8::kCheck);
    /// Copies `text` into the document, then parses the copy.
    bool parse(std::string_view text, JsonParser parser = JsonParser::kAuto);
    /// Takes `text` into the document, then parses it.
    bool parse_copy(std::string text);

    const ParseError& error() const noexcept { return error_; }
    /// True when the parsed text holds a line break (CR or LF). A string cannot hold one raw, so
    /// when false no value's raw() has one either (sinks copy raw() as one line without a scan).
    bool has_line_breaks() const noexcept { return line_breaks_; }
    JsonValue root() const noexcept { return nodes_.empty() ? JsonValue{} : JsonValue{this, 0}; }
    std::string_view text() const noexcept { return text_; }

    // Internal accessors for JsonValue.
    const JsonNode& node(std::uint32_t i) const noexcept { return nodes_[i]; }
    const JsonNode* nodes() const noexcept { return nodes_.data(); }
    /// The unescaped text of a string or key node: a view of the original text when it has no
    /// escapes, else of the document's pool.
    std::string_view string_of(const JsonNode& n) const noexcept {
        const char* base = (n.flags & kJsonFlagInText) != 0 ? text_.data() : pool_.data();
        return {base + n.aux2, n.aux};
    }

private:
    friend class JsonTapeBuilder;
    friend class JsonTapeScanner;
    bool parse_fast(Utf8 utf8);
    bool parse_with_rapidjson();

    std::string_view text_;
    std::string owned_;
    JsonTape nodes_;
    std::string pool_;
    ParseError error_;
    bool line_breaks_ = false;
};

// The accessors the pipeline calls per event, inline.

inline JsonType JsonValue::type() const noexcept { return doc_->node(index_).type; }

inline std::string_view JsonValue::raw() const noexcept {
    if (!valid()) {
        return {};
    }
    const JsonNode& n = doc_->node(index_);
    return doc_->text().substr(n.begin, n.end - n.begin);
}

inline std::string_view JsonValue::get_string() const noexcept {
    if (!is_string()) {
        return {};
    }
    return doc_->string_of(doc_->node(index_));
}

inline JsonValue JsonValue::find(std::string_view key) const noexcept {
    if (!is_object()) {
        return {};
    }
    // Names are compared by length first: most differ in length, and memcmp is then skipped.
    const JsonNode* nodes = doc_->nodes();
    std::uint32_t i = index_ + 1;
    const std::uint32_t stop = nodes[index_].next;
    while (i < stop) {
        const JsonNode& k = nodes[i];
        if (k.aux == key.size() &&
            (key.empty() || std::memcmp(doc_->string_of(k).data(), key.data(), key.size()) == 0)) {
            return {doc_, i + 1};
        }
        i = nodes[i + 1].next;
    }
    return {};
}

template <class F>
void JsonValue::for_each_member(F&& f) const {
    if (!is_object()) {
        return;
    }
    std::uint32_t i = index_ + 1;
    const std::uint32_t stop = doc_->node(index_).next;
    while (i < stop) {
        const JsonNode& key = doc_->node(i);
        const JsonValue value(doc_, i + 1);
        f(doc_->string_of(key), value);
        i = doc_->node(i + 1).next;
    }
}

template <class F>
void JsonValue::for_each_element(F&& f) const {
    if (!is_array()) {
        return;
    }
    std::uint32_t i = index_ + 1;
    const std::uint32_t stop = doc_->node(index_).next;
    while (i < stop) {
        f(JsonValue(doc_, i));
        i = doc_->node(i).next;
    }
}

}  // namespace gstream::core

#include "core/json_document.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <limits>

// SSE2 is part of x86-64: RapidJSON then scans strings 16 bytes at a time. Those aligned loads
// may read past the terminator within its 16-byte block (never across a page), which
// AddressSanitizer reports, so sanitizer builds use the scalar scan. GCC says so with
// __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__, clang only through __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GSTREAM_JSON_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GSTREAM_JSON_SANITIZED 1
#endif
#endif
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2) && !defined(GSTREAM_JSON_SANITIZED)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <simdjson.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
// Where the compiler can target AVX2 for one function and the CPU tells at run time, the string
// stops are marked 32 bytes at a time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__AVX2__) && \
    !defined(GSTREAM_JSON_NO_AVX2)
#include <immintrin.h>
#define GSTREAM_JSON_AVX2 1
#endif

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

// A cheap hash of a member name (length and three bytes), for the duplicate-name filters.
std::uint32_t name_hash(std::string_view name) noexcept {
    std::uint32_t h = static_cast<std::uint32_t>(name.size()) * 0x9E3779B1U;
    if (!name.empty()) {
        h ^= static_cast<unsigned char>(name.front()) * 0x85EBCA6BU;
        h ^= static_cast<unsigned char>(name.back()) * 0xC2B2AE35U;
        h ^= static_cast<unsigned char>(name[name.size() / 2]) * 0x27D4EB2FU;
    }
    return h ^ (h >> 15);
}

// The limits on numbers (RFC 8259 §9 lets a parser set them; docs/architecture.md, "Numbers"),
// applied by both parsers: a number is refused when it has more than 308 digits before the
// decimal point or an exponent above +308, whatever its value (`0e400`), or when its value is
// beyond double's range (`1.8e308`). Those two shapes are where RapidJSON 1.1, the reference,
// begins to refuse (its ParseNumber: `d >= DBL_MAX / 10` with another integer digit to come,
// `exp > 308 - fraction digits`), so within them it never refuses a number, and the scanner and
// the tape builder below refuse exactly the same ones. Underflow is not an error: `1e-400` is 0.
constexpr std::uint32_t kMaxNumberIntegerDigits = 308;
constexpr std::uint32_t kMaxNumberExponent = 308;

// Whether the shape of the grammatical number `token` is within the limits above (its value is
// checked apart).
bool number_shape_within_limits(std::string_view token) noexcept {
    std::size_t i = token.starts_with('-') ? 1 : 0;
    const std::size_t int_begin = i;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') {
        ++i;
    }
    if (i - int_begin > kMaxNumberIntegerDigits) {
        return false;
    }
    const std::size_t e = token.find_first_of("eE", i);
    if (e == std::string_view::npos || e + 1 >= token.size()) {
        return true;
    }
    i = e + 1;
    if (token[i] == '-') {
        return true;  // any negative exponent: at worst the value underflows to 0
    }
    i += token[i] == '+' ? 1 : 0;
    std::uint32_t exponent = 0;
    for (; i < token.size(); ++i) {
        exponent = exponent * 10 + static_cast<std::uint32_t>(token[i] - '0');
        if (exponent > kMaxNumberExponent) {
            return false;
        }
    }
    return true;
}

// Where the first lone surrogate escape of the raw string token `token` starts (an escape of
// U+DC00..U+DFFF, or of U+D800..U+DBFF not followed by the escape of a low half), or npos.
std::size_t lone_surrogate_escape(std::string_view token) noexcept {
    const auto hex4 = [&](std::size_t at) {
        int v = 0;
        for (std::size_t k = at; k < at + 4; ++k) {
            const char c = k < token.size() ? token[k] : '\0';
            const int d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    };
    for (std::size_t i = 0; i + 1 < token.size(); ++i) {
        if (token[i] != '\\') {
            continue;
        }
        if (token[i + 1] != 'u') {
            ++i;  // a one-character escape
            continue;
        }
        const int cp = hex4(i + 2);
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return i;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            const bool paired = i + 7 < token.size() && token[i + 6] == '\\' &&
                                token[i + 7] == 'u' && hex4(i + 8) >= 0xDC00 &&
                                hex4(i + 8) <= 0xDFFF;
            if (!paired) {
                return i;
            }
            i += 6;  // past the high half; the loop's ++i and the next round skip the low one
        }
        i += 5;
    }
    return std::string_view::npos;
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
        const std::string_view digits(str, length);
        if (!number_shape_within_limits(digits) || !std::isfinite(to_double(digits))) {
            return fail(begin, rapidjson::kParseErrorNumberTooBig);
        }
        JsonNode& n = push(begin, end);
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
        if (!surrogates_paired(str, length, begin, end)) {
            return false;
        }
        JsonNode& n = push(begin, end);
        n.type = JsonType::kString;
        store_string(n, str, length);
        last_end_ = end;
        return true;
    }

    bool Key(const char* str, rapidjson::SizeType length, bool) {
        const std::uint32_t begin = value_start(text_, last_end_);
        const std::uint32_t end = string_end(text_, begin);
        if (!surrogates_paired(str, length, begin, end)) {
            return false;
        }
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

    /// Why a handler stopped the parse (RapidJSON then reports only kParseErrorTermination), or
    /// an empty message.
    const JsonDocument::ParseError& failure() const noexcept { return failure_; }

private:
    struct Open {
        std::uint32_t index;
        std::uint32_t height;  // max height among children containers
        std::uint8_t flags;
    };

    // RapidJSON's own wording for the same refusal, at the offset it would give.
    bool fail(std::uint32_t offset, rapidjson::ParseErrorCode code) {
        failure_ = {offset, rapidjson::GetParseError_En(code)};
        return false;
    }

    // RapidJSON 1.1 refuses a high surrogate escape without its low half but decodes a lone low
    // half to the three bytes of U+DC00..U+DFFF, which are not UTF-8: both are refused here. The
    // text is UTF-8 (checked before parsing), so such bytes in a decoded string (ED A0..BF)
    // come from an escape.
    bool surrogates_paired(const char* str, rapidjson::SizeType length, std::uint32_t begin,
                           std::uint32_t end) {
        const std::string_view s(str, length);
        for (std::size_t i = s.find('\xED'); i != std::string_view::npos;
             i = s.find('\xED', i + 1)) {
            if (i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
                const std::size_t at = lone_surrogate_escape(text_.substr(begin, end - begin));
                const auto offset =
                    static_cast<std::uint32_t>(at == std::string_view::npos ? 0 : at);
                return fail(begin + offset, rapidjson::kParseErrorStringUnicodeSurrogateInvalid);
            }
        }
        return true;
    }

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

    // A 256-bit filter over a cheap hash of each name finds the (rare) candidates; only those
    // are compared with the names before them. `keys_` is scratch space.
    bool has_duplicate(std::uint32_t object_index) {
        keys_.clear();
        std::uint64_t filter[4] = {0, 0, 0, 0};
        const auto stop = static_cast<std::uint32_t>(doc_.nodes_.size());
        for (std::uint32_t i = object_index + 1; i < stop; i = doc_.nodes_[i + 1].next) {
            const JsonNode& k = doc_.nodes_[i];
            const std::string_view name = doc_.string_of(k);
            const std::uint32_t h = name_hash(name);
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


    JsonDocument& doc_;
    std::string_view text_;
    std::uint32_t last_end_ = 0;
    std::vector<Open> stack_;
    std::vector<std::string_view> keys_;
    JsonDocument::ParseError failure_;
};

bool JsonDocument::parse(std::string_view text, JsonParser parser) {
    owned_.assign(text);
    return parse_in_place(owned_, parser);
}

bool JsonDocument::parse_copy(std::string text) {
    owned_ = std::move(text);
    return parse_in_place(owned_);
}

bool JsonDocument::parse_in_place(const std::string& text, JsonParser parser, Utf8 utf8) {
    text_ = text;
    nodes_.clear();
    pool_.clear();
    error_ = {};
    line_breaks_ = false;
    if (text.size() >= std::numeric_limits<std::uint32_t>::max()) {
        error_ = {0, "document larger than 4 GiB"};
        return false;
    }
    if (parser != JsonParser::kRapidJsonOnly && parse_fast(utf8)) {
        return true;
    }
    if (parser == JsonParser::kFastOnly) {
        nodes_.clear();
        error_ = {0, "refused by the fast path"};
        return false;
    }
    nodes_.clear();
    pool_.clear();
    line_breaks_ = text.find_first_of("\r\n") != std::string::npos;
    return parse_with_rapidjson();
}

bool JsonDocument::parse_with_rapidjson() {
    const std::string_view text = text_;
    // UTF-8 is checked in bulk (SIMD) so that the reader can scan strings without it.
    if (!simdjson::validate_utf8(text.data(), text.size())) {
        error_ = {0, "invalid UTF-8"};
        return false;
    }
    nodes_.reserve(static_cast<std::uint32_t>(text.size() / 24 + 8));
    pool_.reserve(text.size() / 2 + 16);
    // The text is a std::string's, so NUL-terminated, which StringStream needs to find the end.
    rapidjson::StringStream stream(text.data());
    JsonTapeBuilder builder(*this);
    rapidjson::Reader reader;
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
    const rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, builder);
    if (!ok) {
        const bool by_builder = ok.Code() == rapidjson::kParseErrorTermination &&
                                !builder.failure().message.empty();
        error_ = by_builder ? builder.failure()
                            : ParseError{static_cast<std::uint32_t>(ok.Offset()),
                                         rapidjson::GetParseError_En(ok.Code())};
        nodes_.clear();
        return false;
    }
    // The stream reports '\0' at the terminator; a NUL byte inside the text would look the same.
    if (stream.Tell() != text.size()) {
        error_ = {static_cast<std::uint32_t>(stream.Tell()), "unexpected NUL byte"};
        nodes_.clear();
        return false;
    }
    // RapidJSON 1.1's SSE2 string scan lets a raw U+001F through at some alignments. No control
    // character but tab, LF and CR may appear raw anywhere in JSON (RFC 8259 §2, §7), and those
    // three it refuses inside strings itself.
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            char message[40];
            std::snprintf(message, sizeof message, "unescaped control character U+%04X",
                          static_cast<unsigned>(c));
            error_ = {static_cast<std::uint32_t>(i), message};
            nodes_.clear();
            return false;
        }
    }
    return true;
}

// The scanner's steps are lambdas over run()'s locals, inlined into it (GCC would otherwise call
// them out of line with each local behind a pointer).
#define GSTREAM_INLINE __attribute__((always_inline))
// GCC merges a node's field stores into vector shuffles that cost more than the stores.
#if defined(__GNUC__) && !defined(__clang__)
#define GSTREAM_NO_SLP __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define GSTREAM_NO_SLP
#endif

// The fast path: one pass over the text that checks RFC 8259 and appends nodes as it goes, so
// every node's byte range comes for free. Iterative (an explicit stack of open containers): any
// nesting depth is safe. UTF-8 is checked beforehand in bulk (simdjson::validate_utf8), and the
// bytes that can end a string's plain run are marked in a bitmap in one SIMD pass, so a string's
// end is a bit scan. It refuses what the fallback refuses (a lone surrogate escape, either
// half; a number beyond number_shape_within_limits() or double's range), and anything it
// refuses is parsed again by RapidJSON, which decides and words the error. A differential test
// keeps the two tapes identical. Per message it costs about 5.5k instructions for a 1 KB
// notification (callgrind, bench/corpus_bench.cpp), half of what it did with vector appends and
// per-key hashing calls.

class JsonTapeScanner {
public:
    explicit JsonTapeScanner(JsonDocument& doc)
        : doc_(doc)
        , s_(doc.text_.data())
        , n_(static_cast<std::uint32_t>(doc.text_.size())) {}

    // The hot state (text, tape, stacks) lives in locals, not members: a store of a node's one-byte
    // type or flags may alias any member, which would then be read again from memory.
    GSTREAM_NO_SLP bool run() {
        const char* const s = s_;
        const std::uint32_t n = n_;
        std::string& pool = doc_.pool_;
        JsonTape& tape = doc_.nodes_;
        tape.reserve(n / 16 + 16);  // grows by doubling past it
        JsonNode* t = tape.data();
        std::uint32_t cap = tape.capacity();
        std::uint32_t cnt = 0;
        // The open containers, innermost at `top`, above a sentinel at stack[0] (top == stack:
        // no container is open) so that a parent can be updated without a check. The innermost
        // container's member/element count so far and kind are kept in `count` and `object`.
        std::vector<Open>& stack_store = scratch_stack();
        if (stack_store.empty()) {
            stack_store.resize(64);
        }
        Open* stack = stack_store.data();
        Open* stack_end = stack + stack_store.size();
        Open* top = stack;
        *top = Open{};
        std::uint32_t count = 0;
        bool object = false;
        // Room for every name, also in a malformed text: each takes its two quotes and the '{' or
        // ',' before them.
        std::vector<Name>& names_store = scratch_names();
        if (names_store.size() < n / 3 + 2) {
            names_store.resize(n / 3 + 2);
        }
        Name* const names = names_store.data();
        std::uint32_t names_count = 0;
        bool line_breaks = false;
        // Bit i of `stops` is set when byte i may end a string's plain run: '"', '\\', a control
        // character, or the terminating NUL at n (mark_stops()).
        std::vector<std::uint64_t>& stops_store = scratch_stops();
        if (stops_store.size() < n / 64 + 2) {
            stops_store.resize(n / 64 + 2);
        }
        const std::uint64_t* const stops = stops_store.data();
        mark_stops(s, n, stops_store.data());
        // The first byte at or after p (<= n) that is '"', '\\' or a control character, or n.
        const auto string_stop = [&](std::uint32_t p) GSTREAM_INLINE {
            std::uint32_t i = p >> 6;
            std::uint64_t w = stops[i] >> (p & 63U);
            if (w != 0) [[likely]] {
                return p + static_cast<std::uint32_t>(__builtin_ctzll(w));
            }
            do {
                w = stops[++i];
            } while (w == 0);  // ends at bit n
            return i * 64 + static_cast<std::uint32_t>(__builtin_ctzll(w));
        };

        // The text is a std::string's: s[n] is '\0', which is none of the bytes looked for, so
        // the scans below stop at the end without a bounds check.
        // Past whitespace; notes a line break (JsonDocument::has_line_breaks()).
        const auto ws = [&](std::uint32_t p) GSTREAM_INLINE {
            for (;;) {
                const char c = s[p];
                if (static_cast<unsigned char>(c) > ' ') [[likely]] {
                    return p;
                }
                if (c == ' ' || c == '\t') {
                    ++p;
                } else if (c == '\n' || c == '\r') {
                    line_breaks = true;
                    ++p;
                } else {
                    return p;
                }
            }
        };
        // ws(p), checking first for the byte most likely there.
        const auto ws_to = [&](std::uint32_t p, char expected) GSTREAM_INLINE {
            return s[p] == expected ? p : ws(p);
        };
        // The next node; the tape grows (doubling) past its capacity.
        const auto push = [&]() GSTREAM_INLINE -> JsonNode* {
            if (cnt == cap) [[unlikely]] {
                tape.reserve(cap * 2 + 16);
                t = tape.data();
                cap = tape.capacity();
            }
            return t + cnt++;
        };
        // The string token whose opening quote is at p into the new node `node` of `type`; p
        // moves past its closing quote. Most strings have no escape: their text is the node's.
        const auto in_text = [&](JsonNode* node, JsonType type, std::uint32_t begin,
                                 std::uint32_t q) GSTREAM_INLINE {
            node->type = type;
            node->flags = kJsonFlagInText;
            node->begin = begin;
            node->end = q + 1;
            node->next = cnt;
            node->aux = q - begin - 1;
            node->aux2 = begin + 1;
            node->num.i = 0;
        };
        const auto escaped = [&](std::uint32_t& p, JsonNode* node, JsonType type,
                                 std::uint32_t q) GSTREAM_INLINE {
            const std::uint32_t begin = p;
            std::uint32_t end = 0;
            std::uint32_t offset = 0;
            if (!string_escaped(begin, q, end, offset)) {
                return false;
            }
            *node = JsonNode{type, 0, begin, end,
                             cnt, static_cast<std::uint32_t>(pool.size()) - offset, offset, {0}};
            p = end;
            return true;
        };
        const auto string = [&](std::uint32_t& p, JsonNode* node, JsonType type) GSTREAM_INLINE {
            const std::uint32_t q = string_stop(p + 1);
            if (s[q] == '"') [[likely]] {
                in_text(node, type, p, q);
                p = q + 1;
                return true;
            }
            return escaped(p, node, type, q);
        };
        // A member name of the object `members` at p, then ':' and the start of its value in p.
        // A name whose filter bit is set already is compared with the earlier names of its hash.
        const auto key = [&](std::uint32_t& p, Open& members) GSTREAM_INLINE {
            if (s[p] != '"') {
                return false;
            }
            JsonNode* k = push();
            const std::uint32_t index = cnt - 1;
            const std::uint32_t q = string_stop(p + 1);
            const char* name;
            std::uint32_t length;
            std::uint32_t h;
            if (s[q] == '"') [[likely]] {
                in_text(k, JsonType::kKey, p, q);
                name = s + p + 1;
                length = q - p - 1;
                // A name shorter than 8 bytes is read with the 8 bytes that end where it does
                // (the text has them unless the name is within its first 8 bytes).
                h = q >= 8 ? name_hash_ending(name, length) : name_hash(name, length);
                p = q + 1;
            } else {
                if (!escaped(p, k, JsonType::kKey, q)) {
                    return false;
                }
                name = pool.data() + k->aux2;
                length = k->aux;
                h = name_hash(name, length);
            }
            const std::uint64_t bit = std::uint64_t{1} << ((h >> 24) & 63U);
            std::uint64_t& word = members.filter[h >> 30];
            const std::uint64_t seen = word & bit;
            word |= bit;
            names[names_count] = {h, index};
            if (seen != 0 && !members.duplicate) [[unlikely]] {
                for (std::uint32_t i = members.first_name; i < names_count; ++i) {
                    if (names[i].hash != h) {
                        continue;
                    }
                    const JsonNode& other = t[names[i].node];
                    const char* other_name =
                        ((other.flags & kJsonFlagInText) != 0 ? s : pool.data()) + other.aux2;
                    if (other.aux == length && std::memcmp(other_name, name, length) == 0) {
                        members.duplicate = true;
                        break;
                    }
                }
            }
            ++names_count;
            p = ws_to(p, ':');
            if (s[p] != ':') {
                return false;
            }
            ++p;  // whitespace before the value is skipped by run()'s switch
            return true;
        };
        // Opens a container at p.
        const auto open = [&](std::uint32_t p, bool is_object) GSTREAM_INLINE {
            JsonNode* c = push();
            *c = JsonNode{is_object ? JsonType::kObject : JsonType::kArray, 0, p, 0, 0, 0, 0, {0}};
            top->count = count;
            if (++top == stack_end) [[unlikely]] {
                const auto depth = static_cast<std::size_t>(top - stack);
                stack_store.resize(stack_store.size() * 2);
                stack = stack_store.data();
                stack_end = stack + stack_store.size();
                top = stack + depth;
            }
            *top = Open{cnt - 1, 0, 0, names_count, 0, is_object, false, {0, 0, 0, 0}};
            count = 0;
            object = is_object;
        };
        // Closes the innermost container at p (its closing bracket).
        const auto close = [&](std::uint32_t p) GSTREAM_INLINE {
            const Open& done = *top;
            const auto flags = static_cast<std::uint8_t>(
                done.flags | (done.duplicate ? kJsonFlagDuplicateKey : 0));
            const std::uint32_t height = done.height + 1;
            JsonNode& c = t[done.index];
            c.end = p + 1;
            c.next = cnt;
            c.aux = count;
            c.aux2 = height;
            c.flags = flags;
            if (object) {
                names_count = done.first_name;
            }
            --top;  // the parent, or the sentinel
            top->height = std::max(top->height, height);
            top->flags |= flags;
            count = top->count;
            object = top->object;
        };

        // The literal `word` at p into a new node of `type`; p moves past it.
        const auto literal = [&](std::uint32_t& p, std::string_view word,
                                 JsonType type) GSTREAM_INLINE {
            const auto len = static_cast<std::uint32_t>(word.size());
            if (n - p < len || std::memcmp(s + p, word.data(), len) != 0) {
                return false;
            }
            JsonNode* node = push();  // first: `next` is the count after it
            *node = JsonNode{type, 0, p, p + len, cnt, 0, 0, {0}};
            p += len;
            return true;
        };

        std::uint32_t p = ws(0);
        for (;;) {
            // A value starts at p.
            switch (s[p]) {
                case '{':
                    open(p, true);
                    p = ws(p + 1);
                    if (s[p] == '}') {
                        close(p);
                        ++p;
                        break;
                    }
                    if (!key(p, *top)) {
                        return false;
                    }
                    continue;
                case '[':
                    open(p, false);
                    p = ws(p + 1);
                    if (s[p] == ']') {
                        close(p);
                        ++p;
                        break;
                    }
                    continue;
                case '"':
                    if (!string(p, push(), JsonType::kString)) {
                        return false;
                    }
                    break;
                case 't':
                    if (!literal(p, "true", JsonType::kTrue)) {
                        return false;
                    }
                    break;
                case 'f':
                    if (!literal(p, "false", JsonType::kFalse)) {
                        return false;
                    }
                    break;
                case 'n':
                    if (!literal(p, "null", JsonType::kNull)) {
                        return false;
                    }
                    break;
                case ' ':
                case '\t':
                case '\n':
                case '\r':
                    p = ws(p);  // between a ':' or ',' and a value
                    continue;
                default: {
                    JsonNode* num = push();
                    p = number(s, p, *num, cnt);
                    if (p == 0) {
                        return false;
                    }
                    top->flags |= num->flags;  // kJsonFlagBigInteger
                    break;
                }
            }
            // A value ended at p: the next one, or the end of its container(s).
            for (;;) {
                if (top == stack) {
                    tape.set_size(cnt);
                    doc_.line_breaks_ = line_breaks;
                    return ws(p) == n;
                }
                ++count;
                p = ws_to(p, ',');
                if (s[p] == ',') {
                    ++p;
                    if (object && !key(p = ws_to(p, '"'), *top)) {
                        return false;
                    }
                    break;  // the next value (whitespace before it: see the switch)
                }
                if (s[p] != (object ? '}' : ']')) {
                    return false;
                }
                close(p);
                ++p;
            }
        }
    }

private:
    struct Open {
        std::uint32_t index;
        std::uint32_t height;      // max height among child containers
        std::uint32_t count;       // members/elements: saved here while a child is open
        std::uint32_t first_name;  // this object's names start here in the names scratch
        std::uint8_t flags;
        bool object;
        bool duplicate;            // two members of this object share a name
        std::uint64_t filter[4];   // a 256-bit filter over the names' hashes
    };
    struct Name {
        std::uint32_t hash;
        std::uint32_t node;
    };

    // Both scratch vectors are used up to their size (their size is their capacity).
    static std::vector<Open>& scratch_stack() {
        thread_local std::vector<Open> stack;
        return stack;
    }
    // The member names of every open object, innermost last.
    static std::vector<Name>& scratch_names() {
        thread_local std::vector<Name> names;
        return names;
    }
    static std::vector<std::uint64_t>& scratch_stops() {
        thread_local std::vector<std::uint64_t> stops;
        return stops;
    }

    static bool stop_byte(char c) {
        return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
    }
#if defined(__SSE2__)
    // Bit i set when s[i] is a stop_byte(), for the 16 bytes at s. x ^ 2 is at most 0x20 exactly
    // when x is a control character or '"' (0x22 ^ 2 = 0x20): two comparisons, not three.
    static std::uint64_t stop_mask16(const char* s) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
        const __m128i space = _mm_set1_epi8(0x20);
        const __m128i flipped = _mm_xor_si128(x, _mm_set1_epi8(0x02));
        const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(flipped, space), space),
                                         _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
        return static_cast<std::uint32_t>(_mm_movemask_epi8(hit));
    }
#endif
#if defined(GSTREAM_JSON_AVX2)
    // stop_mask16() for 32 bytes.
    [[gnu::target("avx2")]] static std::uint64_t stop_mask32(const char* s) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
        const __m256i space = _mm256_set1_epi8(0x20);
        const __m256i flipped = _mm256_xor_si256(x, _mm256_set1_epi8(0x02));
        const __m256i hit =
            _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(flipped, space), space),
                            _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\')));
        return static_cast<std::uint32_t>(_mm256_movemask_epi8(hit));
    }
    // mark_stops() for the whole 64-byte words of the text; returns where it stopped.
    [[gnu::target("avx2")]] static std::uint32_t mark_stops_avx2(const char* s, std::uint32_t n,
                                                                 std::uint64_t* stops) {
        std::uint32_t p = 0;
        for (; p + 64 <= n; p += 64) {
            stops[p / 64] = stop_mask32(s + p) | (stop_mask32(s + p + 32) << 32);
        }
        return p;
    }
#endif
    // Sets bit i of stops[] (n / 64 + 1 words) when s[i] is a stop_byte(), for i in [0, n]: the
    // NUL at n is one. One pass over the text, 16 bytes at a time; no load reads past s[n - 1].
    static void mark_stops(const char* s, std::uint32_t n, std::uint64_t* stops) {
        std::uint32_t p = 0;
#if defined(GSTREAM_JSON_AVX2)
        static const bool avx2 = __builtin_cpu_supports("avx2");
        if (avx2) {
            p = mark_stops_avx2(s, n, stops);
        }
#endif
#if defined(__SSE2__)
        for (; p + 64 <= n; p += 64) {
            stops[p / 64] = stop_mask16(s + p) | (stop_mask16(s + p + 16) << 16) |
                            (stop_mask16(s + p + 32) << 32) | (stop_mask16(s + p + 48) << 48);
        }
#endif
        const std::uint32_t w = p / 64;
        std::uint64_t last = 0;
        std::uint32_t k = 0;
#if defined(__SSE2__)
        for (; p + 16 <= n; p += 16, k += 16) {
            last |= stop_mask16(s + p) << k;
        }
        if (n >= 16 && p < n) {  // the last n - p bytes, from a block that ends at n
            last |= (stop_mask16(s + n - 16) >> (16 - (n - p))) << k;
            k += n - p;
            p = n;
        }
#endif
        for (; p <= n; ++p, ++k) {
            if (stop_byte(s[p])) {
                last |= std::uint64_t{1} << k;
            }
        }
        stops[w] = last;
    }

    // A hash of a member name, for the duplicate-name filter (its top 8 bits) and the comparison
    // of candidates: its length, its first 8 bytes (zero-padded) and its last 8 bytes (if any).
    static std::uint32_t name_mix(std::uint64_t first, std::uint64_t last, std::uint32_t length) {
        const std::uint64_t x =
            (first ^ ((last << 32) | (last >> 32)) ^ length) * 0x9E3779B97F4A7C15ULL;
        return static_cast<std::uint32_t>(x >> 32);
    }
    static std::uint64_t load8(const char* p) {
        std::uint64_t v = 0;
        std::memcpy(&v, p, 8);
        return v;
    }
    static std::uint32_t name_hash(const char* name, std::uint32_t length) {
        std::uint64_t first = 0;
        std::uint64_t last = 0;
        if (length >= 8) {
            first = load8(name);
            last = load8(name + length - 8);
        } else {
            for (std::uint32_t i = 0; i < length; ++i) {  // little-endian, as load8() below
                first |= std::uint64_t{static_cast<unsigned char>(name[i])} << (8 * i);
            }
        }
        return name_mix(first, last, length);
    }
    // name_hash() for a name whose 8 bytes before its end are readable even when it is shorter.
    static std::uint32_t name_hash_ending(const char* name, std::uint32_t length) {
        if constexpr (std::endian::native != std::endian::little) {
            return name_hash(name, length);
        }
        if (length >= 8) {
            return name_mix(load8(name), load8(name + length - 8), length);
        }
        // The name's bytes are the load's top `length` bytes: shifted down, zero-padded (in two
        // shifts, as 64 is no shift count).
        const std::uint64_t first = (load8(name + length - 8) >> 1) >> (63 - 8 * length);
        return name_mix(first, 0, length);
    }

    // The first byte at or after p that is '"', '\\' or a control character (or the end), found
    // without the bitmap: for the rest of a string after an escape.
    static std::uint32_t string_stop(const char* s, std::uint32_t n, std::uint32_t p) {
        const char* q = s + p;
#if defined(__SSE2__)
        if (p + 16 <= n) {
            const __m128i quote = _mm_set1_epi8('"');
            const __m128i backslash = _mm_set1_epi8('\\');
            const __m128i control = _mm_set1_epi8(0x1F);
            const char* const last = s + n - 16;  // the last 16-byte block within the text
            do {
                const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
                const __m128i hit = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                    _mm_cmpeq_epi8(_mm_max_epu8(x, control), control));
                const int mask = _mm_movemask_epi8(hit);
                if (mask != 0) {
                    return static_cast<std::uint32_t>(q - s) +
                           static_cast<std::uint32_t>(__builtin_ctz(static_cast<unsigned>(mask)));
                }
                q += 16;
            } while (q <= last);
        }
#endif
        while (*q != '"' && *q != '\\' && static_cast<unsigned char>(*q) >= 0x20) {
            ++q;
        }
        return static_cast<std::uint32_t>(q - s);
    }

    // The string token opening at `begin` whose first backslash or control character is at q:
    // its unescaped text is appended to the document's pool from `offset` on, and `end` is one
    // past its closing quote.
    [[gnu::noinline]] bool string_escaped(std::uint32_t begin, std::uint32_t q, std::uint32_t& end,
                                          std::uint32_t& offset) {
        std::string& pool = doc_.pool_;
        offset = static_cast<std::uint32_t>(pool.size());
        pool.append(s_ + begin + 1, q - begin - 1);
        for (;;) {
            if (s_[q] == '"') {
                break;
            }
            if (s_[q] != '\\') {
                return false;  // a control character, or the end of the text
            }
            if (!escape(q, pool)) {
                return false;
            }
            const std::uint32_t r = string_stop(s_, n_, q);
            pool.append(s_ + q, r - q);
            q = r;
        }
        end = q + 1;
        return true;
    }

    int hex4(std::uint32_t p) const {
        int v = 0;
        for (std::uint32_t i = 0; i < 4; ++i) {
            const char c = s_[p + i];  // stops at the terminator: not a hex digit
            int d = 0;
            if (c >= '0' && c <= '9') {
                d = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                d = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                d = c - 'A' + 10;
            } else {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }

    // The escape at q (a backslash), unescaped onto `out`; q moves past it.
    bool escape(std::uint32_t& q, std::string& out) const {
        char c = 0;
        switch (s_[q + 1]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                int cp = hex4(q + 2);
                if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
                    return false;
                }
                q += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (s_[q] != '\\' || s_[q + 1] != 'u') {
                        return false;
                    }
                    const int low = hex4(q + 2);
                    if (low < 0xDC00 || low > 0xDFFF) {
                        return false;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    q += 6;
                }
                append_utf8(static_cast<std::uint32_t>(cp), out);
                return true;
            }
            default: return false;
        }
        out.push_back(c);
        q += 2;
        return true;
    }

    static void append_utf8(std::uint32_t cp, std::string& out) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }


    static bool digit(char c) { return c >= '0' && c <= '9'; }

    // One or more digits at q; q moves past them.
    static bool digits(const char* s, std::uint32_t& q) {
        if (!digit(s[q])) {
            return false;
        }
        while (digit(s[q])) {
            ++q;
        }
        return true;
    }

    // The number at p of `s` into `node` (whose subtree ends at node `next`); returns the offset
    // past it, 0 when it is not a number. An integer of up to 18 digits is summed as it is
    // scanned; longer ones go through from_chars.
    static std::uint32_t number(const char* s, std::uint32_t p, JsonNode& node,
                                std::uint32_t next) {
        const std::uint32_t begin = p;
        std::uint32_t q = p;
        const bool negative = s[q] == '-';
        q += negative ? 1 : 0;
        std::uint64_t v = 0;
        if (s[q] == '0') {
            ++q;
        } else if (digit(s[q])) {
            do {
                // Wraps past 19 digits, when it is not used.
                v = v * 10 + static_cast<std::uint64_t>(s[q] - '0');
                ++q;
            } while (digit(s[q]));
        } else {
            return 0;
        }
        const std::uint32_t int_digits = q - begin - (negative ? 1 : 0);
        bool integral = true;
        if (s[q] == '.') {
            if (!digits(s, ++q)) {
                return 0;
            }
            integral = false;
        }
        if (s[q] == 'e' || s[q] == 'E') {
            ++q;
            const bool negative_exponent = s[q] == '-';
            if (s[q] == '+' || s[q] == '-') {
                ++q;
            }
            std::uint32_t exponent = 0;
            if (!digit(s[q])) {
                return 0;
            }
            do {
                // Capped: past the limit it is refused anyway.
                const auto d = static_cast<std::uint32_t>(s[q] - '0');
                exponent = std::min<std::uint32_t>(exponent * 10 + d, kMaxNumberExponent + 1);
                ++q;
            } while (digit(s[q]));
            if (!negative_exponent && exponent > kMaxNumberExponent) {
                return 0;  // number_shape_within_limits()
            }
            integral = false;
        }
        if (int_digits > kMaxNumberIntegerDigits) {
            return 0;  // number_shape_within_limits()
        }
        node = JsonNode{JsonType::kInteger, 0, begin, q, next, 0, 0, {0}};
        const char* first = s + begin;
        const char* last = s + q;
        if (integral) {
            if (int_digits <= 18) [[likely]] {  // below 10^18 < 2^63
                const auto magnitude = static_cast<std::int64_t>(v);
                node.num.i = negative ? -magnitude : magnitude;
            } else {
                const auto [ptr, ec] = std::from_chars(first, last, node.num.i);
                if (ec != std::errc{} || ptr != last) {
                    // At most 308 digits: below 10^308, finite.
                    node.type = JsonType::kBigInteger;
                    node.flags = kJsonFlagBigInteger;
                    node.num.d = std::strtod(std::string(first, last).c_str(), nullptr);
                }
            }
        } else {
            node.type = JsonType::kFloat;
            const auto [ptr, ec] = std::from_chars(first, last, node.num.d);
            if (ec == std::errc::result_out_of_range) {
                // Beyond double's range (refused), or an underflow, which strtod rounds to 0 or a
                // subnormal as the fallback does.
                node.num.d = std::strtod(std::string(first, last).c_str(), nullptr);
                if (!std::isfinite(node.num.d)) {
                    return 0;
                }
            } else if (ec != std::errc{} || ptr != last) {
                return 0;
            }
        }
        return q;
    }

    JsonDocument& doc_;
    const char* s_;
    std::uint32_t n_;
};

bool JsonDocument::parse_fast(Utf8 utf8) {
    if (utf8 == Utf8::kCheck && !simdjson::validate_utf8(text_.data(), text_.size())) {
        return false;
    }
    JsonTapeScanner scanner(*this);
    return scanner.run();
}

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

std::uint32_t JsonValue::begin() const noexcept { return valid() ? doc_->node(index_).begin : 0; }
std::uint32_t JsonValue::end() const noexcept { return valid() ? doc_->node(index_).end : 0; }

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

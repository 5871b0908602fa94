#include "pipeline/schema/schema_validator.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

// Boost.Regex gives up on a match after max(N*S^2, min(N^2, this)) states (N = input length,
// S = pattern size) by throwing; the default 100,000,000 let "^(a+)+$" on 5,000 characters run for
// seconds. Linear-time patterns stay within the uncapped N*S^2 term, so lowering the cap only
// shortens catastrophic backtracking. The limit is read inside perl_matcher templates; the regex
// type below uses a traits class private to this file, so these instantiations are ours alone and
// another translation unit using boost::regex keeps its own limit (no ODR clash).
#define BOOST_REGEX_MAX_STATE_COUNT 1000000
#include <boost/regex.hpp>
#include <fmt/format.h>

#include "core/shipped_schemas.hpp"

namespace gstream::pipeline {
namespace {

struct EcmaRegexTraits : boost::regex_traits<char> {};
using Regex = boost::basic_regex<char, EcmaRegexTraits>;

using core::JsonType;
using core::JsonValue;

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// `type` bits. An instance sets every bit it satisfies: 3 and 3.0 set both kInteger and kNumber.
constexpr std::uint8_t kTypeNull = 1;
constexpr std::uint8_t kTypeBoolean = 2;
constexpr std::uint8_t kTypeInteger = 4;
constexpr std::uint8_t kTypeNumber = 8;
constexpr std::uint8_t kTypeString = 16;
constexpr std::uint8_t kTypeArray = 32;
constexpr std::uint8_t kTypeObject = 64;

std::uint8_t instance_type_bits(const JsonValue& v) noexcept {
    switch (v.type()) {
        case JsonType::kNull: return kTypeNull;
        case JsonType::kFalse:
        case JsonType::kTrue: return kTypeBoolean;
        case JsonType::kInteger:
        case JsonType::kBigInteger: return kTypeInteger | kTypeNumber;
        case JsonType::kFloat: {
            const double d = v.get_double();
            return std::isfinite(d) && d == std::trunc(d) ? kTypeInteger | kTypeNumber
                                                          : kTypeNumber;
        }
        case JsonType::kString: return kTypeString;
        case JsonType::kArray: return kTypeArray;
        case JsonType::kObject: return kTypeObject;
        case JsonType::kKey: return 0;
    }
    return 0;
}

std::string_view type_name(const JsonValue& v) noexcept {
    switch (v.type()) {
        case JsonType::kNull: return "null";
        case JsonType::kFalse:
        case JsonType::kTrue: return "boolean";
        case JsonType::kInteger:
        case JsonType::kBigInteger: return "integer";
        case JsonType::kFloat: return "number";
        case JsonType::kString: return "string";
        case JsonType::kArray: return "array";
        case JsonType::kObject: return "object";
        case JsonType::kKey: return "key";
    }
    return "?";
}

std::string type_mask_names(std::uint8_t mask) {
    static constexpr std::array<std::pair<std::uint8_t, const char*>, 7> kNames{{
        {kTypeNull, "null"}, {kTypeBoolean, "boolean"}, {kTypeInteger, "integer"},
        {kTypeNumber, "number"}, {kTypeString, "string"}, {kTypeArray, "array"},
        {kTypeObject, "object"}}};
    std::string out;
    for (const auto& [bit, name] : kNames) {
        if ((mask & bit) != 0) {
            out += out.empty() ? "" : " or ";
            out += name;
        }
    }
    return out;
}

// ---- Numbers: exact comparison across int64, integers beyond int64 (decimal digits) and double.

struct Number {
    enum class Kind : std::uint8_t { kInt, kBig, kDouble };
    Kind kind = Kind::kInt;
    std::int64_t i = 0;
    double d = 0;
    std::string_view big;  // decimal digits with optional '-', no leading zeros (JSON grammar)
};

Number number_of(const JsonValue& v) noexcept {
    Number n;
    switch (v.type()) {
        case JsonType::kInteger:
            n.kind = Number::Kind::kInt;
            n.i = v.get_int64();
            break;
        case JsonType::kBigInteger:
            n.kind = Number::Kind::kBig;
            n.big = v.raw();
            n.d = v.get_double();
            break;
        default:
            n.kind = Number::Kind::kDouble;
            n.d = v.get_double();
            break;
    }
    return n;
}

int sign_of(int c) noexcept { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

// Compares two integers written in decimal ("-123", "456"), without leading zeros.
int compare_decimal(std::string_view a, std::string_view b) noexcept {
    const bool na = !a.empty() && a.front() == '-';
    const bool nb = !b.empty() && b.front() == '-';
    if (na != nb) {
        return na ? -1 : 1;
    }
    if (na) {
        a.remove_prefix(1);
        b.remove_prefix(1);
    }
    int mag = 0;
    if (a.size() != b.size()) {
        mag = a.size() < b.size() ? -1 : 1;
    } else {
        mag = sign_of(a.compare(b));
    }
    return na ? -mag : mag;
}

constexpr double kTwo63 = 9223372036854775808.0;

int compare_int_double(std::int64_t i, double d) noexcept {
    if (d >= kTwo63) {
        return -1;
    }
    if (d < -kTwo63) {
        return 1;
    }
    const double t = std::trunc(d);  // in [-2^63, 2^63): converts exactly
    const auto ti = static_cast<std::int64_t>(t);
    if (i != ti) {
        return i < ti ? -1 : 1;
    }
    const double frac = d - t;
    return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

// A big integer is outside int64, so |big| >= 2^63.
int compare_big_double(std::string_view big, double d) noexcept {
    const bool negative = big.front() == '-';
    if (std::isinf(d)) {
        return d > 0 ? -1 : 1;
    }
    if (std::fabs(d) < kTwo63) {
        return negative ? -1 : 1;
    }
    // |d| >= 2^63: d is an integer; print it exactly.
    std::array<char, 400> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d,
                                   std::chars_format::fixed, 0);
    return compare_decimal(big, std::string_view(buf.data(), res.ptr - buf.data()));
}

int compare_numbers(const Number& a, const Number& b) noexcept {
    using K = Number::Kind;
    if (a.kind == K::kInt && b.kind == K::kInt) {
        return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
    }
    if (a.kind == K::kDouble && b.kind == K::kDouble) {
        return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
    }
    if (a.kind == K::kBig && b.kind == K::kBig) {
        return compare_decimal(a.big, b.big);
    }
    if (a.kind == K::kInt && b.kind == K::kDouble) {
        return compare_int_double(a.i, b.d);
    }
    if (a.kind == K::kDouble && b.kind == K::kInt) {
        return -compare_int_double(b.i, a.d);
    }
    if (a.kind == K::kBig && b.kind == K::kInt) {
        return a.big.front() == '-' ? -1 : 1;
    }
    if (a.kind == K::kInt && b.kind == K::kBig) {
        return b.big.front() == '-' ? 1 : -1;
    }
    if (a.kind == K::kBig) {
        return compare_big_double(a.big, b.d);
    }
    return -compare_big_double(b.big, a.d);
}

std::string number_text(const Number& n) {
    switch (n.kind) {
        case Number::Kind::kInt: return std::to_string(n.i);
        case Number::Kind::kBig: return std::string(n.big);
        case Number::Kind::kDouble: return fmt::format("{}", n.d);
    }
    return {};
}

// ---- Tape iteration with early exit (same walk as JsonValue::for_each_member/element).

std::uint32_t first_child(const JsonValue& v) noexcept { return v.index() + 1; }
std::uint32_t subtree_end(const JsonValue& v) noexcept {
    return v.document()->node(v.index()).next;
}

// JSON equality: objects unordered, arrays ordered, numbers by value (1 == 1.0).
bool json_equal(const JsonValue& a, const JsonValue& b) noexcept {
    if (a.is_number() && b.is_number()) {
        return compare_numbers(number_of(a), number_of(b)) == 0;
    }
    if (a.type() != b.type()) {
        return false;
    }
    switch (a.type()) {
        case JsonType::kString: return a.get_string() == b.get_string();
        case JsonType::kArray: {
            if (a.size() != b.size()) {
                return false;
            }
            const auto* da = a.document();
            const auto* db = b.document();
            std::uint32_t i = first_child(a);
            std::uint32_t j = first_child(b);
            const std::uint32_t stop = subtree_end(a);
            while (i < stop) {
                if (!json_equal(JsonValue(da, i), JsonValue(db, j))) {
                    return false;
                }
                i = da->node(i).next;
                j = db->node(j).next;
            }
            return true;
        }
        case JsonType::kObject: {
            if (a.size() != b.size()) {
                return false;
            }
            const auto* da = a.document();
            std::uint32_t i = first_child(a);
            const std::uint32_t stop = subtree_end(a);
            while (i < stop) {
                const core::JsonNode& key = da->node(i);
                const JsonValue other = b.find(da->string_of(key));
                if (!other.valid() || !json_equal(JsonValue(da, i + 1), other)) {
                    return false;
                }
                i = da->node(i + 1).next;
            }
            return true;
        }
        default: return true;  // null, true, false
    }
}

// Code points of valid UTF-8 (the decoder validates it): every byte that is not a continuation
// byte starts one. U+0000 is a byte 0x00 and counts like any other.
std::size_t count_code_points(std::string_view s) noexcept {
    std::size_t n = 0;
    for (const char c : s) {
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    return n;
}

// A member name as two words and its length: of a name of 8 bytes or more its first and last
// eight bytes, of a shorter one its first and last four, or its bytes 0, n/2 and n-1. Fixed-size
// loads that stay inside the name (inlined, no memcpy of n bytes). Names of up to 16 bytes are
// equal exactly when their words and lengths are; longer ones also compare bytes 8..n-8.
struct NameWords {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
};

inline NameWords name_words(const char* p, std::size_t n) noexcept {
    NameWords w;
    if (n >= 8) {
        std::memcpy(&w.a, p, 8);
        std::memcpy(&w.b, p + n - 8, 8);
    } else if (n >= 4) {
        std::uint32_t lo = 0;
        std::uint32_t hi = 0;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + n - 4, 4);
        w.a = lo | (std::uint64_t{hi} << 32);
    } else if (n > 0) {
        const auto byte = [&](std::size_t i) {
            return std::uint64_t{static_cast<unsigned char>(p[i])};
        };
        w.a = byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16);
    }
    return w;
}

// Slot of a name in a table of 2^bits slots: one multiplication, the high bits kept.
inline std::size_t name_slot(const NameWords& w, std::size_t n, unsigned shift) noexcept {
    const std::uint64_t h = (w.a ^ (w.b * 0x9E3779B97F4A7C15ULL) ^ n) * 0xBF58476D1CE4E5B9ULL;
    return static_cast<std::size_t>(h >> shift);
}

// Bytes 8..n-8 of two names of the same length n > 16, eight at a time (the last load may
// overlap the one before).
inline bool middle_equal(const char* x, const char* y, std::size_t n) noexcept {
    for (std::size_t off = 8; off < n - 8; off += 8) {
        const std::size_t at = std::min(off, n - 16);
        std::uint64_t u = 0;
        std::uint64_t v = 0;
        std::memcpy(&u, x + at, 8);
        std::memcpy(&v, y + at, 8);
        if (u != v) {
            return false;
        }
    }
    return true;
}

std::string escape_pointer_token(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (const char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

// The instance path while validating: a chain of stack frames, turned into a pointer only when
// an error is reported.
struct PathSeg {
    const PathSeg* parent = nullptr;
    std::string_view key;
    std::size_t index = 0;
    bool is_index = false;
};

std::string to_pointer(const PathSeg* seg) {
    std::vector<const PathSeg*> chain;
    for (; seg != nullptr; seg = seg->parent) {
        chain.push_back(seg);
    }
    std::string out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        out += '/';
        out += (*it)->is_index ? std::to_string((*it)->index) : escape_pointer_token((*it)->key);
    }
    return out;
}

enum class NodeKind : std::uint8_t { kAlways, kNever, kRef, kSchema };

struct MemberEntry {
    std::string name;
    std::uint32_t property = kNone;  // node of properties[name], kNone when only required
    int required_bit = -1;           // bit in Node::required_mask, -1 when not required
};

// One slot of a node's open-addressing table of member names: the name's words and length
// (name_words), so that a probe compares three integers and touches no string.
struct MemberSlot {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::uint32_t length = 0;
    std::uint32_t member = 0;  // Node::members index + 1; 0 = empty slot
};

struct Node {
    NodeKind kind = NodeKind::kSchema;
    std::uint8_t types = 0;  // 0 = no `type` keyword
    bool has_const = false;
    bool has_enum = false;
    bool object_checks = false;  // any of properties/required/additionalProperties
    bool array_checks = false;
    bool string_checks = false;
    bool number_checks = false;
    bool date_time = false;
    bool type_only = false;  // a kSchema node whose only check is `type` (set after compiling)
    // Set after compiling, on kRef nodes too (from the node the $ref chain ends at), so that a
    // parent decides most children without a call: bit (1 << JsonType) is set when every
    // instance of that JSON type is valid here (the type passes and no other keyword applies to
    // it); `int_range` when an int64 instance is valid exactly when it lies in [int_lo, int_hi]
    // (`type` admits integers; minimum/maximum/exclusive* are int64 limits; nothing else).
    std::uint16_t accept = 0;
    bool int_range = false;
    // Of the node the $ref chain ends at (set after compiling): a string is valid when its
    // byte length decides minLength/maxLength and it is a date-time if `format` asks (no
    // pattern); an array when its size is within minItems/maxItems and `items` (one schema)
    // certainly accepts every element. Other keywords rule these out (set_fast_verdicts).
    bool fast_string = false;
    bool fast_array = false;
    std::uint32_t resolved = kNone;  // the node the $ref chain ends at (this one if not a $ref)
    std::int64_t int_lo = std::numeric_limits<std::int64_t>::min();
    std::int64_t int_hi = std::numeric_limits<std::int64_t>::max();
    std::uint32_t ref = kNone;
    std::string pointer;  // schema pointer of this node ("" = root)

    std::vector<JsonValue> enum_values;  // const: one value (into the schema's own document)

    std::vector<MemberEntry> members;
    std::vector<MemberSlot> member_slots;  // 2^k slots (k >= 2), empty when no members
    unsigned slot_shift = 64;              // 64 - k: name_slot() keeps the hash's high k bits
    std::size_t slot_mask = 0;             // 2^k - 1
    const MemberSlot* slots = nullptr;     // member_slots.data() once compiled, for the probe
    std::uint64_t required_mask = 0;
    std::vector<std::string> required;  // in schema order, for messages and beyond 64 names
    std::uint32_t additional_properties = kNone;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pattern_properties;  // (regex, node)

    std::uint32_t items = kNone;            // items as one schema
    std::vector<std::uint32_t> item_list;   // items as an array of schemas
    bool items_is_list = false;
    std::uint32_t additional_items = kNone;
    std::uint64_t min_items = 0;
    std::uint64_t max_items = std::numeric_limits<std::uint64_t>::max();

    std::uint64_t min_length = 0;
    std::uint64_t max_length = std::numeric_limits<std::uint64_t>::max();
    std::uint32_t pattern = kNone;  // index into Impl::regexes
    std::string pattern_text;

    std::optional<Number> minimum, maximum, exclusive_minimum, exclusive_maximum;

    std::vector<std::uint32_t> all_of, any_of, one_of;
    std::uint32_t not_schema = kNone;

    const MemberEntry* find_member(std::string_view name) const noexcept {
        if (slots == nullptr) {
            return nullptr;
        }
        const std::size_t n = name.size();
        const NameWords w = name_words(name.data(), n);
        for (std::size_t slot = name_slot(w, n, slot_shift);; slot = (slot + 1) & slot_mask) {
            const MemberSlot& e = slots[slot];
            if (e.member == 0) {
                return nullptr;
            }
            if (e.length == n && e.a == w.a && e.b == w.b) {
                const MemberEntry& m = members[e.member - 1];
                if (n <= 16 || middle_equal(m.name.data(), name.data(), n)) {
                    return &m;
                }
            }
        }
    }
};

}  // namespace

struct CompiledSchema::Impl {
    // The schema's own copy of the text: enum/const values and big-integer limits point into it.
    std::unique_ptr<core::JsonDocument> schema_doc;
    std::vector<Node> nodes;
    std::vector<Regex> regexes;
    std::uint32_t root = 0;

    bool check(std::uint32_t id, const JsonValue& v, const PathSeg* path, unsigned depth,
               SchemaError* err) const;
    bool check_object(const Node& n, const JsonValue& v, const PathSeg* path, unsigned depth,
                      SchemaError* err) const;
    bool check_array(const Node& n, const JsonValue& v, const PathSeg* path, unsigned depth,
                     SchemaError* err) const;
    bool check_string(const Node& n, const JsonValue& v, const PathSeg* path,
                      SchemaError* err) const;
    bool check_number(const Node& n, const JsonValue& v, const PathSeg* path,
                      SchemaError* err) const;
    bool check_child(std::uint32_t id, const JsonValue& v, const PathSeg* seg, unsigned depth,
                     SchemaError* err) const;
    bool fast_accept(const Node& t, const core::JsonDocument* doc, std::uint32_t i,
                     bool deep) const noexcept;
    bool fast_accept_more(const Node& t, const core::JsonDocument* doc, const core::JsonNode& v,
                          std::uint32_t i, bool deep) const noexcept;
};

namespace {

bool fail(SchemaError* err, const PathSeg* path, const Node& n, std::string_view keyword,
          std::string message) {
    if (err != nullptr) {
        err->instance_pointer = to_pointer(path);
        err->keyword = std::string(keyword);
        err->schema_pointer =
            keyword == "false" ? n.pointer : n.pointer + "/" + std::string(keyword);
        err->message = std::move(message);
    }
    return false;
}

// Messages are only built when the caller asked for the error. A macro, not a function, so that
// the message arguments (type_mask_names() allocates) are not even evaluated when an anyOf/oneOf/
// not branch fails on the way to an overall success: that path must not allocate.
#define GSTREAM_SCHEMA_FAIL(err, path, node, keyword, ...) \
    fail((err), (path), (node), (keyword),                  \
         (err) != nullptr ? fmt::format(__VA_ARGS__) : std::string())

// Boost.Regex keeps its match state in match_results; one per thread avoids an allocation per
// match once warmed up.
bool regex_search_guarded(const Regex& re, std::string_view s, bool& too_complex) noexcept {
    thread_local boost::match_results<const char*> match;
    try {
        return boost::regex_search(s.data(), s.data() + s.size(), match, re,
                                   boost::match_default | boost::match_not_dot_newline);
    } catch (const std::runtime_error&) {
        // error_complexity / error_stack: the pattern cannot be decided within Boost's limits.
        too_complex = true;
        return false;
    }
}

}  // namespace

// True when `t` certainly accepts the value at tape index `i` (Node::accept and the fast_*
// flags); false means "ask check()", which decides and words the error. With `deep` an array's
// elements are looked at too (one level, no recursion).
inline bool CompiledSchema::Impl::fast_accept(const Node& t, const core::JsonDocument* doc,
                                              std::uint32_t i, bool deep) const noexcept {
    const core::JsonNode& v = doc->node(i);
    if (((t.accept >> static_cast<unsigned>(v.type)) & 1u) != 0) {
        return true;
    }
    if (v.type == JsonType::kInteger) {
        return t.int_range && v.num.i >= t.int_lo && v.num.i <= t.int_hi;
    }
    return (t.fast_string || t.fast_array) && fast_accept_more(t, doc, v, i, deep);
}

bool CompiledSchema::Impl::fast_accept_more(const Node& t, const core::JsonDocument* doc,
                                            const core::JsonNode& v, std::uint32_t i,
                                            bool deep) const noexcept {
    switch (v.type) {
        case JsonType::kString: {
            if (!t.fast_string) {
                return false;
            }
            const Node& r = nodes[t.resolved];
            const std::string_view s = doc->string_of(v);
            // As check_string(): code points are counted only when the bytes do not decide.
            if (r.max_length < s.size() || r.min_length > s.size() / 4) {
                return false;
            }
            return !r.date_time || is_rfc3339_date_time(s);
        }
        case JsonType::kArray: {
            if (!t.fast_array || !deep) {
                return false;
            }
            const Node& r = nodes[t.resolved];
            if (v.aux < r.min_items || v.aux > r.max_items) {
                return false;
            }
            if (r.items == kNone) {
                return true;
            }
            const Node& item = nodes[r.items];
            for (std::uint32_t e = i + 1; e < v.next; e = doc->node(e).next) {
                if (!fast_accept(item, doc, e, false)) {
                    return false;
                }
            }
            return true;
        }
        default: return false;
    }
}

bool CompiledSchema::Impl::check_child(std::uint32_t id, const JsonValue& v, const PathSeg* seg,
                                       unsigned depth, SchemaError* err) const {
    if (depth >= kMaxValidationDepth) {
        return GSTREAM_SCHEMA_FAIL(err, seg, nodes[id], "depth",
                                   "instance nests deeper than {} levels", kMaxValidationDepth);
    }
    return check(id, v, seg, depth + 1, err);
}

bool CompiledSchema::Impl::check(std::uint32_t id, const JsonValue& v, const PathSeg* path,
                                 unsigned depth, SchemaError* err) const {
    const Node* n = &nodes[id];
    while (n->kind == NodeKind::kRef) {
        n = &nodes[n->ref];
    }
    if (n->kind == NodeKind::kAlways) {
        return true;
    }
    if (n->kind == NodeKind::kNever) {
        return GSTREAM_SCHEMA_FAIL(err, path, *n, "false", "the false schema accepts nothing");
    }
    const std::uint8_t bits = instance_type_bits(v);
    if (n->type_only) {  // most properties: {"type": "string"} and the like
        if (n->types == 0 || (n->types & bits) != 0) {
            return true;
        }
        return GSTREAM_SCHEMA_FAIL(err, path, *n, "type", "expected {}, got {}",
                                   type_mask_names(n->types), type_name(v));
    }
    if (n->types != 0 && (n->types & bits) == 0) {
        return GSTREAM_SCHEMA_FAIL(err, path, *n, "type", "expected {}, got {}",
                                   type_mask_names(n->types), type_name(v));
    }
    if (n->has_const && !json_equal(v, n->enum_values.front())) {
        return GSTREAM_SCHEMA_FAIL(err, path, *n, "const", "value is not {}",
                                   n->enum_values.front().raw());
    }
    if (n->has_enum) {
        const bool found = std::any_of(n->enum_values.begin(), n->enum_values.end(),
                                       [&](const JsonValue& e) { return json_equal(v, e); });
        if (!found) {
            return GSTREAM_SCHEMA_FAIL(err, path, *n, "enum", "value is not one of the {} allowed",
                                       n->enum_values.size());
        }
    }
    switch (v.type()) {
        case JsonType::kObject:
            if (n->object_checks && !check_object(*n, v, path, depth, err)) {
                return false;
            }
            break;
        case JsonType::kArray:
            if (n->array_checks && !check_array(*n, v, path, depth, err)) {
                return false;
            }
            break;
        case JsonType::kString:
            if (n->string_checks && !check_string(*n, v, path, err)) {
                return false;
            }
            break;
        case JsonType::kInteger:
        case JsonType::kBigInteger:
        case JsonType::kFloat:
            if (n->number_checks && !check_number(*n, v, path, err)) {
                return false;
            }
            break;
        default: break;
    }
    for (const std::uint32_t sub : n->all_of) {
        if (!check(sub, v, path, depth, err)) {
            return false;
        }
    }
    if (!n->any_of.empty()) {
        const bool any = std::any_of(n->any_of.begin(), n->any_of.end(), [&](std::uint32_t sub) {
            return check(sub, v, path, depth, nullptr);
        });
        if (!any) {
            return GSTREAM_SCHEMA_FAIL(err, path, *n, "anyOf", "matches none of the {} subschemas",
                                       n->any_of.size());
        }
    }
    if (!n->one_of.empty()) {
        std::size_t matched = 0;
        std::size_t first = 0;
        std::size_t second = 0;
        for (std::size_t i = 0; i < n->one_of.size() && matched < 2; ++i) {
            if (check(n->one_of[i], v, path, depth, nullptr)) {
                (matched == 0 ? first : second) = i;
                ++matched;
            }
        }
        if (matched == 0) {
            return GSTREAM_SCHEMA_FAIL(err, path, *n, "oneOf", "matches none of the {} subschemas",
                                       n->one_of.size());
        }
        if (matched > 1) {
            return GSTREAM_SCHEMA_FAIL(err, path, *n, "oneOf",
                                       "matches subschemas {} and {}; exactly one is allowed",
                                       first, second);
        }
    }
    if (n->not_schema != kNone && check(n->not_schema, v, path, depth, nullptr)) {
        return GSTREAM_SCHEMA_FAIL(err, path, *n, "not", "value matches the schema under \"not\"");
    }
    return true;
}

bool CompiledSchema::Impl::check_object(const Node& n, const JsonValue& v, const PathSeg* path,
                                        unsigned depth, SchemaError* err) const {
    const core::JsonDocument* doc = v.document();
    std::uint64_t seen = 0;
    if (!n.members.empty() || n.additional_properties != kNone ||
        !n.pattern_properties.empty()) {
        // A child that fast_accept() decides needs no call, no path segment and no depth check,
        // as long as check_child() would not fail on depth before looking at it.
        const bool fast = depth < kMaxValidationDepth;
        const bool deep = depth + 1 < kMaxValidationDepth;  // the elements of an array child
        const std::uint32_t stop = subtree_end(v);
        for (std::uint32_t i = first_child(v); i < stop;) {
            const core::JsonNode& key_node = doc->node(i);
            const core::JsonNode& value_node = doc->node(i + 1);
            const std::uint32_t value_index = i + 1;
            i = value_node.next;
            // A name without escapes is in the text (the common case: no bounds checks).
            const std::string_view key =
                (key_node.flags & core::kJsonFlagInText) != 0
                    ? std::string_view(doc->text().data() + key_node.aux2, key_node.aux)
                    : doc->string_of(key_node);
            const MemberEntry* entry = n.find_member(key);
            bool matched = false;  // by properties or patternProperties
            if (entry != nullptr) {
                if (entry->required_bit >= 0) {
                    seen |= std::uint64_t{1} << entry->required_bit;
                }
                if (entry->property != kNone) {
                    matched = true;
                    if (!fast || !fast_accept(nodes[entry->property], doc, value_index, deep)) {
                        const PathSeg seg{path, key, 0, false};
                        if (!check_child(entry->property, JsonValue(doc, value_index), &seg,
                                         depth, err)) {
                            return false;
                        }
                    }
                }
            }
            if (!n.pattern_properties.empty()) {
                const PathSeg seg{path, key, 0, false};
                const JsonValue value(doc, value_index);
                for (const auto& [regex, sub] : n.pattern_properties) {
                    bool too_complex = false;
                    if (regex_search_guarded(regexes[regex], key, too_complex)) {
                        matched = true;
                        if (!check_child(sub, value, &seg, depth, err)) {
                            return false;
                        }
                    } else if (too_complex) {
                        return GSTREAM_SCHEMA_FAIL(
                            err, &seg, n, "patternProperties",
                            "member name exceeded the regex complexity limit");
                    }
                }
            }
            if (matched || n.additional_properties == kNone) {
                continue;
            }
            if (fast && fast_accept(nodes[n.additional_properties], doc, value_index, deep)) {
                continue;
            }
            const PathSeg seg{path, key, 0, false};
            if (nodes[n.additional_properties].kind == NodeKind::kNever) {
                return GSTREAM_SCHEMA_FAIL(err, &seg, n, "additionalProperties",
                                           "member \"{}\" is not allowed", key);
            }
            if (!check_child(n.additional_properties, JsonValue(doc, value_index), &seg, depth,
                             err)) {
                return false;
            }
        }
    }
    if ((seen & n.required_mask) != n.required_mask) {
        for (std::size_t r = 0; r < n.required.size() && r < 64; ++r) {
            if ((seen & (std::uint64_t{1} << r)) == 0) {
                return GSTREAM_SCHEMA_FAIL(err, path, n, "required",
                                           "missing required member \"{}\"", n.required[r]);
            }
        }
    }
    for (std::size_t r = 64; r < n.required.size(); ++r) {
        if (!v.find(n.required[r]).valid()) {
            return GSTREAM_SCHEMA_FAIL(err, path, n, "required", "missing required member \"{}\"",
                                       n.required[r]);
        }
    }
    return true;
}

bool CompiledSchema::Impl::check_array(const Node& n, const JsonValue& v, const PathSeg* path,
                                       unsigned depth, SchemaError* err) const {
    const std::size_t size = v.size();
    if (size < n.min_items) {
        return GSTREAM_SCHEMA_FAIL(err, path, n, "minItems", "{} items, at least {} required",
                                   size, n.min_items);
    }
    if (size > n.max_items) {
        return GSTREAM_SCHEMA_FAIL(err, path, n, "maxItems", "{} items, at most {} allowed", size,
                                   n.max_items);
    }
    if (n.items == kNone && n.item_list.empty() && n.additional_items == kNone) {
        return true;
    }
    const core::JsonDocument* doc = v.document();
    const bool fast = depth < kMaxValidationDepth;  // as in check_object()
    const bool deep = depth + 1 < kMaxValidationDepth;
    const std::uint32_t stop = subtree_end(v);
    std::size_t index = 0;
    for (std::uint32_t i = first_child(v); i < stop; i = doc->node(i).next, ++index) {
        std::uint32_t schema = kNone;
        bool additional = false;
        if (!n.items_is_list) {
            schema = n.items;
        } else if (index < n.item_list.size()) {
            schema = n.item_list[index];
        } else {
            schema = n.additional_items;
            additional = true;
        }
        if (schema == kNone) {
            if (additional) {
                break;  // additionalItems absent: the rest is unconstrained
            }
            continue;
        }
        if (fast && fast_accept(nodes[schema], doc, i, deep)) {
            continue;
        }
        const PathSeg seg{path, {}, index, true};
        if (additional && nodes[schema].kind == NodeKind::kNever) {
            return GSTREAM_SCHEMA_FAIL(err, &seg, n, "additionalItems",
                                       "{} items, at most {} allowed by items", size,
                                       n.item_list.size());
        }
        if (!check_child(schema, JsonValue(doc, i), &seg, depth, err)) {
            return false;
        }
    }
    return true;
}

bool CompiledSchema::Impl::check_string(const Node& n, const JsonValue& v, const PathSeg* path,
                                        SchemaError* err) const {
    const std::string_view s = v.get_string();
    // Code points <= bytes <= 4 * code points: count only when the bytes do not decide.
    if (n.max_length < s.size() || n.min_length > s.size() / 4) {
        const std::size_t length = count_code_points(s);
        if (length < n.min_length) {
            return GSTREAM_SCHEMA_FAIL(err, path, n, "minLength",
                                       "{} characters, at least {} required", length,
                                       n.min_length);
        }
        if (length > n.max_length) {
            return GSTREAM_SCHEMA_FAIL(err, path, n, "maxLength",
                                       "{} characters, at most {} allowed", length, n.max_length);
        }
    }
    if (n.pattern != kNone) {
        bool too_complex = false;
        if (!regex_search_guarded(regexes[n.pattern], s, too_complex)) {
            if (too_complex) {
                return GSTREAM_SCHEMA_FAIL(err, path, n, "pattern",
                                           "pattern /{}/ exceeded the regex complexity limit",
                                           n.pattern_text);
            }
            return GSTREAM_SCHEMA_FAIL(err, path, n, "pattern", "does not match /{}/",
                                       n.pattern_text);
        }
    }
    if (n.date_time && !is_rfc3339_date_time(s)) {
        return GSTREAM_SCHEMA_FAIL(err, path, n, "format", "not an RFC 3339 date-time");
    }
    return true;
}

bool CompiledSchema::Impl::check_number(const Node& n, const JsonValue& v, const PathSeg* path,
                                        SchemaError* err) const {
    const Number x = number_of(v);
    if (n.minimum && compare_numbers(x, *n.minimum) < 0) {
        return GSTREAM_SCHEMA_FAIL(err, path, n, "minimum", "{} is less than {}", v.raw(),
                                   number_text(*n.minimum));
    }
    if (n.maximum && compare_numbers(x, *n.maximum) > 0) {
        return GSTREAM_SCHEMA_FAIL(err, path, n, "maximum", "{} is greater than {}", v.raw(),
                                   number_text(*n.maximum));
    }
    if (n.exclusive_minimum && compare_numbers(x, *n.exclusive_minimum) <= 0) {
        return GSTREAM_SCHEMA_FAIL(err, path, n, "exclusiveMinimum", "{} is not greater than {}",
                                   v.raw(), number_text(*n.exclusive_minimum));
    }
    if (n.exclusive_maximum && compare_numbers(x, *n.exclusive_maximum) >= 0) {
        return GSTREAM_SCHEMA_FAIL(err, path, n, "exclusiveMaximum", "{} is not less than {}",
                                   v.raw(), number_text(*n.exclusive_maximum));
    }
    return true;
}

#undef GSTREAM_SCHEMA_FAIL

// ---- Compilation.

namespace {

// Thrown inside the compiler only; compile() turns it into an error value.
struct CompileError {
    std::string text;
};

[[noreturn]] void compile_error(std::string text) { throw CompileError{std::move(text)}; }

std::string shown(const std::string& pointer) { return pointer.empty() ? "the root" : pointer; }

bool is_draft07_uri(std::string_view s) {
    for (const std::string_view prefix : {"http://", "https://"}) {
        if (s.substr(0, prefix.size()) == prefix) {
            s.remove_prefix(prefix.size());
            if (s == "json-schema.org/draft-07/schema#" || s == "json-schema.org/draft-07/schema") {
                return true;
            }
        }
    }
    return false;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// URI fragment -> JSON pointer: percent-decoding (RFC 3986) before ~0/~1 (RFC 6901 §6).
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        const int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
        const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

const std::array<std::string_view, 32> kKnownKeywords{
    "patternProperties",
    "type",          "enum",           "const",
    "required",      "properties",     "additionalProperties",
    "items",         "additionalItems", "minItems",
    "maxItems",      "minimum",        "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength",
    "maxLength",     "pattern",        "format",
    "allOf",         "anyOf",          "oneOf",
    "not",           "$ref",           "definitions",
    "$schema",       "$id",            "title",
    "description",   "default",        "examples",
    "$comment"};

bool is_known_keyword(std::string_view k) {
    return std::find(kKnownKeywords.begin(), kKnownKeywords.end(), k) != kKnownKeywords.end();
}

class Compiler {
public:
    Compiler(const core::JsonDocument& doc, std::vector<Node>& nodes,
             std::vector<Regex>& regexes)
        : doc_(doc), nodes_(nodes), regexes_(regexes) {}

    std::uint32_t compile_root() {
        const JsonValue root = doc_.root();
        if (root.is_object()) {
            if (const JsonValue id = root.find("$id"); id.valid()) {
                if (!id.is_string()) {
                    compile_error("invalid \"$id\" at the root: expected a string");
                }
                base_ = std::string(id.get_string());
                if (!base_.empty() && base_.back() == '#') {
                    base_.pop_back();
                }
            }
        }
        collect_ref_targets(root);
        const std::uint32_t id = compile_node(root, "");
        while (!pending_.empty()) {
            const PendingRef p = pending_.back();
            pending_.pop_back();
            nodes_[p.node].ref = resolve(p.ref, p.where);
        }
        check_cycles();
        return id;
    }

private:
    struct PendingRef {
        std::uint32_t node;
        std::string ref;
        std::string where;
    };

    // The JSON pointer a same-document $ref designates, or nullopt when it is not one.
    std::optional<std::string> local_pointer(std::string_view ref) const {
        if (!base_.empty() && ref.substr(0, base_.size()) == base_) {
            ref.remove_prefix(base_.size());
            if (ref.empty()) {
                return std::string();
            }
        }
        if (ref.empty() || ref.front() != '#') {
            return std::nullopt;
        }
        ref.remove_prefix(1);
        if (!ref.empty() && ref.front() != '/') {
            return std::nullopt;  // "#name": plain-name fragment ($id anchors), unsupported
        }
        return percent_decode(ref);
    }

    // Records every same-document $ref target so that members a $ref points into (as with
    // `definitions`) are not rejected as unknown keywords.
    void collect_ref_targets(const JsonValue& v) {
        if (v.is_object()) {
            v.for_each_member([&](std::string_view key, const JsonValue& value) {
                if (key == "$ref" && value.is_string()) {
                    if (auto p = local_pointer(value.get_string())) {
                        ref_targets_.push_back(std::move(*p));
                    }
                }
                collect_ref_targets(value);
            });
        } else if (v.is_array()) {
            v.for_each_element([&](const JsonValue& e) { collect_ref_targets(e); });
        }
    }

    bool is_ref_container(const std::string& pointer) const {
        return std::any_of(ref_targets_.begin(), ref_targets_.end(), [&](const std::string& t) {
            return t.compare(0, pointer.size(), pointer) == 0 &&
                   (t.size() == pointer.size() || t[pointer.size()] == '/');
        });
    }

    std::uint32_t resolve(const std::string& ref, const std::string& where) {
        const auto pointer = local_pointer(ref);
        if (!pointer) {
            compile_error(fmt::format(
                "unsupported $ref \"{}\" at {}: only same-document references (\"#\", "
                "\"#/definitions/x\") are supported",
                ref, shown(where)));
        }
        const JsonValue target = doc_.root().at_pointer(*pointer);
        if (!target.valid()) {
            compile_error(fmt::format("unresolvable $ref \"{}\" at {}", ref, shown(where)));
        }
        return compile_node(target, *pointer);
    }

    std::uint32_t add_node(NodeKind kind, std::string pointer) {
        Node n;
        n.kind = kind;
        n.pointer = std::move(pointer);
        nodes_.push_back(std::move(n));
        return static_cast<std::uint32_t>(nodes_.size() - 1);
    }

    std::uint32_t compile_node(const JsonValue& v, const std::string& pointer) {
        if (!v.valid()) {
            compile_error(fmt::format("no schema at {}", shown(pointer)));
        }
        if (const auto it = memo_.find(v.index()); it != memo_.end()) {
            return it->second;
        }
        if (v.valid() && (v.type() == JsonType::kTrue || v.type() == JsonType::kFalse)) {
            const std::uint32_t id = add_node(
                v.get_bool() ? NodeKind::kAlways : NodeKind::kNever, pointer);
            memo_.emplace(v.index(), id);
            return id;
        }
        if (!v.is_object()) {
            compile_error(fmt::format("schema at {} must be an object or a boolean, got {}",
                                      shown(pointer), type_name(v)));
        }
        const std::uint32_t id = add_node(NodeKind::kSchema, pointer);
        memo_.emplace(v.index(), id);
        compile_keywords(id, v, pointer);
        return id;
    }

    void compile_keywords(std::uint32_t id, const JsonValue& v, const std::string& pointer) {
        // Check every member first, so a typo is reported even next to $ref.
        v.for_each_member([&](std::string_view key, const JsonValue& value) {
            const std::string at = pointer + "/" + escape_pointer_token(key);
            if (!is_known_keyword(key)) {
                if (!is_ref_container(at)) {
                    compile_error(fmt::format("unsupported keyword \"{}\" at {}", key,
                                              shown(pointer)));
                }
                return;
            }
            if (key == "$id" && !pointer.empty()) {
                compile_error(fmt::format(
                    "unsupported $id at {}: a nested $id (change of resolution scope) is not "
                    "supported",
                    shown(pointer)));
            }
            if (key == "$schema" && (!value.is_string() || !is_draft07_uri(value.get_string()))) {
                compile_error(fmt::format(
                    "unsupported $schema at {}: only http://json-schema.org/draft-07/schema# is "
                    "supported",
                    shown(pointer)));
            }
        });
        if (const JsonValue defs = v.find("definitions"); defs.valid()) {
            if (!defs.is_object()) {
                compile_error(fmt::format("invalid \"definitions\" at {}: expected an object",
                                          shown(pointer)));
            }
            defs.for_each_member([&](std::string_view name, const JsonValue& sub) {
                compile_node(sub, pointer + "/definitions/" + escape_pointer_token(name));
            });
        }
        if (const JsonValue ref = v.find("$ref"); ref.valid()) {
            if (!ref.is_string()) {
                compile_error(fmt::format("invalid \"$ref\" at {}: expected a string",
                                          shown(pointer)));
            }
            // Draft-07 §8.3: all other members of a $ref object are ignored.
            nodes_[id].kind = NodeKind::kRef;
            pending_.push_back({id, std::string(ref.get_string()), pointer});
            return;
        }
        v.for_each_member([&](std::string_view key, const JsonValue& value) {
            compile_keyword(id, key, value, pointer);
        });
        Node& n = nodes_[id];
        build_member_table(n);
        n.object_checks = !n.members.empty() || n.additional_properties != kNone ||
                          !n.pattern_properties.empty();
        n.array_checks = n.min_items > 0 ||
                         n.max_items != std::numeric_limits<std::uint64_t>::max() ||
                         n.items != kNone || n.items_is_list || n.additional_items != kNone;
        if (!n.items_is_list) {
            n.additional_items = kNone;  // additionalItems only applies to the array form
        }
        n.string_checks = n.min_length > 0 ||
                          n.max_length != std::numeric_limits<std::uint64_t>::max() ||
                          n.pattern != kNone || n.date_time;
        n.number_checks = n.minimum || n.maximum || n.exclusive_minimum || n.exclusive_maximum;
    }

    std::uint64_t count_value(std::string_view key, const JsonValue& value,
                              const std::string& pointer) {
        if (value.type() == JsonType::kInteger && value.get_int64() >= 0) {
            return static_cast<std::uint64_t>(value.get_int64());
        }
        if (value.type() == JsonType::kFloat) {
            const double d = value.get_double();
            if (std::isfinite(d) && d >= 0 && d == std::trunc(d) && d < 1.8e19) {
                return static_cast<std::uint64_t>(d);
            }
        }
        compile_error(fmt::format("invalid \"{}\" at {}: expected a non-negative integer", key,
                                  shown(pointer)));
    }

    std::vector<std::uint32_t> schema_list(std::string_view key, const JsonValue& value,
                                           const std::string& at, const std::string& pointer) {
        if (!value.is_array() || value.size() == 0) {
            compile_error(fmt::format("invalid \"{}\" at {}: expected a non-empty array of schemas",
                                      key, shown(pointer)));
        }
        std::vector<std::uint32_t> out;
        std::size_t i = 0;
        value.for_each_element([&](const JsonValue& e) {
            out.push_back(compile_node(e, at + "/" + std::to_string(i++)));
        });
        return out;
    }

    void compile_keyword(std::uint32_t id, std::string_view key, const JsonValue& value,
                         const std::string& pointer) {
        const std::string at = pointer + "/" + escape_pointer_token(key);
        // Sub-schemas may grow nodes_: take references to nodes_[id] only after compiling them.
        if (key == "type") {
            nodes_[id].types = parse_type(value, pointer);
        } else if (key == "enum") {
            if (!value.is_array()) {
                compile_error(fmt::format("invalid \"enum\" at {}: expected an array",
                                          shown(pointer)));
            }
            Node& n = nodes_[id];
            n.has_enum = true;
            value.for_each_element([&](const JsonValue& e) { n.enum_values.push_back(e); });
        } else if (key == "const") {
            Node& n = nodes_[id];
            n.has_const = true;
            n.enum_values.assign(1, value);
        } else if (key == "required") {
            if (!value.is_array()) {
                compile_error(fmt::format("invalid \"required\" at {}: expected an array of "
                                          "strings", shown(pointer)));
            }
            Node& n = nodes_[id];
            value.for_each_element([&](const JsonValue& e) {
                if (!e.is_string()) {
                    compile_error(fmt::format("invalid \"required\" at {}: expected an array of "
                                              "strings", shown(pointer)));
                }
                const std::string name(e.get_string());
                if (std::find(n.required.begin(), n.required.end(), name) == n.required.end()) {
                    n.required.push_back(name);
                }
            });
        } else if (key == "properties") {
            if (!value.is_object()) {
                compile_error(fmt::format("invalid \"properties\" at {}: expected an object",
                                          shown(pointer)));
            }
            std::vector<std::pair<std::string, std::uint32_t>> props;
            value.for_each_member([&](std::string_view name, const JsonValue& sub) {
                props.emplace_back(std::string(name),
                                   compile_node(sub, at + "/" + escape_pointer_token(name)));
            });
            Node& n = nodes_[id];
            for (auto& [name, sub] : props) {
                MemberEntry& e = member_entry(n, name);
                e.property = sub;
            }
        } else if (key == "patternProperties") {
            if (!value.is_object()) {
                compile_error(fmt::format("invalid \"patternProperties\" at {}: expected an object",
                                          shown(pointer)));
            }
            std::vector<std::pair<std::uint32_t, std::uint32_t>> list;
            value.for_each_member([&](std::string_view pattern, const JsonValue& sub) {
                const std::uint32_t regex = add_regex(pattern, at);
                list.emplace_back(regex, compile_node(sub, at + "/" + escape_pointer_token(pattern)));
            });
            nodes_[id].pattern_properties = std::move(list);
        } else if (key == "additionalProperties") {
            const std::uint32_t sub = compile_node(value, at);
            nodes_[id].additional_properties = sub;
        } else if (key == "items") {
            if (value.is_array()) {
                std::vector<std::uint32_t> list;
                std::size_t i = 0;
                value.for_each_element([&](const JsonValue& e) {
                    list.push_back(compile_node(e, at + "/" + std::to_string(i++)));
                });
                nodes_[id].items_is_list = true;
                nodes_[id].item_list = std::move(list);
            } else {
                const std::uint32_t sub = compile_node(value, at);
                nodes_[id].items = sub;
            }
        } else if (key == "additionalItems") {
            const std::uint32_t sub = compile_node(value, at);
            nodes_[id].additional_items = sub;
        } else if (key == "minItems") {
            nodes_[id].min_items = count_value(key, value, pointer);
        } else if (key == "maxItems") {
            nodes_[id].max_items = count_value(key, value, pointer);
        } else if (key == "minLength") {
            nodes_[id].min_length = count_value(key, value, pointer);
        } else if (key == "maxLength") {
            nodes_[id].max_length = count_value(key, value, pointer);
        } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
                   key == "exclusiveMaximum") {
            if (!value.is_number()) {
                compile_error(fmt::format("invalid \"{}\" at {}: expected a number (draft-07)",
                                          key, shown(pointer)));
            }
            Node& n = nodes_[id];
            const Number num = number_of(value);
            (key == "minimum"            ? n.minimum
             : key == "maximum"          ? n.maximum
             : key == "exclusiveMinimum" ? n.exclusive_minimum
                                         : n.exclusive_maximum) = num;
        } else if (key == "pattern") {
            compile_pattern(nodes_[id], value, pointer);
        } else if (key == "format") {
            if (!value.is_string()) {
                compile_error(fmt::format("invalid \"format\" at {}: expected a string",
                                          shown(pointer)));
            }
            // Only date-time is checked; other formats are annotations (docs/validation.md).
            nodes_[id].date_time = value.get_string() == "date-time";
        } else if (key == "allOf") {
            auto list = schema_list(key, value, at, pointer);
            nodes_[id].all_of = std::move(list);
        } else if (key == "anyOf") {
            auto list = schema_list(key, value, at, pointer);
            nodes_[id].any_of = std::move(list);
        } else if (key == "oneOf") {
            auto list = schema_list(key, value, at, pointer);
            nodes_[id].one_of = std::move(list);
        } else if (key == "not") {
            const std::uint32_t sub = compile_node(value, at);
            nodes_[id].not_schema = sub;
        } else if (key == "$comment" || key == "title" || key == "description") {
            if (!value.is_string()) {
                compile_error(fmt::format("invalid \"{}\" at {}: expected a string", key,
                                          shown(pointer)));
            }
        }
        // definitions (compiled earlier), $schema, $id, default, examples: annotations here.
    }

    std::uint8_t parse_type(const JsonValue& value, const std::string& pointer) {
        const auto bit = [&](std::string_view name) -> std::uint8_t {
            if (name == "null") return kTypeNull;
            if (name == "boolean") return kTypeBoolean;
            if (name == "integer") return kTypeInteger;
            if (name == "number") return kTypeNumber;
            if (name == "string") return kTypeString;
            if (name == "array") return kTypeArray;
            if (name == "object") return kTypeObject;
            compile_error(fmt::format("invalid \"type\" at {}: unknown type \"{}\"",
                                      shown(pointer), name));
        };
        if (value.is_string()) {
            return bit(value.get_string());
        }
        if (!value.is_array() || value.size() == 0) {
            compile_error(fmt::format("invalid \"type\" at {}: expected a type name or an array "
                                      "of them", shown(pointer)));
        }
        std::uint8_t mask = 0;
        value.for_each_element([&](const JsonValue& e) {
            if (!e.is_string()) {
                compile_error(fmt::format("invalid \"type\" at {}: expected type names",
                                          shown(pointer)));
            }
            mask |= bit(e.get_string());
        });
        return mask;
    }

    void compile_pattern(Node& n, const JsonValue& value, const std::string& pointer) {
        if (!value.is_string()) {
            compile_error(fmt::format("invalid \"pattern\" at {}: expected a string",
                                      shown(pointer)));
        }
        const std::string_view text = value.get_string();
        n.pattern = add_regex(text, pointer + "/pattern");
        n.pattern_text = std::string(text);
    }

    std::uint32_t add_regex(std::string_view text, const std::string& at) {
        try {
            // ECMA-262 semantics: "." stops at line ends and ^/$ anchor the whole input.
            regexes_.emplace_back(text.data(), text.data() + text.size(),
                                  Regex::ECMAScript | Regex::no_mod_m | Regex::no_mod_s);
        } catch (const boost::regex_error& e) {
            compile_error(
                fmt::format("invalid regex /{}/ at {}: {}", text, shown(at), e.what()));
        }
        return static_cast<std::uint32_t>(regexes_.size() - 1);
    }

    static MemberEntry& member_entry(Node& n, const std::string& name) {
        for (MemberEntry& e : n.members) {
            if (e.name == name) {
                return e;
            }
        }
        n.members.push_back(MemberEntry{name, kNone, -1});
        return n.members.back();
    }

    static void build_member_table(Node& n) {
        for (std::size_t r = 0; r < n.required.size() && r < 64; ++r) {
            member_entry(n, n.required[r]).required_bit = static_cast<int>(r);
            n.required_mask |= std::uint64_t{1} << r;
        }
        if (n.members.empty()) {
            return;
        }
        std::size_t size = 4;
        while (size < n.members.size() * 4) {  // load <= 1/4: mostly one probe
            size *= 2;
        }
        n.member_slots.assign(size, MemberSlot{});
        unsigned bits = 0;
        while ((std::size_t{1} << bits) < size) {
            ++bits;
        }
        n.slot_shift = 64 - bits;
        for (std::size_t i = 0; i < n.members.size(); ++i) {
            const std::string& name = n.members[i].name;
            const NameWords w = name_words(name.data(), name.size());
            std::size_t slot = name_slot(w, name.size(), n.slot_shift);
            while (n.member_slots[slot].member != 0) {
                slot = (slot + 1) & (size - 1);
            }
            n.member_slots[slot] = MemberSlot{w.a, w.b, static_cast<std::uint32_t>(name.size()),
                                              static_cast<std::uint32_t>(i + 1)};
        }
    }

    // A cycle through $ref/allOf/anyOf/oneOf/not never consumes the instance and would recurse
    // forever at validation time: reject it here.
    void check_cycles() const {
        enum class Mark : std::uint8_t { kWhite, kGrey, kBlack };
        std::vector<Mark> mark(nodes_.size(), Mark::kWhite);
        std::vector<std::pair<std::uint32_t, std::size_t>> stack;
        const auto edges = [&](std::uint32_t id) {
            const Node& n = nodes_[id];
            std::vector<std::uint32_t> out;
            if (n.kind == NodeKind::kRef) {
                out.push_back(n.ref);
                return out;
            }
            out.insert(out.end(), n.all_of.begin(), n.all_of.end());
            out.insert(out.end(), n.any_of.begin(), n.any_of.end());
            out.insert(out.end(), n.one_of.begin(), n.one_of.end());
            if (n.not_schema != kNone) {
                out.push_back(n.not_schema);
            }
            return out;
        };
        for (std::uint32_t start = 0; start < nodes_.size(); ++start) {
            if (mark[start] != Mark::kWhite) {
                continue;
            }
            std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> dfs;
            dfs.emplace_back(start, edges(start));
            mark[start] = Mark::kGrey;
            while (!dfs.empty()) {
                auto& [node, out] = dfs.back();
                if (out.empty()) {
                    mark[node] = Mark::kBlack;
                    dfs.pop_back();
                    continue;
                }
                const std::uint32_t next = out.back();
                out.pop_back();
                if (mark[next] == Mark::kGrey) {
                    compile_error(fmt::format(
                        "$ref cycle through {} never descends into the instance",
                        shown(nodes_[next].pointer)));
                }
                if (mark[next] == Mark::kWhite) {
                    mark[next] = Mark::kGrey;
                    dfs.emplace_back(next, edges(next));
                }
            }
        }
    }

    const core::JsonDocument& doc_;
    std::vector<Node>& nodes_;
    std::vector<Regex>& regexes_;
    std::string base_;
    std::vector<std::string> ref_targets_;
    std::unordered_map<std::uint32_t, std::uint32_t> memo_;  // tape index -> node
    std::vector<PendingRef> pending_;
};

// Node::accept and Node::int_range of a kAlways, kNever or kSchema node (see Node). Only what
// check() would certainly accept is marked; anything else goes through check().
void set_fast_verdicts(Node& n) {
    n.accept = 0;
    n.int_range = false;
    n.fast_string = false;
    n.fast_array = false;
    if (n.kind == NodeKind::kAlways) {
        n.accept = 0xFFFF;
        return;
    }
    if (n.kind != NodeKind::kSchema || n.has_const || n.has_enum || !n.all_of.empty() ||
        !n.any_of.empty() || !n.one_of.empty() || n.not_schema != kNone) {
        return;
    }
    const auto allows = [&](std::uint8_t bits) { return n.types == 0 || (n.types & bits) != 0; };
    const auto mark = [&](JsonType t, bool valid) {
        if (valid) {
            n.accept |= static_cast<std::uint16_t>(1u << static_cast<unsigned>(t));
        }
    };
    mark(JsonType::kNull, allows(kTypeNull));
    mark(JsonType::kFalse, allows(kTypeBoolean));
    mark(JsonType::kTrue, allows(kTypeBoolean));
    // An integer sets both kTypeInteger and kTypeNumber; a float whose value is integral also
    // sets kTypeInteger, which is left to check() (only kTypeNumber decides a float here).
    mark(JsonType::kInteger, allows(kTypeInteger | kTypeNumber) && !n.number_checks);
    mark(JsonType::kBigInteger, allows(kTypeInteger | kTypeNumber) && !n.number_checks);
    mark(JsonType::kFloat, allows(kTypeNumber) && !n.number_checks);
    mark(JsonType::kString, allows(kTypeString) && !n.string_checks);
    mark(JsonType::kArray, allows(kTypeArray) && !n.array_checks);
    mark(JsonType::kObject, allows(kTypeObject) && !n.object_checks);
    n.fast_string = allows(kTypeString) && n.string_checks && n.pattern == kNone;
    n.fast_array = allows(kTypeArray) && n.array_checks && !n.items_is_list;
    if (!n.number_checks || !allows(kTypeInteger | kTypeNumber)) {
        return;
    }
    std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    const auto int_limit = [](const std::optional<Number>& limit) {
        return !limit || limit->kind == Number::Kind::kInt;
    };
    if (!int_limit(n.minimum) || !int_limit(n.maximum) || !int_limit(n.exclusive_minimum) ||
        !int_limit(n.exclusive_maximum)) {
        return;  // a float or big-integer limit: check() compares exactly
    }
    if (n.minimum) {
        lo = std::max(lo, n.minimum->i);
    }
    if (n.maximum) {
        hi = std::min(hi, n.maximum->i);
    }
    if (n.exclusive_minimum) {
        if (n.exclusive_minimum->i == std::numeric_limits<std::int64_t>::max()) {
            return;  // no int64 is above it
        }
        lo = std::max(lo, n.exclusive_minimum->i + 1);
    }
    if (n.exclusive_maximum) {
        if (n.exclusive_maximum->i == std::numeric_limits<std::int64_t>::min()) {
            return;
        }
        hi = std::min(hi, n.exclusive_maximum->i - 1);
    }
    n.int_range = true;
    n.int_lo = lo;
    n.int_hi = hi;
}

unsigned digits_at(std::string_view s, std::size_t pos, std::size_t n, bool& ok) noexcept {
    unsigned v = 0;
    if (pos + n > s.size()) {
        ok = false;
        return 0;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') {
            ok = false;
            return 0;
        }
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

}  // namespace

bool is_rfc3339_date_time(std::string_view s) noexcept {
    bool ok = true;
    const unsigned year = digits_at(s, 0, 4, ok);
    const unsigned month = digits_at(s, 5, 2, ok);
    const unsigned day = digits_at(s, 8, 2, ok);
    const unsigned hour = digits_at(s, 11, 2, ok);
    const unsigned minute = digits_at(s, 14, 2, ok);
    const unsigned second = digits_at(s, 17, 2, ok);
    if (!ok || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':') {
        return false;
    }
    static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 ||
        day > (month == 2 && leap ? 29 : kDays[month - 1]) || hour > 23 || minute > 59 ||
        second > 59) {
        return false;
    }
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        const std::size_t start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            ++pos;
        }
        if (pos == start) {
            return false;
        }
    }
    if (pos >= s.size()) {
        return false;
    }
    if (s[pos] == 'Z' || s[pos] == 'z') {
        return pos + 1 == s.size();
    }
    if (s[pos] != '+' && s[pos] != '-') {
        return false;
    }
    const unsigned oh = digits_at(s, pos + 1, 2, ok);
    const unsigned om = digits_at(s, pos + 4, 2, ok);
    return ok && s[pos + 3] == ':' && oh <= 23 && om <= 59 && pos + 6 == s.size();
}

CompiledSchema::CompiledSchema(std::unique_ptr<const Impl> impl) : impl_(std::move(impl)) {}
CompiledSchema::CompiledSchema(CompiledSchema&&) noexcept = default;
CompiledSchema& CompiledSchema::operator=(CompiledSchema&&) noexcept = default;
CompiledSchema::~CompiledSchema() = default;

core::Result<CompiledSchema> CompiledSchema::compile(const core::JsonValue& schema_root,
                                                     std::string* error_text) {
    if (!schema_root.valid()) {
        if (error_text != nullptr) {
            *error_text = "no schema value";
        }
        return core::make_error_code(core::Errc::kConfig);
    }
    return compile_text(schema_root.raw(), error_text);
}

core::Result<CompiledSchema> CompiledSchema::compile_text(std::string_view text,
                                                          std::string* error_text) {
    auto impl = std::make_unique<Impl>();
    impl->schema_doc = std::make_unique<core::JsonDocument>();
    if (!impl->schema_doc->parse_copy(std::string(text))) {
        if (error_text != nullptr) {
            *error_text = fmt::format("not JSON at byte {}: {}", impl->schema_doc->error().offset,
                                      impl->schema_doc->error().message);
        }
        return core::make_error_code(core::Errc::kConfig);
    }
    try {
        Compiler compiler(*impl->schema_doc, impl->nodes, impl->regexes);
        impl->root = compiler.compile_root();
        for (Node& n : impl->nodes) {
            n.type_only = n.kind == NodeKind::kSchema && !n.has_const && !n.has_enum &&
                          !n.object_checks && !n.array_checks && !n.string_checks &&
                          !n.number_checks && n.all_of.empty() && n.any_of.empty() &&
                          n.one_of.empty() && n.not_schema == kNone;
            set_fast_verdicts(n);
            n.slots = n.member_slots.empty() ? nullptr : n.member_slots.data();
            n.slot_mask = n.member_slots.empty() ? 0 : n.member_slots.size() - 1;
        }
        for (Node& n : impl->nodes) {
            const Node* target = &n;
            while (target->kind == NodeKind::kRef) {  // ends: check_cycles rejected $ref cycles
                target = &impl->nodes[target->ref];
            }
            n.resolved = static_cast<std::uint32_t>(target - impl->nodes.data());
            n.accept = target->accept;
            n.int_range = target->int_range;
            n.fast_string = target->fast_string;
            n.fast_array = target->fast_array;
            n.int_lo = target->int_lo;
            n.int_hi = target->int_hi;
        }
    } catch (const CompileError& e) {
        if (error_text != nullptr) {
            *error_text = e.text;
        }
        return core::make_error_code(core::Errc::kConfig);
    }
    return CompiledSchema(std::move(impl));
}

CompiledSchema CompiledSchema::compile_file(const std::string& path) {
    if (const auto text = core::built_in_schema(path)) {
        std::string error;
        auto compiled = compile_text(*text, &error);
        if (!compiled) {
            throw std::runtime_error(fmt::format("{}: {}", path, error));
        }
        return std::move(*compiled);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error(fmt::format("{}: cannot open the schema file", path));
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string error;
    auto compiled = compile_text(text.str(), &error);
    if (!compiled) {
        throw std::runtime_error(fmt::format("{}: {}", path, error));
    }
    return std::move(*compiled);
}

bool CompiledSchema::validate(const core::JsonValue& instance, SchemaError* error) const {
    if (!instance.valid()) {
        if (error != nullptr) {
            *error = SchemaError{"", "type", "", "no instance value"};
        }
        return false;
    }
    return impl_->check(impl_->root, instance, nullptr, 0, error);
}

std::size_t CompiledSchema::node_count() const noexcept { return impl_->nodes.size(); }

}  // namespace gstream::pipeline

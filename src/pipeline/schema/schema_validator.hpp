#pragma once
// A JSON Schema draft-07 validator compiled once from a schema document and run on our own JSON
// tape (core::JsonValue).
//
// compile() turns the schema into a flat table of small nodes: $refs resolved to node indexes,
// regexes compiled, `type` as a bit mask, enum/const values kept parsed. validate() walks that
// table against the instance without allocating on the success path and stops at the first
// error. Supported keywords and behaviour: docs/validation.md. valijson 1.0 was rejected for the
// defects listed in DESIGN.md §5 (format on non-strings aborts, impossible dates accepted,
// maxLength stops at U+0000, integers above 2^63-1 misread, crash on a bad $ref).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/errc.hpp"
#include "core/json_document.hpp"

namespace gstream::pipeline {

/// Where and why an instance failed. Filled only on failure (the failure path allocates).
struct SchemaError {
    /// RFC 6901 pointer of the failing value in the instance: "" is the root, "/data/eventTime".
    std::string instance_pointer;
    /// The draft-07 keyword that failed ("type", "required", "pattern", ...), "false" for a
    /// boolean `false` schema, "depth" when the instance nests deeper than kMaxValidationDepth.
    std::string keyword;
    /// RFC 6901 pointer of that keyword in the schema: "/properties/data/required".
    std::string schema_pointer;
    /// One sentence for operators, e.g. "expected integer, got string".
    std::string message;
};

/// Instance nesting (levels descended by properties/items) beyond which validate() fails with
/// keyword "depth" rather than recursing further. The pipeline caps events at 64 levels.
inline constexpr unsigned kMaxValidationDepth = 256;

/// A schema compiled for validation. Immutable after compile(); validate() is thread-safe and
/// may run concurrently from any number of threads. Move-only.
class CompiledSchema {
public:
    /// Compiles `schema_root` (an object or a boolean). The schema is copied: `schema_root`'s
    /// document need not outlive the result. On failure returns core::Errc::kConfig and, when
    /// `error_text` is not null, stores one line naming the schema path and the reason:
    /// an unknown keyword ("unsupported keyword \"contains\" at /properties/a"), a bad keyword
    /// value, an invalid regex, an unresolvable or non-local $ref ("unsupported $ref"),
    /// a nested $id ("unsupported $id"), a $ref cycle that never descends into the instance.
    /// Never throws for a bad schema (only std::bad_alloc).
    static core::Result<CompiledSchema> compile(const core::JsonValue& schema_root,
                                                std::string* error_text);
    /// Parses `text` as JSON, then compile(). A JSON syntax error is reported the same way.
    static core::Result<CompiledSchema> compile_text(std::string_view text,
                                                     std::string* error_text);
    /// Reads and compiles a schema file. Start-up only: throws std::runtime_error with the path
    /// and the reason ("schemas/events/acd.end.schema.json: unsupported keyword ...").
    static CompiledSchema compile_file(const std::string& path);

    CompiledSchema(CompiledSchema&&) noexcept;
    CompiledSchema& operator=(CompiledSchema&&) noexcept;
    CompiledSchema(const CompiledSchema&) = delete;
    CompiledSchema& operator=(const CompiledSchema&) = delete;
    ~CompiledSchema();

    /// True when `instance` is valid. On the first failure returns false and, when `error` is
    /// not null, fills it. An invalid (default) JsonValue fails with keyword "type".
    /// No allocation when the instance is valid (a `pattern` regex may allocate its per-thread
    /// match state the first time it runs on a thread). Regex matching that exceeds Boost.Regex's
    /// complexity limit is a failure with keyword "pattern", never an exception.
    bool validate(const core::JsonValue& instance, SchemaError* error = nullptr) const;

    /// Number of compiled nodes (for tests and diagnostics).
    std::size_t node_count() const noexcept;

private:
    struct Impl;
    explicit CompiledSchema(std::unique_ptr<const Impl> impl);
    std::unique_ptr<const Impl> impl_;
};

/// RFC 3339 §5.6 `date-time` as the `format` keyword checks it: the grammar of
/// core::parse_rfc3339 (any number of fraction digits, `T`/`t`, `Z`/`z`, offsets up to ±23:59),
/// a real calendar date (no Feb 30, Feb 29 only in leap years), no leap second (`:60`, which
/// parse_rfc3339 rejects too). Unlike parse_rfc3339 any year 0000..9999 is accepted: the
/// 1970..2262 instant range is the decoder's check (bad_timestamp), not the schema's. Pure.
bool is_rfc3339_date_time(std::string_view text) noexcept;

}  // namespace gstream::pipeline

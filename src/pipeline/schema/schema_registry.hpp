#pragma once
// The event schemas of the interaction.lifecycle stream, compiled once at start-up.
//
// Layout of the directory (schemas/events/, docs/validation.md):
//   envelope-event.schema.json  one element of an envelope's `events` array (SEED-PROTOCOL.md §3)
//   detail-common.schema.json   the `data` of an event whose eventType has no schema of its own
//   <eventType>.schema.json     the `data` of that kind, e.g. acd.end.schema.json
//                               (API-NOTES.md §4.2: Genesys v2.detail.events.conversation.{id}.*)
//   conversation-snapshot.schema.json  the `eventBody` of a queue/user conversation snapshot
//                               (API-NOTES.md §4.3); optional
//   lifecycle-transition.schema.json   a whole transition event derived from snapshots
//                               (docs/lifecycle.md); optional

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_document.hpp"
#include "pipeline/schema/schema_validator.hpp"

namespace gstream::pipeline {

/// Immutable after load(); every accessor and validate_event() is thread-safe. Move-only.
class SchemaRegistry {
public:
    static constexpr std::string_view kEnvelopeFile = "envelope-event.schema.json";
    static constexpr std::string_view kCommonFile = "detail-common.schema.json";
    static constexpr std::string_view kSnapshotFile = "conversation-snapshot.schema.json";
    static constexpr std::string_view kTransitionFile = "lifecycle-transition.schema.json";
    static constexpr std::string_view kSuffix = ".schema.json";

    /// Compiles every `*.schema.json` in `dir`. Start-up only: throws std::runtime_error naming
    /// the file and the reason when the directory cannot be read, the envelope or common schema
    /// is missing, or any file fails to compile.
    static SchemaRegistry load(const std::string& dir);

    /// The schema of one event of an envelope.
    const CompiledSchema& envelope_event() const noexcept { return *envelope_; }
    /// The schema of a conversation snapshot's eventBody; nullptr when the directory has none.
    const CompiledSchema* snapshot() const noexcept { return snapshot_; }
    /// The schema of a derived transition event; nullptr when the directory has none.
    const CompiledSchema* transition() const noexcept { return transition_; }
    /// The schema for events whose eventType has no file of its own.
    const CompiledSchema& detail_common() const noexcept { return *common_; }
    /// The schema of `data` for `event_type` ("acd.end"), else detail_common().
    const CompiledSchema& detail(std::string_view event_type) const noexcept;
    /// True when `event_type` has its own schema file (not the envelope, common, snapshot or
    /// transition schema).
    bool has_kind(std::string_view event_type) const noexcept;
    /// The event types that have their own schema, sorted.
    std::vector<std::string> kinds() const;

    /// Validates one envelope event: envelope_event(), then detail(eventType) on its `data`.
    /// On failure `error->instance_pointer` is relative to the event ("/data/eventTime") and
    /// `error->schema_pointer` names the file: "acd.end.schema.json#/properties/queueId/type".
    bool validate_event(const core::JsonValue& event, SchemaError* error = nullptr) const;

private:
    SchemaRegistry() = default;
    const CompiledSchema* find_kind(std::string_view event_type) const noexcept;

    // A kind's slot in kinds_by_name_ (open addressing by kind_hash(), size a power of two).
    struct KindSlot {
        std::string_view kind;  // into a key of schemas_ (map nodes do not move); empty = free
        const CompiledSchema* schema = nullptr;
    };

    std::map<std::string, CompiledSchema, std::less<>> schemas_;  // file stem -> schema
    std::vector<KindSlot> kinds_by_name_;  // the kinds of has_kind(), looked up per event
    const CompiledSchema* envelope_ = nullptr;
    const CompiledSchema* common_ = nullptr;
    const CompiledSchema* snapshot_ = nullptr;
    const CompiledSchema* transition_ = nullptr;
};

}  // namespace gstream::pipeline

#pragma once
// Validator: checks each decoded event against its JSON Schemas before any filter, so a bad event
// is dead-lettered whatever its queue (DESIGN.md §1).

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/event.hpp"

namespace gstream::pipeline {

/// Checks one JSON value against the schema for `kind`; returns false and fills `detail`
/// ("<instance pointer>: <keyword>") when it is invalid. Thread-safe when the schemas are.
using SchemaCheck =
    std::function<bool(std::string_view kind, const core::JsonValue& value, std::string& detail)>;

class SchemaRegistry;

/// The SchemaCheck kinds of the structural schemas (schema_registry.hpp).
inline constexpr std::string_view kEnvelopeEventCheck = "envelope-event";
inline constexpr std::string_view kSnapshotCheck = "conversation-snapshot";
inline constexpr std::string_view kTransitionCheck = "lifecycle-transition";

/// The SchemaCheck of a registry: kind "envelope-event" uses its envelope schema,
/// "conversation-snapshot" and "lifecycle-transition" its snapshot and transition schemas (no
/// check when the directory has none), any other kind its detail schema (the common one for
/// unknown kinds); detail is "<pointer>: <keyword>".
SchemaCheck schema_check(std::shared_ptr<const SchemaRegistry> registry);

class Validator {
public:
    /// Envelope events: `check` is called with kind "envelope-event" for the event object, then
    /// with the event's kind for its data. Notifications: with the kind for the eventBody.
    /// Snapshots: with "conversation-snapshot" for the eventBody. Transitions: with
    /// "lifecycle-transition" for the whole event. Without a check only the structure the
    /// pipeline relies on is enforced.
    explicit Validator(SchemaCheck check = {});

    /// True when the event is valid; otherwise `detail` says where and which keyword.
    bool validate(const core::Event& event, std::string& detail) const;

private:
    bool validate_notification(const core::Event& event, std::string& detail) const;
    bool validate_snapshot(const core::Event& event, std::string& detail) const;
    bool validate_envelope(const core::Event& event, std::string& detail) const;

    SchemaCheck check_;
};

}  // namespace gstream::pipeline

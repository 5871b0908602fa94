#include "pipeline/validator.hpp"

#include <fmt/format.h>

#include "pipeline/schema/schema_registry.hpp"

namespace gstream::pipeline {

SchemaCheck schema_check(std::shared_ptr<const SchemaRegistry> registry) {
    return [registry = std::move(registry)](std::string_view kind, const core::JsonValue& value,
                                            std::string& detail) {
        const CompiledSchema* schema = nullptr;
        if (kind == kEnvelopeEventCheck) {
            schema = &registry->envelope_event();
        } else if (kind == kSnapshotCheck) {
            schema = registry->snapshot();
        } else if (kind == kTransitionCheck) {
            schema = registry->transition();
        } else {
            schema = &registry->detail(kind);
        }
        // The success path builds no SchemaError; a failure is validated again to describe it.
        if (schema == nullptr || schema->validate(value)) {
            return true;
        }
        SchemaError error;
        schema->validate(value, &error);
        detail = fmt::format("{}: {}", error.instance_pointer, error.keyword);
        return false;
    };
}

Validator::Validator(SchemaCheck check)
    : check_(std::move(check)) {}

bool Validator::validate(const core::Event& event, std::string& detail) const {
    switch (event.format) {
        case core::EventFormat::kNotification:
            return validate_notification(event, detail);
        case core::EventFormat::kSnapshot:
            return validate_snapshot(event, detail);
        case core::EventFormat::kTransition:
            if (check_ && !check_(kTransitionCheck, event.value, detail)) {
                return false;
            }
            return validate_envelope(event, detail);
        case core::EventFormat::kEnvelope:
            break;
    }
    if (check_) {
        if (!check_(kEnvelopeEventCheck, event.value, detail)) {
            return false;
        }
        if (!check_(event.kind, event.data, detail)) {
            detail.insert(0, "/data");
            return false;
        }
    }
    return validate_envelope(event, detail);
}

bool Validator::validate_envelope(const core::Event& event, std::string& detail) const {
    // What the pipeline itself relies on, whatever the schemas say.
    if (!event.value.is_object()) {
        detail = ": type (event is not an object)";
        return false;
    }
    if (!event.id.is_string() || event.id.get_string().empty()) {
        detail = "/id: required (a non-empty string)";
        return false;
    }
    if (!event.event_type.is_string()) {
        detail = "/eventType: required (a string)";
        return false;
    }
    if (!event.value.find("timestamp").is_string()) {
        detail = "/timestamp: required (a date-time string)";
        return false;
    }
    if (!event.data.is_object()) {
        detail = "/data: type (an object)";
        return false;
    }
    return true;
}

bool Validator::validate_notification(const core::Event& event, std::string& detail) const {
    if (check_ && !check_(event.kind, event.data, detail)) {
        detail.insert(0, "/eventBody");
        return false;
    }
    if (!event.id.is_string() || event.id.get_string().empty()) {
        detail = "/metadata/CorrelationId: required (a non-empty string)";
        return false;
    }
    if (!event.data.is_object()) {
        detail = "/eventBody: type (an object)";
        return false;
    }
    const core::JsonValue event_time = event.data.find("eventTime");
    if (!event_time.valid() || event_time.type() != core::JsonType::kInteger) {
        detail = "/eventBody/eventTime: type (an integer, epoch milliseconds)";
        return false;
    }
    return true;
}

// What the deriver needs (SnapshotDeriver::derive): an eventBody object with a non-empty string
// `id` and a `participants` array. metadata.CorrelationId is checked by the pipeline only when raw
// snapshots are emitted (it is their id).
bool Validator::validate_snapshot(const core::Event& event, std::string& detail) const {
    if (check_ && !check_(kSnapshotCheck, event.data, detail)) {
        detail.insert(0, "/eventBody");
        return false;
    }
    if (!event.data.is_object()) {
        detail = "/eventBody: type (a conversation snapshot object)";
        return false;
    }
    const core::JsonValue id = event.data.find("id");
    if (!id.is_string() || id.get_string().empty()) {
        detail = "/eventBody/id: required (a non-empty string, the conversation id)";
        return false;
    }
    if (!event.data.find("participants").is_array()) {
        detail = "/eventBody/participants: required (an array)";
        return false;
    }
    return true;
}

}  // namespace gstream::pipeline

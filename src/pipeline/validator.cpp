#include "pipeline/validator.hpp"

namespace gstream::pipeline {

Validator::Validator(SchemaCheck check)
    : check_(std::move(check)) {}

bool Validator::validate(const core::Event& event, std::string& detail) const {
    if (check_) {
        if (!check_("envelope-event", event.value, detail)) {
            return false;
        }
        if (!check_(event.event_type.get_string(), event.data, detail)) {
            detail.insert(0, "/data");
            return false;
        }
    }
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

}  // namespace gstream::pipeline

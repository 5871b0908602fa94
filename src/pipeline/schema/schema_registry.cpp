#include "pipeline/schema/schema_registry.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "core/shipped_schemas.hpp"

namespace gstream::pipeline {
namespace {

constexpr std::string_view kEnvelopeStem = "envelope-event";
constexpr std::string_view kCommonStem = "detail-common";
constexpr std::string_view kSnapshotStem = "conversation-snapshot";
constexpr std::string_view kTransitionStem = "lifecycle-transition";

bool is_structural(std::string_view stem) {
    return stem == kEnvelopeStem || stem == kCommonStem || stem == kSnapshotStem ||
           stem == kTransitionStem;
}

// The length and the first and last eight bytes (or all of a shorter kind) tell the kinds apart
// well enough for the table, at a fixed cost per lookup.
std::uint64_t kind_hash(std::string_view kind) noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    const std::size_t n = kind.size();
    if (n >= 8) {
        std::memcpy(&a, kind.data(), 8);
        std::memcpy(&b, kind.data() + n - 8, 8);
    } else {
        std::memcpy(&a, kind.data(), n);
    }
    const std::uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ULL) ^ n) * 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 32);
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

SchemaRegistry SchemaRegistry::load(const std::string& dir) {
    namespace fs = std::filesystem;
    SchemaRegistry registry;
    std::vector<fs::path> files;
    if (core::is_built_in_schema_path(dir)) {
        // "(built-in)/events": the shipped files whose path is "events/<name>".
        const std::string_view relative = std::string_view(dir).substr(
            std::min(dir.size(), core::kBuiltInSchemaDir.size() + 1));
        for (const core::ShippedSchema& s : core::shipped_schema_files()) {
            const fs::path p(s.path);
            if (p.parent_path() == fs::path(relative) && ends_with(p.filename().string(), kSuffix)) {
                files.push_back(fs::path(dir) / p.filename());
            }
        }
    } else {
        std::error_code ec;
        fs::directory_iterator it(dir, ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("{}: cannot read the schema directory: {}", dir, ec.message()));
        }
        for (const fs::directory_entry& entry : it) {
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file() && ends_with(name, kSuffix)) {
                files.push_back(entry.path());
            }
        }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
        const std::string name = path.filename().string();
        std::string stem = name.substr(0, name.size() - kSuffix.size());
        registry.schemas_.emplace(std::move(stem), CompiledSchema::compile_file(path.string()));
    }
    const auto envelope = registry.schemas_.find(kEnvelopeStem);
    const auto common = registry.schemas_.find(kCommonStem);
    if (envelope == registry.schemas_.end() || common == registry.schemas_.end()) {
        throw std::runtime_error(fmt::format("{}: missing {} or {}", dir, kEnvelopeFile,
                                             kCommonFile));
    }
    registry.envelope_ = &envelope->second;
    registry.common_ = &common->second;
    if (const auto s = registry.schemas_.find(kSnapshotStem); s != registry.schemas_.end()) {
        registry.snapshot_ = &s->second;
    }
    if (const auto t = registry.schemas_.find(kTransitionStem); t != registry.schemas_.end()) {
        registry.transition_ = &t->second;
    }
    std::size_t size = 4;
    while (size < registry.schemas_.size() * 2) {
        size *= 2;
    }
    registry.kinds_by_name_.assign(size, KindSlot{});
    for (const auto& [stem, schema] : registry.schemas_) {
        if (is_structural(stem)) {
            continue;
        }
        std::size_t slot = kind_hash(stem) & (size - 1);
        while (registry.kinds_by_name_[slot].schema != nullptr) {
            slot = (slot + 1) & (size - 1);
        }
        registry.kinds_by_name_[slot] = KindSlot{stem, &schema};
    }
    return registry;
}

const CompiledSchema* SchemaRegistry::find_kind(std::string_view event_type) const noexcept {
    if (kinds_by_name_.empty()) {  // a moved-from registry
        return nullptr;
    }
    const std::size_t mask = kinds_by_name_.size() - 1;
    for (std::size_t slot = kind_hash(event_type) & mask;; slot = (slot + 1) & mask) {
        const KindSlot& s = kinds_by_name_[slot];
        if (s.schema == nullptr) {
            return nullptr;
        }
        if (s.kind == event_type) {
            return s.schema;
        }
    }
}

bool SchemaRegistry::has_kind(std::string_view event_type) const noexcept {
    return find_kind(event_type) != nullptr;
}

const CompiledSchema& SchemaRegistry::detail(std::string_view event_type) const noexcept {
    const CompiledSchema* schema = find_kind(event_type);
    return schema != nullptr ? *schema : *common_;
}

std::vector<std::string> SchemaRegistry::kinds() const {
    std::vector<std::string> out;
    for (const auto& [stem, schema] : schemas_) {
        if (has_kind(stem)) {
            out.push_back(stem);
        }
    }
    return out;
}

bool SchemaRegistry::validate_event(const core::JsonValue& event, SchemaError* error) const {
    if (!envelope_->validate(event, error)) {
        if (error != nullptr) {
            error->schema_pointer = fmt::format("{}#{}", kEnvelopeFile, error->schema_pointer);
        }
        return false;
    }
    // The envelope schema requires eventType (a string) and data (an object).
    const std::string_view event_type = event.find("eventType").get_string();
    if (!detail(event_type).validate(event.find("data"), error)) {
        if (error != nullptr) {
            error->instance_pointer = "/data" + error->instance_pointer;
            const std::string_view file = has_kind(event_type) ? event_type : kCommonStem;
            error->schema_pointer =
                fmt::format("{}{}#{}", file, kSuffix, error->schema_pointer);
        }
        return false;
    }
    return true;
}

}  // namespace gstream::pipeline

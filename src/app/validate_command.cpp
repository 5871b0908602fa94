#include "app/validate_command.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config_loader.hpp"
#include "core/shipped_schemas.hpp"
#include "core/json_document.hpp"
#include "pipeline/schema/schema_registry.hpp"
#include "pipeline/schema/schema_validator.hpp"

namespace gstream::app {
namespace {

struct ValidateArgs {
    std::string event_type;
    std::string schema_file;
    std::string schemas_dir;  ///< empty: shipped_schema_dir() + "/events" when the command runs
    std::vector<std::string> files;
};

// Checks one document; returns an empty string when valid, else the reason.
std::string check(const std::string& line, const ValidateArgs& args,
                  const pipeline::SchemaRegistry* registry, const pipeline::CompiledSchema* schema) {
    core::JsonDocument doc;
    if (!doc.parse(line)) {
        return fmt::format("not_json: offset {}: {}", doc.error().offset, doc.error().message);
    }
    const core::JsonValue root = doc.root();
    pipeline::SchemaError error;
    auto describe = [&](std::string_view prefix) {
        return fmt::format("schema: {}{}: {} ({})", prefix, error.instance_pointer, error.keyword,
                           error.message);
    };
    if (schema != nullptr) {
        return schema->validate(root, &error) ? "" : describe("");
    }
    if (!args.event_type.empty()) {
        return registry->detail(args.event_type).validate(root, &error) ? "" : describe("");
    }
    if (!registry->envelope_event().validate(root, &error)) {
        return describe("");
    }
    const core::JsonValue type = root.find("eventType");
    return registry->detail(type.get_string()).validate(root.find("data"), &error)
               ? ""
               : describe("/data");
}

int run(const ValidateArgs& args) {
    std::optional<pipeline::SchemaRegistry> registry;
    std::optional<pipeline::CompiledSchema> schema;
    try {
        if (!args.schema_file.empty()) {
            schema.emplace(pipeline::CompiledSchema::compile_file(args.schema_file));
        } else {
            const std::string dir = args.schemas_dir.empty()
                                        ? gstream::config::shipped_schema_dir() + "/events"
                                        : args.schemas_dir;
            registry.emplace(pipeline::SchemaRegistry::load(dir));
            std::fprintf(stderr, "genesys-stream validate: event schemas %s\n",
                         core::is_built_in_schema_path(dir) ? "built in"
                                                           : ("from " + dir).c_str());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "genesys-stream validate: %s\n", e.what());
        return 2;
    }
    bool all_valid = true;
    auto process = [&](std::istream& in, const std::string& name) {
        std::string line;
        std::size_t number = 0;
        while (std::getline(in, line)) {
            ++number;
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            if (line.find_first_not_of(" \t") == std::string::npos) {
                continue;
            }
            const std::string why = check(line, args, registry ? &*registry : nullptr,
                                          schema ? &*schema : nullptr);
            all_valid = all_valid && why.empty();
            std::printf("%s:%zu: %s\n", name.c_str(), number,
                        why.empty() ? "valid" : ("invalid: " + why).c_str());
        }
    };
    if (args.files.empty()) {
        process(std::cin, "-");
    }
    for (const std::string& f : args.files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "genesys-stream validate: cannot read '%s'\n", f.c_str());
            return 2;
        }
        process(in, f);
    }
    std::fflush(stdout);
    return all_valid ? 0 : 1;
}

}  // namespace

void register_validate_command(CLI::App& app) {
    auto args = std::make_shared<ValidateArgs>();
    CLI::App* cmd = app.add_subcommand(
        "validate", "Check JSON Lines documents (envelope events by default) against the schemas");
    auto* type = cmd->add_option("--event-type", args->event_type,
                                 "Validate detail event bodies of this kind (e.g. acd.end)");
    auto* schema = cmd->add_option("--schema", args->schema_file, "Validate against this schema");
    type->excludes(schema);
    cmd->add_option("--schemas-dir", args->schemas_dir,
                    "Folder of the event schemas (default: the built-in ones, or "
                    "--schema-dir's events/)");
    cmd->add_option("files", args->files, "JSON Lines files (default: standard input)");
    cmd->callback([args] { throw CLI::RuntimeError(run(*args)); });
}

}  // namespace gstream::app

#include "dlq/dlq_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config_loader.hpp"
#include "core/event.hpp"
#include "core/time.hpp"
#include "dlq/dead_letter_queue.hpp"
#include "pipeline/decoder.hpp"
#include "pipeline/schema/schema_registry.hpp"
#include "pipeline/schema/schema_validator.hpp"
#include "pipeline/validator.hpp"
#include "sink/sink_registry.hpp"
#include "wal/recovery.hpp"

namespace gstream::dlq {
namespace {

constexpr std::size_t kPage = 1000;

/// An argument or file problem: printed as one line, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Args {
    std::string config_path;
    std::string file_path;
    std::string reason;
    std::string since;
    std::string until;
    std::string limit;
    std::string id;
    bool json = false;
    bool all = false;
    bool yes = false;
    bool dry_run = false;
    std::string sink;  ///< replay: deliver to this configured sink only
};

// The sink a `sink_rejected` entry names ("sink NAME rejected the batch: ...", "sink NAME: not
// delivered before shutdown: ..."), or empty: the entry was never any sink's to take.
std::string rejecting_sink(const DeadLetter& d) {
    if (d.stage != "sink" || !d.detail.starts_with("sink ")) {
        return {};
    }
    const std::size_t end = d.detail.find_first_of(" :", 5);
    return d.detail.substr(5, end == std::string::npos ? std::string::npos : end - 5);
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return std::nullopt;
    }
    return v;
}

/// RFC 3339 or epoch milliseconds -> epoch milliseconds (fractions below 1 ms are dropped).
std::int64_t parse_time(const std::string& option, const std::string& text) {
    if (const auto ms = parse_int(text)) {
        return *ms;
    }
    const auto instant = core::parse_rfc3339(text);
    if (!instant) {
        throw UsageError(fmt::format(
            "{} '{}': expected an RFC 3339 date-time (2026-11-30T10:15:00Z) or epoch milliseconds",
            option, text));
    }
    return instant->ns / 1'000'000;
}

std::string format_time(std::int64_t ms) {
    const auto instant = core::instant_from_epoch_ms(ms);
    return instant ? core::format_rfc3339(*instant) : std::to_string(ms);
}

bool has_filter(const Args& a) {
    return !a.reason.empty() || !a.since.empty() || !a.until.empty() || !a.limit.empty();
}

ListFilter make_filter(const Args& a) {
    ListFilter f;
    if (!a.reason.empty()) {
        f.reason = a.reason;
    }
    if (!a.since.empty()) {
        f.since_ms = parse_time("--since", a.since);
    }
    if (!a.until.empty()) {
        f.until_ms = parse_time("--until", a.until);
    }
    f.limit = 0;
    if (!a.limit.empty()) {
        const auto n = parse_int(a.limit);
        if (!n || *n <= 0) {
            throw UsageError(fmt::format("--limit '{}': expected a positive integer", a.limit));
        }
        f.limit = static_cast<std::size_t>(*n);
    }
    return f;
}

/// Every entry matching `filter` (its limit applied; 0 = all), read page by page.
std::vector<DeadLetter> collect(const DeadLetterQueue& queue, ListFilter filter) {
    const std::size_t wanted = filter.limit;
    std::vector<DeadLetter> out;
    for (;;) {
        filter.limit = wanted == 0 ? kPage : std::min(kPage, wanted - out.size());
        std::vector<DeadLetter> page = queue.list(filter);
        const bool last = page.size() < filter.limit;
        for (DeadLetter& d : page) {
            out.push_back(std::move(d));
        }
        if (last || (wanted != 0 && out.size() >= wanted) || out.empty()) {
            return out;
        }
        filter.after_id = out.back().id;
    }
}

struct Resolved {
    std::optional<config::Config> config;
    std::string queue_path;
};

Resolved resolve(const Args& a, bool need_config) {
    Resolved r;
    if (!a.config_path.empty()) {
        try {
            r.config = config::load_config_file(a.config_path, config::default_schema_path());
        } catch (const std::exception& e) {
            throw UsageError(e.what());
        }
        r.queue_path = r.config->dead_letter.path;
    } else if (need_config) {
        throw UsageError(
            "--config FILE is required (the sinks to deliver to are configured there)");
    }
    if (!a.file_path.empty()) {
        r.queue_path = a.file_path;
    }
    if (r.queue_path.empty()) {
        throw UsageError("name the dead-letter queue with --config FILE or --file PATH");
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(r.queue_path, ec)) {
        throw UsageError(fmt::format("cannot read dead-letter queue '{}': no such file",
                                     r.queue_path));
    }
    return r;
}

DeadLetterQueue open_queue(const std::string& path) {
    try {
        return DeadLetterQueue::open(path);
    } catch (const std::exception& e) {
        throw UsageError(e.what());
    }
}

/// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when invalid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

/// A JSON string literal. Bytes that are not valid UTF-8 become \u00XX, one per byte (so the
/// output is valid JSON; such a byte reads back as the code point U+00XX, not the byte).
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"': out += "\\\""; ++i; continue;
            case '\\': out += "\\\\"; ++i; continue;
            case '\n': out += "\\n"; ++i; continue;
            case '\r': out += "\\r"; ++i; continue;
            case '\t': out += "\\t"; ++i; continue;
            default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\u{:04x}", c);
            ++i;
            continue;
        }
        const std::size_t n = utf8_length(s, i);
        if (n == 0) {
            out += fmt::format("\\u{:04x}", c);
            ++i;
            continue;
        }
        out.append(s.substr(i, n));
        i += n;
    }
    out += '"';
}

/// Tabs and line breaks in a detail would break the one-line-per-entry listing.
std::string one_line(std::string_view s) {
    std::string out(s);
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
    return out;
}

std::string json_line(const DeadLetter& d) {
    std::string out = fmt::format(R"({{"id":{},"time":"{}","time_ms":{},"source":)", d.id,
                                  format_time(d.time_ms), d.time_ms);
    append_json_string(out, d.source);
    out += R"(,"stage":)";
    append_json_string(out, d.stage);
    out += R"(,"reason":)";
    append_json_string(out, d.reason);
    out += R"(,"detail":)";
    append_json_string(out, d.detail);
    out += R"(,"subscription_id":)";
    if (d.subscription_id) {
        append_json_string(out, *d.subscription_id);
    } else {
        out += "null";
    }
    out += fmt::format(R"(,"raw_bytes":{},"raw":)", d.raw.size());
    append_json_string(out, d.raw);
    out += '}';
    return out;
}

int run_list(const Args& a) {
    const ListFilter filter = make_filter(a);
    const Resolved r = resolve(a, false);
    const DeadLetterQueue queue = open_queue(r.queue_path);
    const std::vector<DeadLetter> entries = collect(queue, filter);
    for (const DeadLetter& d : entries) {
        const std::string line =
            a.json ? json_line(d)
                   : fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}", d.id, format_time(d.time_ms),
                                 d.reason, d.stage, d.source, one_line(d.detail), d.raw.size());
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
    }
    std::fflush(stdout);
    std::fprintf(stderr, "%zu entries, backlog %lld\n", entries.size(),
                 static_cast<long long>(queue.backlog()));
    return 0;
}

int run_show(const Args& a) {
    const auto id = parse_int(a.id);
    if (!id) {
        throw UsageError(fmt::format("ID '{}': expected an entry id (an integer)", a.id));
    }
    const Resolved r = resolve(a, false);
    const DeadLetterQueue queue = open_queue(r.queue_path);
    const std::optional<DeadLetter> d = queue.get(*id);
    if (!d) {
        std::fprintf(stderr, "genesys-stream dlq show: no entry with id %lld\n",
                     static_cast<long long>(*id));
        return 1;
    }
    const std::string head = fmt::format(
        "id: {}\ntime: {}\ntime_ms: {}\nsource: {}\nstage: {}\nreason: {}\ndetail: {}\n"
        "subscription_id: {}\nraw_bytes: {}\nraw:\n",
        d->id, format_time(d->time_ms), d->time_ms, d->source, d->stage, d->reason, d->detail,
        d->subscription_id.value_or("-"), d->raw.size());
    std::fwrite(head.data(), 1, head.size(), stdout);
    std::fwrite(d->raw.data(), 1, d->raw.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    return 0;
}

int run_purge(const Args& a) {
    if (!has_filter(a) && !a.all) {
        throw UsageError("purge needs a filter (--reason, --since, --until, --limit) or --all");
    }
    const ListFilter filter = make_filter(a);
    const Resolved r = resolve(a, false);
    DeadLetterQueue queue = open_queue(r.queue_path);
    std::vector<std::int64_t> ids;
    for (const DeadLetter& d : collect(queue, filter)) {
        ids.push_back(d.id);
    }
    if (!a.yes) {
        if (::isatty(STDIN_FILENO) == 0) {
            throw UsageError(fmt::format(
                "purge would remove {} entries: pass --yes to confirm (standard input is not a "
                "terminal)",
                ids.size()));
        }
        std::fprintf(stderr, "remove %zu entries from %s? [y/N] ", ids.size(),
                     r.queue_path.c_str());
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") {
            std::printf("purged 0 entries, backlog %lld\n",
                        static_cast<long long>(queue.backlog()));
            return 0;
        }
    }
    const std::int64_t removed = queue.remove(ids);
    std::printf("purged %lld entries, backlog %lld\n", static_cast<long long>(removed),
                static_cast<long long>(queue.backlog()));
    return 0;
}

int run_replay(const Args& a) {
    const ListFilter filter = make_filter(a);
    const Resolved r = resolve(a, true);
    const config::Config& config = *r.config;

    // The same schema wiring as the daemon (src/app/daemon.cpp).
    const std::string schema_dir =
        config.pipeline.schemas_dir.value_or(gstream::config::shipped_schema_dir() + "/events");
    std::shared_ptr<pipeline::SchemaRegistry> schemas;
    try {
        schemas = std::make_shared<pipeline::SchemaRegistry>(
            pipeline::SchemaRegistry::load(schema_dir));
    } catch (const std::exception& e) {
        throw UsageError(e.what());
    }
    const pipeline::Validator validator(pipeline::schema_check(schemas));

    DeadLetterQueue queue = open_queue(r.queue_path);
    const std::vector<DeadLetter> entries = collect(queue, filter);
    const bool progress = ::isatty(STDERR_FILENO) != 0;

    // Events of whole messages never reached the daemon's de-duplication: those it has seen (the
    // write-ahead log checkpoint's window, when there is one) are repeats, not replayed.
    std::unordered_set<std::string> seen;
    if (config.wal.dir) {
        std::ifstream in(std::filesystem::path(*config.wal.dir) / "checkpoint", std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        wal::Checkpoint checkpoint;
        if (in && wal::parse_checkpoint(text.str(), checkpoint)) {
            for (wal::Checkpoint::Seen& s : checkpoint.seen) {
                seen.insert(std::move(s.id));
            }
        }
    }
    std::size_t duplicates = 0;

    pipeline::EnvelopeDecoder envelope_decoder;
    pipeline::NotificationDecoder notification_decoder;
    std::vector<core::Event> valid;
    std::vector<std::int64_t> valid_ids;    // parallel to `valid`
    std::vector<std::string> valid_sinks;   // parallel: the one sink it is for, or empty: all
    std::vector<std::int64_t> handled_ids;  // entries with nothing left to deliver
    std::size_t still_invalid = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const DeadLetter& d = entries[i];
        auto message = std::make_shared<core::Message>();
        pipeline::DecodeOutput out;
        // A notification entry, and an entry of the write-ahead log's stage (wal_corrupt, or
        // not logged before shutdown), is a whole received message; an envelope entry of another
        // stage is one event of its envelope.
        const bool whole_message = d.source == "notifications" || d.stage == "wal";
        if (d.source == "notifications") {
            message->payload = d.raw;
            notification_decoder.decode(message, out);
        } else {
            message->payload = whole_message
                                   ? d.raw
                                   : R"({"subscriptionId":"replay","events":[)" + d.raw + "]}";
            envelope_decoder.decode(message, out);
        }
        std::string detail;
        bool ok = !out.events.empty() && out.rejections.empty() &&
                  (whole_message || out.events.size() == 1);
        for (std::size_t k = 0; ok && k < out.events.size(); ++k) {
            ok = validator.validate(out.events[k], detail);
        }
        if (ok) {
            for (core::Event& e : out.events) {
                std::string id(e.id.get_string());
                if (whole_message && !seen.insert(std::move(id)).second) {
                    ++duplicates;  // the entry is handled all the same
                    continue;
                }
                valid.push_back(std::move(e));
                valid_ids.push_back(d.id);
                valid_sinks.push_back(rejecting_sink(d));
            }
            if (out.events.size() > 0 && (valid_ids.empty() || valid_ids.back() != d.id)) {
                handled_ids.push_back(d.id);  // every event of it was a repeat
            }
        } else {
            ++still_invalid;
        }
        if (progress && ((i + 1) % 100 == 0 || i + 1 == entries.size())) {
            std::fprintf(stderr, "\rreplay: checked %zu/%zu", i + 1, entries.size());
            if (i + 1 == entries.size()) {
                std::fputc('\n', stderr);
            }
        }
    }

    // Instant order; ties keep queue (id) order.
    std::vector<std::size_t> order(valid.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        return valid[x].instant.ns < valid[y].instant.ns;
    });
    // Which configured sinks take part: --sink names one; a sink_rejected entry goes back only
    // to the sink that refused it (the others have it), any other entry to every sink.
    std::vector<const config::SinkConfig*> targets;
    for (const config::SinkConfig& s : config.sinks) {
        if (a.sink.empty() || s.name == a.sink) {
            targets.push_back(&s);
        }
    }
    if (targets.empty()) {
        std::string names;
        for (const config::SinkConfig& s : config.sinks) {
            names += (names.empty() ? "" : ", ") + s.name;
        }
        throw UsageError("--sink " + a.sink + ": no sink of that name in the configuration (" +
                         names + ")");
    }
    std::vector<std::int64_t> delivered_ids;
    std::size_t delivered = 0;
    for (std::size_t i : order) {
        bool taken = false;
        for (const config::SinkConfig* s : targets) {
            taken = taken || valid_sinks[i].empty() || valid_sinks[i] == s->name;
        }
        if (taken) {
            delivered_ids.push_back(valid_ids[i]);
            ++delivered;
        }
    }

    if (!a.dry_run && delivered > 0) {
        for (const config::SinkConfig* s : targets) {
            std::vector<core::Event> batch;
            for (std::size_t i : order) {
                if (valid_sinks[i].empty() || valid_sinks[i] == s->name) {
                    batch.push_back(valid[i]);
                }
            }
            if (batch.empty()) {
                continue;
            }
            std::unique_ptr<sink::Sink> sink;
            try {
                sink = sink::make_sink(*s);  // through the registry, as the daemon builds it
            } catch (const std::exception& e) {
                throw UsageError(e.what());
            }
            const sink::SinkResult written = sink->write_batch(batch);
            const std::vector<sink::RejectedEvent> refused = sink->take_rejected();
            if (written != sink::SinkResult::kOk || !refused.empty() ||
                sink->flush() != sink::SinkResult::kOk) {
                std::fprintf(stderr,
                             "genesys-stream dlq replay: sink '%s' failed: %s; nothing removed\n",
                             s->name.c_str(),
                             refused.empty() ? sink->last_error().c_str()
                                             : refused.front().detail.c_str());
                return 1;
            }
        }
        std::sort(delivered_ids.begin(), delivered_ids.end());
        delivered_ids.erase(std::unique(delivered_ids.begin(), delivered_ids.end()),
                            delivered_ids.end());
        queue.remove(delivered_ids);
    }
    if (!a.dry_run && !handled_ids.empty()) {
        queue.remove(handled_ids);
    }
    std::printf("replay: matched=%zu delivered=%zu duplicates=%zu still_invalid=%zu%s\n",
                entries.size(), delivered, duplicates, still_invalid,
                a.dry_run ? " (dry run)" : "");
    std::fflush(stdout);
    return 0;
}

void add_queue_options(CLI::App* cmd, Args& a) {
    cmd->add_option("--config,-c", a.config_path, "Configuration file (YAML): dead_letter.path");
    cmd->add_option("--file", a.file_path, "The dead-letter SQLite file (overrides --config)");
}

void add_filters(CLI::App* cmd, Args& a) {
    cmd->add_option("--reason", a.reason, "Only this reason code (e.g. schema, not_json)");
    cmd->add_option("--since", a.since, "Dead-lettered at or after T (RFC 3339 or epoch ms)");
    cmd->add_option("--until", a.until, "Dead-lettered before T (RFC 3339 or epoch ms)");
    cmd->add_option("--limit", a.limit, "At most N entries (oldest first)");
}

int run_dlq(std::vector<std::string> argv) {
    Args a;
    CLI::App app{"Inspect, purge and replay the dead-letter queue", "genesys-stream dlq"};
    app.require_subcommand(1);
    CLI::App* list = app.add_subcommand("list", "List entries, one per line");
    add_queue_options(list, a);
    add_filters(list, a);
    list->add_flag("--json", a.json, "JSON Lines with every field");
    CLI::App* show = app.add_subcommand("show", "Print every field of one entry");
    add_queue_options(show, a);
    show->add_option("id", a.id, "Entry id")->required();
    CLI::App* purge = app.add_subcommand("purge", "Remove matching entries");
    add_queue_options(purge, a);
    add_filters(purge, a);
    purge->add_flag("--all", a.all, "Remove every entry");
    purge->add_flag("--yes,-y", a.yes, "Do not ask for confirmation");
    CLI::App* replay =
        app.add_subcommand("replay", "Validate matching entries again and deliver the valid ones");
    add_queue_options(replay, a);
    add_filters(replay, a);
    replay->add_flag("--dry-run", a.dry_run, "Only report; write and remove nothing");
    replay->add_option("--sink", a.sink,
                       "Deliver to this configured sink only (by name). Without it, an entry a "
                       "sink rejected goes back to that sink only, any other to every sink");

    std::reverse(argv.begin(), argv.end());  // CLI11 takes the vector reversed
    try {
        app.parse(argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            return app.exit(e);
        }
        std::fprintf(stderr, "genesys-stream dlq: %s (see genesys-stream dlq --help)\n", e.what());
        return 2;
    }
    try {
        if (list->parsed()) {
            return run_list(a);
        }
        if (show->parsed()) {
            return run_show(a);
        }
        if (purge->parsed()) {
            return run_purge(a);
        }
        return run_replay(a);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "genesys-stream dlq: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "genesys-stream dlq: %s\n", e.what());
        return 2;
    }
}

}  // namespace

void register_dlq_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand(
        "dlq", "Dead-letter queue: list, show, purge, replay (genesys-stream dlq --help)");
    cmd->prefix_command();
    cmd->set_help_flag();  // `dlq --help` goes to the command's own parser
    cmd->callback([cmd] { throw CLI::RuntimeError(run_dlq(cmd->remaining())); });
}

}  // namespace gstream::dlq

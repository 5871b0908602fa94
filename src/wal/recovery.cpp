#include "wal/recovery.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/clock.hpp"
#include "core/file_mode.hpp"
#include "ops/logging.hpp"
#include "ops/metrics.hpp"

namespace gstream::wal {
namespace {

using core::wall_ms;

namespace fs = std::filesystem;

// Format 2 keys sinks by name; format 1 (read only) keyed them by the file's path.
constexpr std::string_view kHeader = "gstream-checkpoint 2\n";
constexpr std::string_view kHeaderV1 = "gstream-checkpoint 1\n";
constexpr const char* kFileName = "checkpoint";

template <class T>
bool parse_number(std::string_view s, T& out) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

// Splits "a b rest of line" into its first word and the rest.
std::pair<std::string_view, std::string_view> split(std::string_view line) {
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {
        return {line, {}};
    }
    return {line.substr(0, sp), line.substr(sp + 1)};
}

bool write_file_durably(const std::string& dir,
                        const std::string& name,
                        const std::string& data,
                        std::string& error) {
    const std::string tmp = (fs::path(dir) / (name + ".tmp")).string();
    const std::string path = (fs::path(dir) / name).string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, core::kDataFileMode);
    if (fd < 0) {
        error = fmt::format("cannot create '{}': {}", tmp, std::strerror(errno));
        return false;
    }
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error = fmt::format("cannot write '{}': {}", tmp,
                                n < 0 ? std::strerror(errno) : "no progress");
            ::close(fd);
            ::unlink(tmp.c_str());
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd) != 0) {
        error = fmt::format("cannot sync '{}': {}", tmp, std::strerror(errno));
        ::close(fd);
        ::unlink(tmp.c_str());
        return false;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        error = fmt::format("cannot rename '{}': {}", tmp, std::strerror(errno));
        return false;
    }
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return true;
}

}  // namespace

const Checkpoint::SinkPosition* Checkpoint::position_of(const SinkIdentity& sink) const {
    for (const SinkPosition& p : sinks) {
        if (!p.name.empty() && p.name == sink.name) {
            return &p;
        }
    }
    for (const SinkPosition& p : sinks) {
        if (p.name.empty() && !sink.path.empty() && p.path == sink.path) {
            return &p;  // format 1
        }
    }
    return nullptr;
}

std::string format_checkpoint(const Checkpoint& c) {
    std::string out(kHeader);
    out += fmt::format("next_sequence {}\n", c.next_sequence);
    if (c.outbox_end > 0) {
        out += fmt::format("outbox_end {}\n", c.outbox_end);
    }
    // Names have no spaces (the `sink-name` format); the path, last, may.
    for (const Checkpoint::SinkPosition& s : c.sinks) {
        out += fmt::format("sink {} {} {} {}\n", s.name, s.size, s.cursor, s.path);
    }
    for (const Checkpoint::Seen& s : c.seen) {
        out += fmt::format("seen {} {}\n", s.age_ms, s.id);
    }
    out += fmt::format("end {:08x}\n", crc32c(0, out.data(), out.size()));
    return out;
}

bool parse_checkpoint(std::string_view text, Checkpoint& out) {
    out = {};
    const bool v1 = text.starts_with(kHeaderV1);
    if (!(v1 || text.starts_with(kHeader)) || !text.ends_with("\n")) {
        return false;
    }
    const std::size_t end = text.rfind("end ");
    if (end == std::string_view::npos || (end > 0 && text[end - 1] != '\n')) {
        return false;
    }
    std::uint32_t crc = 0;
    const std::string_view hex = text.substr(end + 4, text.size() - end - 5);
    const auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), crc, 16);
    if (ec != std::errc() || ptr != hex.data() + hex.size() || crc32c(0, text.data(), end) != crc) {
        return false;
    }
    std::string_view body = text.substr(kHeader.size(), end - kHeader.size());
    bool have_next = false;
    while (!body.empty()) {
        const std::size_t nl = body.find('\n');
        const std::string_view line = body.substr(0, nl);
        body.remove_prefix(nl + 1);
        const auto [key, rest] = split(line);
        if (key == "next_sequence") {
            have_next = parse_number(rest, out.next_sequence);
            if (!have_next) {
                return false;
            }
        } else if (key == "outbox_end") {
            if (!parse_number(rest, out.outbox_end)) {
                return false;
            }
        } else if (key == "cursor" && v1) {
            const auto [number, tail] = split(rest);
            if (out.sinks.empty() || out.sinks.back().path != tail ||
                !parse_number(number, out.sinks.back().cursor)) {
                return false;
            }
        } else if (key == "sink" && !v1) {
            Checkpoint::SinkPosition p;
            const auto [name, after_name] = split(rest);
            const auto [size, after_size] = split(after_name);
            const auto [cursor, path] = split(after_size);
            if (name.empty() || !parse_number(size, p.size) || !parse_number(cursor, p.cursor)) {
                return false;
            }
            p.name = name;
            p.path = path;
            out.sinks.push_back(std::move(p));
        } else if (key == "sink" || key == "seen") {
            const auto [number, tail] = split(rest);
            std::int64_t v = 0;
            if (!parse_number(number, v)) {
                return false;
            }
            if (key == "sink") {
                out.sinks.push_back({std::string(), std::string(tail), v});
            } else {
                out.seen.push_back({std::string(tail), v});
            }
        } else {
            return false;
        }
    }
    return have_next;
}

Recovery::Recovery(RecoveryOptions options,
                   const std::vector<SinkIdentity>& sinks,
                   ops::Metrics& metrics)
    : options_(std::move(options))
    , metrics_(metrics) {
    auto log = ops::logger("wal");
    boost::system::error_code ec;
    log_ = WriteAheadLog::open(options_.wal, ec);
    if (!log_) {
        throw std::runtime_error(fmt::format("write-ahead log: cannot open '{}': {} (wal.dir)",
                                             options_.wal.dir, ec.message()));
    }
    const std::string path = (fs::path(options_.wal.dir) / kFileName).string();
    std::ifstream in(path, std::ios::binary);
    if (in) {
        std::ostringstream text;
        text << in.rdbuf();
        have_checkpoint_ = true;
        if (!parse_checkpoint(text.str(), loaded_)) {
            throw std::runtime_error(fmt::format(
                "write-ahead log: checkpoint '{}' is damaged; move it away to replay the whole "
                "log (events since the oldest segment may then be delivered twice)",
                path));
        }
    }
    if (const auto sec = log_->skip_to(loaded_.next_sequence)) {
        throw std::runtime_error(fmt::format("write-ahead log: cannot continue at sequence {} in "
                                             "'{}': {}",
                                             loaded_.next_sequence, options_.wal.dir,
                                             sec.message()));
    }
    backlog_end_ = log_->next_sequence();
    // One sink left after a run with several: its batches still in the outbox go first.
    for (const SinkIdentity& sink : sinks) {
        const Checkpoint::SinkPosition* p = loaded_.position_of(sink);
        if (p != nullptr && p->cursor < loaded_.outbox_end) {
            options_.per_sink_cursors = true;
        }
    }
    if (options_.per_sink_cursors) {
        WalOptions o = options_.wal;
        o.dir = (fs::path(options_.wal.dir) / "outbox").string();
        outbox_ = std::make_unique<Outbox>(std::move(o), [this] { return give_up_ && give_up_(); });
        // Outbox records after the checkpoint came from messages the log replays now.
        outbox_->prepare(have_checkpoint_ ? loaded_.outbox_end : 0);
        metrics_.outbox_bytes().Set(static_cast<double>(outbox_->bytes()));
    }
    reader_ = std::make_unique<LogReader>(options_.wal.dir, loaded_.next_sequence);
    tracker_ = pipeline::CompletionTracker(loaded_.next_sequence);
    for (const SinkIdentity& sink : sinks) {
        const Checkpoint::SinkPosition* p = loaded_.position_of(sink);
        if (sink.path.empty() || p == nullptr) {
            continue;  // not a file sink, or new to the configuration
        }
        if (p->path != sink.path) {
            // The commit point was another file's: cutting this one to its size could lose lines.
            log->warn("file sink's path changed since the checkpoint; not cut back sink=\"{}\" "
                      "path=\"{}\" checkpoint_path=\"{}\"",
                      sink.name, sink.path, p->path);
            continue;
        }
        std::int64_t cut = 0;
        if (const auto tec =
                sink::file::FileSink::truncate_to_commit_point(sink.path, p->size, cut)) {
            throw std::runtime_error(
                fmt::format("file sink '{}': cannot cut '{}' back to its commit point {}: {}",
                            sink.name, sink.path, p->size, tec.message()));
        }
        if (cut > 0) {
            log->info("file sink cut back to its commit point sink=\"{}\" path=\"{}\" size={} "
                      "cut_bytes={}",
                      sink.name, sink.path, p->size, cut);
        } else if (cut < 0) {
            log->warn("file sink is shorter than its commit point (replaced or cut by hand?) "
                      "sink=\"{}\" path=\"{}\" commit_point={}",
                      sink.name, sink.path, p->size);
        }
    }
    metrics_.wal_bytes().Set(static_cast<double>(log_->bytes()));
    log->info("write-ahead log open dir=\"{}\" segments={} next_sequence={} replay_from={}",
              options_.wal.dir, log_->segments(), log_->next_sequence(), loaded_.next_sequence);
}

void Recovery::attach(pipeline::Pipeline& pipeline,
                      std::vector<sink::file::FileSink*> file_sinks,
                      pipeline::DeadLetterWriter& dead_letters,
                      std::function<bool()> dead_letters_ok,
                      std::int64_t now_ms) {
    pipeline_ = &pipeline;
    file_sinks_ = std::move(file_sinks);
    dead_letters_ = &dead_letters;
    dead_letters_ok_ = std::move(dead_letters_ok);
    pipeline.set_completion_tracker(&tracker_);
    pipeline::Deduplicator& dedup = pipeline.deduplicator();
    for (const Checkpoint::Seen& s : loaded_.seen) {
        dedup.remember(s.id, now_ms - s.age_ms);
    }
    last_checkpoint_ms_ = now_ms;
    log_->take_torn([this](const WalRecord& r) { on_corrupt(r); });
    dead_letter(corrupt_);
    if (!have_checkpoint_) {
        // The first start with a log: the sinks' current sizes are the commit point, so that a
        // crash before the first periodic checkpoint does not replay onto lines already there.
        if (!checkpoint(now_ms)) {
            throw std::runtime_error(fmt::format(
                "write-ahead log: cannot write the first checkpoint in '{}'", options_.wal.dir));
        }
    }
}

void Recovery::set_sinks(std::vector<std::unique_ptr<sink::Sink>> sinks,
                         std::vector<sink::file::FileSink*> files,
                         std::function<bool(std::vector<pipeline::Rejection>&)> dead_letter) {
    SinkCursorOptions o;
    o.commit_interval_ms = options_.checkpoint_interval_ms;
    o.sync_files = options_.wal.fsync != FsyncPolicy::kNever;
    for (std::size_t i = 0; i < sinks.size(); ++i) {
        sink::file::FileSink* file = i < files.size() ? files[i] : nullptr;
        // The checkpoint's cursor for this sink; a sink new to the config starts at the end.
        std::uint64_t position = outbox_->end();
        const SinkIdentity id{std::string(sinks[i]->name()),
                              file != nullptr ? file->path() : std::string()};
        if (const Checkpoint::SinkPosition* p = loaded_.position_of(id);
            have_checkpoint_ && p != nullptr && p->cursor <= position) {
            position = p->cursor;
        }
        cursors_.push_back(std::make_unique<SinkCursor>(
            std::move(sinks[i]), file, *outbox_, position, o,
            [this] { return give_up_ && give_up_(); }, dead_letter, metrics_));
        metrics_.sink_lag(cursors_.back()->label());
    }
}

std::vector<pipeline::SinkDriver::NamedCounts> Recovery::sink_counts() const {
    std::vector<pipeline::SinkDriver::NamedCounts> out;
    for (const auto& c : cursors_) {
        out.push_back(c->named_counts());
    }
    return out;
}

std::vector<std::string> Recovery::failing_sinks() const {
    std::vector<std::string> out;
    for (const auto& c : cursors_) {
        if (!c->writable()) {
            out.push_back(c->label());
        }
    }
    return out;
}

void Recovery::start(pipeline::FrameQueue& frames, std::function<bool()> give_up) {
    give_up_ = std::move(give_up);
    writer_ = std::make_unique<LogWriter>(*log_, frames, metrics_, give_up_);
    writer_->start();
    for (auto& c : cursors_) {
        c->start();
    }
}

void Recovery::finish_delivery() {
    if (!outbox_) {
        return;
    }
    outbox_->close();
    for (auto& c : cursors_) {
        // A sink still behind (stalled, or catching up) keeps a --once run or a drain waiting:
        // say which every few seconds, and keep the lag gauges moving (no checkpoint sets them
        // meanwhile).
        for (int waited_s = 1;
             !c->wait_stopped(std::chrono::steady_clock::now() + std::chrono::seconds(1));
             ++waited_s) {
            for (const auto& other : cursors_) {
                metrics_.sink_lag(other->label())
                    .Set(static_cast<double>(outbox_->end() - other->position()));
            }
            if (waited_s % 5 == 0) {
                ops::logger("wal")->warn(
                    "waiting for a sink to take the outbox sink=\"{}\" batches_behind={}",
                    c->label(), outbox_->end() - c->position());
            }
        }
        c->join();
    }
}

void Recovery::stop() {
    if (writer_) {
        writer_->join();
    }
}

Recovery::~Recovery() {
    if (outbox_) {
        outbox_->close();  // the cursors end once delivered (or given up on)
    }
    cursors_.clear();
}

bool Recovery::finished() const noexcept {
    return writer_ && writer_->finished() && reader_->next() >= writer_->durable();
}

// A torn or damaged record: counted, logged, and its bytes (when recoverable) queued for the
// dead-letter queue as wal_corrupt.
void Recovery::on_corrupt(const WalRecord& r) {
    ++corrupt_records_;
    metrics_.wal_corrupt_records().Increment();
    ops::logger("wal")->error("write-ahead log record skipped: {}", r.detail);
    if (!r.payload.empty()) {
        corrupt_.push_back(
            {core::Errc::kWalCorrupt, "wal", r.detail, std::string(r.payload), std::nullopt});
    }
}

// Written here, not through the pipeline: counted under their reason here too.
void Recovery::dead_letter(std::vector<pipeline::Rejection>& rejections) {
    if (rejections.empty()) {
        return;
    }
    for (const pipeline::Rejection& r : rejections) {
        metrics_.dead_lettered(r.reason == core::Errc::kWalCorrupt
                                   ? ops::DeadLetterReason::kWalCorrupt
                                   : ops::DeadLetterReason::kSinkRejected)
            .Increment();
    }
    dead_letters_->write(rejections);
    rejections.clear();
}

std::size_t Recovery::pump(std::chrono::steady_clock::time_point deadline,
                           const std::function<std::int64_t()>& now_ms,
                           std::size_t max_records) {
    const std::uint64_t end =
        writer_ ? writer_->wait_beyond(reader_->next(), deadline) : backlog_end_;
    std::size_t fed = 0;
    if (reader_->next() < end) {
        const std::int64_t now_ns = core::steady_ns();
        const std::int64_t now_wall = wall_ms();
        boost::system::error_code ec;
        fed = reader_->read(
            end, max_records,
            [&](const WalRecord& r) {
                if (r.corrupt) {
                    on_corrupt(r);
                    return;
                }
                // Latency counts from the receipt; a record of the last run from now.
                const bool backlog = r.sequence < backlog_end_;
                replayed_ += backlog ? 1 : 0;
                const std::int64_t received_ns =
                    backlog ? now_ns : now_ns - (now_wall - r.received_wall_ms) * 1'000'000;
                pipeline_->on_message(std::string(r.payload), received_ns, now_ms(), r.sequence);
            },
            ec);
        dead_letter(corrupt_);
        read_failed_.store(static_cast<bool>(ec), std::memory_order_relaxed);
        if (ec) {
            ops::logger("wal")->error(
                "write-ahead log read failed dir=\"{}\" sequence={} error=\"{}\"; retrying",
                options_.wal.dir, reader_->next(), ec.message());
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    if (!backlog_reported_ && reader_->next() >= backlog_end_) {
        backlog_reported_ = true;
        ops::logger("wal")->info("write-ahead log replayed records={} corrupt={}", replayed_,
                                 corrupt_records_);
    }
    if (writer_ && writer_->finished()) {
        // Frames that could not be logged before the shutdown deadline (disk full): the sinks
        // are past it too, so they go to the dead-letter queue for `dlq replay`.
        std::vector<pipeline::Rejection> unlogged;
        for (pipeline::ReceivedFrame& f : writer_->take_unlogged()) {
            unlogged.push_back({core::Errc::kSinkRejected, "wal",
                                "not written to the write-ahead log before shutdown (log "
                                "unavailable)",
                                std::move(f.payload), std::nullopt});
        }
        if (!unlogged.empty()) {
            ops::logger("wal")->error("{} message(s) not logged before shutdown: dead-lettered",
                                      unlogged.size());
            dead_letter(unlogged);
        }
    }
    return fed;
}

void Recovery::maybe_checkpoint(std::int64_t now_ms) {
    if (now_ms - last_checkpoint_ms_ >= options_.checkpoint_interval_ms) {
        checkpoint(now_ms);
    }
}

bool Recovery::checkpoint(std::int64_t now_ms) {
    last_checkpoint_ms_ = now_ms;
    auto log = ops::logger("wal");
    pipeline_->flush_dead_letters();
    if (dead_letters_ok_ && !dead_letters_ok_()) {
        log->warn("checkpoint skipped: the dead-letter queue is failing");
        return false;
    }
    Checkpoint c;
    if (outbox_) {
        // Every batch the pipeline handed over is durable in the outbox before a checkpoint
        // counts its messages as handled; each sink's own position was committed by its cursor.
        if (const auto ec = outbox_->sync()) {
            healthy_.store(false, std::memory_order_relaxed);
            log->error("checkpoint skipped: outbox sync failed dir=\"{}\" error=\"{}\"",
                       outbox_->dir(), ec.message());
            return false;
        }
        c.outbox_end = outbox_->end();
        for (const auto& cursor : cursors_) {
            const SinkCursor::Committed committed = cursor->committed();
            c.sinks.push_back(
                {cursor->label(), cursor->path(), committed.size, committed.position});
            metrics_.sink_lag(cursor->label())
                .Set(static_cast<double>(c.outbox_end - cursor->position()));
        }
    } else {
        for (sink::file::FileSink* s : file_sinks_) {
            if (s == nullptr) {
                continue;  // not a file sink: no commit point of its own yet
            }
            if (options_.wal.fsync != FsyncPolicy::kNever && s->sync() != sink::SinkResult::kOk) {
                log->warn("checkpoint skipped: {}", s->last_error());
                return false;
            }
            c.sinks.push_back({std::string(s->name()), s->path(), s->size()});
        }
    }
    c.next_sequence = tracker_.next_incomplete();
    // Nothing new since the last checkpoint (an idle stream): no I/O.
    std::vector<std::int64_t> signature{
        static_cast<std::int64_t>(c.next_sequence),
        static_cast<std::int64_t>(pipeline_->counts().messages.load()),
        static_cast<std::int64_t>(c.outbox_end)};
    for (const Checkpoint::SinkPosition& p : c.sinks) {
        signature.push_back(p.size);
        signature.push_back(static_cast<std::int64_t>(p.cursor));
    }
    if (signature == last_signature_) {
        return true;
    }
    pipeline_->deduplicator().for_each([&](std::string_view id, std::int64_t seen_ms) {
        if (!tracker_.held(id)) {
            c.seen.push_back({std::string(id), now_ms - seen_ms});
        }
    });
    std::string error;
    if (!write_file_durably(options_.wal.dir, kFileName, format_checkpoint(c), error)) {
        healthy_.store(false, std::memory_order_relaxed);
        log->error("checkpoint failed: {}", error);
        return false;
    }
    healthy_.store(true, std::memory_order_relaxed);
    last_signature_ = std::move(signature);
    if (outbox_ && !c.sinks.empty()) {
        std::uint64_t oldest = c.outbox_end;
        for (const Checkpoint::SinkPosition& p : c.sinks) {
            oldest = std::min(oldest, p.cursor);
        }
        if (oldest > 0) {
            outbox_->release_through(oldest - 1);
        }
        metrics_.outbox_bytes().Set(static_cast<double>(outbox_->bytes()));
    }
    if (c.next_sequence > 0) {
        if (writer_) {  // the writer's thread owns the log now
            writer_->release_through(c.next_sequence - 1);
        } else if (const auto ec = log_->release_through(c.next_sequence - 1)) {
            log->warn("write-ahead log segment not deleted: {}", ec.message());
        } else {
            metrics_.wal_bytes().Set(static_cast<double>(log_->bytes()));
        }
    }
    return true;
}

}  // namespace gstream::wal

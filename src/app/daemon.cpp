#include "app/daemon.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <limits>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/config_loader.hpp"
#include "core/clock.hpp"
#include "core/file_mode.hpp"
#include "dlq/dead_letter_queue.hpp"
#include "genesys/region.hpp"
#include "ops/admin_server.hpp"
#include "ops/logging.hpp"
#include "ops/metrics.hpp"
#include "ops/service_notifier.hpp"
#include "pipeline/frame_queue.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/schema/schema_registry.hpp"
#include "pipeline/schema/schema_validator.hpp"
#include "sink/file/file_sink.hpp"
#include "sink/sink_registry.hpp"
#include "source/notifications/topic_plan.hpp"
#include "source/source.hpp"
#include "wal/recovery.hpp"

namespace gstream::app {
namespace {

using core::steady_ms;
using core::steady_ns;
using core::wall_ms;

constexpr std::string_view kVersion = "0.1.0";

/// Writes rejections to the SQLite dead-letter queue.
/// Stores rejections in the dead-letter queue.
///
/// Keeping (the pipeline's writer): entries the database refuses (locked by another process, disk
/// full) stay pending, in order, and are retried by write() and retry() (the pipeline thread's
/// loop) with backoff, 1 s doubling to 30 s, until stored: never dropped. Between attempts the
/// pipeline runs on (each attempt may wait the database's 5 s busy timeout). healthy() is false
/// meanwhile (/readyz, and no checkpoint of the write-ahead log covers them, so a crash replays
/// their messages). Past kMaxPendingBytes, write() blocks retrying with backoff, which holds the
/// pipeline back (and, through it, the log or the socket) instead of growing memory; it gives up
/// only when `give_up()` says shutdown is past its deadline.
///
/// Not keeping (the cursors' writer): a refused write is reported by healthy() and the caller
/// (wal::SinkCursor) retries the same rejections itself.
class DlqWriter final : public pipeline::DeadLetterWriter {
public:
    static constexpr std::size_t kMaxPendingBytes = 64u << 20;

    DlqWriter(dlq::DeadLetterQueue& queue, std::string source, bool keep,
              std::function<bool()> give_up = {})
        : queue_(queue)
        , source_(std::move(source))
        , keep_(keep)
        , give_up_(std::move(give_up)) {}

    void write(std::vector<pipeline::Rejection>& rejections) override {
        if (!keep_) {
            pending_.clear();
            pending_bytes_ = 0;
        }
        const std::int64_t now = wall_ms();
        for (pipeline::Rejection& r : rejections) {
            dlq::DeadLetter d;
            d.time_ms = now;
            d.source = source_;
            d.stage = std::string(r.stage);
            d.reason = std::string(core::reason_name(r.reason));
            d.detail = std::move(r.detail);
            d.subscription_id = std::move(r.subscription_id);
            d.raw = std::move(r.raw);
            pending_bytes_ += d.raw.size() + d.detail.size() + 64;
            pending_.push_back(std::move(d));
        }
        if (!keep_ || steady_ms() >= next_try_ms_) {
            store();
        }
        // Bounded: past the cap, hold the pipeline until the database takes them.
        for (std::int64_t backoff_ms = 100; keep_ && pending_bytes_ > kMaxPendingBytes;
             backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000)) {
            if (give_up_ && give_up_()) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
            store();
        }
    }

    /// Retries the pending entries (keeping writer; pipeline thread). No-op when none wait.
    void retry() {
        if (!pending_.empty() && steady_ms() >= next_try_ms_) {
            store();
        }
    }

    /// At exit: retries until stored or `deadline_ms` (steady clock) passes; then logs what is
    /// lost (the write-ahead log, when on, replays their messages at the next start).
    void finish(std::int64_t deadline_ms, bool logged) {
        for (std::int64_t backoff_ms = 100; !pending_.empty() && steady_ms() < deadline_ms;
             backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 2000)) {
            store();
            if (!pending_.empty()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
            }
        }
        if (!pending_.empty()) {
            ops::logger("dlq")->error(
                "dead letters not stored before exit entries={}{}", pending_.size(),
                logged ? "; the write-ahead log replays their messages at the next start"
                       : "; lost (no write-ahead log)");
        }
    }

    bool healthy() const { return !failed_.load(); }
    std::size_t pending() const { return pending_.size(); }

private:
    void store() {
        if (pending_.empty()) {
            return;
        }
        if (const auto ec = queue_.append(pending_)) {
            backoff_ms_ = failed_.load() ? std::min<std::int64_t>(backoff_ms_ * 2, 30'000) : 1000;
            next_try_ms_ = steady_ms() + backoff_ms_;
            if (!failed_.exchange(true) || !keep_) {
                ops::logger("dlq")->error(
                    "dead-letter queue write failed entries={} error=\"{}\"{}", pending_.size(),
                    ec.message(), keep_ ? "; kept in memory and retried" : "");
            }
            return;
        }
        if (failed_.exchange(false) && keep_) {
            ops::logger("dlq")->info("dead-letter queue writable again; stored entries={}",
                                     pending_.size());
        }
        pending_.clear();
        pending_bytes_ = 0;
        next_try_ms_ = 0;
    }

    dlq::DeadLetterQueue& queue_;
    std::string source_;
    bool keep_;
    std::function<bool()> give_up_;
    std::vector<dlq::DeadLetter> pending_;
    std::size_t pending_bytes_ = 0;
    std::int64_t next_try_ms_ = 0;  // steady clock; the next store attempt while failing
    std::int64_t backoff_ms_ = 1000;
    std::atomic<bool> failed_{false};
};

/// Bridges the source's callbacks (io thread) to the frame queue and the metrics.
class Observer final : public source::SourceObserver {
public:
    Observer(pipeline::FrameQueue& queue, ops::Metrics& metrics)
        : queue_(queue)
        , metrics_(metrics) {}

    void on_frame(source::Frame&& frame) override {
        room_ = queue_.push_nowait({std::move(frame.payload), frame.received_ns});
    }
    bool accepting() override { return room_; }
    void on_connected() override {
        connected_.store(true);
        ever_connected_.store(true);
        metrics_.connected().Set(1);
        log_->info("stream connected");
        notify_status();
    }
    void on_disconnected(source::ConnectionError reason, std::string_view detail) override {
        connected_.store(false);
        metrics_.connected().Set(0);
        metrics_.connection_errors(map(reason)).Increment();
        // A close frame from the server (maintenance 1001, end of stream 1000) is routine.
        const auto level = reason == source::ConnectionError::kClosedByPeer ? spdlog::level::info
                                                                            : spdlog::level::warn;
        // A failure that repeats while the source backs off is logged once per interval per
        // reason (the metrics count every one).
        repeat_log_.log(level, source::to_string(reason), std::chrono::steady_clock::now(),
                        "stream disconnected reason={} detail=\"{}\"", source::to_string(reason),
                        detail);
        notify_status();
    }
    void on_topic_rejected(std::string_view topic, std::string_view detail) override {
        (void)topic;
        (void)detail;  // the source logs both (rate-limited)
        metrics_.topics_rejected().Increment();
    }
    void on_channel_rollover(std::string_view reason) override {
        metrics_.channel_rollovers().Increment();
        log_->info("notification channel rolled over reason={}", reason);
    }
    void on_reconnect_scheduled(std::int64_t delay_ms) override {
        metrics_.reconnects().Increment();
        repeat_log_.log(spdlog::level::info, "reconnect", std::chrono::steady_clock::now(),
                        "reconnecting delay_ms={}", delay_ms);
    }
    void on_fatal(std::string_view message) override {
        std::lock_guard lock(mutex_);
        fatal_ = std::string(message);
        log_->error("source failed: {}", message);
    }
    void on_finished() override {
        connected_.store(false);
        metrics_.connected().Set(0);
        queue_.close();
    }

    bool connected() const { return connected_.load(); }
    /// Whether a connection was ever made (then a lost one is "reconnecting").
    bool ever_connected() const { return ever_connected_.load(); }
    /// Tells systemd about connection changes; set before the source starts.
    void set_notifier(ops::ServiceNotifier* notifier) { notifier_ = notifier; }
    std::string fatal() const {
        std::lock_guard lock(mutex_);
        return fatal_;
    }

private:
    void notify_status() {
        if (notifier_ != nullptr) {
            notifier_->update_status();
        }
    }
    static ops::ConnectionError map(source::ConnectionError e) {
        using S = source::ConnectionError;
        using O = ops::ConnectionError;
        switch (e) {
            case S::kConnect: return O::kConnect;
            case S::kTls: return O::kTls;
            case S::kHandshake: return O::kHandshake;
            case S::kHttp401: return O::kHttp401;
            case S::kHttp403: return O::kHttp403;
            case S::kHttp429: return O::kHttp429;
            case S::kHttpOther: return O::kHttpOther;
            case S::kInvalidUtf8: return O::kInvalidUtf8;
            case S::kMessageTooLarge: return O::kMessageTooLarge;
            case S::kBinaryFrame: return O::kBinaryFrame;
            case S::kReadTimeout: return O::kReadTimeout;
            case S::kClosedAbnormally: return O::kClosedAbnormally;
            case S::kClosedByPeer: return O::kClosedByPeer;
            case S::kOther: return O::kOther;
        }
        return O::kOther;
    }

    pipeline::FrameQueue& queue_;
    ops::Metrics& metrics_;
    std::shared_ptr<spdlog::logger> log_ = ops::logger("app");
    ops::RateLimitedLog repeat_log_{log_, 1, std::chrono::seconds(60)};
    std::atomic<bool> connected_{false};
    std::atomic<bool> ever_connected_{false};
    ops::ServiceNotifier* notifier_ = nullptr;
    bool room_ = true;  // io thread only
    mutable std::mutex mutex_;
    std::string fatal_;
};

/// Moves the pipeline's and the sinks' counts into the Prometheus counters, by difference, at
/// scrape time (the hot path only touches relaxed atomics).
class MetricsSync {
public:
    MetricsSync(const pipeline::PipelineCounts& counts,
                std::vector<pipeline::SinkDriver::NamedCounts> sinks,
                ops::Metrics& metrics)
        : counts_(counts)
        , sinks_(std::move(sinks))
        , sink_last_(sinks_.size())
        , metrics_(metrics) {
        for (const pipeline::SinkDriver::NamedCounts& s : sinks_) {
            metrics_.add_sink(s.first);
        }
    }

    void sync() {
        std::lock_guard lock(mutex_);
        add(metrics_.events_received(), counts_.received, last_.received);
        // Delivered = acknowledged by every sink: the least of the sinks' counts (each sink may
        // read the outbox at its own pace).
        std::uint64_t delivered = UINT64_MAX;
        for (const auto& [name, c] : sinks_) {
            delivered = std::min(delivered, c->events.load(std::memory_order_relaxed));
        }
        if (sinks_.empty()) {
            delivered = counts_.delivered.load(std::memory_order_relaxed);
        }
        if (delivered > last_.delivered) {
            metrics_.events_delivered().Increment(static_cast<double>(delivered - last_.delivered));
            last_.delivered = delivered;
        }
        add(metrics_.duplicates(), counts_.duplicates, last_.duplicates);
        add(metrics_.late(), counts_.late, last_.late);
        add(metrics_.control_messages(), counts_.control, last_.control);
        for (std::size_t i = 0; i < sinks_.size(); ++i) {
            const auto& [name, c] = sinks_[i];
            SinkLast& last = sink_last_[i];
            const std::uint64_t ok = c->batches.load(std::memory_order_relaxed);
            const std::uint64_t rejects = c->rejects.load(std::memory_order_relaxed);
            add(metrics_.sink_writes(name, ops::SinkResult::kOk), c->batches, last.ok);
            add(metrics_.sink_writes(name, ops::SinkResult::kRetry), c->retries, last.retry);
            add(metrics_.sink_writes(name, ops::SinkResult::kReject), c->rejects, last.reject);
            add(metrics_.sink_events(name, true), c->events, last.events);
            add(metrics_.sink_events(name, false), c->events_rejected, last.events_rejected);
            // Each batch is handed over once, whatever the sink answered.
            if (ok + rejects > last.flushes) {
                metrics_.batch_flushes(name).Increment(static_cast<double>(ok + rejects -
                                                                           last.flushes));
                last.flushes = ok + rejects;
            }
        }
        for (std::size_t i = 0; i < pipeline::PipelineCounts::kReasons; ++i) {
            const auto reason = ops::dead_letter_reason(static_cast<core::Errc>(i));
            if (reason) {
                add(metrics_.dead_lettered(*reason), counts_.dead_lettered_by_reason[i],
                    last_.by_reason[i]);
            }
        }
        metrics_.snapshot_conversations().Set(
            static_cast<double>(counts_.snapshot_conversations.load(std::memory_order_relaxed)));
        for (std::size_t i = 0; i < pipeline::kSnapshotOutcomes; ++i) {
            add(metrics_.snapshots(static_cast<ops::SnapshotOutcome>(i)),
                counts_.snapshots_by_outcome[i], last_.by_outcome[i]);
        }
        static constexpr std::array<ops::FilterKind, 3> kKinds{
            ops::FilterKind::kQueue, ops::FilterKind::kState, ops::FilterKind::kField};
        for (std::size_t i = 0; i < kKinds.size(); ++i) {
            add(metrics_.filtered(kKinds[i]), counts_.filtered_by_kind[i + 1], last_.by_kind[i]);
        }
    }

private:
    static void add(prometheus::Counter& c, const std::atomic<std::uint64_t>& now,
                    std::uint64_t& last) {
        const std::uint64_t v = now.load(std::memory_order_relaxed);
        if (v > last) {
            c.Increment(static_cast<double>(v - last));
            last = v;
        }
    }

    struct SinkLast {
        std::uint64_t ok = 0, retry = 0, reject = 0, flushes = 0, events = 0, events_rejected = 0;
    };
    const pipeline::PipelineCounts& counts_;
    std::vector<pipeline::SinkDriver::NamedCounts> sinks_;
    std::vector<SinkLast> sink_last_;
    ops::Metrics& metrics_;
    std::mutex mutex_;
    struct Last {
        std::uint64_t received = 0, delivered = 0, duplicates = 0, late = 0, control = 0;
        std::array<std::uint64_t, pipeline::PipelineCounts::kReasons> by_reason{};
        std::array<std::uint64_t, 3> by_kind{};
        std::array<std::uint64_t, pipeline::kSnapshotOutcomes> by_outcome{};
    } last_;
};

source::SourceOptions source_options(const config::Config& c, bool once) {
    source::SourceOptions o;
    const config::SourceConfig& s = c.source;
    if (s.url) {
        o.stream_url = *s.url;
    } else if (c.genesys.base_url) {
        o.login_origin = *c.genesys.base_url;
        o.api_origin = *c.genesys.base_url;
    } else {
        const auto region = genesys::find_region(c.genesys.region);
        if (!region) {
            throw std::runtime_error(fmt::format("unknown genesys.region '{}'", c.genesys.region));
        }
        o.login_origin = genesys::login_origin(*region);
        o.api_origin = genesys::api_origin(*region);
    }
    o.client_id = c.genesys.client_id;
    o.client_secret = c.genesys.client_secret;
    o.queues = s.queues;
    o.states = s.states;
    o.max_message_bytes = s.max_message_bytes;
    o.connect_timeout_ms = s.connect_timeout_ms;
    o.ping_interval_ms = s.ping_interval_ms;
    o.idle_timeout_ms = s.idle_timeout_ms;
    o.reconnect_initial_ms = s.reconnect_initial_ms;
    o.reconnect_max_ms = s.reconnect_max_ms;
    o.subscribe_max_attempts = s.subscribe_max_attempts;
    o.token_refresh_margin_ms = c.genesys.token_refresh_margin_ms;
    o.tls_verify = s.tls.verify;
    o.ca_file = s.tls.ca_file;
    o.once = once;
    o.notifications.media = s.notifications.media;
    o.notifications.topics = s.notifications.topics;
    o.notifications.watchdog_ms = s.notifications.watchdog_ms;
    o.notifications.pong_timeout_ms = s.notifications.pong_timeout_ms;
    o.notifications.retire_grace_ms = s.notifications.retire_grace_ms;
    o.notifications.expiry_margin_ms = s.notifications.expiry_margin_ms;
    o.notifications.detail_topics = s.notifications.detail_topics;
    o.notifications.detail_linger_ms = s.notifications.detail_linger_ms;
    return o;
}

pipeline::Filter make_filter(const config::Config& c) {
    std::vector<core::InteractionState> states;
    for (const std::string& s : c.source.states) {
        if (const auto st = core::parse_interaction_state(s)) {
            states.push_back(*st);
        }
    }
    std::vector<pipeline::FieldFilter> fields;
    for (const config::FieldFilter& f : c.pipeline.filters) {
        fields.push_back({f.pointer, f.values, f.negate});
    }
    return pipeline::Filter(c.source.queues, std::move(states), std::move(fields));
}

// Frame read -> acknowledgement percentiles, as the upper bounds of the histogram's buckets,
// on stderr (make bench reads them).
void print_latency(prometheus::Histogram& histogram) {
    const prometheus::ClientMetric m = histogram.Collect();
    const auto total = m.histogram.sample_count;
    if (total == 0) {
        return;
    }
    auto percentile = [&](double q) {
        for (const auto& bucket : m.histogram.bucket) {
            if (static_cast<double>(bucket.cumulative_count) >= q * static_cast<double>(total)) {
                return bucket.upper_bound * 1000.0;
            }
        }
        return std::numeric_limits<double>::infinity();
    };
    std::fprintf(stderr, "latency (bucket upper bounds): latency_p50_ms=%g latency_p99_ms=%g\n",
                 percentile(0.50), percentile(0.99));
}

// The data directory's lock (`<data_dir>/.lock`, flock'ed for the life of the process and
// holding its pid): one daemon per directory. The dlq commands do not take it.
class DataDirLock {
public:
    explicit DataDirLock(int fd) : fd_(fd) {}
    ~DataDirLock() {
        if (fd_ >= 0) {
            ::close(fd_);  // releases the flock
        }
    }
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;

private:
    int fd_;
};

// Creates the data directory, checks that it can be written (its lock file is created there)
// and locks it. Throws one line naming the path, the cause and the ways out; another daemon on
// the same directory is named by its pid.
std::unique_ptr<DataDirLock> prepare_data_dir(const config::Config& c) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(c.data_dir, ec);
    std::string cause = ec ? ec.message() : std::string();
    int fd = -1;
    if (!ec) {
        const std::string lock = (fs::path(c.data_dir) / ".lock").string();
        fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, core::kDataFileMode);
        if (fd < 0) {
            cause = std::strerror(errno);
        } else if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            char pid[32] = {};
            const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
            ::close(fd);
            if (err == EWOULDBLOCK) {
                std::string other(pid, n > 0 ? static_cast<std::size_t>(n) : 0);
                while (!other.empty() && (other.back() == '\n' || other.back() == ' ')) {
                    other.pop_back();
                }
                throw std::runtime_error(fmt::format(
                    "data directory '{}' is in use by another genesys-stream (pid {}); stop it, "
                    "or give this one its own data_dir",
                    c.data_dir, other.empty() ? "unknown" : other));
            }
            cause = std::strerror(err);
            fd = -1;
        } else {
            const std::string pid = std::to_string(::getpid()) + "\n";
            if (::ftruncate(fd, 0) != 0 ||
                ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
                cause = std::strerror(errno);
                ::close(fd);
                fd = -1;
            }
        }
    }
    if (!cause.empty()) {
        throw std::runtime_error(fmt::format(
            "data directory '{}' cannot be created or written: {}; set data_dir to a directory "
            "this user can write{}",
            c.data_dir, cause,
            c.wal.enabled ? ", or wal.enabled: false to run without the write-ahead log (a crash "
                            "then loses what the pipeline held)"
                          : ""));
    }
    return std::make_unique<DataDirLock>(fd);
}

// The write-ahead log (docs/recovery.md), or nothing when wal.dir is absent. Opening it cuts the
// file sinks back to their commit point, so it comes before the sinks open their files.
std::unique_ptr<wal::Recovery> make_recovery(const config::Config& c, ops::Metrics& metrics) {
    if (!c.wal.dir) {
        return nullptr;
    }
    wal::RecoveryOptions o;
    o.wal.dir = *c.wal.dir;
    o.wal.segment_bytes = static_cast<std::uint64_t>(c.wal.segment_bytes);
    o.wal.fsync = c.wal.fsync == "always"  ? wal::FsyncPolicy::kAlways
                  : c.wal.fsync == "never" ? wal::FsyncPolicy::kNever
                                           : wal::FsyncPolicy::kBatch;
    o.checkpoint_interval_ms = c.wal.checkpoint_interval_ms;
    o.per_sink_cursors = true;  // one topology: every sink at its own cursor over the outbox
    std::vector<wal::SinkIdentity> sinks;
    for (const config::SinkConfig& s : c.sinks) {
        sinks.push_back({s.name, s.type == "file" ? s.path : std::string()});
    }
    return std::make_unique<wal::Recovery>(std::move(o), sinks, metrics);
}

}  // namespace

int run_daemon(const config::Config& config, const RunOptions& options) {
    ops::setup_logging(config.logging.level, config.logging.format);
    const bool notifications = config.source.protocol == "notifications";
    if (notifications && !config.source.url) {
        // The topic budget is checked before anything else (no network call, no file opened):
        // throws one line naming the counts (API-NOTES.md §3.3).
        const auto& n = config.source.notifications;
        const auto channels = source::notifications::pack_topics(
            source::notifications::build_topics(config.source.queues, n.media, n.topics),
            source::notifications::kMaxTopicsPerChannel,
            source::notifications::kMaxPlannedChannels - (n.detail_topics ? 1 : 0));
        ops::logger("app")->info("notifications: {} channel(s) planned", channels.size());
    }

    // Start order (DESIGN.md §4): the data directory, schemas and stores first, so a bad file
    // fails fast.
    const std::unique_ptr<DataDirLock> data_dir_lock = prepare_data_dir(config);
    const std::string schema_dir =
        config.pipeline.schemas_dir.value_or(gstream::config::shipped_schema_dir() + "/events");
    auto schemas =
        std::make_shared<const pipeline::SchemaRegistry>(pipeline::SchemaRegistry::load(schema_dir));
    pipeline::Validator validator(pipeline::schema_check(schemas));

    ops::Metrics metrics(kVersion);
    dlq::DeadLetterQueue dead_letter_queue = dlq::DeadLetterQueue::open(config.dead_letter.path);
    metrics.dead_letter_backlog().Set(static_cast<double>(dead_letter_queue.backlog()));
    dead_letter_queue.set_backlog_observer(
        [&metrics](std::int64_t n) { metrics.dead_letter_backlog().Set(static_cast<double>(n)); });

    std::unique_ptr<wal::Recovery> recovery = make_recovery(config, metrics);
    std::vector<std::unique_ptr<sink::Sink>> sinks;
    std::vector<sink::file::FileSink*> file_sinks;
    for (const config::SinkConfig& s : config.sinks) {
        sinks.push_back(sink::make_sink(s));
        // A file sink's size is its commit point in the checkpoint (docs/recovery.md).
        file_sinks.push_back(dynamic_cast<sink::file::FileSink*>(sinks.back().get()));
    }

    std::atomic<bool> stopping{false};
    std::atomic<std::int64_t> stop_deadline_ms{INT64_MAX};
    auto past_stop_deadline = [&] {
        return stopping.load() && steady_ms() >= stop_deadline_ms.load();
    };
    // The pipeline's dead letters wait in memory while the database refuses them (issue 16,
    // defect 2); the cursors retry their own.
    DlqWriter dlq_writer(dead_letter_queue, config.source.protocol, true, past_stop_deadline);
    // With the log, every sink (one or five) reads the outbox at its own cursor on its own
    // thread (docs/recovery.md); without it, the pipeline writes to the sinks itself.
    std::unique_ptr<pipeline::SinkDriver> driver;
    std::mutex cursor_dlq_mutex;
    DlqWriter cursor_dlq_writer(dead_letter_queue, config.source.protocol, false);
    pipeline::Delivery* delivery = nullptr;
    if (recovery && recovery->outbox() != nullptr) {
        recovery->set_sinks(std::move(sinks), file_sinks,
                            [&](std::vector<pipeline::Rejection>& rejections) {
                                std::lock_guard lock(cursor_dlq_mutex);
                                cursor_dlq_writer.write(rejections);
                                return cursor_dlq_writer.healthy();
                            });
        delivery = recovery->outbox();
    } else {
        driver = std::make_unique<pipeline::SinkDriver>(std::move(sinks),
                                                        pipeline::SinkDriverOptions{},
                                                        past_stop_deadline);
        delivery = driver.get();
    }

    pipeline::PipelineOptions po;
    po.protocol = notifications ? pipeline::Protocol::kNotifications : pipeline::Protocol::kEnvelope;
    po.allowed_lateness_ms = config.pipeline.allowed_lateness_ms;
    po.payloads_are_utf8 = true;  // WebSocket text messages (Beast checks), or log records of them
    po.late_policy = config.pipeline.late_policy == "dead_letter" ? pipeline::LatePolicy::kDeadLetter
                                                                  : pipeline::LatePolicy::kDeliver;
    po.batch.max_events = static_cast<std::size_t>(config.pipeline.batch.max_events);
    po.batch.max_bytes = static_cast<std::size_t>(config.pipeline.batch.max_bytes);
    po.batch.max_age_ms = config.pipeline.batch.max_age_ms;
    po.dedup_window_events = static_cast<std::uint64_t>(config.pipeline.dedup.window_events);
    po.dedup_window_ms = config.pipeline.dedup.window_ms;
    const config::SnapshotsConfig& snapshots = config.pipeline.snapshots;
    po.snapshot_emit = snapshots.emit == "snapshots" ? pipeline::SnapshotEmit::kSnapshots
                       : snapshots.emit == "both"    ? pipeline::SnapshotEmit::kBoth
                                                     : pipeline::SnapshotEmit::kTransitions;
    po.snapshots.ended_ttl_ms = snapshots.ended_ttl_ms;
    po.snapshots.idle_ttl_ms = snapshots.idle_ttl_ms;
    po.snapshots.max_conversations = static_cast<std::size_t>(snapshots.max_conversations);
    pipeline::Pipeline pipe(po, std::move(validator), make_filter(config), *delivery, dlq_writer);
    pipe.set_delivery_observer([&metrics](std::span<const core::Event> batch) {
        const std::int64_t now = steady_ns();
        metrics.batch_size().Observe(static_cast<double>(batch.size()));
        for (const core::Event& e : batch) {
            metrics.end_to_end_latency().Observe(static_cast<double>(now - e.received_ns) / 1e9);
        }
    });
    MetricsSync metrics_sync(pipe.counts(),
                             driver ? driver->named_counts() : recovery->sink_counts(), metrics);
    // One thread runs it (io_thread below): the hint lets Asio skip waking other threads.
    boost::asio::io_context io{1};  // outlives the source and the admin server
    pipeline::FrameQueue queue(static_cast<std::size_t>(config.source.queue_capacity));
    Observer observer(queue, metrics);
    // A full frame queue pauses the socket reads; the consumer's next pop resumes them (only
    // after the source has started: the queue's mutex orders the assignment before the call).
    std::unique_ptr<source::Source> source;
    queue.set_room_callback([&source] { source->resume_reading(); });
    if (recovery) {
        // From here every received frame is logged on the writer's thread; the pipeline reads
        // the log, the last run's unacknowledged messages first (docs/recovery.md).
        recovery->attach(pipe, file_sinks, dlq_writer, [&] { return dlq_writer.healthy(); },
                         steady_ms());
        recovery->start(queue, past_stop_deadline);
    }

    std::unique_ptr<ops::AdminServer> admin;
    if (config.metrics.listen) {
        admin = std::make_unique<ops::AdminServer>(
            io, *config.metrics.listen,
            [&] {
                metrics_sync.sync();
                return metrics.serialize();
            },
            [&] {
                ops::ReadyState state;
                if (stopping.load()) {
                    state.reasons.emplace_back("shutting down");
                }
                if (!observer.connected()) {
                    state.reasons.emplace_back("stream disconnected");
                }
                if (driver && !driver->writable()) {
                    state.reasons.emplace_back("a sink is failing");
                } else if (recovery) {
                    for (const std::string& name : recovery->failing_sinks()) {
                        state.reasons.push_back("sink " + name + " is failing");
                    }
                }
                if (!dlq_writer.healthy() || !cursor_dlq_writer.healthy()) {
                    state.reasons.emplace_back("dead-letter queue write failed");
                }
                if (recovery && !recovery->healthy()) {
                    state.reasons.emplace_back("write-ahead log write failed");
                }
                state.ready = state.reasons.empty();
                return state;
            });
        admin->start();
        // Tests and scripts read the bound port from this line (metrics.listen may use port 0).
        // On stderr, like every line that is not an event: stdout is for data (a stdout sink).
        const std::string& listen = *config.metrics.listen;
        std::fprintf(stderr, "admin listening %s:%u\n", listen.substr(0, listen.rfind(':')).c_str(),
                     static_cast<unsigned>(admin->port()));
    }

    // source.url reads that WebSocket directly whatever the protocol (the bench harness does).
    source = notifications && !config.source.url
                 ? source::make_notifications_source(io, source_options(config, options.once),
                                                     observer)
                 : source::make_envelope_source(io, source_options(config, options.once),
                                                observer);
    ops::ServiceNotifier notifier([&pipe, &observer] {
        const char* state = observer.connected()        ? "connected"
                            : observer.ever_connected() ? "reconnecting"
                                                        : "connecting";
        return fmt::format("{}; {} events delivered", state,
                           pipe.counts().delivered.load(std::memory_order_relaxed));
    });
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        if (ec) {
            return;
        }
        ops::logger("app")->info("signal received, draining signal={}", signo);
        notifier.stopping();
        stop_deadline_ms.store(steady_ms() + config.shutdown_timeout_ms);
        stopping.store(true);
        source->stop();
    });
    // systemd (Type=notify): start-up is done (config, data directory, sinks, admin server); the
    // connection to Genesys Cloud is reported in STATUS=, never awaited.
    observer.set_notifier(&notifier);
    notifier.start_timer(io);
    source->start();
    notifier.ready();
    std::thread io_thread([&io] {
        pthread_setname_np(pthread_self(), "gstream-io");  // for top -H, perf and gdb
        io.run();
    });

    // The pipeline thread: messages (from the log, or without one a queue-full of frames at a
    // time), plus the deadlines of the orderer, the batcher and the pending dead letters.
    std::vector<pipeline::ReceivedFrame> frames;
    std::vector<std::string> done;  // the pipeline's spent payload buffers, for the io thread to free
    for (;;) {
        const auto deadline = pipe.next_deadline_ms();
        const auto wait_until =
            std::chrono::steady_clock::now() +
            std::chrono::milliseconds(deadline ? std::max<std::int64_t>(0, *deadline - steady_ms())
                                               : 1000);
        if (recovery) {
            if (recovery->pump(wait_until, steady_ms) == 0) {
                if (recovery->finished()) {
                    break;
                }
                pipe.tick(steady_ms());
            }
            dlq_writer.retry();
            recovery->maybe_checkpoint(steady_ms());
            if (past_stop_deadline()) {
                break;  // what was not read stays in the log for the next start
            }
        } else if (queue.pop_all_until(wait_until, frames, &done) > 0) {
            for (pipeline::ReceivedFrame& frame : frames) {
                std::string spent =
                    pipe.on_message(std::move(frame.payload), frame.received_ns, steady_ms());
                if (spent.capacity() > 0) {
                    done.push_back(std::move(spent));
                }
            }
        } else if (queue.closed_and_empty()) {
            break;
        } else {
            pipe.tick(steady_ms());
        }
        if (!recovery) {
            dlq_writer.retry();
        }
    }
    notifier.stopping();
    // The dead-letter queue's checkpoint (copy + fdatasyncs) overlaps the drain and the sinks'
    // final fdatasync, instead of following them at close.
    dead_letter_queue.checkpoint_soon();
    pipe.drain(steady_ms());
    dlq_writer.finish(stopping.load() ? stop_deadline_ms.load()
                                      : steady_ms() + config.shutdown_timeout_ms,
                      recovery != nullptr);
    if (recovery) {
        recovery->finish_delivery();
        recovery->checkpoint(steady_ms());
    }

    signals.cancel();
    io.stop();
    io_thread.join();
    notifier.stop_timer();
    queue.close();
    if (recovery) {
        recovery->stop();  // logs what is still queued, for the next start
    }
    metrics_sync.sync();
    // With the log, each sink took the outbox at its own cursor: the summary is per sink.
    std::vector<pipeline::PipelineCounts::SinkTotals> sink_totals;
    if (recovery) {
        for (const auto& [name, c] : recovery->sink_counts()) {
            sink_totals.push_back({name, c->events.load(), c->events_rejected.load()});
        }
    }
    std::fprintf(stderr, "%s\n", pipe.counts().summary_lines(sink_totals).c_str());
    print_latency(metrics.end_to_end_latency());
    const std::string fatal = observer.fatal();
    if (!fatal.empty()) {
        std::fprintf(stderr, "genesys-stream: %s\n", fatal.c_str());
        return 1;
    }
    return 0;
}

}  // namespace gstream::app

#include "dlq/dead_letter_queue.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "core/errc.hpp"
#include "core/file_mode.hpp"
#include "ops/logging.hpp"

namespace gstream::dlq {
namespace {

struct DbCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Schema version 1. AUTOINCREMENT keeps ids unique for the life of the file, so an id an
// operator saw in `list` never names a different entry later.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS dead_letters (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms         INTEGER NOT NULL,
    source          TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    detail          TEXT    NOT NULL,
    subscription_id TEXT,
    raw             BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_time ON dead_letters(time_ms);
CREATE INDEX IF NOT EXISTS dead_letters_reason ON dead_letters(reason, time_ms);
PRAGMA user_version = 1;
)sql";

constexpr const char* kColumns = "id, time_ms, source, stage, reason, detail, subscription_id, raw";

// How long a writer waits for another connection's lock (the CLI and the daemon may share the
// file; WAL lets readers go on while one writes).
constexpr int kBusyTimeoutMs = 5000;

std::string db_error(sqlite3* db) {
    return db != nullptr ? sqlite3_errmsg(db) : "out of memory";
}

StmtHandle prepare(sqlite3* db, const std::string& sql, const std::string& path) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &raw, nullptr) != SQLITE_OK) {
        throw std::runtime_error("dead-letter queue " + path +
                                 ": cannot prepare statement: " + db_error(db));
    }
    return StmtHandle(raw);
}

// Resets a kept statement when the scope ends, whatever happened, so it holds no read lock.
class StmtScope {
public:
    explicit StmtScope(sqlite3_stmt* stmt) noexcept
        : stmt_(stmt) {}
    ~StmtScope() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    StmtScope(const StmtScope&) = delete;
    StmtScope& operator=(const StmtScope&) = delete;

private:
    sqlite3_stmt* stmt_;
};

void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
    // SQLITE_STATIC: the bytes outlive the step that uses them.
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string column_bytes(sqlite3_stmt* stmt, int col) {
    // Read the pointer before the length (SQLite's documented order); a zero-length blob is NULL.
    const void* data = sqlite3_column_blob(stmt, col);
    const int size = sqlite3_column_bytes(stmt, col);
    if (data == nullptr || size <= 0) {
        return {};
    }
    return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

DeadLetter read_row(sqlite3_stmt* stmt) {
    DeadLetter entry;
    entry.id = sqlite3_column_int64(stmt, 0);
    entry.time_ms = sqlite3_column_int64(stmt, 1);
    entry.source = column_bytes(stmt, 2);
    entry.stage = column_bytes(stmt, 3);
    entry.reason = column_bytes(stmt, 4);
    entry.detail = column_bytes(stmt, 5);
    if (sqlite3_column_type(stmt, 6) != SQLITE_NULL) {
        entry.subscription_id = column_bytes(stmt, 6);
    }
    entry.raw = column_bytes(stmt, 7);
    return entry;
}

// Copies the write-ahead log back into the database on a thread and connection of its own, so
// that appending never waits for a checkpoint's copy and fdatasyncs (SQLite's automatic
// checkpoint would run them inside the committing append, on the pipeline thread). The queue's
// connection reports the log's size after each commit (wal_hook); at kCheckpointPages pages or
// more a PASSIVE checkpoint runs, which never blocks writers. Closing this connection before the
// queue's lets the queue's close checkpoint the rest and remove the log, as before.
class Checkpointer {
public:
    /// Same threshold as SQLite's default automatic checkpoint.
    static constexpr int kCheckpointPages = 1000;

    explicit Checkpointer(std::string path)
        : path_(std::move(path)) {}
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;
    ~Checkpointer() {
        if (thread_.joinable()) {
            {
                std::lock_guard lock(mutex_);
                stop_ = true;
            }
            wake_.notify_one();
            thread_.join();
        }
    }

    /// Called by the queue's connection after each commit (under the queue's mutex).
    void on_commit(int wal_pages) {
        if (wal_pages >= kCheckpointPages) {
            request();
        }
    }

    /// Asks for a checkpoint now, whatever the log's size (no wait). Under the queue's mutex.
    /// Returns the request's number for wait().
    std::uint64_t request() {
        std::uint64_t ticket = 0;
        {
            std::lock_guard lock(mutex_);
            if (failed_) {
                return 0;
            }
            ticket = ++requested_;
        }
        if (!thread_.joinable()) {
            thread_ = std::thread([this] { run(); });
        }
        wake_.notify_one();
        return ticket;
    }

    /// Waits until the checkpoint of request `ticket` (or a later one) has run. False on timeout
    /// or when the thread could not open its connection.
    bool wait(std::uint64_t ticket, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return done_cv_.wait_for(lock, timeout, [&] { return failed_ || done_ >= ticket; }) &&
               !failed_;
    }

    /// Frames in the log and frames copied back, as of the last checkpoint.
    DeadLetterQueue::CheckpointResult last() {
        std::lock_guard lock(mutex_);
        return last_;
    }

    /// True once the thread could not open its connection: the caller falls back to SQLite's
    /// automatic checkpoint.
    bool failed() {
        std::lock_guard lock(mutex_);
        return failed_;
    }

private:
    void run() {
        sqlite3* raw = nullptr;
        int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
        DbHandle db(raw);
        if (rc == SQLITE_OK) {
            sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
            // A connection learns that the database is in WAL mode only when it first reads it;
            // until then a checkpoint does nothing and still returns SQLITE_OK (log frames -1).
            rc = sqlite3_exec(db.get(), "SELECT COUNT(*) FROM sqlite_schema", nullptr, nullptr,
                              nullptr);
        }
        if (rc != SQLITE_OK) {
            ops::logger("dlq")->warn(
                "Cannot open the checkpoint connection; checkpoints run in line. path={} error={}",
                path_, db_error(db.get()));
            std::lock_guard lock(mutex_);
            failed_ = true;
            done_cv_.notify_all();
            return;
        }
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return done_ < requested_ || stop_; });
            if (stop_) {
                return;  // the connection closes here, before the queue's
            }
            const std::uint64_t serving = requested_;
            lock.unlock();
            int log_frames = -1;
            int checkpointed = -1;
            const int crc = sqlite3_wal_checkpoint_v2(
                db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed);
            if (crc != SQLITE_OK && crc != SQLITE_BUSY) {
                ops::logger("dlq")->warn("Dead-letter checkpoint failed. path={} error={}", path_,
                                         sqlite3_errstr(crc));
            }
            lock.lock();
            done_ = serving;
            last_ = {log_frames, checkpointed};
            done_cv_.notify_all();
        }
    }

    std::string path_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_cv_;
    std::uint64_t requested_ = 0;  // guarded by mutex_: requests so far
    std::uint64_t done_ = 0;       // guarded by mutex_: requests served so far
    DeadLetterQueue::CheckpointResult last_;  // guarded by mutex_
    bool stop_ = false;    // guarded by mutex_
    bool failed_ = false;  // guarded by mutex_
};

}  // namespace

struct DeadLetterQueue::Impl {
    std::string path;
    // Declared before the statements: members are destroyed in reverse order, so every
    // statement is finalised before the connection closes.
    DbHandle db;
    StmtHandle begin;
    StmtHandle commit;
    StmtHandle rollback;
    StmtHandle insert;
    StmtHandle select_list;
    StmtHandle select_one;
    StmtHandle delete_one;
    StmtHandle count;

    mutable std::mutex mutex;
    std::atomic<std::int64_t> backlog{0};
    std::function<void(std::int64_t)> observer;
    // Declared last: destroyed first, so its connection closes before `db` does.
    std::unique_ptr<Checkpointer> checkpointer;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        if (db) {
            sqlite3_wal_hook(db.get(), nullptr, nullptr);  // the hook's argument goes next
        }
        checkpointer.reset();
    }

    [[noreturn]] void fail(std::string_view what) const {
        throw std::runtime_error("dead-letter queue " + path + ": " + std::string(what) + ": " +
                                 db_error(db.get()));
    }

    void exec(const char* sql, std::string_view what) {
        char* message = nullptr;
        if (sqlite3_exec(db.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message != nullptr ? message : db_error(db.get());
            sqlite3_free(message);
            throw std::runtime_error("dead-letter queue " + path + ": " + std::string(what) + ": " +
                                     text);
        }
    }

    // Runs a kept statement that returns no rows. Returns the SQLite result code.
    int step_done(sqlite3_stmt* stmt) {
        StmtScope scope(stmt);
        return sqlite3_step(stmt);
    }

    void set_backlog(std::int64_t value) {
        backlog.store(value, std::memory_order_relaxed);
        if (observer) {
            observer(value);
        }
    }
};

DeadLetterQueue::DeadLetterQueue(std::unique_ptr<Impl> impl) noexcept
    : impl_(std::move(impl)) {}
DeadLetterQueue::DeadLetterQueue(DeadLetterQueue&&) noexcept = default;
DeadLetterQueue& DeadLetterQueue::operator=(DeadLetterQueue&&) noexcept = default;
DeadLetterQueue::~DeadLetterQueue() = default;

DeadLetterQueue DeadLetterQueue::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;

    const std::filesystem::path file(path);
    if (file.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) {
            throw std::runtime_error("dead-letter queue " + path + ": cannot create directory " +
                                     file.parent_path().string() + ": " + ec.message());
        }
    }

    // Created here first so that it (and the -wal/-shm files SQLite gives the same mode) is
    // readable by its owner only: dead letters hold customer data.
    if (const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, core::kDataFileMode);
        fd >= 0) {
        ::close(fd);
    }
    sqlite3* raw_db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    impl->db.reset(raw_db);  // a handle is returned even on failure and must be closed
    if (rc != SQLITE_OK) {
        impl->fail("cannot open database");
    }
    sqlite3_extended_result_codes(impl->db.get(), 1);
    sqlite3_busy_timeout(impl->db.get(), kBusyTimeoutMs);

    // journal_mode answers with the mode in force; anything but "wal" means the file system or
    // an older file refused it.
    {
        StmtHandle wal = prepare(impl->db.get(), "PRAGMA journal_mode=WAL", path);
        if (sqlite3_step(wal.get()) != SQLITE_ROW) {
            impl->fail("cannot set journal_mode=WAL");
        }
        const std::string mode = column_bytes(wal.get(), 0);
        if (mode != "wal") {
            throw std::runtime_error("dead-letter queue " + path +
                                     ": journal_mode=WAL refused (mode is " + mode + ")");
        }
    }
    // NORMAL in WAL mode: a commit survives a process crash; a power loss may lose the last
    // transactions but never corrupts the file.
    impl->exec("PRAGMA synchronous=NORMAL", "cannot set synchronous=NORMAL");
    impl->exec(std::string(kSchema).c_str(), "cannot create schema");
    // Checkpoints move to the Checkpointer's thread (replacing SQLite's automatic checkpoint,
    // which is itself a wal_hook).
    impl->checkpointer = std::make_unique<Checkpointer>(path);
    sqlite3_wal_hook(
        impl->db.get(),
        [](void* arg, sqlite3* db, const char*, int pages) -> int {
            auto* checkpointer = static_cast<Checkpointer*>(arg);
            checkpointer->on_commit(pages);
            if (pages >= Checkpointer::kCheckpointPages && checkpointer->failed()) {
                sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                          nullptr);
            }
            return SQLITE_OK;
        },
        impl->checkpointer.get());

    Impl& q = *impl;
    q.begin = prepare(q.db.get(), "BEGIN IMMEDIATE", path);
    q.commit = prepare(q.db.get(), "COMMIT", path);
    q.rollback = prepare(q.db.get(), "ROLLBACK", path);
    q.insert = prepare(q.db.get(),
                       "INSERT INTO dead_letters (time_ms, source, stage, reason, detail, "
                       "subscription_id, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       path);
    q.select_list = prepare(q.db.get(),
                            std::string("SELECT ") + kColumns +
                                " FROM dead_letters WHERE id > ?1 AND time_ms >= ?2 AND "
                                "time_ms < ?3 AND (?4 IS NULL OR reason = ?4) ORDER BY id LIMIT ?5",
                            path);
    q.select_one = prepare(
        q.db.get(), std::string("SELECT ") + kColumns + " FROM dead_letters WHERE id = ?1", path);
    q.delete_one = prepare(q.db.get(), "DELETE FROM dead_letters WHERE id = ?1", path);
    q.count = prepare(q.db.get(), "SELECT COUNT(*) FROM dead_letters", path);

    {
        StmtScope scope(q.count.get());
        if (sqlite3_step(q.count.get()) != SQLITE_ROW) {
            q.fail("cannot count entries");
        }
        q.backlog.store(sqlite3_column_int64(q.count.get(), 0), std::memory_order_relaxed);
    }
    return DeadLetterQueue(std::move(impl));
}

boost::system::error_code DeadLetterQueue::append(std::span<const DeadLetter> entries) {
    if (entries.empty()) {
        return {};
    }
    Impl& q = *impl_;
    std::lock_guard lock(q.mutex);

    if (const int rc = q.step_done(q.begin.get()); rc != SQLITE_DONE) {
        ops::logger("dlq")->error("Cannot start a dead-letter transaction. path={} error={}",
                                  q.path, sqlite3_errstr(rc));
        return core::Errc::kIo;
    }
    for (const DeadLetter& entry : entries) {
        sqlite3_stmt* stmt = q.insert.get();
        StmtScope scope(stmt);
        sqlite3_bind_int64(stmt, 1, entry.time_ms);
        bind_text(stmt, 2, entry.source);
        bind_text(stmt, 3, entry.stage);
        bind_text(stmt, 4, entry.reason);
        bind_text(stmt, 5, entry.detail);
        if (entry.subscription_id) {
            bind_text(stmt, 6, *entry.subscription_id);
        } else {
            sqlite3_bind_null(stmt, 6);
        }
        // std::string::data() is never null, so an empty payload is stored as an empty blob,
        // not as NULL.
        sqlite3_bind_blob64(stmt, 7, entry.raw.data(), entry.raw.size(), SQLITE_STATIC);
        if (const int rc = sqlite3_step(stmt); rc != SQLITE_DONE) {
            ops::logger("dlq")->error(
                "Cannot store a dead letter; the batch is rolled back. path={} entries={} "
                "error={}",
                q.path, entries.size(), sqlite3_errmsg(q.db.get()));
            q.step_done(q.rollback.get());
            return core::Errc::kIo;
        }
    }
    if (const int rc = q.step_done(q.commit.get()); rc != SQLITE_DONE) {
        ops::logger("dlq")->error("Cannot commit dead letters. path={} entries={} error={}", q.path,
                                  entries.size(), sqlite3_errstr(rc));
        q.step_done(q.rollback.get());
        return core::Errc::kIo;
    }
    q.set_backlog(q.backlog.load(std::memory_order_relaxed) +
                  static_cast<std::int64_t>(entries.size()));
    return {};
}

void DeadLetterQueue::checkpoint_soon() {
    std::lock_guard lock(impl_->mutex);  // as on_commit(), which runs under it
    impl_->checkpointer->request();
}

bool DeadLetterQueue::checkpoint_and_wait(std::chrono::milliseconds timeout) {
    std::uint64_t ticket = 0;
    {
        std::lock_guard lock(impl_->mutex);
        ticket = impl_->checkpointer->request();
    }
    return ticket != 0 && impl_->checkpointer->wait(ticket, timeout);
}

DeadLetterQueue::CheckpointResult DeadLetterQueue::last_checkpoint() const {
    return impl_->checkpointer->last();
}

std::int64_t DeadLetterQueue::backlog() const noexcept {
    return impl_->backlog.load(std::memory_order_relaxed);
}

std::vector<DeadLetter> DeadLetterQueue::list(const ListFilter& filter) const {
    Impl& q = *impl_;
    std::lock_guard lock(q.mutex);
    sqlite3_stmt* stmt = q.select_list.get();
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, filter.after_id);
    sqlite3_bind_int64(stmt, 2, filter.since_ms);
    sqlite3_bind_int64(stmt, 3, filter.until_ms);
    if (filter.reason) {
        bind_text(stmt, 4, *filter.reason);
    } else {
        sqlite3_bind_null(stmt, 4);
    }
    // A negative LIMIT means no limit in SQLite.
    sqlite3_bind_int64(stmt, 5, filter.limit == 0 ? -1 : static_cast<std::int64_t>(filter.limit));

    std::vector<DeadLetter> out;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        out.push_back(read_row(stmt));
    }
    if (rc != SQLITE_DONE) {
        q.fail("cannot list entries");
    }
    return out;
}

std::optional<DeadLetter> DeadLetterQueue::get(std::int64_t id) const {
    Impl& q = *impl_;
    std::lock_guard lock(q.mutex);
    sqlite3_stmt* stmt = q.select_one.get();
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, id);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        return read_row(stmt);
    }
    if (rc != SQLITE_DONE) {
        q.fail("cannot read entry " + std::to_string(id));
    }
    return std::nullopt;
}

std::int64_t DeadLetterQueue::remove(std::span<const std::int64_t> ids) {
    if (ids.empty()) {
        return 0;
    }
    Impl& q = *impl_;
    std::lock_guard lock(q.mutex);
    if (q.step_done(q.begin.get()) != SQLITE_DONE) {
        q.fail("cannot start a transaction");
    }
    std::int64_t removed = 0;
    for (const std::int64_t id : ids) {
        sqlite3_stmt* stmt = q.delete_one.get();
        StmtScope scope(stmt);
        sqlite3_bind_int64(stmt, 1, id);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            const std::string message = db_error(q.db.get());
            q.step_done(q.rollback.get());
            throw std::runtime_error("dead-letter queue " + q.path + ": cannot remove entry " +
                                     std::to_string(id) + ": " + message);
        }
        removed += sqlite3_changes64(q.db.get());
    }
    if (q.step_done(q.commit.get()) != SQLITE_DONE) {
        const std::string message = db_error(q.db.get());
        q.step_done(q.rollback.get());
        throw std::runtime_error("dead-letter queue " + q.path +
                                 ": cannot commit removal: " + message);
    }
    if (removed > 0) {
        q.set_backlog(q.backlog.load(std::memory_order_relaxed) - removed);
    }
    return removed;
}

void DeadLetterQueue::set_backlog_observer(std::function<void(std::int64_t)> observer) {
    Impl& q = *impl_;
    std::lock_guard lock(q.mutex);
    q.observer = std::move(observer);
    if (q.observer) {
        q.observer(q.backlog.load(std::memory_order_relaxed));
    }
}

const std::string& DeadLetterQueue::path() const noexcept {
    return impl_->path;
}

}  // namespace gstream::dlq

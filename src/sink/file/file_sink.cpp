#include "sink/file/file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/file_mode.hpp"
#include "ops/logging.hpp"
#include "sink/file/file_formatter.hpp"

namespace gstream::sink::file {
namespace {

using core::steady_ms;

}  // namespace

FileSink::FileSink(FileSinkConfig config)
    : config_(std::move(config)) {
    const std::filesystem::path path(config_.path);
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
    }
    struct stat before {};
    if (::stat(config_.path.c_str(), &before) == 0 && S_ISFIFO(before.st_mode)) {
        // Opening a pipe for writing waits for a reader: say so instead of hanging silently.
        fd_ = ::open(config_.path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd_ >= 0) {
            ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
        } else if (errno == ENXIO) {
            ops::logger("sink")->warn(
                "file sink: waiting for a reader of the named pipe path=\"{}\" (start-up waits "
                "until one opens it)",
                config_.path);
        }
    }
    if (fd_ < 0) {
        fd_ = ::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                     core::kDataFileMode);
    }
    if (fd_ < 0) {
        throw std::runtime_error(fmt::format("file sink: cannot open '{}': {} (sinks[].path)",
                                             config_.path, std::strerror(errno)));
    }
    struct stat st {};
    if (::fstat(fd_, &st) == 0) {
        regular_ = S_ISREG(st.st_mode);
        size_ = regular_ ? st.st_size : 0;
    }
    writeback_from_ = writeback_to_ = writeback_requested_to_ = sync_requested_to_ = size_;
    last_sync_ms_ = steady_ms();
}

FileSink::~FileSink() {
    if (sync_thread_.joinable()) {
        {
            std::lock_guard lock(sync_mutex_);
            sync_stop_ = true;
        }
        sync_wake_.notify_one();
        sync_thread_.join();
    }
    if (fd_ >= 0) {
        if (dirty_ && config_.fsync != FsyncPolicy::kNever) {
            ::fdatasync(fd_);
        }
        ::close(fd_);
    }
}

SinkResult FileSink::write_batch(std::span<const core::Event> events) {
    buffer_.clear();
    for (const core::Event& e : events) {
        format_event(e, buffer_);
    }
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            last_error_ = fmt::format("write to '{}' failed: {}", config_.path,
                                      n < 0 ? std::strerror(errno) : "no progress");
            // Cut the partial batch off so that the retry does not duplicate lines (a pipe keeps
            // what it took: the retry writes the batch again, at least once).
            if (done > 0 && regular_ && ::ftruncate(fd_, size_) != 0) {
                last_error_ += fmt::format("; truncate failed: {}", std::strerror(errno));
            }
            return SinkResult::kRetry;
        }
        done += static_cast<std::size_t>(n);
    }
    size_ += static_cast<std::int64_t>(buffer_.size());
    dirty_ = true;
    if (config_.fsync == FsyncPolicy::kAlways) {
        return sync();
    }
    if (config_.fsync == FsyncPolicy::kInterval) {
        if (background_sync_failed_.exchange(false, std::memory_order_relaxed)) {
            return sync();  // reports the failure (kRetry) unless the disk has recovered
        }
        if (steady_ms() - last_sync_ms_ >= config_.fsync_interval_ms ||
            (regular_ && size_ - sync_requested_to_ >= kSyncBytes)) {
            request_background_sync();
        } else if (regular_ && size_ - writeback_requested_to_ >= kWritebackBytes) {
            request_writeback();
        }
    }
    return SinkResult::kOk;
}

void FileSink::request_writeback() {
    {
        std::lock_guard lock(sync_mutex_);
        writeback_to_ = size_;
    }
    writeback_requested_to_ = size_;
    if (!sync_thread_.joinable()) {
        sync_thread_ = std::thread([this] { background_sync_loop(); });
    }
    sync_wake_.notify_one();
}

void FileSink::request_background_sync() {
    if (!regular_) {
        return;  // a pipe or a device has nothing to sync
    }
    last_sync_ms_ = steady_ms();
    writeback_requested_to_ = size_;  // the sync writes everything back
    sync_requested_to_ = size_;
    ++background_sync_requests_;
    {
        std::lock_guard lock(sync_mutex_);
        sync_requested_ = true;
    }
    if (!sync_thread_.joinable()) {
        sync_thread_ = std::thread([this] { background_sync_loop(); });
    }
    sync_wake_.notify_one();
}

void FileSink::background_sync_loop() {
    std::unique_lock lock(sync_mutex_);
    for (;;) {
        sync_wake_.wait(lock, [&] {
            return sync_requested_ || sync_stop_ || writeback_from_ < writeback_to_;
        });
        if (sync_stop_) {
            return;
        }
        if (sync_requested_) {
            sync_requested_ = false;
            writeback_from_ = writeback_to_;
            lock.unlock();
            // Covers every byte written before the call; dirty_ stays set (later writes may not
            // be covered), so flush() and close still sync in line.
            if (::fdatasync(fd_) != 0) {
                background_sync_failed_.store(true, std::memory_order_relaxed);
            }
        } else {
            const std::int64_t from = writeback_from_;
            const std::int64_t to = writeback_to_;
            writeback_from_ = to;
            lock.unlock();
#if defined(__linux__)
            // Starts writing these bytes back without waiting, so that the next fdatasync has
            // less to wait for. A hint only: no durability is claimed from it, errors are ignored.
            (void)::sync_file_range(fd_, from, to - from, SYNC_FILE_RANGE_WRITE);
#else
            (void)from;
#endif
        }
        lock.lock();
    }
}

SinkResult FileSink::flush() {
    return config_.fsync == FsyncPolicy::kNever ? SinkResult::kOk : sync();
}

SinkResult FileSink::sync() {
    if (!dirty_ || !regular_) {  // a pipe or a device has nothing to sync
        dirty_ = false;
        return SinkResult::kOk;
    }
    if (::fdatasync(fd_) != 0) {
        last_error_ =
            fmt::format("fdatasync of '{}' failed: {}", config_.path, std::strerror(errno));
        return SinkResult::kRetry;
    }
    dirty_ = false;
    last_sync_ms_ = steady_ms();
    return SinkResult::kOk;
}

boost::system::error_code FileSink::truncate_to_commit_point(const std::string& path,
                                                             std::int64_t size,
                                                             std::int64_t& cut) {
    cut = 0;
    struct stat path_stat {};
    if (::stat(path.c_str(), &path_stat) == 0 && !S_ISREG(path_stat.st_mode)) {
        return {};  // a pipe or a device: no commit point (opening a pipe would wait for a reader)
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? boost::system::error_code{}
                               : boost::system::error_code(errno, boost::system::system_category());
    }
    boost::system::error_code ec;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ec.assign(errno, boost::system::system_category());
    } else if (st.st_size < size) {
        cut = -1;
    } else if (st.st_size > size) {
        if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fdatasync(fd) != 0) {
            ec.assign(errno, boost::system::system_category());
        } else {
            cut = st.st_size - size;
        }
    }
    ::close(fd);
    return ec;
}

}  // namespace gstream::sink::file

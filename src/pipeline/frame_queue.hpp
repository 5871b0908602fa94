#pragma once
// A bounded, blocking queue of received frames between the source's I/O thread and the pipeline
// thread. When it is full, push() blocks the reader: until a write-ahead log exists this is the
// backpressure (docs/architecture.md), and it stalls pings while it lasts.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace gstream::pipeline {

struct ReceivedFrame {
    std::string payload;
    std::int64_t received_ns = 0;  ///< steady clock
};

/// Thread-safe. Many producers, one consumer.
class FrameQueue {
public:
    explicit FrameQueue(std::size_t capacity)
        : capacity_(capacity == 0 ? 1 : capacity) {}

    /// Blocks while full. Returns false (and drops nothing: the frame is not taken) once closed.
    bool push(ReceivedFrame&& frame) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) {
            return false;
        }
        items_.push_back(std::move(frame));
        not_empty_.notify_one();
        return true;
    }

    /// Waits until a frame arrives, the queue is closed and empty, or `deadline` passes.
    /// nullopt on timeout or when closed and drained (check closed_and_empty()).
    std::optional<ReceivedFrame> pop_until(std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        not_empty_.wait_until(lock, deadline, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) {
            return std::nullopt;
        }
        ReceivedFrame f = std::move(items_.front());
        items_.pop_front();
        not_full_.notify_one();
        return f;
    }

    /// No more pushes; pending frames can still be popped.
    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

    bool closed_and_empty() const {
        std::lock_guard lock(mutex_);
        return closed_ && items_.empty();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable not_empty_, not_full_;
    std::deque<ReceivedFrame> items_;
    std::size_t capacity_;
    bool closed_ = false;
};

}  // namespace gstream::pipeline

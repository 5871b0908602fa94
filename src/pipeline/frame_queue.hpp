#pragma once
// A bounded queue of received frames between the source's I/O thread and the consumer (the
// pipeline thread, or the write-ahead log's writer). The io thread uses push_nowait(): when the
// queue is full the source stops reading its socket until the room callback says the consumer
// made room, and the io thread stays free for timers, the admin server and signals
// (docs/architecture.md).
//
// The consumer takes every queued frame at once (pop_all_until), and each side signals the other
// only when that side is waiting, so a busy pipeline costs one lock per batch of frames, not a
// lock and a futex wake per frame.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace gstream::pipeline {

struct ReceivedFrame {
    std::string payload;
    std::int64_t received_ns = 0;  ///< steady clock
};

/// Thread-safe. Many producers, one consumer. Holds `capacity` queued frames, plus at most one
/// per producer that honours push_nowait()'s answer; the consumer may hold as many more that it
/// has taken and not yet processed.
class FrameQueue {
public:
    explicit FrameQueue(std::size_t capacity)
        : capacity_(capacity == 0 ? 1 : capacity) {
        items_.reserve(capacity_);
    }

    /// Never blocks (the io thread's side): takes the frame unless closed, and answers whether
    /// the queue still has room. After false the producer stops reading until the room callback
    /// runs, so the queue holds at most capacity + one frame per producer.
    bool push_nowait(ReceivedFrame&& frame) {
        std::vector<std::string> done;  // freed after the lock, on this (the allocating) thread
        std::lock_guard lock(mutex_);
        done.swap(done_);
        if (closed_) {
            return true;  // the consumer is gone (shutdown): nothing to wait for
        }
        items_.push_back(std::move(frame));
        if (consumer_waiting_) {
            not_empty_.notify_one();
        }
        if (items_.size() < capacity_) {
            return true;
        }
        room_wanted_ = true;
        return false;
    }

    /// Called on the consumer's thread, outside the lock, when a pop makes room after
    /// push_nowait() answered false. Set before the producers start.
    void set_room_callback(std::function<void()> on_room) { on_room_ = std::move(on_room); }

    /// Waits until a frame arrives, the queue is closed, or `deadline` passes, then moves every
    /// queued frame, oldest first, into `out` (cleared first). Returns how many; 0 on timeout or
    /// when closed and drained (check closed_and_empty()).
    ///
    /// `done`: buffers the consumer has finished with (Pipeline::on_message's return), moved to
    /// the producers' side (and `done` cleared) so the next push frees them on the thread that
    /// allocated them: glibc frees another thread's memory under that arena's lock, a cost per
    /// message.
    std::size_t pop_all_until(std::chrono::steady_clock::time_point deadline,
                              std::vector<ReceivedFrame>& out,
                              std::vector<std::string>* done = nullptr) {
        out.clear();
        std::unique_lock lock(mutex_);
        if (done != nullptr) {
            if (!closed_ && done_.size() < kMaxDone) {
                for (std::string& b : *done) {
                    done_.push_back(std::move(b));
                }
            }
            done->clear();  // what was not taken is freed here
        }
        if (items_.empty() && !closed_) {
            consumer_waiting_ = true;
            not_empty_.wait_until(lock, deadline, [&] { return closed_ || !items_.empty(); });
            consumer_waiting_ = false;
        }
        out.swap(items_);
        const bool room = room_wanted_;  // set only when full, so `out` is not empty
        room_wanted_ = false;
        lock.unlock();
        if (room && on_room_) {
            on_room_();
        }
        return out.size();
    }

    /// No more pushes; pending frames can still be popped.
    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        not_empty_.notify_all();
    }

    /// Spent buffers waiting for the next push to free them (tests).
    std::size_t spent_pending() const {
        std::lock_guard lock(mutex_);
        return done_.size();
    }

    bool closed_and_empty() const {
        std::lock_guard lock(mutex_);
        return closed_ && items_.empty();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable not_empty_;
    std::vector<ReceivedFrame> items_;
    std::size_t capacity_;
    bool consumer_waiting_ = false;
    bool closed_ = false;
    bool room_wanted_ = false;  // a push_nowait() producer waits for the room callback
    static constexpr std::size_t kMaxDone = 4096;  // past it (no producer) the consumer frees
    std::vector<std::string> done_;                // buffers for the next push to free
    std::function<void()> on_room_;
};

}  // namespace gstream::pipeline

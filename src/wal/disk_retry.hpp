#pragma once
// The write-ahead log's retry policy for a failing disk (ENOSPC, EFBIG, EIO): try again after
// 50 ms, doubling to 1 s, until the operation succeeds or shutdown passes its deadline
// (docs/recovery.md, "Full disk and other write errors"). Used by the log writer, the outbox and
// the sink cursors' dead-letter writes.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

namespace gstream::wal {

/// Calls `attempt` until it answers true. After each failure, `failed(giving_up)` is called (to
/// log, to turn /readyz unhealthy) with giving_up = `give_up()` (false when empty); then the
/// function returns false if giving up, else sleeps and tries again. Blocks the calling thread.
template <class Attempt, class Failed>
bool retry_on_disk_error(Attempt&& attempt, const std::function<bool()>& give_up,
                         Failed&& failed) {
    std::int64_t backoff_ms = 50;
    while (!attempt()) {
        const bool stop = give_up && give_up();
        failed(stop);
        if (stop) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
        backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 1000);
    }
    return true;
}

}  // namespace gstream::wal

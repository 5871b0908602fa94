#pragma once
// The sink interface. Sinks report; the engine (pipeline::SinkDriver) decides: it retries with
// capped, jittered backoff on kRetry and dead-letters on kReject (STYLE.md rule 2).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace gstream::sink {

enum class SinkResult {
    kOk,      ///< written and acknowledged: the events may be counted as delivered
    kRetry,   ///< a transient failure (disk full, connection lost): try the same batch again
    kReject,  ///< the sink will never take these events: dead-letter them
};

/// One event of a batch that the sink will never take (too large for the broker, an invalid
/// subject...), reported beside a kOk for the rest of the batch.
struct RejectedEvent {
    std::size_t index = 0;  ///< position in the batch passed to write_batch()
    std::string detail;     ///< why, with the sink's reason code first ("too_large: 1.2 MiB > ...")
};

/// A destination for batches. Called from one thread only (the pipeline thread, or with several
/// sinks and a write-ahead log the sink's own cursor thread, wal::SinkCursor); implementations
/// need not be thread-safe.
class Sink {
public:
    virtual ~Sink() = default;
    /// A short, stable name for logs and the `sink` metric label ("file").
    virtual std::string_view name() const = 0;
    /// Writes one batch, in order. On kRetry nothing of the batch may be half-acknowledged:
    /// the driver passes the same batch again.
    virtual SinkResult write_batch(std::span<const core::Event> events) = 0;
    /// With a write-ahead log, called by the sink's cursor (wal::SinkCursor) before each
    /// write_batch() (retries included) with the outbox record the batch is: event i of the
    /// batch is at outbox position (record, i), which grows within one run. Not a
    /// de-duplication key: after a crash the outbox is cut back to the checkpoint and its
    /// records rebuilt from the log, so a record number may then hold other events (the Kafka
    /// sink stores it for diagnosis and de-duplicates by event id). Not called without a log.
    virtual void at_outbox_record(std::uint64_t /*record*/) {}
    /// Makes everything written so far durable (as the sink's policy defines).
    virtual SinkResult flush() { return SinkResult::kOk; }
    /// A human-readable reason for the last kRetry/kReject.
    virtual std::string last_error() const { return {}; }
    /// After a write_batch() that returned kOk: the events of that batch the sink refused one by
    /// one (the driver dead-letters them, reason sink_rejected, and counts the rest delivered).
    /// Emptied by the call.
    virtual std::vector<RejectedEvent> take_rejected() { return {}; }
};

}  // namespace gstream::sink

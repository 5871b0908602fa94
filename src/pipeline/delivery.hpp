#pragma once
// Delivery: where the pipeline hands each batch (the last stage). Either the sinks themselves
// (SinkDriver, on the pipeline thread) or, with a write-ahead log and several sinks, the outbox
// each sink reads at its own cursor (wal::Outbox, docs/recovery.md).

#include <cstddef>
#include <span>
#include <vector>

#include "core/event.hpp"
#include "pipeline/rejection.hpp"

namespace gstream::pipeline {

/// Result of delivering one batch.
struct DeliveryReport {
    std::size_t delivered = 0;           ///< events acknowledged (by every sink, or the outbox)
    std::vector<Rejection> rejections;   ///< events some sink rejected (reason sink_rejected)
    /// Not delivered only because shutdown passed its deadline; nothing rejected them: with a
    /// write-ahead log the caller keeps them there for the next start instead of dead-lettering
    /// `rejections` (docs/recovery.md).
    bool abandoned = false;
};

/// Called on the pipeline thread only.
class Delivery {
public:
    virtual ~Delivery() = default;
    /// Delivers one batch, in order; blocks while it retries (backpressure).
    virtual DeliveryReport deliver(std::span<const core::Event> events) = 0;
    /// Makes what was delivered durable as the destination's policy says (drain).
    virtual void flush() = 0;
};

}  // namespace gstream::pipeline

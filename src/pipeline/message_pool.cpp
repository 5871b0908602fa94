#include "pipeline/message_pool.hpp"

#include <atomic>

namespace gstream::pipeline {

std::shared_ptr<core::Message> MessagePool::take(std::size_t payload_bytes) {
    if (payload_bytes <= kSmallPayloadBytes) {
        return take_from(small_, kSmallMessages);
    }
    if (payload_bytes <= kLargePayloadBytes) {
        return take_from(large_, kLargeMessages);
    }
    return std::make_shared<core::Message>();  // not kept: bounds what idle ones retain
}

std::shared_ptr<core::Message> MessagePool::take_from(Tier& tier, std::size_t capacity) {
    const std::size_t n = tier.ring.size();
    const std::size_t probes = n < kProbes ? n : kProbes;
    for (std::size_t i = 0; i < probes; ++i) {
        const std::size_t at = (tier.cursor + i) % n;
        if (tier.ring[at].use_count() == 1) {
            // Only the pool holds it: the events that viewed it are gone, on whatever thread. The
            // fence pairs with the release in the last holder's shared_ptr destructor.
            std::atomic_thread_fence(std::memory_order_acquire);
            tier.cursor = (at + 1) % n;
            return tier.ring[at];
        }
    }
    auto m = std::make_shared<core::Message>();
    if (n < capacity) {
        // A new ring slot, just before the cursor: it is the newest handed out.
        tier.ring.insert(tier.ring.begin() + static_cast<std::ptrdiff_t>(tier.cursor), m);
        tier.cursor = (tier.cursor + 1) % tier.ring.size();
    }
    return m;  // when the ring is full, not kept: freed by its last holder
}

}  // namespace gstream::pipeline

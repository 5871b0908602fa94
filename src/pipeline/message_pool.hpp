#pragma once
// Recycles core::Message objects (payload buffer, parsed tape and string pool keep their
// capacity) once no event views them any more, so a steady stream allocates nothing per message.

#include <cstddef>
#include <memory>
#include <vector>

#include "core/event.hpp"

namespace gstream::pipeline {

/// Not thread-safe: one thread calls take(). The messages it hands out may be shared with and
/// released on other threads: a message is reused only when the pool holds its last reference
/// (the shared_ptr count is atomic, and an acquire fence pairs with the last holder's release).
///
/// Each tier is a ring, in the order messages were handed out, with a cursor at the oldest:
/// messages come back roughly in that order, so the cursor's is usually free; take() looks at
/// up to kProbes from there and skips the ones still in use. Two tiers bound what idle messages
/// retain: payloads up to kSmallPayloadBytes (16 KiB, a notification) in up to kSmallMessages
/// (1024: the orderer's hold and a batch may all be in flight), and payloads up
/// to kLargePayloadBytes (256 KiB, a batch envelope) in up to kLargeMessages (16). Other payloads
/// get a fresh message that is not kept. Retained at most ~1024 * 40 KiB + 16 * 640 KiB
/// (payload, tape and strings); in practice what the stream keeps in flight.
class MessagePool {
public:
    static constexpr std::size_t kSmallPayloadBytes = 16 * 1024;
    static constexpr std::size_t kSmallMessages = 1024;
    static constexpr std::size_t kLargePayloadBytes = 256 * 1024;
    static constexpr std::size_t kLargeMessages = 16;
    static constexpr std::size_t kProbes = 16;

    /// A message for a payload of `payload_bytes`: a recycled one (fields as the last user left
    /// them; the caller overwrites payload, received_ns, sequence and the parse state), else a
    /// new one.
    std::shared_ptr<core::Message> take(std::size_t payload_bytes);

    /// Messages tracked (in use or idle), for tests.
    std::size_t size() const noexcept { return small_.ring.size() + large_.ring.size(); }

private:
    struct Tier {
        std::vector<std::shared_ptr<core::Message>> ring;
        std::size_t cursor = 0;  ///< the oldest handed out, once the ring is full
    };
    static std::shared_ptr<core::Message> take_from(Tier& tier, std::size_t capacity);

    Tier small_;
    Tier large_;
};

}  // namespace gstream::pipeline

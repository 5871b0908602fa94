#pragma once
// CompletionTracker: which received messages are fully handled, for the write-ahead log's
// commit point (docs/recovery.md).
//
// A message is complete when every event decoded from it is terminal: delivered to every sink,
// dead-lettered, filtered or a duplicate. Events are only not terminal while the orderer or the
// batcher holds them, so the pipeline reports exactly two things: an event entering the orderer
// (on_held) and an event leaving the batcher through the sink driver or the late dead-letter
// path (on_done). Messages with no held events (control, not_json, all filtered) are complete
// as soon as on_message() has seen them. Rejections must reach the dead-letter queue before a
// checkpoint uses next_incomplete() (Pipeline::flush_dead_letters()).
//
// Pipeline thread only. Pure: no clock, no I/O.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/event.hpp"

namespace gstream::pipeline {

class CompletionTracker {
public:
    /// `first_sequence`: the first message sequence this process will see (the checkpoint's
    /// next_sequence); everything below it is complete.
    explicit CompletionTracker(std::uint64_t first_sequence = 0)
        : next_(first_sequence) {}

    /// A message enters the pipeline (sequences increase).
    void on_message(std::uint64_t sequence);
    /// An event of message event.message->sequence is now held (orderer, then batcher).
    void on_held(const core::Event& event);
    /// A held event is terminal (delivered or dead-lettered).
    void on_done(const core::Event& event);

    /// The lowest message sequence that is not complete: every message below it is. The commit
    /// point; a restart replays the log from here.
    std::uint64_t next_incomplete() const noexcept;
    /// True while an event with this id is held (its id must not be persisted as seen).
    bool held(std::string_view id) const;
    std::size_t held_events() const noexcept { return held_ids_total_; }

private:
    std::uint64_t next_;                           // last message seen + 1
    std::map<std::uint64_t, std::uint32_t> held_;  // message sequence -> held events
    std::unordered_map<std::string, std::uint32_t> held_ids_;
    std::size_t held_ids_total_ = 0;
};

}  // namespace gstream::pipeline

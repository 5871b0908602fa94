#pragma once
// Envelope-protocol messages for end-to-end tests (SEED-PROTOCOL.md), and what the file sink and
// the dead-letter queue hold afterwards: shared by the write-ahead-log crash tests.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gstream::testing {

/// One valid acd.start event: `id`, timestamp 2026-11-30T10:00:00.000Z plus `ms` (0 <= ms < 14 h,
/// so the text always has the same length), conversationId "c<id>", queueId "q1".
std::string envelope_event(const std::string& id, std::int64_t ms);

/// A data message holding `events` (JSON objects, verbatim). `extra_members` (e.g.
/// `"padding":"xxx"`) is added as further top-level members, which the consumer ignores.
std::string envelope_message(const std::vector<std::string>& events,
                             const std::string& extra_members = "");

/// "e000000": the id of event `e` in the kill -9 streams (fixed width).
std::string numbered_event_id(int e);

/// A stream for kill -9 runs into a sink: `events` events numbered_event_id(0).., `per_message`
/// per data message, event e at instant e ms; message i is "not json i" when i % 97 == 96; every
/// 7th data message repeats the first event of the data message before it (same bytes: the
/// pipeline's de-duplication drops it).
struct KillStream {
    std::string replay;         ///< one message per line
    std::set<std::string> bad;  ///< the not-JSON messages
    int messages = 0;
};
KillStream make_kill_stream(int events, int per_message);

/// Event id -> number of lines of the file sink at `path` that carry it.
std::map<std::string, int> sink_event_ids(const std::string& path);

/// Dead letter raw text -> number of entries with it, for the SQLite queue at `path`; every reason
/// seen goes to `reasons` (reason -> count).
std::map<std::string, int> dead_letters(const std::string& path,
                                        std::map<std::string, int>* reasons = nullptr);

}  // namespace gstream::testing

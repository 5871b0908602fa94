#pragma once
// The request shapes of the batch-envelope protocol (SEED-PROTOCOL.md §2, §3). Pure functions.

#include <string>
#include <string_view>
#include <vector>

namespace gstream::source::envelope {

inline constexpr std::string_view kStreamName = "interaction.lifecycle";

/// "{api_origin}/api/v2/eventbridge/streams/interaction.lifecycle/subscriptions" (§2).
std::string subscription_url(std::string_view api_origin);

/// {"stream":"interaction.lifecycle","filter":{"routing.queue.id":...,"interaction.state":[...]}}
/// routing.queue.id is a string for one queue and an array for several; empty lists are omitted
/// (and "filter" is {} when both are empty).
std::string subscription_body(const std::vector<std::string>& queues,
                              const std::vector<std::string>& states);

/// The stream URL for `api_origin` (http -> ws, https -> wss) with the token percent-encoded:
/// "{ws origin}/api/v2/eventbridge/interaction.lifecycle?token=<token>" (§3). A secret: never log.
std::string stream_url(std::string_view api_origin, std::string_view token);

}  // namespace gstream::source::envelope

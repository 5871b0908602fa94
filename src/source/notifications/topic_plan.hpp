#pragma once
// Which topics the notifications source subscribes, and how they are packed into channels.
// Pure functions. Facts: API-NOTES.md §3.3 (1,000 topics per channel), the key-numbers table
// (20 channels per OAuth client; creating a 21st evicts one), §4.1 (topic names).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gstream::source::notifications {

inline constexpr std::size_t kMaxTopicsPerChannel = 1000;
inline constexpr std::size_t kMaxChannelsPerClient = 20;
/// One channel stays free so a make-before-break rollover never evicts a live channel.
inline constexpr std::size_t kMaxPlannedChannels = kMaxChannelsPerClient - 1;

/// The media suffixes of v2.routing.queues.{id}.conversations.<media> (API-NOTES.md §4.1).
bool is_known_media(std::string_view media);

/// v2.routing.queues.{queueId}.conversations for each queue when `media` is empty, else
/// v2.routing.queues.{queueId}.conversations.<media> for each queue and medium; then `extra`
/// as given. Duplicates are dropped (first occurrence kept, order otherwise preserved).
std::vector<std::string> build_topics(const std::vector<std::string>& queues,
                                      const std::vector<std::string>& media,
                                      const std::vector<std::string>& extra);

/// Packs `topics` into as few channels as possible: consecutive groups of at most
/// `per_channel`. Throws std::invalid_argument (a start-up error, one line naming the counts) when
/// there are no topics or more than `max_channels` groups would be needed.
std::vector<std::vector<std::string>> pack_topics(const std::vector<std::string>& topics,
                                                  std::size_t per_channel = kMaxTopicsPerChannel,
                                                  std::size_t max_channels = kMaxPlannedChannels);

/// The per-conversation analytics detail event topics subscribed for one conversation (API-NOTES.md
/// §4.1; no wildcard is allowed on WebSocket subscriptions, §3.3):
/// v2.detail.events.conversation.{conversationId}.<suffix> for customer.start, customer.end,
/// acd.start, acd.end, user.start, user.end, acw, wrapup, attributes, outbound, flow.start,
/// flow.end, flow.outcome, voicemail.start, voicemail.end, contact (16 topics).
std::vector<std::string> detail_topics_for(std::string_view conversation_id);
inline constexpr std::size_t kDetailTopicsPerConversation = 16;

/// The value of the top-level "topicName" member of a notification message, found by a cheap
/// scan (no full parse; escapes are not decoded); empty when absent.
std::string_view peek_topic_name(std::string_view payload);

}  // namespace gstream::source::notifications

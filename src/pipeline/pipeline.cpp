#include "pipeline/pipeline.hpp"

#include <atomic>
#include <chrono>

#include <fmt/format.h>

namespace gstream::pipeline {

std::string PipelineCounts::summary_line() const {
    return fmt::format(
        "summary: received={} delivered={} dead_lettered={} filtered={} duplicates={} control={} "
        "snapshots={} transitions={}",
        received.load(), delivered.load(), dead_lettered.load(), filtered.load(), duplicates.load(),
        control.load(), snapshots.load(), transitions.load());
}

std::string PipelineCounts::summary_lines(const std::vector<SinkTotals>& sinks) const {
    std::string out = summary_line();
    for (const SinkTotals& s : sinks) {
        out += fmt::format("\nsummary sink={} delivered={} rejected={}", s.name, s.delivered,
                           s.rejected);
    }
    return out;
}

namespace {

// The counts have one writer (the pipeline thread): a relaxed load and store, not a locked
// read-modify-write, per update.
void bump(std::atomic<std::uint64_t>& count, std::uint64_t n) {
    count.store(count.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

bool emits_transitions(SnapshotEmit emit) {
    return emit != SnapshotEmit::kSnapshots;
}

bool emits_snapshots(SnapshotEmit emit) {
    return emit != SnapshotEmit::kTransitions;
}

// The event of one derived transition: its own message holding to_event_json(t), so the event's
// views live as long as the event, like a decoded one. False when the text does not parse (it
// always does: every member is escaped or copied from a parsed snapshot).
bool make_transition_event(const Transition& t, const core::Event& snapshot, core::Event& e) {
    auto message = std::make_shared<core::Message>();
    message->payload = to_event_json(t);
    message->received_ns = snapshot.received_ns;
    message->sequence = snapshot.message->sequence;
    if (!message->doc.parse_in_place(message->payload)) {
        return false;
    }
    const core::JsonValue root = message->doc.root();
    e.format = core::EventFormat::kTransition;
    e.value = root;
    e.id = root.find("id");
    e.event_type = root.find("eventType");
    e.kind = e.event_type.get_string();
    e.data = root.find("data");
    e.queue_id = e.data.find("queueId");
    e.conversation_id = e.data.find("conversationId");
    e.instant = core::parse_rfc3339(t.event_time).value_or(snapshot.instant);
    e.time_received = t.time_received;
    e.state = core::parse_interaction_state(t.state).value_or(core::InteractionState::kNone);
    e.received_ns = snapshot.received_ns;
    e.message = std::move(message);
    return true;
}

}  // namespace

Pipeline::Pipeline(PipelineOptions options, Validator validator, Filter filter, Delivery& sinks,
                   DeadLetterWriter& dead_letters)
    : options_(options)
    , envelope_decoder_(options.payloads_are_utf8 ? core::Utf8::kTrusted : core::Utf8::kCheck)
    , notification_decoder_(options.payloads_are_utf8 ? core::Utf8::kTrusted
                                                      : core::Utf8::kCheck)
    , validator_(std::move(validator))
    , filter_(std::move(filter))
    , dedup_(options.dedup_window_events, options.dedup_window_ms)
    , deriver_(options.snapshots)
    , orderer_(options.allowed_lateness_ms)
    , batcher_(options.batch)
    , sinks_(sinks)
    , dead_letters_(dead_letters) {}

void Pipeline::reject_one(Rejection&& r) {
    const auto reason = static_cast<std::size_t>(r.reason);
    bump(counts_.dead_lettered, 1);
    if (reason < PipelineCounts::kReasons) {
        bump(counts_.dead_lettered_by_reason[reason], 1);
    }
    pending_rejections_.push_back(std::move(r));
}

void Pipeline::reject(std::vector<Rejection>& rejections) {
    for (Rejection& r : rejections) {
        reject_one(std::move(r));
    }
    rejections.clear();
}

std::string Pipeline::on_message(std::string payload, std::int64_t received_ns,
                                 std::int64_t now_ms, std::optional<std::uint64_t> sequence) {
    std::shared_ptr<core::Message> message = messages_.take(payload.size());
    message->payload.swap(payload);  // `payload` now holds the previous one's buffer
    message->received_ns = received_ns;
    message->sequence = sequence ? *sequence : message_sequence_;
    message_sequence_ = message->sequence + 1;
    if (tracker_ != nullptr) {
        tracker_->on_message(message->sequence);
    }
    bump(counts_.messages, 1);

    decoded_.events.clear();
    decoded_.rejections.clear();
    decoded_.control = false;
    if (options_.protocol == Protocol::kNotifications) {
        notification_decoder_.decode(std::move(message), decoded_);
    } else {
        envelope_decoder_.decode(std::move(message), decoded_);
    }
    if (decoded_.control) {
        bump(counts_.control, 1);
    }
    bump(counts_.received, decoded_.rejections.size());
    reject(decoded_.rejections);
    for (core::Event& event : decoded_.events) {
        if (event.format == core::EventFormat::kSnapshot) {
            on_snapshot(std::move(event), now_ms);
        } else {
            bump(counts_.received, 1);
            accept(std::move(event), now_ms);
        }
    }
    decoded_.events.clear();
    tick(now_ms);
    return payload;
}

std::int64_t Pipeline::wall_ms() const {
    if (options_.wall_clock_ms) {
        return options_.wall_clock_ms();
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void Pipeline::count_snapshot(SnapshotOutcome outcome) {
    bump(counts_.snapshots_by_outcome[static_cast<std::size_t>(outcome)], 1);
}

void Pipeline::on_snapshot(core::Event&& snapshot, std::int64_t now_ms) {
    bump(counts_.snapshots, 1);
    const std::int64_t received_ms = wall_ms();
    snapshot.instant = core::instant_from_epoch_ms(received_ms).value_or(core::Instant{});
    snapshot.time_received = true;
    detail_.clear();
    if (!validator_.validate(snapshot, detail_)) {
        count_snapshot(SnapshotOutcome::kMalformed);
        bump(counts_.received, 1);
        reject_one(
            {core::Errc::kSchema, "validate", detail_, std::string(snapshot.raw()), std::nullopt});
        return;
    }
    const std::uint64_t stale_before = deriver_.stale_snapshots();
    const std::uint64_t malformed_before = deriver_.malformed_snapshots();
    transitions_.clear();
    // The deriver runs whatever `emit` says, so outcomes and stale detection mean the same in
    // every mode.
    deriver_.derive(snapshot.value.find("topicName").get_string(), snapshot.data, received_ms,
                    now_ms, transitions_);
    counts_.snapshot_conversations.store(deriver_.conversations(), std::memory_order_relaxed);
    if (deriver_.malformed_snapshots() != malformed_before) {
        // The validator checks what the deriver needs; this keeps a disagreement visible.
        count_snapshot(SnapshotOutcome::kMalformed);
        bump(counts_.received, 1);
        reject_one({core::Errc::kBadEnvelope, "decode", "eventBody is not a conversation snapshot",
                    std::string(snapshot.raw()), std::nullopt});
        return;
    }
    if (deriver_.stale_snapshots() != stale_before) {
        count_snapshot(SnapshotOutcome::kStale);
    } else {
        count_snapshot(transitions_.empty() ? SnapshotOutcome::kUnchanged
                                            : SnapshotOutcome::kDerived);
    }
    if (emits_transitions(options_.snapshot_emit)) {
        for (const Transition& t : transitions_) {
            bump(counts_.transitions, 1);
            bump(counts_.received, 1);
            core::Event event;
            if (!make_transition_event(t, snapshot, event)) {
                reject_one({core::Errc::kBadEnvelope, "decode",
                            "derived transition " + t.id + " is not JSON", to_event_json(t),
                            std::nullopt});
                continue;
            }
            accept(std::move(event), now_ms);
        }
    }
    transitions_.clear();
    if (emits_snapshots(options_.snapshot_emit)) {
        bump(counts_.received, 1);
        if (!snapshot.id.is_string() || snapshot.id.get_string().empty()) {
            reject_one({core::Errc::kSchema, "validate",
                        "/metadata/CorrelationId: required (a non-empty string, the id of a raw "
                        "snapshot event)",
                        std::string(snapshot.raw()), std::nullopt});
            return;
        }
        route(std::move(snapshot), now_ms);
    }
}

void Pipeline::accept(core::Event&& event, std::int64_t now_ms) {
    detail_.clear();
    if (!validator_.validate(event, detail_)) {
        reject_one({core::Errc::kSchema, "validate", detail_, std::string(event.raw()),
                    std::nullopt});
        return;
    }
    route(std::move(event), now_ms);
}

void Pipeline::route(core::Event&& event, std::int64_t now_ms) {
    event.sequence = event_sequence_++;
    const FilterKind kind = filter_.check(event);
    if (kind != FilterKind::kNone) {
        bump(counts_.filtered, 1);
        bump(counts_.filtered_by_kind[static_cast<std::size_t>(kind)], 1);
        return;
    }
    if (dedup_.seen(event.id.get_string(), now_ms)) {
        bump(counts_.duplicates, 1);
        return;
    }
    if (tracker_ != nullptr) {
        tracker_->on_held(event);
    }
    orderer_.push(std::move(event), now_ms, released_);
}

void Pipeline::emit(std::int64_t now_ms) {
    for (core::Event& e : released_) {
        if (e.late) {
            bump(counts_.late, 1);
            if (options_.late_policy == LatePolicy::kDeadLetter) {
                if (tracker_ != nullptr) {
                    tracker_->on_done(e);
                }
                reject_one({core::Errc::kLate, "order", "behind the watermark",
                            std::string(e.raw()), std::nullopt});
                continue;
            }
        }
        batcher_.add(std::move(e), now_ms);
        if (batcher_.full()) {
            flush_batch();
        }
    }
    released_.clear();
}

void Pipeline::flush_batch() {
    if (batcher_.empty()) {
        return;
    }
    std::vector<core::Event> batch = batcher_.take();
    DeliveryReport report = sinks_.deliver(batch);
    bump(counts_.batches, 1);
    if (report.delivered > 0) {
        bump(counts_.delivered, report.delivered);
        if (on_delivered_) {
            on_delivered_(batch);
        }
    }
    if (report.abandoned && tracker_ != nullptr) {
        // Shutdown past its deadline: the events stay held, so the write-ahead log keeps their
        // messages for the next start (docs/recovery.md).
        return;
    }
    reject(report.rejections);
    if (tracker_ != nullptr) {
        for (const core::Event& e : batch) {
            tracker_->on_done(e);
        }
    }
}

void Pipeline::flush_rejections() {
    if (!pending_rejections_.empty()) {
        dead_letters_.write(pending_rejections_);
        pending_rejections_.clear();
    }
    rejections_since_ms_.reset();
}

void Pipeline::tick(std::int64_t now_ms) {
    if (deriver_.conversations() > 0) {
        deriver_.expire(now_ms);
        counts_.snapshot_conversations.store(deriver_.conversations(), std::memory_order_relaxed);
    }
    orderer_.release(now_ms, released_);
    emit(now_ms);
    if (batcher_.expired(now_ms)) {
        flush_batch();
    }
    if (pending_rejections_.empty()) {
        return;
    }
    if (!rejections_since_ms_) {
        rejections_since_ms_ = now_ms;
    }
    if (pending_rejections_.size() >= options_.dead_letter_max_pending ||
        now_ms - *rejections_since_ms_ >= options_.dead_letter_flush_ms) {
        flush_rejections();
    }
}

std::optional<std::int64_t> Pipeline::next_deadline_ms() const {
    std::optional<std::int64_t> next = orderer_.next_deadline_ms();
    for (const std::optional<std::int64_t> d :
         {batcher_.deadline_ms(),
          rejections_since_ms_ ? std::optional(*rejections_since_ms_ + options_.dead_letter_flush_ms)
                               : std::nullopt}) {
        if (d && (!next || *d < *next)) {
            next = d;
        }
    }
    return next;
}

void Pipeline::drain(std::int64_t now_ms) {
    orderer_.flush(released_);
    emit(now_ms);
    flush_batch();
    sinks_.flush();
    flush_rejections();
}

}  // namespace gstream::pipeline

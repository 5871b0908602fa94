#include "pipeline/pipeline.hpp"

#include <fmt/format.h>

namespace gstream::pipeline {

std::string PipelineCounts::summary_line() const {
    return fmt::format(
        "summary: received={} delivered={} dead_lettered={} filtered={} duplicates={} control={}",
        received.load(), delivered.load(), dead_lettered.load(), filtered.load(),
        duplicates.load(), control.load());
}

Pipeline::Pipeline(PipelineOptions options, Validator validator, Filter filter, SinkDriver& sinks,
                   DeadLetterWriter& dead_letters)
    : options_(options)
    , validator_(std::move(validator))
    , filter_(std::move(filter))
    , dedup_(options.dedup_window_events, options.dedup_window_ms)
    , orderer_(options.allowed_lateness_ms)
    , batcher_(options.batch)
    , sinks_(sinks)
    , dead_letters_(dead_letters) {}

void Pipeline::reject_one(Rejection&& r) {
    const auto reason = static_cast<std::size_t>(r.reason);
    counts_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
    if (reason < PipelineCounts::kReasons) {
        counts_.dead_lettered_by_reason[reason].fetch_add(1, std::memory_order_relaxed);
    }
    pending_rejections_.push_back(std::move(r));
}

void Pipeline::reject(std::vector<Rejection>& rejections) {
    for (Rejection& r : rejections) {
        reject_one(std::move(r));
    }
    rejections.clear();
}

void Pipeline::on_message(std::string payload, std::int64_t received_ns, std::int64_t now_ms) {
    auto message = std::make_shared<core::Message>();
    message->payload = std::move(payload);
    message->received_ns = received_ns;
    message->sequence = message_sequence_++;
    counts_.messages.fetch_add(1, std::memory_order_relaxed);

    decoded_.events.clear();
    decoded_.rejections.clear();
    decoded_.control = false;
    if (options_.protocol == Protocol::kNotifications) {
        notification_decoder_.decode(std::move(message), decoded_);
    } else {
        envelope_decoder_.decode(std::move(message), decoded_);
    }
    if (decoded_.control) {
        counts_.control.fetch_add(1, std::memory_order_relaxed);
    }
    counts_.received.fetch_add(decoded_.events.size() + decoded_.rejections.size(),
                               std::memory_order_relaxed);
    reject(decoded_.rejections);
    for (core::Event& event : decoded_.events) {
        accept(std::move(event), now_ms);
    }
    decoded_.events.clear();
    tick(now_ms);
}

void Pipeline::accept(core::Event&& event, std::int64_t now_ms) {
    detail_.clear();
    if (!validator_.validate(event, detail_)) {
        reject_one({core::Errc::kSchema, "validate", detail_, std::string(event.raw()),
                    std::nullopt});
        return;
    }
    const FilterKind kind = filter_.check(event);
    if (kind != FilterKind::kNone) {
        counts_.filtered.fetch_add(1, std::memory_order_relaxed);
        counts_.filtered_by_kind[static_cast<std::size_t>(kind)].fetch_add(
            1, std::memory_order_relaxed);
        return;
    }
    if (dedup_.seen(event.id.get_string(), now_ms)) {
        counts_.duplicates.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    orderer_.push(std::move(event), now_ms, released_);
}

void Pipeline::emit(std::int64_t now_ms) {
    for (core::Event& e : released_) {
        if (e.late) {
            counts_.late.fetch_add(1, std::memory_order_relaxed);
            if (options_.late_policy == LatePolicy::kDeadLetter) {
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
    counts_.batches.fetch_add(1, std::memory_order_relaxed);
    if (report.delivered > 0) {
        counts_.delivered.fetch_add(report.delivered, std::memory_order_relaxed);
        if (on_delivered_) {
            on_delivered_(batch);
        }
    }
    reject(report.rejections);
}

void Pipeline::flush_rejections() {
    if (!pending_rejections_.empty()) {
        dead_letters_.write(pending_rejections_);
        pending_rejections_.clear();
    }
    rejections_since_ms_.reset();
}

void Pipeline::tick(std::int64_t now_ms) {
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

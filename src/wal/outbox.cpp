#include "wal/outbox.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "ops/logging.hpp"
#include "sink/file/file_formatter.hpp"
#include "wal/disk_retry.hpp"

namespace gstream::wal {

Outbox::Outbox(WalOptions options, std::function<bool()> give_up)
    : give_up_(std::move(give_up)) {
    boost::system::error_code ec;
    const std::string dir = options.dir;
    log_ = WriteAheadLog::open(std::move(options), ec);
    if (!log_) {
        throw std::runtime_error(
            fmt::format("write-ahead log: cannot open the outbox '{}': {}", dir, ec.message()));
    }
    // A torn tail is past every checkpoint's outbox end: prepare() removes it anyway.
    log_->take_torn([](const WalRecord&) {});
    publish();
}

Outbox::~Outbox() = default;

void Outbox::prepare(std::uint64_t end) {
    if (end > log_->next_sequence()) {
        throw std::runtime_error(fmt::format(
            "write-ahead log: the outbox '{}' ends at record {} but the checkpoint covers {} "
            "(records removed by hand?); move the write-ahead log away to start afresh",
            log_->dir(), log_->next_sequence(), end));
    }
    if (const auto ec = log_->truncate_from(end)) {
        throw std::runtime_error(fmt::format("write-ahead log: cannot cut the outbox '{}' back to "
                                             "record {}: {}",
                                             log_->dir(), end, ec.message()));
    }
    publish();
}

void Outbox::publish() {
    bytes_.store(log_->bytes(), std::memory_order_relaxed);
    end_.store(log_->next_sequence(), std::memory_order_release);
    std::lock_guard lock(mutex_);
    advanced_.notify_all();
}

void Outbox::encode(std::span<const core::Event> events, std::string& out) {
    out.push_back('[');
    for (std::size_t i = 0; i < events.size(); ++i) {
        out.append(i == 0 ? "[" : ",[");
        sink::file::format_event(events[i], out);
        out.back() = ',';  // the line's '\n'
        out.append(events[i].raw());
        out.push_back(']');
    }
    out.push_back(']');
}

bool Outbox::decode(std::shared_ptr<core::Message> record,
                    std::vector<core::Event>& out,
                    std::string& error) {
    if (!record->doc.parse_in_place(record->payload)) {
        error = "the outbox record is not JSON";
        return false;
    }
    const core::JsonValue root = record->doc.root();
    if (!root.is_array()) {
        error = "the outbox record is not an array";
        return false;
    }
    std::shared_ptr<const core::Message> message = std::move(record);
    bool ok = true;
    root.for_each_element([&](core::JsonValue pair) {
        core::JsonValue line;
        core::JsonValue raw;
        std::size_t i = 0;
        pair.for_each_element([&](core::JsonValue v) {
            (i == 0 ? line : raw) = v;
            ++i;
        });
        const core::JsonValue time = line.find("eventTime");
        const auto instant = core::parse_rfc3339(time.get_string());
        if (i != 2 || !line.is_object() || !instant) {
            ok = false;
            return;
        }
        core::Event e;
        e.message = message;
        e.format = core::EventFormat::kTransition;
        e.value = raw;
        e.id = line.find("id");
        e.event_type = line.find("eventType");
        e.kind = e.event_type.get_string();
        e.data = line.find("data");
        e.queue_id = line.find("queueId");
        e.conversation_id = line.find("conversationId");
        e.instant = *instant;
        e.late = line.find("late").get_bool();
        e.received_ns = message->received_ns;
        out.push_back(std::move(e));
    });
    if (!ok) {
        error = "an outbox entry is not a [line, raw] pair with an eventTime";
    }
    return ok;
}

pipeline::DeliveryReport Outbox::deliver(std::span<const core::Event> events) {
    pipeline::DeliveryReport report;
    if (events.empty()) {
        return report;
    }
    buffer_.clear();
    encode(events, buffer_);
    const std::uint64_t sequence = log_->append(buffer_, core::wall_ms(), core::steady_ms());
    boost::system::error_code ec;
    const bool written = retry_on_disk_error(
        [&] {
            ec = log_->flush(core::steady_ms());
            return !ec;
        },
        give_up_,
        [&](bool stop) {
            healthy_.store(false, std::memory_order_relaxed);
            ops::logger("wal")->error("outbox write failed dir=\"{}\" events={} error=\"{}\"{}",
                                      log_->dir(), events.size(), ec.message(),
                                      stop ? " (shutting down: left in the write-ahead log)"
                                           : "; retrying");
        });
    if (!written) {
        // The events stay pending in the log; this record must not stay behind them.
        (void)log_->truncate_from(sequence);
        report.abandoned = true;
        return report;
    }
    healthy_.store(true, std::memory_order_relaxed);
    publish();
    report.delivered = events.size();
    return report;
}

boost::system::error_code Outbox::sync() {
    const boost::system::error_code ec = log_->sync(core::steady_ms());
    healthy_.store(!ec, std::memory_order_relaxed);
    publish();
    return ec;
}

void Outbox::release_through(std::uint64_t sequence) {
    if (const auto ec = log_->release_through(sequence)) {
        ops::logger("wal")->warn("outbox segment not deleted: {}", ec.message());
    }
    bytes_.store(log_->bytes(), std::memory_order_relaxed);
}

void Outbox::close() {
    closed_.store(true, std::memory_order_release);
    std::lock_guard lock(mutex_);
    advanced_.notify_all();
}

std::uint64_t Outbox::wait_beyond(std::uint64_t sequence,
                                  std::chrono::steady_clock::time_point deadline) {
    if (end() > sequence || closed()) {
        return end();
    }
    std::unique_lock lock(mutex_);
    advanced_.wait_until(lock, deadline, [&] { return end() > sequence || closed(); });
    return end();
}

}  // namespace gstream::wal

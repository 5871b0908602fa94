#include "sink/kafka/kafka_sink.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "config/config_loader.hpp"
#include "core/clock.hpp"

namespace gstream::sink::kafka {
namespace {

using core::steady_ms;

enum class ErrorKind { kRetriable, kReject, kFatal };

struct Classified {
    ErrorKind kind;
    std::string_view reason;  // the reason code of a kReject
};

// What an error from a delivery report, produce() or metadata means for the event
// (librdkafka rdkafka.h error codes; Kafka protocol error codes). Where Kafka calls an error
// retriable (leadership changes, timeouts, transport) the batch is retried; an event the broker
// will never take is rejected with a reason code the dead-letter queue keeps.
Classified classify(rd_kafka_resp_err_t err) {
    switch (err) {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
            return {ErrorKind::kReject, "too_large"};
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
            return {ErrorKind::kReject, "not_authorized"};
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
            return {ErrorKind::kReject, "invalid_topic"};
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
            return {ErrorKind::kReject, "invalid_record"};
        case RD_KAFKA_RESP_ERR__FATAL:
            return {ErrorKind::kFatal, {}};
        default:
            return {ErrorKind::kRetriable, {}};
    }
}

// Delivery reports are tagged with (batch generation, index in the batch).
void* make_tag(std::uint32_t generation, std::size_t index) {
    return reinterpret_cast<void*>((static_cast<std::uintptr_t>(generation) << 32) |
                                   static_cast<std::uintptr_t>(index));
}

std::int64_t remaining_ms(std::int64_t deadline_ms) {
    return std::max<std::int64_t>(0, deadline_ms - steady_ms());
}

int poll_ms(std::int64_t deadline_ms, std::int64_t cap) {
    return static_cast<int>(std::min(remaining_ms(deadline_ms), cap));
}

// The event id a read-back message carries when `sink` produced it; empty otherwise.
std::string_view own_event_id(const rd_kafka_message_t& m, std::string_view sink) {
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return {};
    }
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_header_get_last(headers, std::string(kSinkHeader).c_str(), &value, &size) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        std::string_view(static_cast<const char*>(value), size) != sink) {
        return {};
    }
    if (rd_kafka_header_get_last(headers, std::string(kEventIdHeader).c_str(), &value, &size) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
        return {};
    }
    return {static_cast<const char*>(value), size};
}

}  // namespace

KafkaSink::KafkaSink(KafkaSinkConfig config)
    : config_(std::move(config))
    , formatter_(config_)
    , librdkafka_log_(ops::logger("sink"), 20, std::chrono::seconds(10)) {
    for (const auto& [key, value] : config_.librdkafka) {
        if (config::is_secret_key(key) && !value.empty()) {
            secrets_.push_back(value);
        }
    }
    if (std::string problem = check_kafka_config(config_); !problem.empty()) {
        throw std::runtime_error(problem);
    }
    build_producer();
    if (!config_.exactly_once) {
        ops::logger("sink")->info(
            "kafka sink: exactly_once is off: after a crash the events since the last "
            "checkpoint are produced again (at-least-once) sink={}",
            config_.name);
    }
}

KafkaSink::~KafkaSink() {
    if (producer_) {
        // Everything acknowledged is delivered already; this only waits for a batch that was
        // answered kRetry at shutdown, and never longer than one batch would.
        rd_kafka_flush(producer_.get(), static_cast<int>(config_.ack_timeout_ms));
    }
    drop_producer();
}

void KafkaSink::build_producer() {
    ConfHandle conf(rd_kafka_conf_new());
    char error[512];
    for (const auto& [key, value] : producer_properties(config_)) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error, sizeof error) !=
            RD_KAFKA_CONF_OK) {
            throw std::runtime_error(
                fmt::format("sink '{}': librdkafka.{}: {}", config_.name, key, error));
        }
    }
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaSink::delivery_report_cb);
    rd_kafka_conf_set_error_cb(conf.get(), &KafkaSink::error_cb);
    rd_kafka_conf_set_log_cb(conf.get(), &KafkaSink::log_cb);
    // rd_kafka_new() takes the configuration only when it succeeds.
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
    if (rk == nullptr) {
        throw std::runtime_error(
            fmt::format("sink '{}': librdkafka refused the configuration: "
                        "{} (sinks[].librdkafka)",
                        config_.name, ops::redact(error, secrets_)));
    }
    (void)conf.release();
    producer_.reset(rk);
    fatal_.store(false);
    ++producers_built_;
}

void KafkaSink::drop_producer() {
    if (producer_) {
        rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(producer_.get(), 0);  // the purged messages' delivery reports
    }
    topics_.clear();
    producer_.reset();
    for (Slot& s : slots_) {
        if (s.state == SlotState::kInFlight) {
            s.state = SlotState::kUnsent;
        }
    }
}

void KafkaSink::at_outbox_record(std::uint64_t record) {
    record_ = record;
}

std::optional<Position> KafkaSink::position_of(std::size_t index) const {
    if (!batch_record_) {
        return std::nullopt;
    }
    return Position{*batch_record_, index};
}

std::vector<RejectedEvent> KafkaSink::take_rejected() {
    return std::exchange(rejected_, {});
}

SinkResult KafkaSink::write_batch(std::span<const core::Event> events) {
    rejected_.clear();
    const std::int64_t deadline = steady_ms() + config_.ack_timeout_ms;
    if (fatal_.load() && producer_) {
        char detail[512] = "";
        const rd_kafka_resp_err_t err =
            rd_kafka_fatal_error(producer_.get(), detail, sizeof detail);
        ops::logger("sink")->error(
            "kafka producer failed fatally; rebuilding it sink={} error=\"{}: {}\"", config_.name,
            rd_kafka_err2name(err), ops::redact(detail, secrets_));
        drop_producer();
    }
    if (!producer_) {
        try {
            build_producer();
        } catch (const std::runtime_error& e) {
            last_error_ = e.what();
            return SinkResult::kRetry;
        }
    }
    const bool same_batch =
        batch_open_ && slots_.size() == events.size() && batch_record_ == record_;
    if (!same_batch) {
        ++generation_;
        slots_.assign(events.size(), Slot{});
        batch_record_ = record_;
        batch_open_ = true;
    }

    SinkResult produced = SinkResult::kOk;
    try {
        for (std::size_t i = 0; i < events.size() && produced == SinkResult::kOk; ++i) {
            if (slots_[i].state == SlotState::kUnsent) {
                produced = produce(events, i, deadline);
            }
        }
    } catch (const std::logic_error& e) {  // a `format` not built yet (EventEncoder)
        last_error_ = fmt::format("format: {}", e.what());
        batch_open_ = false;
        return SinkResult::kReject;
    }
    const auto in_flight = [&] {
        return std::count_if(slots_.begin(), slots_.end(),
                             [](const Slot& s) { return s.state == SlotState::kInFlight; });
    };
    while (in_flight() > 0 && !fatal_.load() && remaining_ms(deadline) > 0) {
        rd_kafka_flush(producer_.get(), poll_ms(deadline, 100));
    }
    rd_kafka_poll(producer_.get(), 0);
    if (fatal_.load()) {
        return SinkResult::kRetry;  // the next call rebuilds the producer
    }
    if (const auto waiting = in_flight(); waiting > 0) {
        last_error_ = fmt::format(
            "{} of {} delivery reports missing after ack_timeout_ms={} (brokers unreachable?)",
            waiting, events.size(), config_.ack_timeout_ms);
        return SinkResult::kRetry;
    }
    if (produced != SinkResult::kOk || std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) {
            return s.state == SlotState::kUnsent;
        })) {
        return SinkResult::kRetry;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].state == SlotState::kRejected) {
            rejected_.push_back({i, std::move(slots_[i].detail)});
        }
    }
    batch_open_ = false;
    return SinkResult::kOk;
}

SinkResult KafkaSink::ensure_topic(const std::string& name, Topic*& out, std::int64_t deadline) {
    Topic& t = topics_[name];
    out = &t;
    if (!t.handle) {
        t.handle.reset(rd_kafka_topic_new(producer_.get(), name.c_str(), nullptr));
        if (!t.handle) {
            t.refused =
                fmt::format("invalid_topic: {}: {}", name, rd_kafka_err2str(rd_kafka_last_error()));
            return SinkResult::kOk;
        }
    }
    while (t.partitions == 0 && t.refused.empty()) {
        const rd_kafka_metadata_t* md = nullptr;
        const rd_kafka_resp_err_t err = rd_kafka_metadata(producer_.get(), 0, t.handle.get(), &md,
                                                          std::max(1, poll_ms(deadline, 1000)));
        std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> guard(
            md, &rd_kafka_metadata_destroy);
        rd_kafka_resp_err_t topic_err = err;
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
            topic_err = md->topics[0].err;
            if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                t.partitions = md->topics[0].partition_cnt;
            }
        }
        if (const Classified c = classify(topic_err); c.kind == ErrorKind::kReject) {
            t.refused =
                fmt::format("{}: topic {}: {}", c.reason, name, rd_kafka_err2str(topic_err));
            break;
        }
        if (t.partitions == 0 && remaining_ms(deadline) == 0) {
            last_error_ = fmt::format("no metadata for topic {} within ack_timeout_ms={}: {}", name,
                                      config_.ack_timeout_ms, rd_kafka_err2str(topic_err));
            return SinkResult::kRetry;
        }
        if (t.partitions == 0 && err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_poll(producer_.get(), poll_ms(deadline, 50));  // auto-creation under way
        }
    }
    if (t.refused.empty()) {
        t.held.resize(static_cast<std::size_t>(t.partitions));
        if (config_.exactly_once && !t.tail_read) {
            if (!read_tail(name, t, deadline)) {
                return SinkResult::kRetry;
            }
            t.tail_read = true;
        }
    }
    return SinkResult::kOk;
}

bool KafkaSink::read_tail(const std::string& name, Topic& topic, std::int64_t deadline) {
    const auto read_started_ms = steady_ms();
    ConfHandle conf(rd_kafka_conf_new());
    char error[512];
    auto properties = consumer_properties(config_);
    properties.emplace_back("enable.partition.eof", "true");
    properties.emplace_back("isolation.level", "read_uncommitted");
    for (const auto& [key, value] : properties) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error, sizeof error) !=
            RD_KAFKA_CONF_OK) {
            last_error_ = fmt::format("exactly_once read-back: {}: {}", key, error);
            return false;
        }
    }
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_log_cb(conf.get(), &KafkaSink::log_cb);
    KafkaHandle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error));
    if (!consumer) {
        last_error_ = fmt::format("exactly_once read-back: {}", ops::redact(error, secrets_));
        return false;
    }
    (void)conf.release();
    TopicHandle rkt(rd_kafka_topic_new(consumer.get(), name.c_str(), nullptr));
    QueueHandle queue(rd_kafka_queue_new(consumer.get()));
    // Per partition: the offset after the last message (the high watermark), and whether the
    // read has reached it.
    std::vector<std::int64_t> high(static_cast<std::size_t>(topic.partitions), 0);
    std::vector<bool> done(high.size(), true);
    std::vector<bool> started(high.size(), false);
    const auto stop_all = [&] {
        for (std::size_t q = 0; q < started.size(); ++q) {
            if (started[q]) {
                rd_kafka_consume_stop(rkt.get(), static_cast<std::int32_t>(q));
            }
        }
    };
    std::size_t open = 0;
    std::int64_t messages = 0;
    for (auto& ids : topic.held) {
        ids.clear();
    }
    for (std::int32_t p = 0; p < topic.partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t hi = 0;
        const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            consumer.get(), name.c_str(), p, &low, &hi, std::max(1, poll_ms(deadline, 5000)));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            last_error_ = fmt::format("exactly_once read-back: offsets of {} [{}]: {}", name, p,
                                      rd_kafka_err2str(err));
            stop_all();
            return false;
        }
        high[static_cast<std::size_t>(p)] = hi;
        if (hi > low) {
            const std::int64_t start = std::max(low, hi - config_.exactly_once_tail);
            if (rd_kafka_consume_start_queue(rkt.get(), p, start, queue.get()) == -1) {
                last_error_ = fmt::format("exactly_once read-back: start {} [{}]: {}", name, p,
                                          rd_kafka_err2str(rd_kafka_last_error()));
                stop_all();
                return false;
            }
            done[static_cast<std::size_t>(p)] = false;
            started[static_cast<std::size_t>(p)] = true;
            ++open;
        }
    }
    while (open > 0 && remaining_ms(deadline) > 0) {
        rd_kafka_message_t* m = rd_kafka_consume_queue(queue.get(), poll_ms(deadline, 100));
        if (m == nullptr) {
            continue;
        }
        const auto p = static_cast<std::size_t>(m->partition);
        if (p < high.size() && !done[p]) {
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                ++messages;
                if (const auto id = own_event_id(*m, config_.name); !id.empty()) {
                    topic.held[p].emplace(id);
                }
            }
            if ((m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset + 1 >= high[p]) ||
                (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && m->offset >= high[p])) {
                done[p] = true;
                --open;
            }
        }
        rd_kafka_message_destroy(m);
    }
    stop_all();
    if (open > 0) {
        last_error_ = fmt::format(
            "exactly_once read-back of topic {} incomplete within ack_timeout_ms={} "
            "({} partitions left)",
            name, config_.ack_timeout_ms, open);
        return false;
    }
    ops::logger("sink")->info(
        "kafka sink: read back the tail of each partition sink={} topic={} partitions={} "
        "messages={} ms={}",
        config_.name, name, topic.partitions, messages, steady_ms() - read_started_ms);
    return true;
}

SinkResult KafkaSink::produce(std::span<const core::Event> events,
                              std::size_t i,
                              std::int64_t deadline) {
    Slot& slot = slots_[i];
    const core::Event& event = events[i];
    const std::string& topic_name = formatter_.topic_of(event);
    Topic* topic = nullptr;
    if (ensure_topic(topic_name, topic, deadline) != SinkResult::kOk) {
        return SinkResult::kRetry;
    }
    if (!topic->refused.empty()) {
        slot.state = SlotState::kRejected;
        slot.detail = topic->refused;
        return SinkResult::kOk;
    }
    const std::string key = formatter_.key_of(event);
    slot.topic = topic_name;
    slot.partition = partition_for(key, topic->partitions);
    if (config_.exactly_once &&
        topic->held[static_cast<std::size_t>(slot.partition)].contains(format::event_id(event))) {
        slot.state = SlotState::kSkipped;
        ++skipped_;
        return SinkResult::kOk;
    }
    formatter_.format(event, position_of(i), message_);
    for (;;) {
        rd_kafka_headers_t* headers = rd_kafka_headers_new(message_.headers.size());
        for (const auto& [name, value] : message_.headers) {
            rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                                value.data(), static_cast<ssize_t>(value.size()));
        }
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_TOPIC(topic_name.c_str()),
            RD_KAFKA_V_PARTITION(slot.partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(message_.key.data(), message_.key.size()),
            RD_KAFKA_V_VALUE(message_.value.data(), message_.value.size()),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(make_tag(generation_, i)),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {  // the message owns the headers now
            slot.state = SlotState::kInFlight;
            return SinkResult::kOk;
        }
        rd_kafka_headers_destroy(headers);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && remaining_ms(deadline) > 0) {
            // Bounded in flight (queue.buffering.max.messages/kbytes): wait for reports.
            rd_kafka_poll(producer_.get(), poll_ms(deadline, 10));
            continue;
        }
        const Classified c = classify(err);
        if (c.kind == ErrorKind::kReject) {
            slot.state = SlotState::kRejected;
            slot.detail = fmt::format("{}: {} ({} bytes, topic {})", c.reason,
                                      rd_kafka_err2str(err), message_.value.size(), topic_name);
            return SinkResult::kOk;
        }
        if (c.kind == ErrorKind::kFatal) {
            fatal_.store(true);
        }
        last_error_ = fmt::format("produce to {}: {}", topic_name, rd_kafka_err2str(err));
        return SinkResult::kRetry;
    }
}

void KafkaSink::on_delivery(const rd_kafka_message_t& m) {
    const auto tag = reinterpret_cast<std::uintptr_t>(m._private);
    const auto generation = static_cast<std::uint32_t>(tag >> 32);
    const auto index = static_cast<std::size_t>(tag & 0xffffffffU);
    if (generation != generation_ || index >= slots_.size()) {
        return;  // a batch given up on at shutdown
    }
    Slot& slot = slots_[index];
    if (slot.state != SlotState::kInFlight) {
        return;
    }
    if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        slot.state = SlotState::kDelivered;
        return;
    }
    const Classified c = classify(m.err);
    if (c.kind == ErrorKind::kReject) {
        slot.state = SlotState::kRejected;
        slot.detail = fmt::format("{}: {} ({} bytes, topic {} partition {})", c.reason,
                                  rd_kafka_err2str(m.err), m.len, slot.topic, slot.partition);
        return;
    }
    slot.state = SlotState::kUnsent;
    if (c.kind == ErrorKind::kFatal) {
        fatal_.store(true);
    }
    last_error_ = fmt::format("delivery report: {} (topic {} partition {})",
                              rd_kafka_err2str(m.err), slot.topic, slot.partition);
    if (rd_kafka_message_status(&m) != RD_KAFKA_MSG_STATUS_NOT_PERSISTED) {
        // It may be in the partition: read the tail again before producing it again.
        if (const auto it = topics_.find(slot.topic); it != topics_.end()) {
            it->second.tail_read = false;
        }
    }
}

void KafkaSink::delivery_report_cb(rd_kafka_t* /*rk*/,
                                   const rd_kafka_message_t* message,
                                   void* opaque) {
    static_cast<KafkaSink*>(opaque)->on_delivery(*message);
}

void KafkaSink::error_cb(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSink*>(opaque);
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        self->fatal_.store(true);
    }
    self->librdkafka_log_.log(
        code == RD_KAFKA_RESP_ERR__FATAL ? spdlog::level::err : spdlog::level::warn, "error",
        std::chrono::steady_clock::now(), "kafka client error sink={} code={} error=\"{}\"",
        self->config_.name, rd_kafka_err2name(code), ops::redact(reason, self->secrets_));
}

void KafkaSink::log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* buf) {
    const auto* self = static_cast<const KafkaSink*>(rd_kafka_opaque(rk));
    if (self == nullptr) {
        return;
    }
    // syslog levels (rdkafka.h, `log_level`).
    const spdlog::level::level_enum to = level <= 3   ? spdlog::level::err
                                         : level == 4 ? spdlog::level::warn
                                         : level <= 6 ? spdlog::level::info
                                                      : spdlog::level::debug;
    const std::string_view key = to == spdlog::level::err    ? "log-error"
                                 : to == spdlog::level::warn ? "log-warn"
                                                             : "log-info";
    self->librdkafka_log_.log(to, key, std::chrono::steady_clock::now(),
                              "librdkafka sink={} facility={} {}", self->config_.name, facility,
                              ops::redact(buf, self->secrets_));
}

}  // namespace gstream::sink::kafka

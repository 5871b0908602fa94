#pragma once
// Kafka sink: each event becomes one message (kafka_formatter.hpp) produced with librdkafka 2.0.2
// (C API), idempotent (enable.idempotence=true, acks=all) and partitioned by murmur2 of its key,
// computed here from the topic's partition count so that the sink knows each event's partition.
//
// Acknowledgement: write_batch() answers kOk only when every message of the batch has a
// successful delivery report (or was skipped as already in its partition, below); a message the
// broker will never take (too large, invalid topic or record, not authorised) is reported through
// take_rejected() with its reason code (`too_large: ...`). Retriable errors, and delivery reports
// still missing after `ack_timeout_ms`, answer kRetry; the next call (the same batch, the
// driver's contract) re-produces only the messages that failed, and waits again for those still
// in flight, so a retry never sends a delivered message twice. A fatal producer error (the
// idempotent producer's, rd_kafka_fatal_error) destroys and rebuilds the producer.
//
// Exactly-once (`exactly_once: true`): every message carries `gstream-sink: <name>` and
// `gstream-event-id: <id>` (and with a write-ahead log `gstream-position: <record>.<index>`, for
// diagnostics). When the producer is (re)built, and after a delivery whose outcome is unknown
// (possibly persisted), the sink reads back the last `exactly_once_tail` messages of each
// partition of a topic before writing to it and skips every event whose id its partition's tail
// already holds under this sink's name. Why ids and not the outbox position: on start the outbox
// is cut back to the checkpoint and the cut records are rebuilt from the log, so one record
// number may name other events after a crash (docs/recovery.md); an event's id does not change.
// The tail must cover what a restart re-sends: the events since the last checkpoint
// (docs/sinks/kafka.md, "Limits").
//
// Not thread-safe: one thread (the pipeline's, or wal::SinkCursor's) calls every member.
// librdkafka's delivery-report and error callbacks run in that thread (rd_kafka_poll/flush);
// only its log callback runs on librdkafka's threads, and reads immutable state only.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "ops/logging.hpp"
#include "sink/kafka/kafka_config.hpp"
#include "sink/kafka/kafka_formatter.hpp"
#include "sink/sink.hpp"

namespace gstream::sink::kafka {

struct KafkaDeleter {
    void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
    void operator()(rd_kafka_topic_t* rkt) const noexcept { rd_kafka_topic_destroy(rkt); }
    void operator()(rd_kafka_queue_t* rkqu) const noexcept { rd_kafka_queue_destroy(rkqu); }
    void operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>;
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;

class KafkaSink final : public Sink {
public:
    /// Builds the producer (no network call yet: librdkafka connects in the background).
    /// Throws std::runtime_error naming the sink and the property when librdkafka refuses the
    /// configuration (start-up).
    explicit KafkaSink(KafkaSinkConfig config);
    /// Waits up to ack_timeout_ms for messages still in flight, then drops them.
    ~KafkaSink() override;
    KafkaSink(const KafkaSink&) = delete;
    KafkaSink& operator=(const KafkaSink&) = delete;

    std::string_view name() const override { return config_.name; }
    SinkResult write_batch(std::span<const core::Event> events) override;
    void at_outbox_record(std::uint64_t record) override;
    std::string last_error() const override { return last_error_; }
    std::vector<RejectedEvent> take_rejected() override;

    /// Producers built so far (1 + rebuilds after fatal errors). Diagnostics, tests.
    std::uint64_t producers_built() const noexcept { return producers_built_; }
    /// Events skipped so far because their partition's tail already held their id.
    std::uint64_t skipped() const noexcept { return skipped_; }
    /// The current producer, null between a fatal error and the rebuild. Tests only (e.g.
    /// rd_kafka_test_fatal_error); the sink owns it.
    rd_kafka_t* producer_for_testing() const noexcept { return producer_.get(); }

private:
    enum class SlotState : std::uint8_t {
        kUnsent,     // to produce (again)
        kInFlight,   // produced, no delivery report yet
        kDelivered,  // successful delivery report
        kSkipped,    // its partition already holds its position
        kRejected,   // the broker will never take it
    };
    struct Slot {
        SlotState state = SlotState::kUnsent;
        std::string detail;  // kRejected: "<reason>: ..."
        std::string topic;
        std::int32_t partition = -1;
    };
    struct Topic {
        TopicHandle handle;
        std::int32_t partitions = 0;
        /// Per partition: the event ids of this sink's messages in its tail, as last read back.
        std::vector<std::unordered_set<std::string>> held;
        bool tail_read = false;
        /// Not empty: the cluster refuses the topic (invalid name, not authorised): its events
        /// are rejected with this detail.
        std::string refused;
    };

    void build_producer();
    void drop_producer();
    SinkResult ensure_topic(const std::string& name, Topic*& out, std::int64_t deadline_ms);
    bool read_tail(const std::string& name, Topic& topic, std::int64_t deadline_ms);
    SinkResult produce(std::span<const core::Event> events,
                       std::size_t i,
                       std::int64_t deadline_ms);
    void on_delivery(const rd_kafka_message_t& message);
    std::optional<Position> position_of(std::size_t index) const;

    static void delivery_report_cb(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
    static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque);
    static void log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* buf);

    KafkaSinkConfig config_;
    KafkaFormatter formatter_;
    std::vector<std::string> secrets_;  // values of credential properties, scrubbed from logs

    KafkaHandle producer_;
    std::map<std::string, Topic> topics_;  // destroyed before producer_ (drop_producer)
    std::atomic<bool> fatal_{false};
    std::uint64_t producers_built_ = 0;

    // The batch under way: the same batch is passed again after a kRetry.
    std::optional<std::uint64_t> record_;        // from at_outbox_record()
    std::optional<std::uint64_t> batch_record_;  // record_ when the batch started
    std::vector<Slot> slots_;
    bool batch_open_ = false;
    std::uint32_t generation_ = 0;  // tags delivery reports with their batch

    std::vector<RejectedEvent> rejected_;
    std::string last_error_;
    std::uint64_t skipped_ = 0;
    KafkaMessage message_;                        // reused
    mutable ops::RateLimitedLog librdkafka_log_;  // librdkafka's log and error lines, per level
};

}  // namespace gstream::sink::kafka

#pragma once
// Kafka for tests: librdkafka's mock cluster in its own process (tests/tools/kafka_mock_cluster,
// which outlives a daemon killed with SIGKILL), and a read-back of a whole topic.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

struct rd_kafka_s;  // rd_kafka_t (librdkafka/rdkafka.h)

namespace gstream::testing {

/// The helper program, started with a mock cluster ready. Its stdin is a pipe of ours: closing
/// it (the destructor) ends the helper.
class KafkaMockCluster {
public:
    KafkaMockCluster(int brokers,
                     int partitions,
                     const std::vector<std::string>& topics,
                     const std::string& stderr_path = "/dev/null");
    ~KafkaMockCluster();
    KafkaMockCluster(const KafkaMockCluster&) = delete;
    KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

    /// "127.0.0.1:PORT,..." (bootstrap.servers).
    const std::string& bootstrap() const { return bootstrap_; }
    /// Sends one command ("down all", "up 1", "topic NAME P") and waits for its answer; the
    /// answer ("ok" when it worked).
    std::string command(const std::string& line,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    std::string read_line(std::chrono::milliseconds timeout);

    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    std::string buffer_;
    std::string bootstrap_;
};

struct KafkaRecord {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
    /// The last header `name`, "" when absent.
    std::string header(const std::string& name) const;
};

/// Every record of `topic`, partition by partition in offset order, read by a plain consumer
/// (no group) from each partition's low to its high watermark. Throws std::runtime_error when
/// the read does not complete within `timeout`.
std::vector<KafkaRecord> read_topic(const std::string& bootstrap,
                                    const std::string& topic,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// The number of messages in a topic (the sum of its partitions' high watermarks), asked again
/// on each call over one client: cheap enough to poll while a daemon produces.
class KafkaTopicWatch {
public:
    KafkaTopicWatch(const std::string& bootstrap, std::string topic, int partitions);
    ~KafkaTopicWatch();
    KafkaTopicWatch(const KafkaTopicWatch&) = delete;
    KafkaTopicWatch& operator=(const KafkaTopicWatch&) = delete;
    /// -1 when a partition's watermark could not be read within a second.
    std::int64_t messages();

private:
    ::rd_kafka_s* rk_ = nullptr;
    std::string topic_;
    int partitions_ = 0;
};

}  // namespace gstream::testing

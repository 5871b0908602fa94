#include "support/kafka_mock.hpp"

#include <memory>
#include <stdexcept>

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_paths.hpp"

namespace gstream::testing {

KafkaMockCluster::KafkaMockCluster(int brokers,
                                   int partitions,
                                   const std::vector<std::string>& topics,
                                   const std::string& stderr_path) {
    std::vector<std::string> argv{kafka_mock_cluster_path(), "--brokers", std::to_string(brokers),
                                  "--partitions", std::to_string(partitions)};
    for (const std::string& t : topics) {
        argv.emplace_back("--topic");
        argv.push_back(t);
    }
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<char*> args;
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0) {
            ::dup2(err, STDERR_FILENO);
        }
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    bootstrap_ = read_line(std::chrono::seconds(30));
    if (bootstrap_.empty()) {
        throw std::runtime_error("kafka_mock_cluster did not print its bootstrap servers");
    }
}

KafkaMockCluster::~KafkaMockCluster() {
    if (stdin_fd_ >= 0) {
        ::close(stdin_fd_);
    }
    if (pid_ > 0) {
        // Closing stdin ends it; SIGTERM too, should it be blocked elsewhere.
        ::kill(pid_, SIGTERM);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
    if (stdout_fd_ >= 0) {
        ::close(stdout_fd_);
    }
}

std::string KafkaMockCluster::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return {};
        }
        pollfd pfd{stdout_fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char buf[512];
        const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
        if (n <= 0) {
            return {};
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
    }
}

std::string KafkaMockCluster::command(const std::string& line, std::chrono::milliseconds timeout) {
    const std::string text = line + "\n";
    if (::write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        return "error: write failed";
    }
    return read_line(timeout);
}

std::string KafkaRecord::header(const std::string& name) const {
    std::string last;
    for (const auto& [k, v] : headers) {
        if (k == name) {
            last = v;
        }
    }
    return last;
}

std::vector<KafkaRecord> read_topic(const std::string& bootstrap,
                                    const std::string& topic,
                                    std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto left_ms = [&] {
        return static_cast<int>(
            std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count()));
    };
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> rk(
        rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error), &rd_kafka_destroy);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(error);
    }
    std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> rkt(
        rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr), &rd_kafka_topic_destroy);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk.get(), 0, rkt.get(), &md, left_ms()) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md != nullptr) {
            rd_kafka_metadata_destroy(md);
        }
        throw std::runtime_error("read_topic: no metadata for " + topic);
    }
    const int partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    std::vector<KafkaRecord> records;
    for (int p = 0; p < partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        if (rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, left_ms()) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error("read_topic: no watermarks");
        }
        if (high <= low) {
            continue;
        }
        rd_kafka_consume_start(rkt.get(), p, low);
        std::int64_t next = low;
        while (next < high) {
            if (std::chrono::steady_clock::now() >= deadline) {
                rd_kafka_consume_stop(rkt.get(), p);
                throw std::runtime_error("read_topic: timed out");
            }
            rd_kafka_message_t* m = rd_kafka_consume(rkt.get(), p, 100);
            if (m == nullptr) {
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                KafkaRecord r;
                r.partition = p;
                r.offset = m->offset;
                if (m->key != nullptr) {
                    r.key.assign(static_cast<const char*>(m->key), m->key_len);
                }
                if (m->payload != nullptr) {
                    r.value.assign(static_cast<const char*>(m->payload), m->len);
                }
                rd_kafka_headers_t* hdrs = nullptr;
                if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    const char* name = nullptr;
                    const void* value = nullptr;
                    std::size_t size = 0;
                    for (std::size_t i = 0;
                         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) ==
                         RD_KAFKA_RESP_ERR_NO_ERROR;
                         ++i) {
                        r.headers.emplace_back(name,
                                               std::string(static_cast<const char*>(value), size));
                    }
                }
                next = m->offset + 1;
                records.push_back(std::move(r));
            } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                next = std::max(next, m->offset);
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_consume_stop(rkt.get(), p);
    }
    return records;
}

KafkaTopicWatch::KafkaTopicWatch(const std::string& bootstrap, std::string topic, int partitions)
    : topic_(std::move(topic))
    , partitions_(partitions) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (rk_ == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(error);
    }
}

KafkaTopicWatch::~KafkaTopicWatch() {
    rd_kafka_destroy(rk_);
}

std::int64_t KafkaTopicWatch::messages() {
    std::int64_t total = 0;
    for (int p = 0; p < partitions_; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        if (rd_kafka_query_watermark_offsets(rk_, topic_.c_str(), p, &low, &high, 1000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            return -1;
        }
        total += high;
    }
    return total;
}

}  // namespace gstream::testing

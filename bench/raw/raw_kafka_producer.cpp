// raw_kafka_producer: the bar the Kafka sink is measured against (scripts/bench SINK=kafka).
// Produces every line of a file as one message, with the sink's producer settings (acks=all,
// idempotence, murmur2_random, librdkafka's default batching and linger), key and headers, then
// flushes; prints the events/s from the first produce to the last delivery report.
//
//   raw_kafka_producer BROKERS TOPIC LINES_FILE
#include <chrono>
#include <cstdio>
#include <string>

#include <librdkafka/rdkafka.h>

#include "raw_payloads.hpp"

namespace {

int g_failed = 0;

void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* /*opaque*/) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++g_failed;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: raw_kafka_producer BROKERS TOPIC LINES_FILE\n");
        return 2;
    }
    const auto lines = gstream::bench::read_lines(argv[3]);
    if (lines.empty()) {
        std::fprintf(stderr, "raw_kafka_producer: no lines in %s\n", argv[3]);
        return 1;
    }
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const char* properties[][2] = {{"bootstrap.servers", argv[1]},
                                   {"acks", "all"},
                                   {"enable.idempotence", "true"},
                                   {"partitioner", "murmur2_random"},
                                   {"compression.type", "none"},
                                   {"log_level", "3"}};
    for (const auto& [key, value] : properties) {
        if (rd_kafka_conf_set(conf, key, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
            std::fprintf(stderr, "raw_kafka_producer: %s: %s\n", key, error);
            return 1;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (rk == nullptr) {
        std::fprintf(stderr, "raw_kafka_producer: %s\n", error);
        return 1;
    }
    const auto started = std::chrono::steady_clock::now();
    std::size_t index = 0;
    for (const std::string& line : lines) {
        const std::string_view id = gstream::bench::field_of(line, "id");
        std::string_view key = gstream::bench::field_of(line, "conversationId");
        key = key.empty() ? id : key;
        const std::string position = "1." + std::to_string(index++);
        rd_kafka_headers_t* headers = rd_kafka_headers_new(4);
        rd_kafka_header_add(headers, "gstream-sink", -1, "kafka", -1);
        rd_kafka_header_add(headers, "gstream-event-id", -1, id.data(),
                            static_cast<ssize_t>(id.size()));
        rd_kafka_header_add(headers, "gstream-position", -1, position.data(),
                            static_cast<ssize_t>(position.size()));
        rd_kafka_header_add(headers, "content-type", -1, "application/json", -1);
        for (;;) {
            const rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key.data(), key.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(line.data()), line.size()),
                RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                std::fprintf(stderr, "raw_kafka_producer: produce: %s\n", rd_kafka_err2str(err));
                return 1;
            }
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    while (rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    rd_kafka_destroy(rk);
    if (g_failed > 0) {
        std::fprintf(stderr, "raw_kafka_producer: %d delivery failures\n", g_failed);
        return 1;
    }
    gstream::bench::print_rate(lines.size(), seconds);
    return 0;
}

// kafka_mock_cluster: librdkafka's own mock cluster (rdkafka_mock.h) in a process of its own, so
// that a test can kill -9 the daemon producing to it and read back afterwards.
//
//   kafka_mock_cluster [--brokers N] [--partitions P] [--topic NAME]...
//
// Creates N brokers (ids 1..N; default 3) and each --topic with P partitions (default 4; topics
// the daemon names otherwise are auto-created with librdkafka's default of 4), prints the
// bootstrap servers as one line on stdout, then reads commands on stdin, answering each with a
// line "ok" (or "error: ...") once it is done:
//   down <id>|all   takes brokers down (connections closed, new ones refused)
//   up <id>|all     brings them back
//   topic <name> <partitions>
//   produce_errors <count> <code>   the next <count> Produce requests fail with Kafka error
//                                   <code> (e.g. 6 NOT_LEADER_FOR_PARTITION, 7 REQUEST_TIMED_OUT)
// It exits when stdin closes or on SIGTERM/SIGINT. The mock has no SASL, TLS or CreateTopics
// (librdkafka 2.0.2).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int /*signo*/) {
    g_stop = 1;
}

void reply(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

std::string run(rd_kafka_mock_cluster_t* cluster, int brokers, const std::string& line) {
    std::istringstream in(line);
    std::string verb;
    std::string what;
    in >> verb >> what;
    if (verb == "down" || verb == "up") {
        std::vector<int> ids;
        if (what == "all") {
            for (int id = 1; id <= brokers; ++id) {
                ids.push_back(id);
            }
        } else {
            ids.push_back(std::atoi(what.c_str()));
        }
        for (int id : ids) {
            const rd_kafka_resp_err_t err = verb == "down"
                                                ? rd_kafka_mock_broker_set_down(cluster, id)
                                                : rd_kafka_mock_broker_set_up(cluster, id);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return std::string("error: ") + rd_kafka_err2str(err);
            }
        }
        return "ok";
    }
    if (verb == "topic") {
        int partitions = 0;
        in >> partitions;
        const rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(cluster, what.c_str(), partitions, 1);
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok"
                                                 : std::string("error: ") + rd_kafka_err2str(err);
    }
    if (verb == "produce_errors") {
        int code = 0;
        in >> code;
        const std::vector<rd_kafka_resp_err_t> errors(
            static_cast<std::size_t>(std::atoi(what.c_str())),
            static_cast<rd_kafka_resp_err_t>(code));
        rd_kafka_mock_push_request_errors_array(cluster, 0 /* Produce */, errors.size(),
                                                errors.data());
        return "ok";
    }
    return "error: unknown command '" + verb + "'";
}

}  // namespace

int main(int argc, char** argv) {
    int brokers = 3;
    int partitions = 4;
    std::vector<std::string> topics;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--brokers") {
            brokers = std::atoi(argv[i + 1]);
        } else if (flag == "--partitions") {
            partitions = std::atoi(argv[i + 1]);
        } else if (flag == "--topic") {
            topics.emplace_back(argv[i + 1]);
        } else {
            std::fprintf(stderr, "kafka_mock_cluster: unknown flag %s\n", flag.c_str());
            return 2;
        }
    }
    struct sigaction sa {};
    sa.sa_handler = &on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    // The mock brokers' sockets take this handle's settings. Without it their responses wait
    // on Nagle's algorithm and the client's delayed ACK: ~40 ms for every produce that waits
    // for its acks (measured: a producer flushing every 100 messages ran at 2.4k instead of
    // 70k messages/s). Kafka's own brokers set TCP_NODELAY.
    rd_kafka_conf_set(conf, "socket.nagle.disable", "true", error, sizeof error);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (rk == nullptr) {
        std::fprintf(stderr, "kafka_mock_cluster: %s\n", error);
        return 1;
    }
    rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
    if (cluster == nullptr) {
        std::fprintf(stderr, "kafka_mock_cluster: cannot create the mock cluster\n");
        return 1;
    }
    for (const std::string& topic : topics) {
        if (rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, 1) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::fprintf(stderr, "kafka_mock_cluster: cannot create topic %s\n", topic.c_str());
            return 1;
        }
    }
    reply(rd_kafka_mock_cluster_bootstraps(cluster));

    std::string pending;
    while (g_stop == 0) {
        pollfd pfd{STDIN_FILENO, POLLIN, 0};
        const int n = ::poll(&pfd, 1, 200);  // wakes to see a signal's flag
        if (n <= 0) {
            continue;
        }
        char buf[256];
        const ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
        if (got <= 0) {
            break;  // stdin closed: the test is gone
        }
        pending.append(buf, static_cast<std::size_t>(got));
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
            const std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            if (!line.empty()) {
                reply(run(cluster, brokers, line));
            }
        }
    }
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    return 0;
}

// The pipeline thread's whole cost per message on the bench-peers corpus (../shared/bench-peers):
// decode, validate with the shipped schemas, filter, de-duplicate, order, batch and format into a
// file sink, exactly as `genesys-stream run` wires them, with no socket. Dead letters are
// counted, not stored. Deterministic, so `valgrind --tool=callgrind` gives instructions per
// message without the noise of a shared machine.
//
//   C=../shared/bench-peers/.cache/corpus-200000-42-<hash>   # after one run-bench.sh
//   GSTREAM_BENCH_CORPUS=$C/notifications.jsonl GSTREAM_BENCH_FORMAT=notifications
//   QUEUES_FILE=$C/queues.txt GSTREAM_BENCH_MESSAGES=20000
//   build/release/bench/gstream_bench --benchmark_filter=PipelineCorpus
//
// Skipped when GSTREAM_BENCH_CORPUS is unset. Each iteration runs a fresh pipeline over the first
// GSTREAM_BENCH_MESSAGES (default 20,000) lines.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/schema/schema_registry.hpp"
#include "pipeline/sink_driver.hpp"
#include "pipeline/validator.hpp"
#include "sink/file/file_sink.hpp"

namespace {

namespace pl = gstream::pipeline;

std::vector<std::string> read_lines(const char* path, std::size_t max) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    std::string line;
    while (lines.size() < max && std::getline(in, line)) {
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

class CountingDeadLetters final : public pl::DeadLetterWriter {
public:
    void write(std::vector<pl::Rejection>& rejections) override {
        count += rejections.size();
        rejections.clear();
    }
    std::size_t count = 0;
};

void BM_PipelineCorpus(benchmark::State& state) {
    const char* corpus = std::getenv("GSTREAM_BENCH_CORPUS");
    if (corpus == nullptr) {
        state.SkipWithError("set GSTREAM_BENCH_CORPUS to a bench-peers corpus file");
        return;
    }
    const char* max_env = std::getenv("GSTREAM_BENCH_MESSAGES");
    const auto messages = read_lines(corpus, max_env ? std::strtoull(max_env, nullptr, 10) : 20000);
    std::vector<std::string> queues;
    if (const char* qf = std::getenv("QUEUES_FILE")) queues = read_lines(qf, SIZE_MAX);
    const char* format = std::getenv("GSTREAM_BENCH_FORMAT");
    const bool notifications = format != nullptr && std::string(format) == "notifications";
    auto schemas = std::make_shared<const pl::SchemaRegistry>(
        pl::SchemaRegistry::load(gstream::config::shipped_schema_dir() + "/events"));
    char path[] = "/tmp/gstream-corpus-bench-XXXXXX";
    const int fd = ::mkstemp(path);
    ::close(fd);

    std::size_t delivered_lines = 0;
    for (auto _ : state) {
        state.PauseTiming();
        ::truncate(path, 0);
        std::vector<std::unique_ptr<gstream::sink::Sink>> sinks;
        sinks.push_back(std::make_unique<gstream::sink::file::FileSink>(
            gstream::sink::file::FileSinkConfig{path, gstream::sink::file::FsyncPolicy::kNever, 1000}));
        pl::SinkDriver driver(std::move(sinks), {}, [] { return true; });
        CountingDeadLetters dead;
        pl::PipelineOptions options;
        options.protocol = notifications ? pl::Protocol::kNotifications : pl::Protocol::kEnvelope;
        options.allowed_lateness_ms = 2000;
        options.payloads_are_utf8 = true;  // as the daemon sets it (WebSocket text messages)
        options.batch = {100, 1 << 20, 1000};
        pl::Pipeline pipeline(options, pl::Validator(pl::schema_check(schemas)),
                              pl::Filter(queues, {}, {}), driver, dead);
        std::vector<std::string> copies = messages;
        state.ResumeTiming();
        std::int64_t now_ms = 0;
        std::size_t i = 0;
        for (std::string& m : copies) {
            now_ms = static_cast<std::int64_t>(i++ / 200);  // ~200,000 messages/s
            pipeline.on_message(std::move(m), now_ms * 1'000'000, now_ms);
            if (i % 200 == 0) pipeline.tick(now_ms);
        }
        pipeline.drain(now_ms);
        delivered_lines = pipeline.counts().delivered.load();
        state.counters["dead_lettered"] = static_cast<double>(dead.count);
    }
    ::unlink(path);
    state.counters["delivered"] = static_cast<double>(delivered_lines);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(messages.size()));
}
BENCHMARK(BM_PipelineCorpus)->Unit(benchmark::kMillisecond);

}  // namespace

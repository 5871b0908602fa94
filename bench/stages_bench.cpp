// Google Benchmark micro-benchmarks, one per pipeline stage, on realistic envelope messages
// (50 acd.end events of ~600 bytes each). Run: build/release/bench/gstream_bench
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "pipeline/batcher.hpp"
#include "pipeline/decoder.hpp"
#include "pipeline/deduplicator.hpp"
#include "pipeline/filter.hpp"
#include "pipeline/orderer.hpp"
#include "sink/file/file_formatter.hpp"
#include "sink/file/file_sink.hpp"

namespace {

using gstream::core::Event;
using gstream::core::Message;
namespace pl = gstream::pipeline;

constexpr int kEventsPerMessage = 50;

std::string make_event(int i) {
    char buf[1024];
    std::snprintf(
        buf, sizeof buf,
        R"({"id":"7f1c9a2e-0000-4000-8000-%012d","timestamp":"2026-11-30T10:15:%02d.%03dZ","eventType":"acd.end",)"
        R"("data":{"eventTime":%lld,"conversationId":"c0a8e3d2-1111-4b2c-9d8e-%012d","participantId":"5e1f0c3a-2222-4c1d-8e2f-0a1b2c3d4e5f",)"
        R"("sessionId":"a93c1d2e-3333-4d5e-9f0a-1b2c3d4e5f60","mediaType":"VOICE","provider":"Edge","direction":"INBOUND",)"
        R"("ani":"tel:+15551230000","dnis":"tel:+15559870000","queueId":"2f6d0c3e-5b1a-4f0e-9a7c-%012d",)"
        R"("divisionId":"d2b1c0a9-4444-4f0e-9a7c-1d2e3f4a5b6c","disconnectType":"TRANSFER","acdOutcome":"ANSWERED",)"
        R"("answeredUserId":"9b7d1c2e-5555-4a6b-8c9d-0e1f2a3b4c5d","usedRouting":"STANDARD","routingPriority":0,"connectedDurationMs":41877}})",
        i, i % 60, i % 1000, 1775121295301LL + i * 7, i, i % 20);
    return buf;
}

std::string make_message(int base) {
    std::string s = R"({"stream":"interaction.lifecycle","subscriptionId":"6c1e4f0a-1b2c-4d3e-8f9a-0b1c2d3e4f5a","events":[)";
    for (int i = 0; i < kEventsPerMessage; ++i) {
        s += (i ? "," : "") + make_event(base + i);
    }
    return s + "]}";
}

std::vector<Event> decode_events(const std::string& text) {
    pl::EnvelopeDecoder decoder;
    auto m = std::make_shared<Message>();
    m->payload = text;
    pl::DecodeOutput out;
    decoder.decode(std::move(m), out);
    return std::move(out.events);
}

void BM_Decode(benchmark::State& state) {
    const std::string text = make_message(0);
    pl::EnvelopeDecoder decoder;
    pl::DecodeOutput out;
    for (auto _ : state) {
        auto m = std::make_shared<Message>();
        m->payload = text;
        out.events.clear();
        decoder.decode(std::move(m), out);
        benchmark::DoNotOptimize(out.events.data());
    }
    state.SetItemsProcessed(state.iterations() * kEventsPerMessage);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Decode);

void BM_Filter(benchmark::State& state) {
    const auto events = decode_events(make_message(0));
    std::vector<std::string> queues;
    for (int i = 0; i < 10; ++i) {
        char q[64];
        std::snprintf(q, sizeof q, "2f6d0c3e-5b1a-4f0e-9a7c-%012d", i);
        queues.emplace_back(q);
    }
    const pl::Filter filter(queues, {gstream::core::InteractionState::kContact},
                            {{"/data/mediaType", {"VOICE", "CHAT"}, false}});
    for (auto _ : state) {
        for (const auto& e : events) {
            benchmark::DoNotOptimize(filter.check(e));
        }
    }
    state.SetItemsProcessed(state.iterations() * kEventsPerMessage);
}
BENCHMARK(BM_Filter);

void BM_Dedup(benchmark::State& state) {
    const auto events = decode_events(make_message(0));
    pl::Deduplicator dedup(100'000, 600'000);
    std::int64_t now = 0;
    std::string id;
    std::uint64_t n = 0;
    for (auto _ : state) {
        id = "7f1c9a2e-0000-4000-8000-" + std::to_string(n++);
        benchmark::DoNotOptimize(dedup.seen(id, ++now));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Dedup);

void BM_OrderAndBatch(benchmark::State& state) {
    auto events = decode_events(make_message(0));
    pl::Orderer orderer(2000);
    pl::Batcher batcher({100, 1 << 20, 10'000});
    std::vector<Event> out;
    std::int64_t t = 0;
    std::uint64_t seq = 0;
    for (auto _ : state) {
        for (const auto& e : events) {
            Event copy = e;
            copy.instant.ns = (t += 7'000'000) - (static_cast<std::int64_t>(seq % 5) * 3'000'000);
            copy.sequence = seq++;
            orderer.push(std::move(copy), 0, out);
        }
        for (auto& e : out) {
            batcher.add(std::move(e), 0);
            if (batcher.full()) {
                benchmark::DoNotOptimize(batcher.take());
            }
        }
        out.clear();
    }
    state.SetItemsProcessed(state.iterations() * kEventsPerMessage);
}
BENCHMARK(BM_OrderAndBatch);

void BM_Format(benchmark::State& state) {
    const auto events = decode_events(make_message(0));
    std::string out;
    for (auto _ : state) {
        out.clear();
        for (const auto& e : events) {
            gstream::sink::file::format_event(e, out);
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * kEventsPerMessage);
}
BENCHMARK(BM_Format);

void BM_FileWrite(benchmark::State& state) {
    const auto events = decode_events(make_message(0));
    char path[] = "/tmp/gstream-bench-XXXXXX";
    const int fd = ::mkstemp(path);
    ::close(fd);
    {
        gstream::sink::file::FileSink sink({path, gstream::sink::file::FsyncPolicy::kNever, 1000});
        for (auto _ : state) {
            benchmark::DoNotOptimize(sink.write_batch(events));
        }
    }
    ::unlink(path);
    state.SetItemsProcessed(state.iterations() * kEventsPerMessage);
}
BENCHMARK(BM_FileWrite);

}  // namespace

#include "pipeline/schema/schema_registry.hpp"
#include "pipeline/schema/schema_validator.hpp"

namespace {

void BM_Validate(benchmark::State& state) {
    const auto events = decode_events(make_message(0));
    const auto registry =
        gstream::pipeline::SchemaRegistry::load(gstream::config::shipped_schema_dir() + "/events");
    for (auto _ : state) {
        for (const auto& e : events) {
            benchmark::DoNotOptimize(registry.envelope_event().validate(e.value));
            benchmark::DoNotOptimize(registry.detail(e.kind).validate(e.data));
        }
    }
    state.SetItemsProcessed(state.iterations() * kEventsPerMessage);
}
BENCHMARK(BM_Validate);

}  // namespace

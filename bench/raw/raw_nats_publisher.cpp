// raw_nats_publisher: the bar the NATS JetStream sink is measured against (scripts/bench
// SINK=nats). Publishes every line of a file with nats.c's asynchronous JetStream publish
// (js_PublishMsgAsync), the sink's subject template genesys.{eventType}.{queueId}, its headers
// (Nats-Msg-Id, content-type) and at most MAX_IN_FLIGHT unacknowledged; waits for every ack and
// prints the events/s. Creates the stream BENCH first, as the daemon's create_stream does.
//
//   raw_nats_publisher URL LINES_FILE MAX_IN_FLIGHT
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nats/nats.h>

#include "raw_payloads.hpp"

namespace {

int g_failed = 0;

void on_error(jsCtx* /*js*/, jsPubAckErr* /*pae*/, void* /*closure*/) {
    ++g_failed;
}

// A subject token as the sink writes it: characters a token cannot hold become '_'.
std::string token_of(std::string_view value) {
    if (value.empty()) {
        return "_";
    }
    std::string out(value);
    for (char& c : out) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == '.' || c == '*' ||
            c == '>') {
            c = '_';
        }
    }
    return out;
}

int fail(const char* what, natsStatus s) {
    std::fprintf(stderr, "raw_nats_publisher: %s: %s\n", what, natsStatus_GetText(s));
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: raw_nats_publisher URL LINES_FILE MAX_IN_FLIGHT\n");
        return 2;
    }
    const auto lines = gstream::bench::read_lines(argv[2]);
    if (lines.empty()) {
        std::fprintf(stderr, "raw_nats_publisher: no lines in %s\n", argv[2]);
        return 1;
    }
    natsConnection* nc = nullptr;
    if (const natsStatus s = natsConnection_ConnectTo(&nc, argv[1]); s != NATS_OK) {
        return fail("connect", s);
    }
    jsOptions options;
    jsOptions_Init(&options);
    options.PublishAsync.MaxPending = std::atoi(argv[3]);
    options.PublishAsync.ErrHandler = &on_error;
    jsCtx* js = nullptr;
    if (const natsStatus s = natsConnection_JetStream(&js, nc, &options); s != NATS_OK) {
        return fail("jetstream", s);
    }
    // The stream the daemon's create_stream makes: BENCH on genesys.>, file storage.
    jsStreamConfig stream;
    jsStreamConfig_Init(&stream);
    const char* subjects[] = {"genesys.>"};
    stream.Name = "BENCH";
    stream.Subjects = subjects;
    stream.SubjectsLen = 1;
    stream.Storage = js_FileStorage;
    stream.Duplicates = 120000LL * 1000000;  // create_stream.duplicate_window_ms default, in ns
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsStreamInfo* info = nullptr;
    if (const natsStatus s = js_AddStream(&info, js, &stream, nullptr, &jerr); s != NATS_OK) {
        return fail("create stream BENCH", s);
    }
    jsStreamInfo_Destroy(info);
    const auto started = std::chrono::steady_clock::now();
    for (const std::string& line : lines) {
        const std::string subject =
            "genesys." + token_of(gstream::bench::field_of(line, "eventType")) + "." +
            token_of(gstream::bench::field_of(line, "queueId"));
        const std::string id(gstream::bench::field_of(line, "id"));
        natsMsg* msg = nullptr;
        natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, line.data(),
                                      static_cast<int>(line.size()));
        if (s == NATS_OK) {
            s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
        }
        if (s == NATS_OK) {
            s = natsMsgHeader_Set(msg, "content-type", "application/json");
        }
        if (s == NATS_OK) {
            s = js_PublishMsgAsync(js, &msg, nullptr);  // blocks while MaxPending are in flight
        }
        natsMsg_Destroy(msg);  // null once the library took it
        if (s != NATS_OK) {
            return fail("publish", s);
        }
    }
    jsPubOptions complete;
    jsPubOptions_Init(&complete);
    complete.MaxWait = 60000;
    if (const natsStatus s = js_PublishAsyncComplete(js, &complete); s != NATS_OK) {
        return fail("waiting for the acks", s);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    if (g_failed > 0) {
        std::fprintf(stderr, "raw_nats_publisher: %d publishes failed\n", g_failed);
        return 1;
    }
    gstream::bench::print_rate(lines.size(), seconds);
    return 0;
}

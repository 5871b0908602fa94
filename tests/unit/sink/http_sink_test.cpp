// The HTTP sink's pure parts (framing, Idempotency-Key, Retry-After, status classes) and its
// settings (schema errors with line and key, check-config, secrets kept out of the log string).
#include "sink/http/http_sink.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/config_loader.hpp"
#include "pipeline/decoder.hpp"
#include "sink/http/http_formatter.hpp"
#include "sink/sink_registry.hpp"

namespace gstream::sink::http {
namespace {

using namespace std::chrono_literals;

const config::EnvLookup kNoEnv = config::env_from_map({});

std::string yaml_with_sink(const std::string& sink_lines) {
    return "genesys:\n  client_id: id\n  client_secret: s\nsinks:\n" + sink_lines;
}

config::Config load(const std::string& yaml, const config::EnvLookup& env = kNoEnv) {
    return config::load_config_string(yaml, "t.yaml", config::default_schema_path(), env);
}

std::string error_of(const std::string& yaml) {
    try {
        load(yaml);
    } catch (const config::ConfigError& e) {
        return e.what();
    }
    return "<loaded>";
}

TEST(HttpFraming, NdjsonEndsEveryEventWithANewline) {
    const std::vector<std::string> bodies = {R"({"id":"a"})", R"({"id":"b"})"};
    std::string out;
    frame(Framing::kNdjson, bodies, out);
    EXPECT_EQ(out, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
    EXPECT_EQ(framed_size(Framing::kNdjson, bodies), out.size());
    EXPECT_EQ(content_type(Framing::kNdjson), "application/x-ndjson");
}

TEST(HttpFraming, JsonArrayAndCloudEventsBatchAreArrays) {
    const std::vector<std::string> bodies = {R"({"id":"a"})", R"({"id":"b"})"};
    std::string out;
    frame(Framing::kJsonArray, bodies, out);
    EXPECT_EQ(out, R"([{"id":"a"},{"id":"b"}])");
    EXPECT_EQ(framed_size(Framing::kJsonArray, bodies), out.size());
    EXPECT_EQ(content_type(Framing::kJsonArray), "application/json");
    EXPECT_EQ(content_type(Framing::kCloudEventsBatch), "application/cloudevents-batch+json");
    std::string one;
    frame(Framing::kJsonArray, std::vector<std::string>{"1"}, one);
    EXPECT_EQ(one, "[1]");
    EXPECT_EQ(framed_size(Framing::kJsonArray, std::vector<std::string>{"1"}), 3u);
}

TEST(HttpFraming, SplitKeepsEachRequestUnderTheLimitAndABigEventAlone) {
    const std::vector<std::string> bodies = {std::string(10, 'a'), std::string(10, 'b'),
                                             std::string(50, 'c'), std::string(10, 'd')};
    // ndjson: 11 bytes per small event; 22 fit in 25, the 51-byte one goes alone.
    EXPECT_EQ(split(Framing::kNdjson, bodies, 25), (std::vector<std::size_t>{2, 3, 4}));
    // json_array: "[" + 10 + "," + 10 + "]" = 23 fits 23 exactly.
    EXPECT_EQ(split(Framing::kJsonArray, bodies, 23), (std::vector<std::size_t>{2, 3, 4}));
    EXPECT_EQ(split(Framing::kJsonArray, bodies, 22), (std::vector<std::size_t>{1, 2, 3, 4}));
    EXPECT_EQ(split(Framing::kNdjson, bodies, 1 << 20), (std::vector<std::size_t>{4}));
    EXPECT_TRUE(split(Framing::kNdjson, std::vector<std::string>{}, 10).empty());
}

TEST(HttpIdempotencyKey, IsTheSha256OfTheIdsAndStable) {
    const std::vector<std::string> ids = {"a", "b"};
    // sha256("1:a,1:b,")
    EXPECT_EQ(idempotency_key(ids),
              "9f2b0d502d181b391c81652fdca2ccb0b747828fe438ba90c3e0092bcb39b3a4");
    EXPECT_EQ(idempotency_key(ids), idempotency_key(std::vector<std::string>{"a", "b"}));
    EXPECT_NE(idempotency_key(ids), idempotency_key(std::vector<std::string>{"b", "a"}));
    EXPECT_NE(idempotency_key(ids), idempotency_key(std::vector<std::string>{"a\nb"}));
    EXPECT_EQ(idempotency_key(ids).size(), 64u);
}

TEST(HttpCloudEventsHeaders, ValuesArePercentEncodedAsTheBindingSays) {
    EXPECT_EQ(ce_header_value("urn:genesys:q1/abc-1"), "urn:genesys:q1/abc-1");
    EXPECT_EQ(ce_header_value("a b\"c%d"), "a%20b%22c%25d");
    EXPECT_EQ(ce_header_value("\xC3\xA9\n"), "%C3%A9%0A");
}

TEST(HttpRetryAfter, SecondsOrAnHttpDate) {
    const auto now = std::chrono::system_clock::from_time_t(1445412475);  // 07:27:55 GMT
    EXPECT_EQ(parse_retry_after("1", now), 1000ms);
    EXPECT_EQ(parse_retry_after(" 120 ", now), 120'000ms);
    EXPECT_EQ(parse_retry_after("0", now), 0ms);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 5000ms);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0ms);  // past
    EXPECT_EQ(parse_retry_after("99999999999999999999999", now), std::chrono::milliseconds::max());
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_FALSE(parse_retry_after("1.5", now));
    EXPECT_FALSE(parse_retry_after("-1", now));
    EXPECT_FALSE(parse_retry_after("", now));
}

TEST(HttpStatus, TwoHundredsOkTransientRetryOtherClientErrorsReject) {
    for (int s : {200, 201, 202, 204, 299})
        EXPECT_EQ(classify(s), SinkResult::kOk) << s;
    for (int s : {408, 429, 500, 502, 503, 504, 301, 100}) {
        EXPECT_EQ(classify(s), SinkResult::kRetry) << s;
    }
    for (int s : {400, 401, 403, 404, 409, 413, 422}) {
        EXPECT_EQ(classify(s), SinkResult::kReject) << s;
    }
    EXPECT_EQ(status_detail(400, "{\"error\":\n\"bad\"}"), "http 400: {\"error\": \"bad\"}");
    EXPECT_EQ(status_detail(413, std::string(300, 'x'), 4), "http 413: xxxx...");
    EXPECT_EQ(status_detail(404, ""), "http 404");
}

TEST(HttpSinkConfig, DefaultsAndHeadersWithEnvironment) {
    const config::Config c = load(yaml_with_sink("  - type: http\n"
                                                 "    url: https://example.com/ingest?x=1\n"
                                                 "    headers:\n"
                                                 "      Authorization: Bearer ${API_TOKEN}\n"
                                                 "      X-Team: 7\n"),
                                  config::env_from_map({{"API_TOKEN", "t0p"}}));
    ASSERT_EQ(c.sinks.size(), 1u);
    EXPECT_EQ(c.sinks[0].name, "http");
    const HttpSinkConfig h = http_sink_config(c.sinks[0]);
    EXPECT_EQ(h.url, "https://example.com/ingest?x=1");
    EXPECT_EQ(h.framing, Framing::kNdjson);
    EXPECT_EQ(h.format, format::Format::kNative);
    EXPECT_TRUE(h.tls_verify);
    EXPECT_FALSE(h.ca_file);
    EXPECT_EQ(h.connect_timeout, 5000ms);
    EXPECT_EQ(h.request_timeout, 30000ms);
    EXPECT_EQ(h.max_retry_after, 60000ms);
    EXPECT_EQ(h.max_batch_bytes, 4194304u);
    EXPECT_EQ(h.headers, (std::map<std::string, std::string>{{"Authorization", "Bearer t0p"},
                                                             {"X-Team", "7"}}));
    EXPECT_EQ(check_sink(c.sinks[0]), "");
}

TEST(HttpSinkConfig, TheAuthorizationHeaderNeverReachesTheLogString) {
    const config::Config c =
        load(yaml_with_sink("  - type: http\n"
                            "    url: http://127.0.0.1:9/x\n"
                            "    headers: {Authorization: Bearer s3cr3t-value, "
                            "X-Api-Token: tok-value, X-Team: blue}\n"));
    const std::string log = config::to_log_string(c);
    EXPECT_EQ(log.find("s3cr3t-value"), std::string::npos) << log;
    EXPECT_EQ(log.find("tok-value"), std::string::npos) << log;
    EXPECT_NE(log.find("blue"), std::string::npos) << log;
    EXPECT_NE(log.find("Authorization: \"***\""), std::string::npos) << log;
}

TEST(HttpSinkConfig, SchemaErrorsNameTheLineAndKey) {
    EXPECT_EQ(error_of(yaml_with_sink("  - type: http\n"
                                      "    url: http://a/x\n"
                                      "    framing: lines\n")),
              "t.yaml:7:14: key 'sinks[0].framing': 'lines' is not one of: ndjson, json_array, "
              "cloudevents-batch");
    EXPECT_NE(error_of(yaml_with_sink("  - type: http\n"
                                      "    url: http://a/x\n"
                                      "    request_timeout: 5\n"))
                  .find("t.yaml:7:5: key 'sinks[0].request_timeout': unknown key (did you mean "
                        "'request_timeout_ms'?)"),
              std::string::npos);
    EXPECT_NE(error_of(yaml_with_sink("  - type: http\n    tls_verify: false\n"))
                  .find("key 'sinks[0].url': required key is missing"),
              std::string::npos);
    EXPECT_NE(error_of(yaml_with_sink("  - type: http\n"
                                      "    url: http://a/x\n"
                                      "    headers: {X-List: [1, 2]}\n"))
                  .find("key 'sinks[0].headers.X-List': expected a string, number or boolean"),
              std::string::npos);
    EXPECT_NE(error_of(yaml_with_sink("  - type: http\n"
                                      "    url: http://a/x\n"
                                      "    max_batch_bytes: 10\n"))
                  .find("t.yaml:7:22: key 'sinks[0].max_batch_bytes'"),
              std::string::npos);
}

TEST(HttpSinkConfig, CheckConfigNamesTheSinkLineAndKey) {
    const config::Config bad_scheme =
        load(yaml_with_sink("  - type: http\n"
                            "    url: ftp://example.com/x\n"));
    EXPECT_EQ(check_sink(bad_scheme.sinks[0]),
              "sink 'http' (line 5): key 'url': 'ftp://example.com/x' is not an absolute "
              "http:// or https:// URL");
    const config::Config relative = load(yaml_with_sink("  - type: http\n    url: /ingest\n"));
    EXPECT_NE(check_sink(relative.sinks[0]).find("key 'url'"), std::string::npos);
    const config::Config ca =
        load(yaml_with_sink("  - type: http\n"
                            "    url: https://example.com/x\n"
                            "    ca_file: /nonexistent/ca.pem\n"));
    EXPECT_EQ(check_sink(ca.sinks[0]),
              "sink 'http' (line 5): key 'ca_file': cannot read '/nonexistent/ca.pem'");
    const config::Config batch =
        load(yaml_with_sink("  - type: http\n"
                            "    url: https://example.com/x\n"
                            "    framing: cloudevents-batch\n"));
    EXPECT_EQ(check_sink(batch.sinks[0]),
              "sink 'http' (line 5): key 'framing': cloudevents-batch carries structured "
              "CloudEvents; set format: cloudevents (or another framing)");
    EXPECT_THROW(make_sink(bad_scheme.sinks[0]), std::runtime_error);
}

TEST(HttpSink, AnUnreachableServerIsARetryNamingTheUrlNotTheHeaders) {
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload =
        R"({"subscriptionId":"s","events":[{"id":"x","timestamp":"2026-11-30T10:15:02Z","eventType":"acw","data":{}}]})";
    pipeline::DecodeOutput out;
    decoder.decode(std::move(m), out);
    HttpSinkConfig c;
    c.url = "http://127.0.0.1:1/ingest";  // port 1: nothing listens there
    c.headers = {{"Authorization", "Bearer hidden"}};
    c.connect_timeout = 2000ms;
    HttpSink sink(c);
    EXPECT_EQ(sink.write_batch(out.events), SinkResult::kRetry);
    EXPECT_NE(sink.last_error().find("POST http://127.0.0.1:1/ingest failed: "), std::string::npos)
        << sink.last_error();
    EXPECT_EQ(sink.last_error().find("hidden"), std::string::npos);
}

}  // namespace
}  // namespace gstream::sink::http

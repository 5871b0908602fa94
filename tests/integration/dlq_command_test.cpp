// `genesys-stream dlq ...` as a real process on a queue file filled in the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dlq/dead_letter_queue.hpp"
#include "support/child_process.hpp"
#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;

struct CliRun {
    int code = -1;
    std::vector<std::string> out;
    std::string err;
};

CliRun run(const TempDir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {GSTREAM_BINARY, "dlq"});
    const std::string err_path = dir.file("stderr.txt");
    ChildProcess child(args, {}, err_path);
    CliRun r;
    r.out = child.read_all(20s);
    r.code = child.wait(20s).value_or(-1);
    r.err = read_file(err_path);
    return r;
}

const std::string kEv1 =
    R"({"id":"ev-1","timestamp":"2026-11-30T12:00:00.000Z","eventType":"acd.start",)"
    R"("data":{"conversationId":"c1","eventTime":1796040000000,"queueId":"q1"}})";
const std::string kEv3 =
    R"({"id":"ev-3","timestamp":"2026-11-30T11:00:00.000Z","eventType":"acd.start",)"
    R"("data":{"conversationId":"c3","eventTime":1796036400000,"queueId":"q3"}})";
const std::string kBadRaw = std::string("{\"a\"\x01\xff", 6);

class DlqCommandTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto queue = dlq::DeadLetterQueue::open(queue_path());
        std::vector<dlq::DeadLetter> entries(3);
        entries[0] = {0, 1796040000000, "envelope", "validate", "schema", "/data/queueId: type",
                      "s1", kEv1};
        entries[1] = {0, 1796040060000, "envelope", "decode", "not_json", "offset 4: bad",
                      std::nullopt, kBadRaw};
        entries[2] = {0, 1796043600000, "envelope", "validate", "schema", "tab\there", "s1", kEv3};
        ASSERT_FALSE(queue.append(entries));
    }

    std::string queue_path() const { return dir_.file("dlq.sqlite3"); }

    std::string write_config(const std::string& schemas_dir = "") const {
        std::string yaml =
            "genesys:\n  base_url: http://127.0.0.1:1\n  client_id: demo\n  client_secret: demo\n";
        if (!schemas_dir.empty()) {
            yaml += "pipeline:\n  schemas_dir: " + schemas_dir + "\n";
        }
        yaml += "sinks:\n  - { type: file, path: " + dir_.file("events.jsonl") +
                ", fsync: never }\ndead_letter:\n  path: " + queue_path() + "\n" +
                "data_dir: " + dir_.path() + "\n";
        const std::string path = dir_.file("config.yaml");
        write_file(path, yaml);
        return path;
    }

    std::int64_t backlog() const { return dlq::DeadLetterQueue::open(queue_path()).backlog(); }

    TempDir dir_;
};

std::string line(int id, const std::string& time, const std::string& reason,
                 const std::string& stage, const std::string& detail, std::size_t size) {
    return std::to_string(id) + "\t" + time + "\t" + reason + "\t" + stage + "\tenvelope\t" +
           detail + "\t" + std::to_string(size);
}

TEST_F(DlqCommandTest, ListsEveryEntryWithTheCountOnStderr) {
    const CliRun r = run(dir_, {"list", "--config", write_config()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, (std::vector<std::string>{
                         line(1, "2026-11-30T12:00:00.000Z", "schema", "validate",
                              "/data/queueId: type", kEv1.size()),
                         line(2, "2026-11-30T12:01:00.000Z", "not_json", "decode", "offset 4: bad",
                              6),
                         line(3, "2026-11-30T13:00:00.000Z", "schema", "validate", "tab here",
                              kEv3.size()),
                     }));
    EXPECT_EQ(r.err, "3 entries, backlog 3\n");
}

TEST_F(DlqCommandTest, ListFilters) {
    auto ids = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"list", "--file", queue_path()});
        const CliRun r = run(dir_, args);
        EXPECT_EQ(r.code, 0) << r.err;
        std::string s;
        for (const std::string& l : r.out) {
            s += l.substr(0, l.find('\t')) + ",";
        }
        return s;
    };
    EXPECT_EQ(ids({"--reason", "schema"}), "1,3,");
    EXPECT_EQ(ids({"--reason", "late"}), "");
    EXPECT_EQ(ids({"--since", "2026-11-30T12:01:00Z"}), "2,3,");
    EXPECT_EQ(ids({"--since", "1796040060001"}), "3,");
    EXPECT_EQ(ids({"--until", "2026-11-30T13:01:00+01:00"}), "1,");  // 12:01Z, exclusive
    EXPECT_EQ(ids({"--until", "2026-11-30T13:01:00.001+01:00"}), "1,2,");
    EXPECT_EQ(ids({"--limit", "2"}), "1,2,");
    EXPECT_EQ(ids({"--reason", "schema", "--limit", "1", "--since", "1796040000001"}), "3,");
}

TEST_F(DlqCommandTest, ListJsonHasEveryField) {
    const CliRun r = run(dir_, {"list", "--file", queue_path(), "--json", "--reason", "not_json"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, (std::vector<std::string>{
                         R"({"id":2,"time":"2026-11-30T12:01:00.000Z","time_ms":1796040060000,)"
                         R"("source":"envelope","stage":"decode","reason":"not_json",)"
                         R"("detail":"offset 4: bad","subscription_id":null,"raw_bytes":6,)"
                         R"("raw":"{\"a\"\u0001\u00ff"})"}));
    EXPECT_EQ(r.err, "1 entries, backlog 3\n");
    const CliRun one = run(dir_, {"list", "--file", queue_path(), "--json", "--limit", "1"});
    ASSERT_EQ(one.out.size(), 1u);
    EXPECT_NE(one.out[0].find(R"("detail":"/data/queueId: type","subscription_id":"s1")"),
              std::string::npos);
}

TEST_F(DlqCommandTest, ShowPrintsEveryFieldAndRawVerbatim) {
    const CliRun r = run(dir_, {"show", "2", "--config", write_config()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, (std::vector<std::string>{"id: 2", "time: 2026-11-30T12:01:00.000Z",
                                               "time_ms: 1796040060000", "source: envelope",
                                               "stage: decode", "reason: not_json",
                                               "detail: offset 4: bad", "subscription_id: -",
                                               "raw_bytes: 6", "raw:", kBadRaw}));
    EXPECT_EQ(run(dir_, {"show", "99", "--file", queue_path()}).code, 1);
}

TEST_F(DlqCommandTest, BadArgumentsExitWith2) {
    EXPECT_EQ(run(dir_, {"list", "--file", queue_path(), "--since", "yesterday"}).code, 2);
    EXPECT_EQ(run(dir_, {"list", "--file", queue_path(), "--limit", "x"}).code, 2);
    EXPECT_EQ(run(dir_, {"list", "--file", queue_path(), "--bogus"}).code, 2);
    EXPECT_EQ(run(dir_, {"list", "--file", queue_path(), "--limit"}).code, 2);
    EXPECT_EQ(run(dir_, {"list"}).code, 2);
    EXPECT_EQ(run(dir_, {"list", "--file", dir_.file("absent.sqlite3")}).code, 2);
    EXPECT_FALSE(std::filesystem::exists(dir_.file("absent.sqlite3")));
    EXPECT_EQ(run(dir_, {"list", "--config", dir_.file("absent.yaml")}).code, 2);
    EXPECT_EQ(run(dir_, {"show", "abc", "--file", queue_path()}).code, 2);
    EXPECT_EQ(run(dir_, {"show", "--file", queue_path()}).code, 2);
    EXPECT_EQ(run(dir_, {"purge", "--file", queue_path(), "--yes"}).code, 2);
    EXPECT_EQ(run(dir_, {"replay", "--file", queue_path()}).code, 2);  // no sinks
    EXPECT_EQ(run(dir_, {}).code, 2);
    const CliRun bad_file = run(dir_, {"list", "--file", dir_.file("config.yaml")});
    EXPECT_EQ(bad_file.code, 2);
    EXPECT_EQ(backlog(), 3);
}

TEST_F(DlqCommandTest, PurgeRemovesMatchingEntries) {
    const CliRun r = run(dir_, {"purge", "--file", queue_path(), "--reason", "not_json", "--yes"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, (std::vector<std::string>{"purged 1 entries, backlog 2"}));
    EXPECT_EQ(backlog(), 2);
    // Without --yes on a non-terminal standard input nothing is removed.
    EXPECT_EQ(run(dir_, {"purge", "--file", queue_path(), "--all"}).code, 2);
    EXPECT_EQ(backlog(), 2);
    const CliRun since = run(dir_, {"purge", "--file", queue_path(), "--since",
                                 "2026-11-30T12:30:00Z", "--yes"});
    EXPECT_EQ(since.out, (std::vector<std::string>{"purged 1 entries, backlog 1"}));
    const CliRun all = run(dir_, {"purge", "--config", write_config(), "--all", "--yes"});
    EXPECT_EQ(all.out, (std::vector<std::string>{"purged 1 entries, backlog 0"}));
    EXPECT_EQ(backlog(), 0);
}

TEST_F(DlqCommandTest, ReplayDeliversWhatTheFixedSchemasAccept) {
    // A stricter schema set: acd.start must carry priorityTag, so both events fail under it.
    const std::string strict = dir_.file("strict");
    std::filesystem::copy(std::string(GSTREAM_SOURCE_DIR) + "/schemas/events", strict);
    const std::string acd = strict + "/acd.start.schema.json";
    std::string text = read_file(acd);
    const std::string req = R"("required": ["conversationId", "eventTime"])";
    ASSERT_NE(text.find(req), std::string::npos);
    text.replace(text.find(req), req.size(),
                 R"("required": ["conversationId", "eventTime", "priorityTag"])");
    write_file(acd, text);

    const std::string sink = dir_.file("events.jsonl");
    const CliRun before = run(dir_, {"replay", "--config", write_config(strict)});
    EXPECT_EQ(before.code, 0) << before.err;
    EXPECT_EQ(before.out,
              (std::vector<std::string>{"replay: matched=3 delivered=0 duplicates=0 still_invalid=3"}));
    EXPECT_EQ(backlog(), 3);
    EXPECT_EQ(read_file(sink), "");

    // "Fixed": the shipped schemas. A dry run changes nothing.
    const std::string config = write_config();
    const CliRun dry = run(dir_, {"replay", "--config", config, "--dry-run"});
    EXPECT_EQ(dry.code, 0) << dry.err;
    EXPECT_EQ(dry.out, (std::vector<std::string>{
                           "replay: matched=3 delivered=2 duplicates=0 still_invalid=1 (dry run)"}));
    EXPECT_EQ(backlog(), 3);
    EXPECT_FALSE(std::filesystem::exists(sink));

    const CliRun r = run(dir_, {"replay", "--config", config});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              (std::vector<std::string>{"replay: matched=3 delivered=2 duplicates=0 still_invalid=1"}));
    EXPECT_EQ(r.err, "");  // stderr is not a terminal: no progress
    const std::vector<std::string> lines = read_lines(sink);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find(R"("id":"ev-3")"), std::string::npos) << lines[0];  // instant order
    EXPECT_NE(lines[1].find(R"("id":"ev-1")"), std::string::npos) << lines[1];
    const CliRun left = run(dir_, {"list", "--file", queue_path()});
    ASSERT_EQ(left.out.size(), 1u);
    EXPECT_EQ(left.out[0].substr(0, 2), "2\t");
    EXPECT_EQ(left.err, "1 entries, backlog 1\n");
}

// Issue 13: a sink's rejection goes back to that sink only (the others have the event), through
// the registry; --sink NAME restricts a replay to one configured sink.
TEST_F(DlqCommandTest, ASinksRejectionGoesBackToThatSinkOnlyAndSinkPicksOne) {
    {
        auto queue = dlq::DeadLetterQueue::open(queue_path());
        std::vector<dlq::DeadLetter> entries(1);
        const std::string ev4 =
            R"({"id":"ev-4","timestamp":"2026-11-30T13:00:00.000Z","eventType":"acd.start",)"
            R"("data":{"conversationId":"c4","eventTime":1796043600000,"queueId":"q4"}})";
        entries[0] = {0, 1796043700000, "envelope", "sink", "sink_rejected",
                      "sink mirror rejected the batch: disk quota", "s1", ev4};
        ASSERT_FALSE(queue.append(entries));
    }
    const std::string config = dir_.file("two.yaml");
    write_file(config, "genesys:\n  base_url: http://127.0.0.1:1\n  client_id: d\n  client_secret: d\n"
                       "sinks:\n  - { type: file, name: main, path: " + dir_.file("main.jsonl") +
                           " }\n  - { type: file, name: mirror, path: " + dir_.file("mirror.jsonl") +
                           " }\ndead_letter:\n  path: " + queue_path() + "\ndata_dir: " +
                           dir_.path() + "\n");
    const CliRun unknown = run(dir_, {"replay", "--config", config, "--sink", "nope"});
    EXPECT_EQ(unknown.code, 2);
    EXPECT_NE(unknown.err.find("--sink nope: no sink of that name in the configuration (main, "
                               "mirror)"),
              std::string::npos)
        << unknown.err;

    // Only the sink_rejected entry, to mirror only: main never sees ev-4 again.
    const CliRun r = run(dir_, {"replay", "--config", config, "--reason", "sink_rejected"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              (std::vector<std::string>{"replay: matched=1 delivered=1 duplicates=0 still_invalid=0"}));
    EXPECT_FALSE(std::filesystem::exists(dir_.file("main.jsonl")) &&
                 !read_file(dir_.file("main.jsonl")).empty());
    const std::vector<std::string> mirror = read_lines(dir_.file("mirror.jsonl"));
    ASSERT_EQ(mirror.size(), 1u);
    EXPECT_NE(mirror[0].find(R"("id":"ev-4")"), std::string::npos) << mirror[0];

    // --sink main: the schema entries go to main only.
    const CliRun m = run(dir_, {"replay", "--config", config, "--sink", "main"});
    EXPECT_EQ(m.code, 0) << m.err;
    EXPECT_EQ(m.out,
              (std::vector<std::string>{"replay: matched=3 delivered=2 duplicates=0 still_invalid=1"}));
    EXPECT_EQ(read_lines(dir_.file("main.jsonl")).size(), 2u);
    EXPECT_EQ(read_lines(dir_.file("mirror.jsonl")).size(), 1u);
    EXPECT_EQ(backlog(), 1);
}

}  // namespace
}  // namespace gstream::testing

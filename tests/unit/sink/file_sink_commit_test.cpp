#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../../support/child_process.hpp"
#include "sink/file/file_sink.hpp"

namespace gstream::sink::file {
namespace {

using gstream::testing::TempDir;

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

TEST(FileSinkCommitPoint, CutsLinesWrittenAfterTheCommitPoint) {
    TempDir dir;
    const std::string path = dir.file("out.jsonl");
    write(path, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n{\"id\":\"d");
    std::int64_t cut = 0;
    EXPECT_FALSE(FileSink::truncate_to_commit_point(path, 22, cut));
    EXPECT_EQ(cut, 19);
    EXPECT_EQ(gstream::testing::read_file(path), "{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
    // A sink opened afterwards appends at the commit point.
    FileSink sink({path, FsyncPolicy::kNever, 1000});
    EXPECT_EQ(sink.size(), 22);
    EXPECT_EQ(sink.sync(), SinkResult::kOk);
}

TEST(FileSinkCommitPoint, LeavesAShorterOrMissingFileAlone) {
    TempDir dir;
    const std::string path = dir.file("out.jsonl");
    std::int64_t cut = 7;
    EXPECT_FALSE(FileSink::truncate_to_commit_point(path, 20, cut));
    EXPECT_EQ(cut, 0);
    EXPECT_FALSE(std::filesystem::exists(path));
    write(path, "short\n");
    EXPECT_FALSE(FileSink::truncate_to_commit_point(path, 20, cut));
    EXPECT_EQ(cut, -1);
    EXPECT_EQ(gstream::testing::read_file(path), "short\n");
    EXPECT_FALSE(FileSink::truncate_to_commit_point(path, 6, cut));
    EXPECT_EQ(cut, 0);
}

}  // namespace
}  // namespace gstream::sink::file

#include "config/env_substitution.hpp"

#include <gtest/gtest.h>

namespace gstream::config {
namespace {

const EnvLookup kEnv = env_from_map({{"HOST", "example.org"}, {"PORT", "9464"}, {"EMPTY", ""}});

TEST(EnvSubstitutionTest, PlainTextIsUnchanged) {
    const auto r = substitute_env("plain text", kEnv);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.text, "plain text");
    EXPECT_FALSE(r.changed);
}

TEST(EnvSubstitutionTest, ReplacesVariables) {
    const auto r = substitute_env("http://${HOST}:${PORT}/x", kEnv);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.text, "http://example.org:9464/x");
    EXPECT_TRUE(r.changed);
}

TEST(EnvSubstitutionTest, DefaultWhenUnsetOrEmpty) {
    EXPECT_EQ(substitute_env("${NOPE:-fallback}", kEnv).text, "fallback");
    EXPECT_EQ(substitute_env("${EMPTY:-fallback}", kEnv).text, "fallback");
    EXPECT_EQ(substitute_env("${PORT:-1}", kEnv).text, "9464");
    EXPECT_EQ(substitute_env("${NOPE:-}", kEnv).text, "");
    EXPECT_EQ(substitute_env("${NOPE:-a:-b $x}", kEnv).text, "a:-b $x");
}

TEST(EnvSubstitutionTest, SetButEmptyWithoutDefaultIsEmpty) {
    const auto r = substitute_env("[${EMPTY}]", kEnv);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.text, "[]");
}

TEST(EnvSubstitutionTest, UnsetWithoutDefaultIsAnErrorNamingTheVariable) {
    const auto r = substitute_env("x${SECRET_TOKEN}y", kEnv);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error,
              "environment variable 'SECRET_TOKEN' is not set (set it, or give a default: "
              "${SECRET_TOKEN:-default})");
}

TEST(EnvSubstitutionTest, DollarDollarIsALiteralDollar) {
    EXPECT_EQ(substitute_env("pa$$word", kEnv).text, "pa$word");
    EXPECT_EQ(substitute_env("$${HOST}", kEnv).text, "${HOST}");
    EXPECT_EQ(substitute_env("$$$${PORT}", kEnv).text, "$${PORT}");
    EXPECT_EQ(substitute_env("$$${PORT}", kEnv).text, "$9464");
}

TEST(EnvSubstitutionTest, OtherDollarsAreKept) {
    EXPECT_EQ(substitute_env("a$b $ c$", kEnv).text, "a$b $ c$");
}

TEST(EnvSubstitutionTest, MalformedReferencesAreErrors) {
    EXPECT_EQ(substitute_env("${HOST", kEnv).error,
              "unterminated '${' (write '$$' for a literal '$')");
    EXPECT_EQ(substitute_env("${}", kEnv).error,
              "bad environment variable reference '${}' (use ${NAME} or ${NAME:-default}; '$$' "
              "for a literal '$')");
    EXPECT_FALSE(substitute_env("${1X}", kEnv).ok());
    EXPECT_FALSE(substitute_env("${A-B}", kEnv).ok());
}

TEST(EnvSubstitutionTest, ProcessEnvReadsTheEnvironment) {
    ::setenv("GSTREAM_CONFIG_TEST_VAR", "v1", 1);
    EXPECT_EQ(process_env("GSTREAM_CONFIG_TEST_VAR"), std::optional<std::string>("v1"));
    ::unsetenv("GSTREAM_CONFIG_TEST_VAR");
    EXPECT_EQ(process_env("GSTREAM_CONFIG_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace gstream::config

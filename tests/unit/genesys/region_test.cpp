#include "genesys/region.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace gstream::genesys {
namespace {

struct Row {
    const char* aws_name;
    const char* domain;
};

// API-NOTES.md §2, every row.
constexpr Row kTable[] = {
    {"us-east-1", "mypurecloud.com"},
    {"us-east-2", "use2.us-gov-pure.cloud"},
    {"us-west-2", "usw2.pure.cloud"},
    {"ca-central-1", "cac1.pure.cloud"},
    {"sa-east-1", "sae1.pure.cloud"},
    {"mx-central-1", "mxc1.pure.cloud"},
    {"eu-west-1", "mypurecloud.ie"},
    {"eu-west-2", "euw2.pure.cloud"},
    {"eu-central-1", "mypurecloud.de"},
    {"eu-central-2", "euc2.pure.cloud"},
    {"eusc-de-east-1", "edee1.eusc-pure.cloud"},
    {"me-central-1", "mec1.pure.cloud"},
    {"ap-south-1", "aps1.pure.cloud"},
    {"ap-southeast-1", "apse1.pure.cloud"},
    {"ap-southeast-2", "mypurecloud.com.au"},
    {"ap-northeast-1", "mypurecloud.jp"},
    {"ap-northeast-2", "apne2.pure.cloud"},
    {"ap-northeast-3", "apne3.pure.cloud"},
};

class RegionRowTest : public ::testing::TestWithParam<Row> {};

TEST_P(RegionRowTest, FoundByNameAndByDomain) {
    const Row row = GetParam();
    const auto by_name = find_region(row.aws_name);
    ASSERT_TRUE(by_name.has_value()) << row.aws_name;
    EXPECT_EQ(by_name->aws_name, row.aws_name);
    EXPECT_EQ(by_name->domain, row.domain);

    const auto by_domain = find_region(row.domain);
    ASSERT_TRUE(by_domain.has_value()) << row.domain;
    EXPECT_EQ(*by_domain, *by_name);

    EXPECT_EQ(login_origin(*by_name), std::string("https://login.") + row.domain);
    EXPECT_EQ(api_origin(*by_name), std::string("https://api.") + row.domain);
}

INSTANTIATE_TEST_SUITE_P(AllRows,
                         RegionRowTest,
                         ::testing::ValuesIn(kTable),
                         [](const auto& param_info) {
                             std::string name = param_info.param.aws_name;
                             for (char& c : name) {
                                 if (c == '-') {
                                     c = '_';
                                 }
                             }
                             return name;
                         });

TEST(RegionTest, ExactlyTheEighteenRows) {
    ASSERT_EQ(all_regions().size(), std::size(kTable));
    std::set<std::string_view> names;
    std::set<std::string_view> domains;
    for (std::size_t i = 0; i < all_regions().size(); ++i) {
        EXPECT_EQ(all_regions()[i].aws_name, kTable[i].aws_name);
        EXPECT_EQ(all_regions()[i].domain, kTable[i].domain);
        names.insert(all_regions()[i].aws_name);
        domains.insert(all_regions()[i].domain);
    }
    EXPECT_EQ(names.size(), 18u);
    EXPECT_EQ(domains.size(), 18u);
}

TEST(RegionTest, UnknownNamesAreRejected) {
    EXPECT_FALSE(find_region("af-south-1").has_value());
    EXPECT_FALSE(find_region("").has_value());
    EXPECT_FALSE(find_region("us-east-3").has_value());
    EXPECT_FALSE(find_region("api.mypurecloud.com").has_value());
    EXPECT_FALSE(find_region("us-east-1.mypurecloud.com").has_value());
    EXPECT_FALSE(find_region(" us-east-1").has_value());
    EXPECT_FALSE(find_region("inindca.com").has_value());
}

TEST(RegionTest, CaseInsensitive) {
    const auto r = find_region("EU-West-1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->domain, "mypurecloud.ie");
    const auto d = find_region("MyPureCloud.DE");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->aws_name, "eu-central-1");
}

TEST(RegionTest, NamesListStartsAndEndsWithTheTableOrder) {
    const std::string names = region_names();
    EXPECT_EQ(names.rfind("us-east-1, us-east-2, us-west-2, ", 0), 0u);
    EXPECT_TRUE(names.ends_with("ap-northeast-2, ap-northeast-3"));
    EXPECT_EQ(names.find("af-south-1"), std::string::npos);
}

}  // namespace
}  // namespace gstream::genesys

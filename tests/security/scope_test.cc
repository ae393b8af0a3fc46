#include "security/scope.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace bastion::security {
namespace {

TEST(ScopeTest, ArgumentsOfOneAttributeAreAlternativesOfDifferentOnesAllHold) {
  auto scope = ParseScopeArguments(
      {"institution=General Hospital", "label=research", "institution= Clinic "});
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  ASSERT_EQ(scope->conditions.size(), 2u);
  EXPECT_EQ(scope->conditions[0].attribute, ScopeAttribute::kInstitution);
  EXPECT_EQ(scope->conditions[0].values, (std::vector<std::string>{"General Hospital", "Clinic"}));
  EXPECT_EQ(DescribeScope(*scope), "institution=General Hospital|Clinic; label=research");
  EXPECT_EQ(DescribeScope(Scope{}), "all studies");
}

TEST(ScopeTest, RefusesWhatItCannotApply) {
  EXPECT_EQ(ParseScopeArguments({"institution"}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(ParseScopeArguments({"department=x"}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(ParseScopeArguments({"label="}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(ParseScopeArguments({"label=a\\b"}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(ScopeFromJson(nlohmann::json::parse(R"({"label": []})")).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(ScopeFromJson(nlohmann::json::parse(R"({"label": [1]})")).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(ScopeFromJson(nlohmann::json::parse(R"(["label"])")).status().code(),
            StatusCode::kMalformed);
}

TEST(ScopeTest, JsonRoundTripsAndIntersectionKeepsEveryCondition) {
  auto scope = ParseScopeArguments({"issuer=HOSP-A", "referring_physician=House^Gregory"});
  ASSERT_TRUE(scope.ok());
  auto back = ScopeFromJson(ScopeToJson(*scope));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(DescribeScope(*back), DescribeScope(*scope));
  EXPECT_TRUE(ScopeFromJson(nlohmann::json::object())->unrestricted());
  Scope both = Intersect(*scope, *ParseScopeArguments({"label=research"}));
  EXPECT_EQ(both.conditions.size(), 3u);
}

}  // namespace
}  // namespace bastion::security

// Claims of a verified JWT turned into an Identity (security/jwt.h): the scope claim in its two
// shapes, failing closed when it is configured but missing or malformed, its bounds, and
// dotted claim paths for roles (Keycloak's realm_access.roles) and scope.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "security/jwt.h"
#include "security/jwt_internal.h"
#include "security/test_support.h"

namespace bastion::security {
namespace {

using Json = nlohmann::json;

constexpr char kIss[] = "https://idp.example";
constexpr char kAud[] = "bastion";
constexpr std::int64_t kNow = 1'700'000'000;

class JwtClaimsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = testing::MakeEd25519Key().release(); }
  static void TearDownTestSuite() { EVP_PKEY_free(key_); }

  static JwtIssuer Issuer(std::string scope_claim = "bastion_scope",
                          std::string roles_claim = "roles") {
    JwtIssuer i;
    i.issuer = kIss;
    i.audiences = {kAud};
    i.allowed_algorithms = {JwtAlgorithm::kEdDsa};
    i.keys = {JwtPublicKey::FromPem(testing::PublicKeyPem(key_)).value()};
    i.scope_claim = std::move(scope_claim);
    i.roles_claim = std::move(roles_claim);
    return i;
  }
  static Json Claims() {
    return {{"iss", kIss},
            {"aud", kAud},
            {"sub", "researcher"},
            {"exp", kNow + 300},
            {"roles", {"viewer"}}};
  }
  Result<Identity> Verify(const JwtIssuer& issuer, const Json& claims) const {
    auto verifier = JwtVerifier::Create({issuer});
    if (!verifier.ok()) return verifier.status();
    return verifier->Verify(testing::MakeJws(key_, R"({"alg":"EdDSA"})", claims.dump()), now_);
  }
  // Refused with `description`, which must not echo what the claim held.
  void ExpectRefused(const Json& scope, const std::string& description) const {
    Json c = Claims();
    c["bastion_scope"] = scope;
    auto id = Verify(Issuer(), c);
    ASSERT_FALSE(id.ok()) << scope.dump();
    EXPECT_EQ(id.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(id.status().message(), description) << scope.dump();
  }

  const std::chrono::system_clock::time_point now_{std::chrono::seconds(kNow)};
  static EVP_PKEY* key_;
};
EVP_PKEY* JwtClaimsTest::key_ = nullptr;

TEST_F(JwtClaimsTest, ScopeObjectBecomesTheIdentitysScope) {
  Json c = Claims();
  c["bastion_scope"] = {{"label", {"research", "trial-7"}}, {"institution", {"St. Mary"}}};
  auto id = Verify(Issuer(), c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_EQ(id->scope.conditions.size(), 2u);
  EXPECT_EQ(DescribeScope(id->scope), "institution=St. Mary; label=research|trial-7");
  EXPECT_EQ(id->roles, std::vector<std::string>{"viewer"});
}

TEST_F(JwtClaimsTest, ScopeArgumentsListOrStringBecomeTheIdentitysScope) {
  Json c = Claims();
  c["bastion_scope"] = {"label=research", "label=trial-7", "issuer=HOSP-A"};
  auto id = Verify(Issuer(), c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(DescribeScope(id->scope), "label=research|trial-7; issuer=HOSP-A");
  c["bastion_scope"] = "referring_physician=House^Gregory";
  id = Verify(Issuer(), c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(DescribeScope(id->scope), "referring_physician=House^Gregory");
}

TEST_F(JwtClaimsTest, EmptyScopeObjectMeansAllStudies) {
  Json c = Claims();
  c["bastion_scope"] = Json::object();
  auto id = Verify(Issuer(), c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->scope.unrestricted());
}

TEST_F(JwtClaimsTest, MissingScopeClaimIsRefusedWhenConfigured) {
  auto id = Verify(Issuer(), Claims());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(id.status().message(), "JWT has no scope claim");
}

TEST_F(JwtClaimsTest, ScopeClaimIsIgnoredWhenNotConfigured) {
  Json c = Claims();
  c["bastion_scope"] = {{"label", {"research"}}};
  auto id = Verify(Issuer(""), c);
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(id->scope.unrestricted());
}

TEST_F(JwtClaimsTest, MalformedScopeClaimIsRefusedWithAFixedDescription) {
  const std::string malformed = "JWT scope claim is malformed";
  ExpectRefused(Json::array(), malformed);  // grants nothing
  ExpectRefused(42, malformed);
  ExpectRefused(nullptr, malformed);
  ExpectRefused(true, malformed);
  ExpectRefused({{"ward", {"secret-ward-7"}}}, malformed);     // unknown attribute
  ExpectRefused({{"label", "research"}}, malformed);           // values not a list
  ExpectRefused({{"label", Json::array()}}, malformed);        // empty list of values
  ExpectRefused({{"label", {"a", 7}}}, malformed);             // a value not a string
  ExpectRefused({{"label", {"bad\\label"}}}, malformed);       // backslash in a label
  ExpectRefused({{"label", {"  "}}}, malformed);               // blank after trimming
  ExpectRefused({{"label", {{{"nested", "x"}}}}}, malformed);  // an object as a value
  ExpectRefused({"label=research", 3}, malformed);
  ExpectRefused({"secret-ward-7"}, malformed);  // not ATTRIBUTE=VALUE
  ExpectRefused({"ward=secret-ward-7"}, malformed);
  ExpectRefused("label=", malformed);
  ExpectRefused({{"institution", {std::string(257, 'x')}}}, malformed);
  ExpectRefused("institution=" + std::string(400, 'x'), malformed);  // over the entry bound
}

TEST_F(JwtClaimsTest, ScopeClaimIsBoundedInValues) {
  Json values = Json::array();
  for (int i = 0; i < 65; ++i) values.push_back("l" + std::to_string(i));
  ExpectRefused({{"label", values}}, "JWT scope claim has too many values");
  Json arguments = Json::array();
  for (int i = 0; i < 65; ++i) arguments.push_back("label=l" + std::to_string(i));
  ExpectRefused(arguments, "JWT scope claim has too many values");
  values.erase(values.size() - 1);
  Json c = Claims();
  c["bastion_scope"] = {{"label", values}};
  EXPECT_TRUE(Verify(Issuer(), c).ok());  // 64 is within the bound
}

TEST_F(JwtClaimsTest, RolesFromANestedPathAsKeycloakEmitsThem) {
  Json c = Claims();
  c.erase("roles");
  c["realm_access"] = {{"roles", {"viewer", "offline_access"}}};
  c["resource_access"] = {{"bastion", {{"roles", {"auditor"}}}}};
  auto realm = Verify(Issuer("", "realm_access.roles"), c);
  ASSERT_TRUE(realm.ok()) << realm.status().ToString();
  EXPECT_EQ(realm->roles, (std::vector<std::string>{"viewer", "offline_access"}));
  auto client = Verify(Issuer("", "resource_access.bastion.roles"), c);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(client->roles, std::vector<std::string>{"auditor"});
  // A path that leads nowhere, or through a non-object, is an absent claim: no roles.
  for (const char* path : {"realm_access.groups", "sub.roles", "nothing.at.all"}) {
    auto none = Verify(Issuer("", path), c);
    ASSERT_TRUE(none.ok()) << path;
    EXPECT_TRUE(none->roles.empty()) << path;
  }
  // The nested value is held to the same rules as a top-level one.
  c["realm_access"]["roles"] = {"viewer", {{"x", 1}}};
  EXPECT_FALSE(Verify(Issuer("", "realm_access.roles"), c).ok());
}

TEST_F(JwtClaimsTest, ExactClaimNameWinsOverTheDottedPath) {
  Json c = Claims();
  c["https://bastion.example/roles"] = {"auditor"};
  auto id = Verify(Issuer("", "https://bastion.example/roles"), c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->roles, std::vector<std::string>{"auditor"});
  c["a.b"] = {"admin"};
  c["a"] = {{"b", {"viewer"}}};
  id = Verify(Issuer("", "a.b"), c);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->roles, std::vector<std::string>{"admin"});
}

TEST_F(JwtClaimsTest, ScopeFromANestedPath) {
  Json c = Claims();
  c["bastion"] = {{"scope", {{"label", {"research"}}}}};
  auto id = Verify(Issuer("bastion.scope"), c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(DescribeScope(id->scope), "label=research");
  c["bastion"] = {{"other", 1}};
  EXPECT_EQ(Verify(Issuer("bastion.scope"), c).status().message(), "JWT has no scope claim");
}

TEST_F(JwtClaimsTest, PathsAreBoundedInSegments) {
  Json deep = {{"roles", {"viewer"}}};
  for (const char* name : {"f", "e", "d", "c", "b", "a"}) deep = Json{{name, deep}};
  // a.b.c.d.e.f.roles: seven segments, one more than max_claim_path_segments.
  EXPECT_EQ(internal::FindClaim(deep, "a.b.c.d.e.f.roles", 6), nullptr);
  ASSERT_NE(internal::FindClaim(deep, "a.b.c.d.e.f.roles", 7), nullptr);
  EXPECT_EQ(internal::FindClaim(deep, "a..b", 6), nullptr);
  EXPECT_EQ(internal::FindClaim(deep, ".a", 6), nullptr);
  EXPECT_EQ(internal::FindClaim(deep, "a.", 6), nullptr);
}

TEST_F(JwtClaimsTest, CreateRefusesUnusableClaimNames) {
  JwtIssuer i = Issuer();
  i.roles_claim = "";
  EXPECT_FALSE(JwtVerifier::Create({i}).ok());
  i = Issuer(std::string("bad\nname"));
  EXPECT_FALSE(JwtVerifier::Create({i}).ok());
  i = Issuer(std::string(300, 'x'));
  EXPECT_FALSE(JwtVerifier::Create({i}).ok());
}

}  // namespace
}  // namespace bastion::security

// [[jwt_issuers]] in bastion.toml (server/config.h): jwks_url is https:// only (refused at load
// with the reason), its refresh settings are range-checked, scope_claim and dotted claim paths
// are read, and the sample configuration `bastion init` writes still loads.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "server/config.h"

namespace bastion::server {
namespace {

class JwtIssuerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "bastion-jwtcfg-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Result<Config> Load(const std::string& issuer_table) {
    std::ofstream(dir_ + "/" + kConfigFileName)
        << RenderInitialConfig("BASTION", 11112) << "\n[[jwt_issuers]]\n"
        << issuer_table;
    ::chmod((dir_ + "/" + kConfigFileName).c_str(), 0600);
    return LoadConfig(dir_);
  }
  static bool Mentions(const Status& s, const std::string& text) {
    return s.message().find(text) != std::string::npos;
  }
  std::string dir_;
};

constexpr char kBase[] = "issuer = \"https://idp.example/realms/x\"\naudience = \"bastion\"\n";

TEST_F(JwtIssuerConfigTest, ReadsJwksUrlScopeClaimAndDottedRolesPath) {
  auto config = Load(std::string(kBase) +
                     "jwks_url = \"https://idp.example/realms/x/protocol/openid-connect/certs\"\n"
                     "jwks_ca_file = \"jwt/idp-ca.pem\"\n"
                     "jwks_refresh_seconds = 900\n"
                     "jwks_min_refresh_seconds = 30\n"
                     "jwks_timeout_seconds = 5\n"
                     "roles_claim = \"realm_access.roles\"\n"
                     "scope_claim = \"bastion_scope\"\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->jwt_issuers.size(), 1u);
  const JwtIssuerConfig& issuer = config->jwt_issuers.front();
  EXPECT_EQ(issuer.jwks_url, "https://idp.example/realms/x/protocol/openid-connect/certs");
  EXPECT_EQ(issuer.jwks_ca_file, dir_ + "/jwt/idp-ca.pem");  // relative to the data directory
  EXPECT_EQ(issuer.jwks_refresh_seconds, 900u);
  EXPECT_EQ(issuer.jwks_min_refresh_seconds, 30u);
  EXPECT_EQ(issuer.jwks_timeout_seconds, 5u);
  EXPECT_EQ(issuer.roles_claim, "realm_access.roles");
  EXPECT_EQ(issuer.scope_claim, "bastion_scope");
}

TEST_F(JwtIssuerConfigTest, DefaultsRefreshHourlyAtMostOncePerMinute) {
  auto config = Load(std::string(kBase) + "jwks_url = \"https://idp.example/certs\"\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->jwt_issuers.front().jwks_refresh_seconds, 3600u);
  EXPECT_EQ(config->jwt_issuers.front().jwks_min_refresh_seconds, 60u);
  EXPECT_EQ(config->jwt_issuers.front().jwks_timeout_seconds, 10u);
  EXPECT_TRUE(config->jwt_issuers.front().scope_claim.empty());
}

TEST_F(JwtIssuerConfigTest, PlainHttpJwksUrlIsRefusedAtLoadSayingWhy) {
  auto config = Load(std::string(kBase) + "jwks_url = \"http://idp.example/certs\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(Mentions(config.status(), "must use https://")) << config.status().ToString();
  EXPECT_TRUE(Mentions(config.status(), "substitute"));
}

TEST_F(JwtIssuerConfigTest, RefusesBadRefreshSettingsAndCaFileWithoutUrl) {
  EXPECT_FALSE(
      Load(std::string(kBase) + "jwks_url = \"https://i/c\"\njwks_min_refresh_seconds = 0\n").ok());
  EXPECT_FALSE(Load(std::string(kBase) + "jwks_url = \"https://i/c\"\njwks_refresh_seconds = 10\n"
                                         "jwks_min_refresh_seconds = 60\n")
                   .ok());
  EXPECT_FALSE(
      Load(std::string(kBase) + "jwks_url = \"https://i/c\"\njwks_timeout_seconds = 0\n").ok());
  auto ca_only =
      Load(std::string(kBase) + "public_keys = [\"k.pem\"]\njwks_ca_file = \"ca.pem\"\n");
  ASSERT_FALSE(ca_only.ok());
  EXPECT_TRUE(Mentions(ca_only.status(), "jwks_url is not"));
}

TEST_F(JwtIssuerConfigTest, AnIssuerNeedsSomeSourceOfKeys) {
  auto none = Load(kBase);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(Mentions(none.status(), "jwks_url")) << none.status().ToString();
}

}  // namespace
}  // namespace bastion::server

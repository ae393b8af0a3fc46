// The JWKS fetcher (server/jwks_https.h) against a real HTTPS server on 127.0.0.1, and
// JwksCache + JwtVerifier fed by it: keys from the URL verify tokens, rotation is picked up on
// an unknown kid, and every failure (body too large, redirect, untrusted certificate, wrong
// host, no answer) is a clear error that keeps the last good set.
#include "server/jwks_https.h"

#include <gtest/gtest.h>

#include <atomic>

#include "security/jwks_cache.h"
#include "security/jwks_test_support.h"
#include "security/jwt.h"
#include "security/local_ca.h"
#include "security/test_support.h"

namespace bastion::server {
namespace {

using namespace security;  // the cache and verifier the fetcher feeds
using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::TestHttpsServer;

constexpr char kIss[] = "https://idp.example";
constexpr char kAud[] = "bastion";
constexpr std::int64_t kNow = 1'700'000'000;

bool Mentions(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

class JwksHttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new KeyAndCertificate(CreateCertificateAuthority("JWKS test CA", 2).value());
    other_ca_ = new KeyAndCertificate(CreateCertificateAuthority("Another CA", 2).value());
    CertificateRequest good;
    good.common_name = "idp";
    good.dns_names = {"localhost"};
    good.ip_addresses = {"127.0.0.1"};
    good.client = false;
    leaf_ = new KeyAndCertificate(IssueCertificate(*ca_, good).value());
    CertificateRequest elsewhere = good;
    elsewhere.dns_names = {"idp.elsewhere.example"};
    elsewhere.ip_addresses = {"192.0.2.7"};
    wrong_host_leaf_ = new KeyAndCertificate(IssueCertificate(*ca_, elsewhere).value());
    k1_ = testing::MakeEd25519Key().release();
    k2_ = testing::MakeEd25519Key().release();
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete other_ca_;
    delete leaf_;
    delete wrong_host_leaf_;
    EVP_PKEY_free(k1_);
    EVP_PKEY_free(k2_);
  }

  void SetUp() override {
    testing::WriteAll(dir_.File("ca.pem"), ca_->certificate_pem, 0644);
    testing::WriteAll(dir_.File("other-ca.pem"), other_ca_->certificate_pem, 0644);
  }

  JwksHttpsFetcher Fetcher(const std::string& url, const std::string& ca = "ca.pem",
                           JwksFetchLimits limits = {}) {
    return JwksHttpsFetcher::Create(ParseJwksUrl(url).value(), dir_.File(ca), limits).value();
  }

  static std::string Token(EVP_PKEY* key, const std::string& kid) {
    Json header = {{"alg", "EdDSA"}, {"kid", kid}};
    Json claims = {{"iss", kIss}, {"aud", kAud}, {"sub", "dr.house"}, {"exp", kNow + 300}};
    return testing::MakeJws(key, header.dump(), claims.dump());
  }

  // A cache over `fetch` with a clock the test moves, and a verifier using it.
  struct Rig {
    std::shared_ptr<std::atomic<std::chrono::steady_clock::rep>> ticks =
        std::make_shared<std::atomic<std::chrono::steady_clock::rep>>(0);
    std::shared_ptr<JwksCache> cache;
    std::optional<JwtVerifier> verifier;
    void Advance(std::chrono::steady_clock::duration d) { *ticks += d.count(); }
  };
  static Rig MakeRig(JwksCache::Fetch fetch) {
    Rig rig;
    JwksCache::Options options;
    options.name = "test";
    options.allowed_algorithms = {JwtAlgorithm::kEdDsa};
    auto ticks = rig.ticks;
    rig.cache = JwksCache::Create(options, std::move(fetch), [ticks] {
                  return std::chrono::steady_clock::time_point(
                      std::chrono::steady_clock::duration(ticks->load()));
                }).value();
    JwtIssuer issuer;
    issuer.issuer = kIss;
    issuer.audiences = {kAud};
    issuer.allowed_algorithms = {JwtAlgorithm::kEdDsa};
    issuer.key_source = rig.cache;
    rig.verifier.emplace(JwtVerifier::Create({issuer}).value());
    return rig;
  }

  const std::chrono::system_clock::time_point now_{std::chrono::seconds(kNow)};
  testing::TempDir dir_;
  static KeyAndCertificate* ca_;
  static KeyAndCertificate* other_ca_;
  static KeyAndCertificate* leaf_;
  static KeyAndCertificate* wrong_host_leaf_;
  static EVP_PKEY* k1_;
  static EVP_PKEY* k2_;
};
KeyAndCertificate* JwksHttpsTest::ca_ = nullptr;
KeyAndCertificate* JwksHttpsTest::other_ca_ = nullptr;
KeyAndCertificate* JwksHttpsTest::leaf_ = nullptr;
KeyAndCertificate* JwksHttpsTest::wrong_host_leaf_ = nullptr;
EVP_PKEY* JwksHttpsTest::k1_ = nullptr;
EVP_PKEY* JwksHttpsTest::k2_ = nullptr;

TEST(JwksUrlTest, ParsesHostPortAndTarget) {
  auto url = ParseJwksUrl("https://idp.example:8443/realms/x/protocol/openid-connect/certs?a=1");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "idp.example");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/realms/x/protocol/openid-connect/certs?a=1");
  auto plain = ParseJwksUrl("https://login.example.org");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 443);
  EXPECT_EQ(plain->target, "/");
  auto v6 = ParseJwksUrl("https://[::1]:9000/keys");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
}

TEST(JwksUrlTest, RefusesPlainHttpSayingWhy) {
  auto url = ParseJwksUrl("http://idp.example/certs");
  ASSERT_FALSE(url.ok());
  EXPECT_TRUE(Mentions(url.status(), "must use https://"));
  EXPECT_TRUE(Mentions(url.status(), "substitute"));
}

TEST(JwksUrlTest, RefusesOtherSchemesCredentialsFragmentsAndBadPorts) {
  for (const char* bad :
       {"ftp://idp.example/certs", "idp.example/certs", "https://", "https://user:pw@idp/certs",
        "https://idp.example/certs#frag", "https://idp.example:0/", "https://idp.example:70000/",
        "https://idp.example:/", "https://idp.example:12a/", "https://idp example/",
        "https://idp.example/a b", "https://[::1/", "https://[zz]/", "https://idp..example/",
        "https://idp_example/", "HTTPS://idp.example/"}) {
    EXPECT_FALSE(ParseJwksUrl(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseJwksUrl("https://idp.example/" + std::string(3000, 'a')).ok());
}

TEST_F(JwksHttpsTest, FetchesTheSetOverVerifiedTls) {
  TestHttpsServer server(*leaf_);
  const std::string set = testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")});
  server.SetBody(set);
  auto body = Fetcher(server.Url()).Fetch();
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, set);
  EXPECT_EQ(server.last_target(), "/realms/x/certs");
  // By name too: SNI and the certificate's DNS name.
  auto by_name = Fetcher(server.Url("localhost")).Fetch();
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
}

TEST_F(JwksHttpsTest, TokenSignedWithAKeyFromTheUrlVerifies) {
  TestHttpsServer server(*leaf_);
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  JwksHttpsFetcher fetcher = Fetcher(server.Url());
  Rig rig = MakeRig([fetcher] { return fetcher.Fetch(); });
  ASSERT_TRUE(rig.cache->Refresh().ok());
  auto id = rig.verifier->Verify(Token(k1_, "k1"), now_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "dr.house");
  EXPECT_FALSE(rig.verifier->Verify(Token(k2_, "k1"), now_).ok());  // same kid, other key
}

TEST_F(JwksHttpsTest, RotatedKeyVerifiesAfterTheOnDemandRefresh) {
  TestHttpsServer server(*leaf_);
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  JwksHttpsFetcher fetcher = Fetcher(server.Url());
  Rig rig = MakeRig([fetcher] { return fetcher.Fetch(); });
  ASSERT_TRUE(rig.cache->Refresh().ok());
  // The IdP rotates: k2 is published and signs new tokens.
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1"), testing::Ed25519Jwk(k2_, "k2")}));
  rig.Advance(61s);  // past the minimum interval since the start-up fetch
  auto id = rig.verifier->Verify(Token(k2_, "k2"), now_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(server.requests(), 2);
  EXPECT_TRUE(rig.verifier->Verify(Token(k1_, "k1"), now_).ok());
  EXPECT_EQ(server.requests(), 2);  // known kids fetch nothing
}

TEST_F(JwksHttpsTest, UnknownKidStormFetchesAtMostOncePerMinimumInterval) {
  TestHttpsServer server(*leaf_);
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  JwksHttpsFetcher fetcher = Fetcher(server.Url());
  Rig rig = MakeRig([fetcher] { return fetcher.Fetch(); });
  ASSERT_TRUE(rig.cache->Refresh().ok());
  rig.Advance(61s);
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(rig.verifier->Verify(Token(k2_, "forged-" + std::to_string(i)), now_).ok());
    rig.Advance(1s);  // 50 s: still inside one minimum interval after the first refetch
  }
  EXPECT_EQ(server.requests(), 2);
  rig.Advance(11s);
  EXPECT_FALSE(rig.verifier->Verify(Token(k2_, "forged-late"), now_).ok());
  EXPECT_EQ(server.requests(), 3);
  EXPECT_TRUE(rig.verifier->Verify(Token(k1_, "k1"), now_).ok());
}

TEST_F(JwksHttpsTest, BodyOverTheLimitFailsAndKeepsTheOldKeys) {
  TestHttpsServer server(*leaf_);
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  JwksFetchLimits limits;
  limits.max_body_bytes = 1024;
  JwksHttpsFetcher fetcher = Fetcher(server.Url(), "ca.pem", limits);
  Rig rig = MakeRig([fetcher] { return fetcher.Fetch(); });
  ASSERT_TRUE(rig.cache->Refresh().ok());
  server.SetBody(std::string(4096, ' ') + testing::JwkSet({testing::Ed25519Jwk(k2_, "k2")}));
  auto direct = fetcher.Fetch();
  EXPECT_FALSE(direct.ok()) << direct->size();
  Status refresh = rig.cache->Refresh();
  EXPECT_EQ(refresh.code(), StatusCode::kLimitExceeded) << refresh.ToString();
  EXPECT_TRUE(Mentions(refresh, "larger than 1024 bytes"));
  EXPECT_TRUE(rig.verifier->Verify(Token(k1_, "k1"), now_).ok());
}

TEST_F(JwksHttpsTest, ChunkedBodyOverTheLimitIsRefusedToo) {
  TestHttpsServer server(*leaf_);
  server.SetMode(TestHttpsServer::Mode::kServeChunked);
  const std::string set = testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")});
  server.SetBody(set);
  JwksFetchLimits limits;
  limits.max_body_bytes = 1024;
  auto small = Fetcher(server.Url(), "ca.pem", limits).Fetch();
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(*small, set);
  server.SetBody(std::string(4096, ' ') + set);
  auto large = Fetcher(server.Url(), "ca.pem", limits).Fetch();
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.status().code(), StatusCode::kLimitExceeded) << large.status().ToString();
}

TEST_F(JwksHttpsTest, RedirectIsNotFollowedAndKeepsTheOldKeys) {
  TestHttpsServer server(*leaf_);
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  JwksHttpsFetcher fetcher = Fetcher(server.Url());
  Rig rig = MakeRig([fetcher] { return fetcher.Fetch(); });
  ASSERT_TRUE(rig.cache->Refresh().ok());
  server.SetMode(TestHttpsServer::Mode::kRedirect);
  Status refresh = rig.cache->Refresh();
  EXPECT_EQ(refresh.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Mentions(refresh, "302")) << refresh.ToString();
  EXPECT_TRUE(Mentions(refresh, "not followed"));
  EXPECT_EQ(server.requests(), 2);  // the Location was not requested
  EXPECT_TRUE(rig.verifier->Verify(Token(k1_, "k1"), now_).ok());
}

TEST_F(JwksHttpsTest, UntrustedCertificateOrWrongHostFailsAndKeepsTheOldKeys) {
  TestHttpsServer good(*leaf_);
  TestHttpsServer wrong_host(*wrong_host_leaf_);
  const std::string set = testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")});
  good.SetBody(set);
  wrong_host.SetBody(set);
  auto fetcher = std::make_shared<JwksHttpsFetcher>(Fetcher(good.Url()));
  Rig rig = MakeRig([&fetcher] { return fetcher->Fetch(); });
  ASSERT_TRUE(rig.cache->Refresh().ok());

  fetcher = std::make_shared<JwksHttpsFetcher>(Fetcher(good.Url(), "other-ca.pem"));
  Status untrusted = rig.cache->Refresh();
  EXPECT_EQ(untrusted.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Mentions(untrusted, "not trusted")) << untrusted.ToString();
  EXPECT_TRUE(Mentions(untrusted, "local issuer")) << untrusted.ToString();

  fetcher = std::make_shared<JwksHttpsFetcher>(Fetcher(wrong_host.Url()));
  Status by_ip = rig.cache->Refresh();
  EXPECT_TRUE(Mentions(by_ip, "IP address mismatch")) << by_ip.ToString();
  fetcher = std::make_shared<JwksHttpsFetcher>(Fetcher(wrong_host.Url("localhost")));
  Status by_name = rig.cache->Refresh();
  EXPECT_TRUE(Mentions(by_name, "hostname mismatch")) << by_name.ToString();
  EXPECT_EQ(wrong_host.requests(), 0);  // nothing was sent to a server we could not verify

  EXPECT_TRUE(rig.verifier->Verify(Token(k1_, "k1"), now_).ok());
}

TEST_F(JwksHttpsTest, ServerThatNeverAnswersTimesOutAndKeepsTheOldKeys) {
  TestHttpsServer server(*leaf_);
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  JwksFetchLimits limits;
  limits.timeout = 300ms;
  JwksHttpsFetcher fetcher = Fetcher(server.Url(), "ca.pem", limits);
  Rig rig = MakeRig([fetcher] { return fetcher.Fetch(); });
  ASSERT_TRUE(rig.cache->Refresh().ok());
  server.SetMode(TestHttpsServer::Mode::kNeverAnswer);
  const auto start = std::chrono::steady_clock::now();
  Status refresh = rig.cache->Refresh();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(refresh.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Mentions(refresh, "no answer within")) << refresh.ToString();
  EXPECT_TRUE(rig.verifier->Verify(Token(k1_, "k1"), now_).ok());
}

TEST_F(JwksHttpsTest, UnreachableServerIsAClearError) {
  std::uint16_t port = 0;
  {
    TestHttpsServer gone(*leaf_);
    port = gone.port();
  }
  auto body = Fetcher("https://127.0.0.1:" + std::to_string(port) + "/certs").Fetch();
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Mentions(body.status(), "connect")) << body.status().ToString();
}

TEST_F(JwksHttpsTest, CreateRefusesAnUnreadableCaFile) {
  auto fetcher = JwksHttpsFetcher::Create(ParseJwksUrl("https://idp.example/c").value(),
                                          dir_.File("absent.pem"));
  ASSERT_FALSE(fetcher.ok());
  EXPECT_TRUE(Mentions(fetcher.status(), "absent.pem"));
}

TEST_F(JwksHttpsTest, BackgroundRefresherRefetchesOnSchedule) {
  TestHttpsServer server(*leaf_);
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  JwksHttpsFetcher fetcher = Fetcher(server.Url());
  JwksCache::Options options;
  options.name = server.Url();
  options.allowed_algorithms = {JwtAlgorithm::kEdDsa};
  options.policy.refresh_interval = 50ms;
  options.policy.min_refresh_interval = 50ms;
  auto cache = JwksCache::Create(options, [fetcher] { return fetcher.Fetch(); }).value();
  ASSERT_TRUE(cache->Refresh().ok());
  server.SetBody(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1"), testing::Ed25519Jwk(k2_, "k2")}));
  {
    JwksRefresher refresher({cache});
    EXPECT_GE(server.WaitForRequests(3, 20s), 3);
  }  // stops and joins
  EXPECT_EQ(cache->Keys()->size(), 2u);
}

}  // namespace
}  // namespace bastion::server

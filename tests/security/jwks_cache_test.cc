// JwksCache (security/jwks_cache.h) with a fake fetch and a clock the test moves: the last
// good set survives every failure, the schedule, the rate limit on unknown kids, one fetch at
// a time, and the verifier's use of a key source beside fixed keys.
#include "security/jwks_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "security/jwks_test_support.h"
#include "security/test_support.h"

namespace bastion::security {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::PkeyPtr;

constexpr char kIss[] = "https://idp.example";
constexpr char kAud[] = "bastion";
constexpr std::int64_t kNow = 1'700'000'000;

class JwksCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    k1_ = testing::MakeEd25519Key().release();
    k2_ = testing::MakeEd25519Key().release();
    fixed_ = testing::MakeEd25519Key().release();
  }
  static void TearDownTestSuite() {
    for (EVP_PKEY* k : {k1_, k2_, fixed_}) EVP_PKEY_free(k);
  }

  // The fake issuer: what the next fetch returns, and how many fetches there were.
  struct FakeIssuer {
    std::mutex mutex;
    Result<std::string> next = Status::Unavailable("nothing served yet");
    int fetches = 0;
  };

  std::shared_ptr<JwksCache> MakeCache(JwksRefreshPolicy policy = {}) {
    JwksCache::Options options;
    options.name = "https://idp.example/certs";
    options.allowed_algorithms = {JwtAlgorithm::kEdDsa};
    options.policy = policy;
    auto issuer = issuer_;
    auto ticks = ticks_;
    return JwksCache::Create(
               options,
               [issuer]() -> Result<std::string> {
                 std::lock_guard lock(issuer->mutex);
                 ++issuer->fetches;
                 return issuer->next;
               },
               [ticks] {
                 return std::chrono::steady_clock::time_point(
                     std::chrono::steady_clock::duration(ticks->load()));
               })
        .value();
  }
  void Serve(Result<std::string> next) {
    std::lock_guard lock(issuer_->mutex);
    issuer_->next = std::move(next);
  }
  int fetches() {
    std::lock_guard lock(issuer_->mutex);
    return issuer_->fetches;
  }
  void Advance(std::chrono::steady_clock::duration d) { *ticks_ += d.count(); }
  std::chrono::steady_clock::time_point Now() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(*ticks_));
  }

  static std::string Token(EVP_PKEY* key, const std::string& kid) {
    Json header = {{"alg", "EdDSA"}};
    if (!kid.empty()) header["kid"] = kid;
    Json claims = {{"iss", kIss}, {"aud", kAud}, {"sub", "dr.house"}, {"exp", kNow + 300}};
    return testing::MakeJws(key, header.dump(), claims.dump());
  }
  static JwtVerifier VerifierWith(std::shared_ptr<JwtKeySource> source,
                                  std::vector<JwtPublicKey> fixed = {}) {
    JwtIssuer issuer;
    issuer.issuer = kIss;
    issuer.audiences = {kAud};
    issuer.allowed_algorithms = {JwtAlgorithm::kEdDsa};
    issuer.keys = std::move(fixed);
    issuer.key_source = std::move(source);
    return JwtVerifier::Create({issuer}).value();
  }

  const std::chrono::system_clock::time_point now_{std::chrono::seconds(kNow)};
  std::shared_ptr<FakeIssuer> issuer_ = std::make_shared<FakeIssuer>();
  std::shared_ptr<std::atomic<std::chrono::steady_clock::rep>> ticks_ =
      std::make_shared<std::atomic<std::chrono::steady_clock::rep>>(1'000'000'000);
  static EVP_PKEY* k1_;
  static EVP_PKEY* k2_;
  static EVP_PKEY* fixed_;
};
EVP_PKEY* JwksCacheTest::k1_ = nullptr;
EVP_PKEY* JwksCacheTest::k2_ = nullptr;
EVP_PKEY* JwksCacheTest::fixed_ = nullptr;

TEST_F(JwksCacheTest, RefreshLoadsTheSetAndLeavesOutKeysForOtherAlgorithms) {
  auto cache = MakeCache();
  EXPECT_FALSE(cache->has_keys());
  PkeyPtr ec = testing::MakeEcKey();
  Json ec_jwk = {{"kty", "EC"}, {"crv", "P-256"}, {"kid", "ec"}};
  // A P-256 key the issuer also publishes: decodable, but ES256 is not allowed here.
  std::string x(32, '\0'), y(32, '\0');
  BIGNUM* bx = nullptr;
  BIGNUM* by = nullptr;
  EVP_PKEY_get_bn_param(ec.get(), "qx", &bx);
  EVP_PKEY_get_bn_param(ec.get(), "qy", &by);
  BN_bn2binpad(bx, reinterpret_cast<unsigned char*>(x.data()), 32);
  BN_bn2binpad(by, reinterpret_cast<unsigned char*>(y.data()), 32);
  BN_free(bx);
  BN_free(by);
  ec_jwk["x"] = Base64UrlEncode(x);
  ec_jwk["y"] = Base64UrlEncode(y);
  Serve(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1"), ec_jwk}));
  ASSERT_TRUE(cache->Refresh().ok());
  ASSERT_EQ(cache->Keys()->size(), 1u);
  EXPECT_EQ(cache->Keys()->front().key_id(), "k1");
  EXPECT_EQ(cache->fetch_count(), 1u);
}

TEST_F(JwksCacheTest, EveryKindOfFailureKeepsTheLastGoodSet) {
  auto cache = MakeCache();
  Serve(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  ASSERT_TRUE(cache->Refresh().ok());
  const auto good = cache->Keys();
  const Result<std::string> failures[] = {
      Status::Unavailable("fetching https://idp.example/certs: connect: refused"),
      std::string("<html>maintenance</html>"),
      std::string(R"({"keys":[]})"),
      std::string(R"({"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]})"),
  };
  for (const auto& failure : failures) {
    Serve(failure);
    Status refresh = cache->Refresh();
    EXPECT_FALSE(refresh.ok());
    EXPECT_NE(refresh.message().find("JWKS https://idp.example/certs"), std::string::npos)
        << refresh.ToString();
    EXPECT_EQ(cache->Keys(), good);
  }
  EXPECT_TRUE(VerifierWith(cache).Verify(Token(k1_, "k1"), now_).ok());
}

TEST_F(JwksCacheTest, ScheduleRefreshesAfterTheIntervalAndRetriesSoonerAfterAFailure) {
  JwksRefreshPolicy policy;
  policy.refresh_interval = 3600s;
  policy.min_refresh_interval = 60s;
  auto cache = MakeCache(policy);
  Serve(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  ASSERT_TRUE(cache->Refresh().ok());
  EXPECT_EQ(cache->next_refresh(), Now() + 3600s);
  Advance(3599s);
  EXPECT_TRUE(cache->RefreshIfDue().ok());
  EXPECT_EQ(fetches(), 1);
  Advance(1s);
  Serve(Status::Unavailable("down"));
  EXPECT_FALSE(cache->RefreshIfDue().ok());
  EXPECT_EQ(fetches(), 2);
  EXPECT_EQ(cache->next_refresh(), Now() + 60s);  // retried after the minimum interval
  Advance(60s);
  Serve(testing::JwkSet({testing::Ed25519Jwk(k2_, "k2")}));
  EXPECT_TRUE(cache->RefreshIfDue().ok());
  EXPECT_EQ(fetches(), 3);
  EXPECT_EQ(cache->Keys()->front().key_id(), "k2");
}

TEST_F(JwksCacheTest, UnknownKidsRefetchAtMostOncePerMinimumInterval) {
  auto cache = MakeCache();
  Serve(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  ASSERT_TRUE(cache->Refresh().ok());
  JwtVerifier verifier = VerifierWith(cache);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(verifier.Verify(Token(k2_, "forged-" + std::to_string(i)), now_).ok());
  }
  EXPECT_EQ(fetches(), 1);  // within a minute of the start-up fetch: none
  Advance(60s);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(verifier.Verify(Token(k2_, "forged-" + std::to_string(i)), now_).ok());
  }
  EXPECT_EQ(fetches(), 2);
  // Known kids and tokens without a kid never fetch.
  Advance(60s);
  EXPECT_TRUE(verifier.Verify(Token(k1_, "k1"), now_).ok());
  EXPECT_FALSE(verifier.Verify(Token(k2_, ""), now_).ok());
  EXPECT_EQ(fetches(), 2);
}

TEST_F(JwksCacheTest, RotationIsPickedUpOnTheFirstTokenWithTheNewKid) {
  auto cache = MakeCache();
  Serve(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  ASSERT_TRUE(cache->Refresh().ok());
  JwtVerifier verifier = VerifierWith(cache);
  Serve(testing::JwkSet({testing::Ed25519Jwk(k2_, "k2")}));
  Advance(61s);
  EXPECT_TRUE(verifier.Verify(Token(k2_, "k2"), now_).ok());
  EXPECT_FALSE(verifier.Verify(Token(k1_, "k1"), now_).ok());  // retired by the issuer
}

TEST_F(JwksCacheTest, WithoutASetTokensAreRefusedUntilAFetchSucceeds) {
  auto cache = MakeCache();
  Serve(Status::Unavailable("down"));
  EXPECT_FALSE(cache->Refresh().ok());
  JwtVerifier verifier = VerifierWith(cache);
  EXPECT_EQ(verifier.Verify(Token(k1_, "k1"), now_).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(fetches(), 1);  // rate-limited: the failed start-up fetch was just now
  Serve(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  Advance(60s);
  EXPECT_TRUE(verifier.Verify(Token(k1_, ""), now_).ok());  // no set yet: even without a kid
  EXPECT_EQ(fetches(), 2);
}

TEST_F(JwksCacheTest, FixedKeysAreAlwaysKeptBesideTheFetchedSet) {
  auto cache = MakeCache();
  Serve(Status::Unavailable("down"));
  EXPECT_FALSE(cache->Refresh().ok());
  JwtPublicKey fixed = JwtPublicKey::FromPem(testing::PublicKeyPem(fixed_), "file").value();
  JwtVerifier verifier = VerifierWith(cache, {fixed});
  EXPECT_TRUE(verifier.Verify(Token(fixed_, "file"), now_).ok());
  Serve(testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")}));
  ASSERT_TRUE(cache->Refresh().ok());
  EXPECT_TRUE(verifier.Verify(Token(fixed_, "file"), now_).ok());
  EXPECT_TRUE(verifier.Verify(Token(k1_, "k1"), now_).ok());
}

TEST_F(JwksCacheTest, ConcurrentUnknownKidsShareOneFetch) {
  // The fetch blocks until released, so the other callers arrive while it runs.
  std::mutex gate_mutex;
  std::condition_variable gate;
  bool open = false;
  std::atomic<int> calls{0};
  JwksCache::Options options;
  options.name = "slow";
  options.allowed_algorithms = {JwtAlgorithm::kEdDsa};
  const std::string set = testing::JwkSet({testing::Ed25519Jwk(k1_, "k1")});
  auto cache = JwksCache::Create(options, [&]() -> Result<std::string> {
                 ++calls;
                 std::unique_lock lock(gate_mutex);
                 gate.wait(lock, [&] { return open; });
                 return set;
               }).value();
  std::vector<std::thread> callers;
  std::atomic<int> done{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      EXPECT_EQ(cache->KeysForUnknownKid()->size(), 1u);
      ++done;
    });
  }
  while (calls.load() == 0) std::this_thread::yield();
  {
    std::lock_guard lock(gate_mutex);
    open = true;
  }
  gate.notify_all();
  for (auto& t : callers) t.join();
  EXPECT_EQ(done.load(), 8);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(JwksCacheTest, CreateRefusesBadPolicies) {
  JwksCache::Options options;
  options.name = "x";
  options.allowed_algorithms = {JwtAlgorithm::kEdDsa};
  auto fetch = []() -> Result<std::string> { return std::string("{}"); };
  options.policy.min_refresh_interval = 2h;  // above the refresh interval
  EXPECT_FALSE(JwksCache::Create(options, fetch).ok());
  options.policy = {};
  options.policy.refresh_interval = 0s;
  EXPECT_FALSE(JwksCache::Create(options, fetch).ok());
  options.policy = {};
  options.allowed_algorithms.clear();
  EXPECT_FALSE(JwksCache::Create(options, fetch).ok());
}

TEST_F(JwksCacheTest, VerifierAcceptsAKeySourceInsteadOfKeys) {
  JwtIssuer issuer;
  issuer.issuer = kIss;
  issuer.audiences = {kAud};
  issuer.allowed_algorithms = {JwtAlgorithm::kEdDsa};
  EXPECT_FALSE(JwtVerifier::Create({issuer}).ok());  // neither keys nor a source
  issuer.key_source = MakeCache();
  EXPECT_TRUE(JwtVerifier::Create({issuer}).ok());
}

}  // namespace
}  // namespace bastion::security

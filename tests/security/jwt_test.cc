#include "security/jwt.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "security/test_support.h"

namespace bastion::security {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::MakeJws;
using testing::PkeyPtr;

constexpr char kIss[] = "https://idp.example";
constexpr char kAud[] = "bastion";

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = testing::MakeRsaKey().release();
    ec_ = testing::MakeEcKey().release();
    ed_ = testing::MakeEd25519Key().release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(ec_);
    EVP_PKEY_free(ed_);
  }

  static JwtIssuer Issuer() {
    JwtIssuer i;
    i.issuer = kIss;
    i.audiences = {kAud};
    i.allowed_algorithms = {JwtAlgorithm::kRs256, JwtAlgorithm::kEs256, JwtAlgorithm::kEdDsa};
    for (EVP_PKEY* k : {rsa_, ec_, ed_}) {
      i.keys.push_back(JwtPublicKey::FromPem(testing::PublicKeyPem(k)).value());
    }
    return i;
  }

  static JwtVerifier Verifier() { return JwtVerifier::Create({Issuer()}).value(); }

  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  std::int64_t now_s_ = 1'700'000'000;

  Json Claims() const {
    return {{"iss", kIss},
            {"aud", kAud},
            {"sub", "dr.house"},
            {"exp", now_s_ + 300},
            {"iat", now_s_ - 10},
            {"nbf", now_s_ - 10},
            {"roles", {"viewer", "modality"}}};
  }
  static std::string Header(const char* alg) { return Json{{"alg", alg}, {"typ", "JWT"}}.dump(); }
  std::string Token(EVP_PKEY* key, const char* alg, const Json& claims) const {
    return MakeJws(key, Header(alg), claims.dump());
  }
  std::string Rs(const Json& claims) const { return Token(rsa_, "RS256", claims); }

  Status Refusal(const std::string& token) const {
    auto r = Verifier().Verify(token, now_);
    EXPECT_FALSE(r.ok());
    return r.status();
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* ec_;
  static EVP_PKEY* ed_;
};
EVP_PKEY* JwtTest::rsa_ = nullptr;
EVP_PKEY* JwtTest::ec_ = nullptr;
EVP_PKEY* JwtTest::ed_ = nullptr;

TEST_F(JwtTest, AcceptsValidRs256) {
  auto id = Verifier().Verify(Rs(Claims()), now_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "dr.house");
  EXPECT_EQ(id->roles, (std::vector<std::string>{"viewer", "modality"}));
  EXPECT_EQ(id->source, Identity::Source::kJwt);
}

TEST_F(JwtTest, AcceptsValidEs256) {
  auto id = Verifier().Verify(Token(ec_, "ES256", Claims()), now_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "dr.house");
}

TEST_F(JwtTest, AcceptsValidEdDsa) {
  auto id = Verifier().Verify(Token(ed_, "EdDSA", Claims()), now_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "dr.house");
}

TEST_F(JwtTest, RefusesExpiredToken) {
  Json c = Claims();
  c["exp"] = now_s_ - 61;
  Status s = Refusal(Rs(c));
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("expired"), std::string::npos);
}

TEST_F(JwtTest, ToleratesClockSkewOnExpiry) {
  Json c = Claims();
  c["exp"] = now_s_ - 30;
  EXPECT_TRUE(Verifier().Verify(Rs(c), now_).ok());
}

TEST_F(JwtTest, RequiresExp) {
  Json c = Claims();
  c.erase("exp");
  EXPECT_NE(Refusal(Rs(c)).message().find("exp"), std::string::npos);
  c["exp"] = "tomorrow";
  EXPECT_NE(Refusal(Rs(c)).message().find("exp"), std::string::npos);
}

TEST_F(JwtTest, RefusesNotYetValidToken) {
  Json c = Claims();
  c["nbf"] = now_s_ + 120;
  EXPECT_NE(Refusal(Rs(c)).message().find("not yet valid"), std::string::npos);
  c["nbf"] = now_s_ + 30;  // within skew
  EXPECT_TRUE(Verifier().Verify(Rs(c), now_).ok());
}

TEST_F(JwtTest, RefusesTokenIssuedInTheFuture) {
  Json c = Claims();
  c["iat"] = now_s_ + 3600;
  EXPECT_NE(Refusal(Rs(c)).message().find("future"), std::string::npos);
}

TEST_F(JwtTest, RefusesWrongAudience) {
  Json c = Claims();
  c["aud"] = "some-other-service";
  EXPECT_NE(Refusal(Rs(c)).message().find("audience"), std::string::npos);
  c.erase("aud");
  EXPECT_NE(Refusal(Rs(c)).message().find("audience"), std::string::npos);
  c["aud"] = Json::array({"x", "y"});
  EXPECT_FALSE(Verifier().Verify(Rs(c), now_).ok());
}

TEST_F(JwtTest, AcceptsAudienceArrayContainingOurs) {
  Json c = Claims();
  c["aud"] = Json::array({"other", kAud});
  EXPECT_TRUE(Verifier().Verify(Rs(c), now_).ok());
}

TEST_F(JwtTest, RefusesUnknownOrMissingIssuer) {
  Json c = Claims();
  c["iss"] = "https://evil.example";
  EXPECT_NE(Refusal(Rs(c)).message().find("issuer"), std::string::npos);
  c.erase("iss");
  EXPECT_NE(Refusal(Rs(c)).message().find("issuer"), std::string::npos);
}

TEST_F(JwtTest, RefusesAlgNone) {
  const std::string payload = Base64UrlEncode(Claims().dump());
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string header = Base64UrlEncode(Json{{"alg", alg}}.dump());
    EXPECT_NE(Refusal(header + "." + payload + ".").message().find("none"), std::string::npos);
    EXPECT_NE(Refusal(header + "." + payload + ".c2ln").message().find("none"), std::string::npos);
  }
}

TEST_F(JwtTest, RefusesHs256SignedWithThePublicKeyAsSecret) {
  // Classic algorithm confusion: an HMAC keyed with the issuer's RSA public key PEM.
  const std::string pem = testing::PublicKeyPem(rsa_);
  const std::string input =
      Base64UrlEncode(Header("HS256")) + "." + Base64UrlEncode(Claims().dump());
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  const std::string token =
      input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_len));
  EXPECT_NE(Refusal(token).message().find("not supported"), std::string::npos);
}

TEST_F(JwtTest, RefusesAlgorithmNotAllowedForIssuer) {
  JwtIssuer only_es = Issuer();
  only_es.allowed_algorithms = {JwtAlgorithm::kEs256};
  only_es.keys = {JwtPublicKey::FromPem(testing::PublicKeyPem(ec_)).value()};
  auto v = JwtVerifier::Create({only_es}).value();
  auto r = v.Verify(Rs(Claims()), now_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not allowed"), std::string::npos);
  EXPECT_TRUE(v.Verify(Token(ec_, "ES256", Claims()), now_).ok());
}

TEST_F(JwtTest, RefusesHeaderAlgThatDoesNotMatchTheSigningKey) {
  // Signed with Ed25519 but labelled ES256 / RS256: no key of that type verifies it.
  const std::string input =
      Base64UrlEncode(Header("ES256")) + "." + Base64UrlEncode(Claims().dump());
  const std::string sig = testing::Sign(ed_, input);
  EXPECT_NE(Refusal(input + "." + Base64UrlEncode(sig)).message().find("signature"),
            std::string::npos);
  const std::string rs_input =
      Base64UrlEncode(Header("RS256")) + "." + Base64UrlEncode(Claims().dump());
  EXPECT_FALSE(
      Verifier().Verify(rs_input + "." + Base64UrlEncode(testing::Sign(ec_, rs_input)), now_).ok());
}

TEST_F(JwtTest, RefusesTamperedPayload) {
  const std::string good = Rs(Claims());
  const std::size_t d1 = good.find('.');
  const std::size_t d2 = good.find('.', d1 + 1);
  Json c = Claims();
  c["roles"] = Json::array({"admin"});
  const std::string forged = good.substr(0, d1 + 1) + Base64UrlEncode(c.dump()) + good.substr(d2);
  EXPECT_NE(Refusal(forged).message().find("signature"), std::string::npos);
}

TEST_F(JwtTest, RefusesTamperedSignature) {
  for (EVP_PKEY* key : {rsa_, ec_, ed_}) {
    const char* alg = key == rsa_ ? "RS256" : key == ec_ ? "ES256" : "EdDSA";
    std::string t = Token(key, alg, Claims());
    std::string sig = Base64UrlDecode(t.substr(t.rfind('.') + 1)).value();
    sig[sig.size() / 2] = static_cast<char>(sig[sig.size() / 2] ^ 0x01);
    t = t.substr(0, t.rfind('.') + 1) + Base64UrlEncode(sig);
    EXPECT_NE(Refusal(t).message().find("signature"), std::string::npos) << alg;
    // Truncated ES256/EdDSA signatures have the wrong length.
    std::string cut = t.substr(0, t.rfind('.') + 1) + Base64UrlEncode(sig.substr(0, 63));
    EXPECT_FALSE(Verifier().Verify(cut, now_).ok()) << alg;
  }
}

TEST_F(JwtTest, RefusesOversizedTokenBeforeParsing) {
  Json c = Claims();
  c["padding"] = std::string(9000, 'x');
  Status s = Refusal(Rs(c));
  EXPECT_NE(s.message().find("larger than 8192"), std::string::npos);
  EXPECT_NE(Refusal(std::string(100'000, 'A')).message().find("larger"), std::string::npos);
}

TEST_F(JwtTest, RefusesBadBase64AndStructure) {
  const std::string good = Rs(Claims());
  EXPECT_FALSE(Verifier().Verify("", now_).ok());
  EXPECT_FALSE(Verifier().Verify("abc", now_).ok());
  EXPECT_FALSE(Verifier().Verify("a.b", now_).ok());
  EXPECT_FALSE(Verifier().Verify(good + ".extra", now_).ok());
  EXPECT_FALSE(Verifier().Verify(good + "=", now_).ok());
  EXPECT_FALSE(Verifier().Verify(" " + good, now_).ok());
  std::string plus = good;
  plus[plus.find('.') + 3] = '+';
  EXPECT_NE(Refusal(plus).message().find("base64url"), std::string::npos);
  EXPECT_FALSE(Verifier().Verify(".." + good.substr(good.rfind('.') + 1), now_).ok());
}

TEST_F(JwtTest, RefusesDuplicateMembersCritAndDeepNesting) {
  const std::string payload = Base64UrlEncode(Claims().dump());
  auto with_header = [&](const std::string& header_json) {
    const std::string input = Base64UrlEncode(header_json) + "." + payload;
    return input + "." + Base64UrlEncode(testing::Sign(rsa_, input));
  };
  EXPECT_FALSE(Verifier().Verify(with_header(R"({"alg":"RS256","alg":"none"})"), now_).ok());
  EXPECT_FALSE(Verifier().Verify(with_header(R"({"alg":"RS256","crit":["exp"]})"), now_).ok());
  EXPECT_TRUE(Verifier().Verify(with_header(R"({"alg":"RS256"})"), now_).ok());
  std::string deep = R"({"alg":"RS256","x":)" + std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_FALSE(Verifier().Verify(with_header(deep), now_).ok());
  std::string dup_claims = R"({"iss":")" + std::string(kIss) + R"(","sub":"a","sub":"admin"})";
  EXPECT_FALSE(Verifier().Verify(MakeJws(rsa_, Header("RS256"), dup_claims), now_).ok());
}

TEST_F(JwtTest, ErrorsNeverEchoTokenContents) {
  Json c = Claims();
  c["sub"] = "SECRET-MARKER";
  c["iss"] = "SECRET-ISSUER";
  EXPECT_EQ(Refusal(Rs(c)).message().find("SECRET"), std::string::npos);
  c = Claims();
  c["sub"] = "SECRET-MARKER";
  c["exp"] = now_s_ - 1000;
  EXPECT_EQ(Refusal(Rs(c)).message().find("SECRET"), std::string::npos);
}

TEST_F(JwtTest, RolesClaimShapes) {
  Json c = Claims();
  c["roles"] = "viewer";
  EXPECT_EQ(Verifier().Verify(Rs(c), now_)->roles, std::vector<std::string>{"viewer"});
  c.erase("roles");
  auto none = Verifier().Verify(Rs(c), now_);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->roles.empty());  // authenticated, but permitted nothing
  c["roles"] = Json::array({"viewer", 7});
  EXPECT_FALSE(Verifier().Verify(Rs(c), now_).ok());
  c["roles"] = Json::object();
  EXPECT_FALSE(Verifier().Verify(Rs(c), now_).ok());
}

TEST_F(JwtTest, ConfigurableClaimNames) {
  JwtIssuer i = Issuer();
  i.username_claim = "preferred_username";
  i.roles_claim = "bastion_roles";
  auto v = JwtVerifier::Create({i}).value();
  Json c = Claims();
  c["preferred_username"] = "jdoe";
  c["bastion_roles"] = Json::array({"auditor"});
  auto id = v.Verify(Rs(c), now_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "jdoe");
  EXPECT_EQ(id->roles, std::vector<std::string>{"auditor"});
  c.erase("preferred_username");
  EXPECT_FALSE(v.Verify(Rs(c), now_).ok());
}

TEST_F(JwtTest, KeyIdSelectsTheKey) {
  PkeyPtr other = testing::MakeEcKey();
  JwtIssuer i = Issuer();
  i.keys = {JwtPublicKey::FromPem(testing::PublicKeyPem(ec_), "k1").value(),
            JwtPublicKey::FromPem(testing::PublicKeyPem(other.get()), "k2").value()};
  i.allowed_algorithms = {JwtAlgorithm::kEs256};
  auto v = JwtVerifier::Create({i}).value();
  const std::string h2 = Json{{"alg", "ES256"}, {"kid", "k2"}}.dump();
  const std::string h1 = Json{{"alg", "ES256"}, {"kid", "k1"}}.dump();
  EXPECT_TRUE(v.Verify(MakeJws(other.get(), h2, Claims().dump()), now_).ok());
  EXPECT_FALSE(v.Verify(MakeJws(other.get(), h1, Claims().dump()), now_).ok());
  EXPECT_TRUE(v.Verify(MakeJws(ec_, Header("ES256"), Claims().dump()), now_).ok());
}

TEST_F(JwtTest, KeysLoadFromCertificatesAndFiles) {
  testing::TempDir dir;
  testing::WriteAll(dir.File("idp.pem"), testing::SelfSignedCertificatePem(ec_, "idp"));
  auto key = JwtPublicKey::FromPemFile(dir.File("idp.pem"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->algorithm(), JwtAlgorithm::kEs256);
  EXPECT_FALSE(JwtPublicKey::FromPemFile(dir.File("absent.pem")).ok());
  EXPECT_FALSE(JwtPublicKey::FromPem("not a key").ok());
}

TEST_F(JwtTest, RefusesWeakOrUnsupportedKeys) {
  PkeyPtr small = testing::MakeRsaKey(1024);
  EXPECT_EQ(JwtPublicKey::FromPem(testing::PublicKeyPem(small.get())).status().code(),
            StatusCode::kUnsupported);
  PkeyPtr p384 = testing::MakeEcKey("P-384");
  EXPECT_EQ(JwtPublicKey::FromPem(testing::PublicKeyPem(p384.get())).status().code(),
            StatusCode::kUnsupported);
}

TEST_F(JwtTest, CreateRefusesIncompleteIssuers) {
  JwtIssuer i = Issuer();
  i.audiences.clear();
  EXPECT_FALSE(JwtVerifier::Create({i}).ok());
  i = Issuer();
  i.keys.clear();
  EXPECT_FALSE(JwtVerifier::Create({i}).ok());
  i = Issuer();
  i.allowed_algorithms = {JwtAlgorithm::kEs256};  // but an RSA key is configured
  EXPECT_FALSE(JwtVerifier::Create({i}).ok());
  i = Issuer();
  EXPECT_EQ(JwtVerifier::Create({i, i}).status().code(), StatusCode::kConflict);
  i.issuer.clear();
  EXPECT_FALSE(JwtVerifier::Create({i}).ok());
}

TEST(Base64UrlTest, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    auto enc = Base64UrlEncode(bytes);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    auto dec = Base64UrlDecode(enc);
    ASSERT_TRUE(dec.has_value());
    EXPECT_EQ(*dec, bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, StrictDecoding) {
  EXPECT_FALSE(Base64UrlDecode("QQ==").has_value());
  EXPECT_FALSE(Base64UrlDecode("Q").has_value());   // impossible length
  EXPECT_FALSE(Base64UrlDecode("QR").has_value());  // non-zero trailing bits
  EXPECT_TRUE(Base64UrlDecode("QQ").has_value());
  EXPECT_FALSE(Base64UrlDecode("Q Q").has_value());
  EXPECT_FALSE(Base64UrlDecode("a+b/").has_value());
  EXPECT_EQ(Base64UrlDecode("").value(), "");
}

}  // namespace
}  // namespace bastion::security

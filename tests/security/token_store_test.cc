#include "security/token_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "security/test_support.h"

namespace bastion::security {
namespace {

using namespace std::chrono_literals;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;
using Clock = std::chrono::system_clock;

TokenStoreOptions Creating() {
  TokenStoreOptions o;
  o.create_if_missing = true;
  return o;
}

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TokenStore::Load(path_, Creating());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  std::pair<TokenInfo, std::string> MustCreate(const std::string& user = "alice",
                                               std::chrono::seconds ttl = 24h,
                                               const std::string& description = "") {
    auto c = store_->Create(user, ttl, description, now_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : std::pair<TokenInfo, std::string>{};
  }

  TokenFailure FailureOf(std::string_view token, Clock::time_point at) const {
    TokenFailure why = TokenFailure::kNone;
    auto r = store_->Verify(token, at, &why);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(r.status().message(), kBadTokenMessage);
    return why;
  }

  TempDir dir_;
  std::string path_ = dir_.File("tokens.json");
  std::unique_ptr<TokenStore> store_;
  Clock::time_point now_ = Clock::time_point(std::chrono::seconds(1'700'000'000));
};

TEST(TokenStoreLoadTest, MissingFileIsNotFoundUnlessCreating) {
  TempDir dir;
  auto s = TokenStore::Load(dir.File("tokens.json"));
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  auto c = TokenStore::Load(dir.File("tokens.json"), Creating());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->size(), 0u);
}

TEST_F(TokenStoreTest, CreatedTokenHasTheDocumentedShapeAndVerifies) {
  auto [info, token] = MustCreate("alice", 90 * 24h, "nightly sync");
  EXPECT_EQ(info.id.size(), 12u);
  EXPECT_EQ(info.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(token.rfind("bst_" + info.id + "_", 0), 0u);
  EXPECT_EQ(token.size(), 4u + 12u + 1u + 43u);  // 32 bytes of base64url without padding
  auto secret = Base64UrlDecode(std::string_view(token).substr(17));
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(secret->size(), 32u);
  EXPECT_EQ(info.user, "alice");
  EXPECT_EQ(info.description, "nightly sync");
  EXPECT_EQ(info.created, now_);
  EXPECT_EQ(info.expires, now_ + 90 * 24h);
  EXPECT_FALSE(info.revoked);

  TokenFailure why = TokenFailure::kMalformed;
  auto v = store_->Verify(token, now_ + 1h, &why);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(why, TokenFailure::kNone);
  EXPECT_EQ(v->user, "alice");
  EXPECT_EQ(v->id, info.id);
}

TEST_F(TokenStoreTest, EachTokenIsDifferent) {
  std::set<std::string> ids;
  std::set<std::string> tokens;
  for (int i = 0; i < 20; ++i) {
    auto [info, token] = MustCreate();
    ids.insert(info.id);
    tokens.insert(token);
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(tokens.size(), 20u);
  EXPECT_EQ(store_->size(), 20u);
}

TEST_F(TokenStoreTest, ExpiresAtItsExpiryTime) {
  auto [info, token] = MustCreate("alice", 1min);
  EXPECT_TRUE(store_->Verify(token, now_ + 59s).ok());
  EXPECT_EQ(FailureOf(token, now_ + 60s), TokenFailure::kExpired);
  EXPECT_EQ(FailureOf(token, now_ + 24h), TokenFailure::kExpired);
}

TEST_F(TokenStoreTest, RevokedTokenIsRefusedAndRevokingTwiceIsFine) {
  auto [info, token] = MustCreate();
  auto [other_info, other] = MustCreate();
  ASSERT_TRUE(store_->Revoke(info.id).ok());
  EXPECT_EQ(FailureOf(token, now_), TokenFailure::kRevoked);
  EXPECT_TRUE(store_->Verify(other, now_).ok());  // only that one
  EXPECT_TRUE(store_->Revoke(info.id).ok());
  ASSERT_TRUE(store_->Find(info.id).has_value());
  EXPECT_TRUE(store_->Find(info.id)->revoked);
}

TEST_F(TokenStoreTest, RevokeNamesUnknownAndMalformedIds) {
  EXPECT_EQ(store_->Revoke("0123456789ab").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Revoke("../../etc").code(), StatusCode::kMalformed);
  EXPECT_EQ(store_->Revoke("0123456789AB").code(), StatusCode::kMalformed);
}

TEST_F(TokenStoreTest, WrongSecretWithTheRightIdIsRefused) {
  auto [info, token] = MustCreate();
  std::string forged = token;
  // Another valid 32-byte secret under the same id: flip bits in the middle of the secret.
  forged[30] = forged[30] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(Base64UrlDecode(std::string_view(forged).substr(17)).has_value());
  EXPECT_EQ(FailureOf(forged, now_), TokenFailure::kWrongSecret);
  // The secret of another token with this token's id.
  auto [other_info, other] = MustCreate();
  std::string swapped = "bst_" + info.id + other.substr(16);
  EXPECT_EQ(FailureOf(swapped, now_), TokenFailure::kWrongSecret);
}

TEST_F(TokenStoreTest, UnknownIdIsRefused) {
  auto [info, token] = MustCreate();
  std::string other_id = token;
  other_id[4] = other_id[4] == '0' ? '1' : '0';
  EXPECT_EQ(FailureOf(other_id, now_), TokenFailure::kUnknownId);
}

TEST_F(TokenStoreTest, MalformedTokensAreRefusedWithTheSameMessage) {
  auto [info, token] = MustCreate();
  const std::string secret = token.substr(17);
  for (const std::string& bad : {
           std::string(),
           std::string("bst_"),
           "Bst_" + token.substr(4),                             // prefix is case-sensitive
           "bst-" + token.substr(4),                             // wrong prefix separator
           "bst_" + info.id + "-" + secret,                      // wrong id separator
           token.substr(0, token.size() - 1),                    // secret one character short
           token + "A",                                          // one too long
           "bst_" + std::string("0123456789AB") + "_" + secret,  // upper-case id
           "bst_" + info.id + "_" + secret.substr(0, 42) + "=",  // padding
           "bst_" + info.id + "_" + secret.substr(0, 42) + "B",  // non-zero trailing bits
           "bst_" + info.id + "_" + secret.substr(0, 20) + "+" + secret.substr(21),  // base64
           token.substr(0, 30) + std::string(1, '\0') + token.substr(31),
           " " + token,
           std::string(257, 'a'),
           "bst_" + info.id + "_" + std::string(10'000, 'A'),
       }) {
    EXPECT_EQ(FailureOf(bad, now_), TokenFailure::kMalformed) << bad.substr(0, 80);
  }
  EXPECT_TRUE(store_->Verify(token, now_).ok());
}

TEST_F(TokenStoreTest, LifetimeBoundsAreOneMinuteToTwoYears) {
  EXPECT_TRUE(store_->Create("alice", kMinTokenTtl, "", now_).ok());
  EXPECT_TRUE(store_->Create("alice", kMaxTokenTtl, "", now_).ok());
  EXPECT_EQ(kMaxTokenTtl, std::chrono::seconds(730 * 24 * 3600));
  for (std::chrono::seconds ttl :
       {0s, 59s, -1s, kMaxTokenTtl + 1s, std::chrono::seconds(100LL * 365 * 86400)}) {
    auto c = store_->Create("alice", ttl, "", now_);
    ASSERT_FALSE(c.ok()) << ttl.count();
    EXPECT_EQ(c.status().code(), StatusCode::kMalformed);
    EXPECT_NE(c.status().message().find("1 minute and 2 years"), std::string::npos);
  }
  EXPECT_EQ(store_->size(), 2u);
}

TEST_F(TokenStoreTest, RefusesBadUserNamesAndDescriptions) {
  EXPECT_EQ(store_->Create("", 1h, "", now_).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(store_->Create("a b", 1h, "", now_).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(store_->Create("alice", 1h, "line\nbreak", now_).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(store_->Create("alice", 1h, "caf\xc3\xa9", now_).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(store_->Create("alice", 1h, std::string(201, 'x'), now_).status().code(),
            StatusCode::kMalformed);
  EXPECT_TRUE(store_->Create("alice", 1h, std::string(200, 'x'), now_).ok());
}

TEST_F(TokenStoreTest, ChangesReachAnotherStoreOnTheSameFile) {
  auto [info, token] = MustCreate();
  auto second = TokenStore::Load(path_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE((*second)->Verify(token, now_).ok());

  // A token created by the second store (another process: `bastion token create`).
  auto made = (*second)->Create("bob", 1h, "", now_);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(FailureOf(made->second, now_), TokenFailure::kUnknownId);
  auto reloaded = store_->ReloadIfChanged();
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(*reloaded);
  EXPECT_TRUE(store_->Verify(made->second, now_).ok());

  // A revocation by the second store applies in the first after its reload.
  ASSERT_TRUE((*second)->Revoke(info.id).ok());
  EXPECT_TRUE(store_->Verify(token, now_).ok());  // not reloaded yet
  ASSERT_TRUE(store_->ReloadIfChanged().ok());
  EXPECT_EQ(FailureOf(token, now_), TokenFailure::kRevoked);
  auto again = store_->ReloadIfChanged();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_F(TokenStoreTest, WriterMergesTheNewestFileBeforeWriting) {
  auto second = TokenStore::Load(path_, Creating());
  ASSERT_TRUE(second.ok());
  auto a = store_->Create("alice", 1h, "", now_);
  auto b = (*second)->Create("bob", 1h, "", now_);  // without reloading first
  ASSERT_TRUE(a.ok() && b.ok());
  auto third = TokenStore::Load(path_);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->size(), 2u);
  EXPECT_TRUE((*third)->Verify(a->second, now_).ok());
  EXPECT_TRUE((*third)->Verify(b->second, now_).ok());
}

TEST_F(TokenStoreTest, FileIsPrivateAndHoldsNoSecret) {
  auto [info, token] = MustCreate("alice", 1h, "ci");
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string file = ReadAll(path_);
  EXPECT_EQ(file.find(token), std::string::npos);
  EXPECT_EQ(file.find(token.substr(17)), std::string::npos);      // the secret part
  EXPECT_EQ(file.find(token.substr(17, 16)), std::string::npos);  // or a piece of it
  EXPECT_NE(file.find(info.id), std::string::npos);               // the public id is there
  auto doc = nlohmann::json::parse(file);
  ASSERT_EQ(doc["tokens"].size(), 1u);
  const auto& entry = doc["tokens"][0];
  EXPECT_EQ(entry["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(entry["user"], "alice");
  EXPECT_EQ(entry["created_unix"], 1'700'000'000);
  EXPECT_EQ(entry["expires_unix"], 1'700'003'600);
  EXPECT_EQ(entry["revoked"], false);
}

TEST_F(TokenStoreTest, ListNeverExposesHashesAndFiltersByUser) {
  auto [a, ta] = MustCreate("alice", 1h, "first");
  now_ += 1s;
  auto [b, tb] = MustCreate("bob", 1h, "second");
  now_ += 1s;
  auto [c, tc] = MustCreate("alice", 1h, "third");
  const std::string file = ReadAll(path_);
  auto doc = nlohmann::json::parse(file);
  std::set<std::string> hashes;
  for (const auto& t : doc["tokens"]) hashes.insert(t["sha256"].get<std::string>());
  ASSERT_EQ(hashes.size(), 3u);

  std::vector<TokenInfo> all = store_->List();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, a.id);  // by creation time
  EXPECT_EQ(all[1].id, b.id);
  EXPECT_EQ(all[2].id, c.id);
  for (const TokenInfo& t : all) {
    for (const std::string* field : {&t.id, &t.user, &t.description}) {
      for (const std::string& h : hashes)
        EXPECT_EQ(field->find(h.substr(0, 16)), std::string::npos);
      for (const std::string& secret : {ta, tb, tc}) {
        EXPECT_EQ(field->find(secret.substr(17, 16)), std::string::npos);
      }
    }
  }
  std::vector<TokenInfo> alices = store_->List("alice");
  ASSERT_EQ(alices.size(), 2u);
  EXPECT_EQ(alices[0].description, "first");
  EXPECT_EQ(alices[1].description, "third");
  EXPECT_TRUE(store_->List("carol").empty());
}

TEST_F(TokenStoreTest, RemoveExpiredDropsOnlyExpiredRecords) {
  auto [short_info, short_token] = MustCreate("alice", 1min);
  auto [long_info, long_token] = MustCreate("alice", 1h);
  ASSERT_TRUE(store_->Revoke(long_info.id).ok());
  auto none = store_->RemoveExpired(now_ + 30s);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  EXPECT_EQ(store_->size(), 2u);
  auto one = store_->RemoveExpired(now_ + 2min);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1u);
  EXPECT_EQ(store_->size(), 1u);
  EXPECT_FALSE(store_->Find(short_info.id).has_value());
  EXPECT_TRUE(store_->Find(long_info.id).has_value());  // revoked, kept until it expires
  auto reopened = TokenStore::Load(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->size(), 1u);
}

TEST(TokenStoreLimitsTest, RefusesCreationBeyondMaxTokens) {
  TempDir dir;
  TokenStoreOptions o = Creating();
  o.max_tokens = 2;
  auto store = TokenStore::Load(dir.File("tokens.json"), o);
  ASSERT_TRUE(store.ok());
  const auto now = Clock::now();
  EXPECT_TRUE((*store)->Create("alice", 1h, "", now).ok());
  EXPECT_TRUE((*store)->Create("alice", 1h, "", now).ok());
  auto third = (*store)->Create("alice", 1h, "", now);
  EXPECT_EQ(third.status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ((*store)->size(), 2u);
}

TEST(TokenStoreLimitsTest, RefusesCreationThatWouldOutgrowTheFileBound) {
  TempDir dir;
  TokenStoreOptions o = Creating();
  o.max_file_bytes = 600;
  auto store = TokenStore::Load(dir.File("tokens.json"), o);
  ASSERT_TRUE(store.ok());
  const auto now = Clock::now();
  EXPECT_TRUE((*store)->Create("alice", 1h, "", now).ok());
  auto grown = (*store)->Create("alice", 1h, std::string(200, 'x'), now);
  EXPECT_EQ(grown.status().code(), StatusCode::kLimitExceeded);
  auto reopened = TokenStore::Load(dir.File("tokens.json"), o);  // still loadable
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->size(), 1u);
}

class TokenFileParseTest : public ::testing::Test {
 protected:
  Status LoadText(const std::string& text) {
    WriteAll(path_, text);
    auto s = TokenStore::Load(path_);
    return s.status();
  }
  static std::string Entry(const std::string& fields) {
    return R"({"format":"bastion-tokens","version":1,"tokens":[{)" + fields + "}]}";
  }
  static std::string Good() {
    return R"("id":"0123456789ab","sha256":")" + std::string(64, 'a') +
           R"(","user":"alice","description":"","created_unix":1700000000,)"
           R"("expires_unix":1700003600,"revoked":false)";
  }
  TempDir dir_;
  std::string path_ = dir_.File("tokens.json");
};

TEST_F(TokenFileParseTest, AcceptsAWellFormedFile) { EXPECT_TRUE(LoadText(Entry(Good())).ok()); }

TEST_F(TokenFileParseTest, RefusesDamagedRecords) {
  auto replaced = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::string good = Good();
  for (const std::string& bad : {
           replaced(good, R"("id":"0123456789ab")", R"("id":"0123456789AB")"),
           replaced(good, R"("id":"0123456789ab")", R"("id":"../x")"),
           replaced(good, std::string(64, 'a'), std::string(63, 'a')),
           replaced(good, std::string(64, 'a'), std::string(64, 'g')),
           replaced(good, R"("user":"alice")", R"("user":"a b")"),
           replaced(good, R"("description":"")", R"("description":7)"),
           replaced(good, R"("expires_unix":1700003600)", R"("expires_unix":1700000000)"),
           replaced(good, R"("expires_unix":1700003600)", R"("expires_unix":99999999999)"),
           replaced(good, R"("created_unix":1700000000)", R"("created_unix":-5)"),
           replaced(good, R"("created_unix":1700000000)", R"("created_unix":"soon")"),
           replaced(good, R"("revoked":false)", R"("revoked":0)"),
           replaced(good, R"(,"revoked":false)", ""),
       }) {
    EXPECT_FALSE(LoadText(Entry(bad)).ok()) << bad;
  }
  EXPECT_FALSE(LoadText(R"({"format":"bastion-users","version":1,"tokens":[]})").ok());
  EXPECT_EQ(LoadText(R"({"format":"bastion-tokens","version":2,"tokens":[]})").code(),
            StatusCode::kUnsupported);
  EXPECT_FALSE(LoadText("not json").ok());
  const std::string twice =
      R"({"format":"bastion-tokens","version":1,"tokens":[{)" + good + "},{" + good + "}]}";
  EXPECT_FALSE(LoadText(twice).ok());
}

TEST_F(TokenFileParseTest, RefusesAFileOthersCanRead) {
  WriteAll(path_, Entry(Good()), 0644);
  EXPECT_EQ(TokenStore::Load(path_).status().code(), StatusCode::kPermissionDenied);
}

TEST(TokenFailureNameTest, NamesEveryReason) {
  for (TokenFailure f :
       {TokenFailure::kNone, TokenFailure::kMalformed, TokenFailure::kUnknownId,
        TokenFailure::kWrongSecret, TokenFailure::kRevoked, TokenFailure::kExpired}) {
    EXPECT_NE(TokenFailureName(f), "unknown");
  }
}

TEST_F(TokenStoreTest, RemoveExpiredCanAlsoDropRevokedRecords) {
  auto [kept, kept_token] = MustCreate("alice", 1h);
  auto [revoked, revoked_token] = MustCreate("alice", 1h);
  ASSERT_TRUE(store_->Revoke(revoked.id).ok());
  auto removed = store_->RemoveExpired(now_, /*revoked_too=*/true);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_TRUE(store_->Find(kept.id).has_value());
  EXPECT_FALSE(store_->Find(revoked.id).has_value());
  EXPECT_FALSE(store_->Verify(revoked_token, now_).ok());  // still refused: it is unknown now
  EXPECT_TRUE(store_->Verify(kept_token, now_).ok());
}

TEST_F(TokenStoreTest, CreatingDropsRecordsExpiredLongerThanTheRetention) {
  auto [old_info, old_token] = MustCreate("alice", 1min);
  auto [recent_info, recent_token] = MustCreate("alice", 1h);
  const auto later = now_ + kExpiredTokenRetention + 2min;  // old one expired > retention ago
  auto created = store_->Create("bob", 1h, "", later);
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(store_->Find(old_info.id).has_value());
  EXPECT_TRUE(store_->Find(recent_info.id).has_value());  // expired, but within the retention
  EXPECT_TRUE(store_->Find(created->first.id).has_value());
}

}  // namespace
}  // namespace bastion::security

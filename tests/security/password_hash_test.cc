#include "security/password_hash.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace bastion::security {
namespace {

const Argon2Params kFast = Argon2Params::ForTesting();

TEST(PasswordHashTest, HashThenVerifySucceeds) {
  auto password = GeneratePassword();
  ASSERT_TRUE(password.ok());
  auto hash = HashPassword(*password, kFast);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=64,t=1,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifyPassword(*password, *hash).ok());
}

TEST(PasswordHashTest, DefaultsMeetOwaspMinimums) {
  Argon2Params defaults;
  EXPECT_GE(defaults.memory_kib, 19u * 1024);
  EXPECT_GE(defaults.time_cost, 2u);
  EXPECT_GE(defaults.salt_bytes, 16u);
  EXPECT_GE(defaults.hash_bytes, 32u);
}

TEST(PasswordHashTest, WrongPasswordIsUnauthenticatedWithoutEchoingIt) {
  auto hash = HashPassword("correct horse battery", kFast);
  ASSERT_TRUE(hash.ok());
  Status s = VerifyPassword("correct horse batterx", *hash);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message().find("batterx"), std::string::npos);
}

TEST(PasswordHashTest, SamePasswordGetsDifferentSalts) {
  auto a = HashPassword("same password here", kFast);
  auto b = HashPassword("same password here", kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(PasswordHashTest, RejectsEmptyAndOverlongPasswords) {
  EXPECT_EQ(HashPassword("", kFast).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(HashPassword(std::string(kMaxPasswordBytes + 1, 'a'), kFast).status().code(),
            StatusCode::kLimitExceeded);
}

TEST(PasswordHashTest, OverlongCandidateNeverMatches) {
  auto hash = HashPassword("abcdefghijklmnop", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(VerifyPassword(std::string(kMaxPasswordBytes + 1, 'a'), *hash).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyPassword("", *hash).code(), StatusCode::kUnauthenticated);
}

TEST(PasswordHashTest, RejectsNonArgon2idHashes) {
  EXPECT_EQ(VerifyPassword("x", "").code(), StatusCode::kMalformed);
  EXPECT_EQ(VerifyPassword("x", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA").code(),
            StatusCode::kMalformed);
  EXPECT_EQ(VerifyPassword("x", "$2b$12$abcdefghijklmnopqrstuv").code(), StatusCode::kMalformed);
  EXPECT_EQ(VerifyPassword("x", "$argon2id$v=19$m=64,t=1$c2FsdHNhbHQ$aGFzaA").code(),
            StatusCode::kMalformed);
}

TEST(PasswordHashTest, RefusesStoredHashWithExcessiveCost) {
  // A damaged users file must not make one login allocate terabytes.
  EXPECT_EQ(
      VerifyPassword("x", "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA").code(),
      StatusCode::kLimitExceeded);
  EXPECT_EQ(VerifyPassword("x", "$argon2id$v=19$m=64,t=100000,p=1$c2FsdHNhbHRzYWx0$aGFzaA").code(),
            StatusCode::kLimitExceeded);
}

TEST(PasswordHashTest, TamperedHashDoesNotVerify) {
  auto hash = HashPassword("a long enough password", kFast);
  ASSERT_TRUE(hash.ok());
  std::string bad = *hash;
  bad[bad.size() - 2] = bad[bad.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword("a long enough password", bad).ok());
}

TEST(GeneratePasswordTest, HasRequestedLengthAndUnambiguousAlphabet) {
  for (int i = 0; i < 50; ++i) {
    auto p = GeneratePassword();
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->size(), 24u);
    EXPECT_EQ(p->find_first_of("0Oo1lI"), std::string::npos) << *p;
    EXPECT_TRUE(CheckPasswordPolicy(*p).ok());
  }
  EXPECT_EQ(GeneratePassword(40)->size(), 40u);
  EXPECT_FALSE(GeneratePassword(8).ok());
}

TEST(GeneratePasswordTest, PasswordsDifferAndCoverTheAlphabet) {
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 200; ++i) {
    auto p = GeneratePassword();
    ASSERT_TRUE(p.ok());
    seen.insert(*p);
    chars.insert(p->begin(), p->end());
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(chars.size(), 56u);  // 4800 draws from 56 symbols: all appear
}

TEST(GeneratePasswordTest, CharacterFrequenciesShowNoModuloBias) {
  // With modulo bias (256 % 56 = 32) the first 32 symbols would be 9% too frequent and the
  // rest 12% too rare; 6% is 4.5 standard deviations at 320,000 draws.
  std::map<char, int> counts;
  int total = 0;
  for (int i = 0; i < 5000; ++i) {
    auto p = GeneratePassword(64);
    ASSERT_TRUE(p.ok());
    for (char c : *p) ++counts[c];
    total += 64;
  }
  const double expected = total / 56.0;
  for (const auto& [c, n] : counts) {
    EXPECT_NEAR(n, expected, expected * 0.06) << c;
  }
}

TEST(PasswordPolicyTest, EnforcesLengthAndPrintable) {
  EXPECT_EQ(CheckPasswordPolicy("short").code(), StatusCode::kMalformed);
  EXPECT_TRUE(CheckPasswordPolicy("twelve chars").ok());
  EXPECT_EQ(CheckPasswordPolicy(std::string("twelve\nchars")).code(), StatusCode::kMalformed);
  EXPECT_EQ(CheckPasswordPolicy(std::string(kMaxPasswordBytes + 1, 'x')).code(),
            StatusCode::kLimitExceeded);
}

}  // namespace
}  // namespace bastion::security

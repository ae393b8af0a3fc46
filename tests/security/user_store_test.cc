#include "security/user_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "security/test_support.h"

namespace bastion::security {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

UserStoreOptions FastOptions(bool create = true) {
  UserStoreOptions o;
  o.hash_params = Argon2Params::ForTesting();
  o.create_if_missing = create;
  return o;
}

std::string NewPassword() { return GeneratePassword().value(); }

class UserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = UserStore::Load(path_, FastOptions());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  TempDir dir_;
  std::string path_ = dir_.File("users.json");
  std::unique_ptr<UserStore> store_;
};

TEST(UserNameTest, AcceptsAllowedCharactersAndLengths) {
  EXPECT_TRUE(ValidateUserName("a").ok());
  EXPECT_TRUE(ValidateUserName("dr.jane_doe-2@radiology").ok());
  EXPECT_TRUE(ValidateUserName(std::string(64, 'x')).ok());
  EXPECT_FALSE(ValidateUserName("").ok());
  EXPECT_FALSE(ValidateUserName(std::string(65, 'x')).ok());
  EXPECT_FALSE(ValidateUserName("jane doe").ok());
  EXPECT_FALSE(ValidateUserName("jane/../x").ok());
  EXPECT_FALSE(ValidateUserName(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateUserName("jäne").ok());
}

TEST(UserStoreLoadTest, MissingFileIsNotFoundUnlessCreating) {
  TempDir dir;
  auto s = UserStore::Load(dir.File("users.json"), FastOptions(false));
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  auto c = UserStore::Load(dir.File("users.json"), FastOptions(true));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir.File("users.json")));
  ASSERT_TRUE((*c)->Save().ok());
  EXPECT_TRUE(std::filesystem::exists(dir.File("users.json")));
}

TEST_F(UserStoreTest, AddThenVerifyReturnsTheUser) {
  std::string pw = NewPassword();
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, pw).ok());
  VerifyFailure why = VerifyFailure::kUnknownUser;
  auto user = store_->Verify("alice", pw, &why);
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->name, "alice");
  EXPECT_EQ(user->roles, std::vector<std::string>{"viewer"});
  EXPECT_EQ(why, VerifyFailure::kNone);
  EXPECT_GT(user->created.time_since_epoch().count(), 0);
}

TEST_F(UserStoreTest, WrongPasswordAndUnknownUserGiveTheSameMessage) {
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, NewPassword()).ok());
  VerifyFailure wrong_why{}, unknown_why{};
  auto wrong = store_->Verify("alice", NewPassword(), &wrong_why);
  auto unknown = store_->Verify("mallory", NewPassword(), &unknown_why);
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_EQ(wrong.status().message(), kBadCredentialsMessage);
  EXPECT_EQ(wrong_why, VerifyFailure::kWrongPassword);
  EXPECT_EQ(unknown_why, VerifyFailure::kUnknownUser);
}

TEST(UserStoreTimingTest, UnknownUserTakesComparableTimeToWrongPassword) {
  TempDir dir;
  UserStoreOptions o = FastOptions();
  o.hash_params.memory_kib = 4 * 1024;  // large enough that hashing dominates the lookup
  auto store = UserStore::Load(dir.File("users.json"), o).value();
  ASSERT_TRUE(store->Add("alice", {"viewer"}, NewPassword()).ok());
  // Interleaved samples and the minimum of each: robust against load on shared machines.
  // Without the dummy hash the unknown name would answer ~1000 times sooner.
  auto time_one = [&](const std::string& name) {
    auto start = std::chrono::steady_clock::now();
    (void)store->Verify(name, "not the password at all");
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double known = 1e9, unknown = 1e9;
  for (int i = 0; i < 15; ++i) {
    known = std::min(known, time_one("alice"));
    unknown = std::min(unknown, time_one("nobody-by-this-name"));
  }
  EXPECT_GT(unknown, known / 4) << "known " << known << " s, unknown " << unknown << " s";
  EXPECT_LT(unknown, known * 4) << "known " << known << " s, unknown " << unknown << " s";
}

TEST_F(UserStoreTest, DisabledAccountIsRefusedWithTheSameMessage) {
  std::string pw = NewPassword();
  ASSERT_TRUE(store_->Add("bob", {"modality"}, pw).ok());
  ASSERT_TRUE(store_->SetDisabled("bob", true).ok());
  VerifyFailure why{};
  auto r = store_->Verify("bob", pw, &why);
  EXPECT_EQ(r.status().message(), kBadCredentialsMessage);
  EXPECT_EQ(why, VerifyFailure::kDisabled);
  ASSERT_TRUE(store_->SetDisabled("bob", false).ok());
  EXPECT_TRUE(store_->Verify("bob", pw).ok());
}

TEST_F(UserStoreTest, AddRefusesDuplicatesBadNamesUnknownRolesAndWeakPasswords) {
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, NewPassword()).ok());
  EXPECT_EQ(store_->Add("alice", {"viewer"}, NewPassword()).code(), StatusCode::kConflict);
  EXPECT_EQ(store_->Add("bad name", {"viewer"}, NewPassword()).code(), StatusCode::kMalformed);
  EXPECT_EQ(store_->Add("carol", {"superuser"}, NewPassword()).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Add("carol", {}, NewPassword()).code(), StatusCode::kMalformed);
  EXPECT_EQ(store_->Add("carol", {"viewer"}, "short").code(), StatusCode::kMalformed);
  EXPECT_EQ(store_->size(), 1u);
}

TEST_F(UserStoreTest, CustomRolesFromTheCatalogAreAccepted) {
  TempDir dir;
  UserStoreOptions o = FastOptions();
  ASSERT_TRUE(o.roles.Define("teaching", {Permission::kQuery}).ok());
  auto store = UserStore::Load(dir.File("users.json"), o).value();
  EXPECT_TRUE(store->Add("student", {"teaching"}, NewPassword()).ok());
}

TEST_F(UserStoreTest, RemoveSetPasswordSetRolesAndList) {
  std::string old_pw = NewPassword();
  std::string new_pw = NewPassword();
  ASSERT_TRUE(store_->Add("bob", {"viewer"}, old_pw).ok());
  ASSERT_TRUE(store_->Add("alice", {"admin"}, NewPassword()).ok());
  ASSERT_TRUE(store_->SetPassword("bob", new_pw).ok());
  EXPECT_FALSE(store_->Verify("bob", old_pw).ok());
  EXPECT_TRUE(store_->Verify("bob", new_pw).ok());
  ASSERT_TRUE(store_->SetRoles("bob", {"viewer", "auditor"}).ok());
  EXPECT_EQ(store_->Find("bob")->roles, (std::vector<std::string>{"viewer", "auditor"}));
  auto list = store_->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alice");
  EXPECT_EQ(list[1].name, "bob");
  ASSERT_TRUE(store_->Remove("bob").ok());
  EXPECT_EQ(store_->Remove("bob").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetPassword("bob", new_pw).code(), StatusCode::kNotFound);
  EXPECT_FALSE(store_->Find("bob").has_value());
  EXPECT_FALSE(store_->Verify("bob", new_pw).ok());
}

TEST_F(UserStoreTest, FileIsMode0600AndHoldsOnlyHashes) {
  std::string pw = NewPassword();
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, pw).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string text = ReadAll(path_);
  EXPECT_EQ(text.find(pw), std::string::npos);
  EXPECT_NE(text.find("$argon2id$"), std::string::npos);
  EXPECT_NE(text.find("\"bastion-users\""), std::string::npos);
}

TEST_F(UserStoreTest, SaveLeavesNoTemporaryFilesAndSurvivesReload) {
  std::string pw = NewPassword();
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, pw).ok());
  ASSERT_TRUE(store_->Add("bob", {"modality"}, NewPassword()).ok());
  ASSERT_TRUE(store_->Save().ok());
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "users.json" || name == "users.json.lock") << name;
  }
  auto again = UserStore::Load(path_, FastOptions(false));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->size(), 2u);
  EXPECT_TRUE((*again)->Verify("alice", pw).ok());
}

TEST_F(UserStoreTest, SaveReplacesTheFileInsteadOfRewritingIt) {
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, NewPassword()).ok());
  struct stat before {};
  ASSERT_EQ(::stat(path_.c_str(), &before), 0);
  ASSERT_TRUE(store_->Add("bob", {"viewer"}, NewPassword()).ok());
  struct stat after {};
  ASSERT_EQ(::stat(path_.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // renamed over, never truncated in place
}

TEST_F(UserStoreTest, ReloadIfChangedPicksUpAnotherWritersChange) {
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, NewPassword()).ok());
  auto server = UserStore::Load(path_, FastOptions(false)).value();
  EXPECT_FALSE(server->ReloadIfChanged().value());
  std::string pw = NewPassword();
  // `bastion user add` in another process: a separate store on the same file.
  ASSERT_TRUE(store_->Add("bob", {"modality"}, pw).ok());
  EXPECT_FALSE(server->Verify("bob", pw).ok());
  auto reloaded = server->ReloadIfChanged();
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(*reloaded);
  EXPECT_TRUE(server->Verify("bob", pw).ok());
  EXPECT_FALSE(server->ReloadIfChanged().value());
}

TEST_F(UserStoreTest, WritersMergeInsteadOfLosingEachOthersUsers) {
  auto other = UserStore::Load(path_, FastOptions()).value();
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, NewPassword()).ok());
  ASSERT_TRUE(other->Add("bob", {"viewer"}, NewPassword()).ok());  // other never reloaded
  auto fresh = UserStore::Load(path_, FastOptions(false)).value();
  EXPECT_EQ(fresh->size(), 2u);
}

TEST_F(UserStoreTest, BrokenFileOnReloadKeepsThePreviousUsers) {
  std::string pw = NewPassword();
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, pw).ok());
  WriteAll(path_ + ".new", "{ not json");
  std::filesystem::rename(path_ + ".new", path_);
  auto r = store_->ReloadIfChanged();
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_TRUE(store_->Verify("alice", pw).ok());
}

TEST(UserStoreLoadTest, RefusesFilesReadableByOthers) {
  TempDir dir;
  auto store = UserStore::Load(dir.File("users.json"), FastOptions()).value();
  ASSERT_TRUE(store->Save().ok());
  ::chmod(dir.File("users.json").c_str(), 0644);
  auto r = UserStore::Load(dir.File("users.json"), FastOptions(false));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("chmod 600"), std::string::npos);
}

TEST(UserStoreLoadTest, RefusesSymlinks) {
  TempDir dir;
  auto store = UserStore::Load(dir.File("real.json"), FastOptions()).value();
  ASSERT_TRUE(store->Save().ok());
  std::filesystem::create_symlink(dir.File("real.json"), dir.File("users.json"));
  EXPECT_EQ(UserStore::Load(dir.File("users.json"), FastOptions(false)).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(UserStoreLoadTest, RefusesMalformedEntries) {
  TempDir dir;
  const std::string path = dir.File("users.json");
  auto load = [&](const std::string& text) {
    WriteAll(path, text);
    return UserStore::Load(path, FastOptions(false)).status().code();
  };
  EXPECT_EQ(load("[]"), StatusCode::kMalformed);
  EXPECT_EQ(load(R"({"format":"other","version":1,"users":[]})"), StatusCode::kMalformed);
  EXPECT_EQ(load(R"({"format":"bastion-users","version":2,"users":[]})"), StatusCode::kUnsupported);
  EXPECT_EQ(load(R"({"format":"bastion-users","version":1,"users":[{"name":"a b","roles":[],
            "password_hash":"$argon2id$x"}]})"),
            StatusCode::kMalformed);
  EXPECT_EQ(load(R"({"format":"bastion-users","version":1,"users":[{"name":"a","roles":[1],
            "password_hash":"$argon2id$x"}]})"),
            StatusCode::kMalformed);
  EXPECT_EQ(load(R"({"format":"bastion-users","version":1,"users":[
            {"name":"a","roles":["viewer"],"password_hash":"$argon2id$x"},
            {"name":"a","roles":["viewer"],"password_hash":"$argon2id$x"}]})"),
            StatusCode::kMalformed);
  EXPECT_TRUE(UserStore::Load(path, FastOptions(false)).status().message().find("twice") !=
              std::string::npos);
}

TEST(UserStoreLoadTest, DamagedHashFailsVerificationWithTheSameMessage) {
  TempDir dir;
  const std::string path = dir.File("users.json");
  WriteAll(path, R"({"format":"bastion-users","version":1,"users":[
      {"name":"a","roles":["viewer"],"password_hash":"$argon2id$v=19$m=99999999,t=1,p=1$x$y"}]})");
  auto store = UserStore::Load(path, FastOptions(false)).value();
  VerifyFailure why{};
  auto r = store->Verify("a", "whatever password", &why);
  EXPECT_EQ(r.status().message(), kBadCredentialsMessage);
  EXPECT_EQ(why, VerifyFailure::kUnusableHash);
}

TEST_F(UserStoreTest, ConcurrentVerifyDuringReloadIsSafe) {
  std::string pw = NewPassword();
  ASSERT_TRUE(store_->Add("alice", {"viewer"}, pw).ok());
  auto server = UserStore::Load(path_, FastOptions(false)).value();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    while (!stop) {
      if (!server->Verify("alice", pw).ok()) ++failures;
    }
  });
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store_->Add("user" + std::to_string(i), {"viewer"}, NewPassword()).ok());
    ASSERT_TRUE(server->ReloadIfChanged().ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(server->size(), 11u);
}

}  // namespace
}  // namespace bastion::security

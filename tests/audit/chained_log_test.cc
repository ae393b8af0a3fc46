// The tamper-evident audit trail (audit/chained_log.h): records chained and checkpointed, and
// `VerifyAuditLog` catching a changed byte, a removed, swapped or inserted record, a cut end,
// and a checkpoint signed by another key, each time naming the first bad record.
#include "audit/chained_log.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "security/local_ca.h"

namespace bastion::audit {
namespace {

namespace fs = std::filesystem;

class ChainedLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bastion-audit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto ca = security::CreateCertificateAuthority("audit test", 1);
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    Write(dir_ / "key.pem", ca->key_pem);
    Write(dir_ / "cert.pem", ca->certificate_pem);
    auto other = security::CreateCertificateAuthority("another key", 1);
    ASSERT_TRUE(other.ok());
    Write(dir_ / "other-key.pem", other->key_pem);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  std::vector<std::string> Lines() const {
    std::ifstream in(dir_ / "audit.log", std::ios::binary);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  void WriteLines(const std::vector<std::string>& lines) const {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    Write(dir_ / "audit.log", text);
  }

  ChainedLogOptions Options(const std::string& key = "key.pem") const {
    ChainedLogOptions o;
    o.log_path = (dir_ / "audit.log").string();
    o.head_path = (dir_ / "audit.head").string();
    o.signing_key_file = (dir_ / key).string();
    o.checkpoint_every = 4;
    o.sync_each_record = false;
    return o;
  }
  // `n` events through one log, closed (a final checkpoint) at the end.
  void Emit(int n, const std::string& key = "key.pem") {
    auto log = ChainedAuditLog::Open(Options(key));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (int i = 0; i < n; ++i) {
      AuditEvent e;
      e.type = AuditEventType::kQuery;
      e.user = "alice";
      e.description = "C-FIND number " + std::to_string(i);
      (*log)->Emit(e);
    }
    EXPECT_FALSE((*log)->failure().has_value());
  }
  AuditVerifyReport Verify() const {
    auto r = VerifyAuditLog((dir_ / "audit.log").string(), (dir_ / "audit.head").string(),
                            (dir_ / "cert.pem").string());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditVerifyReport{};
  }

  fs::path dir_;
};

TEST_F(ChainedLogTest, AnUntouchedLogVerifiesWithItsCheckpoints) {
  Emit(10);
  const auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  // 10 events, a checkpoint after every 4 (2) and one at close: 13 records.
  EXPECT_EQ(r.records, 13u);
  EXPECT_EQ(r.checkpoints, 3u);
  EXPECT_EQ(r.last_checkpoint_seq, 13u);
}

TEST_F(ChainedLogTest, SeveralWritersContinueOneChain) {
  Emit(3);
  Emit(2);  // a second process (a CLI command) appending later
  {
    auto a = ChainedAuditLog::Open(Options());
    auto b = ChainedAuditLog::Open(Options());
    ASSERT_TRUE(a.ok() && b.ok());
    AuditEvent e;
    (*a)->Emit(e);
    (*b)->Emit(e);
    (*a)->Emit(e);
  }
  const auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
}

TEST_F(ChainedLogTest, AChangedByteIsFoundInItsRecord) {
  Emit(6);
  auto lines = Lines();
  const auto at = lines[2].find("number 2");
  ASSERT_NE(at, std::string::npos);
  lines[2][at + 7] = '9';
  WriteLines(lines);
  const auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);
  EXPECT_NE(r.problem.find("was changed"), std::string::npos) << r.problem;
}

TEST_F(ChainedLogTest, ARemovedRecordIsFound) {
  Emit(6);
  auto lines = Lines();
  lines.erase(lines.begin() + 1);
  WriteLines(lines);
  const auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  EXPECT_NE(r.problem.find("removed"), std::string::npos) << r.problem;
}

TEST_F(ChainedLogTest, SwappedRecordsAreFound) {
  Emit(6);
  auto lines = Lines();
  std::swap(lines[3], lines[4]);
  WriteLines(lines);
  const auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 4u);
}

TEST_F(ChainedLogTest, ATruncatedLogIsFoundAgainstTheSignedHead) {
  Emit(10);
  auto lines = Lines();
  lines.resize(9);  // cut before the last checkpoint, at a record boundary
  WriteLines(lines);
  const auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("cut from the end"), std::string::npos) << r.problem;
  // Cut in the middle of a line.
  Emit(0);
  std::ifstream in(dir_ / "audit.log", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Write(dir_ / "audit.log", text.substr(0, text.size() - 20));
  const auto cut = Verify();
  EXPECT_FALSE(cut.ok);
  EXPECT_NE(cut.problem.find("incomplete"), std::string::npos) << cut.problem;
}

TEST_F(ChainedLogTest, ARecordRewrittenWithItsHashBreaksTheNextLink) {
  Emit(6);
  auto lines = Lines();
  // Rewrite record 2 consistently (content and its own hash): record 3 no longer follows.
  const auto at = lines[1].find("number 1");
  lines[1][at + 7] = '7';
  const std::string body = lines[1].substr(0, lines[1].size() - 75) + "}";
  unsigned char md[32];
  unsigned int n = 0;
  EVP_Digest(body.data(), body.size(), md, &n, EVP_sha256(), nullptr);
  std::ostringstream hex;
  for (unsigned char c : md) hex << std::hex << std::setw(2) << std::setfill('0') << int(c);
  lines[1] = body.substr(0, body.size() - 1) + ",\"hash\":\"" + hex.str() + "\"}";
  WriteLines(lines);
  const auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);
  EXPECT_NE(r.problem.find("does not follow record 2"), std::string::npos) << r.problem;
}

TEST_F(ChainedLogTest, ACheckpointByAnotherKeyIsRefused) {
  Emit(2);
  Emit(2, "other-key.pem");
  const auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("another key"), std::string::npos) << r.problem;
}

TEST_F(ChainedLogTest, AnOverlongLineOrADamagedHeadIsReportedNotLoaded) {
  Emit(3);
  auto lines = Lines();
  lines.insert(lines.begin() + 1, std::string(kMaxAuditLine + 10, 'x'));
  WriteLines(lines);
  const auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  EXPECT_NE(r.problem.find("longer than any record"), std::string::npos) << r.problem;
  lines.erase(lines.begin() + 1);
  WriteLines(lines);
  Write(dir_ / "audit.head", R"({"seq": 4, "prev": 7, "signature": ["x"]})");
  const auto head = Verify();
  EXPECT_FALSE(head.ok);
  EXPECT_NE(head.problem.find("does not verify"), std::string::npos) << head.problem;
}

}  // namespace
}  // namespace bastion::audit

// C-STORE SCP through the real server (issue 4): what is stored, who may store, and every
// hostile data set refused with a clear status while nothing on disk changes and the server
// keeps serving. Traffic is on 127.0.0.1 through the plaintext loopback listener.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "archive/test_instances.h"
#include "dicom/tag.h"
#include "dicom/writer.h"
#include "index/sqlite/sqlite_index.h"
#include "net/dimse/command.h"
#include "net/transport/client.h"
#include "server/test_server.h"

namespace bastion::server {
namespace {

namespace fs = std::filesystem;
namespace dimse = net::dimse;
using Bytes = std::vector<std::uint8_t>;
using dicom::Tag;
using dicom::Vr;

using archive::testing::Append;
using archive::testing::Encode;
using archive::testing::Explicit;
using archive::testing::kCtImage;
using archive::testing::kDeflated;
using archive::testing::kExplicitLe;
constexpr const char* kSecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";

dicom::DataSet Instance(const std::string& sop, std::uint8_t pixel = 1,
                        const std::string& study = "1.2.826.0.1.7", std::size_t pixels = 20000) {
  return archive::testing::Instance(sop, pixel, study, pixels);
}

class StoreScpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = testing::StartTestServer(
                  "store-scp", {{"threads", "2"}},
                  {security::Peer{"MODALITY", "127.0.0.1", 0, {"modality"}, "", false, false, {}, false},
                   security::Peer{"VIEWER", "127.0.0.1", 0, {"viewer"}, "", false, false, {}, false}})
                  .release();
    ASSERT_NE(server_, nullptr);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static std::unique_ptr<net::transport::ClientAssociation> Associate(const std::string& aet) {
    net::transport::ClientOptions options;
    options.host = "127.0.0.1";
    options.port = server_->plaintext_port;
    options.tls = false;
    options.calling_ae_title = aet;
    options.called_ae_title = "BASTION";
    options.timeout = std::chrono::seconds(10);
    net::acse::LocalApplication local = testing::EchoApplication();
    local.syntaxes.push_back({kCtImage, {kExplicitLe}});
    local.syntaxes.push_back({kCtImage, {kDeflated}});
    local.syntaxes.push_back({"1.2.3.4.5.6.7.8.9", {kExplicitLe}});  // a private class
    auto association = net::transport::ClientAssociation::Open(options, local);
    EXPECT_TRUE(association.ok()) << association.status().ToString();
    return association.ok() ? std::move(association).value() : nullptr;
  }

  // Sends one C-STORE and returns the response's status (0xFFFF if there was none).
  static std::uint16_t Store(net::transport::ClientAssociation& a, const std::string& sop,
                             const Bytes& data, const std::string& ts = kExplicitLe,
                             const std::string& sop_class = kCtImage,
                             std::string* comment = nullptr) {
    auto rsp = a.Request(sop_class, dimse::MakeCStoreRq(1, sop_class, sop), data, ts);
    EXPECT_TRUE(rsp.ok()) << rsp.status().ToString();
    if (!rsp.ok()) return 0xFFFF;
    if (comment != nullptr) *comment = rsp->elements.GetString(Tag{0x0000, 0x0902}).value_or("");
    return rsp->status().value_or(0xFFFF);
  }

  static index::ArchiveCounts Counts() {
    auto index = index::SqliteIndex::Open((server_->dir / "index" / "index.sqlite").string());
    return *(*index)->Counts();
  }
  static std::size_t FilesOnDisk() {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(server_->dir / "objects")) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  }
  // After a refusal: nothing new on disk or in the index, and the server still answers.
  static void ExpectUnchangedAndServing(const index::ArchiveCounts& before, std::size_t files) {
    EXPECT_EQ(Counts().instances, before.instances);
    EXPECT_EQ(FilesOnDisk(), files);
    auto a = Associate("MODALITY");
    ASSERT_NE(a, nullptr);
    auto echo = a->Request("1.2.840.10008.1.1", dimse::MakeCEchoRq(9));
    ASSERT_TRUE(echo.ok());
    EXPECT_EQ(echo->status(), dimse::status::kSuccess);
    EXPECT_TRUE(a->Release().ok());
  }

  static testing::TestServer* server_;
};

testing::TestServer* StoreScpTest::server_ = nullptr;

TEST_F(StoreScpTest, StoresAnInstanceAndIndexesIt) {
  const auto before = Counts();
  auto a = Associate("MODALITY");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Store(*a, "1.2.826.0.1.7.1.1", Encode(Instance("1.2.826.0.1.7.1.1"))),
            dimse::status::kSuccess);
  EXPECT_EQ(Store(*a, "1.2.826.0.1.7.1.1", Encode(Instance("1.2.826.0.1.7.1.1"))),
            dimse::status::kSuccess);  // identical resend
  EXPECT_TRUE(a->Release().ok());
  EXPECT_EQ(Counts().instances, before.instances + 1);
}

TEST_F(StoreScpTest, AnIdentityWithoutStorePermissionIsRefusedAndNothingIsKept) {
  const auto before = Counts();
  const auto files = FilesOnDisk();
  auto a = Associate("VIEWER");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Store(*a, "1.2.826.0.1.7.2.1", Encode(Instance("1.2.826.0.1.7.2.1"))),
            dimse::status::kRefusedNotAuthorized);
  EXPECT_TRUE(a->Release().ok());
  ExpectUnchangedAndServing(before, files);
}

TEST_F(StoreScpTest, ASecondVersionOfAnInstanceIsRefusedAndTheOriginalKept) {
  auto a = Associate("MODALITY");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(Store(*a, "1.2.826.0.1.7.3.1", Encode(Instance("1.2.826.0.1.7.3.1", 1))),
            dimse::status::kSuccess);
  const auto before = Counts();
  const auto files = FilesOnDisk();
  std::string comment;
  EXPECT_EQ(Store(*a, "1.2.826.0.1.7.3.1", Encode(Instance("1.2.826.0.1.7.3.1", 2)), kExplicitLe,
                  kCtImage, &comment),
            dimse::status::kDuplicateSopInstance);
  EXPECT_NE(comment.find("different content"), std::string::npos) << comment;
  EXPECT_TRUE(a->Release().ok());
  ExpectUnchangedAndServing(before, files);
}

TEST_F(StoreScpTest, HostileDataSetsAreRefusedWithCannotUnderstand) {
  const auto before = Counts();
  const auto files = FilesOnDisk();
  struct Case {
    std::string name;
    std::string sop;
    Bytes data;
    std::string ts = kExplicitLe;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"oversized length", "1.2.9.1",
       Append(Encode(Instance("1.2.9.1")), Explicit().Header(0x7FE1, 0x0010, "OB", 0xFFFFFFF0))});
  {
    auto nested = Explicit();
    for (int level = 0; level < 200; ++level) nested.SequenceStart(0x0040, 0xA730).ItemStart();
    cases.push_back({"deep nesting", "1.2.9.2",
                     Append(Encode(Instance("1.2.9.2", 1, "1.2.826.0.1.7", 0)), nested)});
  }
  // 1 GiB of zeros behind an element header: about 1 MB deflated.
  cases.push_back(
      {"deflate bomb", "1.2.9.3",
       archive::testing::DeflateWithZeros(Append(Encode(Instance("1.2.9.3", 1, "1.2.826.0.1.7", 0)),
                                                 Explicit().Header(0x0011, 0x1010, "OB", 1u << 30)),
                                          1u << 30),
       kDeflated});
  cases.push_back(
      {"UID with ../", "1.2.9.4", Encode(Instance("1.2.9.4", 1, "1.2.826.0.1.7/../../../etc"))});
  cases.push_back(
      {"overlong UID", "1.2.9.5", Encode(Instance("1.2.9.5", 1, "1." + std::string(70, '2')))});
  cases.push_back({"announced UID is not a UID", "../../x", Encode(Instance("1.2.9.6"))});
  cases.push_back({"data set differs from the request", "1.2.9.7", Encode(Instance("1.2.9.8"))});
  {
    Bytes d = Encode(Instance("1.2.9.9"));
    d.resize(d.size() / 2);
    cases.push_back({"truncated", "1.2.9.9", d});
  }
  for (const Case& c : cases) {
    auto a = Associate("MODALITY");
    ASSERT_NE(a, nullptr);
    std::string comment;
    const auto status = Store(*a, c.sop, c.data, c.ts, kCtImage, &comment);
    EXPECT_EQ(status, dimse::status::kCannotUnderstand) << c.name;
    EXPECT_FALSE(comment.empty()) << c.name;
    EXPECT_TRUE(a->Release().ok()) << c.name;
  }
  ExpectUnchangedAndServing(before, files);
}

TEST_F(StoreScpTest, ARequestWhoseSopClassDiffersFromItsContextIsRefused) {
  const auto before = Counts();
  const auto files = FilesOnDisk();
  auto a = Associate("MODALITY");
  ASSERT_NE(a, nullptr);
  // Sent on the CT context, but announcing Secondary Capture.
  auto rsp = a->Request(kCtImage, dimse::MakeCStoreRq(1, kSecondaryCapture, "1.2.9.10"),
                        Encode(Instance("1.2.9.10")), kExplicitLe);
  ASSERT_TRUE(rsp.ok());
  EXPECT_EQ(rsp->status(), dimse::status::kCannotUnderstand);
  EXPECT_TRUE(a->Release().ok());
  ExpectUnchangedAndServing(before, files);
}

TEST_F(StoreScpTest, UnknownSopClassesAreNotAccepted) {
  auto a = Associate("MODALITY");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->association().FindContextFor("1.2.3.4.5.6.7.8.9"), nullptr);
  EXPECT_NE(a->association().FindContextFor(kCtImage, kDeflated), nullptr);
  EXPECT_TRUE(a->Release().ok());
}

TEST(StoreScpQuotaTest, AFullArchiveAnswersOutOfResources) {
  auto server = testing::StartTestServer(
      "store-quota", {{"min_free_disk_bytes", "9223372036854775807"}},
      {security::Peer{"MODALITY", "127.0.0.1", 0, {"modality"}, "", false, false, {}, false}});
  ASSERT_NE(server, nullptr);
  net::transport::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = server->plaintext_port;
  options.tls = false;
  options.calling_ae_title = "MODALITY";
  options.called_ae_title = "BASTION";
  net::acse::LocalApplication local = testing::EchoApplication();
  local.syntaxes.push_back({kCtImage, {kExplicitLe}});
  auto a = net::transport::ClientAssociation::Open(options, local);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto rsp = (*a)->Request(kCtImage, dimse::MakeCStoreRq(1, kCtImage, "1.2.9.20"),
                           Encode(Instance("1.2.9.20")));
  ASSERT_TRUE(rsp.ok());
  EXPECT_EQ(rsp->status(), dimse::status::kOutOfResources);
  EXPECT_NE(rsp->elements.GetString(Tag{0x0000, 0x0902}).value_or("").find("free disk"),
            std::string::npos);
  EXPECT_TRUE((*a)->Release().ok());
}

}  // namespace
}  // namespace bastion::server

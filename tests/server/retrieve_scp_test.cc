// C-MOVE and C-GET SCP through the real server (issue 5): a C-GET over the requesting
// association (with role selection and conversion between uncompressed syntaxes), a C-MOVE
// into a second server, the refusals (permission, unknown destination, no storage context),
// scopes applied to retrieve, and C-CANCEL. Traffic is on 127.0.0.1, plaintext loopback.
#include <gtest/gtest.h>

#include <chrono>

#include "archive/test_instances.h"
#include "base/byte_source.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/writer.h"
#include "index/sqlite/sqlite_index.h"
#include "net/dimse/command.h"
#include "net/transport/client.h"
#include "server/test_server.h"

namespace bastion::server {
namespace {

namespace dimse = net::dimse;
using Bytes = std::vector<std::uint8_t>;
using archive::testing::Encode;
using archive::testing::kCtImage;
using archive::testing::kExplicitLe;
using dicom::Tag;
using dicom::Vr;
constexpr const char* kImplicitLe = "1.2.840.10008.1.2";
constexpr const char* kStudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";
constexpr const char* kStudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
const std::string kStudyA = "1.2.826.0.1.51";
const std::string kStudyB = "1.2.826.0.1.52";
const std::string kStudyC = "1.2.826.0.1.53";  // 70 instances: more than one batch of matches
constexpr const char* kStudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";

security::Peer MakePeer(const std::string& ae, const std::string& role, std::uint16_t port = 0) {
  security::Peer p;
  p.ae_title = ae;
  p.host = "127.0.0.1";
  p.port = port;
  p.roles = {role};
  p.plaintext = port != 0;
  return p;
}

class RetrieveScpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    security::Peer source_at_destination = MakePeer("BASTION", "modality");
    destination_ = testing::StartTestServer("retrieve-dest", {{"ae_title", "\"DEST\""}},
                                            {source_at_destination})
                       .release();
    ASSERT_NE(destination_, nullptr);
    security::Peer scoped = MakePeer("SCOPED", "viewer");
    scoped.scope = *security::ParseScopeArguments({"label=research"});
    server_ =
        testing::StartTestServer("retrieve-src", {},
                                 {MakePeer("MODALITY", "modality"), MakePeer("VIEWER", "viewer"),
                                  scoped, MakePeer("DEST", "viewer", destination_->plaintext_port)})
            .release();
    ASSERT_NE(server_, nullptr);
    auto a = Associate("MODALITY", {});
    ASSERT_NE(a, nullptr);
    for (int i = 0; i < 3; ++i) StoreOne(*a, kStudyA + ".1." + std::to_string(i), kStudyA);
    for (int i = 0; i < 2; ++i) StoreOne(*a, kStudyB + ".1." + std::to_string(i), kStudyB);
    for (int i = 0; i < 70; ++i) StoreOne(*a, kStudyC + ".1." + std::to_string(i), kStudyC);
    EXPECT_TRUE(a->Release().ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete destination_;
    server_ = destination_ = nullptr;
  }

  static void StoreOne(net::transport::ClientAssociation& a, const std::string& sop,
                       const std::string& study) {
    auto rsp = a.Request(kCtImage, dimse::MakeCStoreRq(1, kCtImage, sop),
                         Encode(archive::testing::Instance(sop, 7, study)), kExplicitLe);
    ASSERT_TRUE(rsp.ok()) << rsp.status().ToString();
    EXPECT_EQ(rsp->status(), dimse::status::kSuccess);
  }

  // An association with the retrieve models and, for C-GET, CT storage in `storage_syntaxes`
  // with the SCP role.
  static std::unique_ptr<net::transport::ClientAssociation> Associate(
      const std::string& aet, const std::vector<std::string>& storage_syntaxes,
      std::uint16_t port = 0) {
    net::transport::ClientOptions options;
    options.host = "127.0.0.1";
    options.port = port != 0 ? port : server_->plaintext_port;
    options.tls = false;
    options.calling_ae_title = aet;
    options.called_ae_title = "BASTION";
    options.timeout = std::chrono::seconds(10);
    net::acse::LocalApplication local = testing::EchoApplication();
    local.syntaxes.push_back({kStudyRootGet, {kExplicitLe}});
    local.syntaxes.push_back({kStudyRootMove, {kExplicitLe}});
    local.syntaxes.push_back({kStudyRootFind, {kExplicitLe}});
    if (storage_syntaxes.empty()) {
      local.syntaxes.push_back({kCtImage, {kExplicitLe}});  // to store, as SCU only
    } else {
      local.syntaxes.push_back({kCtImage, storage_syntaxes, true});
    }
    auto association = net::transport::ClientAssociation::Open(options, local);
    EXPECT_TRUE(association.ok()) << association.status().ToString();
    return association.ok() ? std::move(association).value() : nullptr;
  }

  static Bytes StudyIdentifier(const std::string& study) {
    dicom::DataSet id;
    id.SetString(Tag{0x0008, 0x0052}, Vr::kCS, "STUDY");
    id.SetString(Tag{0x0020, 0x000D}, Vr::kUI, study);
    return Encode(id);
  }

  struct Outcome {
    std::uint16_t status = 0xFFFF;
    dimse::SubOperations counts;
    std::vector<std::string> failed;
    std::vector<net::transport::ClientAssociation::Received> stored;  // C-GET
    int pending = 0;
  };

  // Runs a C-GET (or C-MOVE to `destination`), answering C-STORE-RQs with success; with
  // `cancel_after_first` a C-CANCEL-RQ goes out before the first C-STORE-RSP.
  static Outcome Retrieve(net::transport::ClientAssociation& a, const std::string& study,
                          const std::string& destination = "", bool cancel_after_first = false) {
    Outcome o;
    const bool get = destination.empty();
    const std::string model = get ? kStudyRootGet : kStudyRootMove;
    auto rq = get ? dimse::MakeCGetRq(5, model) : dimse::MakeCMoveRq(5, model, destination);
    EXPECT_TRUE(a.Send(model, rq, StudyIdentifier(study)).ok());
    while (true) {
      auto message = a.Receive();
      EXPECT_TRUE(message.ok()) << message.status().ToString();
      if (!message.ok()) return o;
      const auto field = message->command.command_field().value_or(0);
      if (field == static_cast<std::uint16_t>(dimse::CommandField::kCStoreRq)) {
        if (cancel_after_first && o.stored.empty()) {
          EXPECT_TRUE(a.Send(model, dimse::MakeCCancelRq(5)).ok());
        }
        auto rsp = dimse::MakeResponse(
            dimse::CommandField::kCStoreRsp, message->command.message_id().value_or(0), kCtImage,
            message->command.affected_sop_instance_uid().value_or(""), dimse::status::kSuccess);
        EXPECT_TRUE(a.Send(kCtImage, rsp, {}, message->transfer_syntax).ok());
        o.stored.push_back(std::move(*message));
        continue;
      }
      o.status = message->command.status().value_or(0xFFFF);
      o.counts = dimse::GetSubOperations(message->command.elements);
      if (o.status == dimse::status::kPending) {
        ++o.pending;
        continue;
      }
      if (!message->data_set.empty()) {
        auto ds = dicom::ReadDataSet(OwnedBytes::Make(message->data_set),
                                     dicom::ExplicitVrLittleEndian());
        if (ds.ok()) o.failed = ds->dataset.GetStrings(Tag{0x0008, 0x0058}).value_or(o.failed);
      }
      return o;
    }
  }

  static testing::TestServer* server_;
  static testing::TestServer* destination_;
};

testing::TestServer* RetrieveScpTest::server_ = nullptr;
testing::TestServer* RetrieveScpTest::destination_ = nullptr;

TEST_F(RetrieveScpTest, CGetSendsTheStudyOnTheRequestingAssociation) {
  auto a = Associate("VIEWER", {kExplicitLe});
  ASSERT_NE(a, nullptr);
  Outcome o = Retrieve(*a, kStudyA);
  EXPECT_EQ(o.status, dimse::status::kSuccess);
  EXPECT_EQ(o.counts.completed, 3);
  EXPECT_EQ(o.counts.failed, 0);
  EXPECT_EQ(o.pending, 2);  // after each sub-operation but the last
  ASSERT_EQ(o.stored.size(), 3u);
  for (const auto& m : o.stored) {
    const std::string sop = m.command.affected_sop_instance_uid().value_or("");
    EXPECT_EQ(m.data_set, Encode(archive::testing::Instance(sop, 7, kStudyA))) << sop;
    EXPECT_EQ(m.transfer_syntax, kExplicitLe);
  }
  EXPECT_TRUE(a->Release().ok());
}

TEST_F(RetrieveScpTest, CGetConvertsToAnUncompressedSyntaxTheReceiverAccepts) {
  auto a = Associate("VIEWER", {kImplicitLe});
  ASSERT_NE(a, nullptr);
  Outcome o = Retrieve(*a, kStudyB);
  EXPECT_EQ(o.status, dimse::status::kSuccess);
  ASSERT_EQ(o.stored.size(), 2u);
  const auto& m = o.stored[0];
  EXPECT_EQ(m.transfer_syntax, kImplicitLe);
  auto ds = dicom::ReadDataSet(OwnedBytes::Make(m.data_set), dicom::ImplicitVrLittleEndian());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->dataset.GetString(Tag{0x0020, 0x000D}), kStudyB);
  EXPECT_EQ(ds->dataset.Find(Tag{0x7FE0, 0x0010})->value.size(), 8192u);
  EXPECT_TRUE(a->Release().ok());
}

TEST_F(RetrieveScpTest, CGetWithoutAStorageContextFailsEverySubOperationAndListsThem) {
  auto a = Associate("VIEWER", {});  // CT storage proposed without the SCP role
  ASSERT_NE(a, nullptr);
  Outcome o = Retrieve(*a, kStudyB);
  EXPECT_EQ(o.status, 0xA702);
  EXPECT_EQ(o.counts.failed, 2);
  EXPECT_EQ(o.failed.size(), 2u);
  EXPECT_TRUE(o.stored.empty());
  EXPECT_TRUE(a->Release().ok());
}

TEST_F(RetrieveScpTest, CMoveSendsTheStudyToTheRegisteredDestination) {
  auto a = Associate("VIEWER", {});
  ASSERT_NE(a, nullptr);
  Outcome o = Retrieve(*a, kStudyA, "DEST");
  EXPECT_EQ(o.status, dimse::status::kSuccess);
  EXPECT_EQ(o.counts.completed, 3);
  EXPECT_TRUE(a->Release().ok());
  auto index = index::SqliteIndex::Open((destination_->dir / "index" / "index.sqlite").string());
  ASSERT_TRUE(index.ok());
  auto stored = (*index)->ListInstances(kStudyA);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 3u);
  for (const auto& i : *stored) EXPECT_EQ(i.storage.source_ae_title, "BASTION");
}

TEST_F(RetrieveScpTest, RefusesUnknownDestinationsAndIdentitiesWithoutRetrieve) {
  auto viewer = Associate("VIEWER", {});
  ASSERT_NE(viewer, nullptr);
  EXPECT_EQ(Retrieve(*viewer, kStudyA, "NOWHERE").status, dimse::status::kMoveDestinationUnknown);
  EXPECT_TRUE(viewer->Release().ok());
  auto modality = Associate("MODALITY", {kExplicitLe});
  ASSERT_NE(modality, nullptr);
  Outcome o = Retrieve(*modality, kStudyA);
  EXPECT_EQ(o.status, dimse::status::kRefusedNotAuthorized);
  EXPECT_TRUE(o.stored.empty());
  EXPECT_EQ(Retrieve(*modality, kStudyA, "DEST").status, dimse::status::kRefusedNotAuthorized);
  EXPECT_TRUE(modality->Release().ok());
}

TEST_F(RetrieveScpTest, AScopedIdentityRetrievesOnlyStudiesInItsScope) {
  auto a = Associate("SCOPED", {kExplicitLe});
  ASSERT_NE(a, nullptr);
  Outcome hidden = Retrieve(*a, kStudyB);
  EXPECT_EQ(hidden.status, dimse::status::kSuccess);  // nothing matches: nothing to send
  EXPECT_EQ(hidden.counts.completed, 0);
  EXPECT_TRUE(hidden.stored.empty());
  {
    auto index = index::SqliteIndex::Open((server_->dir / "index" / "index.sqlite").string());
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE((*index)->AddStudyLabel(kStudyB, "research").ok());
  }
  Outcome seen = Retrieve(*a, kStudyB);
  EXPECT_EQ(seen.status, dimse::status::kSuccess);
  EXPECT_EQ(seen.stored.size(), 2u);
  EXPECT_TRUE(a->Release().ok());
}

TEST_F(RetrieveScpTest, CCancelStopsTheSubOperations) {
  auto a = Associate("VIEWER", {kExplicitLe});
  ASSERT_NE(a, nullptr);
  Outcome o = Retrieve(*a, kStudyA, "", true);
  EXPECT_EQ(o.status, dimse::status::kCancel);
  EXPECT_EQ(o.stored.size(), 1u);
  EXPECT_EQ(o.counts.completed, 1);
  EXPECT_EQ(o.counts.remaining, 2);
  // The association is still usable.
  Outcome again = Retrieve(*a, kStudyA);
  EXPECT_EQ(again.status, dimse::status::kSuccess);
  EXPECT_TRUE(a->Release().ok());
}

// The cancel is read between batches of matches; whether it arrives before the last batch went
// out depends on timing (the SCP may finish first, PS3.7 9.3.2.3). Either way the answer is
// consistent and the association stays usable.
TEST_F(RetrieveScpTest, CCancelEndsACFindConsistently) {
  auto a = Associate("VIEWER", {});
  ASSERT_NE(a, nullptr);
  dicom::DataSet id;
  id.SetString(Tag{0x0008, 0x0052}, Vr::kCS, "IMAGE");
  id.SetString(Tag{0x0020, 0x000D}, Vr::kUI, kStudyC);
  id.SetString(Tag{0x0008, 0x0018}, Vr::kUI, "");
  ASSERT_TRUE(a->Send(kStudyRootFind, dimse::MakeCFindRq(7, kStudyRootFind), Encode(id)).ok());
  ASSERT_TRUE(a->Send(kStudyRootFind, dimse::MakeCCancelRq(7)).ok());
  int pending = 0;
  std::uint16_t status = 0xFFFF;
  while (true) {
    auto message = a->Receive();
    ASSERT_TRUE(message.ok()) << message.status().ToString();
    status = message->command.status().value_or(0xFFFF);
    if (status != dimse::status::kPending) break;
    ++pending;
  }
  if (status == dimse::status::kCancel) {
    EXPECT_LT(pending, 70);
  } else {
    EXPECT_EQ(status, dimse::status::kSuccess);
    EXPECT_EQ(pending, 70);
  }
  // Without the cancel, all 70 come.
  ASSERT_TRUE(a->Send(kStudyRootFind, dimse::MakeCFindRq(8, kStudyRootFind), Encode(id)).ok());
  pending = 0;
  while (true) {
    auto message = a->Receive();
    ASSERT_TRUE(message.ok());
    status = message->command.status().value_or(0xFFFF);
    if (status != dimse::status::kPending) break;
    ++pending;
  }
  EXPECT_EQ(status, dimse::status::kSuccess);
  EXPECT_EQ(pending, 70);
  EXPECT_TRUE(a->Release().ok());
}

}  // namespace
}  // namespace bastion::server

// Retrieve identifiers and sub-operation rules (retrieve_service.h): which keys select, which
// transfer syntax an instance goes out in, sub-operations that convert it (through the shared
// archive/transfer_syntax_conversion.h) within their limit, and the final status from the counts.
#include "server/retrieve_service.h"

#include <gtest/gtest.h>

#include "archive/archive_fixture.h"
#include "audit/audit_event.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/writer.h"
#include "index/sqlite/sqlite_index.h"
#include "store/filesystem_storage.h"

namespace bastion::server {
namespace {

using dicom::Tag;
using dicom::Vr;
constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";
constexpr const char* kImplicitLe = "1.2.840.10008.1.2";
constexpr const char* kJpegLossless = "1.2.840.10008.1.2.4.70";
constexpr const char* kBigEndian = "1.2.840.10008.1.2.2";

class VectorBytes final : public ByteSource {
 public:
  explicit VectorBytes(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::span<const std::uint8_t> bytes() const override { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

std::vector<std::uint8_t> Encode(const dicom::DataSet& ds) {
  return *dicom::EncodeDataSet(ds, dicom::ExplicitVrLittleEndian(),
                               dicom::ExplicitVrLittleEndian());
}

TEST(RetrieveServiceTest, OnlyUniqueKeysOfTheLevelAndAboveSelect) {
  dicom::DataSet id;
  id.SetString(Tag{0x0008, 0x0052}, Vr::kCS, "SERIES");
  id.SetString(Tag{0x0010, 0x0010}, Vr::kPN, "Doe*");   // not a unique key: ignored
  id.SetString(Tag{0x0020, 0x000D}, Vr::kUI, "1.2.3");  // the study above
  id.SetString(Tag{0x0020, 0x000E}, Vr::kUI, "1.2.3.1\\1.2.3.2");
  auto q = ParseRetrieveIdentifier(kStudyRootMove, Encode(id), dicom::ExplicitVrLittleEndian(), {});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->level, index::QueryLevel::kSeries);
  ASSERT_EQ(q->matches.size(), 2u);
  EXPECT_EQ(q->matches[0].tag, (Tag{0x0020, 0x000D}));
  EXPECT_EQ(q->matches[1].kind, index::MatchKind::kUidList);
  EXPECT_TRUE(q->return_keys.empty());
}

TEST(RetrieveServiceTest, TheLevelsOwnKeyMustNameSomething) {
  dicom::DataSet id;
  id.SetString(Tag{0x0008, 0x0052}, Vr::kCS, "STUDY");
  id.SetString(Tag{0x0020, 0x000D}, Vr::kUI, "");  // universal: would retrieve everything
  auto empty =
      ParseRetrieveIdentifier(kStudyRootGet, Encode(id), dicom::ExplicitVrLittleEndian(), {});
  EXPECT_EQ(empty.status().code(), StatusCode::kMalformed);
  // UIDs never match by wildcard (PS3.4 C.2.2.2.4): "1.2.*" is a value, matching nothing.
  id.SetString(Tag{0x0020, 0x000D}, Vr::kUI, "1.2.*");
  auto wild =
      ParseRetrieveIdentifier(kStudyRootGet, Encode(id), dicom::ExplicitVrLittleEndian(), {});
  ASSERT_TRUE(wild.ok());
  EXPECT_EQ(wild->matches[0].kind, index::MatchKind::kSingleValue);
  id.SetString(Tag{0x0008, 0x0052}, Vr::kCS, "PATIENT");
  id.SetString(Tag{0x0010, 0x0020}, Vr::kLO, "P1");
  auto study_root =
      ParseRetrieveIdentifier(kStudyRootGet, Encode(id), dicom::ExplicitVrLittleEndian(), {});
  EXPECT_EQ(study_root.status().code(), StatusCode::kMalformed) << "Study Root has no PATIENT";
  auto patient_root =
      ParseRetrieveIdentifier(kPatientRootGet, Encode(id), dicom::ExplicitVrLittleEndian(), {});
  ASSERT_TRUE(patient_root.ok()) << patient_root.status().ToString();
  EXPECT_EQ(patient_root->level, index::QueryLevel::kPatient);
}

TEST(RetrieveServiceTest, SendsAsStoredOrConvertsOnlyBetweenUncompressedSyntaxes) {
  EXPECT_EQ(ChooseTransferSyntax(kJpegLossless, {kExplicitLe, kJpegLossless}), kJpegLossless);
  EXPECT_EQ(ChooseTransferSyntax(kExplicitLe, {kImplicitLe}), kImplicitLe);
  EXPECT_EQ(ChooseTransferSyntax(kBigEndian, {kImplicitLe, kExplicitLe}), kExplicitLe);
  EXPECT_EQ(ChooseTransferSyntax(kJpegLossless, {kExplicitLe, kImplicitLe}), std::nullopt);
  EXPECT_EQ(ChooseTransferSyntax(kExplicitLe, {}), std::nullopt);
  EXPECT_EQ(SendableTransferSyntaxes(kJpegLossless), std::vector<std::string>{kJpegLossless});
  const auto sendable = SendableTransferSyntaxes(kImplicitLe);
  EXPECT_EQ(sendable.front(), kImplicitLe);
  EXPECT_NE(std::find(sendable.begin(), sendable.end(), kExplicitLe), sendable.end());
}

TEST(RetrieveServiceTest, FinalStatusFollowsTheCounts) {
  RetrieveProgress p;
  p.counts.completed = 3;
  EXPECT_EQ(FinalRetrieveStatus(p), net::dimse::status::kSuccess);
  p.counts.failed = 1;
  EXPECT_EQ(FinalRetrieveStatus(p), 0xB000);
  p.counts.completed = 0;
  EXPECT_EQ(FinalRetrieveStatus(p), 0xA702);
  p.counts.warning = 1;
  EXPECT_EQ(FinalRetrieveStatus(p), 0xB000);
  p.cancelled = true;
  EXPECT_EQ(FinalRetrieveStatus(p), net::dimse::status::kCancel);
}

// Records what each C-STORE sub-operation would have sent.
class RecordingReceiver final : public InstanceReceiver {
 public:
  explicit RecordingReceiver(std::vector<std::string> accepted) : accepted_(std::move(accepted)) {}
  std::vector<std::string> AcceptedTransferSyntaxes(const std::string&) const override {
    return accepted_;
  }
  Result<std::uint16_t> Store(const index::StoredInstance&, const std::string& transfer_syntax,
                              std::span<const std::uint8_t> data_set) override {
    sent.emplace_back(transfer_syntax, std::vector<std::uint8_t>(data_set.begin(), data_set.end()));
    return net::dimse::status::kSuccess;
  }
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> sent;

 private:
  std::vector<std::string> accepted_;
};

class RetrieveConversionTest : public archive::testing::ArchiveFixture {
 protected:
  void SetUp() override {
    ArchiveFixture::SetUp();
    dicom::DataSet ds;
    ds.SetString(Tag{0x0008, 0x0016}, Vr::kUI, "1.2.840.10008.5.1.4.1.1.2");
    ds.SetString(Tag{0x0008, 0x0018}, Vr::kUI, "1.2.826.0.1.9.1.1");
    ds.SetString(Tag{0x0010, 0x0010}, Vr::kPN, "Doe^Jane");
    ds.SetString(Tag{0x0010, 0x0020}, Vr::kLO, "PID-9");
    ds.SetString(Tag{0x0020, 0x000D}, Vr::kUI, "1.2.826.0.1.9");
    ds.SetString(Tag{0x0020, 0x000E}, Vr::kUI, "1.2.826.0.1.9.1");
    ds.SetBytes(Tag{0x7FE0, 0x0010}, Vr::kOW, std::vector<std::uint8_t>(4096, 0x5A));
    stored_ = Encode(ds);
    archive::IncomingInstance in;
    in.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    in.sop_instance_uid = "1.2.826.0.1.9.1.1";
    in.transfer_syntax_uid = kExplicitLe;
    auto ingest = archive_->Begin(in);
    ASSERT_TRUE(ingest.ok()) << ingest.status().ToString();
    ASSERT_TRUE((*ingest)->Write(stored_).ok());
    ASSERT_TRUE((*ingest)->Finish().ok());
    index::Query all;
    all.level = index::QueryLevel::kImage;
    instances_ = *index_->FindInstances(all, 10);
    ASSERT_EQ(instances_.size(), 1u);
  }
  RetrieveProgress Run(InstanceReceiver& receiver, const archive::ConversionLimits& limits = {}) {
    return RunSubOperations(
        *archive_, instances_, receiver, [] { return false; }, [](const RetrieveProgress&) {},
        limits);
  }

  std::vector<index::StoredInstance> instances_;
  std::vector<std::uint8_t> stored_;
};

TEST_F(RetrieveConversionTest, SendsTheStoredBytesWhenTheirSyntaxIsAccepted) {
  RecordingReceiver receiver({kImplicitLe, kExplicitLe});
  const RetrieveProgress p = Run(receiver);
  EXPECT_EQ(p.counts.completed, 1);
  ASSERT_EQ(receiver.sent.size(), 1u);
  EXPECT_EQ(receiver.sent[0].first, kExplicitLe);
  EXPECT_EQ(receiver.sent[0].second, stored_);
}

TEST_F(RetrieveConversionTest, ConvertsToTheSyntaxTheReceiverAccepted) {
  RecordingReceiver receiver({kImplicitLe});
  const RetrieveProgress p = Run(receiver);
  EXPECT_EQ(p.counts.completed, 1);
  ASSERT_EQ(receiver.sent.size(), 1u);
  EXPECT_EQ(receiver.sent[0].first, kImplicitLe);
  auto read = dicom::ReadDataSet(std::make_shared<VectorBytes>(receiver.sent[0].second),
                                 dicom::ImplicitVrLittleEndian());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->dataset.GetString(Tag{0x0008, 0x0018}), "1.2.826.0.1.9.1.1");
  EXPECT_EQ(*dicom::EncodeDataSet(read->dataset, dicom::ExplicitVrLittleEndian(),
                                  dicom::ImplicitVrLittleEndian()),
            stored_);
}

TEST_F(RetrieveConversionTest, AnInstanceOverTheConversionLimitFailsWithTheReason) {
  RecordingReceiver receiver({kBigEndian});
  archive::ConversionLimits limits;
  limits.max_data_set_bytes = 1024;
  const RetrieveProgress p = Run(receiver, limits);
  EXPECT_EQ(p.counts.failed, 1);
  EXPECT_TRUE(receiver.sent.empty());
  EXPECT_NE(p.first_failure.find("conversion limit"), std::string::npos) << p.first_failure;
  EXPECT_EQ(p.failed_uids, std::vector<std::string>{"1.2.826.0.1.9.1.1"});
}

}  // namespace
}  // namespace bastion::server

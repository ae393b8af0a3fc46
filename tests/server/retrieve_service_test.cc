// Retrieve identifiers and sub-operation rules (retrieve_service.h): which keys select, which
// transfer syntax an instance goes out in, and the final status from the counts.
#include "server/retrieve_service.h"

#include <gtest/gtest.h>

#include "dicom/tag.h"
#include "dicom/writer.h"

namespace bastion::server {
namespace {

using dicom::Tag;
using dicom::Vr;
constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";
constexpr const char* kImplicitLe = "1.2.840.10008.1.2";
constexpr const char* kJpegLossless = "1.2.840.10008.1.2.4.70";
constexpr const char* kBigEndian = "1.2.840.10008.1.2.2";

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

}  // namespace
}  // namespace bastion::server

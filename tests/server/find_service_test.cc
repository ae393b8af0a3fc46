// C-FIND identifiers read into queries (find_service.h): levels per information model, bounded
// reading, and the character set of the response identifiers.
#include "server/find_service.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/writer.h"

namespace bastion::server {
namespace {

using dicom::Tag;
using dicom::Vr;

std::vector<std::uint8_t> Identifier(const std::string& level, const std::string& patient_id) {
  dicom::DataSet ds;
  if (!level.empty()) ds.SetString(Tag{0x0008, 0x0052}, Vr::kCS, level);
  ds.SetString(Tag{0x0010, 0x0020}, Vr::kLO, patient_id);
  ds.SetString(Tag{0x0020, 0x000D}, Vr::kUI, "");
  return *dicom::EncodeDataSet(ds, dicom::ImplicitVrLittleEndian(),
                               dicom::ExplicitVrLittleEndian());
}

TEST(FindServiceTest, BuildsAQueryAtTheRequestedLevel) {
  auto q = ParseFindIdentifier(kStudyRootFind, Identifier("SERIES", "P1"),
                               dicom::ImplicitVrLittleEndian(), {});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->level, index::QueryLevel::kSeries);
  ASSERT_EQ(q->matches.size(), 1u);
  EXPECT_EQ(q->matches[0].value, "P1");
  // The unique keys of the level and above are always returned.
  EXPECT_NE(std::find(q->return_keys.begin(), q->return_keys.end(), Tag{0x0020, 0x000E}),
            q->return_keys.end());
}

TEST(FindServiceTest, StudyRootHasNoPatientLevel) {
  auto study_root = ParseFindIdentifier(kStudyRootFind, Identifier("PATIENT", "P1"),
                                        dicom::ImplicitVrLittleEndian(), {});
  EXPECT_EQ(study_root.status().code(), StatusCode::kMalformed);
  auto patient_root = ParseFindIdentifier(kPatientRootFind, Identifier("PATIENT", "P1"),
                                          dicom::ImplicitVrLittleEndian(), {});
  EXPECT_TRUE(patient_root.ok());
}

TEST(FindServiceTest, RefusesAMissingOrUnknownLevel) {
  EXPECT_EQ(
      ParseFindIdentifier(kStudyRootFind, Identifier("", "P1"), dicom::ImplicitVrLittleEndian(), {})
          .status()
          .code(),
      StatusCode::kMalformed);
  EXPECT_EQ(ParseFindIdentifier(kStudyRootFind, Identifier("FRAME", "P1"),
                                dicom::ImplicitVrLittleEndian(), {})
                .status()
                .code(),
            StatusCode::kMalformed);
}

TEST(FindServiceTest, RefusesAnIdentifierOverItsLimitOrMalformed) {
  FindLimits limits;
  limits.max_identifier_bytes = 64;
  auto big = ParseFindIdentifier(kStudyRootFind, Identifier("STUDY", std::string(200, 'x')),
                                 dicom::ImplicitVrLittleEndian(), limits);
  EXPECT_EQ(big.status().code(), StatusCode::kMalformed);
  std::vector<std::uint8_t> garbage = {0x08, 0x00, 0x52, 0x00, 0xFF, 0xFF, 0xFF, 0x7F, 'S'};
  EXPECT_EQ(ParseFindIdentifier(kStudyRootFind, garbage, dicom::ImplicitVrLittleEndian(), {})
                .status()
                .code(),
            StatusCode::kMalformed);
}

TEST(FindServiceTest, MatchesAreSentAsUtf8) {
  dicom::DataSet match;
  match.SetString(Tag{0x0010, 0x0010}, Vr::kPN, "M\xC3\xBCller");
  auto bytes = EncodeFindMatch(match, dicom::ExplicitVrLittleEndian());
  ASSERT_TRUE(bytes.ok());
  auto read = dicom::ReadDataSet(OwnedBytes::Make(*bytes), dicom::ExplicitVrLittleEndian());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->dataset.GetString(Tag{0x0008, 0x0005}), "ISO_IR 192");
}

}  // namespace
}  // namespace bastion::server

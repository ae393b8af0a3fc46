// Instance metadata (WADO-RS, PS3.18 10.4.3.3.2): the DICOM JSON of the data set with large
// binary values as path-absolute Bulkdata URIs, the lenient fallback for bad values, the checks
// on UIDs and size; and the archive storing it with every instance it adds, re-indexes or
// refuses to duplicate.
#include "archive/instance_metadata.h"

#include <gtest/gtest.h>

#include "archive/archive.h"
#include "archive/archive_fixture.h"
#include "archive/test_instances.h"
#include "dicom/json_model.h"
#include "dicom/tag.h"
#include "index/sqlite/sqlite_index.h"

namespace bastion::archive {
namespace {

using Bytes = std::vector<std::uint8_t>;
using dicom::Tag;
using dicom::Vr;
using testing::Encode;
using testing::Instance;
using testing::kCtImage;
using testing::kExplicitLe;

constexpr const char* kStudy = "1.2.826.0.1.1";
constexpr const char* kSeries = "1.2.826.0.1.1.1";
constexpr const char* kSop = "1.2.826.0.1.1.1.1";
constexpr const char* kBulkPrefix =
    "/dicom-web/studies/1.2.826.0.1.1/series/1.2.826.0.1.1.1/instances/1.2.826.0.1.1.1.1/bulk/";

// Encodes and decodes back, for looking at what the metadata says.
dicom::DataSet EncodeAndDecode(const dicom::DataSet& ds, std::vector<std::string>* warnings) {
  auto json = EncodeInstanceMetadata(ds, kStudy, kSeries, kSop, {}, warnings);
  EXPECT_TRUE(json.ok()) << json.status().ToString();
  if (!json.ok()) return {};
  auto decoded = dicom::DecodeJson(*json);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return decoded.ok() ? std::move(decoded).value() : dicom::DataSet{};
}

TEST(InstanceMetadataTest, LargeBinaryValuesBecomePathAbsoluteBulkDataUris) {
  dicom::DataSet ds = Instance(kSop);                        // 8 KiB of OW pixel data
  ds.SetBytes(Tag{0x0028, 0x1201}, Vr::kOW, Bytes(512, 7));  // small: inline
  dicom::DataSet lut;
  lut.SetBytes(Tag{0x0028, 0x3006}, Vr::kOW, Bytes(2048, 1));
  dicom::Element modality_lut;
  modality_lut.tag = Tag{0x0028, 0x3000};
  modality_lut.vr = Vr::kSQ;
  modality_lut.items = {dicom::DataSet{}, lut};
  ds.Insert(std::move(modality_lut));

  std::vector<std::string> warnings;
  const dicom::DataSet back = EncodeAndDecode(ds, &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_NE(back.Find(Tag{0x7FE0, 0x0010}), nullptr);
  EXPECT_EQ(back.Find(Tag{0x7FE0, 0x0010})->bulk_data_uri, std::string(kBulkPrefix) + "7FE00010");
  // Inside a sequence the path names each item, '/'-separated (the second item here).
  const dicom::Element* seq = back.Find(Tag{0x0028, 0x3000});
  ASSERT_NE(seq, nullptr);
  ASSERT_EQ(seq->items.size(), 2u);
  ASSERT_NE(seq->items[1].Find(Tag{0x0028, 0x3006}), nullptr);
  EXPECT_EQ(seq->items[1].Find(Tag{0x0028, 0x3006})->bulk_data_uri,
            std::string(kBulkPrefix) + "00283000/1/00283006");
  const dicom::Element* small = back.Find(Tag{0x0028, 0x1201});
  ASSERT_NE(small, nullptr);
  EXPECT_TRUE(small->bulk_data_uri.empty());
  EXPECT_EQ(small->value.size(), 512u);
  EXPECT_EQ(back.GetString(Tag{0x0010, 0x0010}), "Doe^Jane");
  EXPECT_EQ(back.GetString(Tag{0x0008, 0x0018}), kSop);
}

TEST(InstanceMetadataTest, TheThresholdIsOneKibibyte) {
  dicom::DataSet ds = Instance(kSop, 1, kStudy, 0);
  ds.SetBytes(Tag{0x0042, 0x0011}, Vr::kOB, Bytes(1024, 1));  // Encapsulated Document
  ds.SetBytes(Tag{0x0066, 0x0023}, Vr::kOB, Bytes(1023, 1));  // Triangle Point Index List
  const dicom::DataSet back = EncodeAndDecode(ds, nullptr);
  ASSERT_NE(back.Find(Tag{0x0042, 0x0011}), nullptr);
  EXPECT_FALSE(back.Find(Tag{0x0042, 0x0011})->bulk_data_uri.empty());
  ASSERT_NE(back.Find(Tag{0x0066, 0x0023}), nullptr);
  EXPECT_TRUE(back.Find(Tag{0x0066, 0x0023})->bulk_data_uri.empty());
}

TEST(InstanceMetadataTest, EncapsulatedPixelDataIsAlwaysABulkDataUri) {
  dicom::DataSet ds = Instance(kSop, 1, kStudy, 0);
  dicom::Element pixels;
  pixels.tag = Tag{0x7FE0, 0x0010};
  pixels.vr = Vr::kOB;
  pixels.encapsulated = true;
  pixels.fragments.emplace_back(Bytes{});
  pixels.fragments.emplace_back(Bytes(16, 0xFF));
  ds.Insert(std::move(pixels));
  const dicom::DataSet back = EncodeAndDecode(ds, nullptr);
  ASSERT_NE(back.Find(Tag{0x7FE0, 0x0010}), nullptr);
  EXPECT_EQ(back.Find(Tag{0x7FE0, 0x0010})->bulk_data_uri, std::string(kBulkPrefix) + "7FE00010");
}

TEST(InstanceMetadataTest, HoldsTheDataSetOnlyNotTheFileMeta) {
  auto json = EncodeInstanceMetadata(Instance(kSop), kStudy, kSeries, kSop);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->find("\"0002"), std::string::npos);
  EXPECT_EQ(json->front(), '{');
  EXPECT_EQ(json->back(), '}');
}

TEST(InstanceMetadataTest, ABadValueIsEncodedLenientlyAndNoted) {
  dicom::DataSet ds = Instance(kSop);
  ds.SetString(Tag{0x0020, 0x0013}, Vr::kIS, "12abc");  // Instance Number: not a number
  ASSERT_FALSE(dicom::EncodeJson(ds).ok());
  std::vector<std::string> warnings;
  auto json = EncodeInstanceMetadata(ds, kStudy, kSeries, kSop, {}, &warnings);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("metadata encoded leniently"), std::string::npos);
  EXPECT_NE(warnings[0].find("00200013"), std::string::npos);
  // The value as received, as a string (which a strict decoder refuses, as it should); the
  // rest of the data set as usual.
  EXPECT_NE(json->find(R"("00200013":{"vr":"IS","Value":["12abc"]})"), std::string::npos);
  EXPECT_NE(json->find(R"("00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]})"),
            std::string::npos);
  EXPECT_NE(json->find(std::string(kBulkPrefix) + "7FE00010"), std::string::npos);
}

TEST(InstanceMetadataTest, UidsThatAreNotValidatedUidsAreAnInternalError) {
  const dicom::DataSet ds = Instance(kSop);
  for (const char* bad : {"", "1.2/../../admin", "1.2 3", "1.2?x=1", "1.2%2F3"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(EncodeInstanceMetadata(ds, bad, kSeries, kSop).status().code(),
              StatusCode::kInternal);
    EXPECT_EQ(EncodeInstanceMetadata(ds, kStudy, bad, kSop).status().code(), StatusCode::kInternal);
    EXPECT_EQ(EncodeInstanceMetadata(ds, kStudy, kSeries, bad).status().code(),
              StatusCode::kInternal);
  }
  EXPECT_EQ(EncodeInstanceMetadata(ds, std::string(65, '1'), kSeries, kSop).status().code(),
            StatusCode::kInternal);
}

TEST(InstanceMetadataTest, MetadataLargerThanTheLimitIsRefused) {
  dicom::DataSet ds = Instance(kSop);
  ds.SetString(Tag{0x0020, 0x4000}, Vr::kLT, std::string(5000, 'a'));  // Image Comments
  InstanceMetadataOptions options;
  options.max_json_bytes = 4096;
  EXPECT_EQ(EncodeInstanceMetadata(ds, kStudy, kSeries, kSop, options).status().code(),
            StatusCode::kLimitExceeded);
  options.max_json_bytes = 8192;
  EXPECT_TRUE(EncodeInstanceMetadata(ds, kStudy, kSeries, kSop, options).ok());
}

class ArchiveMetadataTest : public testing::ArchiveFixture {
 protected:
  Result<IngestResult> Store(const dicom::DataSet& ds) {
    IncomingInstance in;
    in.sop_class_uid = kCtImage;
    in.sop_instance_uid = *ds.GetString(Tag{0x0008, 0x0018});
    in.transfer_syntax_uid = kExplicitLe;
    BASTION_ASSIGN_OR_RETURN(auto ingest, archive_->Begin(in));
    BASTION_RETURN_IF_ERROR(ingest->Write(Encode(ds)));
    return ingest->Finish();
  }
  std::vector<index::InstanceMetadataEntry> StudyMetadata() {
    index::Query q;
    q.level = index::QueryLevel::kStudy;
    q.matches.push_back({Tag{0x0020, 0x000D}, index::MatchKind::kUidList, "", "", "", {kStudy}});
    auto entries = index_->InstanceMetadata(q, 100);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    return entries.ok() ? std::move(entries).value() : std::vector<index::InstanceMetadataEntry>{};
  }
};

TEST_F(ArchiveMetadataTest, EveryAddedInstanceIsIndexedWithItsMetadata) {
  ASSERT_TRUE(Store(Instance("1.2.826.0.1.1.1.1", 1)).ok());
  ASSERT_TRUE(Store(Instance("1.2.826.0.1.1.1.2", 2)).ok());
  const auto entries = StudyMetadata();
  ASSERT_EQ(entries.size(), 2u);
  for (const auto& e : entries) {
    const std::string& sop = e.instance.sop_instance_uid;
    SCOPED_TRACE(sop);
    auto expected =
        EncodeInstanceMetadata(Instance(sop, sop.back() == '1' ? 1 : 2), kStudy, kSeries, sop);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(e.json, *expected);
  }
}

TEST_F(ArchiveMetadataTest, AnInstanceWithABadValueIsStoredWithLenientMetadataAndAWarning) {
  dicom::DataSet ds = Instance(kSop);
  ds.SetString(Tag{0x0020, 0x0013}, Vr::kIS, "twelve");
  auto stored = Store(ds);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->warnings.size(), 1u);
  EXPECT_NE(stored->warnings[0].find("metadata encoded leniently"), std::string::npos);
  const auto entries = StudyMetadata();
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_TRUE(entries[0].json.has_value());
  EXPECT_NE(entries[0].json->find("twelve"), std::string::npos);
}

TEST_F(ArchiveMetadataTest, AReindexedFileGetsItsMetadataBack) {
  ASSERT_TRUE(Store(Instance(kSop)).ok());
  const std::string before = *StudyMetadata().at(0).json;
  // The index lost the instance (a crash before its commit reached the disk); the file stayed.
  ASSERT_TRUE(index_->RemoveInstances(index::Level::kInstance, kSop).ok());
  ASSERT_TRUE(index_->ForgetTombstones(*index_->Tombstones()).ok());
  auto reconciled = archive_->Reconcile();
  ASSERT_TRUE(reconciled.ok()) << reconciled.status().ToString();
  EXPECT_EQ(reconciled->reindexed, 1u);
  const auto entries = StudyMetadata();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].json, before);
}

}  // namespace
}  // namespace bastion::archive

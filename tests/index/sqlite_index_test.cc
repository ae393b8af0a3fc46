// SqliteIndex: migrations, counts at every level kept in step with additions and removals,
// duplicate decisions inside the transaction, tombstones, persistence; and the extraction of
// index attributes (with UID validation) from a data set.
#include "index/sqlite/sqlite_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "dicom/tag.h"
#include "index/instance_record.h"
#include "index/sqlite/migrations.h"

namespace bastion::index {
namespace {

namespace fs = std::filesystem;

InstanceRecord Record(const std::string& patient, const std::string& study,
                      const std::string& series, const std::string& sop,
                      const std::string& data_sha = "d1", std::uint64_t size = 100) {
  InstanceRecord r;
  r.patient.patient_id = patient;
  r.patient.name = "Doe^" + patient;
  r.study.study_instance_uid = study;
  r.series.series_instance_uid = series;
  r.series.modality = series.back() == '1' ? "CT" : "SR";
  r.instance.sop_instance_uid = sop;
  r.instance.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  r.storage.blob_id = "blob-" + sop;
  r.storage.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  r.storage.size = size;
  r.storage.data_sha256 = data_sha;
  r.storage.meta_sha256 = "m";
  r.storage.received_at = "2026-12-01T00:00:00Z";
  return r;
}

class SqliteIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("bastion-index-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sqlite");
    Clean();
    auto opened = SqliteIndex::Open(path_.string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    index_ = std::move(opened).value();
  }
  void TearDown() override {
    index_.reset();
    Clean();
  }
  void Clean() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
  }
  ArchiveCounts Counts() {
    auto c = index_->Counts();
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : ArchiveCounts{};
  }

  fs::path path_;
  std::unique_ptr<SqliteIndex> index_;
};

TEST_F(SqliteIndexTest, AppliesEveryMigrationOnceAndReopens) {
  const int latest = sqlite::Migrations().back().version;
  EXPECT_GE(latest, 2);
  EXPECT_EQ(index_->schema_version(), latest);
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.1", "1.1.1", "1.1.1.1")).ok());
  index_.reset();
  auto again = SqliteIndex::Open(path_.string());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->schema_version(), latest);
  auto found = (*again)->FindInstance("1.1.1.1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->study_instance_uid, "1.1");
}

TEST_F(SqliteIndexTest, CountsEveryLevel) {
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.1", "1.1.1", "1.1.1.1", "a", 10)).ok());
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.1", "1.1.1", "1.1.1.2", "b", 20)).ok());
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.1", "1.1.2", "1.1.2.1", "c", 30)).ok());
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.2", "1.2.1", "1.2.1.1", "d", 40)).ok());
  ASSERT_TRUE(index_->AddInstance(Record("P2", "2.1", "2.1.1", "2.1.1.1", "e", 50)).ok());
  const ArchiveCounts c = Counts();
  EXPECT_EQ(c.patients, 2u);
  EXPECT_EQ(c.studies, 3u);
  EXPECT_EQ(c.series, 4u);
  EXPECT_EQ(c.instances, 5u);
  EXPECT_EQ(c.bytes, 150u);
  auto study = index_->ListInstances("1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->size(), 3u);
}

TEST_F(SqliteIndexTest, PatientIdentityIsIdPlusIssuer) {
  InstanceRecord a = Record("123", "1.1", "1.1.1", "1.1.1.1");
  a.patient.issuer = "HOSPITAL_A";
  InstanceRecord b = Record("123", "1.2", "1.2.1", "1.2.1.1");
  b.patient.issuer = "HOSPITAL_B";
  ASSERT_TRUE(index_->AddInstance(a).ok());
  ASSERT_TRUE(index_->AddInstance(b).ok());
  EXPECT_EQ(Counts().patients, 2u);
}

TEST_F(SqliteIndexTest, DuplicatesAreDecidedByContent) {
  ASSERT_EQ(*index_->AddInstance(Record("P1", "1.1", "1.1.1", "1.1.1.1", "same")),
            AddOutcome::kAdded);
  InstanceRecord again = Record("P1", "1.1", "1.1.1", "1.1.1.1", "same");
  again.storage.blob_id = "another-blob";
  EXPECT_EQ(*index_->AddInstance(again), AddOutcome::kIdentical);
  InstanceRecord different = Record("P1", "1.1", "1.1.1", "1.1.1.1", "other");
  different.storage.blob_id = "third-blob";
  EXPECT_EQ(*index_->AddInstance(different), AddOutcome::kConflict);
  const ArchiveCounts c = Counts();
  EXPECT_EQ(c.instances, 1u);
  auto kept = index_->FindInstance("1.1.1.1");
  EXPECT_EQ((*kept)->storage.blob_id, "blob-1.1.1.1");
  EXPECT_FALSE(*index_->HasBlob("third-blob"));
}

TEST_F(SqliteIndexTest, RemovalUpdatesCountsDropsEmptyLevelsAndLeavesTombstones) {
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.1", "1.1.1", "1.1.1.1", "a", 10)).ok());
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.1", "1.1.2", "1.1.2.1", "b", 20)).ok());
  ASSERT_TRUE(index_->AddInstance(Record("P1", "1.2", "1.2.1", "1.2.1.1", "c", 40)).ok());

  auto removed = index_->RemoveInstances(Level::kSeries, "1.1.2");
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(removed->size(), 1u);
  ArchiveCounts c = Counts();
  EXPECT_EQ(c.series, 2u);
  EXPECT_EQ(c.instances, 2u);
  EXPECT_EQ(c.bytes, 50u);
  EXPECT_EQ(c.studies, 2u);
  EXPECT_TRUE(*index_->HasBlob("blob-1.1.2.1"));  // tombstoned, not forgotten yet
  EXPECT_EQ(index_->Tombstones()->size(), 1u);

  ASSERT_TRUE(index_->RemoveInstances(Level::kStudy, "1.1").ok());
  ASSERT_TRUE(index_->RemoveInstances(Level::kInstance, "1.2.1.1").ok());
  c = Counts();
  EXPECT_EQ(c.patients, 0u);
  EXPECT_EQ(c.studies, 0u);
  EXPECT_EQ(c.series, 0u);
  EXPECT_EQ(c.instances, 0u);
  EXPECT_EQ(c.bytes, 0u);
  auto tombstones = index_->Tombstones();
  ASSERT_EQ(tombstones->size(), 3u);
  ASSERT_TRUE(index_->ForgetTombstones(*tombstones).ok());
  EXPECT_TRUE(index_->Tombstones()->empty());
  EXPECT_FALSE(*index_->HasBlob("blob-1.1.1.1"));
}

TEST_F(SqliteIndexTest, RemovingWhatIsNotThereIsNotFound) {
  EXPECT_EQ(index_->RemoveInstances(Level::kStudy, "9.9").status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteIndexTest, ConcurrentAddsOfTheSameInstanceStoreItOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> added{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      InstanceRecord r = Record("P1", "1.1", "1.1.1", "1.1.1.1");
      r.storage.blob_id = "blob-" + std::to_string(t);
      auto outcome = index_->AddInstance(r);
      if (outcome.ok() && *outcome == AddOutcome::kAdded) ++added;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(added.load(), 1);
  EXPECT_EQ(Counts().instances, 1u);
}

TEST_F(SqliteIndexTest, TextIsStoredAndMatchedLiterallyWhateverItContains) {
  InstanceRecord r = Record("O'Brien\"; DROP TABLE patients; --", "1.1", "1.1.1", "1.1.1.1");
  ASSERT_TRUE(index_->AddInstance(r).ok());
  auto found = index_->FindInstance("1.1.1.1");
  EXPECT_EQ((*found)->patient_id, r.patient.patient_id);
  EXPECT_EQ(Counts().patients, 1u);
}

dicom::DataSet MinimalDataSet() {
  dicom::DataSet ds;
  ds.SetString(dicom::Tag{0x0008, 0x0016}, dicom::Vr::kUI, "1.2.840.10008.5.1.4.1.1.2");
  ds.SetString(dicom::Tag{0x0008, 0x0018}, dicom::Vr::kUI, "1.2.3.4.5");
  ds.SetString(dicom::Tag{0x0010, 0x0010}, dicom::Vr::kPN, "Doe^Jane");
  ds.SetString(dicom::Tag{0x0010, 0x0020}, dicom::Vr::kLO, "PID-1");
  ds.SetString(dicom::Tag{0x0020, 0x000D}, dicom::Vr::kUI, "1.2.3");
  ds.SetString(dicom::Tag{0x0020, 0x000E}, dicom::Vr::kUI, "1.2.3.4");
  ds.SetString(dicom::Tag{0x0020, 0x0013}, dicom::Vr::kIS, "7");
  return ds;
}

TEST(InstanceRecordTest, ExtractsEveryLevel) {
  auto r = ExtractInstanceRecord(MinimalDataSet());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->patient.patient_id, "PID-1");
  EXPECT_EQ(r->patient.name, "Doe^Jane");
  EXPECT_EQ(r->study.study_instance_uid, "1.2.3");
  EXPECT_EQ(r->series.series_instance_uid, "1.2.3.4");
  EXPECT_EQ(r->instance.sop_instance_uid, "1.2.3.4.5");
  EXPECT_EQ(r->instance.instance_number, 7);
  EXPECT_FALSE(r->charset_error);
}

TEST(InstanceRecordTest, DecodesTextThroughTheSpecificCharacterSet) {
  dicom::DataSet ds = MinimalDataSet();
  ds.SetString(dicom::Tag{0x0008, 0x0005}, dicom::Vr::kCS, "ISO_IR 100");
  ds.SetString(dicom::Tag{0x0010, 0x0010}, dicom::Vr::kPN, "M\xFCller^J\xF6rg");
  auto r = ExtractInstanceRecord(ds);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->patient.name, "M\xC3\xBCller^J\xC3\xB6rg");
}

TEST(InstanceRecordTest, RefusesMissingOrInvalidUids) {
  struct Case {
    dicom::Tag tag;
    std::string value;
  };
  for (const Case& c : std::vector<Case>{
           {{0x0020, 0x000D}, ""},
           {{0x0020, 0x000D}, "../../etc/passwd"},
           {{0x0020, 0x000E}, "1.2..3"},
           {{0x0008, 0x0018}, "1.2.3."},
           {{0x0008, 0x0018}, std::string(65, '1')},
           {{0x0008, 0x0016}, "1.2.3/4"},
       }) {
    dicom::DataSet ds = MinimalDataSet();
    ds.SetString(c.tag, dicom::Vr::kUI, c.value);
    auto r = ExtractInstanceRecord(ds);
    EXPECT_EQ(r.status().code(), StatusCode::kMalformed) << c.value;
  }
}

TEST(InstanceRecordTest, AcceptsTheLongestValidUid) {
  EXPECT_TRUE(ValidateUid("1." + std::string(62, '9'), "uid").ok());
  EXPECT_TRUE(ValidateUid("0", "uid").ok());
}

}  // namespace
}  // namespace bastion::index

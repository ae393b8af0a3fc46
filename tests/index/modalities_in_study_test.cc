// Modalities in Study (0008,0061) matching at study level (PS3.4 C.6.1.1.3, C.2.2.2.1, C.2.2.2.8;
// index/query.h): a study matches when one of its series' Modality matches one of the key's
// values. Runs the query model (BuildQuery) against the SQLite index, as C-FIND and QIDO-RS do.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "index/query.h"
#include "index/sqlite/sqlite_index.h"

namespace bastion::index {
namespace {

namespace fs = std::filesystem;
using dicom::Tag;
using dicom::Vr;

constexpr Tag kModalitiesInStudy{0x0008, 0x0061};
constexpr Tag kStudyUid{0x0020, 0x000D};

// One instance of series `series_uid` (modality `modality`) in study `study_uid`.
InstanceRecord Instance(const std::string& study_uid, const std::string& series_uid,
                        const std::string& modality, const std::string& sop_uid) {
  InstanceRecord r;
  r.patient.patient_id = "P-" + study_uid;
  r.patient.name = "Doe^Jane";
  r.study.study_instance_uid = study_uid;
  r.series.series_instance_uid = series_uid;
  r.series.modality = modality;
  r.instance.sop_instance_uid = sop_uid;
  r.instance.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  r.storage.blob_id = "blob-" + sop_uid;
  r.storage.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  r.storage.data_sha256 = sop_uid;
  r.storage.received_at = "2026-12-01T00:00:00Z";
  return r;
}

class ModalitiesInStudyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("bastion-modalities-" + std::to_string(::getpid()) + ".sqlite");
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_.string() + s);
    index_ = std::move(SqliteIndex::Open(path_.string())).value();
    // 1.1: CT and SR series; 1.2: MR; 1.3: CT and MR; 1.4: US; 1.5: CR only.
    const std::vector<InstanceRecord> rows = {
        Instance("1.1", "1.1.1", "CT", "1.1.1.1"), Instance("1.1", "1.1.2", "SR", "1.1.2.1"),
        Instance("1.2", "1.2.1", "MR", "1.2.1.1"), Instance("1.3", "1.3.1", "CT", "1.3.1.1"),
        Instance("1.3", "1.3.2", "MR", "1.3.2.1"), Instance("1.4", "1.4.1", "US", "1.4.1.1"),
        Instance("1.5", "1.5.1", "CR", "1.5.1.1"),
    };
    for (const InstanceRecord& r : rows) ASSERT_TRUE(index_->AddInstance(r).ok());
  }
  void TearDown() override {
    index_.reset();
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_.string() + s);
  }

  // The Study Instance UIDs of the studies matching ModalitiesInStudy=`value`, sorted.
  std::vector<std::string> Studies(const std::string& value) {
    dicom::DataSet identifier;
    identifier.SetString(kModalitiesInStudy, Vr::kCS, value);
    auto query = BuildQuery(QueryLevel::kStudy, identifier);
    EXPECT_TRUE(query.ok()) << query.status().ToString();
    if (!query.ok()) return {};
    auto rows = index_->Find(*query);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return {};
    std::vector<std::string> uids;
    for (const dicom::DataSet& ds : *rows) uids.push_back(ds.GetString(kStudyUid).value_or(""));
    std::sort(uids.begin(), uids.end());
    return uids;
  }

  fs::path path_;
  std::unique_ptr<SqliteIndex> index_;
};

using Uids = std::vector<std::string>;

TEST_F(ModalitiesInStudyTest, IsMatchableInTheQueryModel) {
  const QueryAttribute* a = FindQueryAttribute(kModalitiesInStudy);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->matchable);
}

TEST_F(ModalitiesInStudyTest, ASingleValueMatchesStudiesWithASeriesOfThatModality) {
  EXPECT_EQ(Studies("CT"), (Uids{"1.1", "1.3"}));
  EXPECT_EQ(Studies("MR"), (Uids{"1.2", "1.3"}));
}

TEST_F(ModalitiesInStudyTest, AStudyOfCtAndSrSeriesMatchesSr) {
  EXPECT_EQ(Studies("SR"), (Uids{"1.1"}));
}

TEST_F(ModalitiesInStudyTest, AListMatchesStudiesWithAnyOfItsValues) {
  EXPECT_EQ(Studies("CT\\US"), (Uids{"1.1", "1.3", "1.4"}));
  EXPECT_EQ(Studies("SR\\MR"), (Uids{"1.1", "1.2", "1.3"}));
  EXPECT_EQ(Studies("XA\\CR"), (Uids{"1.5"}));
}

TEST_F(ModalitiesInStudyTest, WildcardsMatchEachSeriesModalityNotTheJoinedList) {
  EXPECT_EQ(Studies("C*"), (Uids{"1.1", "1.3", "1.5"}));
  EXPECT_EQ(Studies("?R"), (Uids{"1.1", "1.2", "1.3", "1.5"}));
  // Study 1.3 is stored as "CT\MR": a pattern over the joined text would match it.
  EXPECT_EQ(Studies("C*R"), (Uids{"1.5"}));
  EXPECT_EQ(Studies("CT*MR"), Uids{});
  // A list mixing a wildcard and single values.
  EXPECT_EQ(Studies("U?\\SR"), (Uids{"1.1", "1.4"}));
}

TEST_F(ModalitiesInStudyTest, AnAbsentModalityMatchesNothing) {
  EXPECT_EQ(Studies("XA"), Uids{});
  EXPECT_EQ(Studies("ct"), Uids{});  // CS matching is case-sensitive
  EXPECT_EQ(Studies("C"), Uids{});   // a prefix is not a match without a wildcard
}

TEST_F(ModalitiesInStudyTest, StarOrAnEmptyKeyIsUniversal) {
  const Uids all = {"1.1", "1.2", "1.3", "1.4", "1.5"};
  EXPECT_EQ(Studies(""), all);
  EXPECT_EQ(Studies("*"), all);
  EXPECT_EQ(Studies("CT\\*"), all);
}

TEST_F(ModalitiesInStudyTest, LikeMetacharactersInAValueMatchThemselves) {
  EXPECT_EQ(Studies("C%"), Uids{});
  EXPECT_EQ(Studies("_T"), Uids{});
}

TEST_F(ModalitiesInStudyTest, AListWithAnEmptyValueIsMalformed) {
  dicom::DataSet identifier;
  identifier.SetString(kModalitiesInStudy, Vr::kCS, "CT\\\\MR");
  EXPECT_EQ(BuildQuery(QueryLevel::kStudy, identifier).status().code(), StatusCode::kMalformed);
}

TEST_F(ModalitiesInStudyTest, BuildsAValueListForSeveralValuesWithoutRepeats) {
  dicom::DataSet identifier;
  identifier.SetString(kModalitiesInStudy, Vr::kCS, "CT\\MR\\CT");
  auto query = BuildQuery(QueryLevel::kStudy, identifier);
  ASSERT_TRUE(query.ok());
  ASSERT_EQ(query->matches.size(), 1u);
  EXPECT_EQ(query->matches[0].kind, MatchKind::kValueList);
  EXPECT_EQ(query->matches[0].uids, (Uids{"CT", "MR"}));
}

TEST_F(ModalitiesInStudyTest, StillReturnsTheStudysModalitiesAndCombinesWithOtherKeys) {
  dicom::DataSet identifier;
  identifier.SetString(kModalitiesInStudy, Vr::kCS, "SR");
  identifier.SetString(Tag{0x0010, 0x0020}, Vr::kLO, "P-1.1");
  auto rows = index_->Find(*BuildQuery(QueryLevel::kStudy, identifier));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  // The returned value is the study's modalities, not only the matched one.
  EXPECT_EQ((*rows)[0].GetString(kModalitiesInStudy), "CT\\SR");
  identifier.SetString(Tag{0x0010, 0x0020}, Vr::kLO, "P-1.2");
  EXPECT_TRUE(index_->Find(*BuildQuery(QueryLevel::kStudy, identifier))->empty());
}

TEST_F(ModalitiesInStudyTest, TheSchemaIndexesSeriesByModalityAndStudy) {
  EXPECT_GE(index_->schema_version(), 5);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                               "name = 'series_modality'",
                               -1, &s, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  const std::string sql = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  EXPECT_NE(sql.find("series(modality, study_ref)"), std::string::npos) << sql;
  sqlite3_finalize(s);
  sqlite3_close(db);
}

}  // namespace
}  // namespace bastion::index

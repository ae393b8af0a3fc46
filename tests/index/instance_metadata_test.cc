// SqliteIndex instance metadata (schema version 4): stored in the transaction that adds the
// instance, returned for exactly the instances FindInstances covers (same order, same scope
// rules), removed with the instance, filled later for an instance indexed without, and
// migrated into from a version 3 database.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "dicom/tag.h"
#include "index/instance_record.h"
#include "index/sqlite/migrations.h"
#include "index/sqlite/sqlite_index.h"

namespace bastion::index {
namespace {

namespace fs = std::filesystem;
using dicom::Tag;

InstanceRecord Record(const std::string& study, const std::string& series, const std::string& sop,
                      const std::string& json, const std::string& institution = "NORTH") {
  InstanceRecord r;
  r.patient.patient_id = "P-" + study;
  r.patient.name = "Doe^Jane";
  r.study.study_instance_uid = study;
  r.study.institution_name = institution;
  r.series.series_instance_uid = series;
  r.series.modality = "CT";
  r.instance.sop_instance_uid = sop;
  r.instance.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  r.storage.blob_id = "blob-" + sop;
  r.storage.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  r.storage.size = 100;
  r.storage.data_sha256 = "d-" + sop;
  r.storage.meta_sha256 = "m";
  r.storage.received_at = "2026-12-01T00:00:00Z";
  r.metadata_json = json;
  return r;
}

// What a retrieve of one entity asks: `level`'s unique key matched, the keys above universal.
Query RetrieveOf(QueryLevel level, Tag key, const std::string& uid) {
  Query q;
  q.level = level;
  KeyMatch m;
  m.tag = key;
  m.kind = MatchKind::kUidList;
  m.uids = {uid};
  q.matches.push_back(m);
  return q;
}

constexpr Tag kStudyUid{0x0020, 0x000D};
constexpr Tag kSeriesUid{0x0020, 0x000E};
constexpr Tag kSopUid{0x0008, 0x0018};

std::vector<std::string> Uids(const std::vector<InstanceMetadataEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.instance.sop_instance_uid);
  return out;
}
std::vector<std::string> Uids(const std::vector<StoredInstance>& instances) {
  std::vector<std::string> out;
  for (const auto& i : instances) out.push_back(i.sop_instance_uid);
  return out;
}

class InstanceMetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("bastion-metadata-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sqlite");
    Clean();
  }
  void TearDown() override {
    index_.reset();
    Clean();
  }
  void Clean() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
  }
  void Open() {
    auto opened = SqliteIndex::Open(path_.string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    index_ = std::move(opened).value();
  }
  void Add(const InstanceRecord& r) {
    auto added = index_->AddInstance(r);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    ASSERT_EQ(*added, AddOutcome::kAdded);
  }
  std::vector<InstanceMetadataEntry> Metadata(const Query& q, std::size_t limit = 1000) {
    auto got = index_->InstanceMetadata(q, limit);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? std::move(got).value() : std::vector<InstanceMetadataEntry>{};
  }
  // Rows of instance_metadata, read behind the index's back.
  int MetadataRows() {
    sqlite3* db = nullptr;
    int rows = -1;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_exec(
          db, "SELECT COUNT(*) FROM instance_metadata",
          [](void* out, int, char** values, char**) {
            *static_cast<int*>(out) = std::atoi(values[0]);
            return 0;
          },
          &rows, nullptr);
    }
    sqlite3_close(db);
    return rows;
  }

  fs::path path_;
  std::unique_ptr<SqliteIndex> index_;
};

TEST_F(InstanceMetadataTest, IsStoredWithTheInstanceAndReturnedInSeriesAndReceivedOrder) {
  Open();
  // Two series received interleaved: the answer is series by series, each in received order.
  Add(Record("1.1", "1.1.2", "1.1.2.9", R"({"a":9})"));
  Add(Record("1.1", "1.1.1", "1.1.1.5", R"({"a":5})"));
  Add(Record("1.1", "1.1.2", "1.1.2.1", R"({"a":1})"));
  Add(Record("1.1", "1.1.1", "1.1.1.3", R"({"a":3})"));
  const auto entries = Metadata(RetrieveOf(QueryLevel::kStudy, kStudyUid, "1.1"));
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(Uids(entries), (std::vector<std::string>{"1.1.2.9", "1.1.2.1", "1.1.1.5", "1.1.1.3"}));
  EXPECT_EQ(entries[0].json, R"({"a":9})");
  EXPECT_EQ(entries[3].json, R"({"a":3})");
  EXPECT_EQ(entries[1].instance.storage.blob_id, "blob-1.1.2.1");
  EXPECT_EQ(entries[1].instance.series_instance_uid, "1.1.2");
  EXPECT_EQ(entries[1].instance.study_instance_uid, "1.1");
}

TEST_F(InstanceMetadataTest, CoversExactlyTheInstancesFindInstancesReturns) {
  Open();
  Add(Record("1.1", "1.1.1", "1.1.1.1", "{}"));
  Add(Record("1.1", "1.1.1", "1.1.1.2", "{}"));
  Add(Record("1.1", "1.1.2", "1.1.2.1", "{}"));
  Add(Record("1.2", "1.2.1", "1.2.1.1", "{}", "SOUTH"));
  Add(Record("1.2", "1.2.1", "1.2.1.2", ""));
  std::vector<Query> queries = {
      RetrieveOf(QueryLevel::kStudy, kStudyUid, "1.1"),
      RetrieveOf(QueryLevel::kSeries, kSeriesUid, "1.1.1"),
      RetrieveOf(QueryLevel::kImage, kSopUid, "1.2.1.2"),
      RetrieveOf(QueryLevel::kSeries, kSeriesUid, "9.9"),
  };
  Query by_patient;
  by_patient.level = QueryLevel::kPatient;
  by_patient.matches.push_back({Tag{0x0010, 0x0020}, MatchKind::kWildcard, "P-1.*", "", "", {}});
  queries.push_back(by_patient);
  Query every_study;  // no key: every instance
  queries.push_back(every_study);
  for (std::size_t limit : {std::size_t{1000}, std::size_t{1}}) {
    for (const Query& q : queries) {
      auto instances = index_->FindInstances(q, limit);
      ASSERT_TRUE(instances.ok());
      EXPECT_EQ(Uids(Metadata(q, limit)), Uids(*instances));
    }
  }
  // At most limit + 1: one more than the limit tells the caller there is more.
  EXPECT_EQ(Metadata(every_study, 2).size(), 3u);
}

TEST_F(InstanceMetadataTest, OutOfScopeStudiesAreNotCovered) {
  Open();
  Add(Record("1.1", "1.1.1", "1.1.1.1", R"({"north":1})", "NORTH"));
  Add(Record("1.2", "1.2.1", "1.2.1.1", R"({"south":1})", "SOUTH"));
  ASSERT_TRUE(index_->AddStudyLabel("1.2", "research").ok());
  Query every;
  every.scope.conditions.push_back({security::ScopeAttribute::kInstitution, {"NORTH"}});
  EXPECT_EQ(Uids(Metadata(every)), std::vector<std::string>{"1.1.1.1"});
  // The unique key of a study out of scope covers nothing, even named exactly.
  Query south = RetrieveOf(QueryLevel::kSeries, kSeriesUid, "1.2.1");
  south.scope = every.scope;
  EXPECT_TRUE(Metadata(south).empty());
  Query labelled;
  labelled.scope.conditions.push_back({security::ScopeAttribute::kLabel, {"research"}});
  const auto entries = Metadata(labelled);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].json, R"({"south":1})");
}

TEST_F(InstanceMetadataTest, IsRemovedWithTheInstanceAndNeverInheritedThroughAReusedRowid) {
  Open();
  Add(Record("1.1", "1.1.1", "1.1.1.1", R"({"first":1})"));
  Add(Record("1.1", "1.1.1", "1.1.1.2", R"({"second":1})"));
  EXPECT_EQ(MetadataRows(), 2);
  ASSERT_TRUE(index_->RemoveInstances(Level::kInstance, "1.1.1.2").ok());
  EXPECT_EQ(MetadataRows(), 1);
  // SQLite gives the next instance the rowid just freed; it was stored without metadata.
  Add(Record("1.1", "1.1.1", "1.1.1.3", ""));
  auto entries = Metadata(RetrieveOf(QueryLevel::kSeries, kSeriesUid, "1.1.1"));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].json, R"({"first":1})");
  EXPECT_EQ(entries[1].instance.sop_instance_uid, "1.1.1.3");
  EXPECT_FALSE(entries[1].json.has_value());
  ASSERT_TRUE(index_->RemoveInstances(Level::kStudy, "1.1").ok());
  EXPECT_EQ(MetadataRows(), 0);
}

TEST_F(InstanceMetadataTest, AnInstanceIndexedWithoutIsFilledLaterForItsFileOnly) {
  Open();
  Add(Record("1.1", "1.1.1", "1.1.1.1", ""));
  const Query series = RetrieveOf(QueryLevel::kSeries, kSeriesUid, "1.1.1");
  EXPECT_FALSE(Metadata(series).at(0).json.has_value());
  ASSERT_TRUE(index_->SetInstanceMetadata("1.1.1.1", "blob-1.1.1.1", R"({"late":1})").ok());
  EXPECT_EQ(Metadata(series).at(0).json, R"({"late":1})");
  // Replaced, not duplicated.
  ASSERT_TRUE(index_->SetInstanceMetadata("1.1.1.1", "blob-1.1.1.1", R"({"later":2})").ok());
  EXPECT_EQ(Metadata(series).at(0).json, R"({"later":2})");
  EXPECT_EQ(MetadataRows(), 1);
  // Computed from another file (the instance removed and stored again meanwhile): refused.
  EXPECT_EQ(index_->SetInstanceMetadata("1.1.1.1", "blob-other", "{}").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(index_->SetInstanceMetadata("9.9", "blob-9.9", "{}").code(), StatusCode::kNotFound);
  EXPECT_EQ(index_->SetInstanceMetadata("1.1.1.1", "blob-1.1.1.1", "").code(),
            StatusCode::kMalformed);
  EXPECT_EQ(Metadata(series).at(0).json, R"({"later":2})");
}

TEST_F(InstanceMetadataTest, AResendDoesNotReplaceTheStoredMetadata) {
  Open();
  Add(Record("1.1", "1.1.1", "1.1.1.1", R"({"original":1})"));
  InstanceRecord again = Record("1.1", "1.1.1", "1.1.1.1", R"({"resent":1})");
  again.storage.blob_id = "blob-resent";
  EXPECT_EQ(*index_->AddInstance(again), AddOutcome::kIdentical);
  EXPECT_EQ(Metadata(RetrieveOf(QueryLevel::kImage, kSopUid, "1.1.1.1")).at(0).json,
            R"({"original":1})");
}

// A database as version 3 left it: the first three migrations and one instance.
void CreateVersion3Database(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto exec = [db](const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << " in " << sql;
    sqlite3_free(err);
  };
  exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_at TEXT NOT NULL)");
  for (const auto& m : sqlite::Migrations()) {
    if (m.version > 3) break;
    exec(std::string(m.sql));
    exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", '" +
         std::string(m.description) + "', '2026-11-01T00:00:00Z')");
  }
  exec(
      "INSERT INTO patients (id, patient_id, issuer, name, name_folded, study_count, "
      "instance_count) VALUES (1, 'P1', '', 'Doe^Jane', 'doe^jane', 1, 1)");
  exec(
      "INSERT INTO studies (id, patient_ref, study_uid, series_count, instance_count, bytes, "
      "created_at) VALUES (1, 1, '1.1', 1, 1, 100, '2026-11-01T00:00:00Z')");
  exec(
      "INSERT INTO series (id, study_ref, series_uid, modality, instance_count, bytes) VALUES "
      "(1, 1, '1.1.1', 'CT', 1, 100)");
  exec(
      "INSERT INTO instances (id, series_ref, sop_instance_uid, sop_class_uid, blob_id, "
      "transfer_syntax_uid, size, data_offset, meta_sha256, data_sha256, received_at) VALUES "
      "(1, 1, '1.1.1.1', '1.2.840.10008.5.1.4.1.1.2', 'blob-old', '1.2.840.10008.1.2.1', 100, "
      "0, 'm', 'd', '2026-11-01T00:00:00Z')");
  sqlite3_close(db);
}

TEST_F(InstanceMetadataTest, AVersion3DatabaseMigratesAndItsInstancesHaveNoneUntilFilled) {
  CreateVersion3Database(path_.string());
  Open();
  EXPECT_EQ(index_->schema_version(), sqlite::Migrations().back().version);
  const Query series = RetrieveOf(QueryLevel::kSeries, kSeriesUid, "1.1.1");
  auto entries = Metadata(series);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].instance.storage.blob_id, "blob-old");
  EXPECT_FALSE(entries[0].json.has_value());
  ASSERT_TRUE(index_->SetInstanceMetadata("1.1.1.1", "blob-old", R"({"filled":1})").ok());
  // New instances carry theirs from the start.
  Add(Record("1.1", "1.1.1", "1.1.1.2", R"({"new":1})"));
  entries = Metadata(series);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].json, R"({"filled":1})");
  EXPECT_EQ(entries[1].json, R"({"new":1})");
  // Removal still works across the migration (the reference is honoured).
  ASSERT_TRUE(index_->RemoveInstances(Level::kSeries, "1.1.1").ok());
  EXPECT_EQ(MetadataRows(), 0);
}

// Not a pass/fail timing: prints how long the metadata of a 600-instance series takes to read
// (run with --gtest_also_run_disabled_tests). The JSON is the size of a CT header's metadata.
TEST_F(InstanceMetadataTest, DISABLED_ReportsTheTimeOfASixHundredInstanceSeries) {
  Open();
  constexpr std::size_t kInstances = 600;
  constexpr std::size_t kJsonBytes = 6 * 1024;
  for (std::size_t n = 1; n <= kInstances; ++n) {
    // Another series around it, so that the query has something to skip.
    Add(Record("1.1", "1.1.2", "1.1.2." + std::to_string(n), "{}"));
    Add(Record("1.1", "1.1.1", "1.1.1." + std::to_string(n),
               R"({"00080018":{"vr":"UI","Value":[")" + std::to_string(n) + R"("]},"x":")" +
                   std::string(kJsonBytes, 'x') + R"("})"));
  }
  const Query series = RetrieveOf(QueryLevel::kSeries, kSeriesUid, "1.1.1");
  double best_ms = 1e9;
  std::size_t bytes = 0;
  for (int round = 0; round < 10; ++round) {
    const auto start = std::chrono::steady_clock::now();
    const auto entries = Metadata(series, 10000);
    // The response body the server would build: "[" a "," b ... "]".
    std::string body = "[";
    for (const auto& e : entries) {
      if (body.size() > 1) body += ',';
      body += *e.json;
    }
    body += ']';
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    best_ms = std::min(best_ms, took.count());
    bytes = body.size();
    ASSERT_EQ(entries.size(), kInstances);
  }
  std::printf("metadata of %zu instances (%zu bytes of JSON): best of 10 %.2f ms\n", kInstances,
              bytes, best_ms);
}

}  // namespace
}  // namespace bastion::index

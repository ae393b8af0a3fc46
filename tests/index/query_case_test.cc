// Data-driven C-FIND matching cases (tests/data/query/cases.json) run against the index: one
// runner, the same case file for every backend (SQLite today; PostgreSQL will run it too).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dicom/dictionary.h"
#include "index/query.h"
#include "index/sqlite/sqlite_index.h"

namespace bastion::index {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json LoadCases() {
  std::ifstream in(std::string(BASTION_TEST_DATA_DIR) + "/query/cases.json");
  return json::parse(in);
}

InstanceRecord FromFixture(const json& row) {
  auto get = [&row](const char* key) { return row.value(key, std::string()); };
  auto number = [&row](const char* key) -> std::optional<std::int64_t> {
    const std::string v = row.value(key, std::string());
    if (v.empty()) return std::nullopt;
    return std::stoll(v);
  };
  InstanceRecord r;
  r.patient = {get("PatientID"), get("IssuerOfPatientID"), get("PatientName"),
               get("PatientBirthDate"), get("PatientSex")};
  r.study = {get("StudyInstanceUID"),       get("StudyDate"),      get("StudyTime"),
             get("AccessionNumber"),        get("StudyID"),        get("StudyDescription"),
             get("ReferringPhysicianName"), get("InstitutionName")};
  r.series.series_instance_uid = get("SeriesInstanceUID");
  r.series.modality = get("Modality");
  r.series.series_number = number("SeriesNumber");
  r.instance.sop_instance_uid = get("SOPInstanceUID");
  r.instance.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  r.instance.instance_number = number("InstanceNumber");
  r.storage.blob_id = "blob-" + r.instance.sop_instance_uid;
  r.storage.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  r.storage.data_sha256 = r.instance.sop_instance_uid;
  r.storage.received_at = "2026-12-01T00:00:00Z";
  return r;
}

class QueryCaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("bastion-query-" + std::to_string(::getpid()) + ".sqlite");
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_.string() + s);
    index_ = std::move(SqliteIndex::Open(path_.string())).value();
  }
  void TearDown() override {
    index_.reset();
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_.string() + s);
  }
  fs::path path_;
  std::unique_ptr<SqliteIndex> index_;
};

TEST_F(QueryCaseTest, EveryCaseOfTheCaseFileMatchesAsSpecified) {
  const json cases = LoadCases();
  for (const json& row : cases["fixture"]) {
    auto added = index_->AddInstance(FromFixture(row));
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  for (const auto& [study, labels] : cases["labels"].items()) {
    for (const json& label : labels) {
      ASSERT_TRUE(index_->AddStudyLabel(study, label.get<std::string>()).ok());
    }
  }
  int run = 0;
  for (const json& c : cases["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto level = ParseQueryLevel(c["level"].get<std::string>());
    ASSERT_TRUE(level.ok());
    dicom::DataSet identifier;
    for (const auto& [keyword, value] : c["keys"].items()) {
      const dicom::DictionaryEntry* entry = dicom::LookupKeyword(keyword);
      ASSERT_NE(entry, nullptr) << keyword;
      identifier.SetString(dicom::Tag::FromU32(entry->tag), entry->vr, value.get<std::string>());
    }
    // "options": QueryOptions beyond the defaults (QIDO-RS paging and fuzzy matching).
    QueryOptions options;
    const json o = c.value("options", json::object());
    options.max_results = o.value("max_results", options.max_results);
    options.offset = o.value("offset", options.offset);
    options.fuzzy_person_names = o.value("fuzzy_person_names", options.fuzzy_person_names);
    options.case_insensitive_person_names =
        o.value("case_insensitive_person_names", options.case_insensitive_person_names);
    auto query = BuildQuery(*level, identifier, options);
    if (query.ok() && c.contains("scope")) {
      auto scope = security::ScopeFromJson(c["scope"]);
      ASSERT_TRUE(scope.ok()) << scope.status().ToString();
      query->scope = *scope;
    }
    ++run;
    if (c.value("retrieve", false)) {
      ASSERT_TRUE(query.ok()) << query.status().ToString();
      auto instances = index_->FindInstances(*query, 1000);
      ASSERT_TRUE(instances.ok()) << instances.status().ToString();
      std::vector<std::string> got, want = c["expect"].get<std::vector<std::string>>();
      for (const StoredInstance& i : *instances) got.push_back(i.sop_instance_uid);
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
      EXPECT_EQ(got, want);
      continue;
    }
    Result<std::vector<dicom::DataSet>> rows =
        query.ok() ? index_->Find(*query) : Result<std::vector<dicom::DataSet>>(query.status());
    if (c.value("error", false)) {
      EXPECT_EQ(rows.status().code(), StatusCode::kMalformed);
      continue;
    }
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    // One row past max_results says more matches follow ("more": true).
    const bool more = rows->size() > options.max_results;
    EXPECT_EQ(more, c.value("more", false));
    if (more) rows->resize(options.max_results);
    std::vector<std::string> got;
    for (const dicom::DataSet& ds : *rows) {
      got.push_back(ds.GetString(UniqueKey(*level)).value_or("(none)"));
      EXPECT_EQ(ds.GetString(dicom::Tag{0x0008, 0x0052}), std::string(QueryLevelName(*level)));
    }
    std::vector<std::string> want = c["expect"].get<std::vector<std::string>>();
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
  }
  EXPECT_EQ(run, static_cast<int>(cases["cases"].size()));
}

TEST_F(QueryCaseTest, ReturnsTheRequestedKeysWithStoredValuesAndEmptyOnesForOthers) {
  ASSERT_TRUE(index_->AddInstance(FromFixture(LoadCases()["fixture"][0])).ok());
  dicom::DataSet identifier;
  identifier.SetString(dicom::Tag{0x0010, 0x0010}, dicom::Vr::kPN, "");
  identifier.SetString(dicom::Tag{0x0008, 0x0061}, dicom::Vr::kCS, "");  // Modalities in Study
  identifier.SetString(dicom::Tag{0x0020, 0x1208}, dicom::Vr::kIS, "");  // related instances
  identifier.SetString(dicom::Tag{0x0008, 0x1090}, dicom::Vr::kLO, "");  // not in the index
  auto rows = index_->Find(*BuildQuery(QueryLevel::kStudy, identifier));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const dicom::DataSet& r = (*rows)[0];
  EXPECT_EQ(r.GetString(dicom::Tag{0x0010, 0x0010}), "Doe^Jane");
  EXPECT_EQ(r.GetString(dicom::Tag{0x0008, 0x0061}), "CT");
  EXPECT_EQ(r.GetString(dicom::Tag{0x0020, 0x1208}), "1");
  EXPECT_EQ(r.GetString(dicom::Tag{0x0020, 0x000D}), "1.2.1");  // the unique key, always
  ASSERT_NE(r.Find(dicom::Tag{0x0008, 0x1090}), nullptr);
  EXPECT_EQ(r.Find(dicom::Tag{0x0008, 0x1090})->length(), 0u);
}

TEST_F(QueryCaseTest, KeysAreDecodedFromTheIdentifiersCharacterSet) {
  ASSERT_TRUE(index_->AddInstance(FromFixture(LoadCases()["fixture"][5])).ok());  // Müller
  dicom::DataSet identifier;
  identifier.SetString(dicom::Tag{0x0008, 0x0005}, dicom::Vr::kCS, "ISO_IR 100");
  identifier.SetString(dicom::Tag{0x0010, 0x0010}, dicom::Vr::kPN, "M\xFCller^J\xF6rg");
  auto rows = index_->Find(*BuildQuery(QueryLevel::kPatient, identifier));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
}

TEST_F(QueryCaseTest, StopsOneRowPastTheCap) {
  const json cases = LoadCases();
  for (const json& row : cases["fixture"]) ASSERT_TRUE(index_->AddInstance(FromFixture(row)).ok());
  QueryOptions options;
  options.max_results = 2;
  auto rows = index_->Find(*BuildQuery(QueryLevel::kImage, {}, options));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 3u);  // the caller sees the cap was reached
}

TEST_F(QueryCaseTest, LabelsBelongToStoredStudiesAndGoWithThem) {
  const json cases = LoadCases();
  for (const json& row : cases["fixture"]) ASSERT_TRUE(index_->AddInstance(FromFixture(row)).ok());
  EXPECT_EQ(index_->AddStudyLabel("9.9.9", "research").code(), StatusCode::kNotFound);
  EXPECT_EQ(index_->AddStudyLabel("1.2.1", "bad\\label").code(), StatusCode::kMalformed);
  ASSERT_TRUE(index_->AddStudyLabel("1.2.1", "research").ok());
  ASSERT_TRUE(index_->AddStudyLabel("1.2.1", "research").ok());  // idempotent
  ASSERT_TRUE(index_->AddStudyLabel("1.2.1", "teaching").ok());
  EXPECT_EQ(*index_->StudyLabels("1.2.1"), (std::vector<std::string>{"research", "teaching"}));
  ASSERT_TRUE(index_->RemoveStudyLabel("1.2.1", "teaching").ok());
  EXPECT_EQ(index_->RemoveStudyLabel("1.2.1", "teaching").code(), StatusCode::kNotFound);
  ASSERT_TRUE(index_->RemoveInstances(Level::kStudy, "1.2.1").ok());
  EXPECT_TRUE(index_->StudyLabels("1.2.1")->empty());
}

TEST_F(QueryCaseTest, PatientCountsAreNotReturnedUnderAScope) {
  const json cases = LoadCases();
  for (const json& row : cases["fixture"]) ASSERT_TRUE(index_->AddInstance(FromFixture(row)).ok());
  dicom::DataSet identifier;
  identifier.SetString(dicom::Tag{0x0010, 0x0020}, dicom::Vr::kLO, "P1");
  identifier.SetString(dicom::Tag{0x0020, 0x1200}, dicom::Vr::kIS, "");
  auto query = BuildQuery(QueryLevel::kPatient, identifier);
  ASSERT_TRUE(query.ok());
  auto open = index_->Find(*query);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ((*open)[0].GetString(dicom::Tag{0x0020, 0x1200}), "2");
  query->scope = *security::ParseScopeArguments({"referring_physician=Wilson^James"});
  auto scoped = index_->Find(*query);
  ASSERT_TRUE(scoped.ok());
  ASSERT_EQ(scoped->size(), 1u);
  // Counting both studies would reveal one the caller may not see.
  EXPECT_EQ((*scoped)[0].GetString(dicom::Tag{0x0020, 0x1200}).value_or(""), "");
  // The same key asked for at study level (as QIDO-RS includefield may) is hidden too.
  auto study_query = BuildQuery(QueryLevel::kStudy, identifier);
  ASSERT_TRUE(study_query.ok());
  study_query->scope = query->scope;
  auto study_rows = index_->Find(*study_query);
  ASSERT_TRUE(study_rows.ok());
  ASSERT_EQ(study_rows->size(), 1u);
  EXPECT_EQ((*study_rows)[0].GetString(dicom::Tag{0x0020, 0x000D}), "1.2.2");
  EXPECT_EQ((*study_rows)[0].GetString(dicom::Tag{0x0020, 0x1200}).value_or(""), "");
}

}  // namespace
}  // namespace bastion::index

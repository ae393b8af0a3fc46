// QIDO-RS ModalitiesInStudy (PS3.18 10.6.1, PS3.4 C.6.1.1.3; index/query.h) end to end: the
// parameter read by ParseQidoRequest, run against a real SqliteIndex, answered as DICOM JSON.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "index/sqlite/sqlite_index.h"
#include "web/dicomweb/qido.h"

namespace bastion::web::dicomweb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;
using Uids = std::vector<std::string>;

index::InstanceRecord Instance(const std::string& study, const std::string& series,
                               const std::string& modality) {
  index::InstanceRecord r;
  r.patient.patient_id = "P-" + study;
  r.patient.name = "Doe^Jane";
  r.study.study_instance_uid = study;
  r.series.series_instance_uid = series;
  r.series.modality = modality;
  r.instance.sop_instance_uid = series + ".1";
  r.instance.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  r.storage.blob_id = "blob-" + series;
  r.storage.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  r.storage.data_sha256 = series;
  r.storage.received_at = "2026-12-01T00:00:00Z";
  return r;
}

class QidoModalitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bastion-qido-modalities-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    index_ = std::move(index::SqliteIndex::Open((dir_ / "index.sqlite").string())).value();
    // 2.1: CT and SR; 2.2: MR; 2.3: CT and MR; 2.4: US.
    for (const auto& r : {Instance("2.1", "2.1.1", "CT"), Instance("2.1", "2.1.2", "SR"),
                          Instance("2.2", "2.2.1", "MR"), Instance("2.3", "2.3.1", "CT"),
                          Instance("2.3", "2.3.2", "MR"), Instance("2.4", "2.4.1", "US")}) {
      ASSERT_TRUE(index_->AddInstance(r).ok());
    }
  }
  void TearDown() override {
    index_.reset();
    fs::remove_all(dir_);
  }

  // The JSON answer of /studies?`params`.
  json Search(const Params& params) {
    auto request =
        ParseQidoRequest(QidoResource::kAllStudies, "", "", params, {}, index::QueryOptions{});
    EXPECT_TRUE(request.ok()) << request.status().ToString();
    if (!request.ok()) return json::array();
    auto matches = index_->Find(request->query);
    EXPECT_TRUE(matches.ok()) << matches.status().ToString();
    if (!matches.ok()) return json::array();
    auto body = EncodeQidoResponse(*matches, *request, "/dicom-web");
    EXPECT_TRUE(body.ok());
    return json::parse(*body);
  }

  Uids Studies(const std::string& modalities) {
    Uids out;
    for (const json& o : Search({{"ModalitiesInStudy", modalities}})) {
      out.push_back(o["0020000D"]["Value"][0].get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<index::SqliteIndex> index_;
};

TEST_F(QidoModalitiesTest, MatchesStudiesHavingASeriesOfTheModality) {
  EXPECT_EQ(Studies("CT"), (Uids{"2.1", "2.3"}));
  EXPECT_EQ(Studies("US"), (Uids{"2.4"}));
}

TEST_F(QidoModalitiesTest, AStudyWithCtAndSrSeriesMatchesSr) {
  const json answer = Search({{"ModalitiesInStudy", "SR"}});
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0]["0020000D"]["Value"][0], "2.1");
  // The response carries the study's modalities, both of them (PS3.18 Table 10.6.3-3).
  EXPECT_EQ(answer[0]["00080061"]["Value"], (json{"CT", "SR"}));
}

TEST_F(QidoModalitiesTest, ACommaOrBackslashListMatchesAnyOfItsModalities) {
  EXPECT_EQ(Studies("SR,US"), (Uids{"2.1", "2.4"}));
  EXPECT_EQ(Studies("MR\\US"), (Uids{"2.2", "2.3", "2.4"}));
}

TEST_F(QidoModalitiesTest, WildcardsMatchOneSeriesModality) {
  EXPECT_EQ(Studies("?R"), (Uids{"2.1", "2.2", "2.3"}));
  EXPECT_EQ(Studies("C*"), (Uids{"2.1", "2.3"}));
  EXPECT_EQ(Studies("C*R"), Uids{});  // 2.3 is "CT\MR" as a whole, but no series is C*R
}

TEST_F(QidoModalitiesTest, NoStudyOfTheModalityIsAnEmptyArray) {
  EXPECT_EQ(Search({{"ModalitiesInStudy", "XA"}}), json::array());
  EXPECT_EQ(Studies("XA,NM"), Uids{});
}

}  // namespace
}  // namespace bastion::web::dicomweb

// QIDO-RS requests and responses (web/dicomweb/qido.h): the query parameters of PS3.18 8.3.4
// read into the shared C-FIND query, and end to end against a real SqliteIndex, the DICOM JSON
// response (PS3.18 F.2) with its Retrieve URLs, default keys, paging and scope.
#include "web/dicomweb/qido.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "dicom/dictionary.h"
#include "index/sqlite/sqlite_index.h"
#include "security/scope.h"

namespace bastion::web::dicomweb {
namespace {

namespace fs = std::filesystem;
using dicom::Tag;
using index::MatchKind;
using index::QueryLevel;
using nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr Tag kPatientName{0x0010, 0x0010};
constexpr Tag kPatientId{0x0010, 0x0020};
constexpr Tag kStudyUid{0x0020, 0x000D};
constexpr Tag kSeriesUid{0x0020, 0x000E};
constexpr Tag kSopUid{0x0008, 0x0018};
constexpr Tag kModality{0x0008, 0x0060};
constexpr Tag kStudyDate{0x0008, 0x0020};
constexpr Tag kStudyDescription{0x0008, 0x1030};
constexpr Tag kInstitution{0x0008, 0x0080};
constexpr Tag kReferencedStudySequence{0x0008, 0x1110};

Result<QidoRequest> Parse(QidoResource resource, const Params& params, std::string_view study = {},
                          std::string_view series = {}, const QidoLimits& limits = {}) {
  return ParseQidoRequest(resource, study, series, params, limits, index::QueryOptions{});
}

Result<QidoRequest> Studies(const Params& params) {
  return Parse(QidoResource::kAllStudies, params);
}

const index::KeyMatch* MatchOf(const QidoRequest& r, Tag tag) {
  for (const index::KeyMatch& m : r.query.matches) {
    if (m.tag == tag) return &m;
  }
  return nullptr;
}

bool Has(const std::vector<Tag>& tags, Tag tag) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

// ---- Parameters -----------------------------------------------------------------------------

TEST(QidoParseTest, ResourcesQueryTheirLevel) {
  EXPECT_EQ(QidoLevel(QidoResource::kAllStudies), QueryLevel::kStudy);
  EXPECT_EQ(QidoLevel(QidoResource::kAllSeries), QueryLevel::kSeries);
  EXPECT_EQ(QidoLevel(QidoResource::kStudySeries), QueryLevel::kSeries);
  EXPECT_EQ(QidoLevel(QidoResource::kAllInstances), QueryLevel::kImage);
  EXPECT_EQ(QidoLevel(QidoResource::kStudyInstances), QueryLevel::kImage);
  EXPECT_EQ(QidoLevel(QidoResource::kSeriesInstances), QueryLevel::kImage);
  auto r = Parse(QidoResource::kStudyInstances, {}, "1.2.3");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->query.level, QueryLevel::kImage);
}

TEST(QidoParseTest, KeywordAndHexTagNameTheSameMatchKey) {
  auto by_keyword = Studies({{"PatientName", "Doe*"}});
  auto by_tag = Studies({{"00100010", "Doe*"}});
  auto by_lower_hex = Studies({{"0020000d", "1.2.3"}});
  ASSERT_TRUE(by_keyword.ok()) << by_keyword.status().ToString();
  ASSERT_TRUE(by_tag.ok()) << by_tag.status().ToString();
  ASSERT_TRUE(by_lower_hex.ok()) << by_lower_hex.status().ToString();
  for (const QidoRequest* r : {&*by_keyword, &*by_tag}) {
    const index::KeyMatch* m = MatchOf(*r, kPatientName);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->kind, MatchKind::kWildcard);
    EXPECT_EQ(m->value, "Doe*");
  }
  ASSERT_NE(MatchOf(*by_lower_hex, kStudyUid), nullptr);
  EXPECT_EQ(MatchOf(*by_lower_hex, kStudyUid)->value, "1.2.3");
}

bool Ignored(const QidoRequest& r, std::string_view name) {
  return std::any_of(r.ignored_parameters.begin(), r.ignored_parameters.end(),
                     [&](const std::string& p) { return p.find(name) != std::string::npos; });
}

// PS3.18 8.3: "The origin server shall ignore any unsupported Query Parameters" and answer as
// if they were absent; they are named for a Warning header, never dropped without a word.
TEST(QidoParseTest, KeywordsAreCaseSensitiveAndAnUnknownOneIsIgnoredAndNamed) {
  auto r = Studies({{"patientname", "Doe"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(Ignored(*r, "'patientname'"));
  EXPECT_EQ(MatchOf(*r, kPatientName), nullptr);
}

TEST(QidoParseTest, UnknownParametersAreIgnoredAndNamed) {
  auto r = Studies({{"x", "1"}, {"PatientID", "P1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ignored_parameters, (std::vector<std::string>{"'x'"}));
  ASSERT_NE(MatchOf(*r, kPatientId), nullptr);  // the rest of the request still applies
  // PS3.18 names are lower case: "Limit" is not "limit".
  auto limit = Studies({{"Limit", "1"}});
  ASSERT_TRUE(limit.ok());
  EXPECT_TRUE(Ignored(*limit, "'Limit'"));
  EXPECT_EQ(limit->limit, QidoLimits{}.max_limit);
  EXPECT_TRUE(Studies({}).value().ignored_parameters.empty());
}

TEST(QidoParseTest, PrivateAndUnknownTagsAreIgnoredAsKeysButRefusedAsIncludeFields) {
  auto priv = Studies({{"00091010", "x"}});
  ASSERT_TRUE(priv.ok());
  EXPECT_TRUE(Ignored(*priv, "'00091010'"));
  ASSERT_EQ(dicom::LookupTag(Tag{0x0010, 0x0011}), nullptr);
  auto unknown = Studies({{"00100011", "x"}});
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(Ignored(*unknown, "'00100011'"));
  EXPECT_TRUE(Ignored(Studies({{"00100000", ""}}).value(), "'00100000'"));  // group length
  // includefield is a supported parameter: a value that names no attribute is invalid (400).
  EXPECT_EQ(Studies({{"includefield", "00091010"}}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"includefield", "NoSuchKeyword"}}).status().code(), StatusCode::kMalformed);
}

TEST(QidoParseTest, SequencePathsAreIgnoredAsKeysAndUnsupportedAsIncludeFields) {
  auto key = Studies({{"00081110.00081150", "1.2.3"}});
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(Ignored(*key, "'00081110.00081150'"));
  EXPECT_TRUE(key->query.matches.empty());
  EXPECT_TRUE(Studies({{"ReferencedStudySequence.ReferencedSOPClassUID", "1"}}).ok());
  auto include = Studies({{"includefield", "00081110.00081150"}});
  EXPECT_EQ(include.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(include.status().message().find("sequences"), std::string::npos);
  EXPECT_TRUE(Ignored(Studies({{"00081110.foo", "1"}}).value(), "'00081110.foo'"));
}

TEST(QidoParseTest, AcceptAndCharsetAreLeftToContentNegotiation) {
  auto r = Studies({{"accept", "application/dicom+json"}, {"charset", "utf-8"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ignored_parameters.empty());
  EXPECT_TRUE(r->query.matches.empty());
}

TEST(QidoParseTest, EmptyAndMultipleValueMatchingAreReportedAsNotPerformed) {
  auto r = Studies({{"emptyvaluematching", "true"}, {"multiplevaluematching", "true"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->unsupported_parameters,
            (std::vector<std::string>{"emptyvaluematching", "multiplevaluematching"}));
  auto off = Studies({{"emptyvaluematching", "false"}});
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off->unsupported_parameters.empty());
  EXPECT_EQ(Studies({{"emptyvaluematching", "yes"}}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"multiplevaluematching", ""}}).status().code(), StatusCode::kMalformed);
}

TEST(QidoParseTest, RepeatedMatchKeyIsMalformedEvenUnderAnotherName) {
  EXPECT_EQ(Studies({{"PatientID", "1"}, {"PatientID", "2"}}).status().code(),
            StatusCode::kMalformed);
  auto r = Studies({{"PatientID", "1"}, {"00100020", "1"}});
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_NE(r.status().message().find("PatientID"), std::string::npos);
}

TEST(QidoParseTest, AKeyThePathFixesCannotBeMatchedAgain) {
  auto r = Parse(QidoResource::kStudySeries, {{"StudyInstanceUID", "1.2.4"}}, "1.2.3");
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Parse(QidoResource::kSeriesInstances, {{"SeriesInstanceUID", "1"}}, "1.2", "1.2.3")
                .status()
                .code(),
            StatusCode::kMalformed);
  // Below /series the Series Instance UID is an ordinary key.
  EXPECT_TRUE(Parse(QidoResource::kStudySeries, {{"SeriesInstanceUID", "1.2.3.1"}}, "1.2.3").ok());
}

TEST(QidoParseTest, PathUidsAreSingleValueMatches) {
  auto r = Parse(QidoResource::kSeriesInstances, {}, "1.2.3", "1.2.3.4");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const index::KeyMatch* study = MatchOf(*r, kStudyUid);
  const index::KeyMatch* series = MatchOf(*r, kSeriesUid);
  ASSERT_NE(study, nullptr);
  ASSERT_NE(series, nullptr);
  EXPECT_EQ(study->kind, MatchKind::kSingleValue);
  EXPECT_EQ(study->value, "1.2.3");
  EXPECT_EQ(series->value, "1.2.3.4");
  // A path UID is one UID: a list or wildcard there is not a UID.
  EXPECT_EQ(Parse(QidoResource::kStudySeries, {}, "1.2,1.3").status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(Parse(QidoResource::kStudySeries, {}, "1.2*").status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Parse(QidoResource::kStudySeries, {}, "").status().code(), StatusCode::kMalformed);
  // The router giving a UID to a resource without one is our mistake.
  EXPECT_EQ(Parse(QidoResource::kAllStudies, {}, "1.2.3").status().code(), StatusCode::kInternal);
  EXPECT_EQ(Parse(QidoResource::kStudyInstances, {}, "1.2.3", "1.2.3.4").status().code(),
            StatusCode::kInternal);
}

TEST(QidoParseTest, IncludeFieldTakesListsRepeatsAndAll) {
  auto r = Studies({{"includefield", "StudyDescription,00080080"},
                    {"includefield", "00081030"},  // again, by tag: kept once
                    {"includefield", "PatientAge"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->include_all);
  EXPECT_EQ(r->include_fields,
            (std::vector<Tag>{kStudyDescription, kInstitution, {0x0010, 0x1010}}));
  EXPECT_TRUE(Has(r->response_keys, kStudyDescription));
  EXPECT_TRUE(Has(r->response_keys, kInstitution));
  EXPECT_TRUE(Has(r->query.return_keys, kStudyDescription));
  EXPECT_TRUE(std::is_sorted(r->response_keys.begin(), r->response_keys.end()));

  auto all = Studies({{"includefield", "all"}});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->include_all);
  EXPECT_TRUE(Has(all->response_keys, kStudyDescription));
  EXPECT_TRUE(Has(all->response_keys, Tag(0x0010, 0x0021)));  // Issuer of Patient ID
  EXPECT_FALSE(Has(all->response_keys, kModality));           // a series attribute
  auto all_instances = Parse(QidoResource::kAllInstances, {{"includefield", "all"}});
  ASSERT_TRUE(all_instances.ok());
  for (const index::QueryAttribute& a : index::QueryAttributes()) {
    EXPECT_TRUE(Has(all_instances->response_keys, a.tag)) << a.tag.ToString();
  }

  EXPECT_EQ(Studies({{"includefield", "PatientName,,StudyDate"}}).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"includefield", ""}}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"includefield", "PatientName,"}}).status().code(), StatusCode::kMalformed);
}

TEST(QidoParseTest, IncludeFieldsTheIndexDoesNotHoldAreReportedAndNotReturned) {
  auto r = Studies({{"includefield", "ReferencedStudySequence,SOPInstanceUID,PatientAge"},
                    {"InstitutionalDepartmentName", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(
      r->unsupported_include_fields,
      (std::vector<Tag>{{0x0008, 0x1040}, kReferencedStudySequence, kSopUid, {0x0010, 0x1010}}));
  for (Tag t : r->unsupported_include_fields) EXPECT_FALSE(Has(r->response_keys, t));
}

TEST(QidoParseTest, LimitDefaultsToTheMaximumAndIsClampedToIt) {
  auto absent = Studies({});
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->limit, 1000u);
  EXPECT_FALSE(absent->limit_clamped);
  EXPECT_EQ(absent->query.options.max_results, 1000u);
  EXPECT_EQ(absent->offset, 0u);

  auto clamped = Studies({{"limit", "5000"}});
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->limit, 1000u);
  EXPECT_TRUE(clamped->limit_clamped);
  auto huge = Studies({{"limit", "999999999999999999999999999"}});
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->limit, 1000u);
  EXPECT_TRUE(huge->limit_clamped);
  auto at_max = Studies({{"limit", "1000"}});
  ASSERT_TRUE(at_max.ok());
  EXPECT_FALSE(at_max->limit_clamped);
}

TEST(QidoParseTest, LimitAndOffsetGoIntoTheQueryOptions) {
  index::QueryOptions options;
  options.case_insensitive_person_names = false;
  auto r = ParseQidoRequest(QidoResource::kAllStudies, "", "",
                            Params{{"limit", "10"}, {"offset", "20"}}, QidoLimits{}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->limit, 10u);
  EXPECT_EQ(r->offset, 20u);
  EXPECT_EQ(r->query.options.max_results, 10u);
  EXPECT_EQ(r->query.options.offset, 20u);
  EXPECT_FALSE(r->query.options.case_insensitive_person_names);  // the archive's options kept
  EXPECT_FALSE(r->query.options.fuzzy_person_names);
}

TEST(QidoParseTest, MalformedLimitsAndOffsetsAreRefused) {
  for (const char* bad : {"-1", "+1", "1.5", "", " 1", "1 ", "abc", "0x10", "1e3"}) {
    EXPECT_EQ(Studies({{"limit", bad}}).status().code(), StatusCode::kMalformed) << bad;
    EXPECT_EQ(Studies({{"offset", bad}}).status().code(), StatusCode::kMalformed) << bad;
  }
  EXPECT_EQ(Studies({{"limit", "0"}}).status().code(), StatusCode::kMalformed);
  EXPECT_TRUE(Studies({{"offset", "0"}}).ok());
  EXPECT_EQ(Studies({{"limit", "1"}, {"limit", "2"}}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"offset", "1"}, {"offset", "1"}}).status().code(), StatusCode::kMalformed);
  EXPECT_TRUE(Studies({{"offset", "1000000"}}).ok());
  EXPECT_EQ(Studies({{"offset", "1000001"}}).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(Studies({{"offset", "99999999999999999999999"}}).status().code(),
            StatusCode::kLimitExceeded);
}

TEST(QidoParseTest, FuzzyMatchingIsTrueOrFalse) {
  auto on = Studies({{"fuzzymatching", "true"}, {"PatientName", "smi"}});
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->fuzzy);
  EXPECT_TRUE(on->query.options.fuzzy_person_names);
  auto off = Studies({{"fuzzymatching", "false"}});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->fuzzy);
  EXPECT_FALSE(off->query.options.fuzzy_person_names);
  for (const char* bad : {"TRUE", "1", "yes", ""}) {
    EXPECT_EQ(Studies({{"fuzzymatching", bad}}).status().code(), StatusCode::kMalformed) << bad;
  }
  EXPECT_EQ(Studies({{"fuzzymatching", "true"}, {"fuzzymatching", "true"}}).status().code(),
            StatusCode::kMalformed);
}

TEST(QidoParseTest, UidListsAreCommaOrBackslashSeparated) {
  auto r = Studies({{"StudyInstanceUID", "1.2.3,1.2.4\\1.2.5"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const index::KeyMatch* m = MatchOf(*r, kStudyUid);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kind, MatchKind::kUidList);
  EXPECT_EQ(m->uids, (std::vector<std::string>{"1.2.3", "1.2.4", "1.2.5"}));
  auto one = Studies({{"StudyInstanceUID", "1.2.3"}});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(MatchOf(*one, kStudyUid)->kind, MatchKind::kSingleValue);
  for (const char* bad : {"1.2,,1.3", "1.2,", ",1.2", "1.2.x", "1.2*", "1..2", "1.2 ,1.3"}) {
    EXPECT_EQ(Studies({{"StudyInstanceUID", bad}}).status().code(), StatusCode::kMalformed) << bad;
  }
}

TEST(QidoParseTest, RangesAndWildcardsFollowTheCFindGrammar) {
  auto range = Studies({{"StudyDate", "20260101-20260131"}});
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  const index::KeyMatch* m = MatchOf(*range, kStudyDate);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kind, MatchKind::kRange);
  EXPECT_EQ(m->low, "20260101");
  EXPECT_EQ(m->high, "20260131");
  auto open = Studies({{"StudyDate", "-20251231"}});
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(MatchOf(*open, kStudyDate)->low.empty());
  EXPECT_EQ(Studies({{"StudyDate", "2026-01-01"}}).status().code(), StatusCode::kMalformed);
  auto star = Studies({{"AccessionNumber", "*"}});  // universal, as in C-FIND
  ASSERT_TRUE(star.ok());
  EXPECT_TRUE(star->query.matches.empty());
  EXPECT_TRUE(Has(star->response_keys, Tag(0x0008, 0x0050)));
  auto empty = Studies({{"StudyDescription", ""}});  // universal: returned, not matched
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->query.matches.empty());
  EXPECT_TRUE(Has(empty->response_keys, kStudyDescription));
}

TEST(QidoParseTest, NonAsciiValuesAreUtf8ForTextVrsOnly) {
  auto r = Studies({{"PatientName", "M\xC3\xBCller*"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const index::KeyMatch* m = MatchOf(*r, kPatientName);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->value, "M\xC3\xBCller*");
  EXPECT_EQ(Studies({{"PatientName", "M\xFCller"}}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Parse(QidoResource::kAllSeries, {{"Modality", "\xC3\x87T"}}).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"StudyDate", "2026\xC2\xB9"}}).status().code(), StatusCode::kMalformed);
}

TEST(QidoParseTest, ControlCharactersAndValueListsAreRefused) {
  EXPECT_EQ(Studies({{"PatientName", "Doe\nSmith"}}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"PatientID", std::string("P\0", 2)}}).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(Studies({{"PatientName", "Doe\\Smith"}}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Parse(QidoResource::kAllSeries, {{"SeriesNumber", "1;DROP"}}).status().code(),
            StatusCode::kMalformed);
  EXPECT_TRUE(Parse(QidoResource::kAllSeries, {{"SeriesNumber", "-3"}}).ok());
  EXPECT_EQ(Parse(QidoResource::kAllSeries, {{"SeriesNumber", "1*"}}).status().code(),
            StatusCode::kMalformed);
}

TEST(QidoParseTest, MatchingTheIndexCannotDoIsIgnoredAndNamed) {
  auto department = Studies({{"InstitutionalDepartmentName", "ER"}});
  ASSERT_TRUE(department.ok());
  EXPECT_TRUE(Ignored(*department, "InstitutionalDepartmentName (0008,1040)"));
  EXPECT_TRUE(department->query.matches.empty());
  EXPECT_TRUE(
      Ignored(Studies({{"SpecificCharacterSet", "ISO_IR 100"}}).value(), "SpecificCharacterSet"));
  // Counts are held but not matchable: not matched, still returned.
  auto count = Studies({{"NumberOfStudyRelatedInstances", "3"}});
  ASSERT_TRUE(count.ok());
  EXPECT_TRUE(Ignored(*count, "NumberOfStudyRelatedInstances"));
  EXPECT_TRUE(count->query.matches.empty());
  EXPECT_TRUE(Has(count->response_keys, Tag{0x0020, 0x1208}));
  auto below = Studies({{"Modality", "CT"}});  // a series attribute in a study search
  ASSERT_TRUE(below.ok());
  EXPECT_TRUE(Ignored(*below, "Modality (0008,0060)"));
  EXPECT_EQ(MatchOf(*below, kModality), nullptr);
  EXPECT_FALSE(Has(below->response_keys, kModality));
  EXPECT_TRUE(
      Parse(QidoResource::kAllSeries, {{"Modality", "CT"}}).value().ignored_parameters.empty());
  EXPECT_TRUE(Parse(QidoResource::kAllInstances, {{"PatientName", "Doe*"}}).ok());
}

TEST(QidoParseTest, ModalitiesInStudyTakesAListSeparatedByCommasOrBackslashes) {
  constexpr Tag kModalitiesInStudy{0x0008, 0x0061};
  auto one = Studies({{"ModalitiesInStudy", "CT"}});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_NE(MatchOf(*one, kModalitiesInStudy), nullptr);
  EXPECT_EQ(MatchOf(*one, kModalitiesInStudy)->kind, MatchKind::kSingleValue);
  EXPECT_TRUE(one->ignored_parameters.empty());
  for (const char* list : {"CT,MR", "CT\\MR"}) {
    auto r = Studies({{"ModalitiesInStudy", list}});
    ASSERT_TRUE(r.ok()) << list << ": " << r.status().ToString();
    const index::KeyMatch* m = MatchOf(*r, kModalitiesInStudy);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->kind, MatchKind::kValueList);
    EXPECT_EQ(m->uids, (std::vector<std::string>{"CT", "MR"}));
  }
  auto wildcard = Studies({{"00080061", "C*"}});
  ASSERT_TRUE(wildcard.ok());
  EXPECT_EQ(MatchOf(*wildcard, kModalitiesInStudy)->kind, MatchKind::kWildcard);
  for (const char* bad : {"CT,", ",CT", "CT,,MR", "CT\\"}) {
    EXPECT_EQ(Studies({{"ModalitiesInStudy", bad}}).status().code(), StatusCode::kMalformed) << bad;
  }
  // Other text attributes still take one value.
  EXPECT_EQ(Studies({{"StudyDescription", "a\\b"}}).status().code(), StatusCode::kMalformed);
}

TEST(QidoParseTest, LimitsAreEnforcedBeforeWork) {
  QidoLimits limits;
  limits.max_parameters = 2;
  EXPECT_EQ(Parse(QidoResource::kAllStudies, {{"limit", "1"}, {"offset", "1"}, {"x", "1"}}, "", "",
                  limits)
                .status()
                .code(),
            StatusCode::kLimitExceeded);
  limits = {};
  limits.max_value_length = 10;  // names too
  EXPECT_TRUE(Parse(QidoResource::kAllStudies, {{"PatientID", "1234567890"}}, "", "", limits).ok());
  EXPECT_EQ(Parse(QidoResource::kAllStudies, {{"PatientID", "12345678901"}}, "", "", limits)
                .status()
                .code(),
            StatusCode::kLimitExceeded);
  EXPECT_EQ(Parse(QidoResource::kAllStudies, {{std::string(100, 'x'), ""}}, "", "", limits)
                .status()
                .code(),
            StatusCode::kLimitExceeded);
  limits = {};
  limits.max_include_fields = 2;
  EXPECT_TRUE(Parse(QidoResource::kAllStudies,
                    {{"includefield", "StudyDescription,InstitutionName,StudyDescription,all"}}, "",
                    "", limits)
                  .ok());
  EXPECT_EQ(
      Parse(QidoResource::kAllStudies,
            {{"includefield", "StudyDescription,InstitutionName"}, {"includefield", "PatientAge"}},
            "", "", limits)
          .status()
          .code(),
      StatusCode::kLimitExceeded);
  limits = {};
  limits.max_limit = 50;
  auto r = Parse(QidoResource::kAllStudies, {{"limit", "51"}}, "", "", limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->limit, 50u);
  EXPECT_TRUE(r->limit_clamped);
}

TEST(QidoParseTest, ErrorMessagesAndIgnoredNamesQuoteUntrustedTextBounded) {
  auto r = Studies({{"PatientID", std::string(500, 'y') + "\x01"}});
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 200u);
  EXPECT_EQ(r.status().message().find('\x01'), std::string::npos);
  // An ignored parameter's name goes into a Warning header: bounded, no control characters.
  auto ignored = Studies({{std::string(500, 'y') + "\x01\r\n", "1"}});
  ASSERT_TRUE(ignored.ok());
  ASSERT_EQ(ignored->ignored_parameters.size(), 1u);
  const std::string& name = ignored->ignored_parameters[0];
  EXPECT_LT(name.size(), 80u);
  EXPECT_EQ(name.find_first_of("\x01\r\n"), std::string::npos);
}

// The default return keys of PS3.18 Tables 10.6.3-3 to 10.6.3-5, as far as the index holds them.
TEST(QidoParseTest, EachResourceReturnsItsDefaultKeys) {
  auto studies = Studies({});
  ASSERT_TRUE(studies.ok());
  for (Tag t : {kStudyDate, kPatientName, kPatientId, kStudyUid, Tag(0x0008, 0x0061),
                Tag(0x0020, 0x1206), Tag(0x0020, 0x1208)}) {
    EXPECT_TRUE(Has(studies->response_keys, t)) << t.ToString();
  }
  EXPECT_FALSE(Has(studies->response_keys, kModality));
  EXPECT_FALSE(Has(studies->response_keys, kStudyDescription));  // not a default: includefield
  EXPECT_FALSE(Has(studies->response_keys, Tag(0x0008, 0x0052)));

  auto all_series = Parse(QidoResource::kAllSeries, {});
  ASSERT_TRUE(all_series.ok());
  for (Tag t :
       {kModality, kSeriesUid, Tag(0x0020, 0x0011), Tag(0x0020, 0x1209), kPatientName, kStudyUid}) {
    EXPECT_TRUE(Has(all_series->response_keys, t)) << t.ToString();
  }

  auto study_series = Parse(QidoResource::kStudySeries, {}, "1.2.3");
  ASSERT_TRUE(study_series.ok());
  EXPECT_TRUE(Has(study_series->response_keys, kModality));
  EXPECT_TRUE(Has(study_series->response_keys, kStudyUid));  // the path's UID
  EXPECT_FALSE(Has(study_series->response_keys, kPatientName));

  auto series_instances = Parse(QidoResource::kSeriesInstances, {}, "1.2.3", "1.2.3.4");
  ASSERT_TRUE(series_instances.ok());
  for (Tag t : {kSopUid, Tag(0x0008, 0x0016), Tag(0x0020, 0x0013), Tag(0x0028, 0x0010),
                Tag(0x0028, 0x0011), Tag(0x0028, 0x0008), kStudyUid, kSeriesUid}) {
    EXPECT_TRUE(Has(series_instances->response_keys, t)) << t.ToString();
  }
  EXPECT_FALSE(Has(series_instances->response_keys, kModality));
  // Patient ID is a key BuildQuery adds for the index, not one this resource returns.
  EXPECT_TRUE(Has(series_instances->query.return_keys, kPatientId));
  EXPECT_FALSE(Has(series_instances->response_keys, kPatientId));

  auto study_instances = Parse(QidoResource::kStudyInstances, {}, "1.2.3");
  ASSERT_TRUE(study_instances.ok());
  EXPECT_TRUE(Has(study_instances->response_keys, kModality));
  EXPECT_FALSE(Has(study_instances->response_keys, kPatientName));

  auto all_instances = Parse(QidoResource::kAllInstances, {});
  ASSERT_TRUE(all_instances.ok());
  EXPECT_TRUE(Has(all_instances->response_keys, kPatientName));
  EXPECT_TRUE(Has(all_instances->response_keys, kModality));
  EXPECT_TRUE(Has(all_instances->response_keys, kSopUid));
}

TEST(QidoParseTest, MatchKeysAreReturned) {
  auto r = Studies({{"StudyDescription", "CT*"}});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Has(r->response_keys, kStudyDescription));
}

// ---- End to end against SqliteIndex ---------------------------------------------------------

// The instances of tests/data/query/cases.json, the fixture the index's matching cases use.
index::InstanceRecord FromFixture(const json& row) {
  auto get = [&row](const char* key) { return row.value(key, std::string()); };
  auto number = [&row](const char* key) -> std::optional<std::int64_t> {
    const std::string v = row.value(key, std::string());
    if (v.empty()) return std::nullopt;
    return std::stoll(v);
  };
  index::InstanceRecord r;
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
  if (r.instance.sop_instance_uid == "1.2.1.1.1") {
    r.instance.rows = 512;
    r.instance.columns = 256;
  }
  r.storage.blob_id = "blob-" + r.instance.sop_instance_uid;
  r.storage.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  r.storage.data_sha256 = r.instance.sop_instance_uid;
  r.storage.received_at = "2026-12-01T00:00:00Z";
  return r;
}

constexpr std::string_view kBase = "https://pacs.example.org:8443/dicom-web";

class QidoIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bastion-qido-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto opened = index::SqliteIndex::Open((dir_ / "index.sqlite").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    index_ = std::move(opened).value();
    std::ifstream in(std::string(BASTION_TEST_DATA_DIR) + "/query/cases.json");
    const json cases = json::parse(in);
    for (const json& row : cases["fixture"]) {
      auto added = index_->AddInstance(FromFixture(row));
      ASSERT_TRUE(added.ok()) << added.status().ToString();
    }
  }
  void TearDown() override {
    index_.reset();
    fs::remove_all(dir_);
  }

  // Parses, runs and encodes one search; the JSON array it answers, with `more` set to whether
  // the index had matches past the page.
  json Search(QidoResource resource, const Params& params, std::string_view study = {},
              std::string_view series = {}, const security::Scope& scope = {},
              bool* more = nullptr) {
    auto request = Parse(resource, params, study, series);
    EXPECT_TRUE(request.ok()) << request.status().ToString();
    if (!request.ok()) return json();
    request->query.scope = scope;
    auto matches = index_->Find(request->query);
    EXPECT_TRUE(matches.ok()) << matches.status().ToString();
    if (!matches.ok()) return json();
    if (more != nullptr) *more = MoreMatchesFollow(*matches, *request);
    auto body = EncodeQidoResponse(*matches, *request, kBase);
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    if (!body.ok()) return json();
    return json::parse(*body);
  }

  fs::path dir_;
  std::unique_ptr<index::SqliteIndex> index_;
};

std::string Text(const json& object, const char* tag) {
  if (!object.contains(tag) || !object[tag].contains("Value")) return "(none)";
  return object[tag]["Value"][0].get<std::string>();
}

std::vector<std::string> Uids(const json& array, const char* tag) {
  std::vector<std::string> out;
  for (const json& o : array) out.push_back(Text(o, tag));
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(QidoIndexTest, StudiesCarryDefaultsAndTheirRetrieveUrl) {
  const json r = Search(QidoResource::kAllStudies, {{"PatientID", "P1"}});
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.size(), 2u);
  const json& s = r[0];  // the index's order: first stored first
  EXPECT_EQ(Text(s, "0020000D"), "1.2.1");
  EXPECT_EQ(s["00081190"]["vr"], "UR");
  EXPECT_EQ(Text(s, "00081190"), std::string(kBase) + "/studies/1.2.1");
  EXPECT_EQ(s["00100010"]["vr"], "PN");
  EXPECT_EQ(s["00100010"]["Value"][0]["Alphabetic"], "Doe^Jane");
  EXPECT_EQ(Text(s, "00080020"), "20260105");
  EXPECT_EQ(Text(s, "00080050"), "A100");
  EXPECT_EQ(s["00080061"]["Value"], json::array({"CT", "SR"})) << s.dump();
  EXPECT_EQ(s["00201206"]["Value"][0], 2);
  EXPECT_EQ(s["00201208"]["Value"][0], 3);
  // Not the index's own keys, not attributes of other levels, no character set for ASCII.
  EXPECT_FALSE(s.contains("00080052"));
  EXPECT_FALSE(s.contains("00080005"));
  EXPECT_FALSE(s.contains("00080060"));
  EXPECT_FALSE(s.contains("00081030"));
}

TEST_F(QidoIndexTest, SeriesOfAStudyCarrySeriesDefaultsOnly) {
  const json r = Search(QidoResource::kStudySeries, {}, "1.2.1");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Uids(r, "0020000E"), (std::vector<std::string>{"1.2.1.1", "1.2.1.2"}));
  for (const json& s : r) {
    EXPECT_EQ(Text(s, "0020000D"), "1.2.1");
    EXPECT_EQ(Text(s, "00081190"),
              std::string(kBase) + "/studies/1.2.1/series/" + Text(s, "0020000E"));
    EXPECT_TRUE(s.contains("00080060"));
    EXPECT_TRUE(s.contains("00201209"));
    EXPECT_FALSE(s.contains("00100010"));
    EXPECT_FALSE(s.contains("00100020"));
  }
  const json all = Search(QidoResource::kAllSeries, {{"Modality", "MR"}});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["00100010"]["Value"][0]["Alphabetic"], "Doe^Jane");  // study defaults too
  EXPECT_EQ(Text(all[0], "00081190"), std::string(kBase) + "/studies/1.2.2/series/1.2.2.1");
}

TEST_F(QidoIndexTest, InstancesOfASeriesHaveInstanceRetrieveUrls) {
  const json r = Search(QidoResource::kSeriesInstances, {}, "1.2.1", "1.2.1.1");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Uids(r, "00080018"), (std::vector<std::string>{"1.2.1.1.1", "1.2.1.1.2"}));
  const json& first = r[0];
  EXPECT_EQ(Text(first, "00081190"),
            std::string(kBase) + "/studies/1.2.1/series/1.2.1.1/instances/1.2.1.1.1");
  EXPECT_EQ(first["00280010"]["Value"][0], 512);
  EXPECT_EQ(first["00280011"]["Value"][0], 256);
  EXPECT_EQ(first["00200013"]["Value"][0], 1);
  // Stored without rows: present, empty (a type 2 attribute with no value).
  EXPECT_TRUE(r[1].contains("00280010"));
  EXPECT_FALSE(r[1]["00280010"].contains("Value"));
  EXPECT_FALSE(first.contains("00080060"));
  // A series UID below another study matches nothing.
  EXPECT_TRUE(Search(QidoResource::kSeriesInstances, {}, "1.2.2", "1.2.1.1").empty());
}

TEST_F(QidoIndexTest, LimitAndOffsetPageThroughEveryMatchOnce) {
  std::vector<std::string> seen;
  std::vector<bool> mores;
  for (const char* offset : {"0", "2", "4"}) {
    bool more = false;
    const json page = Search(QidoResource::kAllInstances, {{"limit", "2"}, {"offset", offset}}, {},
                             {}, {}, &more);
    EXPECT_EQ(page.size(), 2u) << offset;
    for (const json& o : page) seen.push_back(Text(o, "00080018"));
    mores.push_back(more);
  }
  EXPECT_EQ(mores, (std::vector<bool>{true, true, false}));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"1.2.1.1.1", "1.2.1.1.2", "1.2.1.2.1", "1.2.2.1.1",
                                            "1.2.3.1.1", "1.2.4.1.1"}));
  bool more = true;
  EXPECT_TRUE(Search(QidoResource::kAllInstances, {{"offset", "6"}}, {}, {}, {}, &more).empty());
  EXPECT_FALSE(more);
}

TEST_F(QidoIndexTest, AMatchPastThePageIsNotWritten) {
  auto request = Parse(QidoResource::kAllStudies, {{"limit", "2"}});
  ASSERT_TRUE(request.ok());
  auto matches = index_->Find(request->query);
  ASSERT_TRUE(matches.ok());
  ASSERT_EQ(matches->size(), 3u);  // limit + 1: the signal that more follow
  EXPECT_TRUE(MoreMatchesFollow(*matches, *request));
  auto body = EncodeQidoResponse(*matches, *request, kBase);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(json::parse(*body).size(), 2u);
}

TEST_F(QidoIndexTest, TheCallersScopeIsHonoured) {
  auto scope = security::ParseScopeArguments({"institution=Clinic"});
  ASSERT_TRUE(scope.ok());
  const json studies = Search(QidoResource::kAllStudies, {}, {}, {}, *scope);
  EXPECT_EQ(Uids(studies, "0020000D"), (std::vector<std::string>{"1.2.3"}));
  // Naming an out-of-scope study finds nothing, at every level.
  EXPECT_TRUE(Search(QidoResource::kStudySeries, {}, "1.2.1", {}, *scope).empty());
  EXPECT_TRUE(
      Search(QidoResource::kAllInstances, {{"StudyInstanceUID", "1.2.1"}}, {}, {}, *scope).empty());
}

TEST_F(QidoIndexTest, PatientCountsAreNotRevealedUnderAScope) {
  const Params params{{"PatientID", "P1"}, {"includefield", "NumberOfPatientRelatedStudies"}};
  const json open = Search(QidoResource::kAllStudies, params);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0]["00201200"]["Value"][0], 2);
  auto scope = security::ParseScopeArguments({"referring_physician=Wilson^James"});
  ASSERT_TRUE(scope.ok());
  const json scoped = Search(QidoResource::kAllStudies, params, {}, {}, *scope);
  ASSERT_EQ(scoped.size(), 1u);
  EXPECT_EQ(Text(scoped[0], "0020000D"), "1.2.2");
  EXPECT_FALSE(scoped[0]["00201200"].contains("Value"));
}

TEST_F(QidoIndexTest, FuzzyMatchingFindsNamesByAnyComponentPrefix) {
  EXPECT_TRUE(Search(QidoResource::kAllStudies, {{"PatientName", "jan"}}).empty());
  const json fuzzy =
      Search(QidoResource::kAllStudies, {{"PatientName", "jan"}, {"fuzzymatching", "true"}});
  EXPECT_EQ(Uids(fuzzy, "0020000D"), (std::vector<std::string>{"1.2.1", "1.2.2"}));
  const json physician = Search(QidoResource::kAllStudies,
                                {{"ReferringPhysicianName", "WIL"}, {"fuzzymatching", "true"}});
  EXPECT_EQ(Uids(physician, "0020000D"), (std::vector<std::string>{"1.2.2"}));
  EXPECT_TRUE(Search(QidoResource::kAllStudies, {{"PatientName", "d%"}, {"fuzzymatching", "true"}})
                  .empty());
}

TEST_F(QidoIndexTest, NonAsciiNamesMatchAndComeBackAsUtf8) {
  const json r = Search(QidoResource::kAllStudies, {{"PatientName", "M\xC3\xBCller*"}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["00100010"]["Value"][0]["Alphabetic"], "M\xC3\xBCller^J\xC3\xB6rg");
  EXPECT_EQ(Text(r[0], "00080005"), "ISO_IR 192");
  // Fields stored empty come back with only their VR.
  EXPECT_EQ(r[0]["00080020"], json({{"vr", "DA"}}));
}

TEST_F(QidoIndexTest, UidListsWithCommasMatchEachUid) {
  const json r = Search(QidoResource::kAllStudies, {{"StudyInstanceUID", "1.2.1,1.2.3,9.9"}});
  EXPECT_EQ(Uids(r, "0020000D"), (std::vector<std::string>{"1.2.1", "1.2.3"}));
}

TEST_F(QidoIndexTest, DateRangesMatchAsInCFind) {
  const json r = Search(QidoResource::kAllStudies, {{"StudyDate", "20260101-"}});
  EXPECT_EQ(Uids(r, "0020000D"), (std::vector<std::string>{"1.2.1", "1.2.2"}));
}

TEST_F(QidoIndexTest, IncludeFieldsAreReturnedAndUnheldOnesLeftOut) {
  const json r = Search(QidoResource::kAllStudies,
                        {{"StudyInstanceUID", "1.2.1"},
                         {"includefield", "StudyDescription,00080080,ReferencedStudySequence"}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Text(r[0], "00081030"), "CT CHEST");
  EXPECT_EQ(Text(r[0], "00080080"), "General Hospital");
  EXPECT_FALSE(r[0].contains("00081110"));
  const json all =
      Search(QidoResource::kAllStudies, {{"StudyInstanceUID", "1.2.3"}, {"includefield", "all"}});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(Text(all[0], "00100021"), "OTHER");
  EXPECT_EQ(Text(all[0], "00081030"), "XR HAND");
  EXPECT_FALSE(all[0].contains("00080060"));
}

TEST_F(QidoIndexTest, NoMatchIsAnEmptyArray) {
  auto request = Parse(QidoResource::kAllStudies, {{"PatientID", "nobody"}});
  ASSERT_TRUE(request.ok());
  auto matches = index_->Find(request->query);
  ASSERT_TRUE(matches.ok());
  auto body = EncodeQidoResponse(*matches, *request, kBase);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, "[]");
}

TEST_F(QidoIndexTest, RetrieveUrlsFollowTheBaseUrlGiven) {
  auto request = Parse(QidoResource::kAllStudies, {{"StudyInstanceUID", "1.2.4"}});
  ASSERT_TRUE(request.ok());
  auto matches = index_->Find(request->query);
  ASSERT_TRUE(matches.ok());
  for (const auto& [base, want] : std::vector<std::pair<std::string, std::string>>{
           {"/dicom-web", "/dicom-web/studies/1.2.4"},
           {"https://h/dicom-web/", "https://h/dicom-web/studies/1.2.4"}}) {
    auto body = EncodeQidoResponse(*matches, *request, base);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(Text(json::parse(*body)[0], "00081190"), want);
  }
}

TEST(QidoEncodeTest, AMatchWithoutItsUidsIsOurError) {
  auto request = Parse(QidoResource::kAllSeries, {});
  ASSERT_TRUE(request.ok());
  dicom::DataSet match;
  match.SetString(kStudyUid, dicom::Vr::kUI, "1.2.3");
  std::vector<dicom::DataSet> matches{match};
  EXPECT_EQ(EncodeQidoResponse(matches, *request, kBase).status().code(), StatusCode::kInternal);
  matches[0].SetString(kSeriesUid, dicom::Vr::kUI, "1.2/../x");
  EXPECT_EQ(EncodeQidoResponse(matches, *request, kBase).status().code(), StatusCode::kInternal);
  matches[0].SetString(kSeriesUid, dicom::Vr::kUI, "1.2.3.4");
  EXPECT_TRUE(EncodeQidoResponse(matches, *request, kBase).ok());
}

}  // namespace
}  // namespace bastion::web::dicomweb

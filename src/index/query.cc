#include "index/query.h"

#include <algorithm>

#include "dicom/charset.h"
#include "dicom/tag.h"

namespace bastion::index {

namespace {

using dicom::Tag;
using dicom::Vr;

// The attributes the index holds, by level (PS3.4 C.6.1.1 and C.6.2.1 keys that archives are
// asked for). Columns are named "<table>.<column>" as in the SQLite schema (migrations.cc).
constexpr QueryAttribute kAttributes[] = {
    {Tag{0x0008, 0x0016}, QueryLevel::kImage, Vr::kUI, "instances.sop_class_uid", true},
    {Tag{0x0008, 0x0018}, QueryLevel::kImage, Vr::kUI, "instances.sop_instance_uid", true},
    {Tag{0x0008, 0x0020}, QueryLevel::kStudy, Vr::kDA, "studies.study_date", true},
    {Tag{0x0008, 0x0021}, QueryLevel::kSeries, Vr::kDA, "series.series_date", true},
    {Tag{0x0008, 0x0030}, QueryLevel::kStudy, Vr::kTM, "studies.study_time", true},
    {Tag{0x0008, 0x0031}, QueryLevel::kSeries, Vr::kTM, "series.series_time", true},
    {Tag{0x0008, 0x0050}, QueryLevel::kStudy, Vr::kSH, "studies.accession_number", true},
    {Tag{0x0008, 0x0060}, QueryLevel::kSeries, Vr::kCS, "series.modality", true},
    // Modalities in Study: returned from studies.modalities, matched through series.modality
    // (sqlite_find.cc; see query.h).
    {Tag{0x0008, 0x0061}, QueryLevel::kStudy, Vr::kCS, "studies.modalities", true},
    {Tag{0x0008, 0x0080}, QueryLevel::kStudy, Vr::kLO, "studies.institution_name", true},
    {Tag{0x0008, 0x0090}, QueryLevel::kStudy, Vr::kPN, "studies.referring_physician", true},
    {Tag{0x0008, 0x1030}, QueryLevel::kStudy, Vr::kLO, "studies.description", true},
    {Tag{0x0008, 0x103E}, QueryLevel::kSeries, Vr::kLO, "series.description", true},
    {Tag{0x0010, 0x0010}, QueryLevel::kPatient, Vr::kPN, "patients.name", true},
    {Tag{0x0010, 0x0020}, QueryLevel::kPatient, Vr::kLO, "patients.patient_id", true},
    {Tag{0x0010, 0x0021}, QueryLevel::kPatient, Vr::kLO, "patients.issuer", true},
    {Tag{0x0010, 0x0030}, QueryLevel::kPatient, Vr::kDA, "patients.birth_date", true},
    {Tag{0x0010, 0x0040}, QueryLevel::kPatient, Vr::kCS, "patients.sex", true},
    {Tag{0x0018, 0x0015}, QueryLevel::kSeries, Vr::kCS, "series.body_part", true},
    {Tag{0x0020, 0x000D}, QueryLevel::kStudy, Vr::kUI, "studies.study_uid", true},
    {Tag{0x0020, 0x000E}, QueryLevel::kSeries, Vr::kUI, "series.series_uid", true},
    {Tag{0x0020, 0x0010}, QueryLevel::kStudy, Vr::kSH, "studies.study_id", true},
    {Tag{0x0020, 0x0011}, QueryLevel::kSeries, Vr::kIS, "series.series_number", true},
    {Tag{0x0020, 0x0013}, QueryLevel::kImage, Vr::kIS, "instances.instance_number", true},
    {Tag{0x0020, 0x1200}, QueryLevel::kPatient, Vr::kIS, "patients.study_count", false},
    {Tag{0x0020, 0x1204}, QueryLevel::kPatient, Vr::kIS, "patients.instance_count", false},
    {Tag{0x0020, 0x1206}, QueryLevel::kStudy, Vr::kIS, "studies.series_count", false},
    {Tag{0x0020, 0x1208}, QueryLevel::kStudy, Vr::kIS, "studies.instance_count", false},
    {Tag{0x0020, 0x1209}, QueryLevel::kSeries, Vr::kIS, "series.instance_count", false},
    {Tag{0x0028, 0x0008}, QueryLevel::kImage, Vr::kIS, "instances.number_of_frames", false},
    {Tag{0x0028, 0x0010}, QueryLevel::kImage, Vr::kUS, "instances.rows", false},
    {Tag{0x0028, 0x0011}, QueryLevel::kImage, Vr::kUS, "instances.columns", false},
};

constexpr Tag kModalitiesInStudy{0x0008, 0x0061};

bool IsWildcard(std::string_view v) { return v.find_first_of("*?") != std::string_view::npos; }

// Modalities in Study (see query.h): its values, `\`-separated, repeats dropped. A value `*`
// makes the whole key universal (false: no match to add); an empty value between separators
// ("CT\\\\MR", "CT\\") is malformed rather than guessed at.
Result<bool> ModalitiesMatch(const std::string& text, KeyMatch& m) {
  std::vector<std::string> values;
  std::string_view rest = text;
  while (true) {
    const std::size_t end = rest.find('\\');
    std::string value(rest.substr(0, end));
    while (!value.empty() && value.back() == ' ') value.pop_back();  // CS padding
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (value.empty()) {
      return Status::Malformed("Modalities in Study (0008,0061) has an empty value in '" + text +
                               "'");
    }
    if (value == "*") return false;
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  m.tag = kModalitiesInStudy;
  if (values.size() == 1) {
    m.kind = IsWildcard(values[0]) ? MatchKind::kWildcard : MatchKind::kSingleValue;
    m.value = std::move(values[0]);
  } else {
    m.kind = MatchKind::kValueList;
    m.uids = std::move(values);
  }
  return true;
}

}  // namespace

std::span<const QueryAttribute> QueryAttributes() { return kAttributes; }

const QueryAttribute* FindQueryAttribute(Tag tag) {
  for (const QueryAttribute& a : kAttributes) {
    if (a.tag == tag) return &a;
  }
  return nullptr;
}

Tag UniqueKey(QueryLevel level) {
  switch (level) {
    case QueryLevel::kPatient:
      return Tag{0x0010, 0x0020};
    case QueryLevel::kStudy:
      return Tag{0x0020, 0x000D};
    case QueryLevel::kSeries:
      return Tag{0x0020, 0x000E};
    case QueryLevel::kImage:
      break;
  }
  return Tag{0x0008, 0x0018};
}

Result<QueryLevel> ParseQueryLevel(std::string_view text) {
  if (text == "PATIENT") return QueryLevel::kPatient;
  if (text == "STUDY") return QueryLevel::kStudy;
  if (text == "SERIES") return QueryLevel::kSeries;
  if (text == "IMAGE") return QueryLevel::kImage;
  return Status::Malformed(
      "Query/Retrieve Level (0008,0052) must be PATIENT, STUDY, SERIES or "
      "IMAGE, not '" +
      std::string(text) + "'");
}

std::string_view QueryLevelName(QueryLevel level) {
  switch (level) {
    case QueryLevel::kPatient:
      return "PATIENT";
    case QueryLevel::kStudy:
      return "STUDY";
    case QueryLevel::kSeries:
      return "SERIES";
    case QueryLevel::kImage:
      break;
  }
  return "IMAGE";
}

Result<Query> BuildQuery(QueryLevel level, const dicom::DataSet& identifier,
                         const QueryOptions& options) {
  Query q;
  q.level = level;
  q.options = options;
  // The index holds text as UTF-8: keys are decoded from the identifier's character set.
  auto charset = dicom::CharacterSet::FromDataSet(identifier);
  if (!charset.ok()) {
    return Status::Malformed("the identifier's Specific Character Set: " +
                             charset.status().message());
  }
  for (const dicom::Element& e : identifier.elements()) {
    if (e.tag.group == 0x0008 && (e.tag.element == 0x0052 || e.tag.element == 0x0005)) continue;
    if (e.tag.group == 0x0000 || e.tag.group == 0x0002) continue;
    q.return_keys.push_back(e.tag);
    const QueryAttribute* a = FindQueryAttribute(e.tag);
    // Sequences and keys the index does not hold: returned empty, not matched.
    if (a == nullptr || !a->matchable || e.is_sequence() || e.encapsulated) continue;
    if (a->level > level) continue;  // a key below the query level is not matched
    auto text = identifier.GetString(e.tag);
    if (!text || text->empty()) continue;  // universal matching
    if (a->vr == Vr::kPN || a->vr == Vr::kLO || a->vr == Vr::kSH) {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(text->data());
      auto decoded = charset->Decode(std::span<const std::uint8_t>(bytes, text->size()), a->vr);
      if (!decoded.ok()) {
        return Status::Malformed("the value of " + e.tag.ToString() +
                                 " does not decode: " + decoded.status().message());
      }
      text = *std::move(decoded);
    }
    KeyMatch m;
    m.tag = e.tag;
    if (e.tag == kModalitiesInStudy) {
      BASTION_ASSIGN_OR_RETURN(const bool matched, ModalitiesMatch(*text, m));
      if (matched) q.matches.push_back(std::move(m));
      continue;
    }
    if (a->vr == Vr::kUI) {
      auto uids = dicom::SplitStringValues(*text, Vr::kUI);
      if (uids.size() > 1) {
        m.kind = MatchKind::kUidList;
        m.uids = std::move(uids);
      } else {
        m.value = *text;
      }
    } else if ((a->vr == Vr::kDA || a->vr == Vr::kTM) && text->find('-') != std::string::npos) {
      const auto dash = text->find('-');
      if (text->find('-', dash + 1) != std::string::npos || text->size() == 1) {
        return Status::Malformed("invalid range '" + *text + "' for " + e.tag.ToString());
      }
      m.kind = MatchKind::kRange;
      m.low = text->substr(0, dash);
      m.high = text->substr(dash + 1);
    } else if (IsWildcard(*text)) {
      if (*text == "*") continue;  // `*` alone matches everything, including empty values
      m.kind = MatchKind::kWildcard;
      m.value = *text;
    } else {
      m.value = *text;
    }
    q.matches.push_back(std::move(m));
  }
  // The unique keys of this level and above are always returned.
  for (int l = 0; l <= static_cast<int>(level); ++l) {
    const Tag key = UniqueKey(static_cast<QueryLevel>(l));
    if (std::find(q.return_keys.begin(), q.return_keys.end(), key) == q.return_keys.end()) {
      q.return_keys.push_back(key);
    }
  }
  std::sort(q.return_keys.begin(), q.return_keys.end());
  return q;
}

}  // namespace bastion::index

#include "web/dicomweb/qido.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "dicom/dictionary.h"
#include "dicom/json_model.h"
#include "dicom/vr.h"

namespace bastion::web::dicomweb {

namespace {

using dicom::Tag;
using dicom::Vr;
using index::QueryLevel;

constexpr Tag kSpecificCharacterSet{0x0008, 0x0005};
constexpr Tag kSopInstanceUid{0x0008, 0x0018};
constexpr Tag kModalitiesInStudy{0x0008, 0x0061};
constexpr Tag kRetrieveUrl{0x0008, 0x1190};
constexpr Tag kStudyInstanceUid{0x0020, 0x000D};
constexpr Tag kSeriesInstanceUid{0x0020, 0x000E};

// PS3.18 Table 10.6.3-3, the study attributes every study match carries, as far as the index
// holds them (not Instance Availability, Timezone Offset From UTC; Retrieve URL is computed).
constexpr Tag kStudyDefaults[] = {
    {0x0008, 0x0020},  // Study Date
    {0x0008, 0x0030},  // Study Time
    {0x0008, 0x0050},  // Accession Number
    {0x0008, 0x0061},  // Modalities in Study
    {0x0008, 0x0090},  // Referring Physician's Name
    {0x0010, 0x0010},  // Patient's Name
    {0x0010, 0x0020},  // Patient ID
    {0x0010, 0x0030},  // Patient's Birth Date
    {0x0010, 0x0040},  // Patient's Sex
    {0x0020, 0x000D},  // Study Instance UID
    {0x0020, 0x0010},  // Study ID
    {0x0020, 0x1206},  // Number of Study Related Series
    {0x0020, 0x1208},  // Number of Study Related Instances
};
// PS3.18 Table 10.6.3-4 (not Timezone Offset From UTC, Performed Procedure Step Start Date and
// Time, Request Attributes Sequence).
constexpr Tag kSeriesDefaults[] = {
    {0x0008, 0x0060},  // Modality
    {0x0008, 0x103E},  // Series Description
    {0x0020, 0x000E},  // Series Instance UID
    {0x0020, 0x0011},  // Series Number
    {0x0020, 0x1209},  // Number of Series Related Instances
};
// PS3.18 Table 10.6.3-5 (not Instance Availability, Timezone Offset From UTC, Bits Allocated).
constexpr Tag kInstanceDefaults[] = {
    {0x0008, 0x0016},  // SOP Class UID
    {0x0008, 0x0018},  // SOP Instance UID
    {0x0020, 0x0013},  // Instance Number
    {0x0028, 0x0008},  // Number of Frames
    {0x0028, 0x0010},  // Rows
    {0x0028, 0x0011},  // Columns
};

// Untrusted text quoted in an error message: at most 64 bytes, printable ASCII, so that a
// message never carries control characters or megabytes into a response or a log.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const char c = text[i];
    out += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  if (text.size() > kMax) out += "...";
  return out + "'";
}

// "PatientName (0010,0010)", or the tag alone for an attribute without a keyword.
std::string Describe(Tag tag) {
  const dicom::DictionaryEntry* entry = dicom::LookupTag(tag);
  if (entry == nullptr || entry->keyword.empty()) return tag.ToString();
  return std::string(entry->keyword) + " " + tag.ToString();
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

// PS3.5 9.1: 1 to 64 characters, components of digits separated by single dots.
bool IsUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64 || uid.front() == '.' || uid.back() == '.') return false;
  char previous = '.';
  for (char c : uid) {
    if (c == '.' && previous == '.') return false;
    if (c != '.' && (c < '0' || c > '9')) return false;
    previous = c;
  }
  return true;
}

// An IS match value: an optional sign and 1 to 12 digits (PS3.5 IS holds at most 12 bytes).
bool IsIntegerString(std::string_view text) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) text.remove_prefix(1);
  if (text.empty() || text.size() > 12) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

enum class AttributeError : std::uint8_t { kNone, kNotAnAttribute, kPrivate, kUnknown };

// One attribute ID of PS3.18 8.3.4.1 without sequence paths: a keyword or eight hex digits.
AttributeError ParseAttributeId(std::string_view id, Tag& tag) {
  if (id.size() == 8 && std::all_of(id.begin(), id.end(), IsHexDigit)) {
    std::uint32_t value = 0;
    for (char c : id) {
      const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
      value = (value << 4) | static_cast<std::uint32_t>(digit);
    }
    tag = Tag::FromU32(value);
    if (tag.is_private()) return AttributeError::kPrivate;
    // Group lengths and delimiters are encoding artefacts, not attributes one can ask for.
    if (tag.is_group_length() || tag.is_delimiter_group() || dicom::LookupTag(tag) == nullptr) {
      return AttributeError::kUnknown;
    }
    return AttributeError::kNone;
  }
  const dicom::DictionaryEntry* entry = dicom::LookupKeyword(id);
  if (entry == nullptr) return AttributeError::kNotAnAttribute;
  tag = Tag::FromU32(entry->tag);
  return AttributeError::kNone;
}

// An attribute ID as a query key (`is_key`: the parameter name) or an include field. A dotted
// path whose every step is an attribute is a sequence path: understood, but unsupported.
Result<Tag> ReadAttribute(std::string_view id, bool is_key) {
  if (id.find('.') != std::string_view::npos) {
    std::string_view rest = id;
    bool all_attributes = true;
    while (all_attributes) {
      const std::size_t dot = rest.find('.');
      Tag step;
      all_attributes = ParseAttributeId(rest.substr(0, dot), step) == AttributeError::kNone;
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (all_attributes) {
      return Status::Unsupported("attribute paths into sequences such as " + Quote(id) +
                                 " are not supported: this archive does not match or return "
                                 "attributes inside sequences");
    }
    if (is_key) return Status::Malformed("unknown QIDO-RS parameter " + Quote(id));
    return Status::Malformed("includefield " + Quote(id) + " is not an attribute");
  }
  Tag tag;
  switch (ParseAttributeId(id, tag)) {
    case AttributeError::kNone:
      return tag;
    case AttributeError::kPrivate:
      return Status::Malformed("private attribute " + Quote(id) +
                               " cannot be queried or included: private tags have no meaning "
                               "without their creator");
    case AttributeError::kUnknown:
      return Status::Malformed("attribute " + Quote(id) + " is not in the DICOM dictionary");
    case AttributeError::kNotAnAttribute:
      break;
  }
  if (is_key) return Status::Malformed("unknown QIDO-RS parameter " + Quote(id));
  return Status::Malformed("includefield " + Quote(id) +
                           " is not an attribute keyword or tag (keywords are case-sensitive, "
                           "e.g. PatientName or 00100010)");
}

// A decimal count (limit, offset) that saturates instead of overflowing; nullopt when the text
// is not digits only (signs, spaces and the empty string included).
std::optional<std::uint64_t> ParseCount(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
  }
  return value;
}

bool HasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Whether the index holds a value for `tag` in a query at `level` (BuildQuery and Find return
// other keys empty).
bool Held(Tag tag, QueryLevel level) {
  const index::QueryAttribute* a = index::FindQueryAttribute(tag);
  return a != nullptr && a->level <= level;
}

// Checks a match value and rewrites it into the C-FIND grammar BuildQuery reads. Sets
// `non_ascii` when the value needs (0008,0005) ISO_IR 192.
Result<std::string> MatchValue(Tag tag, std::string value, QueryLevel level, bool& non_ascii) {
  const index::QueryAttribute* a = index::FindQueryAttribute(tag);
  if (a == nullptr || !a->matchable) {
    return Status::Unsupported("this archive cannot match on " + Describe(tag) +
                               "; name it in includefield to have it returned");
  }
  if (a->level > level) {
    return Status::Unsupported(Describe(tag) + " is an attribute of a lower level than " +
                               std::string(index::QueryLevelName(level)) +
                               " and cannot be matched by this search");
  }
  if (HasControlCharacter(value)) {
    return Status::Malformed("the value of " + Describe(tag) + " has a control character");
  }
  if (!IsAscii(value)) {
    if (!dicom::UsesSpecificCharacterSet(a->vr)) {
      return Status::Malformed("the value of " + Describe(tag) + " must be ASCII (VR " +
                               std::string(dicom::VrName(a->vr)) + ")");
    }
    non_ascii = true;
  }
  if (a->vr == Vr::kUI) {
    // PS3.18 8.3.4.1: a UID list is comma- or backslash-separated; C-FIND takes backslashes.
    std::replace(value.begin(), value.end(), ',', '\\');
    std::string_view rest = value;
    while (true) {
      const std::size_t end = rest.find('\\');
      if (!IsUid(rest.substr(0, end))) {
        return Status::Malformed("the value " + Quote(rest.substr(0, end)) + " of " +
                                 Describe(tag) + " is not a UID (a list separates UIDs with ',')");
      }
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    return value;
  }
  if (tag == kModalitiesInStudy) {
    // A list of modalities, ',' or '\\' separated: a study matches any of them (index/query.h).
    std::replace(value.begin(), value.end(), ',', '\\');
    std::string_view rest = value;
    while (true) {
      const std::size_t end = rest.find('\\');
      if (rest.substr(0, end).empty()) {
        return Status::Malformed("the value of " + Describe(tag) +
                                 " has an empty modality (a list separates them with ',')");
      }
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    return value;
  }
  if (value.find('\\') != std::string::npos) {
    return Status::Malformed("the value of " + Describe(tag) +
                             " has a backslash: only UID attributes and ModalitiesInStudy take a "
                             "list of values");
  }
  if (a->vr == Vr::kIS && !IsIntegerString(value)) {
    return Status::Malformed("the value " + Quote(value) + " of " + Describe(tag) +
                             " is not an integer");
  }
  return value;
}

// An element of `tag` with no value, for a return key.
dicom::Element EmptyElement(Tag tag) {
  const dicom::DictionaryEntry* entry = dicom::LookupTag(tag);
  dicom::Element e;
  e.tag = tag;
  e.vr = entry != nullptr ? entry->vr : Vr::kUN;
  return e;
}

bool Contains(const std::vector<Tag>& tags, Tag tag) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

// Whether any text of `ds` affected by Specific Character Set has a non-ASCII byte.
bool HasNonAsciiText(const dicom::DataSet& ds) {
  for (const dicom::Element& e : ds.elements()) {
    if (!dicom::UsesSpecificCharacterSet(e.vr)) continue;
    const auto bytes = e.value.view();
    if (std::any_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b >= 0x80; })) {
      return true;
    }
  }
  return false;
}

// A UID of a match for its Retrieve URL; the index validated it at ingest, so its absence or
// damage is ours.
Result<std::string> MatchUid(const dicom::DataSet& match, Tag tag) {
  auto uid = match.GetString(tag);
  if (!uid || !IsUid(*uid)) {
    return Status::Internal("a QIDO-RS match has no valid " + Describe(tag) +
                            " for its Retrieve URL");
  }
  return *std::move(uid);
}

}  // namespace

index::QueryLevel QidoLevel(QidoResource resource) {
  switch (resource) {
    case QidoResource::kAllStudies:
      return QueryLevel::kStudy;
    case QidoResource::kAllSeries:
    case QidoResource::kStudySeries:
      return QueryLevel::kSeries;
    case QidoResource::kAllInstances:
    case QidoResource::kStudyInstances:
    case QidoResource::kSeriesInstances:
      break;
  }
  return QueryLevel::kImage;
}

Result<QidoRequest> ParseQidoRequest(QidoResource resource, std::string_view study_uid,
                                     std::string_view series_uid,
                                     std::span<const std::pair<std::string, std::string>> params,
                                     const QidoLimits& limits, const index::QueryOptions& options) {
  if (params.size() > limits.max_parameters) {
    return Status::LimitExceeded("the QIDO-RS request has " + std::to_string(params.size()) +
                                 " query parameters; at most " +
                                 std::to_string(limits.max_parameters) + " are accepted");
  }
  const QueryLevel level = QidoLevel(resource);
  const bool path_study = resource == QidoResource::kStudySeries ||
                          resource == QidoResource::kStudyInstances ||
                          resource == QidoResource::kSeriesInstances;
  const bool path_series = resource == QidoResource::kSeriesInstances;
  if ((!path_study && !study_uid.empty()) || (!path_series && !series_uid.empty())) {
    return Status::Internal("a UID was given for a QIDO-RS resource whose path has none");
  }
  if (path_study && !IsUid(study_uid)) {
    return Status::Malformed("the Study Instance UID " + Quote(study_uid) +
                             " of the path is not a UID");
  }
  if (path_series && !IsUid(series_uid)) {
    return Status::Malformed("the Series Instance UID " + Quote(series_uid) +
                             " of the path is not a UID");
  }

  QidoRequest request;
  bool have_limit = false, have_offset = false, have_fuzzy = false;
  std::uint64_t limit = limits.max_limit;
  std::vector<std::pair<Tag, std::string>> keys;  // match keys and their values, as sent
  for (const auto& [name, value] : params) {
    if (name.size() > limits.max_value_length || value.size() > limits.max_value_length) {
      return Status::LimitExceeded("the QIDO-RS parameter " + Quote(name) + " is longer than " +
                                   std::to_string(limits.max_value_length) + " bytes");
    }
    if (name == "includefield") {
      // PS3.18 8.3.4.3: repeatable, each a comma-separated list of attribute IDs, or "all".
      std::string_view rest = value;
      while (true) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        if (item.empty()) {
          return Status::Malformed("includefield " + Quote(value) + " has an empty attribute");
        }
        if (item == "all") {
          request.include_all = true;
        } else {
          BASTION_ASSIGN_OR_RETURN(Tag tag, ReadAttribute(item, false));
          if (!Contains(request.include_fields, tag)) {
            if (request.include_fields.size() >= limits.max_include_fields) {
              return Status::LimitExceeded(
                  "more than " + std::to_string(limits.max_include_fields) + " include fields");
            }
            request.include_fields.push_back(tag);
          }
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (name == "limit" || name == "offset") {
      bool& seen = name == "limit" ? have_limit : have_offset;
      if (seen) return Status::Malformed("the QIDO-RS parameter " + name + " is repeated");
      seen = true;
      const std::optional<std::uint64_t> count = ParseCount(value);
      if (!count) {
        return Status::Malformed(name + " must be a non-negative decimal integer, not " +
                                 Quote(value));
      }
      if (name == "limit") {
        if (*count == 0) return Status::Malformed("limit must be at least 1");
        limit = *count;
      } else {
        if (*count > limits.max_offset) {
          return Status::LimitExceeded("offset " + Quote(value) + " is above the maximum of " +
                                       std::to_string(limits.max_offset));
        }
        request.offset = static_cast<std::size_t>(*count);
      }
    } else if (name == "fuzzymatching") {
      if (have_fuzzy) return Status::Malformed("the QIDO-RS parameter fuzzymatching is repeated");
      have_fuzzy = true;
      if (value != "true" && value != "false") {
        return Status::Malformed("fuzzymatching must be true or false, not " + Quote(value));
      }
      request.fuzzy = value == "true";
    } else if (name == "accept" || name == "charset") {
      // PS3.18 8.3.3: content negotiation, read by the service with the Accept header
      // (negotiation.h); not a match key.
    } else if (name == "emptyvaluematching" || name == "multiplevaluematching") {
      // PS3.18 8.3.4.5 and 8.3.4.6: optional for the origin server. Neither is performed (a
      // list of modalities always matches any of them, see index/query.h); "true" is answered
      // with the Warning those sections prescribe, and a value other than true/false is invalid.
      if (value != "true" && value != "false") {
        return Status::Malformed(name + " must be true or false, not " + Quote(value));
      }
      const auto& listed = request.unsupported_parameters;
      if (value == "true" && std::find(listed.begin(), listed.end(), name) == listed.end()) {
        request.unsupported_parameters.push_back(name);
      }
    } else {
      auto read = ReadAttribute(name, true);
      if (!read.ok()) {
        // PS3.18 8.3: "The origin server shall ignore any unsupported Query Parameters" and
        // process the request as if they were not present; named in a Warning (the caller's).
        // An unknown name, an unknown or private attribute, a sequence path.
        request.ignored_parameters.push_back(Quote(name));
        continue;
      }
      const Tag tag = *read;
      for (const auto& key : keys) {
        if (key.first == tag) {
          return Status::Malformed("the match key " + Describe(tag) + " is repeated");
        }
      }
      if ((path_study && tag == kStudyInstanceUid) || (path_series && tag == kSeriesInstanceUid)) {
        return Status::Malformed(Describe(tag) + " is given by the path and cannot be matched");
      }
      keys.emplace_back(tag, value);
    }
  }
  request.limit_clamped = limit > limits.max_limit;
  request.limit = static_cast<std::size_t>(std::min<std::uint64_t>(limit, limits.max_limit));

  // The C-FIND identifier: match keys with their values, every other key empty.
  dicom::DataSet identifier;
  bool non_ascii = false;
  std::vector<Tag> wanted;  // keys the response carries when the index holds them
  for (auto& [tag, value] : keys) {
    wanted.push_back(tag);
    if (value.empty()) {  // universal matching: a return key (PS3.4 C.2.2.2.3)
      identifier.Insert(EmptyElement(tag));
      if (!Held(tag, level)) request.unsupported_include_fields.push_back(tag);
      continue;
    }
    auto text = MatchValue(tag, std::move(value), level, non_ascii);
    if (!text.ok() && text.status().code() == StatusCode::kUnsupported) {
      // A key this archive cannot match on (PS3.4 C.2.2.1.3 lets an SCP not match optional
      // keys) or one of a lower level: not matched, as PS3.18 8.3 says of unsupported
      // parameters, and named in a Warning. Returned when the index holds it at this level.
      request.ignored_parameters.push_back(Describe(tag));
      if (Held(tag, level)) identifier.Insert(EmptyElement(tag));
      continue;
    }
    if (!text.ok()) return text.status();
    identifier.SetString(tag, index::FindQueryAttribute(tag)->vr, *text);
  }
  if (path_study) {
    identifier.SetString(kStudyInstanceUid, Vr::kUI, study_uid);
    wanted.push_back(kStudyInstanceUid);
  }
  if (path_series) {
    identifier.SetString(kSeriesInstanceUid, Vr::kUI, series_uid);
    wanted.push_back(kSeriesInstanceUid);
  }
  // PS3.18 10.6.3: a search below a study or series carries the defaults of its own levels
  // only; /series adds the study's, /instances the study's and the series'.
  std::vector<Tag> defaults;
  const bool study_defaults = resource == QidoResource::kAllStudies ||
                              resource == QidoResource::kAllSeries ||
                              resource == QidoResource::kAllInstances;
  const bool series_defaults =
      resource == QidoResource::kAllSeries || resource == QidoResource::kStudySeries ||
      resource == QidoResource::kAllInstances || resource == QidoResource::kStudyInstances;
  if (study_defaults)
    defaults.insert(defaults.end(), std::begin(kStudyDefaults), std::end(kStudyDefaults));
  if (series_defaults) {
    defaults.insert(defaults.end(), std::begin(kSeriesDefaults), std::end(kSeriesDefaults));
  }
  if (level == QueryLevel::kImage) {
    defaults.insert(defaults.end(), std::begin(kInstanceDefaults), std::end(kInstanceDefaults));
  }
  if (request.include_all) {
    // Everything the index holds at this level or above (none of its attributes is private).
    for (const index::QueryAttribute& a : index::QueryAttributes()) {
      if (a.level <= level) defaults.push_back(a.tag);
    }
  }
  for (Tag tag : request.include_fields) {
    defaults.push_back(tag);
    if (!Held(tag, level) && !Contains(request.unsupported_include_fields, tag)) {
      request.unsupported_include_fields.push_back(tag);
    }
  }
  for (Tag tag : defaults) {
    wanted.push_back(tag);
    if (!identifier.Contains(tag)) identifier.Insert(EmptyElement(tag));
  }
  // JSON text is UTF-8; BuildQuery decodes the keys through this character set.
  if (non_ascii) identifier.SetString(kSpecificCharacterSet, Vr::kCS, "ISO_IR 192");

  index::QueryOptions query_options = options;
  query_options.max_results = request.limit;
  query_options.offset = request.offset;
  query_options.fuzzy_person_names = request.fuzzy;
  BASTION_ASSIGN_OR_RETURN(request.query, index::BuildQuery(level, identifier, query_options));

  for (Tag tag : wanted) {
    if (Held(tag, level) && !Contains(request.response_keys, tag)) {
      request.response_keys.push_back(tag);
    }
  }
  std::sort(request.response_keys.begin(), request.response_keys.end());
  return request;
}

bool MoreMatchesFollow(std::span<const dicom::DataSet> matches, const QidoRequest& request) {
  return matches.size() > request.limit;
}

Result<std::string> EncodeQidoResponse(std::span<const dicom::DataSet> matches,
                                       const QidoRequest& request, std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  const QueryLevel level = request.query.level;
  // A stored name whose character set did not decode was kept as its raw bytes (index/
  // instance_record.h); written leniently (U+FFFD) it costs one name, not the whole response.
  dicom::JsonEncodeOptions json_options;
  json_options.lenient_values = true;
  std::string out = "[";
  const std::size_t count = std::min(matches.size(), request.limit);
  for (std::size_t i = 0; i < count; ++i) {
    const dicom::DataSet& match = matches[i];
    dicom::DataSet object;
    for (Tag tag : request.response_keys) {
      if (const dicom::Element* e = match.Find(tag)) object.Insert(*e);
    }
    BASTION_ASSIGN_OR_RETURN(std::string study, MatchUid(match, kStudyInstanceUid));
    std::string url = std::string(base_url) + "/studies/" + study;
    if (level >= QueryLevel::kSeries) {
      BASTION_ASSIGN_OR_RETURN(std::string series, MatchUid(match, kSeriesInstanceUid));
      url += "/series/" + series;
    }
    if (level == QueryLevel::kImage) {
      BASTION_ASSIGN_OR_RETURN(std::string sop, MatchUid(match, kSopInstanceUid));
      url += "/instances/" + sop;
    }
    object.SetString(kRetrieveUrl, Vr::kUR, url);
    if (HasNonAsciiText(object)) object.SetString(kSpecificCharacterSet, Vr::kCS, "ISO_IR 192");
    BASTION_ASSIGN_OR_RETURN(std::string json, dicom::EncodeJson(object, json_options));
    if (i > 0) out += ',';
    out += json;
  }
  out += ']';
  return out;
}

}  // namespace bastion::web::dicomweb

// C-FIND query model (PS3.4 C.2.2.2, C.4.1): what a query identifier asks the index for, built
// from the identifier data set and run by an Index backend. The same model will serve QIDO-RS.
//
// Matching kinds: universal (empty value), single value, wildcard (`*` and `?`; any SQL
// metacharacter in the value is matched literally), range (dates and times, `a-b`, `-b`, `a-`),
// lists of UIDs (`\`-separated), and lists of values for Modalities in Study (0008,0061).
// Person names may match case-insensitively (an option).
// Modalities in Study is a study's aggregate of its series' Modality (0008,0060): a study
// matches when the Modality of one of its series matches one of the key's values, each value
// single or wildcard (PS3.4 C.6.1.1.3 and C.2.2.2.1: a multi-valued attribute matches when any
// of its values does; a key of several values matches any of them, as Multiple Value Matching,
// C.2.2.2.8, defines). Matching each series' Modality, not the joined text, keeps a wildcard
// from spanning two modalities ("C*R" does not match a study of CT and MR series).
// Two options serve QIDO-RS (PS3.18 8.3.4): an offset into the matches for paging, and fuzzy
// matching of person names (see QueryOptions::fuzzy_person_names for the rule).
// Keys the index does not hold are returned empty (PS3.4 C.2.2.1.3 allows an SCP to not
// support matching on optional keys).
// Thread-safety: values and stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"
#include "security/scope.h"

namespace bastion::index {

enum class QueryLevel : std::uint8_t { kPatient, kStudy, kSeries, kImage };

// "PATIENT", "STUDY", "SERIES", "IMAGE" (Query/Retrieve Level, (0008,0052)).
Result<QueryLevel> ParseQueryLevel(std::string_view text);
std::string_view QueryLevelName(QueryLevel level);

enum class MatchKind : std::uint8_t {
  kSingleValue,
  kWildcard,
  kRange,
  kUidList,
  kValueList,  // Modalities in Study with several values: any of `uids`, each single or wildcard
};

struct KeyMatch {
  dicom::Tag tag;
  MatchKind kind = MatchKind::kSingleValue;
  std::string value;      // single value or wildcard pattern
  std::string low, high;  // range bounds; empty = open
  // kUidList: the UIDs; kValueList: the values (the one list field serves both, so that
  // aggregate initializers of KeyMatch stay valid).
  std::vector<std::string> uids;
};

struct QueryOptions {
  bool case_insensitive_person_names = true;
  std::size_t max_results = 10000;  // the cap on matches one query returns
  // Matches skipped before the first one returned, in the index's stable order (the order the
  // entities were first stored): QIDO-RS paging (PS3.18 8.3.4.4). C-FIND leaves it 0.
  std::size_t offset = 0;
  // Fuzzy matching of person names (QIDO-RS fuzzymatching=true; PS3.18 8.3.4.2 leaves its
  // semantics to the server). Ours: a PN value without wildcards matches, ignoring ASCII case,
  // every name in which some name component begins with the value. Components start at the
  // beginning of the name and after each '^' (component), '=' (component group) or ' '
  // (a word within a component); ' ', '^' and '=' in the value are taken as equivalent
  // separators. "smi" matches "SMITH^JOHN" and "JONES^SMITHY"; "smith john" matches
  // "Smith^John"; "mit" matches neither. A value with wildcards is matched as a pattern, as
  // without the option.
  bool fuzzy_person_names = false;
};

struct Query {
  QueryLevel level = QueryLevel::kStudy;
  std::vector<dicom::Tag> return_keys;  // every key of the identifier, in tag order
  std::vector<KeyMatch> matches;        // the keys with a value to match
  QueryOptions options;
  // Only studies in scope match, at every level (a patient matches through its studies in
  // scope). Set from the caller's identity, never from the identifier.
  security::Scope scope;
};

// Builds the query for `level` from a C-FIND identifier. Malformed for an invalid range or a
// key above `level`'s hierarchy that carries a non-unique match in a way PS3.4 forbids.
Result<Query> BuildQuery(QueryLevel level, const dicom::DataSet& identifier,
                         const QueryOptions& options = {});

// What the index knows about an attribute used in queries: its level, VR and how it matches.
struct QueryAttribute {
  dicom::Tag tag;
  QueryLevel level;
  dicom::Vr vr;
  std::string_view column;  // backend-neutral name ("study.study_date"); see the backends
  bool matchable;           // false: return-only (counts, frames, rows, columns)
};
// nullptr when the index holds no such attribute.
const QueryAttribute* FindQueryAttribute(dicom::Tag tag);
std::span<const QueryAttribute> QueryAttributes();

// The unique key of a level: Patient ID, Study/Series Instance UID, SOP Instance UID.
dicom::Tag UniqueKey(QueryLevel level);

}  // namespace bastion::index

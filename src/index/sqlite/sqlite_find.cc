// SqliteIndex::Find: a Query (index/query.h) as one SELECT with bound parameters. Values from
// the caller are never part of the SQL text; wildcard patterns are translated to LIKE with every
// LIKE metacharacter of the value escaped, so `%`, `_` and `\` match themselves. Fuzzy person
// name matching (QueryOptions::fuzzy_person_names) is a LIKE too, built the same way.
// Modalities in Study is matched through the series table (index/query.h), as
// `studies.id IN (SELECT study_ref FROM series WHERE <modality matches>)`: with the index on
// series(modality, study_ref) (schema version 5) the subquery reads only the matching series,
// so a rare or absent modality costs an index probe rather than a pass over every study.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "dicom/dictionary.h"
#include "index/sqlite/instance_rows.h"
#include "index/sqlite/sqlite_index.h"
#include "index/sqlite/statement.h"

namespace bastion::index {

namespace {

using dicom::Vr;

// Columns kept folded to lower case (with SQLite's ASCII lower(), as queries fold values) in an
// indexed twin: case-insensitive matching uses the twin instead of lower() over every row.
std::string_view FoldedTwin(std::string_view column) {
  return column == "patients.name" ? "patients.name_folded" : "";
}

std::string AsciiLower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// The literal text before a pattern's first wildcard.
std::string LiteralPrefix(std::string_view wildcard) {
  return std::string(wildcard.substr(0, wildcard.find_first_of("*?")));
}

// PS3.4 C.2.2.2.4: `*` any sequence, `?` one character; everything else literal.
std::string LikePattern(std::string_view wildcard) {
  std::string out;
  for (char c : wildcard) {
    if (c == '*') {
      out += '%';
    } else if (c == '?') {
      out += '_';
    } else {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

const char* FromClause(QueryLevel level) {
  switch (level) {
    case QueryLevel::kPatient:
      return " FROM patients";
    case QueryLevel::kStudy:
      return " FROM studies JOIN patients ON studies.patient_ref = patients.id";
    case QueryLevel::kSeries:
      return " FROM series JOIN studies ON series.study_ref = studies.id"
             " JOIN patients ON studies.patient_ref = patients.id";
    case QueryLevel::kImage:
      break;
  }
  return " FROM instances JOIN series ON instances.series_ref = series.id"
         " JOIN studies ON series.study_ref = studies.id"
         " JOIN patients ON studies.patient_ref = patients.id";
}

const char* OrderColumn(QueryLevel level) {
  switch (level) {
    case QueryLevel::kPatient:
      return "patients.id";
    case QueryLevel::kStudy:
      return "studies.id";
    case QueryLevel::kSeries:
      return "series.id";
    case QueryLevel::kImage:
      break;
  }
  return "instances.id";
}

struct Parameter {
  bool is_int = false;
  std::string text;
  std::int64_t number = 0;
};

// "?, ?, ?" for `values`, appended to `params`.
std::string Placeholders(const std::vector<std::string>& values, std::vector<Parameter>& params) {
  std::string out;
  for (const std::string& v : values) {
    out += out.empty() ? "?" : ", ?";
    params.push_back({false, v, 0});
  }
  return out;
}

// The fuzzy rule of QueryOptions::fuzzy_person_names over `lhs` (the name, folded): with every
// separator made '^' and a '^' put in front, some component begins with the value exactly when
// the name contains '^' + value. The value's separators are made '^' too; it has no wildcards.
std::string FuzzyNameClause(const std::string& lhs, const std::string& rhs, std::string value,
                            std::vector<Parameter>& params) {
  for (char& c : value) {
    if (c == ' ' || c == '=') c = '^';
  }
  params.push_back({false, "%^" + LikePattern(value) + "%", 0});
  return "('^' || replace(replace(" + lhs + ", ' ', '^'), '=', '^')) LIKE " + rhs + " ESCAPE '\\'";
}

// Modalities in Study (0008,0061) of `m`: some series of the study has a matching Modality.
std::string ModalitiesInStudyClause(const KeyMatch& m, std::vector<Parameter>& params) {
  std::vector<std::string> values;
  if (m.kind == MatchKind::kValueList) {
    values = m.uids;
  } else {
    values.push_back(m.value);
  }
  std::vector<std::string> exact;
  std::string condition;
  for (const std::string& v : values) {
    if (v.find_first_of("*?") == std::string::npos) {
      exact.push_back(v);
      continue;
    }
    std::string like = "s.modality LIKE ? ESCAPE '\\'";
    params.push_back({false, LikePattern(v), 0});
    if (const std::string prefix = LiteralPrefix(v); !prefix.empty()) {
      like += " AND s.modality >= ? AND s.modality < ?";
      params.push_back({false, prefix, 0});
      params.push_back({false, prefix + '\xFF', 0});
    }
    condition += (condition.empty() ? "(" : " OR (") + like + ")";
  }
  if (!exact.empty()) {
    condition += (condition.empty() ? "" : " OR ") + std::string("s.modality IN (") +
                 Placeholders(exact, params) + ")";
  }
  return "studies.id IN (SELECT s.study_ref FROM series AS s WHERE " + condition + ")";
}

// security::Scope over the row's study (studies.*, patients.*): every condition holds.
std::string ScopeCondition(const security::Scope& scope, std::vector<Parameter>& params) {
  std::string out;
  for (const security::ScopeCondition& c : scope.conditions) {
    std::string clause;
    switch (c.attribute) {
      case security::ScopeAttribute::kInstitution:
        clause = "studies.institution_name IN (" + Placeholders(c.values, params) + ")";
        break;
      case security::ScopeAttribute::kReferringPhysician:
        clause = "studies.referring_physician IN (" + Placeholders(c.values, params) + ")";
        break;
      case security::ScopeAttribute::kIssuerOfPatientId:
        clause =
            "(SELECT issuer FROM patients AS owner WHERE owner.id = studies.patient_ref) IN (" +
            Placeholders(c.values, params) + ")";
        break;
      case security::ScopeAttribute::kLabel:
        clause =
            "EXISTS (SELECT 1 FROM study_labels WHERE study_labels.study_ref = studies.id "
            "AND study_labels.label IN (" +
            Placeholders(c.values, params) + "))";
        break;
    }
    out += (out.empty() ? "(" : " AND ") + clause;
  }
  return out + ")";
}

// The WHERE clause of `query`'s key matches and scope, with its parameters in order.
Result<std::string> WhereClause(const Query& query, std::vector<Parameter>& params) {
  std::string where;
  auto add = [&where](const std::string& clause) {
    where += (where.empty() ? " WHERE " : " AND ") + clause;
  };
  for (const KeyMatch& m : query.matches) {
    const QueryAttribute* a = FindQueryAttribute(m.tag);
    if (a == nullptr) continue;
    if (m.tag == dicom::Tag{0x0008, 0x0061}) {
      add(ModalitiesInStudyClause(m, params));
      continue;
    }
    // Fuzzy matching ignores case whatever case_insensitive_person_names says.
    const bool fuzzy =
        a->vr == Vr::kPN && m.kind == MatchKind::kSingleValue && query.options.fuzzy_person_names;
    const bool fold = a->vr == Vr::kPN && (query.options.case_insensitive_person_names || fuzzy);
    const std::string_view twin = fold ? FoldedTwin(a->column) : "";
    const std::string column(twin.empty() ? a->column : twin);
    // With a folded twin the value is folded here; without one, both sides in SQL.
    const bool fold_in_sql = fold && twin.empty();
    const std::string lhs = fold_in_sql ? "lower(" + column + ")" : column;
    const std::string rhs = fold_in_sql ? "lower(?)" : "?";
    auto value = [&](const std::string& v) { return twin.empty() ? v : AsciiLower(v); };
    std::string clause;
    switch (m.kind) {
      case MatchKind::kSingleValue:
        if (fuzzy) {
          clause = FuzzyNameClause(lhs, rhs, value(m.value), params);
        } else if (a->vr == Vr::kIS) {
          char* end = nullptr;
          const long long v = std::strtoll(m.value.c_str(), &end, 10);
          if (end == m.value.c_str() || *end != '\0') {
            return Status::Malformed("the value '" + m.value + "' of " + m.tag.ToString() +
                                     " is not an integer string");
          }
          clause = column + " = ?";
          params.push_back({true, "", v});
        } else {
          clause = lhs + " = " + rhs;
          params.push_back({false, value(m.value), 0});
        }
        break;
      case MatchKind::kWildcard: {
        clause = lhs + " LIKE " + rhs + " ESCAPE '\\'";
        params.push_back({false, LikePattern(value(m.value)), 0});
        // A literal prefix bounds the column's range, so that its index is used: every string
        // starting with `prefix` lies in [prefix, prefix + 0xFF), UTF-8 having no 0xFF byte.
        const std::string prefix = LiteralPrefix(value(m.value));
        if (!prefix.empty() && !fold_in_sql) {
          clause += " AND " + column + " >= ? AND " + column + " < ?";
          params.push_back({false, prefix, 0});
          params.push_back({false, prefix + '\xFF', 0});
        }
        break;
      }
      case MatchKind::kRange:
        // An empty value never lies in a range.
        clause = column + " <> ''";
        if (!m.low.empty()) {
          clause += " AND " + column + " >= ?";
          params.push_back({false, m.low, 0});
        }
        if (!m.high.empty()) {
          clause += " AND " + column + " <= ?";
          params.push_back({false, m.high, 0});
        }
        break;
      case MatchKind::kUidList:
      case MatchKind::kValueList:
        clause = column + " IN (" + Placeholders(m.uids, params) + ")";
        break;
    }
    add(clause);
  }
  if (!query.scope.unrestricted()) {
    // Below patient level the row has its study; a patient is seen through its studies in
    // scope.
    const std::string condition = ScopeCondition(query.scope, params);
    add(query.level == QueryLevel::kPatient
            ? "EXISTS (SELECT 1 FROM studies WHERE studies.patient_ref = patients.id AND " +
                  condition + ")"
            : condition);
  }
  return where;
}

// Binds `params` in order.
void BindAll(sqlite::Stmt& s, const std::vector<Parameter>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    if (params[i].is_int) {
      s.Bind(index, params[i].number);
    } else {
      s.Bind(index, std::string_view(params[i].text));
    }
  }
}

}  // namespace

Result<std::vector<dicom::DataSet>> SqliteIndex::Find(const Query& query) {
  // Columns: the return keys the index holds at this level or above.
  std::string sql = "SELECT ";
  std::vector<const QueryAttribute*> selected;
  for (dicom::Tag tag : query.return_keys) {
    const QueryAttribute* a = FindQueryAttribute(tag);
    if (a == nullptr || a->level > query.level) continue;
    sql += (selected.empty() ? "" : ", ") + std::string(a->column);
    selected.push_back(a);
  }
  if (selected.empty()) sql += "1";
  sql += FromClause(query.level);

  std::vector<Parameter> params;
  BASTION_ASSIGN_OR_RETURN(std::string where, WhereClause(query, params));
  sql += where + " ORDER BY " + OrderColumn(query.level) + " LIMIT ? OFFSET ?";
  params.push_back({true, "", static_cast<std::int64_t>(query.options.max_results) + 1});
  // The stable order (ids grow as entities are stored) makes pages of one query disjoint.
  constexpr std::size_t kMaxOffset = std::numeric_limits<std::int64_t>::max();
  params.push_back(
      {true, "", static_cast<std::int64_t>(std::min(query.options.offset, kMaxOffset))});
  // A patient's counts cover all of its studies, in scope or not: not returned under a scope,
  // at any level (a study or QIDO-RS query may ask for them as return keys too).
  const bool hide_patient_counts = !query.scope.unrestricted();

  std::lock_guard<std::mutex> lock(mutex_);
  sqlite::Stmt s;
  BASTION_RETURN_IF_ERROR(s.Prepare(db_, sql.c_str()));
  BindAll(s, params);
  std::vector<dicom::DataSet> rows;
  while (true) {
    BASTION_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    dicom::DataSet ds;
    ds.SetString(dicom::Tag{0x0008, 0x0052}, Vr::kCS, QueryLevelName(query.level));
    for (dicom::Tag tag : query.return_keys) {
      const QueryAttribute* a = FindQueryAttribute(tag);
      const auto it = std::find(selected.begin(), selected.end(), a);
      if (a == nullptr || it == selected.end() ||
          (hide_patient_counts && a->level == QueryLevel::kPatient && !a->matchable)) {
        // Not held by the index, or below the query level: returned empty.
        const dicom::DictionaryEntry* entry = dicom::LookupTag(tag);
        dicom::Element empty;
        empty.tag = tag;
        empty.vr = entry != nullptr ? entry->vr : Vr::kUN;
        ds.Insert(std::move(empty));
        continue;
      }
      const int col = static_cast<int>(it - selected.begin());
      if (a->vr == Vr::kUS) {
        if (s.IsNull(col)) {
          dicom::Element empty;
          empty.tag = tag;
          empty.vr = Vr::kUS;
          ds.Insert(std::move(empty));
        } else {
          ds.SetU16(tag, static_cast<std::uint16_t>(s.Int(col)));
        }
      } else if (a->vr == Vr::kIS) {
        ds.SetString(tag, Vr::kIS, s.IsNull(col) ? "" : std::to_string(s.Int(col)));
      } else {
        ds.SetString(tag, a->vr, s.Text(col));
      }
    }
    rows.push_back(std::move(ds));
  }
  return rows;
}

Status sqlite::PrepareCoveredInstances(sqlite3* db, std::string_view select, const Query& query,
                                       std::size_t limit, Stmt& stmt) {
  // The matches may name any level; every instance below what they match is retrieved.
  Query below = query;
  below.level = QueryLevel::kImage;
  std::vector<Parameter> params;
  BASTION_ASSIGN_OR_RETURN(std::string where, WhereClause(below, params));
  const std::string sql = std::string(select) + "WHERE i.id IN (SELECT instances.id" +
                          FromClause(QueryLevel::kImage) + where + ") ORDER BY se.id, i.id LIMIT ?";
  params.push_back({true, "", static_cast<std::int64_t>(limit) + 1});
  BASTION_RETURN_IF_ERROR(stmt.Prepare(db, sql.c_str()));
  BindAll(stmt, params);
  return Status::Ok();
}

Result<std::vector<StoredInstance>> SqliteIndex::FindInstances(const Query& query,
                                                               std::size_t limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite::Stmt s;
  BASTION_RETURN_IF_ERROR(sqlite::PrepareCoveredInstances(
      db_, std::string("SELECT ") + sqlite::kInstanceColumns, query, limit, s));
  std::vector<StoredInstance> out;
  while (true) {
    BASTION_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(sqlite::ReadInstance(s));
  }
  return out;
}

Status SqliteIndex::AddStudyLabel(std::string_view study_uid, std::string_view label) {
  BASTION_RETURN_IF_ERROR(security::ValidateLabel(label));
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite::Stmt s;
  BASTION_RETURN_IF_ERROR(s.Prepare(db_,
                                    "INSERT OR IGNORE INTO study_labels (study_ref, label) "
                                    "SELECT id, ? FROM studies WHERE study_uid = ?"));
  BASTION_RETURN_IF_ERROR(s.Bind(1, label).Bind(2, study_uid).Run());
  sqlite::Stmt exists;
  BASTION_RETURN_IF_ERROR(exists.Prepare(db_, "SELECT 1 FROM studies WHERE study_uid = ?"));
  exists.Bind(1, study_uid);
  BASTION_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (!found) return Status::NotFound("no study " + std::string(study_uid) + " in the archive");
  return Status::Ok();
}

Status SqliteIndex::RemoveStudyLabel(std::string_view study_uid, std::string_view label) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite::Stmt s;
  BASTION_RETURN_IF_ERROR(s.Prepare(db_,
                                    "DELETE FROM study_labels WHERE label = ? AND study_ref = "
                                    "(SELECT id FROM studies WHERE study_uid = ?)"));
  BASTION_RETURN_IF_ERROR(s.Bind(1, label).Bind(2, study_uid).Run());
  if (sqlite3_changes(db_) == 0) {
    return Status::NotFound("study " + std::string(study_uid) + " has no label '" +
                            std::string(label) + "'");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SqliteIndex::StudyLabels(std::string_view study_uid) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite::Stmt s;
  BASTION_RETURN_IF_ERROR(s.Prepare(db_,
                                    "SELECT label FROM study_labels JOIN studies ON "
                                    "study_labels.study_ref = studies.id WHERE study_uid = ? "
                                    "ORDER BY label"));
  s.Bind(1, study_uid);
  return sqlite::TextColumn(s);
}

}  // namespace bastion::index

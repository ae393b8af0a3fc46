// SqliteIndex::Find: a Query (index/query.h) as one SELECT with bound parameters. Values from
// the caller are never part of the SQL text; wildcard patterns are translated to LIKE with every
// LIKE metacharacter of the value escaped, so `%`, `_` and `\` match themselves.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "dicom/dictionary.h"
#include "index/sqlite/sqlite_index.h"
#include "index/sqlite/statement.h"

namespace bastion::index {

namespace {

using dicom::Vr;

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
  std::string where;
  for (const KeyMatch& m : query.matches) {
    const QueryAttribute* a = FindQueryAttribute(m.tag);
    if (a == nullptr) continue;
    const std::string column(a->column);
    const bool fold = a->vr == Vr::kPN && query.options.case_insensitive_person_names;
    const std::string lhs = fold ? "lower(" + column + ")" : column;
    const std::string rhs = fold ? "lower(?)" : "?";
    std::string clause;
    switch (m.kind) {
      case MatchKind::kSingleValue:
        if (a->vr == Vr::kIS) {
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
          params.push_back({false, m.value, 0});
        }
        break;
      case MatchKind::kWildcard:
        clause = lhs + " LIKE " + rhs + " ESCAPE '\\'";
        params.push_back({false, LikePattern(m.value), 0});
        break;
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
        clause = column + " IN (";
        for (std::size_t i = 0; i < m.uids.size(); ++i) {
          clause += i == 0 ? "?" : ", ?";
          params.push_back({false, m.uids[i], 0});
        }
        clause += ")";
        break;
    }
    where += (where.empty() ? " WHERE " : " AND ") + clause;
  }
  sql += where + " ORDER BY " + OrderColumn(query.level) + " LIMIT ?";
  params.push_back({true, "", static_cast<std::int64_t>(query.options.max_results) + 1});

  std::lock_guard<std::mutex> lock(mutex_);
  sqlite::Stmt s;
  BASTION_RETURN_IF_ERROR(s.Prepare(db_, sql.c_str()));
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    if (params[i].is_int) {
      s.Bind(index, params[i].number);
    } else {
      s.Bind(index, std::string_view(params[i].text));
    }
  }
  std::vector<dicom::DataSet> rows;
  while (true) {
    BASTION_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    dicom::DataSet ds;
    ds.SetString(dicom::Tag{0x0008, 0x0052}, Vr::kCS, QueryLevelName(query.level));
    for (dicom::Tag tag : query.return_keys) {
      const QueryAttribute* a = FindQueryAttribute(tag);
      const auto it = std::find(selected.begin(), selected.end(), a);
      if (a == nullptr || it == selected.end()) {
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

}  // namespace bastion::index

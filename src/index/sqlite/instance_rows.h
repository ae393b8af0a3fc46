// The columns of a StoredInstance row and their reader, and the selection of the instances a
// retrieve covers, shared by the index's queries.
#pragma once

#include <string_view>

#include "index/index.h"
#include "index/sqlite/statement.h"

namespace bastion::index::sqlite {

inline constexpr const char* kInstanceColumns =
    "i.sop_instance_uid, i.sop_class_uid, st.study_uid, se.series_uid, p.patient_id, p.issuer, "
    "i.blob_id, i.transfer_syntax_uid, i.size, i.data_offset, i.meta_sha256, i.data_sha256, "
    "i.received_at, i.source_ae_title, i.source_user, i.id, se.id, st.id, p.id "
    "FROM instances i JOIN series se ON i.series_ref = se.id JOIN studies st ON se.study_ref = "
    "st.id JOIN patients p ON st.patient_ref = p.id ";

// kInstanceColumns in its two parts, for a query that selects more columns (after column 18)
// or joins more tables.
inline constexpr std::string_view kInstanceSelectList =
    "i.sop_instance_uid, i.sop_class_uid, st.study_uid, se.series_uid, p.patient_id, p.issuer, "
    "i.blob_id, i.transfer_syntax_uid, i.size, i.data_offset, i.meta_sha256, i.data_sha256, "
    "i.received_at, i.source_ae_title, i.source_user, i.id, se.id, st.id, p.id ";
inline constexpr std::string_view kInstanceTables =
    "FROM instances i JOIN series se ON i.series_ref = se.id JOIN studies st ON se.study_ref = "
    "st.id JOIN patients p ON st.patient_ref = p.id ";
static_assert(std::string_view(kInstanceColumns).size() ==
                      kInstanceSelectList.size() + kInstanceTables.size() &&
                  std::string_view(kInstanceColumns).starts_with(kInstanceSelectList) &&
                  std::string_view(kInstanceColumns).ends_with(kInstanceTables),
              "kInstanceColumns is its select list followed by its tables");

inline StoredInstance ReadInstance(const Stmt& s) {
  StoredInstance r;
  r.sop_instance_uid = s.Text(0);
  r.sop_class_uid = s.Text(1);
  r.study_instance_uid = s.Text(2);
  r.series_instance_uid = s.Text(3);
  r.patient_id = s.Text(4);
  r.issuer = s.Text(5);
  r.storage.blob_id = s.Text(6);
  r.storage.transfer_syntax_uid = s.Text(7);
  r.storage.size = static_cast<std::uint64_t>(s.Int(8));
  r.storage.data_offset = static_cast<std::uint64_t>(s.Int(9));
  r.storage.meta_sha256 = s.Text(10);
  r.storage.data_sha256 = s.Text(11);
  r.storage.received_at = s.Text(12);
  r.storage.source_ae_title = s.Text(13);
  r.storage.source_user = s.Text(14);
  return r;
}

// Prepares into `stmt` the SELECT of every instance a retrieve of `query` covers: the
// instances below the entities its keys match, in scope, in series and received order, at most
// `limit` + 1, with its parameters bound. `select` is the statement up to its WHERE: a select
// list and FROM over kInstanceTables (aliases i, se, st, p), optionally with more joins.
// FindInstances and InstanceMetadata share it so that both cover the same instances.
// Defined in sqlite_find.cc, beside the WHERE clause it builds.
Status PrepareCoveredInstances(sqlite3* db, std::string_view select, const Query& query,
                               std::size_t limit, Stmt& stmt);

}  // namespace bastion::index::sqlite

// The columns of a StoredInstance row and their reader, shared by the index's queries.
#pragma once

#include "index/index.h"
#include "index/sqlite/statement.h"

namespace bastion::index::sqlite {

inline constexpr const char* kInstanceColumns =
    "i.sop_instance_uid, i.sop_class_uid, st.study_uid, se.series_uid, p.patient_id, p.issuer, "
    "i.blob_id, i.transfer_syntax_uid, i.size, i.data_offset, i.meta_sha256, i.data_sha256, "
    "i.received_at, i.source_ae_title, i.source_user, i.id, se.id, st.id, p.id "
    "FROM instances i JOIN series se ON i.series_ref = se.id JOIN studies st ON se.study_ref = "
    "st.id JOIN patients p ON st.patient_ref = p.id ";

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

}  // namespace bastion::index::sqlite

#include "index/sqlite/migrations.h"

namespace bastion::index::sqlite {

namespace {

// Version 1: the four levels of the PS3.4 C.6 information model, with counts per level, the
// attributes query/retrieve match on, and tombstones of removed files.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE patients (
  id INTEGER PRIMARY KEY,
  patient_id TEXT NOT NULL,
  issuer TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  study_count INTEGER NOT NULL DEFAULT 0,
  instance_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE (patient_id, issuer)
);
CREATE TABLE studies (
  id INTEGER PRIMARY KEY,
  patient_ref INTEGER NOT NULL REFERENCES patients(id),
  study_uid TEXT NOT NULL UNIQUE,
  study_date TEXT NOT NULL DEFAULT '',
  study_time TEXT NOT NULL DEFAULT '',
  accession_number TEXT NOT NULL DEFAULT '',
  study_id TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  referring_physician TEXT NOT NULL DEFAULT '',
  institution_name TEXT NOT NULL DEFAULT '',
  modalities TEXT NOT NULL DEFAULT '',
  series_count INTEGER NOT NULL DEFAULT 0,
  instance_count INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX studies_patient ON studies(patient_ref);
CREATE INDEX studies_date ON studies(study_date);
CREATE INDEX studies_accession ON studies(accession_number);
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  study_ref INTEGER NOT NULL REFERENCES studies(id),
  series_uid TEXT NOT NULL UNIQUE,
  modality TEXT NOT NULL DEFAULT '',
  series_number INTEGER,
  description TEXT NOT NULL DEFAULT '',
  body_part TEXT NOT NULL DEFAULT '',
  series_date TEXT NOT NULL DEFAULT '',
  series_time TEXT NOT NULL DEFAULT '',
  instance_count INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX series_study ON series(study_ref);
CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  series_ref INTEGER NOT NULL REFERENCES series(id),
  sop_instance_uid TEXT NOT NULL UNIQUE,
  sop_class_uid TEXT NOT NULL,
  instance_number INTEGER,
  number_of_frames INTEGER,
  rows INTEGER,
  columns INTEGER,
  specific_character_set TEXT NOT NULL DEFAULT '',
  charset_error INTEGER NOT NULL DEFAULT 0,
  blob_id TEXT NOT NULL UNIQUE,
  transfer_syntax_uid TEXT NOT NULL,
  size INTEGER NOT NULL,
  data_offset INTEGER NOT NULL,
  meta_sha256 TEXT NOT NULL,
  data_sha256 TEXT NOT NULL,
  received_at TEXT NOT NULL,
  source_ae_title TEXT NOT NULL DEFAULT '',
  source_user TEXT NOT NULL DEFAULT ''
);
CREATE INDEX instances_series ON instances(series_ref);
CREATE TABLE tombstones (
  blob_id TEXT PRIMARY KEY,
  removed_at TEXT NOT NULL
);
)sql";

// Version 2: labels on studies, for scopes; removed with their study.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE study_labels (
  study_ref INTEGER NOT NULL REFERENCES studies(id),
  label TEXT NOT NULL,
  PRIMARY KEY (study_ref, label)
) WITHOUT ROWID;
CREATE INDEX studies_institution ON studies(institution_name);
)sql";

// Version 3: patient names folded to lower case (SQLite's ASCII folding, as the queries use)
// in an indexed column, so that a case-insensitive name search by prefix is an index range
// instead of a scan of every patient.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE patients ADD COLUMN name_folded TEXT NOT NULL DEFAULT '';
UPDATE patients SET name_folded = lower(name);
CREATE INDEX patients_name_folded ON patients(name_folded);
)sql";

// Version 4: each instance's WADO-RS metadata (DICOM JSON, archive/instance_metadata.h), so
// that a series' metadata is read from the index instead of from every file. A row of its own,
// keyed by the instance's rowid, keeps the instances table narrow for queries that never read
// the JSON. Deleted explicitly with the instance, as study labels are with their study; the
// reference makes a forgotten delete fail instead of leaving metadata for a reused rowid.
// Instances indexed before this version have no row until the server fills it.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE instance_metadata (
  instance_ref INTEGER PRIMARY KEY REFERENCES instances(id),
  json TEXT NOT NULL
);
)sql";

// Version 5: series by modality and study, so that matching Modalities in Study (0008,0061)
// (sqlite_find.cc) reads the studies having a series of that modality from the index alone
// instead of probing the series of every study.
constexpr std::string_view kV5 = R"sql(
CREATE INDEX series_modality ON series(modality, study_ref);
)sql";

constexpr Migration kMigrations[] = {
    {1, "patients, studies, series, instances, tombstones", kV1},
    {2, "study labels", kV2},
    {3, "folded patient names", kV3},
    {4, "instance metadata", kV4},
    {5, "series by modality", kV5},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

}  // namespace bastion::index::sqlite

// What the index knows about one stored instance, level by level (PS3.4 C.6 information
// model: patient, study, series, composite instance), and its extraction from a data set.
//
// Text attributes are kept as UTF-8, decoded through the data set's Specific Character Set
// (PS3.5 6.1); when decoding fails the raw bytes are kept and `charset_error` says so, because
// refusing an image over a badly labelled name would lose clinical data.
// Thread-safety: values and a stateless function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"

namespace bastion::index {

struct PatientAttributes {
  std::string patient_id;  // (0010,0020); patient identity is id + issuer
  std::string issuer;      // (0010,0021) Issuer of Patient ID
  std::string name;        // (0010,0010)
  std::string birth_date;  // (0010,0030)
  std::string sex;         // (0010,0040)
};

struct StudyAttributes {
  std::string study_instance_uid;   // (0020,000D)
  std::string study_date;           // (0008,0020)
  std::string study_time;           // (0008,0030)
  std::string accession_number;     // (0008,0050)
  std::string study_id;             // (0020,0010)
  std::string description;          // (0008,1030)
  std::string referring_physician;  // (0008,0090)
  std::string institution_name;     // (0008,0080)
};

struct SeriesAttributes {
  std::string series_instance_uid;            // (0020,000E)
  std::string modality;                       // (0008,0060)
  std::optional<std::int64_t> series_number;  // (0020,0011)
  std::string description;                    // (0008,103E)
  std::string body_part;                      // (0018,0015)
  std::string series_date;                    // (0008,0021)
  std::string series_time;                    // (0008,0031)
};

struct InstanceAttributes {
  std::string sop_instance_uid;                  // (0008,0018)
  std::string sop_class_uid;                     // (0008,0016)
  std::optional<std::int64_t> instance_number;   // (0020,0013)
  std::optional<std::int64_t> number_of_frames;  // (0028,0008)
  std::optional<std::int64_t> rows;              // (0028,0010)
  std::optional<std::int64_t> columns;           // (0028,0011)
  std::string specific_character_set;            // (0008,0005) as received
};

// Where and how the instance is stored, and who sent it.
struct StorageAttributes {
  std::string blob_id;
  std::string transfer_syntax_uid;
  std::uint64_t size = 0;         // bytes of the stored file
  std::uint64_t data_offset = 0;  // where the data set starts in the file
  std::string meta_sha256;        // of bytes [0, data_offset): preamble and file meta
  std::string data_sha256;        // of the data set bytes as received
  std::string received_at;        // UTC, ISO 8601
  std::string source_ae_title;
  std::string source_user;
};

struct InstanceRecord {
  PatientAttributes patient;
  StudyAttributes study;
  SeriesAttributes series;
  InstanceAttributes instance;
  StorageAttributes storage;
  bool charset_error = false;
  // The instance's WADO-RS metadata (DICOM JSON, archive/instance_metadata.h), stored in the
  // same transaction as the instance; empty: none (Index::SetInstanceMetadata fills it later).
  std::string metadata_json;
};

// Fills the patient/study/series/instance attributes from `dataset`. Malformed when a UID the
// archive needs (study, series, SOP instance, SOP class) is missing or not a valid UID
// (PS3.5 9.1: at most 64 characters, digits and dots, no empty or zero-led component).
Result<InstanceRecord> ExtractInstanceRecord(const dicom::DataSet& dataset);

// PS3.5 9.1 UID grammar. Returns an explanation on failure.
Status ValidateUid(std::string_view uid, std::string_view what);

}  // namespace bastion::index

// Index: the catalog of what the archive holds (patients, studies, series, instances), with
// counts kept up to date in the same transaction as every change.
//
// The interface is what ingest, deletion, verification and (later) query/retrieve need, with no
// backend types in it; SqliteIndex (sqlite/sqlite_index.h) is the embedded default. Every call
// is one transaction. Callers commit the instance file durably *before* AddInstance, so that an
// indexed instance always has its file; removals go the other way round, through tombstones
// (see RemoveInstances), so that a crash never resurrects a deleted instance.
// Thread-safety: implementations are safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "index/instance_record.h"
#include "index/query.h"

namespace bastion::index {

// One stored instance as the archive sees it (what `index list` prints and verify checks).
struct StoredInstance {
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string patient_id;
  std::string issuer;
  StorageAttributes storage;
};

struct ArchiveCounts {
  std::uint64_t patients = 0;
  std::uint64_t studies = 0;
  std::uint64_t series = 0;
  std::uint64_t instances = 0;
  std::uint64_t bytes = 0;
};

enum class AddOutcome : std::uint8_t {
  kAdded,
  kIdentical,  // the SOP instance was already stored with the same data set: nothing changed
  kConflict,   // the SOP instance was already stored with a different data set: nothing changed
};

enum class Level : std::uint8_t { kStudy, kSeries, kInstance };

// A stored instance with its WADO-RS metadata (InstanceRecord::metadata_json) when the index
// holds it; nullopt for an instance indexed without (before schema version 4, or when its data
// set could not be encoded), which the caller computes from the file and may store with
// SetInstanceMetadata.
struct InstanceMetadataEntry {
  StoredInstance instance;
  std::optional<std::string> json;
};

class Index {
 public:
  virtual ~Index() = default;

  virtual Result<std::optional<StoredInstance>> FindInstance(std::string_view sop_instance_uid) = 0;
  // Adds the instance and updates the counts of its series, study and patient, creating them
  // as needed (the first instance's attributes describe a new patient/study/series; later
  // instances fill attributes still empty). Duplicates are decided inside the transaction.
  virtual Result<AddOutcome> AddInstance(const InstanceRecord& record) = 0;
  virtual Result<ArchiveCounts> Counts() = 0;
  // Instances of one study (or all when `study_instance_uid` is empty), in received order.
  virtual Result<std::vector<StoredInstance>> ListInstances(
      std::string_view study_instance_uid = {}) = 0;
  // Removes the study, series or instance named by `uid` from the catalog and returns the
  // removed instances. Their blob ids stay behind as tombstones until ForgetTombstones: a
  // reconciliation after a crash deletes such files instead of re-indexing them.
  virtual Result<std::vector<StoredInstance>> RemoveInstances(Level level,
                                                              std::string_view uid) = 0;
  virtual Result<std::vector<std::string>> Tombstones() = 0;
  virtual Status ForgetTombstones(const std::vector<std::string>& blob_ids) = 0;
  virtual Result<bool> HasBlob(std::string_view blob_id) = 0;
  // Runs a C-FIND query: one data set per match with the query's return keys (values the index
  // holds; other keys empty) and the Query/Retrieve Level, at most options.max_results + 1 of
  // them (one more than the cap tells the caller the cap was reached).
  virtual Result<std::vector<dicom::DataSet>> Find(const Query& query) = 0;
  // The instances a retrieve of `query` covers: every instance below the entities its keys
  // match, in scope, in series and received order; at most `limit` + 1.
  virtual Result<std::vector<StoredInstance>> FindInstances(const Query& query,
                                                            std::size_t limit) = 0;
  // Exactly the instances FindInstances(query, limit) returns, in the same order, each with its
  // stored metadata: a series' metadata in one read of the index, without opening its files.
  virtual Result<std::vector<InstanceMetadataEntry>> InstanceMetadata(const Query& query,
                                                                      std::size_t limit) = 0;
  // Stores the metadata of an instance indexed without (or replaces it). `blob_id` is the file
  // it was computed from: NotFound when the instance is not, or no longer, stored as that file
  // (removed, or removed and stored again with other content while the caller encoded it), so
  // that metadata of a file never outlives it.
  virtual Status SetInstanceMetadata(std::string_view sop_instance_uid, std::string_view blob_id,
                                     std::string_view json) = 0;

  // Labels administrators put on studies (for scopes, security/scope.h). NotFound when the
  // study is not stored.
  virtual Status AddStudyLabel(std::string_view study_instance_uid, std::string_view label) = 0;
  virtual Status RemoveStudyLabel(std::string_view study_instance_uid, std::string_view label) = 0;
  virtual Result<std::vector<std::string>> StudyLabels(std::string_view study_instance_uid) = 0;
};

}  // namespace bastion::index

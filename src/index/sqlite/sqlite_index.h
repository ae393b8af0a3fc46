// SqliteIndex: the embedded index (SQLite in WAL mode), the default backend of Index.
//
// One database file, schema created and upgraded by numbered migrations (migrations.cc; the
// applied versions are recorded in schema_migrations). Writes run as BEGIN IMMEDIATE
// transactions; `synchronous` chooses how commits reach the disk: "normal" (WAL default: a
// process crash loses nothing committed; an operating-system crash may lose the last commits,
// whose instance files are then re-indexed by the archive's start-up reconciliation) or
// "full" (every commit fsyncs the WAL).
// Thread-safety: safe to share; calls are serialised on one connection.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "index/index.h"

struct sqlite3;

namespace bastion::index {

struct SqliteOptions {
  std::string synchronous = "normal";  // or "full"
  int busy_timeout_ms = 10000;         // another process (bastion import) holding the lock
};

class SqliteIndex final : public Index {
 public:
  static Result<std::unique_ptr<SqliteIndex>> Open(const std::string& path,
                                                   const SqliteOptions& options = {});
  ~SqliteIndex() override;

  // The schema version after Open (the highest applied migration).
  int schema_version() const { return schema_version_; }

  Result<std::optional<StoredInstance>> FindInstance(std::string_view sop_instance_uid) override;
  Result<AddOutcome> AddInstance(const InstanceRecord& record) override;
  Result<ArchiveCounts> Counts() override;
  Result<std::vector<StoredInstance>> ListInstances(std::string_view study_instance_uid) override;
  Result<std::vector<StoredInstance>> RemoveInstances(Level level, std::string_view uid) override;
  Result<std::vector<std::string>> Tombstones() override;
  Status ForgetTombstones(const std::vector<std::string>& blob_ids) override;
  Result<bool> HasBlob(std::string_view blob_id) override;
  Result<std::vector<InstanceMetadataEntry>> InstanceMetadata(const Query& query,
                                                              std::size_t limit) override;
  Status SetInstanceMetadata(std::string_view sop_instance_uid, std::string_view blob_id,
                             std::string_view json) override;
  // sqlite_find.cc
  Result<std::vector<dicom::DataSet>> Find(const Query& query) override;
  Result<std::vector<StoredInstance>> FindInstances(const Query& query, std::size_t limit) override;
  Status AddStudyLabel(std::string_view study_instance_uid, std::string_view label) override;
  Status RemoveStudyLabel(std::string_view study_instance_uid, std::string_view label) override;
  Result<std::vector<std::string>> StudyLabels(std::string_view study_instance_uid) override;

  struct Statements;

 private:
  SqliteIndex() = default;
  Result<AddOutcome> AddLocked(const InstanceRecord& record);
  Result<std::vector<StoredInstance>> RemoveLocked(Level level, std::string_view uid);
  Result<std::vector<InstanceMetadataEntry>> MetadataLocked(const Query& query, std::size_t limit);

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> stmts_;
  int schema_version_ = 0;
};

}  // namespace bastion::index

// ArchiveService: the storage, index and archive of one data directory, opened together by
// `bastion serve` and by the local commands (import, delete, verify, index).
//
// Opening marks the directory as in use by this process (DIR/index/running.<pid>); a marker
// left by a process that is gone means it stopped uncleanly, and the archive is reconciled
// (tombstoned files removed, committed but unindexed files indexed) before use.
// Thread-safety: the parts are safe to share (see their headers).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "archive/archive.h"
#include "index/sqlite/sqlite_index.h"
#include "server/config.h"
#include "store/filesystem_storage.h"

namespace bastion::server {

struct ArchiveService {
  std::unique_ptr<store::FilesystemStorage> storage;
  std::unique_ptr<index::SqliteIndex> index;
  std::unique_ptr<archive::Archive> archive;
  // Set when the previous user of the directory stopped uncleanly.
  std::optional<archive::Archive::Reconciliation> reconciliation;
  std::string marker;

  ~ArchiveService();
};

archive::IngestPolicy IngestPolicyFrom(const StorageConfig& storage);

Result<std::unique_ptr<ArchiveService>> OpenArchiveService(const Config& config,
                                                           audit::AuditSink& audit);

}  // namespace bastion::server

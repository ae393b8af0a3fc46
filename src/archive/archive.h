// Archive: the one path by which an instance enters or leaves the store, whoever sends it
// (C-STORE, STOW-RS, `bastion import`).
//
// Ingest streams the data set, as received and in the transfer syntax it was sent in, behind a
// Part 10 header we write ourselves (zero preamble, our file meta), into a temporary file, so
// memory stays bounded whatever the instance size. Finish() then reads that file back through
// the bounded codec (memory-mapped: large values are referenced, not copied), checks that it
// is a readable data set whose UIDs are valid and match what the sender announced, decides
// duplicates (identical: acknowledged and dropped; different: refused, the original kept, a
// security alert emitted), and only then fsyncs and renames the file and commits the index.
// Quotas (archive size, free disk) refuse an instance before or while it arrives, never after
// anything was replaced.
//
// Errors (Status codes) and their meaning for callers:
//   LimitExceeded     out of resources: quota, instance size, free disk (DIMSE 0xA700)
//   Malformed         the data set cannot be read or is inconsistent (DIMSE 0xC000)
//   Conflict          same SOP Instance UID already stored with other content (DIMSE 0x0111)
//   Unavailable/Internal  the archive could not store it (DIMSE 0x0110)
// Thread-safety: Archive is safe to share; an Ingest belongs to one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "audit/audit_event.h"
#include "base/mapped_file.h"
#include "base/status.h"
#include "dicom/reader.h"
#include "index/index.h"
#include "store/filesystem_storage.h"
#include "store/sha256.h"

namespace bastion::archive {

struct IngestPolicy {
  std::uint64_t max_instance_bytes = 4ull << 30;
  std::uint64_t max_archive_bytes = 0;             // 0: no limit
  std::uint64_t min_free_disk_bytes = 1ull << 30;  // refuse when less would remain
  // Explicit VR Big Endian (retired since 2004): its binary values must be byte-swapped, hence
  // copied, to be read back, so memory would grow with the instance; such instances are capped.
  std::uint64_t max_big_endian_instance_bytes = 64ull << 20;
  dicom::ReadOptions read;  // limits and accepted deviations
};

// What the sender announced about the instance, and who it is.
struct IncomingInstance {
  std::string sop_class_uid;     // C-STORE Affected SOP Class UID
  std::string sop_instance_uid;  // C-STORE Affected SOP Instance UID
  std::string transfer_syntax_uid;
  std::string source_ae_title;
  std::string source_user;
  std::string peer_address;
};

struct IngestResult {
  index::AddOutcome outcome = index::AddOutcome::kAdded;  // kAdded or kIdentical
  index::InstanceRecord record;
  std::vector<std::string> warnings;  // deviations the read options tolerated
};

class Archive;

// One instance being received.
class Ingest {
 public:
  // Appends data set bytes. LimitExceeded past the instance size limit or when free disk space
  // falls below the threshold (checked every few MiB); the rest of the data set can then be
  // dropped by the caller and Finish() not called.
  Status Write(std::span<const std::uint8_t> bytes);
  Result<IngestResult> Finish();
  std::uint64_t data_bytes() const { return data_bytes_; }

 private:
  friend class Archive;
  Ingest(Archive& archive, IncomingInstance incoming, std::unique_ptr<store::PendingBlob> blob,
         std::uint64_t data_offset, std::string meta_sha256, std::uint64_t max_bytes);

  Archive& archive_;
  IncomingInstance incoming_;
  std::unique_ptr<store::PendingBlob> blob_;
  std::uint64_t data_offset_;
  std::string meta_sha256_;
  store::Sha256 data_hash_;
  std::uint64_t data_bytes_ = 0;
  const std::uint64_t max_bytes_;  // the size limit that applies to this transfer syntax
  std::uint64_t next_space_check_ = 0;
  bool failed_ = false;
};

class Archive {
 public:
  Archive(store::FilesystemStorage& storage, index::Index& index, audit::AuditSink& audit,
          IngestPolicy policy, std::string local_ae_title);

  // Starts receiving an instance: checks the quotas and the announced UIDs and transfer syntax.
  Result<std::unique_ptr<Ingest>> Begin(IncomingInstance incoming);

  // Convenience for local files (`bastion import`): ingests a Part 10 file's data set as it is
  // encoded in the file.
  Result<IngestResult> ImportFile(const std::string& path, const std::string& user);

  // Removes a study, series or instance: index first (with tombstones), then the files, then
  // the tombstones. Audited as Study Deleted.
  Result<std::vector<index::StoredInstance>> Remove(index::Level level, const std::string& uid,
                                                    const std::string& user);

  // After an unclean stop: deletes tombstoned files, and indexes committed files the index
  // does not know (an instance whose index commit was lost); reports files that do not read.
  struct Reconciliation {
    std::uint64_t reindexed = 0;
    std::uint64_t removed_tombstoned = 0;
    std::vector<std::string> problems;
  };
  Result<Reconciliation> Reconcile();

  // Re-hashes every indexed file against the digests recorded at ingest and lists files
  // that changed or went missing, and committed files the index does not know. Problems are
  // emitted as one security alert. `progress(done, total)` is called as files are checked.
  struct VerifyReport {
    std::uint64_t checked = 0;
    std::uint64_t bytes = 0;
    std::vector<std::string> missing;    // "SOP-UID path"
    std::vector<std::string> changed;    // "SOP-UID path: what"
    std::vector<std::string> unindexed;  // paths
    bool ok() const { return missing.empty() && changed.empty() && unindexed.empty(); }
  };
  Result<VerifyReport> Verify(
      const std::function<void(std::uint64_t, std::uint64_t)>& progress = nullptr);

  // A stored instance's file, mapped for sending: its data set bytes exactly as stored.
  // Internal when the file is missing or its size differs from the index (the instance is
  // then reported as failed, never sent truncated).
  struct StoredObject {
    std::shared_ptr<const MappedFile> file;
    std::span<const std::uint8_t> data_set;
  };
  Result<StoredObject> OpenStored(const index::StoredInstance& instance) const;

  store::FilesystemStorage& storage() { return storage_; }
  index::Index& index() { return index_; }
  const IngestPolicy& policy() const { return policy_; }

 private:
  friend class Ingest;
  Status CheckSpace(std::uint64_t incoming_bytes) const;
  Result<IngestResult> Complete(Ingest& ingest);
  void AlertConflict(const IncomingInstance& incoming, const std::string& study_uid);

  store::FilesystemStorage& storage_;
  index::Index& index_;
  audit::AuditSink& audit_;
  IngestPolicy policy_;
  std::string local_ae_title_;
  std::atomic<std::uint64_t> archive_bytes_{0};
};

}  // namespace bastion::archive

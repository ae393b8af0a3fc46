#include "archive/archive.h"

#include "archive/instance_metadata.h"
#include "base/mapped_file.h"
#include "base/utc_time.h"
#include "dicom/tag.h"
#include "dicom/writer.h"

namespace bastion::archive {

namespace {

// Free disk space is re-checked after this many bytes of one instance.
constexpr std::uint64_t kSpaceCheckInterval = 8ull << 20;
constexpr std::size_t kImportChunk = 1u << 20;

std::string Sha256Of(std::span<const std::uint8_t> bytes) {
  store::Sha256 h;
  h.Update(bytes);
  return h.FinishHex();
}

// Puts the instance's WADO-RS metadata in `record`, encoded from the data set ingest has read
// anyway. One that cannot be encoded (nested too deep, too large) leaves the record without:
// the instance is stored all the same, since its file is what the archive keeps, and the
// reason goes to `warnings`.
void AddMetadata(const dicom::DataSet& dataset, index::InstanceRecord& record,
                 std::vector<std::string>& warnings) {
  auto json = EncodeInstanceMetadata(dataset, record.study.study_instance_uid,
                                     record.series.series_instance_uid,
                                     record.instance.sop_instance_uid, {}, &warnings);
  if (json.ok()) {
    record.metadata_json = std::move(json).value();
  } else {
    warnings.push_back("stored without metadata: " + json.status().message());
  }
}

}  // namespace

Archive::Archive(store::FilesystemStorage& storage, index::Index& index, audit::AuditSink& audit,
                 IngestPolicy policy, std::string local_ae_title)
    : storage_(storage),
      index_(index),
      audit_(audit),
      policy_(std::move(policy)),
      local_ae_title_(std::move(local_ae_title)) {
  if (auto counts = index_.Counts(); counts.ok()) archive_bytes_ = counts->bytes;
}

Status Archive::CheckSpace(std::uint64_t incoming_bytes) const {
  if (policy_.max_archive_bytes != 0 &&
      archive_bytes_.load() + incoming_bytes >= policy_.max_archive_bytes) {
    return Status::LimitExceeded("the archive has reached its configured size limit (" +
                                 std::to_string(policy_.max_archive_bytes) +
                                 " bytes, storage.max_archive_bytes)");
  }
  BASTION_ASSIGN_OR_RETURN(store::DiskSpace space, storage_.Space());
  if (space.free_bytes < policy_.min_free_disk_bytes) {
    return Status::LimitExceeded("free disk space (" + std::to_string(space.free_bytes) +
                                 " bytes) is below storage.min_free_disk_bytes (" +
                                 std::to_string(policy_.min_free_disk_bytes) + ")");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Ingest>> Archive::Begin(IncomingInstance incoming) {
  BASTION_RETURN_IF_ERROR(index::ValidateUid(incoming.sop_class_uid, "the Affected SOP Class UID"));
  BASTION_RETURN_IF_ERROR(
      index::ValidateUid(incoming.sop_instance_uid, "the Affected SOP Instance UID"));
  const auto ts = dicom::FindTransferSyntax(incoming.transfer_syntax_uid);
  if (!ts) {
    return Status::Malformed("unknown transfer syntax '" + incoming.transfer_syntax_uid + "'");
  }
  BASTION_RETURN_IF_ERROR(CheckSpace(0));
  BASTION_ASSIGN_OR_RETURN(auto blob, storage_.Begin());
  dicom::FileMetaInput meta_input{incoming.sop_class_uid, incoming.sop_instance_uid,
                                  incoming.source_ae_title};
  BASTION_ASSIGN_OR_RETURN(dicom::DataSet meta, dicom::BuildFileMeta({}, *ts, meta_input));
  dicom::VectorSink header;
  BASTION_RETURN_IF_ERROR(dicom::WritePart10Header(meta, header));
  BASTION_RETURN_IF_ERROR(blob->Write(header.out));
  const std::uint64_t max_bytes =
      ts->endian == Endian::kBig
          ? std::min(policy_.max_instance_bytes, policy_.max_big_endian_instance_bytes)
          : policy_.max_instance_bytes;
  return std::unique_ptr<Ingest>(new Ingest(*this, std::move(incoming), std::move(blob),
                                            header.out.size(), Sha256Of(header.out), max_bytes));
}

Ingest::Ingest(Archive& archive, IncomingInstance incoming,
               std::unique_ptr<store::PendingBlob> blob, std::uint64_t data_offset,
               std::string meta_sha256, std::uint64_t max_bytes)
    : archive_(archive),
      incoming_(std::move(incoming)),
      blob_(std::move(blob)),
      data_offset_(data_offset),
      meta_sha256_(std::move(meta_sha256)),
      max_bytes_(max_bytes),
      next_space_check_(kSpaceCheckInterval) {}

Status Ingest::Write(std::span<const std::uint8_t> bytes) {
  if (failed_) return Status::Internal("write after a failed write");
  data_bytes_ += bytes.size();
  Status st = Status::Ok();
  if (data_bytes_ > max_bytes_) {
    st = Status::LimitExceeded(
        "the instance is larger than " +
        std::string(max_bytes_ == archive_.policy_.max_instance_bytes
                        ? "storage.max_instance_bytes"
                        : "storage.max_big_endian_instance_bytes (big endian)") +
        " (" + std::to_string(max_bytes_) + " bytes)");
  } else if (data_bytes_ >= next_space_check_) {
    next_space_check_ = data_bytes_ + kSpaceCheckInterval;
    st = archive_.CheckSpace(data_bytes_);
  }
  if (st.ok()) {
    data_hash_.Update(bytes);
    st = blob_->Write(bytes);
  }
  if (!st.ok()) {
    failed_ = true;
    blob_->Discard();
  }
  return st;
}

Result<IngestResult> Ingest::Finish() {
  if (failed_) return Status::Internal("finish after a failed write");
  failed_ = true;  // an Ingest finishes once
  return archive_.Complete(*this);
}

void Archive::AlertConflict(const IncomingInstance& incoming, const std::string& study_uid) {
  audit::AuditEvent event;
  event.type = audit::AuditEventType::kSecurityAlert;
  event.outcome = audit::AuditOutcome::kSeriousFailure;
  event.user = incoming.source_user;
  event.peer_ae_title = incoming.source_ae_title;
  event.peer_address = incoming.peer_address;
  event.local_ae_title = local_ae_title_;
  event.study_instance_uids = {study_uid};
  event.instance_count = 1;
  event.description = "refused SOP instance " + incoming.sop_instance_uid +
                      ": already stored with different content (the original is kept)";
  audit_.Emit(event);
}

Result<IngestResult> Archive::Complete(Ingest& ingest) {
  store::PendingBlob& blob = *ingest.blob_;
  const IncomingInstance& in = ingest.incoming_;
  const std::string data_sha256 = ingest.data_hash_.FinishHex();

  BASTION_ASSIGN_OR_RETURN(auto contents, blob.Contents());
  auto file = dicom::ReadPart10(std::move(contents), policy_.read);
  if (!file.ok()) {
    return Status::Malformed("the data set cannot be read: " + file.status().message());
  }
  const dicom::DataSet& ds = file->dataset;
  const auto sop_class = ds.GetString(dicom::Tag{0x0008, 0x0016}).value_or("");
  const auto sop_instance = ds.GetString(dicom::Tag{0x0008, 0x0018}).value_or("");
  if (sop_instance != in.sop_instance_uid || sop_class != in.sop_class_uid) {
    return Status::Malformed(
        "the data set's SOP Class/Instance UIDs (0008,0016)/(0008,0018) differ from the ones "
        "announced in the request");
  }
  BASTION_ASSIGN_OR_RETURN(index::InstanceRecord record, index::ExtractInstanceRecord(ds));
  record.storage.blob_id = blob.id().str();
  record.storage.transfer_syntax_uid = in.transfer_syntax_uid;
  record.storage.size = blob.size();
  record.storage.data_offset = ingest.data_offset_;
  record.storage.meta_sha256 = ingest.meta_sha256_;
  record.storage.data_sha256 = data_sha256;
  record.storage.received_at = UtcTimestampNow();
  record.storage.source_ae_title = in.source_ae_title;
  record.storage.source_user = in.source_user;

  IngestResult result;
  result.warnings = std::move(file->warnings);
  // Decide duplicates before anything is committed: an identical resend costs nothing, and a
  // different one never touches the original.
  BASTION_ASSIGN_OR_RETURN(auto existing, index_.FindInstance(in.sop_instance_uid));
  if (existing) {
    if (existing->storage.data_sha256 == data_sha256 &&
        existing->storage.transfer_syntax_uid == in.transfer_syntax_uid) {
      result.outcome = index::AddOutcome::kIdentical;
      result.record = std::move(record);
      return result;  // the temporary file goes with `ingest`
    }
    AlertConflict(in, record.study.study_instance_uid);
    return Status::Conflict("different content is already stored under SOP Instance UID " +
                            in.sop_instance_uid + "; the original is kept");
  }
  // Only for an instance about to be added: a resend costs no encoding.
  AddMetadata(ds, record, result.warnings);
  BASTION_RETURN_IF_ERROR(blob.Commit());
  auto added = index_.AddInstance(record);
  if (!added.ok() || *added != index::AddOutcome::kAdded) {
    // Not indexed (an error, or the same instance committed by another association a moment
    // ago): the file must not stay behind.
    (void)storage_.Remove(blob.id());
    if (!added.ok()) return added.status();
    if (*added == index::AddOutcome::kConflict) {
      AlertConflict(in, record.study.study_instance_uid);
      return Status::Conflict("different content is already stored under SOP Instance UID " +
                              in.sop_instance_uid + "; the original is kept");
    }
    result.outcome = index::AddOutcome::kIdentical;
  }
  archive_bytes_ += record.storage.size;
  result.record = std::move(record);
  return result;
}

Result<IngestResult> Archive::ImportFile(const std::string& path, const std::string& user) {
  BASTION_ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(path));
  BASTION_ASSIGN_OR_RETURN(dicom::Part10Summary file, dicom::SummarizePart10(mapped, policy_.read));
  const std::uint64_t offset = file.data_offset;
  IncomingInstance incoming;
  incoming.sop_class_uid = std::move(file.sop_class_uid);
  incoming.sop_instance_uid = std::move(file.sop_instance_uid);
  incoming.transfer_syntax_uid = std::move(file.transfer_syntax_uid);
  incoming.source_user = user;
  BASTION_ASSIGN_OR_RETURN(auto ingest, Begin(std::move(incoming)));
  const auto bytes = mapped->bytes();
  for (std::uint64_t at = offset; at < bytes.size(); at += kImportChunk) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kImportChunk, bytes.size() - at));
    BASTION_RETURN_IF_ERROR(ingest->Write(bytes.subspan(at, n)));
  }
  return ingest->Finish();
}

Result<std::vector<index::StoredInstance>> Archive::Remove(index::Level level,
                                                           const std::string& uid,
                                                           const std::string& user) {
  BASTION_ASSIGN_OR_RETURN(auto removed, index_.RemoveInstances(level, uid));
  std::vector<std::string> blob_ids;
  std::vector<std::string> studies, patients;
  std::uint64_t bytes = 0;
  for (const auto& r : removed) {
    auto id = store::BlobId::Parse(r.storage.blob_id);
    if (id.ok()) {
      Status st = storage_.Remove(*id);
      if (!st.ok() && st.code() != StatusCode::kNotFound) continue;  // tombstone stays
    }
    blob_ids.push_back(r.storage.blob_id);
    bytes += r.storage.size;
    audit::AddParticipant(studies, r.study_instance_uid);
    audit::AddParticipant(patients, r.patient_id);
  }
  archive_bytes_ -= std::min<std::uint64_t>(bytes, archive_bytes_.load());
  BASTION_RETURN_IF_ERROR(index_.ForgetTombstones(blob_ids));
  audit::AuditEvent event;
  event.type = audit::AuditEventType::kStudyDeleted;
  event.user = user;
  event.local_ae_title = local_ae_title_;
  event.study_instance_uids = studies;
  event.patient_ids = patients;
  event.instance_count = removed.size();
  event.description = std::string("deleted ") +
                      (level == index::Level::kStudy    ? "study "
                       : level == index::Level::kSeries ? "series "
                                                        : "instance ") +
                      uid;
  audit_.Emit(event);
  return removed;
}

Result<Archive::Reconciliation> Archive::Reconcile() {
  Reconciliation out;
  BASTION_ASSIGN_OR_RETURN(auto tombstones, index_.Tombstones());
  std::vector<std::string> gone;
  for (const std::string& t : tombstones) {
    auto id = store::BlobId::Parse(t);
    if (!id.ok()) continue;
    Status st = storage_.Remove(*id);
    if (st.ok()) ++out.removed_tombstoned;
    if (st.ok() || st.code() == StatusCode::kNotFound) gone.push_back(t);
  }
  BASTION_RETURN_IF_ERROR(index_.ForgetTombstones(gone));

  std::vector<store::BlobId> unknown;
  Status walked = storage_.ForEachBlob(
      [&](const store::BlobId& id) {
        auto known = index_.HasBlob(id.str());
        if (known.ok() && !*known) unknown.push_back(id);
      },
      [&](const std::string& path) { out.problems.push_back("stray file " + path); });
  BASTION_RETURN_IF_ERROR(walked);
  for (const store::BlobId& id : unknown) {
    const std::string path = storage_.PathOf(id);
    auto mapped = MappedFile::Open(path);
    auto file = mapped.ok() ? dicom::ReadPart10(*mapped, policy_.read)
                            : Result<dicom::Part10File>(mapped.status());
    auto offset = mapped.ok() ? dicom::FindDataSetOffset((*mapped)->bytes())
                              : Result<std::uint64_t>(mapped.status());
    Result<index::InstanceRecord> record = file.ok() ? index::ExtractInstanceRecord(file->dataset)
                                                     : Result<index::InstanceRecord>(file.status());
    if (!record.ok() || !offset.ok()) {
      out.problems.push_back(path + ": " +
                             (record.ok() ? offset.status() : record.status()).message());
      continue;
    }
    const auto bytes = (*mapped)->bytes();
    record->storage.blob_id = id.str();
    record->storage.transfer_syntax_uid = std::string(file->transfer_syntax.uid);
    record->storage.size = bytes.size();
    record->storage.data_offset = *offset;
    record->storage.meta_sha256 = Sha256Of(bytes.subspan(0, *offset));
    record->storage.data_sha256 = Sha256Of(bytes.subspan(*offset));
    record->storage.received_at = UtcTimestampNow();
    record->storage.source_ae_title =
        file->meta.GetString(dicom::tags::kSourceApplicationEntityTitle).value_or("");
    std::vector<std::string> ignored;  // a re-indexed file is not reported for its values
    AddMetadata(file->dataset, *record, ignored);
    auto added = index_.AddInstance(*record);
    if (added.ok() && *added == index::AddOutcome::kAdded) {
      ++out.reindexed;
      archive_bytes_ += bytes.size();
    } else {
      // Already indexed under another file (a duplicate whose index commit won the race).
      (void)storage_.Remove(id);
    }
  }
  return out;
}

Result<Archive::VerifyReport> Archive::Verify(
    const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  VerifyReport report;
  BASTION_ASSIGN_OR_RETURN(auto instances, index_.ListInstances());
  std::uint64_t done = 0;
  for (const index::StoredInstance& inst : instances) {
    auto id = store::BlobId::Parse(inst.storage.blob_id);
    const std::string path = id.ok() ? storage_.PathOf(*id) : "(invalid blob id)";
    const std::string who = inst.sop_instance_uid + " " + path;
    if (progress) progress(++done, instances.size());
    auto mapped =
        id.ok() ? MappedFile::Open(path) : Result<std::shared_ptr<const MappedFile>>(id.status());
    if (!mapped.ok()) {
      report.missing.push_back(who);
      continue;
    }
    ++report.checked;
    const auto bytes = (*mapped)->bytes();
    report.bytes += bytes.size();
    if (bytes.size() != inst.storage.size || inst.storage.data_offset > bytes.size()) {
      report.changed.push_back(who + ": size " + std::to_string(bytes.size()) +
                               " bytes, recorded " + std::to_string(inst.storage.size));
      continue;
    }
    const auto offset = static_cast<std::size_t>(inst.storage.data_offset);
    if (Sha256Of(bytes.subspan(0, offset)) != inst.storage.meta_sha256) {
      report.changed.push_back(who + ": the preamble or file meta information changed");
    } else if (Sha256Of(bytes.subspan(offset)) != inst.storage.data_sha256) {
      report.changed.push_back(who + ": the data set changed");
    }
  }
  Status walked = storage_.ForEachBlob(
      [&](const store::BlobId& id) {
        auto known = index_.HasBlob(id.str());
        if (known.ok() && !*known) report.unindexed.push_back(storage_.PathOf(id));
      },
      [&](const std::string& path) { report.unindexed.push_back(path); });
  BASTION_RETURN_IF_ERROR(walked);
  if (!report.ok()) {
    audit::AuditEvent event;
    event.type = audit::AuditEventType::kSecurityAlert;
    event.outcome = audit::AuditOutcome::kSeriousFailure;
    event.local_ae_title = local_ae_title_;
    event.description = "archive verification: " + std::to_string(report.changed.size()) +
                        " file(s) changed, " + std::to_string(report.missing.size()) +
                        " missing, " + std::to_string(report.unindexed.size()) + " not indexed";
    audit_.Emit(event);
  }
  return report;
}

Result<Archive::StoredObject> Archive::OpenStored(const index::StoredInstance& instance) const {
  BASTION_ASSIGN_OR_RETURN(store::BlobId id, store::BlobId::Parse(instance.storage.blob_id));
  auto file = MappedFile::Open(storage_.PathOf(id));
  if (!file.ok()) {
    return Status::Internal("the file of instance " + instance.sop_instance_uid +
                            " cannot be read: " + file.status().message() +
                            " (run `bastion verify`)");
  }
  const auto bytes = (*file)->bytes();
  if (bytes.size() != instance.storage.size || instance.storage.data_offset > bytes.size()) {
    return Status::Internal("the file of instance " + instance.sop_instance_uid +
                            " has changed size since it was stored (run `bastion verify`)");
  }
  StoredObject object;
  object.data_set = bytes.subspan(instance.storage.data_offset);
  object.file = std::move(file).value();
  return object;
}

}  // namespace bastion::archive

// STOW-RS (PS3.18 10.5): multipart/related application/dicom bodies streamed into the archive
// through the same ingest path as C-STORE (archive/archive.h: same durability, duplicate and
// quota rules). Each part is a Part 10 file: its head is held until the file meta and the
// data set's identifying attributes have been read (bounded), then the data set streams into
// an Ingest as it arrives. The response lists every instance's outcome (PS3.18 10.5.3).
//
// The other form (PS3.18 10.5.1.2.2): multipart/related; type="application/dicom+json", with
// metadata parts (a DICOM JSON array) and bulk data parts named by Content-Location. A
// BulkDataURI is resolved only against the parts of the same request, never fetched. The parts
// are held in memory up to max_stow_json_bytes, then each instance is encoded in Explicit VR
// Little Endian and ingested like any other.
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <nlohmann/json.hpp>

#include "base/byte_source.h"
#include "dicom/json_model.h"
#include "dicom/reader.h"
#include "dicom/writer.h"
#include "net/dimse/command.h"
#include "web/dicomweb/dicomweb_service.h"
#include "web/dicomweb/services.h"
#include "web/http/media_type.h"
#include "web/http/multipart.h"

namespace bastion::web::dicomweb {

namespace {

using nlohmann::json;

// The part head is parsed once this much has arrived (or the part ended); a head that does not
// parse within kMaxPartHead bytes fails the part.
constexpr std::size_t kFirstHeadAttempt = 64 * 1024;
constexpr std::size_t kMaxPartHead = 4 * 1024 * 1024;
// Instances of one request whose completion (validation, fsync, index commit) runs in the
// background while the next ones arrive; the oldest is waited for beyond this.
constexpr std::size_t kMaxPendingCompletions = 4;

// Bytes of the request body seen in place, for parsing a part's head within the call that
// has them. Unlike ByteSource's other kinds it does not own them: nothing parsed from it may
// be kept past that call (only the copied UIDs, transfer syntax and offsets are).
class BorrowedBytes final : public ByteSource {
 public:
  explicit BorrowedBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::span<const std::uint8_t> bytes() const override { return bytes_; }

 private:
  std::span<const std::uint8_t> bytes_;
};

json Uid(std::string_view uid) { return {{"vr", "UI"}, {"Value", {uid}}}; }
json Url(const std::string& url) { return {{"vr", "UR"}, {"Value", {url}}}; }

class StowConsumer final : public http::BodyConsumer, public http::MultipartReader::Events {
 public:
  StowConsumer(const Call& call, std::string boundary, std::string study_uid, bool json_form)
      : json_form_(json_form),
        context_(call.context),
        user_(call.caller.identity.user),
        address_(call.caller.address),
        target_(call.head.target),
        study_uid_(std::move(study_uid)),
        reader_(std::move(boundary), call.context.limits.multipart, *this) {}

  Status Consume(std::span<const std::uint8_t> bytes) override {
    received_ += bytes.size();
    if (received_ > context_.limits.max_stow_bytes) {
      return Status::LimitExceeded("the STOW-RS body is larger than the limit of " +
                                   std::to_string(context_.limits.max_stow_bytes) + " bytes");
    }
    return reader_.Feed(bytes);
  }

  http::Response Finish() override {
    const Status done = reader_.Finish();
    while (!pending_.empty()) CollectOldest();
    if (!done.ok()) return JsonError(done);
    if (json_form_) StoreJsonInstances();
    if (stored_.empty() && failed_.empty()) {
      return JsonError(400, "the STOW-RS body holds no instance");
    }
    Audit();
    json body = json::object();
    if (!study_uid_.empty()) {
      body["00081190"] = Url(DicomWebBase(context_) + "/studies/" + study_uid_);
    }
    if (!failed_.empty()) body["00081198"] = {{"vr", "SQ"}, {"Value", failed_}};
    if (!stored_.empty()) body["00081199"] = {{"vr", "SQ"}, {"Value", stored_}};
    const unsigned status = failed_.empty() ? 200 : stored_.empty() ? 409 : 202;
    return http::TextResponse(status, "application/dicom+json", body.dump());
  }

  // --- MultipartReader::Events ---
  Status OnPartBegin(const http::PartHeaders& headers) override {
    if (stored_.size() + failed_.size() >= context_.limits.max_stow_instances) {
      return Status::LimitExceeded("more than " +
                                   std::to_string(context_.limits.max_stow_instances) +
                                   " instances in one STOW-RS request");
    }
    part_ = Part{};
    auto type = headers.Get("content-type");
    if (json_form_) {
      held_.push_back({std::string(type.value_or("application/octet-stream")),
                       std::string(headers.Get("content-location").value_or("")),
                       {}});
      return Status::Ok();
    }
    if (type) {
      auto media = http::ParseMediaType(*type);
      if (!media.ok() || media->Essence() != "application/dicom") {
        part_.failure = Status::Unsupported("a part of type " + std::string(*type) +
                                            " (this request takes application/dicom parts)");
      }
    }
    return Status::Ok();
  }

  Status OnPartData(std::span<const std::uint8_t> data) override {
    if (json_form_) {
      held_bytes_ += data.size();
      if (held_bytes_ > context_.limits.max_stow_json_bytes) {
        return Status::LimitExceeded("a STOW-RS request in DICOM JSON form holds at most " +
                                     std::to_string(context_.limits.max_stow_json_bytes) +
                                     " bytes (send application/dicom parts instead)");
      }
      held_.back().bytes.insert(held_.back().bytes.end(), data.begin(), data.end());
      return Status::Ok();
    }
    if (!part_.failure.ok()) return Status::Ok();  // the rest of a failed part is dropped
    if (part_.ingest) {
      WriteToIngest(data);
      return Status::Ok();
    }
    if (part_.head.empty() && data.size() >= part_.next_attempt) {
      // The usual case: the part's head arrived whole in this piece. It is parsed where it
      // is, without gathering a copy first.
      StartIngest(data, false);
      if (part_.ingest || !part_.failure.ok()) return Status::Ok();
    }
    part_.head.insert(part_.head.end(), data.begin(), data.end());
    if (part_.head.size() >= part_.next_attempt) StartIngest(part_.head, false);
    return Status::Ok();
  }

  Status OnPartEnd() override {
    if (json_form_) return Status::Ok();
    if (part_.failure.ok() && !part_.ingest) StartIngest(part_.head, true);
    if (!part_.failure.ok()) {
      Fail(part_.failure);
      return Status::Ok();
    }
    CompleteInBackground();
    return Status::Ok();
  }

 private:
  // One instance's Ingest::Finish, run once by whichever thread claims it first: the
  // background executor, or this request's thread when it would otherwise wait for it.
  struct Completion {
    std::atomic<bool> claimed{false};
    std::shared_ptr<archive::Ingest> ingest;
    std::promise<Result<archive::IngestResult>> promise;

    void RunOnce() {
      if (claimed.exchange(true)) return;
      try {
        promise.set_value(ingest->Finish());
      } catch (const std::exception& e) {
        promise.set_value(Status::Internal(std::string("storing the instance: ") + e.what()));
      }
      ingest.reset();
    }
  };
  struct Pending {
    std::shared_ptr<Completion> completion;
    std::future<Result<archive::IngestResult>> result;
    std::string sop_class_uid, sop_instance_uid;
  };

  // Ingest::Finish of the current part on the background executor (the same durability: the
  // response is built only after every completion has returned).
  void CompleteInBackground() {
    auto completion = std::make_shared<Completion>();
    completion->ingest = std::shared_ptr<archive::Ingest>(std::move(part_.ingest));
    pending_.push_back({completion, completion->promise.get_future(), part_.sop_class_uid,
                        part_.sop_instance_uid});
    if (context_.background) {
      context_.background([completion] { completion->RunOnce(); });
    } else {
      completion->RunOnce();
    }
    while (pending_.size() > kMaxPendingCompletions) CollectOldest();
  }

  void CollectOldest() {
    // Rather than sleep until the executor (ingest_threads, shared by every request) gets to
    // them, this thread completes the instances it has not started yet, oldest first: each
    // completion is mostly waiting on fsyncs, so more of them at once keep the disk busy.
    for (Pending& p : pending_) {
      if (pending_.front().result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        break;
      }
      p.completion->RunOnce();
    }
    Pending oldest = std::move(pending_.front());
    pending_.pop_front();
    part_.sop_class_uid = oldest.sop_class_uid;
    part_.sop_instance_uid = oldest.sop_instance_uid;
    Record(oldest.result.get());
  }

  struct Part {
    std::vector<std::uint8_t> head;  // bytes held until the head is parsed
    std::size_t next_attempt = kFirstHeadAttempt;
    std::unique_ptr<archive::Ingest> ingest;
    std::string sop_class_uid, sop_instance_uid;
    Status failure;
  };
  struct HeldPart {  // the DICOM JSON form
    std::string content_type;
    std::string content_location;
    std::vector<std::uint8_t> bytes;
  };

  void Record(Result<archive::IngestResult> result) {
    if (!result.ok()) {
      Fail(result.status());
      return;
    }
    const auto& record = result->record;
    json item = {
        {"00081150", Uid(record.instance.sop_class_uid)},
        {"00081155", Uid(record.instance.sop_instance_uid)},
        {"00081190", Url(DicomWebBase(context_) + "/studies/" + record.study.study_instance_uid +
                         "/series/" + record.series.series_instance_uid + "/instances/" +
                         record.instance.sop_instance_uid)}};
    if (!result->warnings.empty() || result->outcome == index::AddOutcome::kIdentical) {
      // Coercion of attributes (0xB000) is the closest standard warning for "stored with
      // tolerated deviations"; an identical duplicate is acknowledged without one.
      if (!result->warnings.empty()) item["00081196"] = {{"vr", "US"}, {"Value", {0xB000}}};
    }
    stored_.push_back(std::move(item));
    audit::AddParticipant(studies_, record.study.study_instance_uid);
    audit::AddParticipant(patients_, record.patient.patient_id);
  }

  // Replaces every BulkDataURI of `dataset` (and its items) with the bytes of the part whose
  // Content-Location it names.
  Status ResolveBulkData(dicom::DataSet& dataset) const {
    for (dicom::Element& e : dataset.mutable_elements()) {
      for (dicom::DataSet& item : e.items) BASTION_RETURN_IF_ERROR(ResolveBulkData(item));
      if (e.bulk_data_uri.empty()) continue;
      const HeldPart* found = nullptr;
      for (const HeldPart& p : held_) {
        if (!p.content_location.empty() && p.content_location == e.bulk_data_uri) found = &p;
      }
      if (found == nullptr) {
        return Status::Malformed("BulkDataURI " + e.bulk_data_uri.substr(0, 200) +
                                 " names no part of this request (Bastion never fetches one)");
      }
      auto media = http::ParseMediaType(found->content_type);
      if (!media.ok() || media->Essence() != "application/octet-stream") {
        return Status::Unsupported("bulk data of type " + found->content_type.substr(0, 100) +
                                   " (only application/octet-stream, uncompressed)");
      }
      e.value = dicom::ValueBytes(found->bytes);
      e.bulk_data_uri.clear();
    }
    return Status::Ok();
  }

  void StoreJsonInstances() {
    for (const HeldPart& part : held_) {
      auto media = http::ParseMediaType(part.content_type);
      if (!media.ok() || (media->Essence() != "application/dicom+json" &&
                          media->Essence() != "application/json")) {
        continue;  // bulk data, used through its Content-Location
      }
      bool too_deep = false;
      auto limit = [&too_deep](int depth, json::parse_event_t, json&) {
        if (depth > 2 * static_cast<int>(dicom::JsonLimits{}.max_depth) + 8) too_deep = true;
        return !too_deep;
      };
      const std::string_view text(reinterpret_cast<const char*>(part.bytes.data()),
                                  part.bytes.size());
      json metadata = json::parse(text, limit, false);
      if (too_deep || metadata.is_discarded() || !metadata.is_array()) {
        part_ = Part{};
        Fail(Status::Malformed("a metadata part is not a DICOM JSON array"));
        continue;
      }
      for (const json& object : metadata) {
        part_ = Part{};
        auto dataset = dicom::DecodeJson(object.dump());
        if (!dataset.ok()) {
          Fail(dataset.status());
          continue;
        }
        part_.sop_class_uid = dataset->GetString({0x0008, 0x0016}).value_or("");
        part_.sop_instance_uid = dataset->GetString({0x0008, 0x0018}).value_or("");
        if (Status resolved = ResolveBulkData(*dataset); !resolved.ok()) {
          Fail(resolved);
          continue;
        }
        if (!study_uid_.empty() && dataset->GetString({0x0020, 0x000D}) != study_uid_) {
          Fail(Status::Malformed("the instance does not belong to the study of the request path"));
          continue;
        }
        const dicom::TransferSyntax& ts = dicom::ExplicitVrLittleEndian();
        auto bytes = dicom::EncodeDataSet(*dataset, ts, ts);
        if (!bytes.ok()) {
          Fail(bytes.status());
          continue;
        }
        archive::IncomingInstance incoming;
        incoming.sop_class_uid = part_.sop_class_uid;
        incoming.sop_instance_uid = part_.sop_instance_uid;
        incoming.transfer_syntax_uid = std::string(dicom::transfer_syntax::kExplicitVrLittleEndian);
        incoming.source_user = user_;
        incoming.peer_address = address_;
        auto ingest = context_.archive->Begin(incoming);
        if (!ingest.ok()) {
          Fail(ingest.status());
          continue;
        }
        if (Status written = (*ingest)->Write(*bytes); !written.ok()) {
          Fail(written);
          continue;
        }
        Record((*ingest)->Finish());
      }
    }
  }

  // Parses the head of the part from `bytes` (its first bytes, or all of it when
  // `part_complete`) and starts its ingest with them. When the head goes on beyond `bytes`,
  // only raises part_.next_attempt: the caller gathers more.
  void StartIngest(std::span<const std::uint8_t> bytes, bool part_complete) {
    auto source = std::make_shared<BorrowedBytes>(bytes);
    dicom::ReadOptions options = context_.archive->policy().read;
    auto summary = dicom::SummarizePart10(source, options);
    if (!summary.ok()) {
      if (!part_complete && bytes.size() < kMaxPartHead) {
        part_.next_attempt = bytes.size() * 2;
        return;
      }
      part_.failure =
          Status::Malformed("not a readable DICOM Part 10 file: " + summary.status().message());
      return;
    }
    part_.sop_class_uid = summary->sop_class_uid;
    part_.sop_instance_uid = summary->sop_instance_uid;
    if (!study_uid_.empty()) {
      options.stop_before = dicom::Tag{0x0020, 0x000E};
      options.allow_truncation = true;
      auto head = dicom::ReadPart10(source, options);
      auto study = head.ok() ? head->dataset.GetString({0x0020, 0x000D}) : std::nullopt;
      if (!study) {
        if (!part_complete && bytes.size() < kMaxPartHead) {
          part_.next_attempt = bytes.size() * 2;
          return;
        }
        part_.failure = Status::Malformed("the instance has no Study Instance UID");
        return;
      }
      if (*study != study_uid_) {
        part_.failure = Status::Malformed("the instance belongs to study " + *study +
                                          ", not to the study of the request path");
        return;
      }
    }
    archive::IncomingInstance incoming;
    incoming.sop_class_uid = summary->sop_class_uid;
    incoming.sop_instance_uid = summary->sop_instance_uid;
    incoming.transfer_syntax_uid = summary->transfer_syntax_uid;
    incoming.source_user = user_;
    incoming.peer_address = address_;
    auto ingest = context_.archive->Begin(incoming);
    if (!ingest.ok()) {
      part_.failure = ingest.status();
      return;
    }
    part_.ingest = std::move(*ingest);
    WriteToIngest(bytes.subspan(static_cast<std::size_t>(summary->data_offset)));
    part_.head.clear();
    part_.head.shrink_to_fit();
  }

  void WriteToIngest(std::span<const std::uint8_t> data) {
    if (Status written = part_.ingest->Write(data); !written.ok()) {
      part_.failure = written;
      part_.ingest.reset();  // drops the temporary file
    }
  }

  void Fail(const Status& status) {
    json item = {{"00081197", {{"vr", "US"}, {"Value", {net::dimse::CStoreStatusFor(status)}}}}};
    if (!part_.sop_class_uid.empty()) item["00081150"] = Uid(part_.sop_class_uid);
    if (!part_.sop_instance_uid.empty()) item["00081155"] = Uid(part_.sop_instance_uid);
    failed_.push_back(std::move(item));
    if (first_failure_.empty()) first_failure_ = status.message();
  }

  void Audit() {
    if (context_.audit == nullptr) return;
    const auto outcome = failed_.empty()   ? audit::AuditOutcome::kSuccess
                         : stored_.empty() ? audit::AuditOutcome::kSeriousFailure
                                           : audit::AuditOutcome::kMinorFailure;
    audit::AuditEvent event =
        RequestEvent(context_, user_, address_, audit::AuditEventType::kInstancesStored, outcome,
                     "STOW-RS " + target_ + ": " + std::to_string(stored_.size()) + " stored, " +
                         std::to_string(failed_.size()) + " failed" +
                         (first_failure_.empty() ? "" : " (first: " + first_failure_ + ")"));
    event.study_instance_uids = studies_;
    event.patient_ids = patients_;
    event.instance_count = stored_.size();
    context_.audit->Emit(event);
  }

  const bool json_form_;
  std::deque<Pending> pending_;
  std::vector<HeldPart> held_;
  std::uint64_t held_bytes_ = 0;
  const DicomWebContext& context_;
  const std::string user_;
  const std::string address_;
  const std::string target_;
  const std::string study_uid_;
  http::MultipartReader reader_;
  std::uint64_t received_ = 0;
  Part part_;
  json stored_ = json::array();
  json failed_ = json::array();
  std::string first_failure_;
  std::vector<std::string> studies_, patients_;
};

}  // namespace

http::Dispatch StoreInstances(const Call& call, std::string_view study_uid) {
  http::Dispatch dispatch;
  auto content_type = http::FindHeader(call.head.headers, "content-type");
  if (!content_type) {
    dispatch.response =
        JsonError(415, "STOW-RS takes multipart/related; type=\"application/dicom\"");
    return dispatch;
  }
  auto media = http::ParseMediaType(*content_type);
  if (!media.ok()) {
    dispatch.response = JsonError(400, "Content-Type: " + media.status().message());
    return dispatch;
  }
  const auto type = media->Parameter("type");
  const bool json_form = type && (*type == "application/dicom+json" || *type == "application/json");
  if (media->Essence() != "multipart/related" ||
      (type && *type != "application/dicom" && !json_form)) {
    dispatch.response = JsonError(415,
                                  "STOW-RS takes multipart/related; type=\"application/dicom\" "
                                  "(or type=\"application/dicom+json\" with bulk data parts)");
    return dispatch;
  }
  if (call.head.content_length && *call.head.content_length > call.context.limits.max_stow_bytes) {
    dispatch.response =
        JsonError(413, "the STOW-RS body is larger than the limit of " +
                           std::to_string(call.context.limits.max_stow_bytes) + " bytes");
    return dispatch;
  }
  auto boundary = http::BoundaryOf(*media, call.context.limits.multipart.max_boundary_length);
  if (!boundary.ok()) {
    dispatch.response = JsonError(400, "Content-Type: " + boundary.status().message());
    return dispatch;
  }
  dispatch.consumer =
      std::make_unique<StowConsumer>(call, *std::move(boundary), std::string(study_uid), json_form);
  return dispatch;
}

}  // namespace bastion::web::dicomweb

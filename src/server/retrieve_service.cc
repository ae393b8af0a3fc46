#include "server/retrieve_service.h"

#include <algorithm>

#include "archive/transfer_syntax_conversion.h"
#include "dicom/reader.h"
#include "dicom/writer.h"
#include "server/find_service.h"

namespace bastion::server {

namespace {

namespace ts_uid = dicom::transfer_syntax;
using archive::IsConvertible;

}  // namespace

Result<index::Query> ParseRetrieveIdentifier(std::string_view sop_class,
                                             std::span<const std::uint8_t> identifier,
                                             const dicom::TransferSyntax& ts,
                                             const RetrieveLimits& limits) {
  const bool study_root = sop_class == kStudyRootMove || sop_class == kStudyRootGet;
  BASTION_ASSIGN_OR_RETURN(Identifier read,
                           ReadIdentifier(identifier, ts, limits.max_identifier_bytes, study_root));
  index::QueryOptions options;
  options.max_results = limits.max_instances;
  BASTION_ASSIGN_OR_RETURN(index::Query query,
                           index::BuildQuery(read.level, read.dataset, options));
  // Only the unique keys of the retrieve level and above select what is retrieved.
  std::erase_if(query.matches, [&](const index::KeyMatch& m) {
    for (int l = study_root ? 1 : 0; l <= static_cast<int>(read.level); ++l) {
      if (m.tag == index::UniqueKey(static_cast<index::QueryLevel>(l))) {
        return m.kind == index::MatchKind::kWildcard || m.kind == index::MatchKind::kRange;
      }
    }
    return true;
  });
  const dicom::Tag key = index::UniqueKey(read.level);
  const bool named = std::any_of(query.matches.begin(), query.matches.end(),
                                 [key](const index::KeyMatch& m) { return m.tag == key; });
  if (!named) {
    return Status::Malformed("the identifier gives no value for " + key.ToString() +
                             ", the unique key of the " +
                             std::string(index::QueryLevelName(read.level)) + " level");
  }
  query.return_keys.clear();
  return query;
}

std::optional<std::string> ChooseTransferSyntax(const std::string& stored,
                                                const std::vector<std::string>& accepted) {
  if (std::find(accepted.begin(), accepted.end(), stored) != accepted.end()) return stored;
  if (!IsConvertible(stored)) return std::nullopt;
  for (std::string_view candidate : archive::ConvertibleTransferSyntaxes()) {
    if (std::find(accepted.begin(), accepted.end(), candidate) != accepted.end()) {
      return std::string(candidate);
    }
  }
  return std::nullopt;
}

std::vector<std::string> SendableTransferSyntaxes(const std::string& stored) {
  std::vector<std::string> out{stored};
  if (!IsConvertible(stored)) return out;
  for (std::string_view candidate : archive::ConvertibleTransferSyntaxes()) {
    if (candidate != stored && candidate != ts_uid::kDeflatedExplicitVrLittleEndian) {
      out.emplace_back(candidate);
    }
  }
  return out;
}

RetrieveProgress RunSubOperations(const archive::Archive& archive,
                                  const std::vector<index::StoredInstance>& instances,
                                  InstanceReceiver& receiver,
                                  const std::function<bool()>& cancelled,
                                  const std::function<void(const RetrieveProgress&)>& progress,
                                  const archive::ConversionLimits& conversion) {
  constexpr std::size_t kMaxListedFailures = 1000;
  RetrieveProgress p;
  p.counts.remaining = static_cast<std::uint16_t>(std::min<std::size_t>(instances.size(), 0xFFFF));
  bool association_lost = false;
  for (const index::StoredInstance& instance : instances) {
    if (!association_lost && cancelled()) {
      p.cancelled = true;
      break;
    }
    auto fail = [&](const std::string& why) {
      ++p.counts.failed;
      if (p.failed_uids.size() < kMaxListedFailures)
        p.failed_uids.push_back(instance.sop_instance_uid);
      if (p.first_failure.empty()) p.first_failure = why;
    };
    --p.counts.remaining;
    if (association_lost) {
      fail("the receiving association failed");
      continue;
    }
    const std::string& stored = instance.storage.transfer_syntax_uid;
    const auto accepted = receiver.AcceptedTransferSyntaxes(instance.sop_class_uid);
    const auto chosen = ChooseTransferSyntax(stored, accepted);
    if (!chosen) {
      fail(accepted.empty()
               ? "the receiver accepted no context for SOP class " + instance.sop_class_uid
               : "the receiver does not accept transfer syntax " + stored +
                     " and it cannot be converted");
    } else if (auto object = archive.OpenStored(instance); !object.ok()) {
      fail(object.status().message());
    } else {
      Result<std::uint16_t> status = Status::Ok();
      if (*chosen == stored) {
        status = receiver.Store(instance, *chosen, object->data_set);
      } else if (auto converted = archive::ConvertDataSet(*object, stored, *chosen, conversion,
                                                          archive.policy().read);
                 converted.ok()) {
        status = receiver.Store(instance, *chosen, *converted);
      } else {
        status = converted.status().WithContext("converting to " + *chosen);
      }
      if (!status.ok()) {
        fail(status.status().message());
        association_lost = status.status().code() == StatusCode::kUnavailable;
      } else if (*status == net::dimse::status::kSuccess) {
        ++p.counts.completed;
        audit::AddParticipant(p.studies, instance.study_instance_uid);
        audit::AddParticipant(p.patients, instance.patient_id);
      } else if ((*status & 0xF000) == 0xB000) {
        ++p.counts.warning;  // PS3.4 B.2.3: coercion, elements discarded, ...
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "%04X", *status);
        fail("the receiver answered status 0x" + std::string(hex));
      }
    }
    progress(p);
  }
  return p;
}

std::uint16_t FinalRetrieveStatus(const RetrieveProgress& progress) {
  if (progress.cancelled) return net::dimse::status::kCancel;
  const auto& c = progress.counts;
  if (c.failed == 0 && c.warning == 0) return net::dimse::status::kSuccess;
  if (c.completed == 0 && c.warning == 0) return 0xA702;  // unable to perform sub-operations
  return 0xB000;  // sub-operations complete, one or more failures or warnings
}

Result<std::vector<std::uint8_t>> EncodeFailedInstances(const RetrieveProgress& progress,
                                                        const dicom::TransferSyntax& ts) {
  dicom::DataSet identifier;
  std::string list;
  for (const std::string& uid : progress.failed_uids) list += (list.empty() ? "" : "\\") + uid;
  identifier.SetString(dicom::Tag{0x0008, 0x0058}, dicom::Vr::kUI, list);
  return dicom::EncodeDataSet(identifier, ts, dicom::ExplicitVrLittleEndian());
}

}  // namespace bastion::server

// The DICOMweb services behind DicomWebService's router, one function per resource. The router
// has already authenticated the caller and checked the permission; each service applies the
// caller's scope through the index, audits what it touched and builds the response.
// Thread-safety: stateless functions; they block (index, files) and run on worker threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/index.h"
#include "web/dicomweb/dicomweb_context.h"
#include "web/http/message.h"

namespace bastion::web::dicomweb {

struct Call {
  const DicomWebContext& context;
  const http::RequestHead& head;
  const http::Target& target;
  const Caller& caller;
};

// The study, series and instance a WADO-RS path names (the deeper ones may be empty).
struct ResourceUids {
  std::string study;
  std::string series;
  std::string instance;
  index::QueryLevel level() const;
};

// QIDO-RS (qido_service.cc).
http::Response SearchResource(const Call& call, QidoResource resource, const ResourceUids& uids);

// WADO-RS (wado_rs.cc): instances as multipart/related application/dicom, metadata as DICOM
// JSON, frames, bulk data (with Range), rendered and thumbnail images.
http::Response RetrieveInstances(const Call& call, const ResourceUids& uids);
http::Response RetrieveMetadata(const Call& call, const ResourceUids& uids);
http::Response RetrieveFrames(const Call& call, const ResourceUids& uids,
                              std::string_view frame_list);
http::Response RetrieveBulkData(const Call& call, const ResourceUids& uids,
                                std::span<const std::string> tag_path);
http::Response RetrieveRendered(const Call& call, const ResourceUids& uids,
                                std::optional<std::string_view> frame_list, bool thumbnail);
// WADO-URI (PS3.18 9): GET /wado?requestType=WADO&studyUID=&seriesUID=&objectUID=.
http::Response RetrieveWadoUri(const Call& call);

// STOW-RS (stow_rs.cc): the body is read by the returned consumer.
http::Dispatch StoreInstances(const Call& call, std::string_view study_uid);

// DELETE of a study, series or instance (delete_service.cc).
http::Response DeleteResource(const Call& call, const ResourceUids& uids);

// The instances `uids` names in the caller's scope, at most `limit` (NotFound when none).
Result<std::vector<index::StoredInstance>> InstancesInScope(const Call& call,
                                                            const ResourceUids& uids,
                                                            std::size_t limit);
// An index query for `uids` under the caller's scope.
index::Query ScopedQuery(const Call& call, const ResourceUids& uids);

// An audit event by `user` from `address` on this server (the fields every service fills).
audit::AuditEvent RequestEvent(const DicomWebContext& context, const std::string& user,
                               const std::string& address, audit::AuditEventType type,
                               audit::AuditOutcome outcome, std::string description);

// Emits an audit event about the caller's request.
void AuditRequest(const Call& call, audit::AuditEventType type, audit::AuditOutcome outcome,
                  const std::vector<index::StoredInstance>& instances, std::string description);

// The URL prefix of this service for responses ("https://host:8443/dicom-web" or "/dicom-web").
std::string DicomWebBase(const DicomWebContext& context);

}  // namespace bastion::web::dicomweb

// QIDO-RS (PS3.18 10.6) as a service: the request read by qido.h into the query C-FIND runs
// too (index::BuildQuery), run in the caller's scope, answered as DICOM JSON and audited.
#include <algorithm>

#include "web/dicomweb/dicomweb_service.h"
#include "web/dicomweb/negotiation.h"
#include "web/dicomweb/qido.h"
#include "web/dicomweb/services.h"

namespace bastion::web::dicomweb {

http::Response SearchResource(const Call& call, QidoResource resource, const ResourceUids& uids) {
  // PS3.18 8.3.3: an accept query parameter stands in for the Accept header.
  auto ranges = AcceptableMediaTypes(call.head, call.target);
  if (!ranges.ok()) return JsonError(ranges.status());
  if (!Negotiate(*ranges, {{"application/dicom+json", "", ""}, {"application/json", "", ""}})) {
    return JsonError(406, "QIDO-RS answers in application/dicom+json");
  }
  auto request = ParseQidoRequest(resource, uids.study, uids.series, call.target.query,
                                  call.context.limits.qido, call.context.limits.query);
  if (!request.ok()) return JsonError(request.status());
  request->query.scope = call.caller.identity.scope;
  auto matches = call.context.archive->index().Find(request->query);
  if (!matches.ok()) return JsonError(matches.status());
  auto body = EncodeQidoResponse(*matches, *request, DicomWebBase(call.context));
  if (!body.ok()) return JsonError(body.status());

  audit::AuditEvent event = RequestEvent(
      call.context, call.caller.identity.user, call.caller.address, audit::AuditEventType::kQuery,
      audit::AuditOutcome::kSuccess, "QIDO-RS " + call.head.target);
  for (const index::KeyMatch& m : request->query.matches) {
    if (m.tag == dicom::Tag{0x0010, 0x0020}) audit::AddParticipant(event.patient_ids, m.value);
    if (m.tag == dicom::Tag{0x0020, 0x000D}) {
      audit::AddParticipant(event.study_instance_uids, m.value);
      for (const std::string& uid : m.uids) audit::AddParticipant(event.study_instance_uids, uid);
    }
  }
  if (call.context.audit != nullptr) call.context.audit->Emit(event);

  http::Response response = http::TextResponse(200, "application/dicom+json", *std::move(body));
  std::vector<std::string> warnings;
  if (request->limit_clamped) {
    warnings.push_back("299 bastion \"limit reduced to " + std::to_string(request->limit) + "\"");
  }
  if (MoreMatchesFollow(*matches, *request)) {
    warnings.push_back("299 bastion \"There are additional results that can be requested\"");
  }
  if (!request->unsupported_include_fields.empty()) {
    warnings.push_back(
        "299 bastion \"The fuzzymatching or includefield parameter is not fully supported\"");
  }
  // PS3.18 8.3: unsupported parameters were ignored; say which.
  for (std::string name : request->ignored_parameters) {
    // Quoted by the parser (printable ASCII, bounded); no '"' or '\\' inside a quoted-string.
    std::replace_if(
        name.begin(), name.end(), [](char c) { return c == '"' || c == '\\'; }, '?');
    warnings.push_back("299 bastion \"The query parameter " + name +
                       " is not supported and was ignored\"");
  }
  // PS3.18 8.3.4.5 and 8.3.4.6 word these two.
  for (const std::string& name : request->unsupported_parameters) {
    warnings.push_back("299 bastion \"The " + name + " parameter is not supported. " +
                       (name == "emptyvaluematching" ? "Empty" : "Multiple") +
                       " Value Matching has not been performed.\"");
  }
  for (std::string& w : warnings) response.headers.emplace_back("warning", std::move(w));
  return response;
}

}  // namespace bastion::web::dicomweb

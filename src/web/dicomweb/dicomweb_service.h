// DicomWebService: the HTTP handler of `bastion serve` (PS3.18 DICOMweb and the login API).
//
// Routes a request by method and path, authenticates it (http_authenticator.h), checks the
// permission its service needs (QIDO-RS: query; WADO-RS and WADO-URI: retrieve; STOW-RS: store;
// DELETE: delete) and the CSRF token of cookie sessions, and hands it to the service:
//   /dicom-web/studies, /series, /instances (and below a study or series)   QIDO-RS  qido.h
//   /dicom-web/studies/{s}[/series/{se}[/instances/{i}]][/metadata|/frames/{n}|/rendered|
//       /thumbnail|/bulk/{path}]                                             WADO-RS  wado_rs.h
//   POST /dicom-web/studies[/{s}]                                           STOW-RS  stow_rs.h
//   DELETE /dicom-web/studies/{s}[/series/{se}[/instances/{i}]]             (Bastion extension)
//   GET /wado?requestType=WADO&...                                          WADO-URI wado_rs.h
//   POST /api/login, POST /api/logout, GET /api/session                     sessions
// Out-of-scope studies are indistinguishable from absent ones (404, empty QIDO results). Errors
// are JSON {"status": N, "message": "..."}; a 401 carries WWW-Authenticate: Bearer and nothing
// about the data.
// Thread-safety: Begin and ErrorResponse may be called concurrently.
#pragma once

#include "web/dicomweb/dicomweb_context.h"
#include "web/http/message.h"

namespace bastion::web::dicomweb {

class DicomWebService final : public http::Handler {
 public:
  explicit DicomWebService(DicomWebContext context) : context_(std::move(context)) {}

  http::Dispatch Begin(const http::RequestHead& head) override;
  http::Response ErrorResponse(const Status& status, unsigned http_status = 0) override;

  const DicomWebContext& context() const { return context_; }

 private:
  http::Dispatch Route(const http::RequestHead& head, const http::Target& target);

  DicomWebContext context_;
};

// The JSON error response every service uses.
http::Response JsonError(const Status& status);
http::Response JsonError(unsigned http_status, const std::string& message);
// 405 with the Allow header RFC 9110 15.5.6 requires.
http::Response MethodNotAllowed(std::string_view allow, const std::string& message);

}  // namespace bastion::web::dicomweb

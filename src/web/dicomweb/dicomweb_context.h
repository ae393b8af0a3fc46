// What the DICOMweb services share: the archive, the authenticator, the audit sink and the
// limits, set up once by the server (src/server) and read by every request.
// Thread-safety: immutable after construction; the parts it points to are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "archive/archive.h"
#include "archive/transfer_syntax_conversion.h"
#include "audit/audit_event.h"
#include "index/query.h"
#include "render/pixel_description.h"
#include "web/dicomweb/http_authenticator.h"
#include "web/dicomweb/qido.h"
#include "web/http/multipart.h"
#include "web/http/query_string.h"

namespace bastion::web::dicomweb {

// Every limit of the HTTP services (docs/limits.md, [http] in bastion.toml).
struct DicomWebLimits {
  std::uint64_t max_stow_bytes = 2ull << 30;         // one STOW-RS request body
  std::uint32_t max_stow_instances = 10'000;         // parts of one STOW-RS request
  std::uint64_t max_stow_json_bytes = 256ull << 20;  // STOW-RS in DICOM JSON form, in memory
  std::size_t max_json_body_bytes = 16 * 1024;       // login and other small JSON requests
  std::size_t max_retrieve_instances = 65'535;       // one WADO-RS study/series retrieve
  std::size_t max_frames_per_request = 1'000;
  archive::ConversionLimits conversion;  // a data set converted to another transfer syntax
  QidoLimits qido;
  index::QueryOptions query;
  render::PixelLimits pixels;
  http::MultipartLimits multipart;
  http::TargetLimits target;
};

struct DicomWebContext {
  archive::Archive* archive = nullptr;
  const HttpAuthenticator* auth = nullptr;
  audit::AuditSink* audit = nullptr;
  std::string local_ae_title;  // names us in audit events
  // Prefix for URLs in responses (RetrieveURL, BulkDataURI): "https://pacs.example.org:8443".
  // Empty: path-absolute references ("/dicom-web/..."), which clients resolve against the
  // request URL. Never taken from the Host header, which the caller controls.
  std::string public_url;
  DicomWebLimits limits;
  // Runs work in the background (STOW-RS completes instances there while the next arrive);
  // unset: inline.
  std::function<void(std::function<void()>)> background;
};

}  // namespace bastion::web::dicomweb

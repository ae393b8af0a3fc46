#include "server/web_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "net/transport/server.h"
#include "net/transport/tls_context.h"
#include "security/lockout.h"
#include "security/token_store.h"
#include "web/dicomweb/dicomweb_service.h"
#include "web/http/https_redirect.h"
#include "web/transport/http_session.h"

namespace bastion::server {

namespace {
constexpr const char* kPlaintextListener = "http";
}  // namespace

bool WebServer::PlaintextServesApi(const HttpConfig& http) {
  return IsLoopbackAddress(http.plaintext_bind_address);
}

struct WebServer::Parts {
  std::unique_ptr<security::TokenStore> tokens;
  std::unique_ptr<web::dicomweb::SessionStore> sessions;
  std::unique_ptr<security::FailureTracker> address_failures;
  std::unique_ptr<security::FailureTracker> account_failures;
  std::unique_ptr<web::dicomweb::HttpAuthenticator> auth;
  std::unique_ptr<web::dicomweb::DicomWebService> service;
  std::unique_ptr<web::http::HttpsRedirect> redirect;  // the plaintext listener off loopback
  std::unique_ptr<boost::asio::thread_pool> workers;
  std::unique_ptr<boost::asio::thread_pool> ingest;  // STOW-RS completions (fsync, index)
  std::unique_ptr<net::transport::Server> network;
};

WebServer::WebServer(DataDir& dir, archive::Archive& archive, JwtCheck jwt)
    : dir_(dir), archive_(archive), jwt_(std::move(jwt)) {}

WebServer::~WebServer() { Stop(); }

Result<std::uint16_t> WebServer::Start() {
  const Config& config = dir_.config;
  const HttpConfig& http = config.http;
  parts_ = std::make_unique<Parts>();
  security::TokenStoreOptions token_options;
  token_options.create_if_missing = true;
  BASTION_ASSIGN_OR_RETURN(parts_->tokens,
                           security::TokenStore::Load(config.tokens_file(), token_options));

  web::dicomweb::SessionLimits session_limits;
  session_limits.idle = std::chrono::minutes(http.session_idle_minutes);
  session_limits.absolute = std::chrono::hours(http.session_max_hours);
  parts_->sessions = std::make_unique<web::dicomweb::SessionStore>(session_limits);

  // The same [lockout] as DIMSE (validated there, at start), tracked apart: HTTP logins.
  const security::FailureTrackerConfig lockout = FailureTrackerConfigFrom(config.lockout);
  parts_->address_failures = std::make_unique<security::FailureTracker>(lockout);
  parts_->account_failures = std::make_unique<security::FailureTracker>(lockout);

  web::dicomweb::HttpAuthenticator::Parts auth;
  auth.users = dir_.users.get();
  auth.tokens = parts_->tokens.get();
  auth.jwt = jwt_;
  auth.roles = &dir_.roles;
  auth.sessions = parts_->sessions.get();
  auth.address_failures = parts_->address_failures.get();
  auth.account_failures = parts_->account_failures.get();
  auth.audit = dir_.audit.get();
  auth.local_name = config.dicom.ae_title;
  parts_->auth = std::make_unique<web::dicomweb::HttpAuthenticator>(std::move(auth));

  web::dicomweb::DicomWebContext context;
  context.archive = &archive_;
  context.auth = parts_->auth.get();
  context.audit = dir_.audit.get();
  context.local_ae_title = config.dicom.ae_title;
  context.public_url = http.public_url;
  context.limits.max_stow_bytes = http.max_stow_bytes;
  context.limits.max_stow_instances = http.max_stow_instances;
  context.limits.max_retrieve_instances = config.query_retrieve.max_retrieve_instances;
  context.limits.conversion.max_data_set_bytes = config.query_retrieve.max_conversion_bytes;
  context.limits.qido.max_limit = http.max_qido_results;
  context.limits.query.case_insensitive_person_names =
      config.query_retrieve.case_insensitive_person_names;
  context.limits.multipart.max_parts = http.max_stow_instances + 1;
  // Tolerated deviation: boundaries over RFC 2046's 70 characters (Orthanc's DICOMweb plugin
  // sends 73 when it stores into us).
  context.limits.multipart.max_boundary_length = 200;
  parts_->ingest =
      std::make_unique<boost::asio::thread_pool>(std::max(2u, config.storage.ingest_threads));
  boost::asio::thread_pool* ingest = parts_->ingest.get();
  context.background = [ingest](std::function<void()> task) {
    boost::asio::post(*ingest, std::move(task));
  };
  parts_->service = std::make_unique<web::dicomweb::DicomWebService>(std::move(context));

  parts_->workers = std::make_unique<boost::asio::thread_pool>(http.worker_threads);
  web::transport::HttpLimits limits;
  limits.max_header_bytes = http.max_header_bytes;
  limits.max_body_bytes = std::max<std::uint64_t>(http.max_stow_bytes, 1 << 20);
  limits.request_timeout = std::chrono::seconds(http.request_timeout_seconds);
  limits.idle_timeout = std::chrono::seconds(http.idle_timeout_seconds);

  net::transport::TransportLimits transport;
  transport.max_connections = http.max_connections;
  transport.max_connections_per_address = http.max_connections_per_address;
  transport.tls_handshake_timeout =
      std::chrono::seconds(config.limits.tls_handshake_timeout_seconds);
  transport.threads = config.limits.threads;
  // Which handler a connection gets depends only on the listener it came in on.
  web::http::Handler* service = parts_->service.get();
  if (!PlaintextServesApi(http)) {
    parts_->redirect = std::make_unique<web::http::HttpsRedirect>(http.public_url, http.port);
  }
  web::http::Handler* plaintext = parts_->redirect ? parts_->redirect.get() : service;
  boost::asio::thread_pool* workers = parts_->workers.get();
  parts_->network = std::make_unique<net::transport::Server>(
      transport, [service, plaintext, workers, limits](const net::transport::PeerInfo& peer) {
        web::http::Handler& handler =
            peer.local_listener == kPlaintextListener ? *plaintext : *service;
        return std::make_unique<web::transport::HttpSession>(handler, *workers, limits);
      });
  net::transport::TlsServerFiles files{config.tls.certificate_file, config.tls.key_file,
                                       config.tls.client_ca_file};
  BASTION_ASSIGN_OR_RETURN(auto tls, net::transport::MakeServerTlsContext(files));
  BASTION_ASSIGN_OR_RETURN(std::uint16_t port, parts_->network->AddListener(
                                                   {"https", http.bind_address, http.port, tls}));
  if (http.plaintext_port != 0) {
    BASTION_ASSIGN_OR_RETURN(plaintext_port_, parts_->network->AddListener(
                                                  {kPlaintextListener, http.plaintext_bind_address,
                                                   http.plaintext_port, nullptr}));
  }
  parts_->network->Start();
  return port;
}

void WebServer::ReloadTokens() {
  if (parts_ && parts_->tokens) (void)parts_->tokens->ReloadIfChanged();
}

void WebServer::Stop() {
  if (!parts_) return;
  if (parts_->network) parts_->network->Stop();
  if (parts_->workers) parts_->workers->join();
  if (parts_->ingest) parts_->ingest->join();
  parts_.reset();
}

}  // namespace bastion::server

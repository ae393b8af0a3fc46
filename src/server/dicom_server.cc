#include "server/dicom_server.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <chrono>

#include "audit/syslog_exporter.h"
#include "dicom/sop_class.h"
#include "dicom/writer.h"
#include "net/transport/server.h"
#include "net/transport/tls_context.h"
#include "security/jwks.h"
#include "security/jwks_cache.h"
#include "security/jwt.h"
#include "security/lockout.h"
#include "server/association_gate.h"
#include "server/dicom_session.h"
#include "server/find_service.h"
#include "server/jwks_https.h"
#include "server/web_server.h"

namespace bastion::server {

namespace {

constexpr const char* kVerificationSopClass = "1.2.840.10008.1.1";

// Issuers with a jwks_url get a JwksCache fetched once here and kept current by one
// background thread. A first fetch that fails does not stop the server: DIMSE peers,
// passwords and bearer tokens do not depend on the IdP, and a PACS that cannot start while
// the IdP is down stops the modalities too. That issuer's tokens are refused (fail closed)
// until a fetch succeeds, retried every jwks_min_refresh_seconds; the failure is one of the
// start-up warnings (printed by `bastion serve`) and logged.
// The thread lives as long as the last copy of the returned function (gate and web server).
Result<JwtVerifier> BuildJwtVerifier(const Config& config, std::vector<std::string>& warnings) {
  if (config.jwt_issuers.empty()) return JwtVerifier();
  std::vector<security::JwtIssuer> issuers;
  std::vector<std::shared_ptr<security::JwksCache>> caches;
  for (const JwtIssuerConfig& c : config.jwt_issuers) {
    security::JwtIssuer issuer;
    issuer.issuer = c.issuer;
    issuer.audiences = {c.audience};
    for (const std::string& name : c.algorithms) {
      auto alg = security::ParseJwtAlgorithm(name);
      if (!alg) return Status::Malformed("jwt_issuers: unknown algorithm '" + name + "'");
      issuer.allowed_algorithms.push_back(*alg);
    }
    for (const std::string& file : c.public_key_files) {
      BASTION_ASSIGN_OR_RETURN(auto key, security::JwtPublicKey::FromPemFile(file));
      issuer.keys.push_back(std::move(key));
    }
    if (!c.jwks_file.empty()) {
      BASTION_ASSIGN_OR_RETURN(auto set, security::LoadJwksFile(c.jwks_file));
      // The issuer publishes the set for all its clients: keys for algorithms this issuer is
      // not allowed here are left out rather than refused (a PEM key of such a type is).
      std::erase_if(set, [&](const security::JwtPublicKey& k) {
        return std::find(issuer.allowed_algorithms.begin(), issuer.allowed_algorithms.end(),
                         k.algorithm()) == issuer.allowed_algorithms.end();
      });
      if (set.empty()) {
        return Status::Malformed("jwt_issuers: " + c.jwks_file +
                                 " has no key for the algorithms allowed for " + c.issuer);
      }
      issuer.keys.insert(issuer.keys.end(), set.begin(), set.end());
    }
    if (!c.jwks_url.empty()) {
      const std::string ctx = "jwt_issuers " + c.issuer;
      BASTION_ASSIGN_OR_RETURN(JwksUrl url, ParseJwksUrl(c.jwks_url));
      JwksFetchLimits fetch_limits;
      fetch_limits.timeout = std::chrono::seconds(c.jwks_timeout_seconds);
      auto fetcher = JwksHttpsFetcher::Create(url, c.jwks_ca_file, fetch_limits);
      if (!fetcher.ok()) return fetcher.status().WithContext(ctx);
      security::JwksCache::Options options;
      options.name = url.url;
      options.allowed_algorithms = issuer.allowed_algorithms;
      options.limits.max_bytes = fetch_limits.max_body_bytes;
      options.policy.refresh_interval = std::chrono::seconds(c.jwks_refresh_seconds);
      options.policy.min_refresh_interval = std::chrono::seconds(c.jwks_min_refresh_seconds);
      auto cache = security::JwksCache::Create(std::move(options),
                                               [f = std::move(*fetcher)] { return f.Fetch(); });
      if (!cache.ok()) return cache.status().WithContext(ctx);
      if (Status first = (*cache)->Refresh(); !first.ok()) {
        warnings.push_back(ctx + ": " + first.message() + "; its tokens are refused until " +
                           url.url + " answers (retried every " +
                           std::to_string(c.jwks_min_refresh_seconds) + " s)");
      }
      issuer.key_source = *cache;
      caches.push_back(std::move(*cache));
    }
    issuer.username_claim = c.username_claim;
    issuer.roles_claim = c.roles_claim;
    issuer.scope_claim = c.scope_claim;
    issuer.clock_skew = std::chrono::seconds(c.clock_skew_seconds);
    issuers.push_back(std::move(issuer));
  }
  BASTION_ASSIGN_OR_RETURN(auto verifier, security::JwtVerifier::Create(std::move(issuers)));
  struct Shared {
    Shared(security::JwtVerifier v, std::vector<std::shared_ptr<security::JwksCache>> c)
        : verifier(std::move(v)), refresher(std::move(c)) {}
    security::JwtVerifier verifier;
    security::JwksRefresher refresher;
  };
  auto shared = std::make_shared<const Shared>(std::move(verifier), std::move(caches));
  return JwtVerifier([shared](std::string_view token) {
    return shared->verifier.Verify(token, std::chrono::system_clock::now());
  });
}

}  // namespace

struct DicomServer::Parts {
  std::unique_ptr<security::FailureTracker> failures;
  std::unique_ptr<AssociationGate> gate;
  std::unique_ptr<boost::asio::thread_pool> decision_pool;
  std::unique_ptr<ArchiveService> archive;
  std::unique_ptr<boost::asio::thread_pool> ingest_pool;
  std::unique_ptr<boost::asio::thread_pool> retrieve_pool;
  std::vector<std::unique_ptr<audit::SyslogExporter>> exporters;
  std::unique_ptr<net::transport::Server> network;
  std::unique_ptr<WebServer> web;
};

Result<std::unique_ptr<DicomServer>> DicomServer::Create(const std::string& data_dir) {
  std::unique_ptr<DicomServer> server(new DicomServer());
  BASTION_ASSIGN_OR_RETURN(server->dir_, OpenDataDir(data_dir));
  BASTION_RETURN_IF_ERROR(CheckSafeToServe(server->dir_.config));
  if (server->dir_.users->size() == 0) {
    return Status::PermissionDenied(
        "the user store " + server->dir_.config.users_file() +
        " is empty: add an administrator with `bastion user add --dir " + data_dir +
        " NAME --role admin` before serving");
  }
  return server;
}

DicomServer::~DicomServer() { Stop(); }

Result<std::vector<std::string>> DicomServer::Start() {
  const Config& config = dir_.config;
  std::vector<std::string> warnings;
  parts_ = std::make_unique<Parts>();

  const security::FailureTrackerConfig lockout = FailureTrackerConfigFrom(config.lockout);
  BASTION_RETURN_IF_ERROR(security::ValidateFailureTrackerConfig(lockout).WithContext("[lockout]"));
  parts_->failures = std::make_unique<security::FailureTracker>(lockout);

  net::acse::LocalApplication local;
  local.ae_title = config.dicom.ae_title;
  local.max_pdu_length = config.dicom.max_pdu_length;
  local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
  local.implementation_version_name = std::string(dicom::kImplementationVersionName);
  local.syntaxes.push_back({kVerificationSopClass, config.dicom.transfer_syntaxes, false});
  // Storage: every standard storage SOP class (and the configured private ones), in every
  // transfer syntax we can store as received.
  // We may also be their SCU on a C-GET's association (role selection, PS3.7 D.3.3.4).
  for (const std::string& sop_class : dicom::StorageSopClasses()) {
    local.syntaxes.push_back({sop_class, dicom::AllTransferSyntaxes(), true});
  }
  // Query/retrieve: Patient Root and Study Root C-FIND, C-MOVE, C-GET (PS3.4 C.6.1, C.6.2).
  for (const char* model : {kPatientRootFind, kStudyRootFind, kPatientRootMove, kStudyRootMove,
                            kPatientRootGet, kStudyRootGet}) {
    local.syntaxes.push_back({model, config.dicom.transfer_syntaxes, false});
  }
  for (const std::string& sop_class : config.storage.extra_sop_classes) {
    local.syntaxes.push_back({sop_class, dicom::AllTransferSyntaxes(), true});
  }

  BASTION_ASSIGN_OR_RETURN(parts_->archive, OpenArchiveService(config, *dir_.audit));
  if (const auto& r = parts_->archive->reconciliation) {
    warnings.push_back("the previous server stopped uncleanly; the archive was reconciled: " +
                       std::to_string(r->reindexed) + " instance(s) re-indexed, " +
                       std::to_string(r->removed_tombstoned) + " deleted file(s) removed, " +
                       std::to_string(r->problems.size()) + " problem(s)");
    for (const std::string& p : r->problems) warnings.push_back("reconciliation: " + p);
  }
  parts_->ingest_pool =
      std::make_unique<boost::asio::thread_pool>(std::max(1u, config.storage.ingest_threads));

  BASTION_ASSIGN_OR_RETURN(JwtVerifier jwt, BuildJwtVerifier(config, warnings));
  const JwtVerifier web_jwt = jwt;
  parts_->gate =
      std::make_unique<AssociationGate>(local, dir_.roles, *dir_.users, *dir_.peers, std::move(jwt),
                                        security::ResolveHostWithSystem, *dir_.audit);
  parts_->decision_pool =
      std::make_unique<boost::asio::thread_pool>(std::max(1u, config.limits.auth_threads));

  auto context = std::make_shared<SessionContext>();
  context->gate = parts_->gate.get();
  context->failures = parts_->failures.get();
  context->audit = dir_.audit.get();
  context->decision_pool = parts_->decision_pool.get();
  context->archive = parts_->archive->archive.get();
  context->ingest_pool = parts_->ingest_pool.get();
  const QueryRetrieveConfig& qr = config.query_retrieve;
  parts_->retrieve_pool = std::make_unique<boost::asio::thread_pool>(qr.retrieve_threads);
  context->retrieve_pool = parts_->retrieve_pool.get();
  context->peers = dir_.peers.get();
  context->find_limits.query.max_results = qr.max_find_results;
  context->find_limits.query.case_insensitive_person_names = qr.case_insensitive_person_names;
  context->retrieve_limits.max_instances = qr.max_retrieve_instances;
  context->retrieve_limits.conversion.max_data_set_bytes = qr.max_conversion_bytes;
  context->retrieve_limits.sub_operation_timeout =
      std::chrono::seconds(qr.sub_operation_timeout_seconds);
  context->outgoing = OutgoingSettingsFrom(config);
  context->pdu_limits.max_pdata_length = config.dicom.max_pdu_length;
  context->pdu_limits.max_associate_length = config.limits.max_associate_pdu_length;
  context->pdu_limits.max_presentation_contexts = config.limits.max_presentation_contexts;
  context->timeouts.artim = std::chrono::seconds(config.limits.artim_timeout_seconds);
  context->timeouts.idle = std::chrono::seconds(config.limits.idle_timeout_seconds);
  context->timeouts.pdu = std::chrono::seconds(config.limits.pdu_timeout_seconds);

  net::transport::TransportLimits limits;
  limits.max_connections = config.limits.max_associations;
  limits.max_connections_per_address = config.limits.max_associations_per_address;
  limits.tls_handshake_timeout = std::chrono::seconds(config.limits.tls_handshake_timeout_seconds);
  limits.threads = config.limits.threads;
  parts_->network = std::make_unique<net::transport::Server>(
      limits, [context](const net::transport::PeerInfo& peer) {
        return std::make_unique<DicomSession>(context, peer);
      });

  net::transport::TlsServerFiles files{config.tls.certificate_file, config.tls.key_file,
                                       config.tls.client_ca_file};
  BASTION_ASSIGN_OR_RETURN(auto tls, net::transport::MakeServerTlsContext(files));
  BASTION_ASSIGN_OR_RETURN(
      tls_port_,
      parts_->network->AddListener({"tls", config.dicom.bind_address, config.dicom.port, tls}));
  if (config.dicom.plaintext_port != 0) {
    BASTION_ASSIGN_OR_RETURN(plaintext_port_, parts_->network->AddListener(
                                                  {"plaintext", config.dicom.plaintext_bind_address,
                                                   config.dicom.plaintext_port, nullptr}));
    std::string warning = "plaintext DIMSE is enabled on " + config.dicom.plaintext_bind_address +
                          ":" + std::to_string(plaintext_port_) +
                          ": traffic on it is not encrypted";
    if (!IsLoopbackAddress(config.dicom.plaintext_bind_address)) {
      warning += " and it is reachable from the network (dicom.plaintext_bind)";
    }
    warnings.push_back(warning);
  }
  parts_->network->Start();
  if (config.http.enabled) {
    parts_->web = std::make_unique<WebServer>(dir_, *parts_->archive->archive, web_jwt);
    BASTION_ASSIGN_OR_RETURN(http_port_, parts_->web->Start());
    http_plaintext_port_ = parts_->web->plaintext_port();
    if (http_plaintext_port_ != 0 && WebServer::PlaintextServesApi(config.http)) {
      warnings.push_back("plaintext HTTP serves the API on " + config.http.plaintext_bind_address +
                         ":" + std::to_string(http_plaintext_port_) +
                         " (for a TLS proxy on this host; callers still authenticate)");
    }
  }

  // The audit trail to its collectors (from where each left off).
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  for (const SyslogConfig& s : config.syslog) {
    audit::SyslogCollector collector{s.name,
                                     s.host,
                                     s.port,
                                     s.ca_file,
                                     config.tls.certificate_file,
                                     config.tls.key_file,
                                     s.max_retry_seconds};
    audit::SyslogExportPaths paths{config.audit_log_file(),
                                   config.data_dir + "/audit/export",
                                   hostname,
                                   {config.dicom.ae_title, ""}};
    parts_->exporters.push_back(
        std::make_unique<audit::SyslogExporter>(std::move(collector), std::move(paths)));
    parts_->exporters.back()->Start();
  }

  // Users and peers added with the CLI take effect without a restart.
  reloader_ = std::thread([this] {
    while (!stop_reloader_) {
      for (int i = 0; i < 20 && !stop_reloader_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      (void)dir_.users->ReloadIfChanged();
      (void)dir_.peers->ReloadIfChanged();
      if (parts_->web) parts_->web->ReloadTokens();
    }
  });

  audit::AuditEvent started;
  started.type = audit::AuditEventType::kApplicationStart;
  started.local_ae_title = config.dicom.ae_title;
  started.description =
      "DICOM over TLS on " + config.dicom.bind_address + ":" + std::to_string(tls_port_) +
      (plaintext_port_ != 0 ? ", plaintext on " + config.dicom.plaintext_bind_address + ":" +
                                  std::to_string(plaintext_port_)
                            : "");
  dir_.audit->Emit(started);
  return warnings;
}

void DicomServer::Stop() {
  if (!parts_) return;
  stop_reloader_ = true;
  if (reloader_.joinable()) reloader_.join();
  if (parts_->web) parts_->web->Stop();
  if (parts_->network) parts_->network->Stop();
  if (parts_->decision_pool) parts_->decision_pool->join();
  if (parts_->retrieve_pool) parts_->retrieve_pool->join();
  if (parts_->ingest_pool) parts_->ingest_pool->join();
  audit::AuditEvent stopped;
  stopped.type = audit::AuditEventType::kApplicationStop;
  stopped.local_ae_title = dir_.config.dicom.ae_title;
  dir_.audit->Emit(stopped);
  dir_.audit->Flush();
  // The exporters last, so that they can still deliver the stop; what they have not delivered
  // goes at the next start.
  for (auto& exporter : parts_->exporters) exporter->Stop();
  parts_.reset();
}

}  // namespace bastion::server

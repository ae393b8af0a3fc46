#include "server/config.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "audit/syslog_exporter.h"
#include "server/jwks_https.h"

namespace bastion::server {
namespace {

// Reads the keys of one table into typed fields and reports keys nobody asked for.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string name, std::vector<std::string>& errors)
      : table_(table), name_(std::move(name)), errors_(errors) {}

  template <typename T>
  void Get(const char* key, T& out) {
    seen_.insert(key);
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>()) {
        out = *v;
        return;
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value<bool>()) {
        out = *v;
        return;
      }
    } else if constexpr (std::is_integral_v<T>) {
      if (auto v = node->value<std::int64_t>()) {
        if (*v >= 0 && static_cast<std::uint64_t>(*v) <= std::numeric_limits<T>::max()) {
          out = static_cast<T>(*v);
          return;
        }
      }
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      if (const toml::array* arr = node->as_array()) {
        std::vector<std::string> values;
        bool ok = true;
        for (const toml::node& item : *arr) {
          auto v = item.value<std::string>();
          if (!v)
            ok = false;
          else
            values.push_back(*v);
        }
        if (ok) {
          out = std::move(values);
          return;
        }
      }
    }
    errors_.push_back(name_ + "." + key + " has the wrong type or is out of range");
  }

  void RejectUnknownKeys() {
    if (table_ == nullptr) return;
    for (const auto& [key, _] : *table_) {
      if (seen_.count(std::string(key.str())) == 0) {
        errors_.push_back("unknown setting " + name_ + "." + std::string(key.str()));
      }
    }
  }

 private:
  const toml::table* table_;
  std::string name_;
  std::vector<std::string>& errors_;
  std::set<std::string> seen_;
};

Status CheckPrivate(const std::string& path, const char* what, std::vector<std::string>& problems) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    problems.push_back(std::string(what) + " " + path +
                       " is missing; run `bastion init` or fix "
                       "the path in bastion.toml");
    return Status::Ok();
  }
  if ((st.st_mode & 0077) != 0) {
    problems.push_back(std::string(what) + " " + path +
                       " is readable or writable by other users; run `chmod 600 " + path + "`");
  }
  return Status::Ok();
}

}  // namespace

std::string Config::Resolve(const std::string& path) const {
  if (path.empty() || path.front() == '/') return path;
  return data_dir + "/" + path;
}

bool IsLoopbackAddress(std::string_view address) {
  return address == "::1" || address == "localhost" || address.starts_with("127.");
}

security::FailureTrackerConfig FailureTrackerConfigFrom(const LockoutConfig& lockout) {
  security::FailureTrackerConfig tracker;
  tracker.slow_after = lockout.slow_after_failures;
  tracker.lock_after = lockout.lock_after_failures;
  tracker.window = std::chrono::seconds(lockout.window_seconds);
  tracker.lockout_duration = std::chrono::seconds(lockout.lockout_seconds);
  tracker.max_delay = std::chrono::milliseconds(lockout.max_delay_ms);
  tracker.base_delay = std::min(tracker.base_delay, tracker.max_delay);
  return tracker;
}

Result<Config> LoadConfig(const std::string& data_dir) {
  Config config;
  config.data_dir = data_dir;
  const std::string path = data_dir + "/" + kConfigFileName;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << ": " << e.description() << " (line " << e.source().begin.line << ")";
    return Status::Malformed(msg.str());
  } catch (const std::exception& e) {
    return Status::Unavailable(path + ": " + e.what() + "; run `bastion init --dir " + data_dir +
                               "` first");
  }
  std::vector<std::string> errors;
  for (const auto& [key, _] : root) {
    const std::string k(key.str());
    if (k != "dicom" && k != "limits" && k != "tls" && k != "lockout" && k != "jwt_issuers" &&
        k != "roles" && k != "storage" && k != "query_retrieve" && k != "syslog" && k != "http") {
      errors.push_back("unknown section [" + k + "]");
    }
  }
  {
    TableReader t(root["dicom"].as_table(), "dicom", errors);
    t.Get("ae_title", config.dicom.ae_title);
    t.Get("bind", config.dicom.bind_address);
    t.Get("port", config.dicom.port);
    t.Get("plaintext_port", config.dicom.plaintext_port);
    t.Get("plaintext_bind", config.dicom.plaintext_bind_address);
    t.Get("max_pdu_length", config.dicom.max_pdu_length);
    t.Get("transfer_syntaxes", config.dicom.transfer_syntaxes);
    t.RejectUnknownKeys();
  }
  {
    LimitsConfig& l = config.limits;
    TableReader t(root["limits"].as_table(), "limits", errors);
    t.Get("max_associations", l.max_associations);
    t.Get("max_associations_per_address", l.max_associations_per_address);
    t.Get("artim_timeout_seconds", l.artim_timeout_seconds);
    t.Get("idle_timeout_seconds", l.idle_timeout_seconds);
    t.Get("pdu_timeout_seconds", l.pdu_timeout_seconds);
    t.Get("tls_handshake_timeout_seconds", l.tls_handshake_timeout_seconds);
    t.Get("max_presentation_contexts", l.max_presentation_contexts);
    t.Get("max_associate_pdu_length", l.max_associate_pdu_length);
    t.Get("threads", l.threads);
    t.Get("auth_threads", l.auth_threads);
    t.RejectUnknownKeys();
  }
  {
    TableReader t(root["tls"].as_table(), "tls", errors);
    t.Get("certificate", config.tls.certificate_file);
    t.Get("key", config.tls.key_file);
    t.Get("client_ca", config.tls.client_ca_file);
    t.Get("ca_key", config.tls.ca_key_file);
    t.RejectUnknownKeys();
  }
  {
    LockoutConfig& l = config.lockout;
    TableReader t(root["lockout"].as_table(), "lockout", errors);
    t.Get("slow_after_failures", l.slow_after_failures);
    t.Get("lock_after_failures", l.lock_after_failures);
    t.Get("window_seconds", l.window_seconds);
    t.Get("lockout_seconds", l.lockout_seconds);
    t.Get("max_delay_ms", l.max_delay_ms);
    t.RejectUnknownKeys();
  }
  {
    StorageConfig& st = config.storage;
    TableReader t(root["storage"].as_table(), "storage", errors);
    t.Get("objects_dir", st.objects_dir);
    t.Get("index_file", st.index_file);
    t.Get("index_synchronous", st.index_synchronous);
    t.Get("max_archive_bytes", st.max_archive_bytes);
    t.Get("min_free_disk_bytes", st.min_free_disk_bytes);
    t.Get("max_instance_bytes", st.max_instance_bytes);
    t.Get("max_big_endian_instance_bytes", st.max_big_endian_instance_bytes);
    t.Get("ingest_threads", st.ingest_threads);
    t.Get("direct_write_max_bytes", st.direct_write_max_bytes);
    t.Get("direct_write_buffers", st.direct_write_buffers);
    t.Get("accept_odd_lengths", st.accept_odd_lengths);
    t.Get("accept_unordered_tags", st.accept_unordered_tags);
    t.Get("accept_unknown_vrs", st.accept_unknown_vrs);
    t.Get("max_sequence_depth", st.max_sequence_depth);
    t.Get("max_elements", st.max_elements);
    t.Get("max_inflated_bytes", st.max_inflated_bytes);
    t.Get("max_inflate_ratio", st.max_inflate_ratio);
    t.Get("extra_sop_classes", st.extra_sop_classes);
    t.RejectUnknownKeys();
    if (st.index_synchronous != "normal" && st.index_synchronous != "full") {
      errors.push_back("storage.index_synchronous must be \"normal\" or \"full\"");
    }
    if (st.ingest_threads == 0) errors.push_back("storage.ingest_threads must be >= 1");
    if (st.direct_write_max_bytes > (1ull << 30)) {
      errors.push_back("storage.direct_write_max_bytes must be at most 1073741824 (1 GiB)");
    }
    if (st.direct_write_buffers > 4096) {
      errors.push_back("storage.direct_write_buffers must be at most 4096");
    }
    if (st.max_sequence_depth == 0 || st.max_elements == 0) {
      errors.push_back("storage.max_sequence_depth and max_elements must be >= 1");
    }
    st.objects_dir = config.Resolve(st.objects_dir);
    st.index_file = config.Resolve(st.index_file);
  }
  {
    QueryRetrieveConfig& q = config.query_retrieve;
    TableReader t(root["query_retrieve"].as_table(), "query_retrieve", errors);
    t.Get("max_find_results", q.max_find_results);
    t.Get("case_insensitive_person_names", q.case_insensitive_person_names);
    t.Get("max_retrieve_instances", q.max_retrieve_instances);
    t.Get("retrieve_threads", q.retrieve_threads);
    t.Get("sub_operation_timeout_seconds", q.sub_operation_timeout_seconds);
    t.Get("max_conversion_bytes", q.max_conversion_bytes);
    t.RejectUnknownKeys();
    if (q.max_find_results == 0) errors.push_back("query_retrieve.max_find_results must be >= 1");
    if (q.max_retrieve_instances == 0 || q.max_retrieve_instances > 65535) {
      errors.push_back("query_retrieve.max_retrieve_instances must be 1-65535");
    }
    if (q.retrieve_threads == 0) errors.push_back("query_retrieve.retrieve_threads must be >= 1");
    if (q.sub_operation_timeout_seconds == 0) {
      errors.push_back("query_retrieve.sub_operation_timeout_seconds must be >= 1");
    }
    if (q.max_conversion_bytes < (1u << 20)) {
      errors.push_back("query_retrieve.max_conversion_bytes must be at least 1048576 (1 MiB)");
    }
  }
  {
    HttpConfig& h = config.http;
    TableReader t(root["http"].as_table(), "http", errors);
    t.Get("enabled", h.enabled);
    t.Get("bind", h.bind_address);
    t.Get("port", h.port);
    t.Get("public_url", h.public_url);
    t.Get("plaintext_port", h.plaintext_port);
    t.Get("plaintext_bind", h.plaintext_bind_address);
    t.Get("max_connections", h.max_connections);
    t.Get("max_connections_per_address", h.max_connections_per_address);
    t.Get("worker_threads", h.worker_threads);
    t.Get("max_header_bytes", h.max_header_bytes);
    t.Get("max_stow_bytes", h.max_stow_bytes);
    t.Get("max_stow_instances", h.max_stow_instances);
    t.Get("max_qido_results", h.max_qido_results);
    t.Get("request_timeout_seconds", h.request_timeout_seconds);
    t.Get("idle_timeout_seconds", h.idle_timeout_seconds);
    t.Get("session_idle_minutes", h.session_idle_minutes);
    t.Get("session_max_hours", h.session_max_hours);
    t.RejectUnknownKeys();
    if (h.enabled && h.port == 0) errors.push_back("http.port must be set (default 8443)");
    if (h.plaintext_port != 0 && h.plaintext_port == h.port) {
      errors.push_back("http.plaintext_port must differ from http.port");
    }
    if (h.max_connections == 0 || h.max_connections_per_address == 0 || h.worker_threads == 0 ||
        h.max_stow_instances == 0 || h.max_qido_results == 0) {
      errors.push_back(
          "http: connection caps, worker_threads, max_stow_instances and "
          "max_qido_results must be >= 1");
    }
    if (h.max_header_bytes < 1024 || h.max_header_bytes > (1u << 20)) {
      errors.push_back("http.max_header_bytes must be between 1024 and 1048576");
    }
    if (h.request_timeout_seconds == 0 || h.idle_timeout_seconds == 0 ||
        h.session_idle_minutes == 0 || h.session_max_hours == 0) {
      errors.push_back("timeouts in [http] must be at least 1");
    }
    while (!h.public_url.empty() && h.public_url.back() == '/') h.public_url.pop_back();
    if (!h.public_url.empty() && h.public_url.rfind("https://", 0) != 0) {
      errors.push_back("http.public_url must start with https://");
    }
  }
  if (const toml::array* issuers = root["jwt_issuers"].as_array()) {
    for (const toml::node& node : *issuers) {
      JwtIssuerConfig issuer;
      TableReader t(node.as_table(), "jwt_issuers", errors);
      t.Get("issuer", issuer.issuer);
      t.Get("audience", issuer.audience);
      t.Get("public_keys", issuer.public_key_files);
      t.Get("jwks_file", issuer.jwks_file);
      t.Get("jwks_url", issuer.jwks_url);
      t.Get("jwks_ca_file", issuer.jwks_ca_file);
      t.Get("jwks_refresh_seconds", issuer.jwks_refresh_seconds);
      t.Get("jwks_min_refresh_seconds", issuer.jwks_min_refresh_seconds);
      t.Get("jwks_timeout_seconds", issuer.jwks_timeout_seconds);
      t.Get("algorithms", issuer.algorithms);
      t.Get("username_claim", issuer.username_claim);
      t.Get("roles_claim", issuer.roles_claim);
      t.Get("scope_claim", issuer.scope_claim);
      t.Get("clock_skew_seconds", issuer.clock_skew_seconds);
      t.RejectUnknownKeys();
      if (issuer.issuer.empty() || issuer.audience.empty() ||
          (issuer.public_key_files.empty() && issuer.jwks_file.empty() &&
           issuer.jwks_url.empty())) {
        errors.push_back(
            "each [[jwt_issuers]] needs issuer, audience and public_keys, jwks_file or jwks_url");
      }
      if (!issuer.jwks_url.empty()) {
        if (Result<JwksUrl> url = ParseJwksUrl(issuer.jwks_url); !url.ok()) {
          errors.push_back("jwt_issuers: " + url.status().message());
        }
      } else if (!issuer.jwks_ca_file.empty()) {
        errors.push_back("jwt_issuers: jwks_ca_file is set but jwks_url is not");
      }
      if (issuer.jwks_min_refresh_seconds == 0 ||
          issuer.jwks_refresh_seconds < issuer.jwks_min_refresh_seconds ||
          issuer.jwks_refresh_seconds > 7 * 24 * 3600) {
        errors.push_back(
            "jwt_issuers: need 1 <= jwks_min_refresh_seconds <= jwks_refresh_seconds <= 604800");
      }
      if (issuer.jwks_timeout_seconds == 0 || issuer.jwks_timeout_seconds > 120) {
        errors.push_back("jwt_issuers: jwks_timeout_seconds must be 1-120");
      }
      for (std::string& key : issuer.public_key_files) key = config.Resolve(key);
      issuer.jwks_file = config.Resolve(issuer.jwks_file);
      issuer.jwks_ca_file = config.Resolve(issuer.jwks_ca_file);
      config.jwt_issuers.push_back(std::move(issuer));
    }
  }
  if (const toml::array* collectors = root["syslog"].as_array()) {
    for (const toml::node& node : *collectors) {
      SyslogConfig s;
      TableReader t(node.as_table(), "syslog", errors);
      t.Get("name", s.name);
      t.Get("host", s.host);
      t.Get("port", s.port);
      t.Get("ca_file", s.ca_file);
      t.Get("max_retry_seconds", s.max_retry_seconds);
      t.RejectUnknownKeys();
      if (s.name.empty() || s.host.empty()) {
        errors.push_back("each [[syslog]] needs a name and a host");
      }
      if (s.max_retry_seconds == 0) errors.push_back("syslog.max_retry_seconds must be >= 1");
      if (Status named = audit::ValidateCollectorName(s.name); !s.name.empty() && !named.ok()) {
        errors.push_back("syslog.name: " + named.message());
      }
      s.ca_file = config.Resolve(s.ca_file.empty() ? config.tls.client_ca_file : s.ca_file);
      config.syslog.push_back(std::move(s));
    }
  }
  if (const toml::table* roles = root["roles"].as_table()) {
    for (const auto& [name, node] : *roles) {
      std::vector<std::string> permissions;
      TableReader t(node.as_table(), "roles." + std::string(name.str()), errors);
      t.Get("permissions", permissions);
      t.RejectUnknownKeys();
      config.custom_roles[std::string(name.str())] = permissions;
    }
  }
  if (config.dicom.ae_title.empty() || config.dicom.ae_title.size() > 16) {
    errors.push_back("dicom.ae_title must be 1 to 16 characters");
  }
  if (config.dicom.port == 0) errors.push_back("dicom.port must be set (default 2762)");
  if (config.dicom.max_pdu_length < 4096 || config.dicom.max_pdu_length > (16u << 20)) {
    errors.push_back("dicom.max_pdu_length must be between 4096 and 16777216");
  }
  if (config.limits.max_associations == 0 || config.limits.max_associations_per_address == 0) {
    errors.push_back("limits.max_associations and max_associations_per_address must be >= 1");
  }
  if (config.limits.artim_timeout_seconds == 0 || config.limits.pdu_timeout_seconds == 0 ||
      config.limits.idle_timeout_seconds == 0 || config.limits.tls_handshake_timeout_seconds == 0) {
    errors.push_back("timeouts in [limits] must be at least 1 second");
  }
  config.tls.certificate_file = config.Resolve(config.tls.certificate_file);
  config.tls.key_file = config.Resolve(config.tls.key_file);
  config.tls.client_ca_file = config.Resolve(config.tls.client_ca_file);
  config.tls.ca_key_file = config.Resolve(config.tls.ca_key_file);
  if (!errors.empty()) {
    std::string msg = path + ":";
    for (const std::string& e : errors) msg += "\n  - " + e;
    return Status::Malformed(msg);
  }
  return config;
}

std::string RenderInitialConfig(const std::string& ae_title, std::uint16_t dicom_port,
                                std::uint16_t http_port) {
  std::ostringstream o;
  o << "# Bastion configuration, written by `bastion init`.\n"
       "# Paths are relative to this directory. Every setting below shows its default; unknown\n"
       "# settings are refused at start so that a typo cannot silently weaken security.\n"
       "\n"
       "[dicom]\n"
       "# Our AE title. Callers must address it exactly.\n"
       "ae_title = \""
    << ae_title
    << "\"\n"
       "# DICOM over TLS (PS3.15 B.13). There is no plaintext listener unless you add one.\n"
       "bind = \"0.0.0.0\"\n"
       "port = "
    << dicom_port
    << "\n"
       "# plaintext_port = 11112     # plaintext DIMSE for legacy tools, loopback only...\n"
       "# plaintext_bind = \"127.0.0.1\"  # ...unless you also change this (warned at every "
       "start)\n"
       "max_pdu_length = 1048576\n"
       "transfer_syntaxes = [\"1.2.840.10008.1.2.1\", \"1.2.840.10008.1.2\", "
       "\"1.2.840.10008.1.2.1.99\", \"1.2.840.10008.1.2.2\"]\n"
       "\n"
       "[limits]\n"
       "max_associations = 200\n"
       "max_associations_per_address = 20\n"
       "artim_timeout_seconds = 30        # association set-up and release (PS3.8 9.1.5)\n"
       "idle_timeout_seconds = 300        # an established association with no traffic\n"
       "pdu_timeout_seconds = 60          # a PDU must arrive whole within this (slow senders)\n"
       "tls_handshake_timeout_seconds = 15\n"
       "max_presentation_contexts = 128\n"
       "max_associate_pdu_length = 65536\n"
       "threads = 0                       # network threads; 0 = one per core\n"
       "auth_threads = 2                  # password checks run here, off the network threads\n"
       "\n"
       "[tls]\n"
       "certificate = \"tls/server.pem\"\n"
       "key = \"tls/server.key\"\n"
       "client_ca = \"tls/ca.pem\"         # client certificates must chain to these CAs\n"
       "ca_key = \"tls/ca.key\"            # used by `bastion cert issue`\n"
       "\n"
       "[lockout]\n"
       "# Failed authentications per source address: slowed, then locked out.\n"
       "slow_after_failures = 3\n"
       "lock_after_failures = 10\n"
       "window_seconds = 600\n"
       "lockout_seconds = 900\n"
       "max_delay_ms = 5000\n"
       "\n"
       "[storage]\n"
       "# Instance files (named by server-generated ids only) and the index (SQLite, WAL).\n"
       "objects_dir = \"objects\"\n"
       "index_file = \"index/index.sqlite\"\n"
       "index_synchronous = \"normal\"     # or \"full\": fsync the index at every commit\n"
       "max_archive_bytes = 0              # 0 = no limit; beyond it C-STORE answers 0xA700\n"
       "min_free_disk_bytes = 1073741824   # keep this much disk free (0xA700 below it)\n"
       "max_instance_bytes = 4294967296\n"
       "max_big_endian_instance_bytes = 67108864  # retired big endian syntax: values are copied\n"
       "ingest_threads = 2                 # fsync, validation and index commits\n"
       "# Instances up to this size are held in memory and written once, bypassing the page\n"
       "# cache (O_DIRECT); at most this many at once. Memory: up to their product.\n"
       "direct_write_max_bytes = 4194304\n"
       "direct_write_buffers = 32          # 0: every instance goes through the page cache\n"
       "# Deviations tolerated in received data sets (stored unchanged, logged):\n"
       "accept_odd_lengths = true\n"
       "accept_unordered_tags = true\n"
       "accept_unknown_vrs = true\n"
       "max_sequence_depth = 32\n"
       "max_elements = 1000000\n"
       "max_inflated_bytes = 536870912    # deflated transfer syntax: inflated size limit\n"
       "max_inflate_ratio = 200\n"
       "# Private SOP classes to accept for storage, besides the standard ones:\n"
       "# extra_sop_classes = [\"1.2.3.4.5\"]\n"
       "\n"
       "[http]\n"
       "# DICOMweb (QIDO-RS, WADO-RS, STOW-RS, WADO-URI) under /dicom-web/, HTTPS only, with\n"
       "# the [tls] certificate. Callers need a bearer token (`bastion token create`), an\n"
       "# OpenID Connect access token ([[jwt_issuers]]) or a login session.\n"
       "enabled = true\n"
       "bind = \"0.0.0.0\"\n"
       "port = "
    << http_port
    << "\n"
       "# public_url = \"https://pacs.example.org:8443\"  # prefix of URLs in responses\n"
       "# plaintext_port = 8080      # plain HTTP: the API on loopback (for a local TLS proxy)...\n"
       "# plaintext_bind = \"127.0.0.1\"  # ...elsewhere only a redirect to HTTPS\n"
       "max_connections = 256\n"
       "max_connections_per_address = 32\n"
       "worker_threads = 8                # requests are served here\n"
       "max_header_bytes = 16384          # request line and headers (431 beyond)\n"
       "max_stow_bytes = 2147483648       # one STOW-RS body (413 beyond; send more requests)\n"
       "max_stow_instances = 10000        # instances in one STOW-RS request\n"
       "max_qido_results = 1000           # QIDO-RS page size cap\n"
       "request_timeout_seconds = 30      # a request that makes no progress (408)\n"
       "idle_timeout_seconds = 60         # keep-alive between requests\n"
       "session_idle_minutes = 15         # login sessions end after this without use...\n"
       "session_max_hours = 8             # ...and after this in any case\n"
       "\n"
       "[query_retrieve]\n"
       "max_find_results = 10000           # more matches: refused (0xA700), narrow the query\n"
       "case_insensitive_person_names = true\n"
       "max_retrieve_instances = 65535     # per C-MOVE/C-GET (the counts are 16-bit)\n"
       "retrieve_threads = 4               # concurrent C-MOVE/C-GET; more wait their turn\n"
       "sub_operation_timeout_seconds = 60 # per C-STORE sent, and to reach a destination\n"
       "max_conversion_bytes = 536870912  # a data set converted to another transfer syntax\n"
       "\n"
       "# Audit collectors: the trail sent as DICOM audit messages, syslog over TLS (RFC 5425):\n"
       "# [[syslog]]\n"
       "# name = \"siem\"                  # names its delivery cursor in audit/export/\n"
       "# host = \"siem.example.org\"      # its certificate must carry this name\n"
       "# port = 6514\n"
       "# ca_file = \"tls/siem-ca.pem\"     # default: tls.client_ca\n"
       "# max_retry_seconds = 30\n"
       "\n"
       "# JWT issuers accepted for DICOM User Identity type 5 (PS3.7 D.3.3.7):\n"
       "# [[jwt_issuers]]\n"
       "# issuer = \"https://idp.example.org\"\n"
       "# audience = \"bastion\"\n"
       "# public_keys = [\"jwt/idp.pem\"]\n"
       "# jwks_file = \"jwt/idp-jwks.json\"  # its JWK Set (RFC 7517), with or instead of keys\n"
       "# jwks_url = \"https://idp.example.org/realms/x/protocol/openid-connect/certs\"\n"
       "# jwks_ca_file = \"jwt/idp-ca.pem\"  # default: the system trust store\n"
       "# jwks_refresh_seconds = 3600      # refetched this often, and on an unknown kid...\n"
       "# jwks_min_refresh_seconds = 60    # ...but never more often than this\n"
       "# jwks_timeout_seconds = 10\n"
       "# algorithms = [\"RS256\", \"ES256\", \"EdDSA\"]\n"
       "# username_claim = \"sub\"\n"
       "# roles_claim = \"roles\"           # a dotted path too: \"realm_access.roles\"\n"
       "# scope_claim = \"bastion_scope\"   # if set, required: {\"label\": [\"research\"]}\n"
       "# clock_skew_seconds = 60\n"
       "\n"
       "# Custom roles besides admin, modality, viewer and auditor:\n"
       "# [roles.research]\n"
       "# permissions = [\"echo\", \"query\"]\n";
  return o.str();
}

Status CheckSafeToServe(const Config& config) {
  std::vector<std::string> problems;
  (void)CheckPrivate(config.data_dir + "/" + kConfigFileName, "the configuration", problems);
  (void)CheckPrivate(config.tls.key_file, "the TLS private key", problems);
  (void)CheckPrivate(config.users_file(), "the user store", problems);
  struct stat st {};
  if (::stat(config.tls.certificate_file.c_str(), &st) != 0) {
    problems.push_back("the TLS certificate " + config.tls.certificate_file +
                       " is missing: Bastion never serves DICOM without TLS; run `bastion init` "
                       "or set [tls] certificate");
  }
  if (config.dicom.plaintext_port != 0 && config.dicom.plaintext_port == config.dicom.port) {
    problems.push_back("dicom.plaintext_port must differ from dicom.port");
  }
  if (problems.empty()) return Status::Ok();
  std::string msg = "refusing to start with unsafe settings:";
  for (const std::string& p : problems) msg += "\n  - " + p;
  return Status::PermissionDenied(msg);
}

}  // namespace bastion::server

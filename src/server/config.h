// Server configuration: the TOML file `bastion init` writes into the data directory, loaded
// and validated at start. Every limit is a named value with a safe default; unsafe settings
// are refused with a message naming the setting and how to fix it.
// Thread-safety: a loaded Config is an immutable value.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "security/lockout.h"

namespace bastion::server {

struct DicomListenConfig {
  std::string ae_title;
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 2762;  // DICOM over TLS (PS3.15 B.13 registered port)
  // Plaintext DIMSE: off unless a port is given; loopback unless plaintext_bind says otherwise.
  std::uint16_t plaintext_port = 0;
  std::string plaintext_bind_address = "127.0.0.1";
  std::uint32_t max_pdu_length = 1u << 20;
  // Our preference among the transfer syntaxes a requestor proposes.
  std::vector<std::string> transfer_syntaxes = {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2",
                                                "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2"};
};

struct LimitsConfig {
  std::uint32_t max_associations = 200;
  std::uint32_t max_associations_per_address = 20;
  std::uint32_t artim_timeout_seconds = 30;  // PS3.8 9.1.5: connection set-up and close
  std::uint32_t idle_timeout_seconds = 300;  // no PDU on an established association
  std::uint32_t pdu_timeout_seconds = 60;    // one PDU must arrive whole within this
  std::uint32_t tls_handshake_timeout_seconds = 15;
  std::uint32_t max_presentation_contexts = 128;
  std::uint32_t max_associate_pdu_length = 64u << 10;
  std::uint32_t threads = 0;       // network threads; 0 = number of cores
  std::uint32_t auth_threads = 2;  // password hashing runs off the network threads
};

struct TlsConfig {
  std::string certificate_file = "tls/server.pem";
  std::string key_file = "tls/server.key";
  std::string client_ca_file = "tls/ca.pem";
  std::string ca_key_file = "tls/ca.key";  // for `bastion cert issue`
};

struct LockoutConfig {
  std::uint32_t slow_after_failures = 3;
  std::uint32_t lock_after_failures = 10;
  std::uint32_t window_seconds = 600;
  std::uint32_t lockout_seconds = 900;
  std::uint32_t max_delay_ms = 5000;
};

struct JwtIssuerConfig {
  std::string issuer;
  std::string audience;
  std::vector<std::string> public_key_files;
  std::string jwks_file;  // a JWK Set (RFC 7517 5) of public keys, instead of or besides those
  // The issuer's jwks_uri (https:// only), fetched at start-up and kept current; keys from
  // public_keys and jwks_file are kept beside it whatever it serves.
  std::string jwks_url;
  std::string jwks_ca_file;  // CAs for jwks_url's certificate; empty: the system trust store
  std::uint32_t jwks_refresh_seconds = 3600;    // refetched this often...
  std::uint32_t jwks_min_refresh_seconds = 60;  // ...and on an unknown kid, at most this often
  std::uint32_t jwks_timeout_seconds = 10;      // connect + TLS + request + response
  std::vector<std::string> algorithms = {"RS256", "ES256", "EdDSA"};
  std::string username_claim = "sub";  // claim names may be dotted paths: realm_access.roles
  std::string roles_claim = "roles";
  std::string scope_claim;  // empty: none; else required (security/jwt.h JwtIssuer)
  std::uint32_t clock_skew_seconds = 60;
};

// The archive: where instances go and the limits that protect it (issue 4).
struct StorageConfig {
  std::string objects_dir = "objects";  // instance files (server-generated names only)
  std::string index_file = "index/index.sqlite";
  std::string index_synchronous = "normal";        // "normal" or "full" (see sqlite_index.h)
  std::uint64_t max_archive_bytes = 0;             // 0: no limit
  std::uint64_t min_free_disk_bytes = 1ull << 30;  // below this, C-STORE answers 0xA700
  std::uint64_t max_instance_bytes = 4ull << 30;
  std::uint64_t max_big_endian_instance_bytes = 64ull << 20;  // those are copied to be read
  std::uint32_t ingest_threads = 2;  // fsync, validation and index commits run here
  // Instances up to this size are held in memory and written with one direct write (O_DIRECT),
  // at most direct_write_buffers at once (0 disables it); see store/filesystem_storage.h.
  std::uint64_t direct_write_max_bytes = 4ull << 20;
  std::uint32_t direct_write_buffers = 32;
  // Tolerated deviations of received data sets (stored as received; each is logged).
  bool accept_odd_lengths = true;
  bool accept_unordered_tags = true;
  bool accept_unknown_vrs = true;
  // Reader limits for received data sets (docs/limits.md).
  std::uint32_t max_sequence_depth = 32;
  std::uint64_t max_elements = 1'000'000;
  std::uint64_t max_inflated_bytes = 512ull << 20;
  std::uint32_t max_inflate_ratio = 200;
  // Private or new SOP classes to accept for storage besides the standard ones.
  std::vector<std::string> extra_sop_classes;
};

// Query/retrieve (issue 5): C-FIND result cap and matching, C-MOVE/C-GET sub-operations.
struct QueryRetrieveConfig {
  std::uint32_t max_find_results = 10000;  // more matches: 0xA700, narrow the query
  bool case_insensitive_person_names = true;
  std::uint32_t max_retrieve_instances = 65535;      // one C-MOVE/C-GET at most (counts are US)
  std::uint32_t retrieve_threads = 4;                // concurrent retrieves; more wait their turn
  std::uint32_t sub_operation_timeout_seconds = 60;  // per C-STORE exchange and association
  // A data set converted between transfer syntaxes for a receiver (C-MOVE, C-GET, WADO) is
  // held in memory: larger ones are refused with that reason instead.
  std::uint64_t max_conversion_bytes = 512ull << 20;
};

// DICOMweb over HTTPS (issue 6): the listener, its limits, sessions.
struct HttpConfig {
  bool enabled = true;
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8443;
  // Prefix of the URLs responses carry (RetrieveURL, BulkDataURI), e.g.
  // "https://pacs.example.org:8443"; empty: path-absolute references.
  std::string public_url;
  // Plaintext HTTP: off unless a port is given. On a loopback address it serves the same API
  // (for a reverse proxy on this host that terminates TLS); on any other address it only
  // redirects to HTTPS (web/http/https_redirect.h).
  std::uint16_t plaintext_port = 0;
  std::string plaintext_bind_address = "127.0.0.1";
  std::uint32_t max_connections = 256;
  std::uint32_t max_connections_per_address = 32;
  std::uint32_t worker_threads = 8;  // requests are served here, off the network threads
  std::uint32_t max_header_bytes = 16 * 1024;
  std::uint64_t max_stow_bytes = 2ull << 30;
  std::uint32_t max_stow_instances = 10000;
  std::uint32_t max_qido_results = 1000;       // QIDO-RS page size cap (limit)
  std::uint32_t request_timeout_seconds = 30;  // no progress on a request
  std::uint32_t idle_timeout_seconds = 60;     // keep-alive
  std::uint32_t session_idle_minutes = 15;
  std::uint32_t session_max_hours = 8;
};

// An audit collector: the trail sent as DICOM audit messages over syslog on TLS (issue 7).
struct SyslogConfig {
  std::string name;  // names its delivery cursor (audit/export/NAME.cursor)
  std::string host;
  std::uint16_t port = 6514;
  std::string ca_file;  // verifies the collector; default tls.client_ca
  std::uint32_t max_retry_seconds = 30;
};

struct Config {
  std::string data_dir;  // absolute; relative paths in the file resolve against it
  DicomListenConfig dicom;
  LimitsConfig limits;
  TlsConfig tls;
  LockoutConfig lockout;
  StorageConfig storage;
  QueryRetrieveConfig query_retrieve;
  HttpConfig http;
  std::vector<JwtIssuerConfig> jwt_issuers;
  std::vector<SyslogConfig> syslog;
  std::map<std::string, std::vector<std::string>> custom_roles;  // role -> permission names

  std::string Resolve(const std::string& path) const;  // against data_dir
  std::string users_file() const { return data_dir + "/users.json"; }
  std::string tokens_file() const { return data_dir + "/tokens.json"; }
  std::string peers_file() const { return data_dir + "/peers.json"; }
  std::string audit_log_file() const { return data_dir + "/audit/audit.log"; }
  std::string audit_head_file() const { return data_dir + "/audit/audit.head"; }
};

inline constexpr const char* kConfigFileName = "bastion.toml";

// The failure tracker settings of [lockout] (security/lockout.h), for DIMSE and HTTP alike.
security::FailureTrackerConfig FailureTrackerConfigFrom(const LockoutConfig& lockout);

// Whether a bind address reaches only this host (plaintext listeners are safe only there).
bool IsLoopbackAddress(std::string_view address);

// Loads DIR/bastion.toml. Unknown keys are errors (a typo must not silently weaken security).
Result<Config> LoadConfig(const std::string& data_dir);

// The commented configuration file `bastion init` writes.
std::string RenderInitialConfig(const std::string& ae_title, std::uint16_t dicom_port,
                                std::uint16_t http_port = 8443);

// Refuses settings that are unsafe to serve with: world- or group-readable config or keys,
// plaintext on a non-loopback address without the explicit override. Returns every problem.
Status CheckSafeToServe(const Config& config);

}  // namespace bastion::server

// The peer registry: which DICOM application entities may associate with us, from where,
// with which certificate, and with which roles.
//
// A calling AE title (PS3.8 7.1.1.3; VR AE, PS3.5 6.2) is only a name, never a credential:
// each registered title is bound to a host (an IP literal, a host name resolved by the
// caller, or "*" = any address, allowed only when a client certificate is pinned) and
// optionally to the SHA-256 fingerprint of its TLS client certificate (PS3.15 B.1), and may be
// required to present a user identity (PS3.7 D.3.3.7). Entries live in DIR/peers.json (mode
// 0600), written atomically like the user store, reloaded with ReloadIfChanged().
// Check() is pure: no DNS, no sockets; host names are resolved through a callback the
// transport supplies (and may cache).
// File format: {"format": "bastion-peers", "version": 1, "peers": [{"ae_title", "host",
// "port", "roles", "cert_sha256", "require_identity"}]}.
// Thread-safety: all methods may be called concurrently (immutable snapshots, serialised
// writers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "security/permissions.h"
#include "security/private_file.h"
#include "security/private_store.h"
#include "security/scope.h"

namespace bastion::security {

struct Peer {
  std::string ae_title;    // without leading/trailing spaces (they are not significant)
  std::string host;        // IP literal, host name, or "*" (any address; needs a certificate)
  std::uint16_t port = 0;  // for outgoing associations (C-MOVE destinations); 0 = none
  std::vector<std::string> roles;
  std::string cert_sha256;           // lower-case hex of the client certificate's DER; empty = none
  bool require_identity = false;     // must also send User Identity (type 2 or 5)
  bool require_client_cert = false;  // true exactly when cert_sha256 is set
  Scope scope;                       // the studies it may query and retrieve (scope.h)
  // Outgoing associations to it (C-MOVE destinations, `store --to`) without TLS: only for
  // equipment that cannot do TLS, set explicitly by an administrator.
  bool plaintext = false;
};

// 1-16 characters of the default repertoire (0x20-0x7E) without backslash, not all spaces.
// Leading and trailing spaces are not significant and are removed: returns the trimmed title.
Result<std::string> NormalizeAeTitle(std::string_view ae_title);
Status ValidateAeTitle(std::string_view ae_title);

// An IPv4 or IPv6 literal, an RFC 1123 host name, or "*".
Status ValidateHost(std::string_view host);

// True when `a` and `b` are IP literals naming the same address (IPv4-mapped IPv6 addresses
// equal their IPv4 form; an IPv6 zone suffix "%eth0" is ignored).
bool SameIpAddress(std::string_view a, std::string_view b);

// Accepts "ab:cd:..." or "abcd..." in either case; returns 64 lower-case hex digits.
Result<std::string> NormalizeFingerprint(std::string_view text);
// SHA-256 fingerprint of the first certificate in a PEM file (for `peer add --cert FILE`).
Result<std::string> CertificateFingerprintFromFile(const std::string& path);

// Maps a host name to the IP literals it stands for. Supplied by the transport.
using HostResolver = std::function<std::vector<std::string>(const std::string& host)>;
// A resolver using getaddrinfo (blocking): for the transport to wrap, never for Check().
std::vector<std::string> ResolveHostWithSystem(const std::string& host);

// What the transport knows about a connection when an A-ASSOCIATE-RQ arrives.
struct PeerCheckInput {
  std::string_view calling_ae_title;
  std::string_view remote_ip;                     // literal, no port
  std::optional<std::string> client_cert_sha256;  // when TLS with a client certificate
};

enum class PeerRefusal : std::uint8_t {
  kNone,
  kUnknownAeTitle,  // PS3.8 Table 9-21: calling-AE-title-not-recognized
  kWrongHost,       // reported to the peer as calling-AE-title-not-recognized too
  kClientCertificateRequired,
  kClientCertificateMismatch,
};
std::string_view PeerRefusalName(PeerRefusal refusal);

// The pure decision for one registered peer.
PeerRefusal CheckPeer(const Peer& peer, const PeerCheckInput& input, const HostResolver& resolve);

struct PeerRegistryOptions {
  RoleCatalog roles;  // roles Add() accepts
  bool create_if_missing = false;
  std::size_t max_file_bytes = 16 * 1024 * 1024;
  std::size_t max_peers = 100000;
};

class PeerRegistry {
 public:
  static Result<std::unique_ptr<PeerRegistry>> Load(const std::string& path,
                                                    PeerRegistryOptions options = {});
  PeerRegistry(const PeerRegistry&) = delete;
  PeerRegistry& operator=(const PeerRegistry&) = delete;

  // Validates and normalises the entry (title trimmed, fingerprint lower-case,
  // require_client_cert set from cert_sha256), then writes the file. Conflict if the title
  // is registered.
  Status Add(Peer peer);
  Status Remove(std::string_view ae_title);                 // NotFound if absent
  Status SetScope(std::string_view ae_title, Scope scope);  // NotFound if absent
  Status Save();
  Result<bool> ReloadIfChanged();

  // The registered peer the connection may speak for, or PermissionDenied with a message
  // naming the reason (`why` receives it for the A-ASSOCIATE-RJ reason and the audit event).
  Result<Peer> Check(const PeerCheckInput& input, const HostResolver& resolve,
                     PeerRefusal* why = nullptr) const;

  std::optional<Peer> Find(std::string_view ae_title) const;
  std::vector<Peer> List() const;  // sorted by AE title
  std::size_t size() const;
  const std::string& path() const { return path_; }

 private:
  using Snapshot = std::map<std::string, Peer, std::less<>>;
  PeerRegistry(std::string path, PeerRegistryOptions options)
      : path_(std::move(path)),
        options_(std::move(options)),
        store_(
            path_, options_.max_file_bytes, options_.max_peers, "peers",
            [this](std::string_view text) { return Parse(text); },
            [this](const Snapshot& snapshot) { return Serialize(snapshot); }) {}

  std::shared_ptr<const Snapshot> snapshot() const;
  Result<Snapshot> Parse(std::string_view text) const;
  std::string Serialize(const Snapshot& snapshot) const;
  template <typename Change>
  Status Modify(Change&& change);

  const std::string path_;
  const PeerRegistryOptions options_;
  PrivateStore<Snapshot> store_;  // after options_: built from it
};

// Validates a peer entry and returns its normalised form (shared by Add and the file loader).
Result<Peer> NormalizePeer(Peer peer);

}  // namespace bastion::security

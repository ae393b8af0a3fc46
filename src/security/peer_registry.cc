#include "security/peer_registry.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>

#include "security/local_ca.h"

namespace bastion::security {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kFormat = "bastion-peers";
constexpr int kVersion = 1;

using Address = std::array<unsigned char, 16>;

// IPv4 literals become IPv4-mapped IPv6 addresses so that both forms compare equal.
std::optional<Address> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string s(text);
  Address a{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    a[10] = 0xFF;
    a[11] = 0xFF;
    std::memcpy(a.data() + 12, &v4, 4);
    return a;
  }
  std::size_t zone = s.find('%');
  if (zone != std::string::npos) s.resize(zone);
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(a.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

bool IsHostNameLabelChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

Status ValidateRoleList(const std::vector<std::string>& roles) {
  if (roles.empty()) return Status::Malformed("a peer needs at least one role");
  for (const std::string& r : roles) {
    if (r.empty() || r.size() > 64) return Status::Malformed("role names are 1-64 characters");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> NormalizeAeTitle(std::string_view ae_title) {
  for (char c : ae_title) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) {
      return Status::Malformed("AE titles use printable ASCII only (no control characters)");
    }
    if (c == '\\') return Status::Malformed("AE titles may not contain a backslash");
  }
  std::size_t first = ae_title.find_first_not_of(' ');
  if (first == std::string_view::npos) return Status::Malformed("AE title is empty or all spaces");
  std::size_t last = ae_title.find_last_not_of(' ');
  std::string_view trimmed = ae_title.substr(first, last - first + 1);
  if (ae_title.size() > 16) return Status::Malformed("AE titles are at most 16 characters");
  return std::string(trimmed);
}

Status ValidateAeTitle(std::string_view ae_title) { return NormalizeAeTitle(ae_title).status(); }

Status ValidateHost(std::string_view host) {
  if (host == "*") return Status::Ok();
  if (host.find('%') == std::string_view::npos && ParseIp(host)) return Status::Ok();
  std::string_view name = host;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) {
    return Status::Malformed("host must be an IP address or a host name of 1-253 characters");
  }
  std::string_view last_label;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), IsHostNameLabelChar)) {
      return Status::Malformed(
          "host must be an IP address or a host name (letters, digits, hyphens, dots)");
    }
    last_label = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // "10.1.2" or "3232235777" would be taken as IPv4 by some resolvers: refuse the ambiguity.
  if (std::all_of(last_label.begin(), last_label.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::Malformed("host looks like an incomplete IP address; write all four parts");
  }
  return Status::Ok();
}

bool SameIpAddress(std::string_view a, std::string_view b) {
  std::optional<Address> x = ParseIp(a);
  std::optional<Address> y = ParseIp(b);
  return x && y && *x == *y;
}

Result<std::string> NormalizeFingerprint(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':') continue;
    if (c >= '0' && c <= '9') {
      out += c;
    } else if (c >= 'a' && c <= 'f') {
      out += c;
    } else if (c >= 'A' && c <= 'F') {
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      return Status::Malformed("certificate fingerprint must be hexadecimal SHA-256");
    }
  }
  if (out.size() != 64)
    return Status::Malformed("certificate fingerprint must be 32 bytes (SHA-256)");
  return out;
}

Result<std::string> CertificateFingerprintFromFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("cannot open certificate file " + path);
  std::string pem;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    pem.append(buf, n);
    if (pem.size() > 1024 * 1024) {
      std::fclose(f);
      return Status::LimitExceeded("certificate file " + path + " is larger than 1 MiB");
    }
  }
  std::fclose(f);
  Result<std::string> fp = CertificateFingerprint(pem);
  if (!fp.ok()) return fp.status().WithContext(path);
  return fp;
}

std::vector<std::string> ResolveHostWithSystem(const std::string& host) {
  std::vector<std::string> out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return out;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (p->ai_family == AF_INET) {
      auto* sa = reinterpret_cast<sockaddr_in*>(p->ai_addr);
      inet_ntop(AF_INET, &sa->sin_addr, text, sizeof text);
    } else if (p->ai_family == AF_INET6) {
      auto* sa = reinterpret_cast<sockaddr_in6*>(p->ai_addr);
      inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    out.emplace_back(text);
  }
  freeaddrinfo(res);
  return out;
}

std::string_view PeerRefusalName(PeerRefusal refusal) {
  switch (refusal) {
    case PeerRefusal::kNone:
      return "none";
    case PeerRefusal::kUnknownAeTitle:
      return "unknown calling AE title";
    case PeerRefusal::kWrongHost:
      return "calling AE title not registered for this address";
    case PeerRefusal::kClientCertificateRequired:
      return "client certificate required";
    case PeerRefusal::kClientCertificateMismatch:
      return "client certificate does not match";
  }
  return "unknown";
}

PeerRefusal CheckPeer(const Peer& peer, const PeerCheckInput& input, const HostResolver& resolve) {
  if (peer.host != "*") {
    bool match = false;
    if (ParseIp(peer.host)) {
      match = SameIpAddress(peer.host, input.remote_ip);
    } else if (resolve) {
      for (const std::string& ip : resolve(peer.host)) {
        if (SameIpAddress(ip, input.remote_ip)) {
          match = true;
          break;
        }
      }
    }
    if (!match) return PeerRefusal::kWrongHost;
  }
  if (peer.require_client_cert || !peer.cert_sha256.empty()) {
    if (!input.client_cert_sha256) return PeerRefusal::kClientCertificateRequired;
    Result<std::string> presented = NormalizeFingerprint(*input.client_cert_sha256);
    if (!presented.ok() || *presented != peer.cert_sha256) {
      return PeerRefusal::kClientCertificateMismatch;
    }
  }
  return PeerRefusal::kNone;
}

Result<Peer> NormalizePeer(Peer peer) {
  BASTION_ASSIGN_OR_RETURN(peer.ae_title, NormalizeAeTitle(peer.ae_title));
  BASTION_RETURN_IF_ERROR(ValidateHost(peer.host));
  BASTION_RETURN_IF_ERROR(ValidateRoleList(peer.roles));
  if (!peer.cert_sha256.empty()) {
    BASTION_ASSIGN_OR_RETURN(peer.cert_sha256, NormalizeFingerprint(peer.cert_sha256));
  }
  peer.require_client_cert = !peer.cert_sha256.empty();
  if (peer.host == "*" && !peer.require_client_cert) {
    return Status::Malformed("host \"*\" (any address) is allowed only with a client certificate");
  }
  return peer;
}

Result<std::unique_ptr<PeerRegistry>> PeerRegistry::Load(const std::string& path,
                                                         PeerRegistryOptions options) {
  std::unique_ptr<PeerRegistry> reg(new PeerRegistry(path, std::move(options)));
  BASTION_RETURN_IF_ERROR(reg->store_.Load(reg->options_.create_if_missing));
  return reg;
}

std::shared_ptr<const PeerRegistry::Snapshot> PeerRegistry::snapshot() const {
  return store_.snapshot();
}

Result<PeerRegistry::Snapshot> PeerRegistry::Parse(std::string_view text) const {
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Malformed("not a JSON object");
  auto format = doc.find("format");
  auto version = doc.find("version");
  auto peers = doc.find("peers");
  if (format == doc.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    return Status::Malformed("\"format\" is not \"bastion-peers\"");
  }
  if (version == doc.end() || !version->is_number_integer() || version->get<int>() != kVersion) {
    return Status::Unsupported("unsupported \"version\" (this build reads version 1)");
  }
  if (peers == doc.end() || !peers->is_array()) return Status::Malformed("\"peers\" is not a list");
  if (peers->size() > options_.max_peers) {
    return Status::LimitExceeded("more than " + std::to_string(options_.max_peers) + " peers");
  }
  Snapshot out;
  for (const Json& p : *peers) {
    if (!p.is_object()) return Status::Malformed("a peer entry is not an object");
    Peer peer;
    auto string_field = [&](const char* key, std::string& dst, bool required) -> Status {
      auto it = p.find(key);
      if (it == p.end()) {
        return required ? Status::Malformed(std::string("a peer has no ") + key) : Status::Ok();
      }
      if (!it->is_string()) return Status::Malformed(std::string(key) + " is not a string");
      dst = it->get<std::string>();
      return Status::Ok();
    };
    BASTION_RETURN_IF_ERROR(string_field("ae_title", peer.ae_title, true));
    BASTION_RETURN_IF_ERROR(string_field("host", peer.host, true));
    BASTION_RETURN_IF_ERROR(string_field("cert_sha256", peer.cert_sha256, false));
    if (auto it = p.find("port"); it != p.end()) {
      if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 65535) {
        return Status::Malformed("port is not 0-65535");
      }
      peer.port = static_cast<std::uint16_t>(it->get<std::uint64_t>());
    }
    auto roles = p.find("roles");
    if (roles == p.end() || !roles->is_array()) return Status::Malformed("a peer has no roles");
    for (const Json& r : *roles) {
      if (!r.is_string()) return Status::Malformed("a role is not a string");
      peer.roles.push_back(r.get<std::string>());
    }
    if (auto it = p.find("require_identity"); it != p.end()) {
      if (!it->is_boolean()) return Status::Malformed("require_identity is not a boolean");
      peer.require_identity = it->get<bool>();
    }
    if (auto it = p.find("plaintext"); it != p.end()) {
      if (!it->is_boolean()) return Status::Malformed("plaintext is not a boolean");
      peer.plaintext = it->get<bool>();
    }
    if (auto it = p.find("scope"); it != p.end()) {
      BASTION_ASSIGN_OR_RETURN(peer.scope, ScopeFromJson(*it));
    }
    Result<Peer> normal = NormalizePeer(std::move(peer));
    if (!normal.ok()) return normal.status();
    std::string key = normal->ae_title;
    if (!out.emplace(key, std::move(normal).value()).second) {
      return Status::Malformed("AE title " + key + " appears twice");
    }
  }
  return out;
}

std::string PeerRegistry::Serialize(const Snapshot& snapshot) const {
  Json peers = Json::array();
  for (const auto& [title, p] : snapshot) {
    Json entry = {{"ae_title", p.ae_title},
                  {"host", p.host},
                  {"port", p.port},
                  {"roles", p.roles},
                  {"require_identity", p.require_identity}};
    if (!p.cert_sha256.empty()) entry["cert_sha256"] = p.cert_sha256;
    if (p.plaintext) entry["plaintext"] = true;
    if (!p.scope.unrestricted()) entry["scope"] = ScopeToJson(p.scope);
    peers.push_back(std::move(entry));
  }
  Json doc = {{"format", std::string(kFormat)}, {"version", kVersion}, {"peers", std::move(peers)}};
  return doc.dump(2) + "\n";
}

Result<bool> PeerRegistry::ReloadIfChanged() { return store_.ReloadIfChanged(); }

template <typename Change>
Status PeerRegistry::Modify(Change&& change) {
  return store_.Modify(std::forward<Change>(change));
}

Status PeerRegistry::Add(Peer peer) {
  BASTION_ASSIGN_OR_RETURN(Peer normal, NormalizePeer(std::move(peer)));
  for (const std::string& r : normal.roles) {
    if (!options_.roles.Has(r)) return Status::NotFound("unknown role '" + r + "'");
  }
  return Modify([&](Snapshot& s) -> Status {
    std::string key = normal.ae_title;
    if (!s.emplace(key, normal).second) {
      return Status::Conflict("AE title " + key + " is already registered");
    }
    return Status::Ok();
  });
}

Status PeerRegistry::Remove(std::string_view ae_title) {
  BASTION_ASSIGN_OR_RETURN(std::string key, NormalizeAeTitle(ae_title));
  return Modify([&](Snapshot& s) -> Status {
    auto it = s.find(key);
    if (it == s.end()) return Status::NotFound("no peer with AE title " + key);
    s.erase(it);
    return Status::Ok();
  });
}

Status PeerRegistry::SetScope(std::string_view ae_title, Scope scope) {
  BASTION_ASSIGN_OR_RETURN(std::string key, NormalizeAeTitle(ae_title));
  return Modify([&](Snapshot& s) -> Status {
    auto it = s.find(key);
    if (it == s.end()) return Status::NotFound("no peer with AE title " + key);
    it->second.scope = std::move(scope);
    return Status::Ok();
  });
}

Status PeerRegistry::Save() { return store_.Save(); }

Result<Peer> PeerRegistry::Check(const PeerCheckInput& input, const HostResolver& resolve,
                                 PeerRefusal* why) const {
  PeerRefusal reason = PeerRefusal::kUnknownAeTitle;
  std::shared_ptr<const Snapshot> snap = snapshot();
  Result<std::string> title = NormalizeAeTitle(input.calling_ae_title);
  const Peer* found = nullptr;
  if (title.ok()) {
    auto it = snap->find(*title);
    if (it != snap->end()) {
      found = &it->second;
      reason = CheckPeer(*found, input, resolve);
    }
  }
  if (why != nullptr) *why = reason;
  if (reason != PeerRefusal::kNone) {
    return Status::PermissionDenied(std::string(PeerRefusalName(reason)));
  }
  return *found;
}

std::optional<Peer> PeerRegistry::Find(std::string_view ae_title) const {
  Result<std::string> title = NormalizeAeTitle(ae_title);
  if (!title.ok()) return std::nullopt;
  std::shared_ptr<const Snapshot> snap = snapshot();
  auto it = snap->find(*title);
  if (it == snap->end()) return std::nullopt;
  return it->second;
}

std::vector<Peer> PeerRegistry::List() const {
  std::shared_ptr<const Snapshot> snap = snapshot();
  std::vector<Peer> out;
  for (const auto& [title, p] : *snap) out.push_back(p);
  return out;
}

std::size_t PeerRegistry::size() const { return snapshot()->size(); }

}  // namespace bastion::security

// Identity: who is on the other end of an association or HTTP request, once authenticated.
//
// Produced by the peer registry (calling AE title bound to host and/or certificate), by the
// user store (PS3.7 D.3.3.7 User Identity type 2, username + passcode), by the JWT verifier
// (type 5, RFC 7519) and by client-certificate checks. Authorization looks only at `roles`
// (see permissions.h) and `scope`; `user` and `source` feed the audit trail (PS3.15 A.5.3 UserID).
// Thread-safety: a plain value; copy it between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "security/scope.h"

namespace bastion::security {

struct Identity {
  enum class Source : std::uint8_t { kPeer, kPassword, kJwt, kCertificate };

  std::string user;                // user name, JWT subject, or calling AE title for kPeer
  std::vector<std::string> roles;  // role names; unknown roles grant nothing
  Scope scope;                     // the studies it may see (security/scope.h)
  Source source = Source::kPeer;
};

inline std::string_view IdentitySourceName(Identity::Source source) {
  switch (source) {
    case Identity::Source::kPeer:
      return "peer";
    case Identity::Source::kPassword:
      return "password";
    case Identity::Source::kJwt:
      return "jwt";
    case Identity::Source::kCertificate:
      return "certificate";
  }
  return "unknown";
}

}  // namespace bastion::security

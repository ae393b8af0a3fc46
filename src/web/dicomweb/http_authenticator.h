// HttpAuthenticator: who is calling, for every HTTP request (issue 6, "Authentication").
//
// Accepted credentials, in order:
//   Authorization: Bearer bst_...  a personal or service token (security/token_store.h); the
//                                  account it belongs to gives the roles and scope, looked up
//                                  at each request, so a disabled account stops at once
//   Authorization: Bearer <JWT>    an OAuth2/OpenID Connect access token from a configured
//                                  issuer (security/jwt.h: signature, issuer, audience, expiry)
//   Cookie: bastion_session=...    a login session (session_store.h); state-changing requests
//                                  must also carry X-CSRF-Token
// Nothing else: no Basic authentication (a password hash per request would make every request
// a brute-force opportunity and a CPU cost), no anonymous access. Failures are answered with
// one fixed message; the precise reason goes to the audit trail only.
//
// Password login (POST /api/login) is slowed and then locked per account and per source
// address (security/lockout.h), and audited as User Authentication (110114).
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "audit/audit_event.h"
#include "base/status.h"
#include "security/identity.h"
#include "security/lockout.h"
#include "security/permissions.h"
#include "security/token_store.h"
#include "security/user_store.h"
#include "web/dicomweb/session_store.h"
#include "web/http/message.h"

namespace bastion::web::dicomweb {

inline constexpr std::string_view kSessionCookie = "bastion_session";
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";

// Verifies a JWT access token; unset when no issuer is configured.
using JwtCheck = std::function<Result<security::Identity>(std::string_view token)>;

struct Caller {
  security::Identity identity;
  security::PermissionSet permissions;
  bool via_session = false;  // cookie: state-changing requests need the CSRF token
  std::string session_id;
  std::string address;  // remote IP, for the audit trail
};

struct LoginResult {
  NewSession session;
  security::User user;
};

class HttpAuthenticator {
 public:
  struct Parts {
    const security::UserStore* users = nullptr;
    security::TokenStore* tokens = nullptr;  // may be null: no tokens
    JwtCheck jwt;
    const security::RoleCatalog* roles = nullptr;
    SessionStore* sessions = nullptr;
    security::FailureTracker* address_failures = nullptr;
    security::FailureTracker* account_failures = nullptr;
    audit::AuditSink* audit = nullptr;
    std::string local_name;  // our AE title, for audit events
  };
  explicit HttpAuthenticator(Parts parts) : parts_(std::move(parts)) {}

  // Unauthenticated (with kAuthenticationRequired as message) when the request carries no
  // usable credential. Failed bearer tokens are audited.
  Result<Caller> Authenticate(const http::RequestHead& head) const;
  // For state-changing requests: a session caller must echo its CSRF token.
  Status CheckCsrf(const Caller& caller, const http::RequestHead& head) const;

  // Verifies a password (blocks for one Argon2id hash, plus the lockout delay). Unauthenticated
  // for wrong credentials, Unavailable ("try again later") while locked out.
  Result<LoginResult> Login(std::string_view user, std::string_view password,
                            const std::string& address) const;
  void Logout(const Caller& caller) const;

  static constexpr std::string_view kAuthenticationRequired =
      "authentication required: send a bearer token or log in";

 private:
  Result<Caller> FromUser(const std::string& name, security::Identity::Source source,
                          const std::string& address) const;
  void Audit(audit::AuditEventType type, audit::AuditOutcome outcome, const std::string& user,
             const std::string& address, const std::string& description) const;

  Parts parts_;
};

// The value of cookie `name` in a Cookie header, if present (RFC 6265 5.4).
std::optional<std::string_view> CookieValue(std::string_view cookie_header, std::string_view name);

}  // namespace bastion::web::dicomweb

#include "web/dicomweb/http_authenticator.h"

#include <thread>

namespace bastion::web::dicomweb {

namespace {

using Clock = std::chrono::steady_clock;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool IsPersonalToken(std::string_view token) { return token.substr(0, 4) == "bst_"; }

}  // namespace

std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = header.find(';');
    std::string_view pair = Trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(pair.substr(0, eq)) == name) return Trim(pair.substr(eq + 1));
  }
  return std::nullopt;
}

void HttpAuthenticator::Audit(audit::AuditEventType type, audit::AuditOutcome outcome,
                              const std::string& user, const std::string& address,
                              const std::string& description) const {
  if (parts_.audit == nullptr) return;
  audit::AuditEvent event;
  event.type = type;
  event.outcome = outcome;
  event.user = user;
  event.peer_address = address;
  event.local_ae_title = parts_.local_name;
  event.description = description;
  parts_.audit->Emit(event);
}

Result<Caller> HttpAuthenticator::FromUser(const std::string& name,
                                           security::Identity::Source source,
                                           const std::string& address) const {
  auto user = parts_.users->Find(name);
  if (!user || user->disabled) {
    return Status::Unauthenticated(std::string(kAuthenticationRequired));
  }
  Caller caller;
  caller.identity.user = user->name;
  caller.identity.roles = user->roles;
  caller.identity.scope = user->scope;
  caller.identity.source = source;
  caller.permissions = parts_.roles->PermissionsOf(user->roles);
  caller.address = address;
  return caller;
}

Result<Caller> HttpAuthenticator::Authenticate(const http::RequestHead& head) const {
  const std::string& address = head.remote_address;
  if (auto authorization = http::FindHeader(head.headers, "authorization")) {
    if (!StartsWithIgnoringCase(*authorization, "bearer ")) {
      Audit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, "",
            address, "HTTP: unsupported authorization scheme");
      return Status::Unauthenticated(std::string(kAuthenticationRequired));
    }
    const std::string_view token = Trim(authorization->substr(7));
    if (IsPersonalToken(token) && parts_.tokens != nullptr) {
      security::TokenFailure why = security::TokenFailure::kNone;
      // Tokens created or revoked with the CLI count from the next request: one stat() of the
      // token file per request is the price of a revocation that takes effect at once.
      (void)parts_.tokens->ReloadIfChanged();
      auto info = parts_.tokens->Verify(token, std::chrono::system_clock::now(), &why);
      if (!info.ok()) {
        Audit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, "",
              address,
              "HTTP bearer token refused: " + std::string(security::TokenFailureName(why)));
        return Status::Unauthenticated(std::string(kAuthenticationRequired));
      }
      auto caller = FromUser(info->user, security::Identity::Source::kPassword, address);
      if (!caller.ok()) {
        Audit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure,
              info->user, address, "HTTP bearer token of a disabled or removed account");
      }
      return caller;
    }
    if (!parts_.jwt) {
      Audit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, "",
            address,
            "HTTP bearer token refused: not a Bastion token and no JWT issuer is configured");
      return Status::Unauthenticated(std::string(kAuthenticationRequired));
    }
    auto identity = parts_.jwt(token);
    if (!identity.ok()) {
      Audit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, "",
            address, "HTTP JWT refused: " + identity.status().message());
      return Status::Unauthenticated(std::string(kAuthenticationRequired));
    }
    Caller caller;
    caller.identity = *std::move(identity);
    caller.permissions = parts_.roles->PermissionsOf(caller.identity.roles);
    caller.address = address;
    return caller;
  }
  if (auto cookie = http::FindHeader(head.headers, "cookie")) {
    if (auto id = CookieValue(*cookie, kSessionCookie); id && parts_.sessions != nullptr) {
      auto session = parts_.sessions->Find(*id, Clock::now());
      if (session) {
        auto caller = FromUser(session->user, security::Identity::Source::kPassword, address);
        if (caller.ok()) {
          caller->via_session = true;
          caller->session_id = std::string(*id);
        }
        return caller;
      }
    }
  }
  return Status::Unauthenticated(std::string(kAuthenticationRequired));
}

Status HttpAuthenticator::CheckCsrf(const Caller& caller, const http::RequestHead& head) const {
  if (!caller.via_session) return Status::Ok();
  auto token = http::FindHeader(head.headers, kCsrfHeader);
  auto session = parts_.sessions->Find(caller.session_id, Clock::now());
  if (!token || !session || !SessionStore::CsrfMatches(*session, *token)) {
    Audit(audit::AuditEventType::kSecurityAlert, audit::AuditOutcome::kMinorFailure,
          caller.identity.user, caller.address,
          "HTTP: state-changing request without a valid CSRF token");
    return Status::PermissionDenied("missing or wrong X-CSRF-Token for this session");
  }
  return Status::Ok();
}

Result<LoginResult> HttpAuthenticator::Login(std::string_view user, std::string_view password,
                                             const std::string& address) const {
  const std::string name(user);
  const std::string address_key = security::SourceAddressKey(address);
  const auto now = security::FailureTracker::Clock::now();
  const auto by_address = parts_.address_failures->Check(address_key, now);
  const auto by_account = parts_.account_failures->Check(name, now);
  if (by_address.locked || by_account.locked) {
    Audit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, name,
          address, "HTTP login refused: locked out after repeated failures");
    return Status::Unavailable("too many failed logins; try again later");
  }
  const auto delay = std::max(by_address.delay, by_account.delay);
  if (delay.count() > 0) std::this_thread::sleep_for(delay);

  security::VerifyFailure why = security::VerifyFailure::kNone;
  auto verified = parts_.users->Verify(user, password, &why);
  if (!verified.ok()) {
    const auto later = security::FailureTracker::Clock::now();
    const auto a = parts_.address_failures->RecordFailure(address_key, later);
    const auto b = parts_.account_failures->RecordFailure(name, later);
    Audit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, name,
          address, "HTTP login failed: " + std::string(security::VerifyFailureName(why)));
    if (a.locked_now || b.locked_now) {
      Audit(audit::AuditEventType::kLockout, audit::AuditOutcome::kSeriousFailure, name, address,
            a.locked_now ? "HTTP logins from this address locked out"
                         : "HTTP logins to this account locked out");
    }
    return verified.status();
  }
  parts_.address_failures->RecordSuccess(address_key);
  parts_.account_failures->RecordSuccess(name);
  LoginResult result{parts_.sessions->Create(verified->name, Clock::now()), *verified};
  Audit(audit::AuditEventType::kAuthenticationSucceeded, audit::AuditOutcome::kSuccess,
        verified->name, address, "HTTP login with password");
  return result;
}

void HttpAuthenticator::Logout(const Caller& caller) const {
  if (!caller.via_session) return;
  parts_.sessions->Remove(caller.session_id);
  Audit(audit::AuditEventType::kAuthenticationSucceeded, audit::AuditOutcome::kSuccess,
        caller.identity.user, caller.address, "HTTP logout");
}

}  // namespace bastion::web::dicomweb

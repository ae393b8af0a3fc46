#include "server/association_gate.h"

#include <algorithm>

namespace bastion::server {
namespace {

using net::pdu::AAssociateRj;
using net::pdu::RejectResult;
using net::pdu::RejectSource;
using net::pdu::UserIdentityType;
namespace reason = net::pdu::reject_reason;

security::PermissionSet Intersect(const security::PermissionSet& a,
                                  const security::PermissionSet& b) {
  security::PermissionSet out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.begin()));
  return out;
}

}  // namespace

void AssociationGate::Emit(audit::AuditEventType type, audit::AuditOutcome outcome,
                           const net::pdu::AAssociateRq& rq, const net::transport::PeerInfo& peer,
                           const std::string& user, const std::string& description) const {
  audit::AuditEvent event;
  event.type = type;
  event.outcome = outcome;
  event.user = user;
  event.peer_ae_title = rq.calling_ae_title;
  event.peer_address = peer.address + ":" + std::to_string(peer.port);
  event.local_ae_title = local_.ae_title;
  event.description = description;
  audit_.Emit(event);
}

AdmissionDecision AssociationGate::Refuse(AAssociateRj rj, std::string why,
                                          const net::pdu::AAssociateRq& rq,
                                          const net::transport::PeerInfo& peer,
                                          bool authentication_failed) const {
  AdmissionDecision d;
  d.accepted = false;
  d.rejection = rj;
  d.reason = std::move(why);
  d.authentication_failed = authentication_failed;
  Emit(audit::AuditEventType::kAssociationRejected, audit::AuditOutcome::kMinorFailure, rq, peer,
       "", d.reason);
  return d;
}

AdmissionDecision AssociationGate::Decide(const net::pdu::AAssociateRq& rq,
                                          const net::transport::PeerInfo& peer) const {
  if (peer.over_capacity) {
    return Refuse({RejectResult::kTransient, RejectSource::kServiceProviderPresentation,
                   reason::kLocalLimitExceeded},
                  "too many associations (in total or from this address)", rq, peer, false);
  }
  if (auto rj = net::acse::CheckAssociateRq(rq, local_)) {
    std::string why = "invalid association request";
    if (rj->reason == reason::kCalledAeNotRecognized && rj->source == RejectSource::kServiceUser) {
      why = "called AE title is not ours";
    } else if (rj->reason == reason::kCallingAeNotRecognized &&
               rj->source == RejectSource::kServiceUser) {
      why = "calling AE title is malformed";
    } else if (rj->source == RejectSource::kServiceProviderAcse) {
      why = "unsupported protocol version";
    } else if (rj->reason == reason::kApplicationContextNotSupported) {
      why = "unsupported application context";
    }
    return Refuse(*rj, why, rq, peer, false);
  }

  // The calling AE title must be a registered peer, from its registered host and/or with its
  // registered client certificate. AE titles alone are not credentials.
  security::PeerCheckInput input;
  input.calling_ae_title = rq.calling_ae_title;
  input.remote_ip = peer.address;
  if (!peer.certificate_fingerprint.empty())
    input.client_cert_sha256 = peer.certificate_fingerprint;
  security::PeerRefusal refusal = security::PeerRefusal::kNone;
  auto registered = peers_.Check(input, resolver_, &refusal);
  if (!registered.ok()) {
    return Refuse(
        {RejectResult::kPermanent, RejectSource::kServiceUser, reason::kCallingAeNotRecognized},
        "calling AE title refused: " + std::string(security::PeerRefusalName(refusal)), rq, peer,
        true);
  }

  security::Identity identity{rq.calling_ae_title, registered->roles, registered->scope,
                              security::Identity::Source::kPeer};
  if (!peer.certificate_fingerprint.empty() && registered->require_client_cert) {
    identity.source = security::Identity::Source::kCertificate;
  }
  security::PermissionSet permissions = roles_.PermissionsOf(registered->roles);
  bool identity_verified = false;
  const auto& user_identity = rq.user_information.user_identity_rq;
  if (user_identity) {
    switch (user_identity->type) {
      case UserIdentityType::kUsernameAndPasscode: {
        security::VerifyFailure failure = security::VerifyFailure::kNone;
        auto user =
            users_.Verify(user_identity->primary_field, user_identity->secondary_field, &failure);
        if (!user.ok()) {
          Emit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, rq,
               peer, user_identity->primary_field,
               "user identity (username and passcode): " +
                   std::string(security::VerifyFailureName(failure)));
          return Refuse(
              {RejectResult::kPermanent, RejectSource::kServiceUser, reason::kNoReasonGiven},
              "user identity verification failed", rq, peer, true);
        }
        identity = {user->name, user->roles, user->scope, security::Identity::Source::kPassword};
        identity_verified = true;
        break;
      }
      case UserIdentityType::kJwt: {
        auto verified = jwt_ ? jwt_(user_identity->primary_field)
                             : Result<security::Identity>(
                                   Status::Unauthenticated("no JWT issuer is configured"));
        if (!verified.ok()) {
          Emit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, rq,
               peer, "", "user identity (JWT): " + verified.status().message());
          return Refuse(
              {RejectResult::kPermanent, RejectSource::kServiceUser, reason::kNoReasonGiven},
              "user identity verification failed", rq, peer, true);
        }
        identity = *verified;
        identity_verified = true;
        break;
      }
      case UserIdentityType::kUsername:
      case UserIdentityType::kKerberos:
      case UserIdentityType::kSaml:
        // A bare username proves nothing; Kerberos and SAML are not supported. Neither
        // authenticates, so a peer that must present an identity is refused below.
        break;
    }
  }
  if (registered->require_identity && !identity_verified) {
    Emit(audit::AuditEventType::kAuthenticationFailed, audit::AuditOutcome::kMinorFailure, rq, peer,
         user_identity ? user_identity->primary_field : "",
         user_identity ? "user identity of a type that does not authenticate"
                       : "no user identity presented");
    return Refuse({RejectResult::kPermanent, RejectSource::kServiceUser, reason::kNoReasonGiven},
                  "this peer must present a verifiable user identity", rq, peer, true);
  }
  if (identity_verified) {
    // A user acting through a peer gets no more than both are allowed.
    permissions = Intersect(permissions, roles_.PermissionsOf(identity.roles));
    identity.scope = security::Intersect(std::move(identity.scope), registered->scope);
    Emit(audit::AuditEventType::kAuthenticationSucceeded, audit::AuditOutcome::kSuccess, rq, peer,
         identity.user,
         "user identity verified (" + std::string(security::IdentitySourceName(identity.source)) +
             ")");
  }

  AdmissionDecision d;
  d.accepted = true;
  d.identity = identity;
  d.permissions = permissions;
  d.negotiation = net::acse::NegotiateAsAcceptor(
      rq, local_, identity_verified ? std::optional<std::string>("") : std::nullopt);
  Emit(audit::AuditEventType::kAssociationAccepted, audit::AuditOutcome::kSuccess, rq, peer,
       identity_verified ? identity.user : "",
       "association accepted with " + std::to_string(d.negotiation.association.contexts.size()) +
           " presentation context(s)");
  return d;
}

}  // namespace bastion::server

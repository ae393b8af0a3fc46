// AssociationGate: decides whether an A-ASSOCIATE-RQ may become an association, and with which
// identity and permissions (issue 3, "Who may come in").
//
// In order: connection caps, lockout of the source address, the request's own validity
// (PS3.8), the calling AE title bound to its host and/or client certificate (peer registry),
// the user identity (PS3.7 D.3.3.7: username alone never authenticates; username+passcode
// against the Argon2id user store; JWT against configured issuers), then the presentation
// contexts. Every decision is emitted as an audit event. Decide() may block for the length of
// one password hash: call it off the network threads.
// Thread-safety: Decide is safe to call concurrently.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "audit/audit_event.h"
#include "net/acse/negotiation.h"
#include "net/pdu/pdu.h"
#include "net/transport/connection.h"
#include "security/identity.h"
#include "security/peer_registry.h"
#include "security/permissions.h"
#include "security/user_store.h"

namespace bastion::server {

struct AdmissionDecision {
  bool accepted = false;
  net::pdu::AAssociateRj rejection;        // when !accepted
  net::acse::AcceptorOutcome negotiation;  // when accepted
  security::Identity identity;
  security::PermissionSet permissions;
  std::string reason;  // why refused, in words for the audit trail and the log
  // Failed authentication to count against the source address.
  bool authentication_failed = false;
};

// Verifies a JWT from User Identity type 5; unset when no issuer is configured.
using JwtVerifier = std::function<Result<security::Identity>(std::string_view token)>;

class AssociationGate {
 public:
  AssociationGate(net::acse::LocalApplication local, const security::RoleCatalog& roles,
                  const security::UserStore& users, const security::PeerRegistry& peers,
                  JwtVerifier jwt, security::HostResolver resolver, audit::AuditSink& audit)
      : local_(std::move(local)),
        roles_(roles),
        users_(users),
        peers_(peers),
        jwt_(std::move(jwt)),
        resolver_(std::move(resolver)),
        audit_(audit) {}

  AdmissionDecision Decide(const net::pdu::AAssociateRq& rq,
                           const net::transport::PeerInfo& peer) const;

  const net::acse::LocalApplication& local() const { return local_; }

 private:
  AdmissionDecision Refuse(net::pdu::AAssociateRj rj, std::string reason,
                           const net::pdu::AAssociateRq& rq, const net::transport::PeerInfo& peer,
                           bool authentication_failed) const;
  void Emit(audit::AuditEventType type, audit::AuditOutcome outcome,
            const net::pdu::AAssociateRq& rq, const net::transport::PeerInfo& peer,
            const std::string& user, const std::string& description) const;

  net::acse::LocalApplication local_;
  const security::RoleCatalog& roles_;
  const security::UserStore& users_;
  const security::PeerRegistry& peers_;
  JwtVerifier jwt_;
  security::HostResolver resolver_;
  audit::AuditSink& audit_;
};

}  // namespace bastion::server

// Association negotiation as acceptor and as requestor (PS3.7 Annex D.3, PS3.8 9.3.2-9.3.4):
// presentation contexts and transfer syntax preference, maximum PDU length, SCP/SCU role
// selection, asynchronous operations window (declined: 1/1), implementation identification and
// the user identity positive response. Who may associate at all (peers, credentials) is decided
// by the security layer before NegotiateAsAcceptor is called.
// Pure functions. Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/pdu/pdu.h"

namespace bastion::net::acse {

// An abstract syntax (SOP class) we offer, with our transfer syntaxes in order of preference.
struct SupportedSyntax {
  std::string abstract_syntax;
  std::vector<std::string> transfer_syntaxes;
  bool acceptor_may_be_scu = false;  // e.g. storage classes during C-GET (PS3.7 D.3.3.4)
};

struct LocalApplication {
  std::string ae_title;
  std::vector<SupportedSyntax> syntaxes;
  std::uint32_t max_pdu_length = 1u << 20;       // what we receive, advertised to the peer
  std::uint32_t min_peer_max_pdu_length = 1024;  // smaller peer maxima are refused
  std::string implementation_class_uid;
  std::string implementation_version_name;
};

// A presentation context both sides agreed on.
struct AcceptedContext {
  std::uint8_t id = 0;
  std::string abstract_syntax;
  std::string transfer_syntax;
  bool requestor_is_scu = true;
  bool requestor_is_scp = false;
};

struct NegotiatedAssociation {
  std::string calling_ae_title;
  std::string called_ae_title;
  std::uint32_t peer_max_pdu_length = 0;  // 0: unlimited
  std::string peer_implementation_class_uid;
  std::string peer_implementation_version_name;
  std::vector<AcceptedContext> contexts;

  const AcceptedContext* FindContext(std::uint8_t id) const;
  // The first accepted context for `abstract_syntax` (optionally with a given transfer syntax).
  const AcceptedContext* FindContextFor(const std::string& abstract_syntax,
                                        const std::string& transfer_syntax = "") const;
};

// Checks what does not depend on who the caller is: protocol version, application context,
// the called AE title, well-formed AE titles and presentation context IDs, the peer's maximum
// length. Returns the rejection to send, or nullopt when the request may proceed.
std::optional<pdu::AAssociateRj> CheckAssociateRq(const pdu::AAssociateRq& rq,
                                                  const LocalApplication& local);

// True when `ae` is a valid AE title: 1-16 characters of the default repertoire without
// backslash or control characters and not all spaces (PS3.5 Table 6.2-1, AE).
bool IsValidAeTitle(const std::string& ae);

struct AcceptorOutcome {
  pdu::AAssociateAc ac;
  NegotiatedAssociation association;
};

// Builds the A-ASSOCIATE-AC for an acceptable request. `identity_response` is the
// server response to include when the requestor asked for a positive user identity response
// and its identity was verified (PS3.7 D.3.3.7.2); nullopt omits the sub-item.
AcceptorOutcome NegotiateAsAcceptor(const pdu::AAssociateRq& rq, const LocalApplication& local,
                                    std::optional<std::string> identity_response);

// Requestor side: builds a request proposing each syntax in its own context (odd IDs).
pdu::AAssociateRq BuildAssociateRq(const std::string& calling_ae, const std::string& called_ae,
                                   const LocalApplication& local,
                                   std::optional<pdu::UserIdentityRq> identity);

// Requestor side: interprets the acceptor's answer to `rq`.
Result<NegotiatedAssociation> InterpretAssociateAc(const pdu::AAssociateRq& rq,
                                                   const pdu::AAssociateAc& ac);

}  // namespace bastion::net::acse

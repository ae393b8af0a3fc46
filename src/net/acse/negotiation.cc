#include "net/acse/negotiation.h"

#include <algorithm>
#include <set>

namespace bastion::net::acse {
namespace {

using pdu::AAssociateRj;
using pdu::RejectResult;
using pdu::RejectSource;
namespace reason = pdu::reject_reason;

AAssociateRj Reject(RejectResult result, RejectSource source, std::uint8_t why) {
  return AAssociateRj{result, source, why};
}

const SupportedSyntax* FindSyntax(const LocalApplication& local, const std::string& abstract) {
  for (const SupportedSyntax& s : local.syntaxes) {
    if (s.abstract_syntax == abstract) return &s;
  }
  return nullptr;
}

}  // namespace

const AcceptedContext* NegotiatedAssociation::FindContext(std::uint8_t id) const {
  for (const AcceptedContext& c : contexts) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const AcceptedContext* NegotiatedAssociation::FindContextFor(
    const std::string& abstract_syntax, const std::string& transfer_syntax) const {
  for (const AcceptedContext& c : contexts) {
    if (c.abstract_syntax == abstract_syntax &&
        (transfer_syntax.empty() || c.transfer_syntax == transfer_syntax)) {
      return &c;
    }
  }
  return nullptr;
}

bool IsValidAeTitle(const std::string& ae) {
  if (ae.empty() || ae.size() > 16) return false;
  bool any_non_space = false;
  for (unsigned char c : ae) {
    if (c < 0x20 || c >= 0x7F || c == '\\') return false;
    any_non_space = any_non_space || c != ' ';
  }
  return any_non_space;
}

std::optional<AAssociateRj> CheckAssociateRq(const pdu::AAssociateRq& rq,
                                             const LocalApplication& local) {
  if ((rq.protocol_version & 0x0001) == 0) {
    return Reject(RejectResult::kPermanent, RejectSource::kServiceProviderAcse,
                  reason::kProtocolVersionNotSupported);
  }
  if (rq.application_context != pdu::kDicomApplicationContext) {
    return Reject(RejectResult::kPermanent, RejectSource::kServiceUser,
                  reason::kApplicationContextNotSupported);
  }
  if (!IsValidAeTitle(rq.called_ae_title) || rq.called_ae_title != local.ae_title) {
    return Reject(RejectResult::kPermanent, RejectSource::kServiceUser,
                  reason::kCalledAeNotRecognized);
  }
  if (!IsValidAeTitle(rq.calling_ae_title)) {
    return Reject(RejectResult::kPermanent, RejectSource::kServiceUser,
                  reason::kCallingAeNotRecognized);
  }
  // Presentation context IDs are odd integers 1-255, unique within the request (PS3.8 9.3.2.2).
  std::set<std::uint8_t> ids;
  for (const pdu::PresentationContextRq& pc : rq.presentation_contexts) {
    if (pc.id % 2 == 0 || !ids.insert(pc.id).second) {
      return Reject(RejectResult::kPermanent, RejectSource::kServiceUser, reason::kNoReasonGiven);
    }
  }
  const std::uint32_t peer_max = rq.user_information.max_pdu_length;
  if (peer_max != 0 && peer_max < local.min_peer_max_pdu_length) {
    return Reject(RejectResult::kPermanent, RejectSource::kServiceUser, reason::kNoReasonGiven);
  }
  return std::nullopt;
}

AcceptorOutcome NegotiateAsAcceptor(const pdu::AAssociateRq& rq, const LocalApplication& local,
                                    std::optional<std::string> identity_response) {
  AcceptorOutcome out;
  pdu::AAssociateAc& ac = out.ac;
  ac.protocol_version = 1;
  ac.called_ae_title = rq.called_ae_title;
  ac.calling_ae_title = rq.calling_ae_title;
  ac.application_context = std::string(pdu::kDicomApplicationContext);
  ac.user_information.max_pdu_length = local.max_pdu_length;
  ac.user_information.implementation_class_uid = local.implementation_class_uid;
  ac.user_information.implementation_version_name = local.implementation_version_name;
  if (rq.user_information.async_operations) {
    // We perform operations one at a time; answering 1/1 declines politely (PS3.7 D.3.3.3).
    ac.user_information.async_operations = pdu::AsyncOperationsWindow{1, 1};
  }
  if (identity_response && rq.user_information.user_identity_rq &&
      rq.user_information.user_identity_rq->positive_response_requested) {
    ac.user_information.user_identity_ac = pdu::UserIdentityAc{*identity_response};
  }

  NegotiatedAssociation& assoc = out.association;
  assoc.calling_ae_title = rq.calling_ae_title;
  assoc.called_ae_title = rq.called_ae_title;
  assoc.peer_max_pdu_length = rq.user_information.max_pdu_length;
  assoc.peer_implementation_class_uid = rq.user_information.implementation_class_uid;
  assoc.peer_implementation_version_name = rq.user_information.implementation_version_name;

  std::set<std::string> answered_roles;
  for (const pdu::PresentationContextRq& pc : rq.presentation_contexts) {
    pdu::PresentationContextAc result;
    result.id = pc.id;
    const SupportedSyntax* syntax = FindSyntax(local, pc.abstract_syntax);
    if (syntax == nullptr) {
      result.result = pdu::ContextResult::kAbstractSyntaxNotSupported;
      ac.presentation_contexts.push_back(result);
      continue;
    }
    // Our preference decides among the transfer syntaxes the requestor proposed.
    std::string chosen;
    for (const std::string& ours : syntax->transfer_syntaxes) {
      if (std::find(pc.transfer_syntaxes.begin(), pc.transfer_syntaxes.end(), ours) !=
          pc.transfer_syntaxes.end()) {
        chosen = ours;
        break;
      }
    }
    if (chosen.empty()) {
      result.result = pdu::ContextResult::kTransferSyntaxesNotSupported;
      ac.presentation_contexts.push_back(result);
      continue;
    }
    AcceptedContext accepted{pc.id, pc.abstract_syntax, chosen, true, false};
    // SCP/SCU role selection (PS3.7 D.3.3.4): without a sub-item the requestor is the SCU.
    for (const pdu::RoleSelection& role : rq.user_information.role_selections) {
      if (role.sop_class_uid != pc.abstract_syntax) continue;
      accepted.requestor_is_scu = role.scu_role;
      accepted.requestor_is_scp = role.scp_role && syntax->acceptor_may_be_scu;
      if (answered_roles.insert(role.sop_class_uid).second) {
        ac.user_information.role_selections.push_back(
            {role.sop_class_uid, accepted.requestor_is_scu, accepted.requestor_is_scp});
      }
      break;
    }
    if (!accepted.requestor_is_scu && !accepted.requestor_is_scp) {
      result.result = pdu::ContextResult::kUserRejection;
      ac.presentation_contexts.push_back(result);
      continue;
    }
    result.result = pdu::ContextResult::kAcceptance;
    result.transfer_syntax = chosen;
    ac.presentation_contexts.push_back(result);
    assoc.contexts.push_back(std::move(accepted));
  }
  return out;
}

pdu::AAssociateRq BuildAssociateRq(const std::string& calling_ae, const std::string& called_ae,
                                   const LocalApplication& local,
                                   std::optional<pdu::UserIdentityRq> identity) {
  pdu::AAssociateRq rq;
  rq.calling_ae_title = calling_ae;
  rq.called_ae_title = called_ae;
  std::uint8_t id = 1;
  for (const SupportedSyntax& s : local.syntaxes) {
    if (id == 0) break;  // 128 contexts at most; wrapped around
    rq.presentation_contexts.push_back({id, s.abstract_syntax, s.transfer_syntaxes});
    // One role selection item per SOP class (PS3.7 D.3.3.4), however many contexts it has.
    const auto& roles = rq.user_information.role_selections;
    if (s.acceptor_may_be_scu &&
        std::none_of(roles.begin(), roles.end(), [&s](const pdu::RoleSelection& r) {
          return r.sop_class_uid == s.abstract_syntax;
        })) {
      rq.user_information.role_selections.push_back({s.abstract_syntax, true, true});
    }
    id = static_cast<std::uint8_t>(id + 2);
  }
  rq.user_information.max_pdu_length = local.max_pdu_length;
  rq.user_information.implementation_class_uid = local.implementation_class_uid;
  rq.user_information.implementation_version_name = local.implementation_version_name;
  rq.user_information.user_identity_rq = std::move(identity);
  return rq;
}

Result<NegotiatedAssociation> InterpretAssociateAc(const pdu::AAssociateRq& rq,
                                                   const pdu::AAssociateAc& ac) {
  if (ac.application_context != pdu::kDicomApplicationContext) {
    return Status::Malformed("the acceptor answered with application context '" +
                             ac.application_context + "'");
  }
  NegotiatedAssociation assoc;
  assoc.calling_ae_title = rq.calling_ae_title;
  assoc.called_ae_title = rq.called_ae_title;
  assoc.peer_max_pdu_length = ac.user_information.max_pdu_length;
  assoc.peer_implementation_class_uid = ac.user_information.implementation_class_uid;
  assoc.peer_implementation_version_name = ac.user_information.implementation_version_name;
  for (const pdu::PresentationContextAc& result : ac.presentation_contexts) {
    if (result.result != pdu::ContextResult::kAcceptance) continue;
    const pdu::PresentationContextRq* proposed = nullptr;
    for (const auto& pc : rq.presentation_contexts) {
      if (pc.id == result.id) proposed = &pc;
    }
    if (proposed == nullptr ||
        std::find(proposed->transfer_syntaxes.begin(), proposed->transfer_syntaxes.end(),
                  result.transfer_syntax) == proposed->transfer_syntaxes.end()) {
      return Status::Malformed("the acceptor accepted presentation context " +
                               std::to_string(result.id) +
                               " with a transfer syntax that was not proposed");
    }
    AcceptedContext accepted{result.id, proposed->abstract_syntax, result.transfer_syntax, true,
                             false};
    for (const pdu::RoleSelection& role : ac.user_information.role_selections) {
      if (role.sop_class_uid == proposed->abstract_syntax) {
        accepted.requestor_is_scu = role.scu_role;
        accepted.requestor_is_scp = role.scp_role;
      }
    }
    assoc.contexts.push_back(std::move(accepted));
  }
  return assoc;
}

}  // namespace bastion::net::acse

#include "net/acse/negotiation.h"

#include <gtest/gtest.h>

namespace bastion::net::acse {
namespace {

constexpr const char* kVerification = "1.2.840.10008.1.1";
constexpr const char* kCtStorage = "1.2.840.10008.5.1.4.1.1.2";
constexpr const char* kImplicit = "1.2.840.10008.1.2";
constexpr const char* kExplicit = "1.2.840.10008.1.2.1";

LocalApplication Local() {
  LocalApplication local;
  local.ae_title = "BASTION";
  local.syntaxes.push_back({kVerification, {kExplicit, kImplicit}, false});
  local.syntaxes.push_back({kCtStorage, {kExplicit, kImplicit}, true});
  local.implementation_class_uid = "2.25.1";
  local.implementation_version_name = "BASTION_010";
  return local;
}

pdu::AAssociateRq Request() {
  pdu::AAssociateRq rq;
  rq.called_ae_title = "BASTION";
  rq.calling_ae_title = "ECHOSCU";
  rq.presentation_contexts.push_back({1, kVerification, {kImplicit, kExplicit}});
  rq.user_information.max_pdu_length = 16384;
  rq.user_information.implementation_class_uid = "1.2.3";
  return rq;
}

TEST(NegotiationTest, AcceptsWithOurTransferSyntaxPreference) {
  auto out = NegotiateAsAcceptor(Request(), Local(), std::nullopt);
  ASSERT_EQ(out.ac.presentation_contexts.size(), 1u);
  EXPECT_EQ(out.ac.presentation_contexts[0].result, pdu::ContextResult::kAcceptance);
  EXPECT_EQ(out.ac.presentation_contexts[0].transfer_syntax, kExplicit);
  EXPECT_EQ(out.association.peer_max_pdu_length, 16384u);
  EXPECT_EQ(out.ac.user_information.implementation_version_name, "BASTION_010");
}

TEST(NegotiationTest, RefusesUnknownAbstractAndTransferSyntaxes) {
  auto rq = Request();
  rq.presentation_contexts.push_back({3, "1.2.3.4", {kImplicit}});
  rq.presentation_contexts.push_back({5, kCtStorage, {"1.2.840.10008.1.2.4.50"}});
  auto out = NegotiateAsAcceptor(rq, Local(), std::nullopt);
  EXPECT_EQ(out.ac.presentation_contexts[1].result,
            pdu::ContextResult::kAbstractSyntaxNotSupported);
  EXPECT_EQ(out.ac.presentation_contexts[2].result,
            pdu::ContextResult::kTransferSyntaxesNotSupported);
  EXPECT_EQ(out.association.contexts.size(), 1u);
}

TEST(NegotiationTest, DeclinesAsynchronousOperationsPolitely) {
  auto rq = Request();
  rq.user_information.async_operations = pdu::AsyncOperationsWindow{16, 16};
  auto out = NegotiateAsAcceptor(rq, Local(), std::nullopt);
  ASSERT_TRUE(out.ac.user_information.async_operations.has_value());
  EXPECT_EQ(out.ac.user_information.async_operations->max_invoked, 1);
  EXPECT_EQ(out.ac.user_information.async_operations->max_performed, 1);
}

TEST(NegotiationTest, AnswersRoleSelectionOnlyWhereWeMayBeScu) {
  auto rq = Request();
  rq.presentation_contexts.push_back({3, kCtStorage, {kImplicit}});
  rq.user_information.role_selections.push_back({kCtStorage, false, true});
  rq.user_information.role_selections.push_back({kVerification, false, true});
  rq.presentation_contexts[0] = {1, kVerification, {kImplicit}};
  auto out = NegotiateAsAcceptor(rq, Local(), std::nullopt);
  // Verification: the requestor may not be SCP only, so nothing is left: rejected.
  EXPECT_EQ(out.ac.presentation_contexts[0].result, pdu::ContextResult::kUserRejection);
  EXPECT_EQ(out.ac.presentation_contexts[1].result, pdu::ContextResult::kAcceptance);
  const AcceptedContext* ct = out.association.FindContext(3);
  ASSERT_NE(ct, nullptr);
  EXPECT_TRUE(ct->requestor_is_scp);
  EXPECT_FALSE(ct->requestor_is_scu);
}

TEST(NegotiationTest, SendsUserIdentityResponseOnlyWhenRequestedAndVerified) {
  auto rq = Request();
  rq.user_information.user_identity_rq =
      pdu::UserIdentityRq{pdu::UserIdentityType::kUsernameAndPasscode, true, "u", "p"};
  EXPECT_TRUE(NegotiateAsAcceptor(rq, Local(), std::string())
                  .ac.user_information.user_identity_ac.has_value());
  EXPECT_FALSE(NegotiateAsAcceptor(rq, Local(), std::nullopt)
                   .ac.user_information.user_identity_ac.has_value());
  rq.user_information.user_identity_rq->positive_response_requested = false;
  EXPECT_FALSE(NegotiateAsAcceptor(rq, Local(), std::string())
                   .ac.user_information.user_identity_ac.has_value());
}

TEST(CheckAssociateRqTest, RejectsWrongCalledAeTitle) {
  auto rq = Request();
  rq.called_ae_title = "OTHER";
  auto rj = CheckAssociateRq(rq, Local());
  ASSERT_TRUE(rj.has_value());
  EXPECT_EQ(rj->result, pdu::RejectResult::kPermanent);
  EXPECT_EQ(rj->source, pdu::RejectSource::kServiceUser);
  EXPECT_EQ(rj->reason, pdu::reject_reason::kCalledAeNotRecognized);
}

TEST(CheckAssociateRqTest, RejectsBadProtocolVersionAndApplicationContext) {
  auto rq = Request();
  rq.protocol_version = 2;
  auto rj = CheckAssociateRq(rq, Local());
  ASSERT_TRUE(rj.has_value());
  EXPECT_EQ(rj->source, pdu::RejectSource::kServiceProviderAcse);
  EXPECT_EQ(rj->reason, pdu::reject_reason::kProtocolVersionNotSupported);
  rq = Request();
  rq.application_context = "1.2.3";
  rj = CheckAssociateRq(rq, Local());
  ASSERT_TRUE(rj.has_value());
  EXPECT_EQ(rj->reason, pdu::reject_reason::kApplicationContextNotSupported);
}

TEST(CheckAssociateRqTest, RejectsMalformedCallingAeTitles) {
  for (std::string bad :
       {std::string("A\\B"), std::string("A\nB"), std::string("   "), std::string("\xC3\xA9")}) {
    auto rq = Request();
    rq.calling_ae_title = bad;
    auto rj = CheckAssociateRq(rq, Local());
    ASSERT_TRUE(rj.has_value()) << bad;
    EXPECT_EQ(rj->reason, pdu::reject_reason::kCallingAeNotRecognized);
  }
}

TEST(CheckAssociateRqTest, RejectsEvenOrDuplicateContextIdsAndTinyMaximumLength) {
  auto rq = Request();
  rq.presentation_contexts.push_back({2, kVerification, {kImplicit}});
  EXPECT_TRUE(CheckAssociateRq(rq, Local()).has_value());
  rq = Request();
  rq.presentation_contexts.push_back({1, kVerification, {kImplicit}});
  EXPECT_TRUE(CheckAssociateRq(rq, Local()).has_value());
  rq = Request();
  rq.user_information.max_pdu_length = 16;
  EXPECT_TRUE(CheckAssociateRq(rq, Local()).has_value());
  EXPECT_FALSE(CheckAssociateRq(Request(), Local()).has_value());
}

TEST(RequestorTest, BuildsRequestAndInterpretsTheAnswer) {
  auto rq = BuildAssociateRq("BASTIONSCU", "BASTION", Local(), std::nullopt);
  ASSERT_EQ(rq.presentation_contexts.size(), 2u);
  EXPECT_EQ(rq.presentation_contexts[1].id, 3);
  auto ac = NegotiateAsAcceptor(rq, Local(), std::nullopt).ac;
  auto assoc = InterpretAssociateAc(rq, ac);
  ASSERT_TRUE(assoc.ok()) << assoc.status().ToString();
  EXPECT_EQ(assoc->contexts.size(), 2u);
  ASSERT_NE(assoc->FindContextFor(kVerification), nullptr);
  ac.presentation_contexts[0].transfer_syntax = "1.2.840.10008.1.2.4.50";
  EXPECT_FALSE(InterpretAssociateAc(rq, ac).ok());
}

}  // namespace
}  // namespace bastion::net::acse

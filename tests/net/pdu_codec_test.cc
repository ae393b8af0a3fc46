#include "net/pdu/pdu_codec.h"

#include <gtest/gtest.h>

namespace bastion::net::pdu {
namespace {

AAssociateRq SampleRequest() {
  AAssociateRq rq;
  rq.called_ae_title = "BASTION";
  rq.calling_ae_title = "MODALITY1";
  rq.presentation_contexts.push_back(
      {1, "1.2.840.10008.1.1", {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}});
  rq.presentation_contexts.push_back({3, "1.2.840.10008.5.1.4.1.1.2", {"1.2.840.10008.1.2"}});
  UserInformation& ui = rq.user_information;
  ui.max_pdu_length = 16384;
  ui.implementation_class_uid = "1.2.276.0.7230010.3.0.3.6.7";
  ui.implementation_version_name = "OFFIS_DCMTK_367";
  ui.async_operations = AsyncOperationsWindow{5, 5};
  ui.role_selections.push_back({"1.2.840.10008.5.1.4.1.1.2", true, true});
  ui.user_identity_rq =
      UserIdentityRq{UserIdentityType::kUsernameAndPasscode, true, "alice", "correct horse"};
  return rq;
}

Result<Pdu> DecodeAll(const std::vector<std::uint8_t>& bytes, const PduLimits& limits = {}) {
  auto header = DecodePduHeader(bytes, limits);
  if (!header.ok()) return header.status();
  return DecodePduBody(*header, std::span(bytes).subspan(kPduHeaderLength), limits);
}

TEST(PduCodecTest, RoundTripsAnAssociateRequestWithEverySubItem) {
  AAssociateRq rq = SampleRequest();
  auto bytes = EncodePdu(rq);
  EXPECT_EQ(bytes[0], 0x01);
  auto decoded = DecodeAll(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& back = std::get<AAssociateRq>(*decoded);
  EXPECT_EQ(back.called_ae_title, "BASTION");
  EXPECT_EQ(back.calling_ae_title, "MODALITY1");
  ASSERT_EQ(back.presentation_contexts.size(), 2u);
  EXPECT_EQ(back.presentation_contexts[0].transfer_syntaxes.size(), 2u);
  EXPECT_EQ(back.user_information.max_pdu_length, 16384u);
  EXPECT_EQ(back.user_information.implementation_version_name, "OFFIS_DCMTK_367");
  ASSERT_TRUE(back.user_information.async_operations.has_value());
  EXPECT_EQ(back.user_information.async_operations->max_invoked, 5);
  ASSERT_EQ(back.user_information.role_selections.size(), 1u);
  EXPECT_TRUE(back.user_information.role_selections[0].scp_role);
  ASSERT_TRUE(back.user_information.user_identity_rq.has_value());
  EXPECT_EQ(back.user_information.user_identity_rq->secondary_field, "correct horse");
  EXPECT_TRUE(back.user_information.user_identity_rq->positive_response_requested);
  EXPECT_EQ(EncodePdu(back), bytes);
}

TEST(PduCodecTest, RoundTripsTheOtherPdus) {
  AAssociateAc ac;
  ac.called_ae_title = "BASTION";
  ac.calling_ae_title = "MODALITY1";
  ac.presentation_contexts.push_back({1, ContextResult::kAcceptance, "1.2.840.10008.1.2.1"});
  ac.presentation_contexts.push_back({3, ContextResult::kAbstractSyntaxNotSupported, ""});
  ac.user_information.max_pdu_length = 1 << 20;
  ac.user_information.implementation_class_uid = "2.25.1";
  ac.user_information.user_identity_ac = UserIdentityAc{""};
  for (const Pdu& pdu :
       {Pdu(ac),
        Pdu(AAssociateRj{RejectResult::kTransient, RejectSource::kServiceProviderPresentation,
                         reject_reason::kLocalLimitExceeded}),
        Pdu(PDataTf{{{1, true, true, {1, 2, 3, 4}}, {1, false, false, {}}}}), Pdu(AReleaseRq{}),
        Pdu(AReleaseRp{}),
        Pdu(AAbort{AbortSource::kServiceProvider, AbortReason::kUnexpectedPdu})}) {
    auto bytes = EncodePdu(pdu);
    auto decoded = DecodeAll(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(TypeOf(*decoded), TypeOf(pdu));
    EXPECT_EQ(EncodePdu(*decoded), bytes);
  }
}

TEST(PduCodecTest, RejectsUnknownPduTypeAsUnrecognized) {
  std::vector<std::uint8_t> bytes{0x08, 0, 0, 0, 0, 4, 0, 0, 0, 0};
  auto r = DecodeAll(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(AbortReasonFor(r.status()), AbortReason::kUnrecognizedPdu);
}

TEST(PduCodecTest, RejectsPDataLongerThanTheNegotiatedMaximumFromTheHeaderAlone) {
  std::vector<std::uint8_t> header{0x04, 0, 0xFF, 0xFF, 0xFF, 0xFF};
  auto r = DecodePduHeader(header, PduLimits{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
}

TEST(PduCodecTest, RejectsReleaseWithWrongLength) {
  std::vector<std::uint8_t> header{0x05, 0, 0, 0, 0, 8};
  EXPECT_FALSE(DecodePduHeader(header, PduLimits{}).ok());
}

TEST(PduCodecTest, RejectsAssociateShorterThanItsFixedFields) {
  std::vector<std::uint8_t> header{0x01, 0, 0, 0, 0, 10};
  EXPECT_FALSE(DecodePduHeader(header, PduLimits{}).ok());
}

TEST(PduCodecTest, RejectsUserIdentityWithInconsistentLengths) {
  auto bytes = EncodePdu(SampleRequest());
  // Find the 0x58 sub-item and overstate its primary-field length.
  for (std::size_t i = 0; i + 6 < bytes.size(); ++i) {
    if (bytes[i] == 0x58 && bytes[i + 1] == 0 && bytes[i + 4] == 2) {
      bytes[i + 7] = 0xF0;  // primary field length low byte
      break;
    }
  }
  auto r = DecodeAll(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("user identity"), std::string::npos);
}

TEST(PduCodecTest, RejectsItemLengthOverrunningThePdu) {
  auto bytes = EncodePdu(SampleRequest());
  bytes[6 + 68 + 2] = 0x7F;  // application context item length high byte
  auto r = DecodeAll(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("overruns"), std::string::npos);
}

TEST(PduCodecTest, RejectsTooManyPresentationContexts) {
  AAssociateRq rq = SampleRequest();
  rq.presentation_contexts.clear();
  for (int i = 0; i < 1000; ++i) {
    rq.presentation_contexts.push_back(
        {static_cast<std::uint8_t>(2 * (i % 128) + 1), "1.2.840.10008.1.1", {"1.2.840.10008.1.2"}});
  }
  PduLimits limits;
  limits.max_associate_length = 1 << 20;
  auto r = DecodeAll(EncodePdu(rq), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
}

TEST(PduCodecTest, RejectsOverlongUids) {
  AAssociateRq rq = SampleRequest();
  rq.presentation_contexts[0].abstract_syntax = std::string(65, '1');
  auto r = DecodeAll(EncodePdu(rq));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at most 64"), std::string::npos);
}

TEST(PduCodecTest, RejectsPdvShorterThanItsHeaderAndBadControlBits) {
  std::vector<std::uint8_t> short_pdv{0x04, 0, 0, 0, 0, 6, 0, 0, 0, 1, 1, 0};
  EXPECT_FALSE(DecodeAll(short_pdv).ok());
  std::vector<std::uint8_t> bad_control{0x04, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 0x80};
  EXPECT_FALSE(DecodeAll(bad_control).ok());
}

TEST(PduFramerTest, AssemblesPdusFedOneByteAtATime) {
  auto a = EncodePdu(SampleRequest());
  auto b = EncodePdu(AReleaseRq{});
  std::vector<std::uint8_t> stream(a);
  stream.insert(stream.end(), b.begin(), b.end());
  PduFramer framer(PduLimits{});
  std::vector<PduType> seen;
  for (std::uint8_t byte : stream) {
    framer.Feed(std::span(&byte, 1));
    while (true) {
      auto next = framer.Next();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (!next->has_value()) break;
      seen.push_back(TypeOf(**next));
    }
  }
  EXPECT_EQ(seen, (std::vector<PduType>{PduType::kAAssociateRq, PduType::kAReleaseRq}));
  EXPECT_FALSE(framer.has_partial());
}

TEST(PduFramerTest, FailsOnAnOversizedHeaderWithoutWaitingForTheBody) {
  PduFramer framer(PduLimits{});
  std::vector<std::uint8_t> header{0x04, 0, 0x7F, 0xFF, 0xFF, 0xFF};
  framer.Feed(header);
  auto next = framer.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_FALSE(framer.has_partial());
  EXPECT_FALSE(framer.Next().ok());  // stays failed
}

}  // namespace
}  // namespace bastion::net::pdu

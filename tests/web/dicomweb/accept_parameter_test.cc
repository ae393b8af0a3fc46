// The Acceptable Media Types of a request (web/dicomweb/negotiation.h): the accept query
// parameter in place of the Accept header (PS3.18 8.3.3.1), the charset parameter (8.3.3.2),
// and the default transfer syntax a range without transfer-syntax asks for (8.7.3.4).
#include <gtest/gtest.h>

#include "web/dicomweb/negotiation.h"

namespace bastion::web::dicomweb {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";
constexpr const char* kImplicitLe = "1.2.840.10008.1.2";
constexpr const char* kJpegBaseline = "1.2.840.10008.1.2.4.50";

http::RequestHead Head(std::optional<std::string> accept) {
  http::RequestHead head;
  if (accept) head.headers.emplace_back("accept", std::move(*accept));
  return head;
}

http::Target Query(Params params) {
  http::Target target;
  target.query = std::move(params);
  return target;
}

const std::vector<Offer> kJson = {{"application/dicom+json", "", ""}};

TEST(AcceptParameterTest, StandsInForTheAcceptHeader) {
  auto ranges = AcceptableMediaTypes(Head("*/*"), Query({{"accept", "application/dicom+json"}}));
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  ASSERT_EQ(ranges->size(), 1u);
  EXPECT_EQ(ranges->front().media.Essence(), "application/dicom+json");
  EXPECT_TRUE(Negotiate(*ranges, kJson));
  EXPECT_FALSE(Negotiate(*ranges, {{"image/jpeg", "", ""}}));
}

TEST(AcceptParameterTest, WithoutItTheHeaderDecides) {
  auto ranges = AcceptableMediaTypes(Head("image/png"), Query({{"PatientID", "1"}}));
  ASSERT_TRUE(ranges.ok());
  EXPECT_FALSE(Negotiate(*ranges, kJson));
  EXPECT_TRUE(Negotiate(*AcceptableMediaTypes(Head(std::nullopt), Query({})), kJson));
}

TEST(AcceptParameterTest, AnUnencodedPlusThatBecameASpaceIsReadAsPlus) {
  auto ranges =
      AcceptableMediaTypes(Head(std::nullopt), Query({{"accept", "application/dicom json"}}));
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  EXPECT_TRUE(Negotiate(*ranges, kJson));
}

TEST(AcceptParameterTest, CarriesTypeAndTransferSyntaxParameters) {
  auto ranges = AcceptableMediaTypes(Head(std::nullopt),
                                     Query({{"accept",
                                             "multipart/related; type=\"application/dicom\"; "
                                             "transfer-syntax=1.2.840.10008.1.2.1"}}));
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  const Offer le{"multipart/related", "application/dicom", kExplicitLe};
  const Offer jpeg{"multipart/related", "application/dicom", kJpegBaseline};
  EXPECT_EQ(Negotiate(*ranges, {jpeg, le})->transfer_syntax, kExplicitLe);
}

TEST(AcceptParameterTest, MediaTypesTheHeaderDoesNotCoverAreDropped) {
  // PS3.18 8.3.3.1: each must be compatible with a range of the Accept header.
  auto ranges =
      AcceptableMediaTypes(Head("image/*"), Query({{"accept", "application/dicom+json"}}));
  ASSERT_TRUE(ranges.ok());
  EXPECT_TRUE(ranges->empty());
  EXPECT_FALSE(Negotiate(*ranges, kJson));  // 406
  auto kept =
      AcceptableMediaTypes(Head("application/*"), Query({{"accept", "application/dicom+json"}}));
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(Negotiate(*kept, kJson));
}

TEST(AcceptParameterTest, InvalidValuesAreMalformed) {
  for (const char* bad : {"*/*", "application/*", "", "application", "image/jpeg;q=7"}) {
    EXPECT_EQ(AcceptableMediaTypes(Head(std::nullopt), Query({{"accept", bad}})).status().code(),
              StatusCode::kMalformed)
        << bad;
  }
  // DICOM and non-DICOM media types together (PS3.18 8.3.3.1).
  EXPECT_EQ(AcceptableMediaTypes(Head(std::nullopt),
                                 Query({{"accept", "application/dicom+json,image/jpeg"}}))
                .status()
                .code(),
            StatusCode::kMalformed);
}

TEST(AcceptParameterTest, RepeatedParametersAreJoined) {
  auto ranges = AcceptableMediaTypes(Head(std::nullopt),
                                     Query({{"accept", "image/jpeg"}, {"accept", "image/png"}}));
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(ranges->size(), 2u);
}

TEST(AcceptParameterTest, CharsetIsCheckedAndTheAnswerStaysUtf8) {
  EXPECT_TRUE(AcceptableMediaTypes(Head(std::nullopt), Query({{"charset", "utf-8"}})).ok());
  EXPECT_TRUE(
      AcceptableMediaTypes(Head(std::nullopt), Query({{"charset", "utf-8, \"ISO_IR 192\""}})).ok());
  EXPECT_EQ(AcceptableMediaTypes(Head(std::nullopt), Query({{"charset", ""}})).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(
      AcceptableMediaTypes(Head(std::nullopt), Query({{"charset", "utf-8,,"}})).status().code(),
      StatusCode::kMalformed);
}

std::optional<Offer> Pick(const std::string& accept, const std::vector<Offer>& offers) {
  auto ranges = AcceptRanges(Head(accept));
  EXPECT_TRUE(ranges.ok()) << accept;
  return Negotiate(*ranges, offers);
}

TEST(DefaultTransferSyntaxTest, ARangeWithoutTransferSyntaxAsksForExplicitLittleEndian) {
  EXPECT_EQ(DefaultTransferSyntax("multipart/related", "application/dicom"), kExplicitLe);
  EXPECT_EQ(DefaultTransferSyntax("application/dicom", ""), kExplicitLe);
  EXPECT_EQ(DefaultTransferSyntax("multipart/related", "application/octet-stream"), kExplicitLe);
  EXPECT_EQ(DefaultTransferSyntax("multipart/related", "image/jls"), "");
  const Offer le{"multipart/related", "application/dicom", kExplicitLe};
  const Offer jpeg{"multipart/related", "application/dicom", kJpegBaseline};
  EXPECT_EQ(Pick("multipart/related; type=\"application/dicom\"", {jpeg, le})->transfer_syntax,
            kExplicitLe);
  EXPECT_EQ(Pick("*/*", {jpeg, le})->transfer_syntax, kExplicitLe);
  EXPECT_FALSE(Pick("multipart/related; type=\"application/dicom\"", {jpeg}));
  // `*`: the server's first choice.
  EXPECT_EQ(Pick("multipart/related; type=\"application/dicom\"; transfer-syntax=*", {jpeg, le})
                ->transfer_syntax,
            kJpegBaseline);
}

TEST(DefaultTransferSyntaxTest, ALossyOfferMayStandInForTheDefault) {
  Offer lossy{"multipart/related", "application/dicom", kJpegBaseline};
  lossy.instead_of_default = true;
  EXPECT_TRUE(Pick("multipart/related; type=\"application/dicom\"", {lossy}));
  // An explicit request for another syntax still does not get it.
  EXPECT_FALSE(
      Pick("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1",
           {lossy}));
}

TEST(DefaultTransferSyntaxTest, ImplicitAndBigEndianAreNotWebSyntaxes) {
  EXPECT_FALSE(IsWebTransferSyntax(kImplicitLe));
  EXPECT_FALSE(IsWebTransferSyntax("1.2.840.10008.1.2.2"));
  EXPECT_TRUE(IsWebTransferSyntax(kExplicitLe));
  EXPECT_TRUE(IsWebTransferSyntax("1.2.840.10008.1.2.1.99"));
  EXPECT_TRUE(IsWebTransferSyntax(kJpegBaseline));
}

}  // namespace
}  // namespace bastion::web::dicomweb

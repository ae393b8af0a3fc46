#include "web/http/media_type.h"

#include <gtest/gtest.h>

#include <string>

namespace bastion::web::http {
namespace {

MediaType Parsed(std::string_view text) {
  auto result = ParseMediaType(text);
  EXPECT_TRUE(result.ok()) << text << ": " << result.status().ToString();
  return result.ok() ? *result : MediaType{};
}

StatusCode CodeOf(std::string_view text, const MediaTypeLimits& limits = {}) {
  return ParseMediaType(text, limits).status().code();
}

StatusCode AcceptCodeOf(std::string_view text, const MediaTypeLimits& limits = {}) {
  return ParseAccept(text, limits).status().code();
}

TEST(MediaTypeTest, ParsesTypeSubtypeAndLowerCasesThem) {
  MediaType m = Parsed("Application/DICOM");
  EXPECT_EQ(m.type, "application");
  EXPECT_EQ(m.subtype, "dicom");
  EXPECT_TRUE(m.parameters.empty());
  EXPECT_EQ(m.Essence(), "application/dicom");
}

TEST(MediaTypeTest, ParsesStowContentTypeWithQuotedAndTokenParameters) {
  MediaType m = Parsed(
      "multipart/related; type=\"application/dicom\"; boundary=ab12-CD; "
      "Transfer-Syntax=1.2.840.10008.1.2.1");
  EXPECT_EQ(m.Essence(), "multipart/related");
  ASSERT_EQ(m.parameters.size(), 3u);
  EXPECT_EQ(m.parameters[0], (std::pair<std::string, std::string>{"type", "application/dicom"}));
  EXPECT_EQ(m.Parameter("TYPE"), "application/dicom");
  EXPECT_EQ(m.Parameter("boundary"), "ab12-CD");  // value case kept
  EXPECT_EQ(m.Parameter("transfer-syntax"), "1.2.840.10008.1.2.1");
  EXPECT_FALSE(m.Parameter("charset").has_value());
}

TEST(MediaTypeTest, UnquotesQuotedPairs) {
  MediaType m = Parsed(R"(text/plain; title="a \"quoted\" \\ word"; empty="")");
  EXPECT_EQ(m.Parameter("title"), R"(a "quoted" \ word)");
  EXPECT_EQ(m.Parameter("empty"), "");
}

TEST(MediaTypeTest, ToleratesOptionalWhitespaceAroundSemicolonsAndEmptyParameters) {
  MediaType m = Parsed(" \ttext/plain ;charset=utf-8 ;; ; format=flowed\t ");
  ASSERT_EQ(m.parameters.size(), 2u);
  EXPECT_EQ(m.Parameter("format"), "flowed");
  EXPECT_EQ(Parsed("text/plain;").parameters.size(), 0u);
}

TEST(MediaTypeTest, ToleratesAnUnquotedMediaTypeAsParameterValue) {
  // RFC 9110 wants it quoted; DICOMweb clients send `type=application/dicom` bare.
  const MediaType m = Parsed("multipart/related; type=application/dicom; boundary=x");
  EXPECT_EQ(m.Parameter("type"), "application/dicom");
  EXPECT_EQ(m.Parameter("boundary"), "x");
}

TEST(MediaTypeTest, StrictModeRefusesAnUnquotedMediaTypeAsParameterValue) {
  MediaTypeLimits strict;
  strict.accept_unquoted_media_type_values = false;
  EXPECT_EQ(CodeOf("multipart/related; type=application/dicom", strict), StatusCode::kMalformed);
  EXPECT_EQ(AcceptCodeOf("multipart/related; type=application/dicom", strict),
            StatusCode::kMalformed);
  EXPECT_TRUE(ParseMediaType("multipart/related; type=\"application/dicom\"", strict).ok());
}

TEST(MediaTypeTest, RefusesWhatTheGrammarDoesNotProduce) {
  for (const char* bad : {
           "",                               // empty
           "   ",                            // only whitespace
           "application",                    // no '/'
           "application/",                   // empty subtype
           "/dicom",                         // empty type
           "appli cation/dicom",             // space in the type
           "application /dicom",             // space before '/'
           "application/ dicom",             // space after '/'
           "application/dicom extra",        // junk after the subtype
           "appl@cation/dicom",              // '@' is not a tchar
           "application/dicom; charset",     // parameter without value
           "application/dicom; charset=",    // empty unquoted value
           "application/dicom; charset =x",  // whitespace before '='
           "application/dicom; charset= x",  // whitespace after '='
           "application/dicom; a=\"open",    // unterminated quoted-string
           "application/dicom; a=\"x\\",     // escape at the end
           "application/dicom; a=\"x\"y",    // junk after a quoted-string
           "application/dicom; a=1; A=2",    // repeated parameter (names are case-insensitive)
           "application/dicom, text/plain",  // a list is not a media type
           "*/*",                            // wildcard outside Accept
           "application/*",
           "text/plain; a=\"x\ny\"",    // control character in a quoted-string
           "text/plain; a=\"x\\\ny\"",  // escaped control character
       }) {
    EXPECT_EQ(CodeOf(bad), StatusCode::kMalformed) << "'" << bad << "'";
  }
}

TEST(MediaTypeTest, ErrorMessagesSayWhere) {
  auto result = ParseMediaType("application/dicom; a=\"open");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("unterminated quoted-string"), std::string::npos);
  EXPECT_NE(result.status().message().find("offset 21"), std::string::npos);
}

TEST(MediaTypeTest, AcceptsObsTextInQuotedStrings) {
  MediaType m = Parsed("text/plain; name=\"caf\xC3\xA9\"");
  EXPECT_EQ(m.Parameter("name"), "caf\xC3\xA9");
}

TEST(MediaTypeTest, EnforcesLengthAndParameterLimits) {
  MediaTypeLimits limits;
  limits.max_length = 20;
  EXPECT_EQ(CodeOf("application/dicom+json", limits), StatusCode::kLimitExceeded);
  EXPECT_TRUE(ParseMediaType("application/dicom", limits).ok());

  limits = {};
  limits.max_parameters = 2;
  EXPECT_TRUE(ParseMediaType("a/b; x=1; y=2", limits).ok());
  EXPECT_EQ(CodeOf("a/b; x=1; y=2; z=3", limits), StatusCode::kLimitExceeded);

  std::string huge = "a/b; x=\"" + std::string(5000, 'v') + "\"";
  EXPECT_EQ(CodeOf(huge), StatusCode::kLimitExceeded);  // default max_length is 4096
}

TEST(MediaTypeTest, ToStringQuotesWhereNeededAndRoundTrips) {
  MediaType m{"multipart",
              "related",
              {{"type", "application/dicom"},
               {"boundary", "abc"},
               {"title", "say \"hi\" \\o/"},
               {"empty", ""}}};
  const std::string text = m.ToString();
  EXPECT_EQ(text,
            "multipart/related; type=\"application/dicom\"; boundary=abc; "
            "title=\"say \\\"hi\\\" \\\\o/\"; empty=\"\"");
  EXPECT_EQ(Parsed(text), m);
}

TEST(MediaTypeTest, ToStringLeavesOutControlCharactersSoNoHeaderCanBeInjected) {
  MediaType m{"text", "plain", {{"x", "a\r\nSet-Cookie: b"}}};
  const std::string text = m.ToString();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_TRUE(ParseMediaType(text).ok());
}

TEST(AcceptTest, ParsesRangesInOrderWithWeights) {
  auto ranges = ParseAccept(
      "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1, "
      "application/dicom+json;q=0.5, */*;q=0");
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  ASSERT_EQ(ranges->size(), 3u);
  const MediaRange& first = (*ranges)[0];
  EXPECT_EQ(first.media.Essence(), "multipart/related");
  EXPECT_EQ(first.media.Parameter("type"), "application/dicom");
  EXPECT_EQ(first.media.Parameter("transfer-syntax"), "1.2.840.10008.1.2.1");
  EXPECT_DOUBLE_EQ(first.q, 1.0);
  EXPECT_EQ((*ranges)[1].media.Essence(), "application/dicom+json");
  EXPECT_DOUBLE_EQ((*ranges)[1].q, 0.5);
  EXPECT_TRUE((*ranges)[1].media.parameters.empty());  // q is the weight, not a parameter
  EXPECT_EQ((*ranges)[2].media.Essence(), "*/*");
  EXPECT_DOUBLE_EQ((*ranges)[2].q, 0.0);  // kept: it means "not acceptable"
}

TEST(AcceptTest, KeepsCommasInsideQuotedStrings) {
  auto ranges = ParseAccept("a/b; x=\"1,2\", c/d");
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[0].media.Parameter("x"), "1,2");
  EXPECT_EQ((*ranges)[1].media.Essence(), "c/d");
}

TEST(AcceptTest, SkipsEmptyListElementsAndAllowsAnEmptyValue) {
  auto ranges = ParseAccept(" , a/b ,, ,c/d, ");
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[1].media.Essence(), "c/d");
  auto empty = ParseAccept("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(AcceptTest, ParsesEveryQvalueForm) {
  struct Case {
    const char* q;
    double expected;
  };
  for (const Case& c : {Case{"0", 0.0}, Case{"0.", 0.0}, Case{"0.5", 0.5}, Case{"0.25", 0.25},
                        Case{"0.125", 0.125}, Case{"0.001", 0.001}, Case{"1", 1.0}, Case{"1.", 1.0},
                        Case{"1.0", 1.0}, Case{"1.000", 1.0}}) {
    auto ranges = ParseAccept(std::string("a/b;q=") + c.q);
    ASSERT_TRUE(ranges.ok()) << c.q << ": " << ranges.status().ToString();
    EXPECT_DOUBLE_EQ((*ranges)[0].q, c.expected) << c.q;
  }
  auto upper = ParseAccept("a/b;Q=0.3");
  ASSERT_TRUE(upper.ok());
  EXPECT_DOUBLE_EQ((*upper)[0].q, 0.3);
}

TEST(AcceptTest, RefusesInvalidWeights) {
  for (const char* bad :
       {"a/b;q=", "a/b;q=2", "a/b;q=1.001", "a/b;q=1.5", "a/b;q=0.1234", "a/b;q=-0", "a/b;q=.5",
        "a/b;q=0,5", "a/b;q=\"0.5\"", "a/b;q=0x1", "a/b;q=01", "a/b;q=0.5;q=0.4",
        "a/b;q=0.5;level=1", "a/b;q=0.5 x", "a/b;q=0.5;"}) {
    EXPECT_EQ(AcceptCodeOf(bad), StatusCode::kMalformed) << bad;
  }
}

TEST(AcceptTest, AllowsWildcardsButNotAWildcardTypeWithASubtype) {
  auto ranges = ParseAccept("*/*, image/*;q=0.8");
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ((*ranges)[0].media.type, "*");
  EXPECT_EQ((*ranges)[1].media.subtype, "*");
  EXPECT_EQ(AcceptCodeOf("*/jpeg"), StatusCode::kMalformed);
  EXPECT_EQ(AcceptCodeOf("image/jpeg, *"), StatusCode::kMalformed);
}

TEST(AcceptTest, RefusesMalformedRanges) {
  for (const char* bad : {"image", "image/ jpeg", "image/jpeg x", "a/b; c",
                          "a/b; x=\"unterminated, c/d", "a/b; x=1; x=2", ",;", "a/b,/c"}) {
    EXPECT_EQ(AcceptCodeOf(bad), StatusCode::kMalformed) << bad;
  }
  EXPECT_TRUE(ParseAccept("image/jpeg;").ok());  // an empty parameter is valid
}

TEST(AcceptTest, EnforcesRangeParameterAndLengthLimits) {
  MediaTypeLimits limits;
  limits.max_ranges = 3;
  EXPECT_TRUE(ParseAccept("a/b, c/d, e/f", limits).ok());
  EXPECT_EQ(AcceptCodeOf("a/b, c/d, e/f, g/h", limits), StatusCode::kLimitExceeded);
  EXPECT_TRUE(ParseAccept("a/b, c/d, , , e/f", limits).ok());  // empty elements do not count

  limits = {};
  limits.max_parameters = 2;
  EXPECT_TRUE(ParseAccept("a/b;x=1;q=0.5", limits).ok());
  EXPECT_EQ(AcceptCodeOf("a/b;x=1;y=2;q=0.5", limits), StatusCode::kLimitExceeded);

  std::string many;
  for (int i = 0; i < 100; ++i) many += "a/b,";
  EXPECT_EQ(AcceptCodeOf(many), StatusCode::kLimitExceeded);  // default max_ranges is 64
  limits = {};
  limits.max_length = 10;
  EXPECT_EQ(AcceptCodeOf("application/json", limits), StatusCode::kLimitExceeded);
}

TEST(AcceptTest, MatchesHonoursWildcardsAndIgnoresCase) {
  auto ranges = ParseAccept("*/*, image/*, application/dicom+json");
  ASSERT_TRUE(ranges.ok());
  EXPECT_TRUE(Matches((*ranges)[0], "application", "dicom"));
  EXPECT_TRUE(Matches((*ranges)[1], "image", "jpeg"));
  EXPECT_TRUE(Matches((*ranges)[1], "IMAGE", "png"));
  EXPECT_FALSE(Matches((*ranges)[1], "application", "jpeg"));
  EXPECT_TRUE(Matches((*ranges)[2], "application", "DICOM+JSON"));
  EXPECT_FALSE(Matches((*ranges)[2], "application", "dicom"));
  EXPECT_FALSE(Matches((*ranges)[2], "application", "dicom+json2"));
}

TEST(TokenTest, ClassifiesTchars) {
  EXPECT_TRUE(IsToken("1.2.840.10008.1.2.1"));
  EXPECT_TRUE(IsToken("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(IsToken(""));
  for (char c : std::string("()<>@,;:\\\"/[]?={} \t\x7f")) {
    EXPECT_FALSE(IsToken(std::string(1, c))) << static_cast<int>(c);
  }
  EXPECT_FALSE(IsToken("caf\xC3\xA9"));
}

}  // namespace
}  // namespace bastion::web::http

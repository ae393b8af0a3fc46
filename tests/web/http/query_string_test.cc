#include "web/http/query_string.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace bastion::web::http {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Segments = std::vector<std::string>;

Target Parsed(std::string_view target, const TargetLimits& limits = {}) {
  auto result = ParseTarget(target, limits);
  EXPECT_TRUE(result.ok()) << target << ": " << result.status().ToString();
  return result.ok() ? *result : Target{};
}

StatusCode CodeOf(std::string_view target, const TargetLimits& limits = {}) {
  return ParseTarget(target, limits).status().code();
}

TEST(PercentDecodeTest, DecodesEitherCaseOfHexDigits) {
  EXPECT_EQ(*PercentDecode("a%20b%2fc%2Fd%7E", false), "a b/c/d~");
  EXPECT_EQ(*PercentDecode("%C3%A9", false), "\xC3\xA9");
  EXPECT_EQ(*PercentDecode("", false), "");
}

TEST(PercentDecodeTest, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(*PercentDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(*PercentDecode("a+b%2B", false), "a+b+");
}

TEST(PercentDecodeTest, RefusesInvalidOrTruncatedEscapes) {
  for (const char* bad : {"%", "%2", "a%", "a%4", "%zz", "%2g", "%g2", "%%20", "% 20"}) {
    EXPECT_EQ(PercentDecode(bad, false).status().code(), StatusCode::kMalformed) << bad;
  }
}

TEST(PercentDecodeTest, RefusesNulDecodedOrRaw) {
  EXPECT_EQ(PercentDecode("a%00b", false).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(PercentDecode(std::string_view("a\0b", 3), false).status().code(),
            StatusCode::kMalformed);
}

TEST(PercentDecodeTest, DecodesOnlyOnce) { EXPECT_EQ(*PercentDecode("%252e", false), "%2e"); }

TEST(TargetTest, SplitsPathIntoDecodedSegments) {
  Target t = Parsed("/dicom-web/studies/1.2.3/series/4.5%2E6");
  EXPECT_EQ(t.segments, (Segments{"dicom-web", "studies", "1.2.3", "series", "4.5.6"}));
  EXPECT_TRUE(t.query.empty());
}

TEST(TargetTest, RootHasNoSegmentsAndOneTrailingSlashIsDropped) {
  EXPECT_TRUE(Parsed("/").segments.empty());
  EXPECT_EQ(Parsed("/studies/").segments, (Segments{"studies"}));
  EXPECT_EQ(Parsed("/studies/?limit=1").segments, (Segments{"studies"}));
  EXPECT_TRUE(Parsed("/?a=1").segments.empty());
}

TEST(TargetTest, RefusesEmptySegments) {
  for (const char* bad : {"//", "//studies", "/studies//series", "/studies//", "/a/b//?x=1"}) {
    EXPECT_EQ(CodeOf(bad), StatusCode::kMalformed) << bad;
  }
}

TEST(TargetTest, RefusesFormsOtherThanOriginForm) {
  EXPECT_EQ(CodeOf(""), StatusCode::kMalformed);
  EXPECT_EQ(CodeOf("*"), StatusCode::kMalformed);
  EXPECT_EQ(CodeOf("http://host/studies"), StatusCode::kMalformed);
  EXPECT_EQ(CodeOf("https://host:8443/dicom-web/studies"), StatusCode::kMalformed);
  EXPECT_EQ(CodeOf("studies"), StatusCode::kMalformed);
  EXPECT_EQ(CodeOf("?a=1"), StatusCode::kMalformed);
}

TEST(TargetTest, RefusesAFragment) {
  EXPECT_EQ(CodeOf("/studies#top"), StatusCode::kMalformed);
  EXPECT_EQ(CodeOf("/studies?a=1#top"), StatusCode::kMalformed);
}

TEST(TargetTest, RefusesDotSegmentsRawOrEncoded) {
  for (const char* bad :
       {"/.", "/..", "/studies/../etc", "/studies/./x", "/a/..", "/a/../", "/%2e", "/%2E%2e",
        "/studies/%2e%2E/x", "/studies/.%2e", "/%2e./x", "/a/%2E?x=1"}) {
    auto result = ParseTarget(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), StatusCode::kMalformed) << bad;
    EXPECT_NE(result.status().message().find("dot segment"), std::string::npos) << bad;
  }
}

TEST(TargetTest, KeepsNamesThatOnlyLookLikeDotSegments) {
  EXPECT_EQ(Parsed("/...").segments, (Segments{"..."}));
  EXPECT_EQ(Parsed("/.hidden/a.").segments, (Segments{".hidden", "a."}));
  // Decoding is done once: "%252e" is the literal three-character segment "%2e", not ".".
  EXPECT_EQ(Parsed("/%252e").segments, (Segments{"%2e"}));
  EXPECT_EQ(Parsed("/%252e%252E").segments, (Segments{"%2e%2E"}));
}

TEST(TargetTest, RefusesEncodedSeparatorsAndNulInsideASegment) {
  for (const char* bad : {"/studies%2F..%2Fetc", "/a%2fb", "/a%5Cb", "/a%5cb", "/a%00b", "/a\\b",
                          "/..%5C..%5Cwindows"}) {
    EXPECT_EQ(CodeOf(bad), StatusCode::kMalformed) << bad;
  }
  EXPECT_EQ(CodeOf(std::string_view("/a\0b", 4)), StatusCode::kMalformed);
}

TEST(TargetTest, RefusesRawCharactersOutsidePchar) {
  for (const char* bad : {"/a b", "/a\"b", "/a<b", "/a>b", "/a^b", "/a|b", "/a[b", "/a{b", "/a`b",
                          "/a\tb", "/a\x7f", "/caf\xC3\xA9", "/a%zz"}) {
    EXPECT_EQ(CodeOf(bad), StatusCode::kMalformed) << bad;
  }
  EXPECT_EQ(Parsed("/a-b._~!$&'()*+,;=:@c").segments, (Segments{"a-b._~!$&'()*+,;=:@c"}));
}

TEST(TargetTest, SplitsQueryOnAmpersandAndFirstEquals) {
  Target t = Parsed("/studies?PatientID=12%2034&limit=10&filter=a=b&flag");
  EXPECT_EQ(t.segments, (Segments{"studies"}));
  EXPECT_EQ(t.query,
            (Pairs{{"PatientID", "12 34"}, {"limit", "10"}, {"filter", "a=b"}, {"flag", ""}}));
}

TEST(TargetTest, DecodesPlusAsSpaceInTheQueryOnly) {
  Target t = Parsed("/a+b?PatientName=DOE%5EJOHN+X&x+y=1%2B1");
  EXPECT_EQ(t.segments, (Segments{"a+b"}));
  EXPECT_EQ(t.query, (Pairs{{"PatientName", "DOE^JOHN X"}, {"x y", "1+1"}}));
}

TEST(TargetTest, KeepsRepeatedNamesInOrderAndSkipsEmptyPairs) {
  Target t = Parsed("/studies?includefield=00100010&&includefield=00100020&&limit=5&");
  EXPECT_EQ(t.query,
            (Pairs{{"includefield", "00100010"}, {"includefield", "00100020"}, {"limit", "5"}}));
  EXPECT_TRUE(Parsed("/studies?").query.empty());
  EXPECT_TRUE(Parsed("/studies?&&&").query.empty());
}

TEST(TargetTest, SemicolonIsNotASeparator) {
  Target t = Parsed("/studies?a=1;b=2");
  EXPECT_EQ(t.query, (Pairs{{"a", "1;b=2"}}));
}

TEST(TargetTest, AcceptsCommonUnencodedCharactersInTheQuery) {
  Target t = Parsed("/studies?PatientName=DOE^J*&ModalitiesInStudy=CT,MR&x=[1]|{2}/?");
  EXPECT_EQ(t.query,
            (Pairs{{"PatientName", "DOE^J*"}, {"ModalitiesInStudy", "CT,MR"}, {"x", "[1]|{2}/?"}}));
}

TEST(TargetTest, RefusesBadQueryPairs) {
  for (const char* bad : {"/s?=1", "/s?a=1&=2", "/s?a=%", "/s?a=%4", "/s?%zz=1", "/s?a=%00",
                          "/s?a=b c", "/s?a=\x01", "/s?a=caf\xC3\xA9", "/s?a=\x7f"}) {
    EXPECT_EQ(CodeOf(bad), StatusCode::kMalformed) << bad;
  }
}

TEST(TargetTest, EnforcesLimitsAsLimitExceeded) {
  TargetLimits limits;
  limits.max_target_length = 16;
  EXPECT_TRUE(ParseTarget("/0123456789abcde", limits).ok());  // exactly 16
  EXPECT_EQ(CodeOf("/0123456789abcdef", limits), StatusCode::kLimitExceeded);

  limits = {};
  limits.max_segments = 3;
  EXPECT_TRUE(ParseTarget("/a/b/c/", limits).ok());
  EXPECT_EQ(CodeOf("/a/b/c/d", limits), StatusCode::kLimitExceeded);

  limits = {};
  limits.max_segment_length = 4;
  EXPECT_TRUE(ParseTarget("/abcd/%41", limits).ok());
  EXPECT_EQ(CodeOf("/abcde", limits), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf("/a/%41%42", limits), StatusCode::kLimitExceeded);  // raw length counts

  limits = {};
  limits.max_query_parameters = 2;
  EXPECT_TRUE(ParseTarget("/s?a=1&&b=2&", limits).ok());
  EXPECT_EQ(CodeOf("/s?a=1&b=2&c=3", limits), StatusCode::kLimitExceeded);
}

TEST(TargetTest, DefaultLimitsBoundHostileTargets) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "/a";
  EXPECT_EQ(CodeOf(deep), StatusCode::kLimitExceeded);  // 32 segments
  EXPECT_EQ(CodeOf("/" + std::string(1025, 'a')), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf("/" + std::string(9000, 'a')), StatusCode::kLimitExceeded);
  std::string many = "/s?";
  for (int i = 0; i < 300; ++i) many += "a=1&";
  EXPECT_EQ(CodeOf(many), StatusCode::kLimitExceeded);  // 256 parameters
}

}  // namespace
}  // namespace bastion::web::http

#include "web/http/multipart.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace bastion::web::http {
namespace {

constexpr std::string_view kBoundary = "b0undary";

// A string literal with its embedded NULs.
template <std::size_t N>
std::string Bin(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct Part {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string data;
  std::size_t data_calls = 0;
  bool ended = false;
  bool operator==(const Part& other) const {
    return headers == other.headers && data == other.data && ended == other.ended;
  }
};

// Records what the reader reports, checks the callback order, and can fail on demand.
class Recorder : public MultipartReader::Events {
 public:
  Status OnPartBegin(const PartHeaders& headers) override {
    if (!parts.empty() && !parts.back().ended) order_broken = true;
    parts.push_back({headers.fields, {}, 0, false});
    if (fail_on_begin && parts.size() == *fail_on_begin) return Status::Conflict("begin refused");
    return Status::Ok();
  }
  Status OnPartData(std::span<const std::uint8_t> data) override {
    if (parts.empty() || parts.back().ended || data.empty()) order_broken = true;
    if (parts.empty()) return Status::Ok();
    parts.back().data.append(reinterpret_cast<const char*>(data.data()), data.size());
    ++parts.back().data_calls;
    spans.emplace_back(data.data(), data.size());
    if (fail_on_data) return Status::Unavailable("disk full");
    return Status::Ok();
  }
  Status OnPartEnd() override {
    if (parts.empty() || parts.back().ended) order_broken = true;
    if (!parts.empty()) parts.back().ended = true;
    if (fail_on_end) return Status::Internal("end refused");
    return Status::Ok();
  }

  std::vector<Part> parts;
  std::vector<std::pair<const std::uint8_t*, std::size_t>> spans;
  bool order_broken = false;
  std::optional<std::size_t> fail_on_begin;
  bool fail_on_data = false;
  bool fail_on_end = false;
};

struct Outcome {
  Status status;  // the first error of Feed, else that of Finish
  std::vector<Part> parts;
  bool order_broken = false;
};

Outcome ReadInChunks(std::string_view body, std::size_t chunk, const MultipartLimits& limits = {},
                     std::string_view boundary = kBoundary) {
  Recorder recorder;
  MultipartReader reader(std::string(boundary), limits, recorder);
  Outcome out;
  for (std::size_t at = 0; at < body.size() && out.status.ok(); at += chunk) {
    out.status = reader.Feed(Bytes(body.substr(at, chunk)));
  }
  if (out.status.ok()) out.status = reader.Finish();
  out.parts = recorder.parts;
  out.order_broken = recorder.order_broken;
  return out;
}

Outcome ReadWhole(std::string_view body, const MultipartLimits& limits = {}) {
  return ReadInChunks(body, body.empty() ? 1 : body.size(), limits);
}

std::string TwoPartBody() {
  return "--b0undary\r\n"
         "Content-Type: application/dicom\r\n"
         "Content-Location: /a\r\n"
         "\r\n"
         "first part\r\n"
         "--b0undary\r\n"
         "content-type: application/dicom\r\n"
         "\r\n"
         "second\r\n"
         "--b0undary--\r\n";
}

TEST(BoundaryTest, ValidatesPerRfc2046) {
  EXPECT_TRUE(ValidateBoundary("a").ok());
  EXPECT_TRUE(ValidateBoundary(std::string(70, 'x')).ok());
  EXPECT_TRUE(ValidateBoundary("0123456789abcdefABCDEF'()+_,-./:=? inner").ok());
  EXPECT_EQ(ValidateBoundary("").code(), StatusCode::kMalformed);
  EXPECT_EQ(ValidateBoundary(std::string(71, 'x')).code(), StatusCode::kMalformed);
  EXPECT_EQ(ValidateBoundary("ends in space ").code(), StatusCode::kMalformed);
  for (const char* bad : {"a\r", "a\nb", "a\"b", "a;b", "a@b", "a\tb", "a*b", "caf\xC3\xA9"}) {
    EXPECT_EQ(ValidateBoundary(bad).code(), StatusCode::kMalformed) << bad;
  }
}

TEST(BoundaryTest, BoundaryOfReadsTheParameter) {
  auto media =
      ParseMediaType("multipart/related; type=\"application/dicom\"; boundary=\"simple boundary\"");
  ASSERT_TRUE(media.ok());
  auto boundary = BoundaryOf(*media);
  ASSERT_TRUE(boundary.ok());
  EXPECT_EQ(*boundary, "simple boundary");

  auto none = ParseMediaType("multipart/related; type=\"application/dicom\"");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(BoundaryOf(*none).status().code(), StatusCode::kMalformed);
  auto trailing_space = ParseMediaType("multipart/related; boundary=\"abc \"");
  ASSERT_TRUE(trailing_space.ok());
  EXPECT_EQ(BoundaryOf(*trailing_space).status().code(), StatusCode::kMalformed);
  auto long_one = ParseMediaType("multipart/related; boundary=" + std::string(71, 'a'));
  ASSERT_TRUE(long_one.ok());
  EXPECT_EQ(BoundaryOf(*long_one).status().code(), StatusCode::kMalformed);
}

TEST(MultipartReaderTest, ReadsPartsWithHeadersAndData) {
  Outcome out = ReadWhole(TwoPartBody());
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_FALSE(out.order_broken);
  ASSERT_EQ(out.parts.size(), 2u);
  EXPECT_EQ(out.parts[0].headers,
            (std::vector<std::pair<std::string, std::string>>{{"content-type", "application/dicom"},
                                                              {"content-location", "/a"}}));
  EXPECT_EQ(out.parts[0].data, "first part");
  EXPECT_EQ(out.parts[1].data, "second");
  EXPECT_TRUE(out.parts[0].ended);
  EXPECT_TRUE(out.parts[1].ended);
}

TEST(MultipartReaderTest, PartHeadersGetIsCaseInsensitive) {
  PartHeaders headers{{{"content-type", "application/dicom"}}};
  EXPECT_EQ(headers.Get("Content-Type"), "application/dicom");
  EXPECT_FALSE(headers.Get("content-length").has_value());
}

TEST(MultipartReaderTest, CountsParts) {
  Recorder recorder;
  MultipartReader reader(std::string(kBoundary), {}, recorder);
  const std::string body = TwoPartBody();
  ASSERT_TRUE(reader.Feed(Bytes(body)).ok());
  EXPECT_EQ(reader.parts(), 2u);
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(MultipartReaderTest, IgnoresPreambleAndEpilogue) {
  const std::string body =
      "This is the preamble.\r\n--b0undary\r\n\r\ndata\r\n--b0undary--\r\nThis is the "
      "epilogue.\r\n--b0undary\r\nnot a part\r\n";
  Outcome out = ReadWhole(body);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 1u);
  EXPECT_TRUE(out.parts[0].headers.empty());
  EXPECT_EQ(out.parts[0].data, "data");
}

TEST(MultipartReaderTest, AcceptsAFirstDelimiterWithItsCrlf) {
  Outcome out = ReadWhole("\r\n--b0undary\r\n\r\nx\r\n--b0undary--");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 1u);
  EXPECT_EQ(out.parts[0].data, "x");
}

TEST(MultipartReaderTest, ToleratesTransportPadding) {
  Outcome out = ReadWhole("--b0undary \t \r\n\r\nx\r\n--b0undary\t\r\n\r\ny\r\n--b0undary--  \r\n");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 2u);
  EXPECT_EQ(out.parts[1].data, "y");
}

TEST(MultipartReaderTest, DeliversEmptyPartsWithoutDataCalls) {
  Outcome out = ReadWhole("--b0undary\r\n\r\n\r\n--b0undary\r\nA: 1\r\n\r\n\r\n--b0undary--");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 2u);
  EXPECT_EQ(out.parts[0].data, "");
  EXPECT_EQ(out.parts[0].data_calls, 0u);
  EXPECT_EQ(out.parts[1].headers.size(), 1u);
  EXPECT_FALSE(out.order_broken);
}

TEST(MultipartReaderTest, BoundaryWithoutLeadingCrlfStaysData) {
  const std::string data = "x--b0undary\n--b0undary--\r--b0undary \r\n";
  // None of these is CRLF "--" boundary: a bare LF or CR, or a letter, precedes each.
  const std::string body = "--b0undary\r\n\r\n" + data + "\r\n--b0undary--";
  Outcome out = ReadWhole(body);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 1u);
  EXPECT_EQ(out.parts[0].data, data);
}

TEST(MultipartReaderTest, ReadsEmptyDataWhoseDelimiterSharesTheHeadersCrlf) {
  // The headers' empty line is followed directly by "--boundary": an empty part (RFC 2046 lets
  // no line of a part start with the dash-boundary), with or without header fields.
  Outcome out = ReadWhole("--b0undary\r\n\r\n--b0undary\r\nA: 1\r\n\r\n--b0undary--");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 2u);
  EXPECT_EQ(out.parts[0].data, "");
  EXPECT_EQ(out.parts[1].data, "");
  EXPECT_EQ(out.parts[1].headers.size(), 1u);
  // Data that starts with the dash-boundary followed by other text is refused like any other.
  EXPECT_EQ(ReadWhole("--b0undary\r\n\r\n--b0undaryX\r\n--b0undary--").status.code(),
            StatusCode::kMalformed);
  // A mere prefix of it is data.
  out = ReadWhole("--b0undary\r\n\r\n--b0und\r\n--b0undary--");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.parts[0].data, "--b0und");
}

TEST(MultipartReaderTest, PartialDelimitersStayData) {
  const std::string data = "\r\n--b0undar\r\n-\r\n--\r\r\n--b\r";
  const std::string body = "--b0undary\r\n\r\n" + data + "\r\n--b0undary--";
  for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
    Outcome out = ReadInChunks(body, chunk);
    ASSERT_TRUE(out.status.ok()) << chunk << ": " << out.status.ToString();
    ASSERT_EQ(out.parts.size(), 1u);
    EXPECT_EQ(out.parts[0].data, data) << chunk;
  }
}

TEST(MultipartReaderTest, RefusesADelimiterFollowedByOtherText) {
  for (const char* body : {
           "--b0undary\r\n\r\nx\r\n--b0undaryX\r\n--b0undary--",
           "--b0undary\r\n\r\nx\r\n--b0undary-\r\n--b0undary--",
           "--b0undary\r\n\r\nx\r\n--b0undary x\r\n--b0undary--",
           "--b0undary\r\n\r\nx\r\n--b0undary\rx\n--b0undary--",
           "--b0undary\r\n\r\nx\r\n--b0undary\n\r\n--b0undary--",
           "--b0undaryX\r\n\r\nx\r\n--b0undary--",
       }) {
    EXPECT_EQ(ReadWhole(body).status.code(), StatusCode::kMalformed) << body;
  }
}

TEST(MultipartReaderTest, RefusesBodiesThatEndEarly) {
  for (const char* body : {
           "",                                         // nothing at all
           "no boundary anywhere\r\n",                 // never a first boundary
           "x--b0undary\r\n\r\ndata\r\n--b0undary--",  // first boundary not at a line start
           "--b0undary",                               // inside the boundary line
           "--b0undary\r\nContent-Type: a/b\r\n",      // inside the headers
           "--b0undary\r\n\r\ndata",                   // inside the data
           "--b0undary\r\n\r\ndata\r\n--b0undary\r\n\r\nmore\r\n",  // no close delimiter
           "--b0undary\r\n\r\ndata\r\n--b0undary",                  // before the delimiter's tail
           "--b0undary\r\n\r\ndata\r\n--b0undary-",
       }) {
    Outcome out = ReadWhole(body);
    EXPECT_EQ(out.status.code(), StatusCode::kMalformed) << body;
  }
}

TEST(MultipartReaderTest, RefusesABodyWithoutParts) {
  EXPECT_EQ(ReadWhole("--b0undary--\r\n").status.code(), StatusCode::kMalformed);
  EXPECT_EQ(ReadWhole("preamble\r\n--b0undary--").status.code(), StatusCode::kMalformed);
}

TEST(MultipartReaderTest, RefusesMalformedPartHeaders) {
  for (const char* headers : {
           "Content-Type: a/b\r\n continued\r\n",   // obsolete folding (space)
           "Content-Type: a/b\r\n\tcontinued\r\n",  // obsolete folding (tab)
           "no colon here\r\n",
           "Content-Type : a/b\r\n",  // whitespace before ':'
           ": no name\r\n", "Bad Name: x\r\n",
           "Content-Type: a/b\n",                         // bare LF
           "Content-Type: a\rb\r\n",                      // bare CR in a value
           "X: a\x01z\r\n",                               // control character
           "Content-Type: a/b\r\ncontent-type: c/d\r\n",  // repeated field
       }) {
    const std::string body = std::string("--b0undary\r\n") + headers + "\r\ndata\r\n--b0undary--";
    Outcome out = ReadWhole(body);
    EXPECT_EQ(out.status.code(), StatusCode::kMalformed) << headers;
    EXPECT_TRUE(out.parts.empty()) << headers;
  }
}

TEST(MultipartReaderTest, TrimsValuesAndKeepsInnerWhitespaceAndObsText) {
  Outcome out = ReadWhole(
      "--b0undary\r\nX-A:   spaced  value \t\r\nX-B:\r\nX-C: caf\xC3\xA9\r\n\r\nd\r\n--b0undary--");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 1u);
  EXPECT_EQ(out.parts[0].headers,
            (std::vector<std::pair<std::string, std::string>>{
                {"x-a", "spaced  value"}, {"x-b", ""}, {"x-c", "caf\xC3\xA9"}}));
}

TEST(MultipartReaderTest, EnforcesHeaderLimits) {
  MultipartLimits limits;
  limits.max_headers_per_part = 2;
  EXPECT_TRUE(ReadWhole("--b0undary\r\nA: 1\r\nB: 2\r\n\r\nd\r\n--b0undary--", limits).status.ok());
  EXPECT_EQ(ReadWhole("--b0undary\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\nd\r\n--b0undary--", limits)
                .status.code(),
            StatusCode::kLimitExceeded);

  limits = {};
  limits.max_part_header_bytes = 16;  // "A: 1234567890\r\n" + "\r\n" is 17
  EXPECT_EQ(ReadWhole("--b0undary\r\nA: 1234567890\r\n\r\nd\r\n--b0undary--", limits).status.code(),
            StatusCode::kLimitExceeded);
  EXPECT_TRUE(ReadWhole("--b0undary\r\nA: 123456789\r\n\r\nd\r\n--b0undary--", limits).status.ok());

  // A header line that never ends is refused once it passes the limit, not buffered.
  const std::string endless = "--b0undary\r\nX: " + std::string(1 << 20, 'a');
  Outcome out = ReadInChunks(endless, 4096);
  EXPECT_EQ(out.status.code(), StatusCode::kLimitExceeded);
}

TEST(MultipartReaderTest, EnforcesTheNumberOfParts) {
  MultipartLimits limits;
  limits.max_parts = 2;
  EXPECT_TRUE(ReadWhole(TwoPartBody(), limits).status.ok());
  std::string three =
      "--b0undary\r\n\r\n1\r\n--b0undary\r\n\r\n2\r\n--b0undary\r\n\r\n3\r\n"
      "--b0undary--";
  Outcome out = ReadWhole(three, limits);
  EXPECT_EQ(out.status.code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(out.parts.size(), 2u);  // refused before the third began
}

TEST(MultipartReaderTest, EnforcesThePartSize) {
  MultipartLimits limits;
  limits.max_part_bytes = 10;
  const std::string ten = "--b0undary\r\n\r\n0123456789\r\n--b0undary--";
  const std::string eleven = "--b0undary\r\n\r\n0123456789A\r\n--b0undary--";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
    EXPECT_TRUE(ReadInChunks(ten, chunk, limits).status.ok()) << chunk;
    EXPECT_EQ(ReadInChunks(eleven, chunk, limits).status.code(), StatusCode::kLimitExceeded)
        << chunk;
  }
}

TEST(MultipartReaderTest, BoundsPreambleAndEpilogueTogether) {
  MultipartLimits limits;
  limits.max_preamble_bytes = 10;
  const std::string part = "--b0undary\r\n\r\nd\r\n--b0undary--";
  // The preamble is "01234567": its CRLF belongs to the delimiter.
  EXPECT_TRUE(ReadWhole("01234567\r\n" + part, limits).status.ok());
  EXPECT_EQ(ReadWhole("0123456789A\r\n" + part, limits).status.code(), StatusCode::kLimitExceeded);
  EXPECT_TRUE(ReadWhole(part + "\r\n012345", limits).status.ok());  // CRLF + 6 = 8
  EXPECT_EQ(ReadWhole("01234\r\n" + part + "\r\n012345", limits).status.code(),
            StatusCode::kLimitExceeded);
  // A preamble that never reaches a boundary is refused once past the limit.
  Outcome out = ReadInChunks(std::string(1 << 20, 'p'), 4096);
  EXPECT_EQ(out.status.code(), StatusCode::kLimitExceeded);
}

TEST(MultipartReaderTest, LimitsPaddingAfterABoundary) {
  MultipartLimits limits;
  limits.max_part_header_bytes = 8;
  EXPECT_EQ(ReadWhole("--b0undary" + std::string(9, ' ') + "\r\n\r\nd\r\n--b0undary--", limits)
                .status.code(),
            StatusCode::kLimitExceeded);
}

TEST(MultipartReaderTest, CarriesBinaryDataWithNulsAndCrlfs) {
  std::string data;
  for (int i = 0; i < 4096; ++i) data += static_cast<char>(i * 7 % 256);
  data += Bin("\0\r\n\0--b0undar\r\n-");
  data += std::string(3, '\0');
  const std::string body = "--b0undary\r\nContent-Type: application/octet-stream\r\n\r\n" + data +
                           "\r\n--b0undary--\r\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64},
                            std::size_t{4095}, body.size()}) {
    Outcome out = ReadInChunks(body, chunk);
    ASSERT_TRUE(out.status.ok()) << chunk << ": " << out.status.ToString();
    ASSERT_EQ(out.parts.size(), 1u);
    EXPECT_EQ(out.parts[0].data, data) << chunk;
  }
}

// The same body at every chunk size from 1 to its length gives the same events: a delimiter,
// a CRLF or a header line split at every possible position changes nothing.
TEST(MultipartReaderTest, EveryChunkSizeGivesTheSameEvents) {
  std::vector<std::string> bodies = {
      TwoPartBody(),
      "preamble\r\n\r\n--b0undary  \r\nA: 1\r\n\r\n\r\n\r\n--b0undar\r\n--b0undary\r\n\r\n\r\r"
      "\n\r\n--b0undary--\r\nepilogue",
      Bin("--b0undary\r\n\r\n\0\r\0\n\r\n-\r\n--\r\n--b\0\r\n--b0undary--"),
      "\r\n--b0undary\r\nX: y\r\n\r\n--b0undary\r\n\r\n--b0undary--",
  };
  for (std::size_t b = 0; b < bodies.size(); ++b) {
    const std::string& body = bodies[b];
    Outcome whole = ReadWhole(body);
    ASSERT_TRUE(whole.status.ok()) << b << ": " << whole.status.ToString();
    ASSERT_FALSE(whole.parts.empty());
    for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
      Outcome out = ReadInChunks(body, chunk);
      ASSERT_TRUE(out.status.ok()) << b << "/" << chunk << ": " << out.status.ToString();
      EXPECT_FALSE(out.order_broken);
      EXPECT_EQ(out.parts, whole.parts) << "body " << b << ", chunk size " << chunk;
    }
  }
}

// Failures too are the same whatever the chunking.
TEST(MultipartReaderTest, EveryChunkSizeGivesTheSameError) {
  const std::vector<std::string> bodies = {
      "--b0undary\r\n\r\nx\r\n--b0undaryX\r\n",
      "--b0undary\r\nA: 1\r\n folded\r\n\r\n",
      "--b0undary\r\n\r\ndata\r\n--b0undary\r\n\r\nmore",
  };
  for (const std::string& body : bodies) {
    const StatusCode code = ReadWhole(body).status.code();
    EXPECT_EQ(code, StatusCode::kMalformed);
    for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
      EXPECT_EQ(ReadInChunks(body, chunk).status.code(), code) << chunk;
    }
  }
}

TEST(MultipartReaderTest, RandomSplitsGiveTheSameEvents) {
  std::string data;
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    // Bytes biased towards the delimiter's own characters, so near-misses are frequent.
    static constexpr char kAlphabet[] = "\r\n-b0undary\0x";
    data += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  }
  // Cut out every real delimiter the random data happened to contain; data must not start
  // with the dash-boundary either.
  for (std::size_t at; (at = data.find("\r\n--b0undary")) != std::string::npos;) {
    data.erase(at, 2);
  }
  data.insert(0, "x");
  const std::string body =
      "--b0undary\r\n\r\n" + data + "\r\n--b0undary\r\n\r\n" + data + "\r\n--b0undary--";
  Outcome whole = ReadWhole(body);
  ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
  ASSERT_EQ(whole.parts.size(), 2u);
  EXPECT_EQ(whole.parts[0].data, data);
  for (int round = 0; round < 200; ++round) {
    Recorder recorder;
    MultipartReader reader(std::string(kBoundary), {}, recorder);
    Status status;
    for (std::size_t at = 0; at < body.size() && status.ok();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 40, body.size() - at);
      status = reader.Feed(Bytes(std::string_view(body).substr(at, n)));
      at += n;
    }
    if (status.ok()) status = reader.Finish();
    ASSERT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(recorder.parts, whole.parts) << "round " << round;
  }
}

TEST(MultipartReaderTest, PassesDataStraightFromTheCallersChunk) {
  const std::string data(1 << 20, 'd');
  const std::string body = "--b0undary\r\n\r\n" + data + "\r\n--b0undary--\r\n";
  Recorder recorder;
  MultipartReader reader(std::string(kBoundary), {}, recorder);
  ASSERT_TRUE(reader.Feed(Bytes(body)).ok());
  ASSERT_TRUE(reader.Finish().ok());
  ASSERT_EQ(recorder.spans.size(), 1u);  // one call for the whole part, no copy
  EXPECT_EQ(recorder.spans[0].first, reinterpret_cast<const std::uint8_t*>(body.data()) + 14);
  EXPECT_EQ(recorder.spans[0].second, data.size());
}

TEST(MultipartReaderTest, HoldsBackAtMostTheDelimiterLength) {
  // Data that keeps ending in a delimiter prefix is the worst case for holding back.
  std::string data;
  while (data.size() < 100000) data += "xyz\r\n--b0undar";
  const std::string head = "--b0undary\r\n\r\n";
  const std::string body = head + data;
  Recorder recorder;
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{13}, std::size_t{1000}}) {
    recorder.parts.clear();
    MultipartReader r(std::string(kBoundary), {}, recorder);
    for (std::size_t at = 0; at < body.size(); at += chunk) {
      ASSERT_TRUE(r.Feed(Bytes(std::string_view(body).substr(at, chunk))).ok());
      const std::size_t fed = std::min(body.size(), at + chunk);
      if (fed <= head.size()) continue;
      ASSERT_EQ(recorder.parts.size(), 1u);
      const std::size_t delivered = recorder.parts[0].data.size();
      ASSERT_GE(delivered + kBoundary.size() + 4, fed - head.size()) << chunk << " at " << at;
    }
    EXPECT_EQ(r.Finish().code(), StatusCode::kMalformed);  // no close delimiter
  }
}

TEST(MultipartReaderTest, ReturnsACallbackErrorUnchangedAndStops) {
  const std::string body = TwoPartBody();
  {
    Recorder recorder;
    recorder.fail_on_begin = 2;
    MultipartReader reader(std::string(kBoundary), {}, recorder);
    Status status = reader.Feed(Bytes(body));
    EXPECT_EQ(status.code(), StatusCode::kConflict);
    EXPECT_EQ(status.message(), "begin refused");
    // Later calls report the same error and deliver nothing more.
    EXPECT_EQ(reader.Feed(Bytes(body)).message(), "begin refused");
    EXPECT_EQ(reader.Finish().message(), "begin refused");
    EXPECT_EQ(recorder.parts.size(), 2u);
    EXPECT_TRUE(recorder.parts[1].data.empty());
  }
  {
    Recorder recorder;
    recorder.fail_on_data = true;
    MultipartReader reader(std::string(kBoundary), {}, recorder);
    Status status = reader.Feed(Bytes(body));
    EXPECT_EQ(status.code(), StatusCode::kUnavailable);
    EXPECT_EQ(status.message(), "disk full");
    EXPECT_EQ(recorder.parts.size(), 1u);
  }
  {
    Recorder recorder;
    recorder.fail_on_end = true;
    MultipartReader reader(std::string(kBoundary), {}, recorder);
    EXPECT_EQ(reader.Feed(Bytes(body)).code(), StatusCode::kInternal);
    EXPECT_EQ(recorder.parts.size(), 1u);
  }
}

TEST(MultipartReaderTest, KeepsTheFirstErrorForLaterCalls) {
  Recorder recorder;
  MultipartReader reader(std::string(kBoundary), {}, recorder);
  Status first = reader.Feed(Bytes("--b0undary\r\nbad header\r\n"));
  ASSERT_EQ(first.code(), StatusCode::kMalformed);
  EXPECT_EQ(reader.Feed(Bytes("\r\n")).message(), first.message());
  EXPECT_EQ(reader.Finish().message(), first.message());
}

TEST(MultipartReaderTest, RefusesToWorkWithAnInvalidBoundary) {
  Recorder recorder;
  MultipartReader reader("bad\r\nboundary", {}, recorder);
  EXPECT_EQ(reader.Feed(Bytes("--bad\r\nboundary\r\n")).code(), StatusCode::kMalformed);
  EXPECT_EQ(reader.Finish().code(), StatusCode::kMalformed);
}

TEST(MultipartReaderTest, BoundaryIsCaseSensitive) {
  EXPECT_EQ(ReadWhole("--B0UNDARY\r\n\r\nd\r\n--B0UNDARY--").status.code(), StatusCode::kMalformed);
}

TEST(MultipartReaderTest, FeedAfterFinishIsAnError) {
  Recorder recorder;
  MultipartReader reader(std::string(kBoundary), {}, recorder);
  ASSERT_TRUE(reader.Feed(Bytes(TwoPartBody())).ok());
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_TRUE(reader.Finish().ok());
  EXPECT_FALSE(reader.Feed(Bytes("x")).ok());
}

TEST(MultipartReaderTest, ReadsTheLongestBoundary) {
  const std::string boundary(70, 'z');
  const std::string body = "--" + boundary + "\r\n\r\ndata\r\n--" + boundary + "--";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{71}, body.size()}) {
    Outcome out = ReadInChunks(body, chunk, {}, boundary);
    ASSERT_TRUE(out.status.ok()) << out.status.ToString();
    ASSERT_EQ(out.parts.size(), 1u);
    EXPECT_EQ(out.parts[0].data, "data");
  }
}

TEST(MultipartReaderTest, ReadsAOneCharacterBoundary) {
  const std::string body = "--x\r\n\r\n-x\r\n-\r\n--y\r\n--x--";
  Outcome out = ReadInChunks(body, 1, {}, "x");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), 1u);
  EXPECT_EQ(out.parts[0].data, "-x\r\n-\r\n--y");
}

TEST(MultipartWriterTest, NewBoundaryIs32RandomHexDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    const std::string b = NewBoundary();
    ASSERT_EQ(b.size(), 32u);
    EXPECT_EQ(b.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(ValidateBoundary(b).ok());
    seen.insert(b);
  }
  EXPECT_EQ(seen.size(), 16u);
}

TEST(MultipartWriterTest, WritesPartHeadersAndCloseDelimiter) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/dicom"}, {"Content-Location", "/x"}};
  EXPECT_EQ(PartHeader("B", headers, true),
            "--B\r\nContent-Type: application/dicom\r\nContent-Location: /x\r\n\r\n");
  EXPECT_EQ(PartHeader("B", {}, false), "\r\n--B\r\n\r\n");
  EXPECT_EQ(CloseDelimiter("B"), "\r\n--B--\r\n");
}

TEST(MultipartWriterTest, LeavesOutControlCharactersFromHeaders) {
  const std::vector<std::pair<std::string, std::string>> headers = {{"X-A", "v\r\n\r\ninjected"}};
  EXPECT_EQ(PartHeader("B", headers, true), "--B\r\nX-A: vinjected\r\n\r\n");
}

TEST(MultipartWriterTest, WritesTheMultipartRelatedContentType) {
  EXPECT_EQ(MultipartRelatedContentType("abc", "application/dicom", "1.2.840.10008.1.2.1"),
            "multipart/related; type=\"application/dicom\"; "
            "transfer-syntax=1.2.840.10008.1.2.1; boundary=abc");
  EXPECT_EQ(MultipartRelatedContentType("a b", "application/octet-stream", std::nullopt),
            "multipart/related; type=\"application/octet-stream\"; boundary=\"a b\"");
  auto parsed = ParseMediaType(MultipartRelatedContentType("q:b=?", "application/dicom", "*"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(BoundaryOf(*parsed).value(), "q:b=?");
  EXPECT_EQ(parsed->Parameter("transfer-syntax"), "*");
}

TEST(MultipartWriterTest, WhatTheWriterWritesTheReaderReads) {
  const std::string boundary = NewBoundary();
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/dicom"}};
  const std::vector<std::string> datas = {std::string("DICM\0\r\n--", 9), "", "\r\n", "end\r"};
  std::string body;
  for (std::size_t i = 0; i < datas.size(); ++i) {
    body += PartHeader(boundary, headers, i == 0);
    body += datas[i];
  }
  body += CloseDelimiter(boundary);
  Outcome out = ReadInChunks(body, 3, {}, boundary);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.parts.size(), datas.size());
  for (std::size_t i = 0; i < datas.size(); ++i) {
    EXPECT_EQ(out.parts[i].data, datas[i]) << i;
    EXPECT_EQ(out.parts[i].headers[0].first, "content-type");
  }
}

}  // namespace
}  // namespace bastion::web::http

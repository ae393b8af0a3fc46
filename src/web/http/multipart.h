// multipart/related bodies as DICOMweb sends them (STOW-RS requests, WADO-RS responses): a
// streaming reader that never holds a body in memory, and the pieces of a response writer.
//
// RFC 2046 5.1.1 (boundary delimiters, preamble, epilogue), RFC 2387 (multipart/related),
// PS3.18 8.6.1.2 (DICOMweb multipart payloads). The reader follows the grammar strictly:
// - A delimiter is CRLF "--" boundary; the first one may also open the body without its CRLF.
//   Anything before it is preamble, ignored. Since no line of a part may start with
//   "--" boundary, the CRLF that ends a part's headers also counts as the delimiter's when the
//   data is empty ("--b\r\n\r\n--b--" is one empty part without headers). A delimiter line ends
//   with optional transport padding (spaces, tabs) and CRLF; the close delimiter is the delimiter
//   followed by "--", and what follows it (the epilogue) is ignored. Preamble and epilogue share
//   max_preamble_bytes.
// - A delimiter followed by anything else ("--boundaryX") is kMalformed, not data: RFC 2046 lets
//   no delimiter appear inside a part, and guessing here is how two parsers come to disagree
//   about where a part ends. "--boundary" without the CRLF before it is data.
// - Part headers are "Name: value" lines ended by CRLF, then an empty line. Refused: a line
//   without ':', a name that is not a token (so no whitespace before ':'), obsolete line folding,
//   a bare LF, control characters in a value, and a field name repeated within one part (a
//   second Content-Type would leave two readers of the same part disagreeing about it).
//   Names are lower-cased, values trimmed of surrounding whitespace.
// - A body needs at least one part and the close delimiter; one that ends before either is
//   kMalformed at Finish().
// - Part data ends at the next CRLF "--" boundary: it is passed to Events::OnPartData in the
//   pieces it arrived in, straight from the caller's chunk (no copy), except for at most
//   boundary length + 3 bytes held back at the end of a chunk because they might begin a
//   delimiter. The search skips through data (Boyer-Moore-Horspool) instead of looking at each
//   byte, and only a CR can start a delimiter (bchars have none), so held-back bytes never need
//   to be searched again.
// Limits (MultipartLimits) are checked before the bytes they guard are kept or passed on.
// Every failure, and any error an Events callback returns, stops the reader: that Status is
// returned unchanged from Feed and from every later Feed and Finish.
//
// Pure: no I/O. Thread-safety: a reader is a stream cursor; use one from one thread at a time.
// The writer functions are stateless.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "web/http/media_type.h"

namespace bastion::web::http {

// RFC 2046 5.1.1: 1 to 70 characters from bchars (DIGIT / ALPHA / "'()+_,-./:=?" / space), not
// ending in a space.
Status ValidateBoundary(std::string_view boundary, std::size_t max_length = 70);

// The validated `boundary` parameter of a multipart media type; kMalformed if absent or invalid.
// Checking the media type itself (multipart/related, its `type`) is the caller's business.
Result<std::string> BoundaryOf(const MediaType& media_type, std::size_t max_length = 70);

struct MultipartLimits {
  std::size_t max_parts = 10000;
  std::size_t max_part_header_bytes = 16 * 1024;  // one part's header block, CRLFs included
  std::size_t max_headers_per_part = 32;
  std::uint64_t max_part_bytes = 4ull << 30;   // data bytes of one part
  std::size_t max_preamble_bytes = 64 * 1024;  // preamble and epilogue together
  // RFC 2046 5.1.1: at most 70 characters. Tolerated deviation up to 200, for senders that
  // exceed it (Orthanc's DICOMweb plugin sends 73); pass the same value to BoundaryOf.
  std::size_t max_boundary_length = 70;
};

struct PartHeaders {
  std::vector<std::pair<std::string, std::string>> fields;  // names lower-cased, unique

  // The value of field `name` (matched case-insensitively), if present.
  std::optional<std::string_view> Get(std::string_view name) const;
};

class MultipartReader {
 public:
  // Callbacks, in order: per part OnPartBegin, any number of OnPartData (possibly none, never
  // with an empty span), OnPartEnd once its closing delimiter line is complete. A non-OK
  // return stops the reader and is what Feed returns.
  struct Events {
    virtual ~Events() = default;
    virtual Status OnPartBegin(const PartHeaders& headers) = 0;
    virtual Status OnPartData(std::span<const std::uint8_t> data) = 0;
    virtual Status OnPartEnd() = 0;
  };

  // `boundary` is the value from BoundaryOf(); an invalid one makes every Feed fail.
  MultipartReader(std::string boundary, MultipartLimits limits, Events& events);

  MultipartReader(const MultipartReader&) = delete;
  MultipartReader& operator=(const MultipartReader&) = delete;

  // Consumes the next piece of the body, of any size (one byte at a time works).
  Status Feed(std::span<const std::uint8_t> chunk);
  // Marks the end of the body: kMalformed unless the close delimiter has been seen.
  Status Finish();

  // Parts begun so far (OnPartBegin calls).
  std::size_t parts() const { return parts_; }

 private:
  enum class State : std::uint8_t { kPreamble, kBoundaryTail, kHeaders, kData, kEpilogue, kDone };
  // Where in "--" or transport-padding CRLF after a delimiter the reader is.
  enum class Tail : std::uint8_t { kStart, kDash, kPadding, kCr };

  Status Step(const std::uint8_t* p, std::size_t n, std::size_t& used);
  Status ScanBody(const std::uint8_t* p, std::size_t n, std::size_t& used);
  Status EmitBody(const std::uint8_t* p, std::size_t n);
  Status CountIgnored(std::size_t n);
  std::size_t Find(const std::uint8_t* p, std::size_t n) const;
  std::size_t PartialDelimiterSuffix(const std::uint8_t* p, std::size_t n) const;
  Status ConsumeTail(const std::uint8_t* p, std::size_t n, std::size_t& used);
  Status OnDelimiterLine(bool close);
  Status ConsumeHeaders(const std::uint8_t* p, std::size_t n, std::size_t& used);
  Status OnHeaderLine();

  std::string delimiter_;                 // CRLF "--" boundary
  std::array<std::uint8_t, 256> skip_{};  // Horspool shifts; a delimiter is at most 204 bytes
  MultipartLimits limits_;
  Events& events_;

  State state_ = State::kPreamble;
  Tail tail_ = Tail::kStart;
  // A proper prefix of delimiter_ that ended the last chunk. At the start of the body and of
  // each part's data it is the CRLF assumed there (virtual_held_ = 2 bytes that are not body),
  // so that "--boundary" at those line starts is found by the same search.
  std::string held_;
  std::size_t virtual_held_ = 2;
  std::string line_;  // the part header line being assembled
  PartHeaders headers_;
  std::size_t header_bytes_ = 0;
  std::size_t padding_bytes_ = 0;
  std::uint64_t part_bytes_ = 0;
  std::size_t ignored_bytes_ = 0;  // preamble + epilogue
  std::size_t parts_ = 0;
  bool part_open_ = false;
  Status error_;
};

// --- Writing a multipart/related response (WADO-RS) ---

// 32 random lower-case hex digits (128 bits from OpenSSL's CSPRNG): no part can contain the
// delimiter except by chance. Aborts if the CSPRNG fails (no boundary would be safe).
std::string NewBoundary();

// ("\r\n" unless first) "--" boundary "\r\n", then "Name: value\r\n" per header, then "\r\n".
// Control characters other than HTAB are left out of names and values, so a value can never
// end its line or the header block early.
std::string PartHeader(std::string_view boundary,
                       std::span<const std::pair<std::string, std::string>> headers, bool first);

// "\r\n--" boundary "--\r\n".
std::string CloseDelimiter(std::string_view boundary);

// multipart/related; type="<type>"[; transfer-syntax=<uid>]; boundary=<boundary>
// (PS3.18 8.6.1.2 and 8.7.3; values quoted where they are not tokens).
std::string MultipartRelatedContentType(std::string_view boundary, std::string_view type,
                                        std::optional<std::string_view> transfer_syntax);

}  // namespace bastion::web::http

// The request target of a DICOMweb request: path segments and query parameters, decoded.
//
// RFC 9112 3.2.1 (origin-form = absolute-path [ "?" query ]), RFC 3986 3.3 (path segments),
// 3.4 (query) and 2.1 (percent-encoding); the query is read as application/x-www-form-urlencoded
// pairs (WHATWG URL, '+' is a space), which is how PS3.18 8.3 query parameters are sent.
//
// What is refused, and why:
// - Any form but origin-form ("*", "http://host/..."): the transport resolves the authority.
// - A fragment ('#'): a client never sends one; its presence means a confused or hostile peer.
// - "." and ".." segments, raw or percent-encoded in any case ("%2e%2E"), and a decoded '/', '\'
//   or NUL inside a segment: a segment is a name (a UID, a resource word), never a path step, so
//   nothing downstream can be tricked into walking a tree. Decoding happens once: "%252e" is the
//   literal segment "%2e", which is not ".".
// - Empty segments ("//"), except one trailing slash, which is dropped ("/studies/" is
//   "/studies").
// - Raw bytes outside the printable ASCII range, anywhere; in the path, any raw character that
//   RFC 3986 does not allow in a segment (pchar). The query is looser on purpose: clients
//   commonly send '^' (person names), '|', '[', ']' and the like unencoded, and none of them can
//   be mistaken for the separators '&', '=' and '+'.
// Query pairs keep their order; a repeated name is kept each time (QIDO-RS repeats includefield).
// ';' is not a separator. A name without '=' has an empty value; empty pairs ("a=1&&b=2") are
// skipped; a pair with an empty name ("=1") is kMalformed.
// Sizes are checked against TargetLimits before anything is stored (kLimitExceeded).
//
// Pure: no I/O. Thread-safety: stateless functions and plain values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace bastion::web::http {

struct TargetLimits {
  std::size_t max_target_length = 8192;    // bytes of the whole request target
  std::size_t max_segments = 32;           // path segments
  std::size_t max_query_parameters = 256;  // non-empty name=value pairs
  std::size_t max_segment_length = 1024;   // bytes of one segment, before decoding
};

// RFC 3986 2.1: "%" HEXDIG HEXDIG becomes one byte (either case of hex digits); with
// plus_is_space, '+' becomes ' ' (form encoding). A '%' not followed by two hex digits, and a
// NUL (decoded or raw), is kMalformed. Other bytes are copied as they are.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

struct Target {
  std::vector<std::string> segments;  // "/studies/1.2.3/series" -> {"studies", "1.2.3", "series"}
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in the order sent
};

Result<Target> ParseTarget(std::string_view request_target, const TargetLimits& limits = {});

}  // namespace bastion::web::http

// Transfer syntax conversion of stored instances: re-encoding a data set between the
// uncompressed transfer syntaxes of PS3.5 Annex A (A.1 Implicit VR Little Endian, A.2 Explicit
// VR Little Endian, A.3 Explicit VR Big Endian (retired), A.5 Deflated Explicit VR Little
// Endian), for the two senders that must answer in a syntax other than the stored one: C-MOVE
// and C-GET sub-operations to a peer that did not accept it (PS3.4 C.4.2.3, C.4.3.3), and
// WADO-RS retrieval in the syntax the Accept asks for (PS3.18 8.7.3.4, 8.7.3.5). Compressed
// (encapsulated) syntaxes are never converted: pixel data is not decoded or encoded here.
//
// A conversion holds the whole converted data set in memory, and, from big endian or deflated,
// the swapped values or the inflated input: ConversionLimits bounds what one conversion may
// hold, checked before anything is read (the stored size; inflation is capped by the reader).
// Values stay byte-identical apart from byte order: element values are decoded and re-encoded,
// never reinterpreted (the codec's writer, dicom/writer.h).
// Thread-safety: stateless functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "archive/archive.h"
#include "base/status.h"
#include "dicom/reader.h"

namespace bastion::archive {

struct ConversionLimits {
  // The largest data set converted in memory (stored bytes, and inflated bytes of a deflated
  // one); a larger one is kLimitExceeded and is sent as stored or not at all.
  std::uint64_t max_data_set_bytes = 512ull << 20;  // 512 MiB
};

// The uncompressed syntaxes, in the order preferred as conversion targets: Explicit VR Little
// Endian, Implicit VR Little Endian, Deflated Explicit VR Little Endian, Explicit VR Big Endian.
std::span<const std::string_view> ConvertibleTransferSyntaxes();

// Whether `uid` is one of ConvertibleTransferSyntaxes().
bool IsConvertible(std::string_view uid);

// Whether an instance stored in `from` can be sent in `to`: the same syntax, or both convertible.
bool CanConvert(std::string_view from, std::string_view to);

// Whether pixel data in `uid` may have been compressed lossily (JPEG baseline and extended,
// JPEG-LS near-lossless, JPEG 2000 and HTJ2K without the lossless-only restriction, the MPEG and
// HEVC video syntaxes): PS3.18 8.7.3.4 then lets an origin server send it as received.
bool MayBeLossy(std::string_view uid);

// Re-encodes the data set of `object` (its bytes as stored in `from`) in `to`. kUnsupported
// when CanConvert(from, to) is false; kLimitExceeded past `limits`; kMalformed when the stored
// data set does not read (with `read`'s limits).
Result<std::vector<std::uint8_t>> ConvertDataSet(const Archive::StoredObject& object,
                                                 std::string_view from, std::string_view to,
                                                 const ConversionLimits& limits = {},
                                                 const dicom::ReadOptions& read = {});

// The stored Part 10 file of `object` re-encoded in `to`: the same File Meta Information with
// Transfer Syntax UID (0002,0010) set to `to` and its group length recomputed, then the data set
// converted as ConvertDataSet does. Errors as ConvertDataSet.
Result<std::vector<std::uint8_t>> ConvertPart10(const Archive::StoredObject& object,
                                                std::string_view from, std::string_view to,
                                                const ConversionLimits& limits = {},
                                                const dicom::ReadOptions& read = {});

}  // namespace bastion::archive

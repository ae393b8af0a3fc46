// ReadLimits: every bound the DICOM reader enforces, passed in by the caller.
//
// Each limit is checked before the allocation or recursion it guards; exceeding one is a
// kLimitExceeded error naming the tag path and byte offset. Defaults are documented in
// docs/limits.md; the server overrides them from its configuration.
#pragma once

#include <cstdint>

namespace bastion::dicom {

struct ReadLimits {
  // Largest value length of any single element or fragment (bytes).
  std::uint64_t max_element_length = 3ull << 30;  // 3 GiB
  // Largest input (or inflated input) the reader accepts (bytes).
  std::uint64_t max_total_size = 4ull << 30;  // 4 GiB
  // Deepest nesting of sequences (a top-level sequence has depth 1).
  std::uint32_t max_sequence_depth = 32;
  // Most elements in the whole data set, counting those inside items.
  std::uint64_t max_elements = 1'000'000;
  // Most fragments in one encapsulated pixel data element.
  std::uint64_t max_fragments = 1'000'000;
  // Deflated transfer syntax: largest inflated size (bytes) and largest inflated/deflated ratio.
  std::uint64_t max_inflated_size = 512ull << 20;  // 512 MiB
  std::uint32_t max_inflate_ratio = 200;
  // The ratio is checked only once this much has been inflated: a small blank image can
  // legitimately deflate 700:1, while a bomb is about size.
  std::uint64_t min_size_for_inflate_ratio = 16ull << 20;  // 16 MiB
};

}  // namespace bastion::dicom

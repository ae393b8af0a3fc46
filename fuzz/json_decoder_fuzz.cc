// libFuzzer target: the DICOM JSON decoder (PS3.18 F.2), with default and small JsonLimits.
//
// Invariants checked (a violation aborts): a data set decoded from JSON encodes back to JSON,
// that JSON decodes again, and the second decoding equals the first (decode/encode is stable).
// Errors and limit refusals are ordinary behaviour; ASan/UBSan catch the rest.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dicom/json_model.h"
#include "fuzz_common.h"

namespace {

bastion::dicom::JsonLimits FuzzJsonLimits() {
  bastion::dicom::JsonLimits limits;
  limits.max_input_size = 16u << 20;
  limits.max_inline_binary = 16u << 20;
  return limits;
}

// Tight enough that ordinary seeds hit every limit.
bastion::dicom::JsonLimits TinyJsonLimits() {
  bastion::dicom::JsonLimits limits;
  limits.max_input_size = 4096;
  limits.max_depth = 4;
  limits.max_elements = 64;
  limits.max_inline_binary = 256;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bastion;
  std::string_view json(reinterpret_cast<const char*>(data), size);

  auto decoded = dicom::DecodeJson(json, FuzzJsonLimits());
  if (decoded.ok()) {
    fuzz::Walk(*decoded);
    auto encoded = dicom::EncodeJson(*decoded);
    if (!encoded.ok()) {
      fuzz::InvariantBroken("EncodeJson refused a decoded data set", encoded.status().ToString());
    }
    auto again = dicom::DecodeJson(*encoded, FuzzJsonLimits());
    if (!again.ok()) {
      fuzz::InvariantBroken("DecodeJson refused EncodeJson output", again.status().ToString());
    }
    if (!(*again == *decoded)) {
      fuzz::InvariantBroken("JSON decode/encode/decode changed the data set",
                            fuzz::FirstDifference(*decoded, *again));
    }
  }

  auto tiny = dicom::DecodeJson(json, TinyJsonLimits());
  if (tiny.ok()) fuzz::Walk(*tiny);
  return 0;
}

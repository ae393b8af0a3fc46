#include "dicom/vr.h"

#include <array>

namespace bastion::dicom {
namespace {

struct VrInfo {
  std::string_view name;
  bool long_length;
  bool is_string;
  bool charset;
  bool multi_valued;
  int swap_width;
  std::uint32_t max_length;  // per value, 0 = unbounded by the VR
};

// Order matches enum class Vr.
constexpr std::array<VrInfo, kVrCount> kVrTable{{
    {"AE", false, true, false, true, 0, 16},
    {"AS", false, true, false, true, 0, 4},
    {"AT", false, false, false, false, 2, 4},
    {"CS", false, true, false, true, 0, 16},
    {"DA", false, true, false, true, 0, 8},  // 18 for ranges in queries; checked by callers
    {"DS", false, true, false, true, 0, 16},
    {"DT", false, true, false, true, 0, 26},
    {"FD", false, false, false, false, 8, 8},
    {"FL", false, false, false, false, 4, 4},
    {"IS", false, true, false, true, 0, 12},
    {"LO", false, true, true, true, 0, 64},
    {"LT", false, true, true, false, 0, 10240},
    {"OB", true, false, false, false, 1, 0},
    {"OD", true, false, false, false, 8, 0},
    {"OF", true, false, false, false, 4, 0},
    {"OL", true, false, false, false, 4, 0},
    {"OV", true, false, false, false, 8, 0},
    {"OW", true, false, false, false, 2, 0},
    {"PN", false, true, true, true, 0, 0},  // 64 chars per component group
    {"SH", false, true, true, true, 0, 16},
    {"SL", false, false, false, false, 4, 4},
    {"SQ", true, false, false, false, 0, 0},
    {"SS", false, false, false, false, 2, 2},
    {"ST", false, true, true, false, 0, 1024},
    {"SV", true, false, false, false, 8, 8},
    {"TM", false, true, false, true, 0, 14},
    {"UC", true, true, true, true, 0, 0},
    {"UI", false, true, false, true, 0, 64},
    {"UL", false, false, false, false, 4, 4},
    {"UN", true, false, false, false, 1, 0},
    {"UR", true, true, false, false, 0, 0},
    {"US", false, false, false, false, 2, 2},
    {"UT", true, true, true, false, 0, 0},
    {"UV", true, false, false, false, 8, 8},
}};

const VrInfo& Info(Vr vr) { return kVrTable[static_cast<std::size_t>(vr)]; }

}  // namespace

std::string_view VrName(Vr vr) { return Info(vr).name; }

std::optional<Vr> ParseVr(std::string_view code) {
  if (code.size() != 2) return std::nullopt;
  for (int i = 0; i < kVrCount; ++i) {
    if (kVrTable[static_cast<std::size_t>(i)].name == code) return static_cast<Vr>(i);
  }
  return std::nullopt;
}

bool HasLongLength(Vr vr) { return Info(vr).long_length; }
bool IsString(Vr vr) { return Info(vr).is_string; }
bool UsesSpecificCharacterSet(Vr vr) { return Info(vr).charset; }
bool IsMultiValuedString(Vr vr) { return Info(vr).is_string && Info(vr).multi_valued; }
bool IsBinary(Vr vr) { return !Info(vr).is_string && vr != Vr::kSQ; }
int SwapWidth(Vr vr) { return Info(vr).swap_width; }
std::uint8_t PaddingByte(Vr vr) { return (vr == Vr::kUI || IsBinary(vr)) ? 0x00 : 0x20; }
std::uint32_t MaxValueLength(Vr vr) { return Info(vr).max_length; }

}  // namespace bastion::dicom

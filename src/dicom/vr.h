// Vr: the value representations of PS3.5 section 6.2 (Table 6.2-1) and their encoding rules.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bastion::dicom {

enum class Vr : std::uint8_t {
  kAE, kAS, kAT, kCS, kDA, kDS, kDT, kFD, kFL, kIS, kLO, kLT, kOB, kOD, kOF, kOL, kOV, kOW,
  kPN, kSH, kSL, kSQ, kSS, kST, kSV, kTM, kUC, kUI, kUL, kUN, kUR, kUS, kUT, kUV,
};

inline constexpr int kVrCount = static_cast<int>(Vr::kUV) + 1;

// "PN" for Vr::kPN.
std::string_view VrName(Vr vr);
// Parses the two-character code; nullopt for anything that is not a VR of PS3.5 Table 6.2-1.
std::optional<Vr> ParseVr(std::string_view code);

// Explicit VR encoding uses a 2-byte reserved field and a 4-byte length for these
// (PS3.5 7.1.2, Table 7.1-1); all others use a 2-byte length.
bool HasLongLength(Vr vr);
// Character string VRs whose values are text (decoded through the character set or ASCII).
bool IsString(Vr vr);
// String VRs affected by Specific Character Set (PS3.5 6.1.2.3): SH, LO, ST, LT, UC, UT, PN.
bool UsesSpecificCharacterSet(Vr vr);
// String VRs that may hold several values separated by backslash (not LT, ST, UT, UR).
bool IsMultiValuedString(Vr vr);
// Binary VRs with fixed-width items: AT, FL, FD, SL, SS, UL, US, SV, UV, OB, OD, OF, OL, OV, OW.
bool IsBinary(Vr vr);
// Byte width of one value for binary VRs (for byte swapping): 1 for OB/UN, 2 for OW/US/SS,
// AT swaps as two 16-bit halves (returns 2), 4 for UL/SL/FL/OF/OL, 8 for FD/OD/SV/UV/OV.
// 0 for string VRs and SQ.
int SwapWidth(Vr vr);
// Padding byte for odd-length values: 0x00 for UI and binary VRs, space otherwise.
std::uint8_t PaddingByte(Vr vr);
// Maximum value length in bytes per value (PS3.5 Table 6.2-1) or 0 when unbounded.
std::uint32_t MaxValueLength(Vr vr);

}  // namespace bastion::dicom

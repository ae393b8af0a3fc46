// Tag: a DICOM attribute tag (group, element), PS3.5 section 7.1.
// Thread-safety: plain value.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace bastion::dicom {

struct Tag {
  std::uint16_t group = 0;
  std::uint16_t element = 0;

  constexpr Tag() = default;
  constexpr Tag(std::uint16_t g, std::uint16_t e) : group(g), element(e) {}
  static constexpr Tag FromU32(std::uint32_t v) {
    return Tag(static_cast<std::uint16_t>(v >> 16), static_cast<std::uint16_t>(v & 0xFFFF));
  }

  constexpr std::uint32_t value() const {
    return (static_cast<std::uint32_t>(group) << 16) | element;
  }
  constexpr bool is_private() const { return (group & 1) != 0; }
  // (gggg,00xx) with odd gggg and xx in 10..FF: a private creator element, PS3.5 7.8.1.
  constexpr bool is_private_creator() const {
    return is_private() && element >= 0x0010 && element <= 0x00FF;
  }
  constexpr bool is_group_length() const { return element == 0x0000; }
  constexpr bool is_delimiter_group() const { return group == 0xFFFE; }

  friend constexpr auto operator<=>(Tag a, Tag b) { return a.value() <=> b.value(); }
  friend constexpr bool operator==(Tag a, Tag b) { return a.value() == b.value(); }

  // "(0010,0010)"
  std::string ToString() const;
  // "00100010", the form DICOM JSON uses (PS3.18 F.2.1.1).
  std::string ToHex() const;
};

// Tags the codec itself needs. The full set lives in the generated dictionary.
namespace tags {
inline constexpr Tag kFileMetaInformationGroupLength{0x0002, 0x0000};
inline constexpr Tag kFileMetaInformationVersion{0x0002, 0x0001};
inline constexpr Tag kMediaStorageSopClassUid{0x0002, 0x0002};
inline constexpr Tag kMediaStorageSopInstanceUid{0x0002, 0x0003};
inline constexpr Tag kTransferSyntaxUid{0x0002, 0x0010};
inline constexpr Tag kImplementationClassUid{0x0002, 0x0012};
inline constexpr Tag kImplementationVersionName{0x0002, 0x0013};
inline constexpr Tag kSourceApplicationEntityTitle{0x0002, 0x0016};
inline constexpr Tag kSpecificCharacterSet{0x0008, 0x0005};
inline constexpr Tag kSopClassUid{0x0008, 0x0016};
inline constexpr Tag kSopInstanceUid{0x0008, 0x0018};
inline constexpr Tag kPixelData{0x7FE0, 0x0010};
inline constexpr Tag kFloatPixelData{0x7FE0, 0x0008};
inline constexpr Tag kDoubleFloatPixelData{0x7FE0, 0x0009};
inline constexpr Tag kExtendedOffsetTable{0x7FE0, 0x0001};
inline constexpr Tag kExtendedOffsetTableLengths{0x7FE0, 0x0002};
inline constexpr Tag kItem{0xFFFE, 0xE000};
inline constexpr Tag kItemDelimitationItem{0xFFFE, 0xE00D};
inline constexpr Tag kSequenceDelimitationItem{0xFFFE, 0xE0DD};
}  // namespace tags

}  // namespace bastion::dicom

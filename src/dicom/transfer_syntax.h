// Transfer syntaxes (PS3.5 section 10 and Annex A): how a data set is encoded.
//
// The codec reads and writes the four native syntaxes (implicit/explicit little endian,
// explicit big endian, deflated) and carries every encapsulated syntax through unchanged
// (PS3.5 A.4): pixel data fragments are kept as received.
// Thread-safety: immutable static data.
#pragma once

#include <optional>
#include <string_view>

#include "base/byte_reader.h"

namespace bastion::dicom {

struct TransferSyntax {
  std::string_view uid;
  std::string_view name;
  bool explicit_vr;
  Endian endian;
  bool deflated;
  bool encapsulated;  // pixel data in fragments (PS3.5 A.4)

  bool operator==(const TransferSyntax& o) const { return uid == o.uid; }
};

namespace transfer_syntax {
inline constexpr std::string_view kImplicitVrLittleEndian = "1.2.840.10008.1.2";
inline constexpr std::string_view kExplicitVrLittleEndian = "1.2.840.10008.1.2.1";
inline constexpr std::string_view kDeflatedExplicitVrLittleEndian = "1.2.840.10008.1.2.1.99";
inline constexpr std::string_view kExplicitVrBigEndian = "1.2.840.10008.1.2.2";
}  // namespace transfer_syntax

// Known transfer syntax by UID (trailing NUL/space padding already removed by the caller).
// nullopt for UIDs that are not transfer syntaxes in PS3.6. Any registered transfer syntax
// other than the four native ones is treated as encapsulated little-endian explicit VR.
std::optional<TransferSyntax> FindTransferSyntax(std::string_view uid);

const TransferSyntax& ImplicitVrLittleEndian();
const TransferSyntax& ExplicitVrLittleEndian();
const TransferSyntax& ExplicitVrBigEndian();
const TransferSyntax& DeflatedExplicitVrLittleEndian();

}  // namespace bastion::dicom

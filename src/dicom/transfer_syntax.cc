#include "dicom/transfer_syntax.h"

#include "dicom/dictionary.h"

namespace bastion::dicom {

const TransferSyntax& ImplicitVrLittleEndian() {
  static const TransferSyntax ts{transfer_syntax::kImplicitVrLittleEndian,
                                 "Implicit VR Little Endian", false, Endian::kLittle, false, false};
  return ts;
}
const TransferSyntax& ExplicitVrLittleEndian() {
  static const TransferSyntax ts{transfer_syntax::kExplicitVrLittleEndian,
                                 "Explicit VR Little Endian", true, Endian::kLittle, false, false};
  return ts;
}
const TransferSyntax& ExplicitVrBigEndian() {
  static const TransferSyntax ts{transfer_syntax::kExplicitVrBigEndian, "Explicit VR Big Endian",
                                 true, Endian::kBig, false, false};
  return ts;
}
const TransferSyntax& DeflatedExplicitVrLittleEndian() {
  static const TransferSyntax ts{transfer_syntax::kDeflatedExplicitVrLittleEndian,
                                 "Deflated Explicit VR Little Endian", true, Endian::kLittle, true,
                                 false};
  return ts;
}

std::optional<TransferSyntax> FindTransferSyntax(std::string_view uid) {
  for (const TransferSyntax* ts : {&ImplicitVrLittleEndian(), &ExplicitVrLittleEndian(),
                                   &ExplicitVrBigEndian(), &DeflatedExplicitVrLittleEndian()}) {
    if (ts->uid == uid) return *ts;
  }
  const UidEntry* entry = LookupUid(uid);
  if (entry == nullptr || entry->type != "Transfer Syntax") return std::nullopt;
  // Not data set encodings at all (MIME and XML encapsulation, Papyrus): unsupported.
  if (uid.starts_with("1.2.840.10008.1.2.6.") || uid == "1.2.840.10008.1.20") return std::nullopt;
  // JPIP referenced pixel data and SMPTE ST 2110 video carry no pixel data element: native
  // explicit VR little endian (the JPIP deflate variant is deflated, PS3.5 A.6).
  if (uid == "1.2.840.10008.1.2.4.95") {
    return TransferSyntax{entry->uid, entry->name, true, Endian::kLittle, true, false};
  }
  if (uid == "1.2.840.10008.1.2.4.94" || uid.starts_with("1.2.840.10008.1.2.7.")) {
    return TransferSyntax{entry->uid, entry->name, true, Endian::kLittle, false, false};
  }
  // Encapsulated Uncompressed (1.2.840.10008.1.2.1.98) and every compressed syntax:
  // explicit VR little endian with pixel data in fragments.
  return TransferSyntax{entry->uid, entry->name, true, Endian::kLittle, false, true};
}

}  // namespace bastion::dicom

#include "dicom/sop_class.h"

#include <algorithm>

#include "dicom/dictionary.h"
#include "dicom/transfer_syntax.h"

namespace bastion::dicom {

const std::vector<std::string>& StorageSopClasses() {
  static const std::vector<std::string> classes = [] {
    std::vector<std::string> out;
    for (const UidEntry& e : AllUidEntries()) {
      if (e.type != "SOP Class") continue;
      if (e.name.find("Storage") == std::string_view::npos) continue;
      if (e.name.find("Commitment") != std::string_view::npos) continue;
      if (e.uid == "1.2.840.10008.1.3.10") continue;  // Media Storage Directory Storage
      out.emplace_back(e.uid);
    }
    std::sort(out.begin(), out.end());
    return out;
  }();
  return classes;
}

bool IsStorageSopClass(std::string_view uid) {
  const auto& classes = StorageSopClasses();
  return std::binary_search(classes.begin(), classes.end(), uid,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

const std::vector<std::string>& AllTransferSyntaxes() {
  static const std::vector<std::string> syntaxes = [] {
    std::vector<std::string> out = {std::string(transfer_syntax::kExplicitVrLittleEndian),
                                    std::string(transfer_syntax::kImplicitVrLittleEndian),
                                    std::string(transfer_syntax::kDeflatedExplicitVrLittleEndian),
                                    std::string(transfer_syntax::kExplicitVrBigEndian)};
    for (const UidEntry& e : AllUidEntries()) {
      if (e.type != "Transfer Syntax") continue;
      if (std::find(out.begin(), out.end(), e.uid) != out.end()) continue;
      if (!FindTransferSyntax(e.uid)) continue;
      out.emplace_back(e.uid);
    }
    return out;
  }();
  return syntaxes;
}

}  // namespace bastion::dicom

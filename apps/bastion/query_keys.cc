#include "query_keys.h"

#include <algorithm>

#include "dicom/dictionary.h"

namespace bastion::cli {

Result<QueryKeys> BuildQueryKeys(const std::string& level, const std::vector<std::string>& keys) {
  QueryKeys out;
  out.identifier.SetString(dicom::Tag{0x0008, 0x0005}, dicom::Vr::kCS, "ISO_IR 192");
  out.identifier.SetString(dicom::Tag{0x0008, 0x0052}, dicom::Vr::kCS, level);
  for (const std::string& k : keys) {
    const auto eq = k.find('=');
    const std::string keyword = k.substr(0, eq);
    const dicom::DictionaryEntry* entry = dicom::LookupKeyword(keyword);
    if (entry == nullptr) {
      return Status::Malformed("unknown keyword '" + keyword +
                               "' (use DICOM keywords, e.g. PatientName)");
    }
    const auto tag = dicom::Tag::FromU32(entry->tag);
    const std::string value = eq == std::string::npos ? "" : k.substr(eq + 1);
    if (!out.identifier.Contains(tag) || !value.empty()) {
      out.identifier.SetString(tag, entry->vr, value);
    }
    if (std::find(out.columns.begin(), out.columns.end(), tag) == out.columns.end()) {
      out.columns.push_back(tag);
      out.keywords.push_back(keyword);
    }
  }
  return out;
}

}  // namespace bastion::cli

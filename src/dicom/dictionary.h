// The PS3.6 data dictionary and UID registry, generated from the standard by
// tools/gen_dictionary.py into generated/*.inc.
//
// Lookups are binary searches over constexpr tables; repeating-group tags such as
// (60xx,3000) are matched by mask. Private tags are never in the dictionary.
// Thread-safety: immutable static data; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "dicom/tag.h"
#include "dicom/vr.h"

namespace bastion::dicom {

struct DictionaryEntry {
  std::uint32_t tag;   // for repeating entries, the tag with the x digits zeroed
  std::uint32_t mask;  // bits of a tag that must equal `tag`; 0xFFFFFFFF for exact entries
  Vr vr;               // the VR used when an implicit VR stream carries this tag
  std::string_view vr_text;  // as in PS3.6, e.g. "US or SS"
  std::string_view vm;
  std::string_view keyword;
  std::string_view name;
  bool retired;
};

struct UidEntry {
  std::string_view uid;
  std::string_view name;
  std::string_view type;  // "Transfer Syntax", "SOP Class", ...
  std::string_view keyword;
  bool retired;
};

// nullptr when the tag is private or not in PS3.6. Group length tags (gggg,0000) of any group
// resolve to an UL entry.
const DictionaryEntry* LookupTag(Tag tag);
// nullptr when no public attribute has this keyword (e.g. "PatientName").
const DictionaryEntry* LookupKeyword(std::string_view keyword);
// nullptr when the UID is not in PS3.6 Annex A.
const UidEntry* LookupUid(std::string_view uid);

// The whole tables, for tests and tools.
std::span<const DictionaryEntry> AllDictionaryEntries();
std::span<const UidEntry> AllUidEntries();

}  // namespace bastion::dicom

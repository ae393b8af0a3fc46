#include "dicom/dictionary.h"

#include <algorithm>
#include <array>
#include <vector>

namespace bastion::dicom {
namespace {

#include "dicom/generated/dictionary_data.inc"
#include "dicom/generated/uid_registry_data.inc"

constexpr DictionaryEntry kGenericGroupLength{0x00000000, 0x0000FFFF, Vr::kUL, "UL", "1",
                                              "GroupLength", "Group Length", false};

// Every entry, exact first then repeating, for AllDictionaryEntries() and keyword lookup.
const std::vector<DictionaryEntry>& AllEntries() {
  static const std::vector<DictionaryEntry> all = [] {
    std::vector<DictionaryEntry> v(std::begin(kExactEntries), std::end(kExactEntries));
    v.insert(v.end(), std::begin(kRepeatingEntries), std::end(kRepeatingEntries));
    return v;
  }();
  return all;
}

const std::vector<const DictionaryEntry*>& ByKeyword() {
  static const std::vector<const DictionaryEntry*> index = [] {
    std::vector<const DictionaryEntry*> v;
    for (const auto& e : kExactEntries) {
      if (!e.keyword.empty()) v.push_back(&e);
    }
    for (const auto& e : kRepeatingEntries) {
      if (!e.keyword.empty()) v.push_back(&e);
    }
    std::stable_sort(v.begin(), v.end(),
                     [](auto* a, auto* b) { return a->keyword < b->keyword; });
    return v;
  }();
  return index;
}

}  // namespace

const DictionaryEntry* LookupTag(Tag tag) {
  const std::uint32_t value = tag.value();
  auto it = std::lower_bound(std::begin(kExactEntries), std::end(kExactEntries), value,
                             [](const DictionaryEntry& e, std::uint32_t v) { return e.tag < v; });
  if (it != std::end(kExactEntries) && it->tag == value) return &*it;
  if (tag.is_private()) return nullptr;
  for (const auto& e : kRepeatingEntries) {
    if ((value & e.mask) == e.tag) return &e;
  }
  if (tag.is_group_length()) return &kGenericGroupLength;
  return nullptr;
}

const DictionaryEntry* LookupKeyword(std::string_view keyword) {
  const auto& index = ByKeyword();
  auto it = std::lower_bound(index.begin(), index.end(), keyword,
                             [](const DictionaryEntry* e, std::string_view k) {
                               return e->keyword < k;
                             });
  if (it != index.end() && (*it)->keyword == keyword) return *it;
  return nullptr;
}

const UidEntry* LookupUid(std::string_view uid) {
  auto it = std::lower_bound(std::begin(kUidEntries), std::end(kUidEntries), uid,
                             [](const UidEntry& e, std::string_view u) { return e.uid < u; });
  if (it != std::end(kUidEntries) && it->uid == uid) return &*it;
  return nullptr;
}

std::span<const DictionaryEntry> AllDictionaryEntries() { return AllEntries(); }
std::span<const UidEntry> AllUidEntries() { return kUidEntries; }

}  // namespace bastion::dicom

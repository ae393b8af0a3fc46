// Helpers shared by the libFuzzer targets: fuzz-sized limits and invariant checks.
//
// Limits are small enough that no input can make a fuzzer allocate past -rss_limit_mb=2048
// (an OOM report there would be a false positive: the limits are the product's defence and
// are exercised at their real defaults by the unit tests). A broken invariant aborts, which
// libFuzzer reports as a crash with the input saved.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dicom/charset.h"
#include "dicom/data_set.h"
#include "dicom/reader.h"
#include "dicom/vr.h"

namespace bastion::fuzz {

inline dicom::ReadLimits FuzzLimits() {
  dicom::ReadLimits limits;
  limits.max_element_length = 16u << 20;
  limits.max_total_size = 16u << 20;
  limits.max_inflated_size = 16u << 20;
  return limits;
}

// Limits tight enough that ordinary seeds hit every one of them.
inline dicom::ReadLimits TinyLimits() {
  dicom::ReadLimits limits;
  limits.max_element_length = 256;
  limits.max_total_size = 1u << 20;
  limits.max_sequence_depth = 4;
  limits.max_elements = 64;
  limits.max_fragments = 4;
  limits.max_inflated_size = 4096;
  limits.max_inflate_ratio = 4;
  return limits;
}

inline dicom::ReadOptions StrictOptions(const dicom::ReadLimits& limits) {
  dicom::ReadOptions options;
  options.limits = limits;
  return options;
}

inline dicom::ReadOptions LenientOptions(const dicom::ReadLimits& limits) {
  dicom::ReadOptions options = dicom::LenientReadOptions();
  options.limits = limits;
  return options;
}

[[noreturn]] inline void InvariantBroken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "INVARIANT BROKEN: %s: %s\n", what, detail.c_str());
  std::abort();
}

// The data set as the writer keeps it: group length elements (gggg,0000) are dropped on
// writing, by design (they are retired outside group 0002, PS3.5 7.2), at every depth.
inline dicom::DataSet WithoutGroupLengths(const dicom::DataSet& dataset) {
  dicom::DataSet out;
  for (const dicom::Element& element : dataset.elements()) {
    if (element.tag.is_group_length()) continue;
    dicom::Element copy = element;
    for (dicom::DataSet& item : copy.items) item = WithoutGroupLengths(item);
    out.Append(std::move(copy));
  }
  return out;
}

// Where two data sets first differ, as a tag path ("(0040,A730)/0/(0010,0010): value"), for the
// message of a broken round-trip invariant. Empty when equal.
inline std::string FirstDifference(const dicom::DataSet& a, const dicom::DataSet& b) {
  auto tag_name = [](dicom::Tag t) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "(%04X,%04X)", t.group, t.element);
    return std::string(buf);
  };
  auto ea = a.elements();
  auto eb = b.elements();
  for (std::size_t i = 0; i < ea.size() || i < eb.size(); ++i) {
    if (i >= ea.size()) return tag_name(eb[i].tag) + ": only after the round trip";
    if (i >= eb.size()) return tag_name(ea[i].tag) + ": lost in the round trip";
    const dicom::Element& x = ea[i];
    const dicom::Element& y = eb[i];
    std::string here = tag_name(x.tag);
    if (x.tag != y.tag) return here + ": tag became " + tag_name(y.tag);
    if (x.vr != y.vr) {
      return here + ": VR " + std::string(dicom::VrName(x.vr)) + " became " +
             std::string(dicom::VrName(y.vr));
    }
    if (x.encapsulated != y.encapsulated) return here + ": encapsulation changed";
    if (x.fragments.size() != y.fragments.size()) return here + ": fragment count changed";
    auto vx = x.value.view();
    auto vy = y.value.view();
    if (!std::equal(vx.begin(), vx.end(), vy.begin(), vy.end())) {
      return here + ": value of " + std::to_string(vx.size()) + " bytes became " +
             std::to_string(vy.size()) + " bytes";
    }
    if (x.items.size() != y.items.size()) return here + ": item count changed";
    for (std::size_t k = 0; k < x.items.size(); ++k) {
      std::string inner = FirstDifference(x.items[k], y.items[k]);
      if (!inner.empty()) return here + "/" + std::to_string(k) + "/" + inner;
    }
    if (!(x == y)) return here + ": differs (fragments or bulk data URI)";
  }
  return {};
}

// Touches every value (so ASan sees reads of referenced bulk data) and decodes every text
// value through the Specific Character Set in force: the item's own (0008,0005) or, when it
// has none, the enclosing data set's (PS3.5 6.1.2.5.1 via PS3.3 C.12.1.1.2).
inline void Walk(const dicom::DataSet& dataset, const dicom::CharacterSet* inherited = nullptr) {
  volatile std::uint8_t sink = 0;
  Result<dicom::CharacterSet> own = dicom::CharacterSet::FromDataSet(dataset);
  const dicom::CharacterSet* charset = nullptr;
  if (dataset.Contains(dicom::Tag{0x0008, 0x0005}) || inherited == nullptr) {
    charset = own.ok() ? &*own : nullptr;
  } else {
    charset = inherited;
  }
  for (const dicom::Element& element : dataset.elements()) {
    auto bytes = element.value.view();
    if (!bytes.empty()) sink = static_cast<std::uint8_t>(sink ^ bytes.front() ^ bytes.back());
    for (const dicom::ValueBytes& fragment : element.fragments) {
      auto f = fragment.view();
      if (!f.empty()) sink = static_cast<std::uint8_t>(sink ^ f.front() ^ f.back());
    }
    if (charset != nullptr && dicom::UsesSpecificCharacterSet(element.vr)) {
      auto text = charset->Decode(bytes, element.vr);
      if (text.ok() && !text->empty()) sink = static_cast<std::uint8_t>(sink ^ text->back());
    }
    for (const dicom::DataSet& item : element.items) Walk(item, charset);
  }
  (void)sink;
}

}  // namespace bastion::fuzz

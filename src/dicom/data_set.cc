#include "dicom/data_set.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace bastion::dicom {

std::span<const std::uint8_t> ValueBytes::view() const {
  if (const auto* owned = std::get_if<std::vector<std::uint8_t>>(&data_)) return *owned;
  const auto& ref = std::get<BulkRef>(data_);
  if (!ref.source) return {};
  auto all = ref.source->bytes();
  // References are created by the reader after bounds checks; re-check against a source that
  // may have been swapped in by a caller.
  if (ref.offset > all.size() || ref.length > all.size() - ref.offset) return {};
  return all.subspan(static_cast<std::size_t>(ref.offset), static_cast<std::size_t>(ref.length));
}

std::uint64_t ValueBytes::size() const {
  if (const auto* owned = std::get_if<std::vector<std::uint8_t>>(&data_)) return owned->size();
  return std::get<BulkRef>(data_).length;
}

namespace {

bool SameBytes(const ValueBytes& a, const ValueBytes& b) {
  auto x = a.view();
  auto y = b.view();
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
}

}  // namespace

bool operator==(const Element& a, const Element& b) {
  if (a.tag != b.tag || a.vr != b.vr || a.encapsulated != b.encapsulated ||
      a.bulk_data_uri != b.bulk_data_uri || a.items != b.items ||
      a.fragments.size() != b.fragments.size() || !SameBytes(a.value, b.value)) {
    return false;
  }
  for (std::size_t i = 0; i < a.fragments.size(); ++i) {
    if (!SameBytes(a.fragments[i], b.fragments[i])) return false;
  }
  return true;
}

bool operator==(const DataSet& a, const DataSet& b) { return a.elements_ == b.elements_; }

std::size_t DataSet::size() const { return elements_.size(); }
bool DataSet::empty() const { return elements_.empty(); }
std::span<const Element> DataSet::elements() const { return elements_; }
std::span<Element> DataSet::mutable_elements() { return elements_; }

const Element* DataSet::Find(Tag tag) const {
  auto it = std::lower_bound(elements_.begin(), elements_.end(), tag,
                             [](const Element& e, Tag t) { return e.tag < t; });
  return (it != elements_.end() && it->tag == tag) ? &*it : nullptr;
}

Element* DataSet::Find(Tag tag) {
  return const_cast<Element*>(static_cast<const DataSet*>(this)->Find(tag));
}

void DataSet::Insert(Element element) {
  auto it = std::lower_bound(elements_.begin(), elements_.end(), element.tag,
                             [](const Element& e, Tag t) { return e.tag < t; });
  if (it != elements_.end() && it->tag == element.tag) {
    *it = std::move(element);
  } else {
    elements_.insert(it, std::move(element));
  }
}

void DataSet::Append(Element element) {
  if (elements_.empty() || elements_.back().tag < element.tag) {
    elements_.push_back(std::move(element));
  } else {
    Insert(std::move(element));
  }
}

bool DataSet::Remove(Tag tag) {
  auto it = std::lower_bound(elements_.begin(), elements_.end(), tag,
                             [](const Element& e, Tag t) { return e.tag < t; });
  if (it == elements_.end() || it->tag != tag) return false;
  elements_.erase(it);
  return true;
}

std::string_view TrimTrailingPadding(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  return text;
}

namespace {

bool KeepsLeadingSpaces(Vr vr) {
  return vr == Vr::kPN || vr == Vr::kLT || vr == Vr::kST || vr == Vr::kUT || vr == Vr::kUC ||
         vr == Vr::kUR;
}

std::string TrimValue(std::string_view v, Vr vr) {
  v = TrimTrailingPadding(v);
  if (!KeepsLeadingSpaces(vr)) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  }
  return std::string(v);
}

}  // namespace

std::vector<std::string> SplitStringValues(std::string_view text, Vr vr) {
  std::vector<std::string> out;
  if (!IsMultiValuedString(vr)) {
    out.push_back(TrimValue(text, vr));
    return out;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t pos = text.find('\\', start);
    if (pos == std::string_view::npos) {
      out.push_back(TrimValue(text.substr(start), vr));
      break;
    }
    out.push_back(TrimValue(text.substr(start, pos - start), vr));
    start = pos + 1;
  }
  return out;
}

std::optional<std::string> DataSet::GetString(Tag tag) const {
  const Element* e = Find(tag);
  if (e == nullptr || !IsString(e->vr)) return std::nullopt;
  auto bytes = e->value.view();
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return std::string(TrimTrailingPadding(text));
}

std::optional<std::vector<std::string>> DataSet::GetStrings(Tag tag) const {
  const Element* e = Find(tag);
  if (e == nullptr || !IsString(e->vr)) return std::nullopt;
  auto bytes = e->value.view();
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (TrimTrailingPadding(text).empty()) return std::vector<std::string>{};
  return SplitStringValues(text, e->vr);
}

std::optional<std::int64_t> DataSet::GetInt(Tag tag) const {
  const Element* e = Find(tag);
  if (e == nullptr) return std::nullopt;
  auto b = e->value.view();
  auto le = [&](std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    return v;
  };
  switch (e->vr) {
    case Vr::kUS:
      if (b.size() < 2) return std::nullopt;
      return static_cast<std::int64_t>(le(2));
    case Vr::kSS:
      if (b.size() < 2) return std::nullopt;
      return static_cast<std::int16_t>(le(2));
    case Vr::kUL:
      if (b.size() < 4) return std::nullopt;
      return static_cast<std::int64_t>(le(4));
    case Vr::kSL:
      if (b.size() < 4) return std::nullopt;
      return static_cast<std::int32_t>(le(4));
    case Vr::kSV:
    case Vr::kUV:
      if (b.size() < 8) return std::nullopt;
      return static_cast<std::int64_t>(le(8));
    case Vr::kIS: {
      auto values = GetStrings(tag);
      if (!values || values->empty()) return std::nullopt;
      const std::string& s = values->front();
      std::int64_t v = 0;
      const char* first = s.data();
      if (!s.empty() && s[0] == '+') ++first;
      auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
      if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
      return v;
    }
    default:
      return std::nullopt;
  }
}

void DataSet::SetString(Tag tag, Vr vr, std::string_view text) {
  Element e;
  e.tag = tag;
  e.vr = vr;
  e.value = ValueBytes(std::vector<std::uint8_t>(text.begin(), text.end()));
  Insert(std::move(e));
}

void DataSet::SetU16(Tag tag, std::uint16_t value) {
  SetBytes(tag, Vr::kUS,
           {static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8)});
}

void DataSet::SetU32(Tag tag, std::uint32_t value) {
  std::vector<std::uint8_t> b(4);
  for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
  SetBytes(tag, Vr::kUL, std::move(b));
}

void DataSet::SetBytes(Tag tag, Vr vr, std::vector<std::uint8_t> bytes) {
  Element e;
  e.tag = tag;
  e.vr = vr;
  e.value = ValueBytes(std::move(bytes));
  Insert(std::move(e));
}

}  // namespace bastion::dicom

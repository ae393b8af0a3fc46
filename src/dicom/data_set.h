// The DICOM data model: DataSet, Element and their values (PS3.5 section 7).
//
// Values are held little-endian whatever the transfer syntax they were read from. Small values
// are copied; large ones are ValueBytes referencing the ByteSource they were read from (a
// memory-mapped file, an inflated buffer), so a multi-gigabyte instance costs no heap.
// Sequences hold items as nested DataSets; encapsulated pixel data holds its fragments
// (PS3.5 A.4), the first being the Basic Offset Table, unchanged.
// Thread-safety: values; concurrent reads are safe, writes need external synchronisation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/byte_source.h"
#include "dicom/tag.h"
#include "dicom/vr.h"

namespace bastion::dicom {

// A value too large to copy: a window into a shared ByteSource.
struct BulkRef {
  std::shared_ptr<const ByteSource> source;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// The bytes of a value or fragment: owned, or a reference into a ByteSource.
class ValueBytes {
 public:
  ValueBytes() = default;
  explicit ValueBytes(std::vector<std::uint8_t> owned) : data_(std::move(owned)) {}
  explicit ValueBytes(BulkRef ref) : data_(std::move(ref)) {}

  std::span<const std::uint8_t> view() const;
  std::uint64_t size() const;
  bool is_reference() const { return std::holds_alternative<BulkRef>(data_); }

 private:
  std::variant<std::vector<std::uint8_t>, BulkRef> data_;
};

class DataSet;
struct Element;

// An ordered set of elements, unique by tag (PS3.5 7.1).
class DataSet {
 public:
  DataSet() = default;

  std::size_t size() const;
  bool empty() const;
  std::span<const Element> elements() const;
  std::span<Element> mutable_elements();

  const Element* Find(Tag tag) const;
  Element* Find(Tag tag);
  bool Contains(Tag tag) const { return Find(tag) != nullptr; }
  // Inserts or replaces the element with the same tag, keeping tag order.
  void Insert(Element element);
  // Appends an element whose tag is greater than every tag present (reader fast path);
  // falls back to Insert otherwise.
  void Append(Element element);
  bool Remove(Tag tag);

  // --- Typed access to the first value (or all values) of an element. ---
  // Text of a string element with trailing padding (space/NUL) removed. Bytes are returned
  // as stored: decode through charset.h for VRs affected by Specific Character Set.
  std::optional<std::string> GetString(Tag tag) const;
  // Backslash-separated values of a string element, each trimmed per PS3.5 6.2.
  std::optional<std::vector<std::string>> GetStrings(Tag tag) const;
  // First value of US, SS, UL, SL, SV, UV or IS as an integer.
  std::optional<std::int64_t> GetInt(Tag tag) const;

  // Sets a string element (padding to even length is the writer's job).
  void SetString(Tag tag, Vr vr, std::string_view text);
  void SetU16(Tag tag, std::uint16_t value);
  void SetU32(Tag tag, std::uint32_t value);
  void SetBytes(Tag tag, Vr vr, std::vector<std::uint8_t> bytes);

  friend bool operator==(const DataSet& a, const DataSet& b);

 private:
  std::vector<Element> elements_;
};

struct Element {
  Tag tag;
  Vr vr = Vr::kUN;
  ValueBytes value;                 // everything but sequences and encapsulated pixel data
  std::vector<DataSet> items;       // vr == SQ
  bool encapsulated = false;        // pixel data in fragments (PS3.5 A.4)
  std::vector<ValueBytes> fragments;  // encapsulated: [0] is the Basic Offset Table
  std::string bulk_data_uri;        // from DICOM JSON: a URI the value lives at, never fetched
  std::uint64_t source_offset = 0;  // where the element began in its input, for diagnostics

  bool is_sequence() const { return vr == Vr::kSQ; }
  // Value length in bytes as it would be encoded (without padding), 0 for SQ/encapsulated.
  std::uint64_t length() const { return value.size(); }

  friend bool operator==(const Element& a, const Element& b);
};

// Splits a string value at backslashes (PS3.5 6.4) and trims the padding PS3.5 6.2 allows:
// leading and trailing spaces for most VRs, trailing only for LT/ST/UT/UR/PN text.
std::vector<std::string> SplitStringValues(std::string_view text, Vr vr);
// Removes trailing spaces and NULs.
std::string_view TrimTrailingPadding(std::string_view text);

}  // namespace bastion::dicom

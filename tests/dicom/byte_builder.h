// ByteBuilder: a typed builder for DICOM byte streams in tests, well formed or deliberately not.
//
// Each call appends one encoded piece, so a malformed case reads as what it encodes:
//   ByteBuilder b(kExplicitLittle); b.Element(0x0010, 0x0010, "PN", "Doe^John").Raw({0xFF});
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_source.h"

namespace bastion::dicom::testing {

enum class Syntax { kImplicitLittle, kExplicitLittle, kExplicitBig };

class ByteBuilder {
 public:
  explicit ByteBuilder(Syntax syntax = Syntax::kExplicitLittle) : syntax_(syntax) {}

  bool big() const { return syntax_ == Syntax::kExplicitBig; }
  bool explicit_vr() const { return syntax_ != Syntax::kImplicitLittle; }

  ByteBuilder& U16(std::uint16_t v) {
    if (big()) {
      bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
      bytes_.push_back(static_cast<std::uint8_t>(v));
    } else {
      bytes_.push_back(static_cast<std::uint8_t>(v));
      bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
    }
    return *this;
  }
  ByteBuilder& U32(std::uint32_t v) {
    if (big()) {
      U16(static_cast<std::uint16_t>(v >> 16));
      U16(static_cast<std::uint16_t>(v));
    } else {
      U16(static_cast<std::uint16_t>(v));
      U16(static_cast<std::uint16_t>(v >> 16));
    }
    return *this;
  }
  ByteBuilder& Raw(std::initializer_list<std::uint8_t> b) {
    bytes_.insert(bytes_.end(), b);
    return *this;
  }
  ByteBuilder& Text(std::string_view s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  ByteBuilder& Zeros(std::size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }

  // An element header with an explicit length (which may lie).
  ByteBuilder& Header(std::uint16_t g, std::uint16_t e, std::string_view vr, std::uint32_t length) {
    U16(g);
    U16(e);
    if (!explicit_vr() || g == 0xFFFE) {
      U32(length);
      return *this;
    }
    Text(vr);
    static constexpr std::string_view kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                                 "SV", "UC", "UN", "UR", "UT", "UV"};
    bool is_long = false;
    for (auto l : kLong) is_long = is_long || l == vr;
    if (is_long) {
      U16(0);
      U32(length);
    } else {
      U16(static_cast<std::uint16_t>(length));
    }
    return *this;
  }
  // A complete text element, padded to even length with a space.
  ByteBuilder& Element(std::uint16_t g, std::uint16_t e, std::string_view vr, std::string value) {
    if (value.size() % 2) value += (vr == "UI" ? '\0' : ' ');
    Header(g, e, vr, static_cast<std::uint32_t>(value.size()));
    return Text(value);
  }
  ByteBuilder& ElementU16(std::uint16_t g, std::uint16_t e, std::uint16_t v) {
    Header(g, e, "US", 2);
    return U16(v);
  }
  ByteBuilder& SequenceStart(std::uint16_t g, std::uint16_t e) {
    return Header(g, e, "SQ", 0xFFFFFFFF);
  }
  ByteBuilder& ItemStart(std::uint32_t length = 0xFFFFFFFF) {
    return Header(0xFFFE, 0xE000, "", length);
  }
  ByteBuilder& ItemEnd() { return Header(0xFFFE, 0xE00D, "", 0); }
  ByteBuilder& SequenceEnd() { return Header(0xFFFE, 0xE0DD, "", 0); }

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::shared_ptr<const ByteSource> source() const { return OwnedBytes::Make(bytes_); }

 private:
  Syntax syntax_;
  std::vector<std::uint8_t> bytes_;
};

// A Part 10 prefix: preamble, DICM, and a File Meta Information group for `ts_uid`.
inline std::vector<std::uint8_t> Part10Prefix(std::string_view ts_uid,
                                              std::uint8_t preamble_fill = 0) {
  ByteBuilder meta(Syntax::kExplicitLittle);
  meta.Header(0x0002, 0x0001, "OB", 2).Raw({0x00, 0x01});
  meta.Element(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7");
  meta.Element(0x0002, 0x0003, "UI", "1.2.3.4");
  meta.Element(0x0002, 0x0010, "UI", std::string(ts_uid));
  ByteBuilder out(Syntax::kExplicitLittle);
  std::vector<std::uint8_t> result(128, preamble_fill);
  result.insert(result.end(), {'D', 'I', 'C', 'M'});
  out.Header(0x0002, 0x0000, "UL", 4).U32(static_cast<std::uint32_t>(meta.bytes().size()));
  result.insert(result.end(), out.bytes().begin(), out.bytes().end());
  result.insert(result.end(), meta.bytes().begin(), meta.bytes().end());
  return result;
}

}  // namespace bastion::dicom::testing

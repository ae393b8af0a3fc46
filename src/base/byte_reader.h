// ByteReader / ByteWriter: bounds-checked cursor over bytes with explicit endianness.
//
// Every read checks the remaining length first (overflow-safe) and reports failure as a value;
// nothing here can read past the span. Used by every binary decoder (PS3.5 data sets, PS3.8 PDUs).
// Thread-safety: a reader is a cursor; do not share one between threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

namespace bastion {

enum class Endian : std::uint8_t { kLittle, kBig };

class ByteReader {
 public:
  ByteReader(std::span<const std::uint8_t> data, Endian endian, std::uint64_t base_offset = 0)
      : data_(data), endian_(endian), base_offset_(base_offset) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ >= data_.size(); }
  std::size_t position() const { return pos_; }
  // Offset in the original input, for error messages (base_offset + position).
  std::uint64_t absolute_offset() const { return base_offset_ + pos_; }
  Endian endian() const { return endian_; }
  std::span<const std::uint8_t> data() const { return data_; }

  std::optional<std::uint16_t> ReadU16() {
    std::uint8_t b[2];
    if (!ReadInto(b, 2)) return std::nullopt;
    return endian_ == Endian::kLittle ? static_cast<std::uint16_t>(b[0] | (b[1] << 8))
                                      : static_cast<std::uint16_t>((b[0] << 8) | b[1]);
  }
  std::optional<std::uint32_t> ReadU32() {
    std::uint8_t b[4];
    if (!ReadInto(b, 4)) return std::nullopt;
    if (endian_ == Endian::kLittle) {
      return static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
             (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    }
    return (static_cast<std::uint32_t>(b[0]) << 24) | (static_cast<std::uint32_t>(b[1]) << 16) |
           (static_cast<std::uint32_t>(b[2]) << 8) | static_cast<std::uint32_t>(b[3]);
  }
  std::optional<std::uint8_t> ReadU8() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }
  // Returns a view of the next n bytes and advances, or nullopt if fewer remain.
  std::optional<std::span<const std::uint8_t>> ReadSpan(std::uint64_t n) {
    if (n > remaining()) return std::nullopt;
    auto s = data_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  bool Skip(std::uint64_t n) {
    if (n > remaining()) return false;
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  // Looks at the next n bytes without advancing.
  std::optional<std::span<const std::uint8_t>> Peek(std::size_t n) const {
    if (n > remaining()) return std::nullopt;
    return data_.subspan(pos_, n);
  }

 private:
  bool ReadInto(std::uint8_t* out, std::size_t n) {
    if (n > remaining()) return false;
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  Endian endian_;
  std::uint64_t base_offset_;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out, Endian endian) : out_(out), endian_(endian) {}

  void WriteU8(std::uint8_t v) { out_.push_back(v); }
  void WriteU16(std::uint16_t v) {
    if (endian_ == Endian::kLittle) {
      out_.push_back(static_cast<std::uint8_t>(v));
      out_.push_back(static_cast<std::uint8_t>(v >> 8));
    } else {
      out_.push_back(static_cast<std::uint8_t>(v >> 8));
      out_.push_back(static_cast<std::uint8_t>(v));
    }
  }
  void WriteU32(std::uint32_t v) {
    if (endian_ == Endian::kLittle) {
      for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    } else {
      for (int i = 3; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
  void WriteBytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::size_t size() const { return out_.size(); }
  Endian endian() const { return endian_; }

 private:
  std::vector<std::uint8_t>& out_;
  Endian endian_;
};

}  // namespace bastion

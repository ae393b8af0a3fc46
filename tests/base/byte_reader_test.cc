#include "base/byte_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace bastion {
namespace {

TEST(ByteReaderTest, ReadsLittleAndBigEndian) {
  std::vector<std::uint8_t> bytes{0x01, 0x02, 0x03, 0x04};
  ByteReader le(bytes, Endian::kLittle);
  EXPECT_EQ(le.ReadU32(), 0x04030201u);
  ByteReader be(bytes, Endian::kBig);
  EXPECT_EQ(be.ReadU16(), 0x0102u);
  EXPECT_EQ(be.ReadU16(), 0x0304u);
}

TEST(ByteReaderTest, RefusesToReadPastTheEnd) {
  std::vector<std::uint8_t> bytes{0x01, 0x02, 0x03};
  ByteReader r(bytes, Endian::kLittle);
  EXPECT_FALSE(r.ReadU32().has_value());
  EXPECT_EQ(r.position(), 0u);  // a failed read does not move the cursor
  EXPECT_FALSE(r.ReadSpan(4).has_value());
  EXPECT_FALSE(r.Skip(0xFFFFFFFFFFFFFFFFull));
  ASSERT_TRUE(r.ReadSpan(3).has_value());
  EXPECT_TRUE(r.empty());
}

TEST(ByteWriterTest, WritesBothByteOrders) {
  std::vector<std::uint8_t> out;
  ByteWriter le(out, Endian::kLittle);
  le.WriteU16(0x0102);
  ByteWriter be(out, Endian::kBig);
  be.WriteU32(0x01020304);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0x02, 0x01, 0x01, 0x02, 0x03, 0x04}));
}

}  // namespace
}  // namespace bastion

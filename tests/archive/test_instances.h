// Instances for archive and C-STORE tests: a small CT data set with chosen UIDs and pixels,
// its explicit VR little endian encoding, and malformed tails built with ByteBuilder.
#pragma once

#include <zlib.h>

#include <string>
#include <vector>

#include "dicom/byte_builder.h"
#include "dicom/tag.h"
#include "dicom/writer.h"

namespace bastion::archive::testing {

using Bytes = std::vector<std::uint8_t>;

inline constexpr const char* kCtImage = "1.2.840.10008.5.1.4.1.1.2";
inline constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";
inline constexpr const char* kDeflated = "1.2.840.10008.1.2.1.99";

inline dicom::DataSet Instance(const std::string& sop, std::uint8_t pixel = 1,
                               const std::string& study = "1.2.826.0.1.1",
                               std::size_t pixel_bytes = 8192) {
  using dicom::Tag;
  using dicom::Vr;
  dicom::DataSet ds;
  ds.SetString(Tag{0x0008, 0x0016}, Vr::kUI, kCtImage);
  ds.SetString(Tag{0x0008, 0x0018}, Vr::kUI, sop);
  ds.SetString(Tag{0x0008, 0x0060}, Vr::kCS, "CT");
  ds.SetString(Tag{0x0010, 0x0010}, Vr::kPN, "Doe^Jane");
  ds.SetString(Tag{0x0010, 0x0020}, Vr::kLO, "PID-1");
  ds.SetString(Tag{0x0020, 0x000D}, Vr::kUI, study);
  ds.SetString(Tag{0x0020, 0x000E}, Vr::kUI, study + ".1");
  if (pixel_bytes != 0) ds.SetBytes(Tag{0x7FE0, 0x0010}, Vr::kOW, Bytes(pixel_bytes, pixel));
  return ds;
}

inline Bytes Encode(const dicom::DataSet& ds) {
  return *dicom::EncodeDataSet(ds, dicom::ExplicitVrLittleEndian(),
                               dicom::ExplicitVrLittleEndian());
}

// `head` followed by what `tail` builds (explicit VR little endian).
inline Bytes Append(Bytes head, const dicom::testing::ByteBuilder& tail) {
  head.insert(head.end(), tail.bytes().begin(), tail.bytes().end());
  return head;
}

inline dicom::testing::ByteBuilder Explicit() {
  return dicom::testing::ByteBuilder(dicom::testing::Syntax::kExplicitLittle);
}

// Raw deflate (RFC 1951, as the Deflated Explicit VR Little Endian syntax uses) of `head`
// followed by `zeros` zero bytes, streamed so that a bomb costs no memory to build.
inline Bytes DeflateWithZeros(const Bytes& head, std::uint64_t zeros) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&z, head.size()) + zeros / 500 + 4096);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  z.next_in = const_cast<std::uint8_t*>(head.data());
  z.avail_in = static_cast<uInt>(head.size());
  deflate(&z, Z_NO_FLUSH);
  const Bytes chunk(1 << 20, 0);
  while (zeros > 0) {
    const auto n = static_cast<uInt>(std::min<std::uint64_t>(zeros, chunk.size()));
    z.next_in = const_cast<std::uint8_t*>(chunk.data());
    z.avail_in = n;
    deflate(&z, Z_NO_FLUSH);
    zeros -= n;
  }
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace bastion::archive::testing

// Transfer syntax conversion of stored instances (archive/transfer_syntax_conversion.h): round
// trips between the uncompressed syntaxes with byte-identical element values, deflate, the
// Part 10 form with its rewritten File Meta Information, what is refused and the memory limit.
#include "archive/transfer_syntax_conversion.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "archive/test_instances.h"
#include "dicom/reader.h"
#include "dicom/writer.h"

namespace bastion::archive {
namespace {

namespace fs = std::filesystem;
namespace ts_uid = dicom::transfer_syntax;
using dicom::Tag;
using dicom::Vr;
using testing::Bytes;

constexpr std::string_view kJpegBaseline = "1.2.840.10008.1.2.4.50";
constexpr std::string_view kJpegLsLossless = "1.2.840.10008.1.2.4.80";

// A data set with text, binary values of several VRs, a sequence and pixel data, so that a
// conversion that swaps the wrong values or drops VRs shows.
dicom::DataSet RichInstance() {
  dicom::DataSet ds = testing::Instance("1.2.3.4.5", 7, "1.2.826.0.1.1", 4096);
  ds.SetU16(Tag{0x0028, 0x0010}, 32);  // Rows (US)
  ds.SetU16(Tag{0x0028, 0x0011}, 64);  // Columns (US)
  ds.SetString(Tag{0x0020, 0x0013}, Vr::kIS, "12");
  ds.SetString(Tag{0x0008, 0x1030}, Vr::kLO, "Round trip");
  Bytes ramp(4096);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<std::uint8_t>(i * 7);
  ds.SetBytes(Tag{0x7FE0, 0x0010}, Vr::kOW, ramp);  // not symmetric under a byte swap
  dicom::Element seq;
  seq.tag = Tag{0x0008, 0x1140};  // Referenced Image Sequence
  seq.vr = Vr::kSQ;
  dicom::DataSet item;
  item.SetString(Tag{0x0008, 0x1150}, Vr::kUI, "1.2.840.10008.5.1.4.1.1.2");
  item.SetString(Tag{0x0008, 0x1155}, Vr::kUI, "1.2.3.4.6");
  seq.items.push_back(item);
  ds.Insert(std::move(seq));
  return ds;
}

class ConversionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bastion-conversion-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `ds` written as a Part 10 file in `ts`, mapped as the archive maps stored files.
  Archive::StoredObject Stored(const dicom::DataSet& ds, std::string_view ts) {
    const auto syntax = dicom::FindTransferSyntax(ts);
    EXPECT_TRUE(syntax.has_value());
    auto meta = dicom::BuildFileMeta(ds, *syntax);
    EXPECT_TRUE(meta.ok());
    dicom::VectorSink sink;
    EXPECT_TRUE(dicom::WritePart10(*meta, ds, dicom::ExplicitVrLittleEndian(), sink).ok());
    const fs::path path = dir_ / ("f" + std::to_string(++files_));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(sink.out.data()),
               static_cast<std::streamsize>(sink.out.size()));
    auto file = MappedFile::Open(path.string());
    EXPECT_TRUE(file.ok());
    auto offset = dicom::FindDataSetOffset((*file)->bytes());
    EXPECT_TRUE(offset.ok());
    return {*file, (*file)->bytes().subspan(static_cast<std::size_t>(*offset))};
  }

  // `bytes` (a data set in `ts`) stored as a bare object, as OpenStored returns the data set.
  Archive::StoredObject StoredBytes(Bytes bytes) {
    held_.push_back(std::move(bytes));
    return {nullptr, held_.back()};
  }

  static dicom::DataSet Read(const Bytes& bytes, std::string_view ts) {
    auto read =
        dicom::ReadDataSet(std::make_shared<VectorSource>(bytes), *dicom::FindTransferSyntax(ts));
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return read.ok() ? std::move(read->dataset) : dicom::DataSet{};
  }

  // Every element of `a` is in `b` with the same VR and value bytes, and the other way round.
  static void ExpectSameValues(const dicom::DataSet& a, const dicom::DataSet& b) {
    ASSERT_EQ(a.elements().size(), b.elements().size());
    for (const dicom::Element& e : a.elements()) {
      SCOPED_TRACE(e.tag.ToString());
      const dicom::Element* other = b.Find(e.tag);
      ASSERT_NE(other, nullptr);
      EXPECT_EQ(other->vr, e.vr);
      const auto x = e.value.view();
      const auto y = other->value.view();
      EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end()));
      ASSERT_EQ(other->items.size(), e.items.size());
      for (std::size_t i = 0; i < e.items.size(); ++i)
        ExpectSameValues(e.items[i], other->items[i]);
    }
  }

  class VectorSource final : public ByteSource {
   public:
    explicit VectorSource(Bytes bytes) : bytes_(std::move(bytes)) {}
    std::span<const std::uint8_t> bytes() const override { return bytes_; }

   private:
    Bytes bytes_;
  };

  fs::path dir_;
  int files_ = 0;
  std::vector<Bytes> held_;
};

TEST_F(ConversionTest, ConvertsOnlyBetweenTheUncompressedSyntaxes) {
  EXPECT_TRUE(IsConvertible(ts_uid::kImplicitVrLittleEndian));
  EXPECT_TRUE(IsConvertible(ts_uid::kExplicitVrLittleEndian));
  EXPECT_TRUE(IsConvertible(ts_uid::kExplicitVrBigEndian));
  EXPECT_TRUE(IsConvertible(ts_uid::kDeflatedExplicitVrLittleEndian));
  EXPECT_FALSE(IsConvertible(kJpegBaseline));
  EXPECT_EQ(ConvertibleTransferSyntaxes().front(), ts_uid::kExplicitVrLittleEndian);
  EXPECT_TRUE(CanConvert(kJpegBaseline, kJpegBaseline));
  EXPECT_FALSE(CanConvert(kJpegBaseline, ts_uid::kExplicitVrLittleEndian));
  EXPECT_FALSE(CanConvert(ts_uid::kExplicitVrLittleEndian, kJpegBaseline));
  EXPECT_TRUE(MayBeLossy(kJpegBaseline));
  EXPECT_FALSE(MayBeLossy(kJpegLsLossless));
  EXPECT_FALSE(MayBeLossy(ts_uid::kExplicitVrLittleEndian));
}

TEST_F(ConversionTest, ImplicitToExplicitToBigEndianAndBackKeepsEveryValue) {
  const Archive::StoredObject implicit = Stored(RichInstance(), ts_uid::kImplicitVrLittleEndian);
  auto explicit_le =
      ConvertDataSet(implicit, ts_uid::kImplicitVrLittleEndian, ts_uid::kExplicitVrLittleEndian);
  ASSERT_TRUE(explicit_le.ok()) << explicit_le.status().ToString();
  auto big = ConvertDataSet(StoredBytes(*explicit_le), ts_uid::kExplicitVrLittleEndian,
                            ts_uid::kExplicitVrBigEndian);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_NE(*big, *explicit_le);  // byte order changed
  auto back = ConvertDataSet(StoredBytes(*big), ts_uid::kExplicitVrBigEndian,
                             ts_uid::kImplicitVrLittleEndian);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  // Back where it started, byte for byte, and every value as the original has it.
  const Bytes stored(implicit.data_set.begin(), implicit.data_set.end());
  EXPECT_EQ(*back, stored);
  // The values as stored (padded to even lengths), in every form.
  const dicom::DataSet reference = Read(stored, ts_uid::kImplicitVrLittleEndian);
  ASSERT_EQ(reference.GetString(Tag{0x0008, 0x1030}), "Round trip");
  ExpectSameValues(Read(*explicit_le, ts_uid::kExplicitVrLittleEndian), reference);
  ExpectSameValues(Read(*big, ts_uid::kExplicitVrBigEndian), reference);
}

TEST_F(ConversionTest, DeflatedRoundTripsThroughExplicitLittleEndian) {
  const Archive::StoredObject explicit_le = Stored(RichInstance(), ts_uid::kExplicitVrLittleEndian);
  auto deflated = ConvertDataSet(explicit_le, ts_uid::kExplicitVrLittleEndian,
                                 ts_uid::kDeflatedExplicitVrLittleEndian);
  ASSERT_TRUE(deflated.ok()) << deflated.status().ToString();
  EXPECT_LT(deflated->size(), explicit_le.data_set.size());
  auto inflated = ConvertDataSet(StoredBytes(*deflated), ts_uid::kDeflatedExplicitVrLittleEndian,
                                 ts_uid::kExplicitVrLittleEndian);
  ASSERT_TRUE(inflated.ok()) << inflated.status().ToString();
  const Bytes stored(explicit_le.data_set.begin(), explicit_le.data_set.end());
  EXPECT_EQ(*inflated, stored);
  ExpectSameValues(Read(*deflated, ts_uid::kDeflatedExplicitVrLittleEndian),
                   Read(stored, ts_uid::kExplicitVrLittleEndian));
}

TEST_F(ConversionTest, TheSameSyntaxReencodesToTheSameBytes) {
  const Archive::StoredObject stored = Stored(RichInstance(), ts_uid::kExplicitVrLittleEndian);
  auto same =
      ConvertDataSet(stored, ts_uid::kExplicitVrLittleEndian, ts_uid::kExplicitVrLittleEndian);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, Bytes(stored.data_set.begin(), stored.data_set.end()));
}

TEST_F(ConversionTest, Part10KeepsTheFileMetaAndNamesTheNewSyntax) {
  const Archive::StoredObject stored = Stored(RichInstance(), ts_uid::kExplicitVrLittleEndian);
  auto file =
      ConvertPart10(stored, ts_uid::kExplicitVrLittleEndian, ts_uid::kImplicitVrLittleEndian);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto read = dicom::ReadPart10(std::make_shared<VectorSource>(*file));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->transfer_syntax.uid, ts_uid::kImplicitVrLittleEndian);
  EXPECT_EQ(read->meta.GetString(Tag{0x0002, 0x0010}),
            std::string(ts_uid::kImplicitVrLittleEndian));
  EXPECT_EQ(read->meta.GetString(Tag{0x0002, 0x0003}), "1.2.3.4.5");  // the rest kept
  EXPECT_EQ(read->meta.GetString(Tag{0x0002, 0x0002}), std::string(testing::kCtImage));
  EXPECT_TRUE(dicom::PreambleIsZero(read->preamble));
  ExpectSameValues(read->dataset, Read(Bytes(stored.data_set.begin(), stored.data_set.end()),
                                       ts_uid::kExplicitVrLittleEndian));
}

TEST_F(ConversionTest, CompressedSyntaxesAreNotConverted) {
  const Archive::StoredObject stored = Stored(RichInstance(), ts_uid::kExplicitVrLittleEndian);
  EXPECT_EQ(ConvertDataSet(stored, ts_uid::kExplicitVrLittleEndian, kJpegBaseline).status().code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(ConvertPart10(stored, kJpegBaseline, ts_uid::kExplicitVrLittleEndian).status().code(),
            StatusCode::kUnsupported);
}

TEST_F(ConversionTest, ADataSetOverTheLimitIsRefusedBeforeItIsRead) {
  const Archive::StoredObject stored = Stored(RichInstance(), ts_uid::kExplicitVrLittleEndian);
  ConversionLimits limits;
  limits.max_data_set_bytes = stored.data_set.size() - 1;
  auto refused = ConvertDataSet(stored, ts_uid::kExplicitVrLittleEndian,
                                ts_uid::kImplicitVrLittleEndian, limits);
  EXPECT_EQ(refused.status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(ConvertPart10(stored, ts_uid::kExplicitVrLittleEndian, ts_uid::kImplicitVrLittleEndian,
                          limits)
                .status()
                .code(),
            StatusCode::kLimitExceeded);
  limits.max_data_set_bytes = stored.data_set.size();
  EXPECT_TRUE(ConvertDataSet(stored, ts_uid::kExplicitVrLittleEndian,
                             ts_uid::kImplicitVrLittleEndian, limits)
                  .ok());
}

TEST_F(ConversionTest, ADeflatedDataSetMayNotInflatePastTheLimit) {
  // 4 KiB deflated, 8 MiB inflated: small as stored, too large to hold under a 1 MiB limit.
  Bytes big_pixels = testing::Encode(testing::Instance("1.2.3.9", 0, "1.2.826.0.1.1", 8 << 20));
  auto deflated = ConvertDataSet(StoredBytes(big_pixels), ts_uid::kExplicitVrLittleEndian,
                                 ts_uid::kDeflatedExplicitVrLittleEndian);
  ASSERT_TRUE(deflated.ok());
  ASSERT_LT(deflated->size(), 1u << 20);
  ConversionLimits limits;
  limits.max_data_set_bytes = 1 << 20;
  auto refused = ConvertDataSet(StoredBytes(*deflated), ts_uid::kDeflatedExplicitVrLittleEndian,
                                ts_uid::kExplicitVrLittleEndian, limits);
  EXPECT_EQ(refused.status().code(), StatusCode::kLimitExceeded) << refused.status().ToString();
}

TEST_F(ConversionTest, AMalformedStoredDataSetIsAnErrorNotACrash) {
  Bytes broken = testing::Encode(RichInstance());
  broken.resize(broken.size() / 2);
  auto result = ConvertDataSet(StoredBytes(broken), ts_uid::kExplicitVrLittleEndian,
                               ts_uid::kImplicitVrLittleEndian);
  EXPECT_FALSE(result.ok());
}

}  // namespace
}  // namespace bastion::archive

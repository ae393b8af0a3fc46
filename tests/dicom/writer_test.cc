#include "dicom/writer.h"

#include <gtest/gtest.h>

#include "dicom/reader.h"

namespace bastion::dicom {
namespace {

DataSet SampleDataSet() {
  DataSet ds;
  ds.SetString(tags::kSpecificCharacterSet, Vr::kCS, "ISO_IR 100");
  // UIDs padded with NUL to even length, as a writer must (PS3.5 9.1).
  ds.SetString(tags::kSopClassUid, Vr::kUI, std::string("1.2.840.10008.5.1.4.1.1.2\0", 26));
  ds.SetString(tags::kSopInstanceUid, Vr::kUI, "1.2.3.4.56");
  ds.SetString(Tag(0x0010, 0x0010), Vr::kPN, "M\xFCller^Anna");  // odd length: padded
  ds.SetU16(Tag(0x0028, 0x0010), 2);
  ds.SetU32(Tag(0x0008, 0x1161), 0x01020304);
  ds.SetBytes(Tag(0x0028, 0x1052), Vr::kDS, {'-', '1', '0', '0'});
  ds.SetBytes(Tag(0x0018, 0x9087), Vr::kFD, {0, 0, 0, 0, 0, 0, 0xF0, 0x3F});  // 1.0
  ds.SetBytes(Tag(0x0020, 0x5000), Vr::kAT, {0x10, 0x00, 0x20, 0x00});
  Element seq;
  seq.tag = Tag(0x0008, 0x1140);
  seq.vr = Vr::kSQ;
  DataSet item;
  item.SetString(Tag(0x0008, 0x1150), Vr::kUI, "1.2.840.10008.5.1.4.1.1.20");
  seq.items.push_back(item);
  seq.items.emplace_back();  // an empty item
  ds.Insert(seq);
  std::vector<std::uint8_t> pixels(2 * 2 * 2);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i);
  ds.SetBytes(tags::kPixelData, Vr::kOW, pixels);
  return ds;
}

// After a write the odd-length PN value carries its padding space; compare modulo padding.
DataSet Padded(DataSet ds) {
  ds.SetString(Tag(0x0010, 0x0010), Vr::kPN, "M\xFCller^Anna ");
  return ds;
}

class WriterConversionTest : public ::testing::TestWithParam<const TransferSyntax*> {};

TEST_P(WriterConversionTest, RoundTripsThroughEveryNativeTransferSyntax) {
  const TransferSyntax& ts = *GetParam();
  DataSet original = SampleDataSet();
  auto meta = BuildFileMeta(original, ts);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  VectorSink sink;
  ASSERT_TRUE(WritePart10(*meta, original, ExplicitVrLittleEndian(), sink).ok());
  auto read = ReadPart10(OwnedBytes::Make(sink.out));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->transfer_syntax.uid, ts.uid);
  EXPECT_TRUE(read->dataset == Padded(original));
  EXPECT_EQ(read->dataset.GetInt(Tag(0x0008, 0x1161)), 0x01020304);
}

INSTANTIATE_TEST_SUITE_P(NativeSyntaxes, WriterConversionTest,
                         ::testing::Values(&ImplicitVrLittleEndian(), &ExplicitVrLittleEndian(),
                                           &ExplicitVrBigEndian(),
                                           &DeflatedExplicitVrLittleEndian()));

TEST(WriterTest, AlwaysWritesAZeroPreambleAndACorrectGroupLength) {
  DataSet ds = SampleDataSet();
  auto meta =
      BuildFileMeta(ds, ExplicitVrLittleEndian(),
                    {.sop_class_uid = "", .sop_instance_uid = "", .source_ae_title = "MODALITY1"});
  ASSERT_TRUE(meta.ok());
  VectorSink sink;
  ASSERT_TRUE(WritePart10(*meta, ds, ExplicitVrLittleEndian(), sink).ok());
  for (int i = 0; i < 128; ++i) ASSERT_EQ(sink.out[static_cast<std::size_t>(i)], 0) << i;
  EXPECT_EQ(std::string(sink.out.begin() + 128, sink.out.begin() + 132), "DICM");
  auto read = ReadPart10(OwnedBytes::Make(sink.out));  // strict: checks the group length
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->meta.GetString(tags::kImplementationClassUid), kImplementationClassUid);
  EXPECT_EQ(read->meta.GetString(tags::kSourceApplicationEntityTitle), "MODALITY1");
}

TEST(WriterTest, ReplacesAnExecutablePreambleWithZeros) {
  DataSet ds = SampleDataSet();
  auto meta = BuildFileMeta(ds, ExplicitVrLittleEndian());
  ASSERT_TRUE(meta.ok());
  VectorSink first;
  ASSERT_TRUE(WritePart10(*meta, ds, ExplicitVrLittleEndian(), first).ok());
  first.out[0] = 'M';
  first.out[1] = 'Z';
  auto read = ReadPart10(OwnedBytes::Make(first.out));
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(PreambleIsZero(read->preamble));
  VectorSink second;
  ASSERT_TRUE(WritePart10(read->meta, read->dataset, read->transfer_syntax, second).ok());
  EXPECT_EQ(second.out[0], 0);
  EXPECT_EQ(second.out[1], 0);
}

TEST(WriterTest, RefusesToDecompressEncapsulatedPixelData) {
  DataSet ds = SampleDataSet();
  Element px;
  px.tag = tags::kPixelData;
  px.vr = Vr::kOB;
  px.encapsulated = true;
  px.fragments.emplace_back(std::vector<std::uint8_t>{});
  px.fragments.emplace_back(std::vector<std::uint8_t>{0xFF, 0xD8});
  ds.Insert(px);
  auto jpeg = FindTransferSyntax("1.2.840.10008.1.2.4.50");
  ASSERT_TRUE(jpeg.has_value());
  auto to_native = EncodeDataSet(ds, ExplicitVrLittleEndian(), *jpeg);
  ASSERT_FALSE(to_native.ok());
  EXPECT_EQ(to_native.status().code(), StatusCode::kUnsupported);
  auto same = EncodeDataSet(ds, *jpeg, *jpeg);
  ASSERT_TRUE(same.ok());
  auto back = ReadDataSet(OwnedBytes::Make(*same), *jpeg);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->dataset.Find(tags::kPixelData)->fragments.size(), 2u);
}

TEST(WriterTest, RefusesUnresolvedBulkDataUris) {
  DataSet ds;
  Element e;
  e.tag = tags::kPixelData;
  e.vr = Vr::kOW;
  e.bulk_data_uri = "https://example.invalid/bulk";
  ds.Insert(e);
  auto r = EncodeDataSet(ds, ExplicitVrLittleEndian(), ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("BulkDataURI"), std::string::npos);
}

TEST(WriterTest, FileMetaNeedsSopUids) {
  DataSet ds;
  auto meta = BuildFileMeta(ds, ExplicitVrLittleEndian());
  ASSERT_FALSE(meta.ok());
  EXPECT_NE(meta.status().message().find("(0008,0018)"), std::string::npos);
}

TEST(DataSetTest, KeepsElementsSortedAndUnique) {
  DataSet ds;
  ds.SetString(Tag(0x0010, 0x0020), Vr::kLO, "B");
  ds.SetString(Tag(0x0010, 0x0010), Vr::kPN, "A");
  ds.SetString(Tag(0x0010, 0x0020), Vr::kLO, "C");
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.elements()[0].tag, Tag(0x0010, 0x0010));
  EXPECT_EQ(ds.GetString(Tag(0x0010, 0x0020)), "C");
  EXPECT_TRUE(ds.Remove(Tag(0x0010, 0x0010)));
  EXPECT_FALSE(ds.Remove(Tag(0x0010, 0x0010)));
}

TEST(DataSetTest, SplitsAndTrimsMultipleValues) {
  DataSet ds;
  ds.SetString(Tag(0x0008, 0x0008), Vr::kCS, "ORIGINAL\\ PRIMARY \\AXIAL ");
  auto values = ds.GetStrings(Tag(0x0008, 0x0008));
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values, (std::vector<std::string>{"ORIGINAL", "PRIMARY", "AXIAL"}));
  ds.SetString(Tag(0x0020, 0x0013), Vr::kIS, " +42 ");
  EXPECT_EQ(ds.GetInt(Tag(0x0020, 0x0013)), 42);
  ds.SetString(Tag(0x0020, 0x0012), Vr::kIS, "4x");
  EXPECT_FALSE(ds.GetInt(Tag(0x0020, 0x0012)).has_value());
}

}  // namespace
}  // namespace bastion::dicom

#include "dicom/reader.h"

#include <gtest/gtest.h>

#include "dicom/byte_builder.h"
#include "dicom/dictionary.h"
#include "dicom/writer.h"

namespace bastion::dicom {
namespace {

using testing::ByteBuilder;
using testing::Part10Prefix;
using testing::Syntax;

Result<ReadDataSetResult> Read(const ByteBuilder& b, const TransferSyntax& ts,
                               ReadOptions options = {}) {
  return ReadDataSet(b.source(), ts, options);
}

std::shared_ptr<const ByteSource> Concat(std::vector<std::uint8_t> a, const ByteBuilder& b) {
  a.insert(a.end(), b.bytes().begin(), b.bytes().end());
  return OwnedBytes::Make(std::move(a));
}

TEST(ReaderTest, ReadsExplicitLittleEndianElements) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Element(0x0008, 0x0060, "CS", "CT").Element(0x0010, 0x0010, "PN", "Doe^Jane");
  b.ElementU16(0x0028, 0x0010, 512);
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dataset.size(), 3u);
  EXPECT_EQ(r->dataset.GetString(Tag(0x0010, 0x0010)), "Doe^Jane");
  EXPECT_EQ(r->dataset.GetInt(Tag(0x0028, 0x0010)), 512);
}

TEST(ReaderTest, ReadsImplicitVrUsingTheDictionary) {
  ByteBuilder b(Syntax::kImplicitLittle);
  b.Element(0x0010, 0x0020, "", "ID1");
  b.Header(0x0028, 0x0011, "", 2).U16(256);
  b.Header(0x0029, 0x1010, "", 2).U16(7);  // private: unknown VR
  auto r = Read(b, ImplicitVrLittleEndian());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dataset.Find(Tag(0x0010, 0x0020))->vr, Vr::kLO);
  EXPECT_EQ(r->dataset.GetInt(Tag(0x0028, 0x0011)), 256);
  EXPECT_EQ(r->dataset.Find(Tag(0x0029, 0x1010))->vr, Vr::kUN);
}

TEST(ReaderTest, SwapsBigEndianBinaryValuesToLittleEndian) {
  ByteBuilder b(Syntax::kExplicitBig);
  b.ElementU16(0x0028, 0x0010, 0x0102);
  b.Header(0x0028, 0x1050, "DS", 4).Text("40.5");
  auto r = Read(b, ExplicitVrBigEndian());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dataset.GetInt(Tag(0x0028, 0x0010)), 0x0102);
  EXPECT_EQ(r->dataset.GetString(Tag(0x0028, 0x1050)), "40.5");
}

TEST(ReaderTest, ReadsNestedSequencesOfDefinedAndUndefinedLength) {
  ByteBuilder inner(Syntax::kExplicitLittle);
  inner.Element(0x0008, 0x1150, "UI", "1.2.3");
  ByteBuilder b(Syntax::kExplicitLittle);
  b.SequenceStart(0x0008, 0x1140).ItemStart();
  b.Element(0x0008, 0x1150, "UI", "1.2.840.10008.5.1.4.1.1.2");
  b.ItemEnd().ItemStart(static_cast<std::uint32_t>(inner.bytes().size()));
  for (auto byte : inner.bytes()) b.Raw({byte});
  b.SequenceEnd();
  b.Element(0x0010, 0x0010, "PN", "X");
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Element* seq = r->dataset.Find(Tag(0x0008, 0x1140));
  ASSERT_NE(seq, nullptr);
  ASSERT_EQ(seq->items.size(), 2u);
  EXPECT_EQ(seq->items[1].GetString(Tag(0x0008, 0x1150)), "1.2.3");
  EXPECT_TRUE(r->dataset.Contains(Tag(0x0010, 0x0010)));
}

TEST(ReaderTest, ReadsUnOfUndefinedLengthAsImplicitSequence) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x0009, 0x1010, "UN", 0xFFFFFFFF);
  b.Raw({0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF});            // item, undefined length
  b.Raw({0x10, 0x00, 0x20, 0x00, 0x02, 0x00, 0x00, 0x00, 'A', 'B'});  // implicit (0010,0020)
  b.Raw({0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0});
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Element* seq = r->dataset.Find(Tag(0x0009, 0x1010));
  ASSERT_NE(seq, nullptr);
  EXPECT_EQ(seq->vr, Vr::kSQ);
  ASSERT_EQ(seq->items.size(), 1u);
  EXPECT_EQ(seq->items[0].GetString(Tag(0x0010, 0x0020)), "AB");
}

TEST(ReaderTest, KeepsEncapsulatedFragmentsUnchanged) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x7FE0, 0x0010, "OB", 0xFFFFFFFF);
  b.ItemStart(4).U32(0);                         // Basic Offset Table
  b.ItemStart(4).Raw({0xFF, 0xD8, 0xFF, 0xD9});  // fragment
  b.SequenceEnd();
  auto ts = FindTransferSyntax("1.2.840.10008.1.2.4.50");
  ASSERT_TRUE(ts.has_value());
  auto r = Read(b, *ts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Element* px = r->dataset.Find(tags::kPixelData);
  ASSERT_NE(px, nullptr);
  EXPECT_TRUE(px->encapsulated);
  ASSERT_EQ(px->fragments.size(), 2u);
  EXPECT_EQ(px->fragments[1].view()[1], 0xD8);
}

TEST(ReaderTest, ReferencesLargeValuesInsteadOfCopying) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x7FE0, 0x0010, "OW", 8192).Zeros(8192);
  ReadOptions options;
  options.bulk_threshold = 4096;
  auto src = b.source();
  auto r = ReadDataSet(src, ExplicitVrLittleEndian(), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Element* px = r->dataset.Find(tags::kPixelData);
  ASSERT_NE(px, nullptr);
  EXPECT_TRUE(px->value.is_reference());
  EXPECT_EQ(px->value.view().data(), src->bytes().data() + 12);
}

TEST(ReaderTest, StopsBeforeTheRequestedTag) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Element(0x0010, 0x0010, "PN", "A").Header(0x7FE0, 0x0010, "OW", 4).U32(1);
  ReadOptions options;
  options.stop_before = tags::kPixelData;
  auto r = Read(b, ExplicitVrLittleEndian(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->dataset.Contains(tags::kPixelData));
}

// ---- hostile input: each case names what it defends against ----

TEST(ReaderHostileTest, RejectsLengthBeyondTheInputWithPathAndOffset) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Element(0x0008, 0x0060, "CS", "CT").Header(0x0010, 0x0010, "PN", 0xFFF0).Text("AB");
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_NE(r.status().message().find("(0010,0010)"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("offset 0xA"), std::string::npos) << r.status().message();
}

TEST(ReaderHostileTest, RejectsHugeDeclaredLengthAboveTheLimitBeforeAllocating) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x7FE0, 0x0010, "OB", 0xFFFFFFF0).Zeros(16);
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
}

TEST(ReaderHostileTest, RejectsUndefinedLengthOnAPlainElement) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x0010, 0x0010, "UT", 0xFFFFFFFF).Zeros(8);
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("undefined length"), std::string::npos);
}

TEST(ReaderHostileTest, RejectsDelimiterWithNonZeroLength) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.SequenceStart(0x0008, 0x1140).ItemStart().Header(0xFFFE, 0xE00D, "", 4).Zeros(4);
  b.SequenceEnd();
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("non-zero length"), std::string::npos);
}

TEST(ReaderHostileTest, RejectsMissingSequenceDelimiter) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.SequenceStart(0x0008, 0x1140).ItemStart().Element(0x0008, 0x1150, "UI", "1.2").ItemEnd();
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
}

TEST(ReaderHostileTest, RejectsNestingDeeperThanTheLimit) {
  ByteBuilder b(Syntax::kExplicitLittle);
  const int depth = 2000;  // the DCMTK stack overflow took ~1,060 levels
  for (int i = 0; i < depth; ++i) b.SequenceStart(0x0008, 0x1140).ItemStart();
  for (int i = 0; i < depth; ++i) b.ItemEnd().SequenceEnd();
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(r.status().message().find("nested deeper than 32"), std::string::npos);
  EXPECT_NE(r.status().message().find("(0008,1140)[0]/(0008,1140)"), std::string::npos);
}

TEST(ReaderHostileTest, RejectsMoreElementsThanTheLimit) {
  ByteBuilder b(Syntax::kExplicitLittle);
  for (std::uint16_t e = 1; e <= 20; ++e)
    b.ElementU16(0x0009, static_cast<std::uint16_t>(0x1000 + e), e);
  ReadOptions options;
  options.limits.max_elements = 10;
  auto r = Read(b, ExplicitVrLittleEndian(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
}

TEST(ReaderHostileTest, RejectsInvalidVrUnlessLenient) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.U16(0x0010).U16(0x0020).Raw({'?', '?'}).U16(2).Text("AB");
  auto strict = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("invalid VR '\?\?'"), std::string::npos);
}

TEST(ReaderHostileTest, RejectsOddLengthsUnlessLenient) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x0010, 0x0010, "PN", 3).Text("ABC");
  EXPECT_FALSE(Read(b, ExplicitVrLittleEndian()).ok());
  auto lenient = Read(b, ExplicitVrLittleEndian(), LenientReadOptions());
  ASSERT_TRUE(lenient.ok());
  ASSERT_EQ(lenient->warnings.size(), 1u);
  EXPECT_NE(lenient->warnings[0].find("odd value length"), std::string::npos);
}

TEST(ReaderHostileTest, RejectsTagsOutOfOrder) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Element(0x0010, 0x0020, "LO", "B").Element(0x0010, 0x0010, "PN", "A");
  EXPECT_FALSE(Read(b, ExplicitVrLittleEndian()).ok());
}

TEST(ReaderHostileTest, RejectsItemLengthOverrunningItsSequence) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x0008, 0x1140, "SQ", 8).ItemStart(100);
  auto r = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("item length 100"), std::string::npos);
}

TEST(ReaderHostileTest, RejectsFragmentOfUndefinedLength) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x7FE0, 0x0010, "OB", 0xFFFFFFFF).ItemStart(0).ItemStart().SequenceEnd();
  auto r = Read(b, *FindTransferSyntax("1.2.840.10008.1.2.4.50"));
  EXPECT_FALSE(r.ok());
}

TEST(ReaderHostileTest, RejectsTruncationAtEveryByte) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Element(0x0008, 0x0060, "CS", "MR").SequenceStart(0x0008, 0x1140).ItemStart();
  b.Element(0x0008, 0x1150, "UI", "1.2.3").ItemEnd().SequenceEnd();
  b.Header(0x7FE0, 0x0010, "OW", 4).U32(7);
  const auto& all = b.bytes();
  for (std::size_t n = 1; n < all.size(); ++n) {
    auto src = OwnedBytes::Make(std::vector<std::uint8_t>(all.begin(), all.begin() + n));
    auto r = ReadDataSet(src, ExplicitVrLittleEndian());
    // Cutting at an element boundary leaves a valid, shorter data set; anywhere else fails.
    if (r.ok()) continue;
    EXPECT_EQ(r.status().code(), StatusCode::kMalformed) << n;
  }
}

TEST(ReaderHostileTest, LenientReadingKeepsWhatPrecedesATruncation) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Element(0x0008, 0x0060, "CS", "MR").SequenceStart(0x0008, 0x1140).ItemStart();
  b.Element(0x0008, 0x1150, "UI", "1.2.3").ItemEnd().ItemStart();
  b.Header(0x0008, 0x1155, "UI", 64).Text("1.2");  // cut short
  auto r = Read(b, ExplicitVrLittleEndian(), LenientReadOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dataset.GetString(Tag(0x0008, 0x0060)), "MR");
  const Element* seq = r->dataset.Find(Tag(0x0008, 0x1140));
  ASSERT_NE(seq, nullptr);
  ASSERT_EQ(seq->items.size(), 2u);
  EXPECT_TRUE(seq->items[1].empty());
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("ignored"), std::string::npos);
}

TEST(ReaderHostileTest, LenientReadingStillRefusesInputWithNothingReadable) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x0010, 0x0010, "PN", 200).Text("AB");
  auto r = Read(b, ExplicitVrLittleEndian(), LenientReadOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no element could be read"), std::string::npos);
}

TEST(ReaderHostileTest, EncapsulatedPixelDataMustBeOb) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Header(0x7FE0, 0x0010, "OW", 0xFFFFFFFF).ItemStart(0).SequenceEnd();
  auto jpeg = *FindTransferSyntax("1.2.840.10008.1.2.4.50");
  EXPECT_FALSE(Read(b, jpeg).ok());
  auto lenient = Read(b, jpeg, LenientReadOptions());
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->dataset.Find(tags::kPixelData)->vr, Vr::kOB);
  EXPECT_EQ(lenient->warnings.size(), 1u);
}

TEST(ReaderPart10Test, SummaryNamesTheDataSetsOwnUidsAndWhereItStarts) {
  ByteBuilder body(Syntax::kExplicitLittle);
  body.Element(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2");  // meta says SC
  body.Element(0x0008, 0x0018, "UI", "1.2.3.9");                    // meta says 1.2.3.4
  body.Element(0x0010, 0x0010, "PN", "Doe^Jane");
  const auto prefix = Part10Prefix("1.2.840.10008.1.2.1");
  auto summary = SummarizePart10(Concat(prefix, body));
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
  EXPECT_EQ(summary->sop_instance_uid, "1.2.3.9");
  EXPECT_EQ(summary->transfer_syntax_uid, "1.2.840.10008.1.2.1");
  EXPECT_EQ(summary->data_offset, prefix.size());
}

TEST(ReaderPart10Test, SummaryTellsANonDicomFileFromABrokenOne) {
  ByteBuilder text(Syntax::kExplicitLittle);
  text.Text("patient_id,patient_name\nP1,DOE^JANE\n").Zeros(200);
  EXPECT_EQ(SummarizePart10(text.source()).status().code(), StatusCode::kUnsupported);
  ByteBuilder no_uids(Syntax::kExplicitLittle);
  no_uids.Element(0x0010, 0x0010, "PN", "Doe^Jane");
  EXPECT_EQ(SummarizePart10(Concat(Part10Prefix("1.2.840.10008.1.2.1"), no_uids)).status().code(),
            StatusCode::kMalformed);
}

TEST(ReaderPart10Test, ReadsMetaAndDataSet) {
  ByteBuilder body(Syntax::kExplicitLittle);
  body.Element(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
  auto file = ReadPart10(Concat(Part10Prefix("1.2.840.10008.1.2.1"), body));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_TRUE(file->has_preamble);
  EXPECT_EQ(file->transfer_syntax.uid, "1.2.840.10008.1.2.1");
  EXPECT_EQ(file->meta.GetString(tags::kMediaStorageSopInstanceUid), "1.2.3.4");
  EXPECT_EQ(file->dataset.size(), 1u);
}

TEST(ReaderPart10Test, RejectsMissingDicmPrefix) {
  std::vector<std::uint8_t> junk(200, 0);
  auto r = ReadPart10(OwnedBytes::Make(junk));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("DICM"), std::string::npos);
}

TEST(ReaderPart10Test, RejectsWrongMetaGroupLength) {
  auto prefix = Part10Prefix("1.2.840.10008.1.2.1");
  prefix[140] += 2;  // the group length value
  ByteBuilder body(Syntax::kExplicitLittle);
  body.Element(0x0008, 0x0060, "CS", "CT");
  auto r = ReadPart10(Concat(prefix, body));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("group length"), std::string::npos);
}

TEST(ReaderPart10Test, RejectsUnknownTransferSyntax) {
  ByteBuilder body(Syntax::kExplicitLittle);
  auto r = ReadPart10(Concat(Part10Prefix("1.2.3.4.5"), body));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
}

TEST(ReaderPart10Test, RecognisesExecutablePreambles) {
  std::array<std::uint8_t, 128> preamble{};
  EXPECT_TRUE(PreambleIsZero(preamble));
  preamble[0] = 'M';
  preamble[1] = 'Z';
  EXPECT_FALSE(PreambleIsZero(preamble));
  EXPECT_EQ(DescribePreamble(preamble), "Windows PE executable header (MZ)");
  preamble = {0x7F, 'E', 'L', 'F'};
  EXPECT_EQ(DescribePreamble(preamble), "ELF executable header");
}

TEST(ReaderPart10Test, InflatesDeflatedDataSets) {
  ByteBuilder body(Syntax::kExplicitLittle);
  body.Element(0x0010, 0x0010, "PN", "Deflated^Patient");
  DataSet ds;
  ds.SetString(Tag(0x0010, 0x0010), Vr::kPN, "Deflated^Patient");
  auto deflated = EncodeDataSet(ds, DeflatedExplicitVrLittleEndian(), ExplicitVrLittleEndian());
  ASSERT_TRUE(deflated.ok());
  auto prefix = Part10Prefix(transfer_syntax::kDeflatedExplicitVrLittleEndian);
  prefix.insert(prefix.end(), deflated->begin(), deflated->end());
  auto r = ReadPart10(OwnedBytes::Make(prefix));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dataset.GetString(Tag(0x0010, 0x0010)), "Deflated^Patient");
}

TEST(ReaderHostileTest, RejectsDeflateBombs) {
  // 64 MiB of one element's zeros deflates to about 64 KiB: a ratio of ~1000.
  DataSet ds;
  ds.SetBytes(Tag(0x0009, 0x1010), Vr::kOB, std::vector<std::uint8_t>(64u << 20, 0));
  auto deflated = EncodeDataSet(ds, DeflatedExplicitVrLittleEndian(), ExplicitVrLittleEndian());
  ASSERT_TRUE(deflated.ok());
  auto prefix = Part10Prefix(transfer_syntax::kDeflatedExplicitVrLittleEndian);
  prefix.insert(prefix.end(), deflated->begin(), deflated->end());
  auto r = ReadPart10(OwnedBytes::Make(prefix));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(r.status().message().find("deflate bomb"), std::string::npos);

  ReadOptions small_cap;
  small_cap.limits.max_inflate_ratio = 2000;
  small_cap.limits.max_inflated_size = 1u << 20;
  auto capped = ReadPart10(OwnedBytes::Make(prefix), small_cap);
  ASSERT_FALSE(capped.ok());
  EXPECT_NE(capped.status().message().find("past the limit"), std::string::npos);
}

TEST(ReaderPart10Test, ReadsASmallDeflatedDataSetWithAVeryHighRatio) {
  // A blank 512x512 8-bit image deflates about 700:1; that is not a bomb.
  DataSet ds;
  ds.SetBytes(tags::kPixelData, Vr::kOB, std::vector<std::uint8_t>(512 * 512, 0));
  auto deflated = EncodeDataSet(ds, DeflatedExplicitVrLittleEndian(), ExplicitVrLittleEndian());
  ASSERT_TRUE(deflated.ok());
  EXPECT_GT(512u * 512u / deflated->size(), 200u);
  auto prefix = Part10Prefix(transfer_syntax::kDeflatedExplicitVrLittleEndian);
  prefix.insert(prefix.end(), deflated->begin(), deflated->end());
  auto r = ReadPart10(OwnedBytes::Make(prefix));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

TEST(ReaderHostileTest, RejectsFileMetaElementsInsideTheDataSet) {
  ByteBuilder b(Syntax::kExplicitLittle);
  b.Element(0x0002, 0x0010, "UI", "1.2.840.10008.1.2").Element(0x0008, 0x0060, "CS", "CT");
  auto strict = Read(b, ExplicitVrLittleEndian());
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("(0002,0010) inside the data set"), std::string::npos);
  auto lenient = Read(b, ExplicitVrLittleEndian(), LenientReadOptions());
  ASSERT_TRUE(lenient.ok());
  EXPECT_FALSE(lenient->dataset.Contains(Tag(0x0002, 0x0010)));
  EXPECT_TRUE(lenient->dataset.Contains(Tag(0x0008, 0x0060)));
}

TEST(ReaderHostileTest, RejectsCorruptDeflateStream) {
  auto prefix = Part10Prefix(transfer_syntax::kDeflatedExplicitVrLittleEndian);
  prefix.insert(prefix.end(), {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01});
  auto r = ReadPart10(OwnedBytes::Make(prefix));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
}

TEST(DictionaryTest, LooksUpTagsKeywordsAndUids) {
  const DictionaryEntry* pn = LookupTag(Tag(0x0010, 0x0010));
  ASSERT_NE(pn, nullptr);
  EXPECT_EQ(pn->keyword, "PatientName");
  EXPECT_EQ(pn->vr, Vr::kPN);
  EXPECT_EQ(LookupKeyword("PatientName"), pn);
  const DictionaryEntry* overlay = LookupTag(Tag(0x6002, 0x3000));  // (60xx,3000)
  ASSERT_NE(overlay, nullptr);
  EXPECT_EQ(overlay->keyword, "OverlayData");
  EXPECT_EQ(LookupTag(Tag(0x0009, 0x0010)), nullptr);
  ASSERT_NE(LookupUid("1.2.840.10008.1.2.4.50"), nullptr);
  EXPECT_EQ(LookupUid("1.2.840.10008.1.2.4.50")->type, "Transfer Syntax");
  EXPECT_GT(AllDictionaryEntries().size(), 4000u);
}

}  // namespace
}  // namespace bastion::dicom

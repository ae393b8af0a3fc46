// Tests of the DICOM JSON model (PS3.18 F.2): encoding, character sets, decoding, round trips,
// and agreement with pydicom on real files. Hostile input: json_hostile_test.cc.
#include "dicom/json_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/mapped_file.h"
#include "dicom/reader.h"

namespace bastion::dicom {
namespace {

// --- Builders. ---

template <typename T>
std::vector<std::uint8_t> Le(std::initializer_list<T> values) {
  std::vector<std::uint8_t> out;
  for (T value : values) {
    std::uint64_t bits = 0;
    if constexpr (std::is_floating_point_v<T>) {
      if constexpr (sizeof(T) == 4) {
        std::uint32_t b = 0;
        std::memcpy(&b, &value, 4);
        bits = b;
      } else {
        std::memcpy(&bits, &value, 8);
      }
    } else {
      bits = static_cast<std::uint64_t>(value);
    }
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    }
  }
  return out;
}

std::vector<std::uint8_t> Raw(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

Tag T(std::uint32_t tag) { return Tag::FromU32(tag); }

Element Sequence(std::uint32_t tag, std::vector<DataSet> items) {
  Element e;
  e.tag = T(tag);
  e.vr = Vr::kSQ;
  e.items = std::move(items);
  return e;
}

std::string Encode(const DataSet& ds, const JsonEncodeOptions& options = {}) {
  auto json = EncodeJson(ds, options);
  EXPECT_TRUE(json.ok()) << json.status().ToString();
  return json.ok() ? *json : std::string();
}

DataSet Decode(std::string_view json, const JsonLimits& limits = {}) {
  auto ds = DecodeJson(json, limits);
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  return ds.ok() ? *ds : DataSet();
}

std::string ValueText(const DataSet& ds, std::uint32_t tag) {
  const Element* e = ds.Find(T(tag));
  if (e == nullptr) return "<absent>";
  auto bytes = e->value.view();
  return std::string(bytes.begin(), bytes.end());
}

// Expects DecodeJson to fail with `code` and a message containing `needle`.
void ExpectDecodeError(std::string_view json, StatusCode code, std::string_view needle,
                       const JsonLimits& limits = {}) {
  auto ds = DecodeJson(json, limits);
  ASSERT_FALSE(ds.ok()) << "accepted: " << json.substr(0, 200);
  EXPECT_EQ(ds.status().code(), code) << ds.status().ToString();
  EXPECT_NE(ds.status().message().find(needle), std::string::npos)
      << "message: " << ds.status().message() << "\nexpected to contain: " << needle;
}

// One element of every VR, with values that have exactly one DICOM JSON form.
DataSet EveryVr() {
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "ISO_IR 192");
  ds.SetString(T(0x00080054), Vr::kAE, "STORESCP");
  ds.SetString(T(0x00101010), Vr::kAS, "042Y");
  ds.SetBytes(T(0x00209165), Vr::kAT, Le<std::uint16_t>({0x0010, 0x0010, 0x7FE0, 0x0010}));
  ds.SetString(T(0x00080060), Vr::kCS, "CT\\\\PT");
  ds.SetString(T(0x00080020), Vr::kDA, "20240229");
  ds.SetString(T(0x00181050), Vr::kDS, "0.5\\-1.25e-3\\100\\1.50");
  ds.SetString(T(0x0008002A), Vr::kDT, "20240229123456.123456+0100");
  ds.SetBytes(T(0x00189087), Vr::kFD, Le<double>({1e-300, -0.0, 2.5, 123456789.123456789}));
  ds.SetBytes(T(0x00189219), Vr::kFL, Le<float>({0.1f, -3.4e38f, 0.0f}));
  ds.SetString(T(0x00200013), Vr::kIS, "-2147483648\\2147483647\\0");
  ds.SetString(T(0x00080070), Vr::kLO, "Ma\xC3\xAFtre \xE5\xB1\xB1\xE7\x94\xB0");
  ds.SetString(T(0x00104000), Vr::kLT, "line one\r\nline two\\with backslash\t\"quoted\"");
  ds.SetBytes(T(0x00420011), Vr::kOB, {0, 1, 2, 0xFF, 0xFE});
  ds.SetBytes(T(0x00720067), Vr::kOD, Le<double>({1.5, -2.5}));
  ds.SetBytes(T(0x7FE00008), Vr::kOF, Le<float>({1.5f, 2.0f}));
  ds.SetBytes(T(0x00660040), Vr::kOL, Le<std::uint32_t>({1, 0xFFFFFFFF}));
  ds.SetBytes(T(0x00720073), Vr::kOV, Le<std::uint64_t>({~0ull}));
  ds.SetBytes(T(0x00281201), Vr::kOW, Le<std::uint16_t>({1, 0xFFFF, 7}));
  ds.SetString(T(0x00100010), Vr::kPN,
               "Yamada^Tarou=\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E\\^Bob^^Dr.");
  ds.SetString(T(0x00102160), Vr::kSH, "A\\B");
  ds.SetBytes(T(0x00186020), Vr::kSL, Le<std::int32_t>({-2147483647 - 1, 2147483647}));
  ds.SetBytes(T(0x00280106), Vr::kSS, Le<std::int16_t>({-32768, 32767}));
  ds.SetString(T(0x00081080), Vr::kST, "short text");
  ds.SetBytes(T(0x00720082), Vr::kSV,
              Le<std::int64_t>({std::numeric_limits<std::int64_t>::min(), -5,
                                (std::int64_t{1} << 53) - 1, std::int64_t{1} << 53}));
  ds.SetString(T(0x00080030), Vr::kTM, "235959.999999");
  ds.SetString(T(0x00081120), Vr::kUC, "unlimited\\characters");
  ds.SetString(T(0x00080016), Vr::kUI, "1.2.840.10008.5.1.4.1.1.2");
  ds.SetBytes(T(0x00280300), Vr::kUL, Le<std::uint32_t>({0, 0xFFFFFFFF}));
  ds.SetBytes(T(0x00091010), Vr::kUN, {0xDE, 0xAD, 0xBE});
  ds.SetString(T(0x00081190), Vr::kUR, "https://example.org/studies/1?a=b&c=d");
  ds.SetBytes(T(0x00280010), Vr::kUS, Le<std::uint16_t>({0, 65535}));
  ds.SetString(T(0x00400280), Vr::kUT, "unlimited text\\ with a backslash");
  ds.SetBytes(T(0x00720083), Vr::kUV, Le<std::uint64_t>({0, ~0ull}));
  DataSet item;
  item.SetString(T(0x00081150), Vr::kUI, "1.2.3");
  item.SetString(T(0x00081155), Vr::kUI, "1.2.3.4");
  ds.Insert(Sequence(0x00081140, {item, DataSet()}));
  ds.Insert(Sequence(0x00081250, {}));
  return ds;
}

// --- Encoding. ---

TEST(JsonEncodeTest, WritesAttributesInTagOrderWithVrAndValue) {
  DataSet ds;
  ds.SetString(T(0x00100020), Vr::kLO, "ID1 ");
  ds.SetString(T(0x00080060), Vr::kCS, "CT");
  EXPECT_EQ(Encode(ds),
            R"({"00080060":{"vr":"CS","Value":["CT"]},"00100020":{"vr":"LO","Value":["ID1"]}})");
}

TEST(JsonEncodeTest, LeavesOutGroupLengthElements) {
  DataSet ds;
  ds.SetU32(T(0x00080000), 12);
  ds.SetString(T(0x00080060), Vr::kCS, "MR");
  EXPECT_EQ(Encode(ds), R"({"00080060":{"vr":"CS","Value":["MR"]}})");
}

TEST(JsonEncodeTest, WritesEmptyElementsWithOnlyVr) {
  DataSet ds;
  ds.SetString(T(0x00080050), Vr::kSH, "");
  ds.SetString(T(0x00100030), Vr::kDA, "  ");
  ds.SetBytes(T(0x00280010), Vr::kUS, {});
  ds.Insert(Sequence(0x00081140, {}));
  EXPECT_EQ(Encode(ds), R"({"00080050":{"vr":"SH"},"00081140":{"vr":"SQ"},"00100030":{"vr":"DA"},)"
                        R"("00280010":{"vr":"US"}})");
}

TEST(JsonEncodeTest, WritesEmptyValuesAmongSeveralAsNull) {
  DataSet ds;
  ds.SetString(T(0x00080008), Vr::kCS, "ORIGINAL\\\\AXIAL");
  ds.SetString(T(0x00181050), Vr::kDS, "\\1.5");
  EXPECT_EQ(Encode(ds), R"({"00080008":{"vr":"CS","Value":["ORIGINAL",null,"AXIAL"]},)"
                        R"("00181050":{"vr":"DS","Value":[null,1.5]}})");
}

TEST(JsonEncodeTest, WritesIsAsIntegersAndKeepsTheDigitsOfDs) {
  DataSet ds;
  ds.SetString(T(0x00200013), Vr::kIS, " +0012\\-7 ");
  ds.SetString(T(0x00181050), Vr::kDS, "1.50\\ .5\\1.\\+2E3\\-0\\1e-7");
  EXPECT_EQ(Encode(ds), R"({"00181050":{"vr":"DS","Value":[1.50,0.5,1,2000,-0,1e-7]},)"
                        R"("00200013":{"vr":"IS","Value":[12,-7]}})");
}

TEST(JsonEncodeTest, RejectsInvalidDecimalStringNamingTheTag) {
  DataSet ds;
  ds.SetString(T(0x00181050), Vr::kDS, "1,5");
  auto json = EncodeJson(ds);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), StatusCode::kMalformed);
  EXPECT_NE(json.status().message().find("00181050"), std::string::npos);
  EXPECT_NE(json.status().message().find("DS"), std::string::npos);
}

TEST(JsonEncodeTest, RejectsIntegerStringOutOfRange) {
  DataSet ds;
  ds.SetString(T(0x00200013), Vr::kIS, "2147483648");
  EXPECT_FALSE(EncodeJson(ds).ok());
}

TEST(JsonEncodeTest, LenientModeWritesInvalidNumbersAsStrings) {
  DataSet ds;
  ds.SetString(T(0x00181050), Vr::kDS, "1,5\\2");
  ds.SetString(T(0x00200013), Vr::kIS, "abc");
  JsonEncodeOptions options;
  options.lenient_values = true;
  EXPECT_EQ(Encode(ds, options), R"({"00181050":{"vr":"DS","Value":["1,5",2]},)"
                                 R"("00200013":{"vr":"IS","Value":["abc"]}})");
}

TEST(JsonEncodeTest, WritesPersonNameComponentGroupsAsObject) {
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "ISO_IR 192");
  ds.SetString(T(0x00100010), Vr::kPN,
               "Yamada^Tarou=\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E="
               "\xE3\x82\x84\xE3\x81\xBE\xE3\x81\xA0^\xE3\x81\x9F\xE3\x82\x8D\xE3\x81\x86");
  ds.SetString(T(0x00080090), Vr::kPN, "=Ideo\\Smith^John\\\\==Pho");
  EXPECT_EQ(Encode(ds),
            R"({"00080005":{"vr":"CS","Value":["ISO_IR 192"]},)"
            R"("00080090":{"vr":"PN","Value":[{"Ideographic":"Ideo"},{"Alphabetic":"Smith^John"},)"
            R"(null,{"Phonetic":"Pho"}]},)"
            R"("00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou",)"
            "\"Ideographic\":\"\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E\","
            "\"Phonetic\":\"\xE3\x82\x84\xE3\x81\xBE\xE3\x81\xA0^\xE3\x81\x9F\xE3\x82\x8D\xE3\x81"
            "\x86\"}]}}");
}

TEST(JsonEncodeTest, RejectsPersonNameWithFourGroups) {
  DataSet ds;
  ds.SetString(T(0x00100010), Vr::kPN, "A=B=C=D");
  EXPECT_FALSE(EncodeJson(ds).ok());
}

TEST(JsonEncodeTest, WritesSequencesAsArraysOfItemObjects) {
  DataSet item;
  item.SetString(T(0x00081150), Vr::kUI, "1.2.3");
  item.SetU32(T(0x00080000), 99);  // group length inside an item: left out too
  DataSet ds;
  ds.Insert(Sequence(0x00081140, {item, DataSet()}));
  EXPECT_EQ(Encode(ds), R"({"00081140":{"vr":"SQ","Value":[)"
                        R"({"00081150":{"vr":"UI","Value":["1.2.3"]}},{}]}})");
}

TEST(JsonEncodeTest, WritesBinaryNumbersAndTags) {
  DataSet ds;
  ds.SetBytes(T(0x00209165), Vr::kAT, Le<std::uint16_t>({0x0010, 0x0010, 0x7FE0, 0x0010}));
  ds.SetBytes(T(0x00280010), Vr::kUS, Le<std::uint16_t>({512, 65535}));
  ds.SetBytes(T(0x00280106), Vr::kSS, Le<std::int16_t>({-32768}));
  ds.SetBytes(T(0x00280300), Vr::kUL, Le<std::uint32_t>({4294967295u}));
  ds.SetBytes(T(0x00186020), Vr::kSL, Le<std::int32_t>({-5}));
  ds.SetBytes(T(0x00189219), Vr::kFL, Le<float>({0.1f, -0.0f}));
  ds.SetBytes(T(0x00189087), Vr::kFD, Le<double>({0.1, 1e300}));
  EXPECT_EQ(Encode(ds), R"({"00186020":{"vr":"SL","Value":[-5]},)"
                        R"("00189087":{"vr":"FD","Value":[0.1,1e+300]},)"
                        R"("00189219":{"vr":"FL","Value":[0.1,-0.0]},)"
                        R"("00209165":{"vr":"AT","Value":["00100010","7FE00010"]},)"
                        R"("00280010":{"vr":"US","Value":[512,65535]},)"
                        R"("00280106":{"vr":"SS","Value":[-32768]},)"
                        R"("00280300":{"vr":"UL","Value":[4294967295]}})");
}

TEST(JsonEncodeTest, WritesVeryLongIntegersBeyondTwoToThe53AsStrings) {
  DataSet ds;
  ds.SetBytes(T(0x00720082), Vr::kSV, Le<std::int64_t>({-9007199254740991, -9007199254740992}));
  ds.SetBytes(T(0x00720083), Vr::kUV, Le<std::uint64_t>({9007199254740991, ~0ull}));
  EXPECT_EQ(Encode(ds),
            R"({"00720082":{"vr":"SV","Value":[-9007199254740991,"-9007199254740992"]},)"
            R"("00720083":{"vr":"UV","Value":[9007199254740991,"18446744073709551615"]}})");
}

TEST(JsonEncodeTest, RejectsBinaryLengthNotAMultipleOfTheValueWidth) {
  DataSet ds;
  ds.SetBytes(T(0x00280010), Vr::kUS, {1, 2, 3});
  auto json = EncodeJson(ds);
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("00280010"), std::string::npos);
}

TEST(JsonEncodeTest, RejectsNanAndInfinityUnlessLenient) {
  DataSet ds;
  ds.SetBytes(T(0x00189087), Vr::kFD, Le<double>({std::nan(""), HUGE_VAL, -HUGE_VAL}));
  auto json = EncodeJson(ds);
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("NaN"), std::string::npos);
  JsonEncodeOptions options;
  options.lenient_values = true;
  EXPECT_EQ(Encode(ds, options),
            R"({"00189087":{"vr":"FD","Value":["NaN","Infinity","-Infinity"]}})");
}

TEST(JsonEncodeTest, WritesBinaryValuesAsBase64InlineBinary) {
  DataSet ds;
  ds.SetBytes(T(0x00420011), Vr::kOB, Raw("Man"));
  ds.SetBytes(T(0x00091010), Vr::kUN, Raw("Ma"));
  ds.SetBytes(T(0x00281201), Vr::kOW, Raw("M\xFF"));
  EXPECT_EQ(Encode(ds), R"({"00091010":{"vr":"UN","InlineBinary":"TWE="},)"
                        R"("00281201":{"vr":"OW","InlineBinary":"Tf8="},)"
                        R"("00420011":{"vr":"OB","InlineBinary":"TWFu"}})");
}

TEST(JsonEncodeTest, AsksTheCallbackForBulkDataAtTheThreshold) {
  DataSet item;
  item.SetBytes(T(0x00281201), Vr::kOW, std::vector<std::uint8_t>(8, 1));
  item.SetBytes(T(0x00281202), Vr::kOW, std::vector<std::uint8_t>(6, 1));
  DataSet ds;
  ds.Insert(Sequence(0x00283010, {DataSet(), item}));
  ds.SetBytes(T(0x7FE00010), Vr::kOW, std::vector<std::uint8_t>(16, 0));
  std::vector<std::string> asked;
  JsonEncodeOptions options;
  options.bulk_data_threshold = 8;
  options.bulk_data_uri = [&](const std::string& path,
                              const Element&) -> std::optional<std::string> {
    asked.push_back(path);
    return "https://pacs.example/bulk/" + path;
  };
  EXPECT_EQ(Encode(ds, options),
            R"({"00283010":{"vr":"SQ","Value":[{},{"00281201":{"vr":"OW","BulkDataURI":)"
            R"("https://pacs.example/bulk/00283010/1/00281201"},)"
            R"("00281202":{"vr":"OW","InlineBinary":"AQEBAQEB"}}]},)"
            R"("7FE00010":{"vr":"OW","BulkDataURI":"https://pacs.example/bulk/7FE00010"}})");
  EXPECT_EQ(asked, (std::vector<std::string>{"00283010/1/00281201", "7FE00010"}));
}

TEST(JsonEncodeTest, InlinesWhenTheCallbackDeclines) {
  DataSet ds;
  ds.SetBytes(T(0x7FE00010), Vr::kOB, {1, 2, 3});
  JsonEncodeOptions options;
  options.bulk_data_threshold = 1;
  options.bulk_data_uri = [](const std::string&, const Element&) { return std::nullopt; };
  EXPECT_EQ(Encode(ds, options), R"({"7FE00010":{"vr":"OB","InlineBinary":"AQID"}})");
}

TEST(JsonEncodeTest, EncapsulatedPixelDataNeedsABulkDataUri) {
  Element pixels;
  pixels.tag = tags::kPixelData;
  pixels.vr = Vr::kOB;
  pixels.encapsulated = true;
  pixels.fragments.emplace_back();
  pixels.fragments.emplace_back(std::vector<std::uint8_t>{0xFF, 0xD8});
  DataSet ds;
  ds.Insert(pixels);
  auto json = EncodeJson(ds);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(json.status().message().find("7FE00010"), std::string::npos);

  JsonEncodeOptions options;
  options.bulk_data_threshold = 1 << 30;  // encapsulated data asks whatever the threshold
  options.bulk_data_uri = [](const std::string& path, const Element& e) {
    return std::optional<std::string>(e.encapsulated ? "frames:" + path : "no");
  };
  EXPECT_EQ(Encode(ds, options), R"({"7FE00010":{"vr":"OB","BulkDataURI":"frames:7FE00010"}})");
}

TEST(JsonEncodeTest, EscapesControlCharactersAndQuotes) {
  DataSet ds;
  ds.SetString(T(0x00104000), Vr::kLT, std::string("a\"b\\c\nd\x01\x7F", 9));
  EXPECT_EQ(Encode(ds), R"({"00104000":{"vr":"LT","Value":["a\"b\\c\nd\u0001\u007f"]}})");
}

TEST(JsonEncodeTest, PrettyPrintsWithTwoSpaceIndentation) {
  DataSet ds;
  ds.SetString(T(0x00080060), Vr::kCS, "CT");
  ds.Insert(Sequence(0x00081140, {DataSet()}));
  JsonEncodeOptions options;
  options.pretty = true;
  EXPECT_EQ(Encode(ds, options), R"({
  "00080060": {
    "vr": "CS",
    "Value": [
      "CT"
    ]
  },
  "00081140": {
    "vr": "SQ",
    "Value": [
      {}
    ]
  }
})");
}

// --- Character sets. ---

TEST(JsonCharsetTest, DecodesLatin1TextToUtf8AndKeepsTheCharsetTerm) {
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "ISO_IR 100");
  ds.SetString(T(0x00100010), Vr::kPN, "M\xFCller^J\xE9r\xF4me");
  ds.SetString(T(0x00081030), Vr::kLO, "\xC9tude\\Caf\xE9");
  EXPECT_EQ(Encode(ds), R"({"00080005":{"vr":"CS","Value":["ISO_IR 100"]},)"
                        "\"00081030\":{\"vr\":\"LO\",\"Value\":[\"\xC3\x89tude\",\"Caf\xC3\xA9\"]},"
                        "\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":"
                        "\"M\xC3\xBCller^J\xC3\xA9r\xC3\xB4me\"}]}}");
}

TEST(JsonCharsetTest, DecodesJapaneseIso2022PersonNameToUtf8) {
  // PS3.5 H.3.1: Yamada^Tarou=<kanji>=<hiragana> in ISO 2022 IR 87.
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "\\ISO 2022 IR 87");
  ds.SetString(T(0x00100010), Vr::kPN,
               "Yamada^Tarou="
               "\x1B$B;3ED\x1B(B^\x1B$BB@O:\x1B(B="
               "\x1B$B$d$^$@\x1B(B^\x1B$B$?$m$&\x1B(B");
  EXPECT_EQ(Encode(ds), R"({"00080005":{"vr":"CS","Value":[null,"ISO 2022 IR 87"]},)"
                        R"("00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou",)"
                        "\"Ideographic\":\"\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E\","
                        "\"Phonetic\":\"\xE3\x82\x84\xE3\x81\xBE\xE3\x81\xA0^\xE3\x81\x9F\xE3\x82"
                        "\x8D\xE3\x81\x86\"}]}}");
}

TEST(JsonCharsetTest, ItemsInheritTheCharsetUnlessTheyHaveTheirOwn) {
  DataSet inherits;
  inherits.SetString(T(0x00100010), Vr::kPN, "\xFC");
  DataSet own;
  own.SetString(T(0x00080005), Vr::kCS, "ISO_IR 144");  // Cyrillic: 0xC0 is U+0420
  own.SetString(T(0x00100010), Vr::kPN, "\xC0");
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "ISO_IR 100");
  ds.Insert(Sequence(0x00101002, {inherits, own}));
  const std::string json = Encode(ds);
  EXPECT_NE(json.find("\"Alphabetic\":\"\xC3\xBC\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"Alphabetic\":\"\xD0\xA0\""), std::string::npos) << json;
}

TEST(JsonCharsetTest, RejectsNonAsciiInAsciiOnlyVrNamingTheTag) {
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "ISO_IR 100");
  ds.SetString(T(0x00080060), Vr::kCS, "\xC9");
  auto json = EncodeJson(ds);
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("00080060"), std::string::npos);
  JsonEncodeOptions options;
  options.lenient_values = true;
  EXPECT_EQ(Encode(ds, options), R"({"00080005":{"vr":"CS","Value":["ISO_IR 100"]},)"
                                 "\"00080060\":{\"vr\":\"CS\",\"Value\":[\"\xEF\xBF\xBD\"]}}");
}

TEST(JsonCharsetTest, UnknownCharsetIsAnErrorOnlyForTextThatNeedsIt) {
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "ISO_IR 999");
  ds.SetString(T(0x00100010), Vr::kPN, "Doe^John");
  EXPECT_TRUE(EncodeJson(ds).ok());
  ds.SetString(T(0x00100010), Vr::kPN, "D\xF6");
  auto json = EncodeJson(ds);
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("00100010"), std::string::npos);
}

TEST(JsonCharsetTest, DecodingNonAsciiTextSetsIsoIr192) {
  DataSet ds =
      Decode(R"({"00080005":{"vr":"CS","Value":["ISO_IR 100"]},)"
             R"("00101002":{"vr":"SQ","Value":[{"00080005":{"vr":"CS","Value":)"
             R"(["ISO_IR 144"]}}]},)"
             "\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"M\xC3\xBCller\"}]}}");
  EXPECT_EQ(ds.GetString(tags::kSpecificCharacterSet), "ISO_IR 192");
  EXPECT_EQ(ds.Find(T(0x00101002))->items[0].GetString(tags::kSpecificCharacterSet), "ISO_IR 192");
  EXPECT_EQ(ValueText(ds, 0x00100010), "M\xC3\xBCller");

  DataSet added = Decode("{\"00081030\":{\"vr\":\"LO\",\"Value\":[\"\xC3\x89tude\"]}}");
  EXPECT_EQ(added.GetString(tags::kSpecificCharacterSet), "ISO_IR 192");
  DataSet ascii = Decode(R"({"00080005":{"vr":"CS","Value":["ISO_IR 100"]},)"
                         R"("00081030":{"vr":"LO","Value":["Etude"]}})");
  EXPECT_EQ(ascii.GetString(tags::kSpecificCharacterSet), "ISO_IR 100");
}

TEST(JsonCharsetTest, Latin1DataSetRoundTripsAsUtf8) {
  DataSet ds;
  ds.SetString(T(0x00080005), Vr::kCS, "ISO_IR 100");
  ds.SetString(T(0x00100010), Vr::kPN, "M\xFCller");
  const std::string first = Encode(ds);
  DataSet decoded = Decode(first);
  EXPECT_EQ(ValueText(decoded, 0x00100010), "M\xC3\xBCller");
  EXPECT_EQ(decoded.GetString(tags::kSpecificCharacterSet), "ISO_IR 192");
  const std::string second = Encode(decoded);
  EXPECT_EQ(Encode(Decode(second)), second);
}

// --- Decoding. ---

TEST(JsonDecodeTest, DecodesThePs318AnnexFExample) {
  // After PS3.18 F.2.1.1.2 / F.4: a study-level response with PN groups, a private UN
  // InlineBinary, a sequence and IS numbers.
  DataSet ds = Decode(R"([{
    "00080005": {"vr": "CS", "Value": ["ISO_IR 192"]},
    "00080020": {"vr": "DA", "Value": ["20130409"]},
    "00080030": {"vr": "TM", "Value": ["131600.0000"]},
    "00080050": {"vr": "SH", "Value": ["11235813"]},
    "00080056": {"vr": "CS", "Value": ["ONLINE"]},
    "00080061": {"vr": "CS", "Value": ["CT", "PET"]},
    "00080090": {"vr": "PN", "Value": [{"Alphabetic": "^Bob^^Dr."}]},
    "00081190": {"vr": "UR", "Value": ["http://wado.nema.org/studies/1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]},
    "00090010": {"vr": "LO", "Value": ["Vendor A"]},
    "00091002": {"vr": "UN", "InlineBinary": "z0x9c8v7"},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Wang^XiaoDong", "Ideographic": "王^小東"}]},
    "00100020": {"vr": "LO", "Value": ["12345"]},
    "00100021": {"vr": "LO", "Value": ["Hospital A"]},
    "00100030": {"vr": "DA", "Value": ["19670701"]},
    "00100040": {"vr": "CS", "Value": ["M"]},
    "00101002": {"vr": "SQ", "Value": [
      {"00100020": {"vr": "LO", "Value": ["54321"]}, "00100021": {"vr": "LO", "Value": ["Hospital B"]}},
      {"00100020": {"vr": "LO", "Value": ["24680"]}, "00100021": {"vr": "LO", "Value": ["Hospital C"]}}]},
    "0020000D": {"vr": "UI", "Value": ["1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]},
    "00200010": {"vr": "SH", "Value": ["11235813"]},
    "00201206": {"vr": "IS", "Value": [4]},
    "00201208": {"vr": "IS", "Value": [942]}
  }])");
  EXPECT_EQ(ds.size(), 20u);
  EXPECT_EQ(ValueText(ds, 0x00080061), "CT\\PET");
  EXPECT_EQ(ValueText(ds, 0x00080090), "^Bob^^Dr.");
  EXPECT_EQ(ValueText(ds, 0x00100010), "Wang^XiaoDong=\xE7\x8E\x8B^\xE5\xB0\x8F\xE6\x9D\xB1");
  EXPECT_EQ(ValueText(ds, 0x00201208), "942");
  EXPECT_EQ(ds.Find(T(0x00091002))->value.view().size(), 6u);
  EXPECT_EQ(ds.Find(T(0x00091002))->vr, Vr::kUN);
  ASSERT_EQ(ds.Find(T(0x00101002))->items.size(), 2u);
  EXPECT_EQ(ds.Find(T(0x00101002))->items[1].GetString(T(0x00100021)), "Hospital C");
  EXPECT_EQ(ds.GetString(tags::kSpecificCharacterSet), "ISO_IR 192");
}

TEST(JsonDecodeTest, ConvertsNumbersToTheirDicomEncodings) {
  DataSet ds = Decode(R"({
    "00181050": {"vr": "DS", "Value": [1.50, 2, "3.25", null, 0.1234567890123456789, 1e300]},
    "00200013": {"vr": "IS", "Value": [-12, "34", 5.0]},
    "00280010": {"vr": "US", "Value": [65535]},
    "00280106": {"vr": "SS", "Value": [-32768]},
    "00189219": {"vr": "FL", "Value": [0.1]},
    "00189087": {"vr": "FD", "Value": [-0.0, 7]},
    "00720082": {"vr": "SV", "Value": [-1, "-9223372036854775808"]},
    "00720083": {"vr": "UV", "Value": ["18446744073709551615", 18446744073709551615]},
    "00209165": {"vr": "AT", "Value": ["7FE00010"]}
  })");
  EXPECT_EQ(ValueText(ds, 0x00181050), "1.50\\2\\3.25\\\\0.12345678901235\\1e300");
  EXPECT_EQ(ValueText(ds, 0x00200013), "-12\\34\\5");
  EXPECT_EQ(ds.Find(T(0x00280010))->value.view().size(), 2u);
  EXPECT_EQ(ds.GetInt(T(0x00280010)), 65535);
  EXPECT_EQ(ds.GetInt(T(0x00280106)), -32768);
  const Element* fl = ds.Find(T(0x00189219));
  float f = 0;
  std::memcpy(&f, fl->value.view().data(), 4);
  EXPECT_EQ(f, 0.1f);
  const Element* fd = ds.Find(T(0x00189087));
  ASSERT_EQ(fd->value.view().size(), 16u);
  double d = 1;
  std::memcpy(&d, fd->value.view().data(), 8);
  EXPECT_TRUE(d == 0 && std::signbit(d));
  EXPECT_EQ(ds.Find(T(0x00720082))->value.view().size(), 16u);
  EXPECT_EQ(ds.GetInt(T(0x00720082)), -1);
  EXPECT_EQ(ds.Find(T(0x00720083))->value.view().size(), 16u);
  auto at = ds.Find(T(0x00209165))->value.view();
  EXPECT_EQ(std::vector<std::uint8_t>(at.begin(), at.end()),
            (std::vector<std::uint8_t>{0xE0, 0x7F, 0x10, 0x00}));
}

TEST(JsonDecodeTest, JoinsPersonNameGroupsWithEquals) {
  DataSet ds = Decode(R"({"00100010":{"vr":"PN","Value":[
      {"Alphabetic":"A^B","Ideographic":"C^D","Phonetic":"E^F"},
      {"Phonetic":"P"}, null, {"Alphabetic":"Only"}, {}]}})");
  EXPECT_EQ(ValueText(ds, 0x00100010), "A^B=C^D=E^F\\==P\\\\Only\\");
}

TEST(JsonDecodeTest, KeepsBulkDataUriWithoutFetchingIt) {
  DataSet ds = Decode(R"({"7FE00010":{"vr":"OB","BulkDataURI":"http://127.0.0.1:1/never"},)"
                      R"("00282000":{"vr":"OB","BulkDataURI":"file:///etc/passwd"}})");
  const Element* pixels = ds.Find(tags::kPixelData);
  ASSERT_NE(pixels, nullptr);
  EXPECT_EQ(pixels->bulk_data_uri, "http://127.0.0.1:1/never");
  EXPECT_EQ(pixels->value.size(), 0u);
  // And writes it back unchanged.
  EXPECT_EQ(Encode(ds), R"({"00282000":{"vr":"OB","BulkDataURI":"file:///etc/passwd"},)"
                        R"("7FE00010":{"vr":"OB","BulkDataURI":"http://127.0.0.1:1/never"}})");
}

TEST(JsonDecodeTest, AcceptsAnArrayOfExactlyOneObject) {
  EXPECT_EQ(Decode(R"([{"00080060":{"vr":"CS","Value":["CT"]}}])").size(), 1u);
  EXPECT_EQ(Decode("{}").size(), 0u);
  ExpectDecodeError(R"([{}, {}])", StatusCode::kMalformed, "exactly one");
  ExpectDecodeError(R"([])", StatusCode::kMalformed, "exactly one");
  ExpectDecodeError(R"("00080060")", StatusCode::kMalformed, "expected a DICOM JSON object");
}

TEST(JsonDecodeTest, RoundTripsEveryVr) {
  const DataSet original = EveryVr();
  const std::string json = Encode(original);
  auto decoded = DecodeJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << json;
  for (const Element& e : original.elements()) {
    const Element* back = decoded->Find(e.tag);
    ASSERT_NE(back, nullptr) << e.tag.ToString();
    EXPECT_EQ(*back, e) << e.tag.ToString() << " " << VrName(e.vr) << "\n" << json;
  }
  EXPECT_EQ(*decoded, original);
  EXPECT_EQ(Encode(*decoded), json);
  // Every VR of PS3.5 Table 6.2-1 is exercised.
  std::set<Vr> vrs;
  for (const Element& e : original.elements()) vrs.insert(e.vr);
  EXPECT_EQ(vrs.size(), static_cast<std::size_t>(kVrCount));
}

// --- Real files. ---

constexpr std::string_view kPydicomFiles = BASTION_PYDICOM_DATA_DIR "/test_files/";

Result<Part10File> ReadFile(std::string_view name) {
  auto mapped = MappedFile::Open(std::string(kPydicomFiles) + std::string(name));
  if (!mapped.ok()) return mapped.status();
  return ReadPart10(*mapped);
}

class JsonRealFileTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(JsonRealFileTest, EncodeDecodeEncodeGivesTheSameJson) {
  if (!std::filesystem::exists(std::string(kPydicomFiles) + std::string(GetParam()))) {
    GTEST_SKIP() << "pydicom test files are not installed";
  }
  auto file = ReadFile(GetParam());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  JsonEncodeOptions options;
  options.bulk_data_threshold = 4096;
  options.bulk_data_uri = [](const std::string& path, const Element&) {
    return std::optional<std::string>("bulk/" + path);
  };
  const std::string first = Encode(file->dataset, options);
  ASSERT_FALSE(first.empty());
  auto decoded = DecodeJson(first);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(Encode(*decoded, options), first);
  // Also valid JSON for an independent parser.
  EXPECT_TRUE(nlohmann::json::accept(first));
}

INSTANTIATE_TEST_SUITE_P(Pydicom, JsonRealFileTest,
                         ::testing::Values("CT_small.dcm", "rtplan.dcm", "reportsi.dcm",
                                           "rtdose.dcm", "MR_small.dcm", "JPEG2000.dcm",
                                           "waveform_ecg.dcm", "ExplVR_BigEnd.dcm"));

// Compares a value of ours with pydicom's: numbers numerically (FL at float precision, as
// pydicom widens a float to the nearest double's digits while we write the shortest float
// form), everything else exactly.
void ExpectSameJsonValue(const nlohmann::json& ours, const nlohmann::json& theirs,
                         const std::string& where, bool float32) {
  if (theirs.is_number() && ours.is_number()) {
    const double a = ours.get<double>();
    const double b = theirs.get<double>();
    if (float32) {
      EXPECT_EQ(static_cast<float>(a), static_cast<float>(b)) << where;
    } else {
      EXPECT_NEAR(a, b, std::fabs(b) * 1e-12) << where;
    }
  } else if (theirs.is_object() && ours.is_object()) {
    EXPECT_EQ(ours.size(), theirs.size()) << where << "\nours: " << ours << "\npydicom: " << theirs;
    const bool fl = theirs.contains("vr") && theirs["vr"] == "FL";
    for (auto it = theirs.begin(); it != theirs.end(); ++it) {
      ASSERT_TRUE(ours.contains(it.key())) << where << "/" << it.key();
      ExpectSameJsonValue(ours[it.key()], it.value(), where + "/" + it.key(), float32 || fl);
    }
  } else if (theirs.is_array() && ours.is_array()) {
    ASSERT_EQ(ours.size(), theirs.size()) << where << "\nours: " << ours << "\npydicom: " << theirs;
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      ExpectSameJsonValue(ours[i], theirs[i], where + "[" + std::to_string(i) + "]", float32);
    }
  } else {
    EXPECT_EQ(ours, theirs) << where;
  }
}

// tests/data/json/ct_small_pydicom.json is pydicom 2.3's Dataset.to_json_dict() of
// CT_small.dcm without Pixel Data (made by make_ct_small_pydicom.py beside it). Known
// differences, compared numerically here: pydicom writes DS as Python floats (5.0 where the
// file says "5"; we copy the file's digits) and FL as the double nearest the float
// (-77.204063415527344 where we write -77.20406, the shortest text for the same float).
TEST(JsonPydicomTest, CtSmallMatchesPydicomAttributeByAttribute) {
  if (!std::filesystem::exists(std::string(kPydicomFiles) + "CT_small.dcm")) {
    GTEST_SKIP() << "pydicom test files are not installed";
  }
  std::ifstream in(BASTION_TEST_DATA_DIR "/json/ct_small_pydicom.json");
  ASSERT_TRUE(in) << "missing tests/data/json/ct_small_pydicom.json";
  const nlohmann::json theirs = nlohmann::json::parse(in);
  auto file = ReadFile("CT_small.dcm");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const nlohmann::json ours = nlohmann::json::parse(Encode(file->dataset));
  std::size_t compared = 0;
  for (auto it = theirs.begin(); it != theirs.end(); ++it) {
    ASSERT_TRUE(ours.contains(it.key())) << it.key();
    ExpectSameJsonValue(ours[it.key()], it.value(), it.key(), false);
    ++compared;
  }
  EXPECT_EQ(ours.size(), theirs.size() + 1);  // + Pixel Data
  EXPECT_GT(compared, 100u);
}

}  // namespace
}  // namespace bastion::dicom

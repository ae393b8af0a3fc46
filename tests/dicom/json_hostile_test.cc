// Hostile DICOM JSON (PS3.18 F.2) input: every decoder limit and every kind of malformed
// attribute, each rejected with an error naming the tag path and what was wrong.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dicom/json_model.h"

namespace bastion::dicom {
namespace {

std::string ValueText(const DataSet& ds, std::uint32_t tag) {
  const Element* e = ds.Find(Tag::FromU32(tag));
  if (e == nullptr) return "<absent>";
  auto bytes = e->value.view();
  return std::string(bytes.begin(), bytes.end());
}

DataSet Decode(std::string_view json, const JsonLimits& limits = {}) {
  auto ds = DecodeJson(json, limits);
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  return ds.ok() ? *ds : DataSet();
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

TEST(JsonHostileTest, RejectsTenThousandNestedArraysWithoutRecursing) {
  ExpectDecodeError(std::string(10000, '['), StatusCode::kLimitExceeded, "nested deeper");
  ExpectDecodeError(std::string(100000, '[') + std::string(100000, ']'), StatusCode::kLimitExceeded,
                    "nested deeper");
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += R"({"a":)";
  ExpectDecodeError(objects, StatusCode::kLimitExceeded, "nested deeper");
}

TEST(JsonHostileTest, RejectsSequencesNestedBeyondMaxDepth) {
  auto nested = [](int depth) {
    std::string json = R"({"00080060":{"vr":"CS","Value":["CT"]}})";
    for (int i = 0; i < depth; ++i) json = R"({"00081140":{"vr":"SQ","Value":[)" + json + "]}}";
    return json;
  };
  JsonLimits limits;
  limits.max_depth = 4;
  EXPECT_TRUE(DecodeJson(nested(4), limits).ok());
  ExpectDecodeError(nested(5), StatusCode::kLimitExceeded,
                    "00081140[0].00081140[0].00081140[0].00081140[0].00081140", limits);
  ExpectDecodeError(nested(50), StatusCode::kLimitExceeded, "", limits);
}

TEST(JsonHostileTest, RejectsInputOverTheSizeLimitBeforeParsing) {
  JsonLimits limits;
  limits.max_input_size = 64;
  // Not even valid JSON: the size is checked first.
  ExpectDecodeError(std::string(65, '{'), StatusCode::kLimitExceeded, "exceeds the limit of 64",
                    limits);
}

TEST(JsonHostileTest, RejectsTooManyValuesAndElements) {
  JsonLimits limits;
  limits.max_values = 100;
  std::string many = "{\"00280010\":{\"vr\":\"US\",\"Value\":[";
  for (int i = 0; i < 200; ++i) many += i == 0 ? "1" : ",1";
  many += "]}}";
  ExpectDecodeError(many, StatusCode::kLimitExceeded, "more than 100 values", limits);

  limits = JsonLimits();
  limits.max_elements = 2;
  ExpectDecodeError(R"({"00080060":{"vr":"CS"},"00080070":{"vr":"LO"},"00080080":{"vr":"LO"}})",
                    StatusCode::kLimitExceeded, "more than 2 attributes", limits);
}

TEST(JsonHostileTest, RejectsWrongJsonTypes) {
  ExpectDecodeError(R"({"00080060":"CT"})", StatusCode::kMalformed,
                    "00080060: attribute must be an object");
  ExpectDecodeError(R"({"00080060":{"vr":5}})", StatusCode::kMalformed, "\"vr\" must be a string");
  ExpectDecodeError(R"({"00080060":{"vr":"CS","Value":"CT"}})", StatusCode::kMalformed,
                    "\"Value\" must be an array");
  ExpectDecodeError(R"({"00080060":{"vr":"CS","Value":[1]}})", StatusCode::kMalformed,
                    "00080060: Value[0] must be a string");
  ExpectDecodeError(R"({"00280010":{"vr":"US","Value":["5"]}})", StatusCode::kMalformed,
                    "Value[0] must be an integer");
  ExpectDecodeError(R"({"00280010":{"vr":"US","Value":[true]}})", StatusCode::kMalformed,
                    "must be an integer");
  ExpectDecodeError(R"({"00100010":{"vr":"PN","Value":["Doe^John"]}})", StatusCode::kMalformed,
                    "must be a person name object");
  ExpectDecodeError(R"({"00100010":{"vr":"PN","Value":[{"Alphabetic":1}]}})",
                    StatusCode::kMalformed, "\"Alphabetic\" must be a string");
  ExpectDecodeError(R"({"00100010":{"vr":"PN","Value":[{"Given":"x"}]}})", StatusCode::kMalformed,
                    "unknown key \"Given\"");
  ExpectDecodeError(R"({"00081140":{"vr":"SQ","Value":[null]}})", StatusCode::kMalformed,
                    "Value[0] must be an item object");
  ExpectDecodeError(R"({"00189219":{"vr":"FL","Value":["NaN"]}})", StatusCode::kMalformed,
                    "must be a number");
  ExpectDecodeError(R"({"00420011":{"vr":"OB","InlineBinary":12}})", StatusCode::kMalformed,
                    "must be a string");
  ExpectDecodeError(R"({"7FE00010":{"vr":"OB","BulkDataURI":""}})", StatusCode::kMalformed,
                    "non-empty string");
}

TEST(JsonHostileTest, RejectsBadBase64) {
  auto inline_binary = [](std::string_view b64) {
    return "{\"00420011\":{\"vr\":\"OB\",\"InlineBinary\":\"" + std::string(b64) + "\"}}";
  };
  EXPECT_EQ(ValueText(Decode(inline_binary("TWFu")), 0x00420011), "Man");
  EXPECT_EQ(ValueText(Decode(inline_binary("")), 0x00420011), "");
  ExpectDecodeError(inline_binary("TWF"), StatusCode::kMalformed, "not a multiple of 4");
  ExpectDecodeError(inline_binary("TW!u"), StatusCode::kMalformed,
                    "00420011: InlineBinary: invalid base64 character at offset 2");
  ExpectDecodeError(inline_binary("TW=u"), StatusCode::kMalformed, "invalid base64 character");
  ExpectDecodeError(inline_binary("T==="), StatusCode::kMalformed, "invalid base64 character");
  ExpectDecodeError(inline_binary("TWF u"), StatusCode::kMalformed, "");
  ExpectDecodeError(inline_binary("TWE=TWE="), StatusCode::kMalformed, "invalid base64");
  ExpectDecodeError(inline_binary("TWF="), StatusCode::kMalformed, "non-zero padding bits");
  ExpectDecodeError(inline_binary("TR=="), StatusCode::kMalformed, "non-zero padding bits");
  ExpectDecodeError(inline_binary("TWFu\\n"), StatusCode::kMalformed, "");
  JsonLimits limits;
  limits.max_inline_binary = 2;
  ExpectDecodeError(inline_binary("TWFu"), StatusCode::kLimitExceeded, "exceeds the limit", limits);
  ExpectDecodeError(R"({"00281201":{"vr":"OW","InlineBinary":"TWFu"}})", StatusCode::kMalformed,
                    "not a multiple of 2");
}

TEST(JsonHostileTest, RejectsInvalidTagKeys) {
  for (std::string_view key :
       {"0008006", "000800600", "0008006g", "0008006G", "(0008,0060)", "", "x0080060"}) {
    ExpectDecodeError("{\"" + std::string(key) + "\":{\"vr\":\"CS\"}}", StatusCode::kMalformed,
                      "is not eight upper-case hexadecimal digits");
  }
  ExpectDecodeError(R"({"00080000":{"vr":"UL","Value":[4]}})", StatusCode::kMalformed,
                    "group length");
  ExpectDecodeError(R"({"FFFEE000":{"vr":"SQ"}})", StatusCode::kMalformed, "not attributes");
}

TEST(JsonHostileTest, RejectsDuplicateKeys) {
  ExpectDecodeError(R"({"00080060":{"vr":"CS"},"00080060":{"vr":"CS","Value":["CT"]}})",
                    StatusCode::kMalformed, "duplicate attribute \"00080060\"");
  ExpectDecodeError(R"({"00080060":{"vr":"CS","vr":"LO"}})", StatusCode::kMalformed,
                    "00080060: duplicate key \"vr\"");
  ExpectDecodeError(R"({"00100010":{"vr":"PN","Value":[{"Alphabetic":"a","Alphabetic":"b"}]}})",
                    StatusCode::kMalformed, "duplicate key \"Alphabetic\"");
}

TEST(JsonHostileTest, RejectsNumbersOutOfRangeForTheirVr) {
  auto value = [](std::string_view vr, std::string_view number) {
    return "{\"00280010\":{\"vr\":\"" + std::string(vr) + "\",\"Value\":[" + std::string(number) +
           "]}}";
  };
  ExpectDecodeError(value("US", "65536"), StatusCode::kMalformed, "65536 is out of range for US");
  ExpectDecodeError(value("US", "-1"), StatusCode::kMalformed, "-1 is out of range for US");
  ExpectDecodeError(value("US", "1.5"), StatusCode::kMalformed, "must be an integer");
  ExpectDecodeError(value("SS", "-32769"), StatusCode::kMalformed, "out of range for SS");
  ExpectDecodeError(value("UL", "4294967296"), StatusCode::kMalformed, "out of range for UL");
  ExpectDecodeError(value("SL", "2147483648"), StatusCode::kMalformed, "out of range for SL");
  ExpectDecodeError(value("SV", "9223372036854775808"), StatusCode::kMalformed,
                    "out of range for SV");
  ExpectDecodeError(value("UV", "-1"), StatusCode::kMalformed, "out of range for UV");
  ExpectDecodeError(value("UV", "\"18446744073709551616\""), StatusCode::kMalformed,
                    "must be an integer");
  ExpectDecodeError(value("FL", "1e39"), StatusCode::kMalformed, "out of range for FL");
  ExpectDecodeError(value("IS", "2147483648"), StatusCode::kMalformed, "IS requires");
  ExpectDecodeError(value("IS", "1.5"), StatusCode::kMalformed, "IS requires");
  ExpectDecodeError(value("IS", "\"12a\""), StatusCode::kMalformed, "not a valid IS");
  ExpectDecodeError(value("DS", "\"NaN\""), StatusCode::kMalformed, "not a valid DS");
}

TEST(JsonHostileTest, RejectsNanInfinityAndOverflowingNumbers) {
  ExpectDecodeError(R"({"00189087":{"vr":"FD","Value":[NaN]}})", StatusCode::kMalformed,
                    "invalid JSON");
  ExpectDecodeError(R"({"00189087":{"vr":"FD","Value":[Infinity]}})", StatusCode::kMalformed,
                    "invalid JSON");
  ExpectDecodeError(R"({"00189087":{"vr":"FD","Value":[1e400]}})", StatusCode::kMalformed,
                    "invalid JSON");
  ExpectDecodeError(R"({"00189087":{"vr":"FD","Value":[-Infinity]}})", StatusCode::kMalformed,
                    "invalid JSON");
}

TEST(JsonHostileTest, RejectsMalformedJsonText) {
  ExpectDecodeError("", StatusCode::kMalformed, "invalid JSON");
  ExpectDecodeError(R"({"00080060":{"vr":"CS"}} trailing)", StatusCode::kMalformed, "invalid JSON");
  ExpectDecodeError(R"({"00080060":{"vr":"CS"},})", StatusCode::kMalformed, "invalid JSON");
  ExpectDecodeError("{\"00080060\":{\"vr\":\"CS\",\"Value\":[\"\xC3\"]}}", StatusCode::kMalformed,
                    "invalid JSON");  // invalid UTF-8
  ExpectDecodeError(R"({/*comment*/})", StatusCode::kMalformed, "invalid JSON");
}

TEST(JsonHostileTest, RejectsUnknownVrsAndKeys) {
  ExpectDecodeError(R"({"00080060":{"vr":"XX"}})", StatusCode::kMalformed, "unknown VR \"XX\"");
  ExpectDecodeError(R"({"00080060":{"vr":"cs"}})", StatusCode::kMalformed, "unknown VR");
  ExpectDecodeError(R"({"00080060":{"Value":["CT"]}})", StatusCode::kMalformed, "missing \"vr\"");
  ExpectDecodeError(R"({"00080060":{"vr":"CS","value":["CT"]}})", StatusCode::kMalformed,
                    "unknown key \"value\"");
  ExpectDecodeError(R"({"00420011":{"vr":"OB","InlineBinary":"","BulkDataURI":"x"}})",
                    StatusCode::kMalformed, "at most one of");
}

TEST(JsonHostileTest, RejectsValueFormsTheVrDoesNotAllow) {
  ExpectDecodeError(R"({"00420011":{"vr":"OB","Value":[1]}})", StatusCode::kMalformed,
                    "OB values are InlineBinary or BulkDataURI");
  ExpectDecodeError(R"({"00080060":{"vr":"CS","InlineBinary":"TWFu"}})", StatusCode::kMalformed,
                    "InlineBinary is only for");
  ExpectDecodeError(R"({"00081140":{"vr":"SQ","BulkDataURI":"x"}})", StatusCode::kMalformed,
                    "sequence cannot be a BulkDataURI");
  ExpectDecodeError(R"({"00080060":{"vr":"CS","Value":["A\\B"]}})", StatusCode::kMalformed,
                    "contains a backslash");
  ExpectDecodeError(R"({"00104000":{"vr":"LT","Value":["a","b"]}})", StatusCode::kMalformed,
                    "LT has a single value");
  ExpectDecodeError("{\"00080060\":{\"vr\":\"CS\",\"Value\":[\"\xC3\x89\"]}}",
                    StatusCode::kMalformed, "non-ASCII");
  ExpectDecodeError(R"({"00100010":{"vr":"PN","Value":[{"Alphabetic":"a=b"}]}})",
                    StatusCode::kMalformed, "contains '='");
  ExpectDecodeError(R"({"00209165":{"vr":"AT","Value":["7fe00010"]}})", StatusCode::kMalformed,
                    "must be a tag");
}

TEST(JsonHostileTest, ErrorsNameTheTagPath) {
  ExpectDecodeError(R"({"00081140":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":[1]}}]}})",
                    StatusCode::kMalformed, "00081140[0].00081150: Value[0] must be a string");
  ExpectDecodeError(
      R"({"00081140":{"vr":"SQ","Value":[{},{"0040A730":{"vr":"SQ","Value":[{"00280010":)"
      R"({"vr":"US","Value":[70000]}}]}}]}})",
      StatusCode::kMalformed, "00081140[1].0040A730[0].00280010: Value[0] 70000 is out of range");
}

}  // namespace
}  // namespace bastion::dicom

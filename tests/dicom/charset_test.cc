#include "dicom/charset.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dicom/tag.h"

namespace bastion::dicom {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

CharacterSet Make(const std::vector<std::string>& terms) {
  auto cs = CharacterSet::FromTerms(terms);
  EXPECT_TRUE(cs.ok()) << cs.status().ToString();
  return cs.ok() ? *cs : CharacterSet();
}

Result<std::string> Decode(const std::vector<std::string>& terms, std::string_view bytes,
                           Vr vr = Vr::kLO) {
  return Make(terms).Decode(Bytes(bytes), vr);
}

// Expects kMalformed with a message naming `offset`.
void ExpectMalformedAt(const Result<std::string>& r, std::size_t offset) {
  ASSERT_FALSE(r.ok()) << "decoded to '" << *r << "'";
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed) << r.status().ToString();
  EXPECT_NE(r.status().message().find("at offset " + std::to_string(offset)), std::string::npos)
      << r.status().ToString();
}

TEST(CharsetTest, DefaultRepertoireReturnsAsciiUnchanged) {
  CharacterSet cs;
  EXPECT_TRUE(cs.is_utf8());
  EXPECT_TRUE(cs.terms().empty());
  auto r = cs.Decode(Bytes("Doe^John \r\n\\x"), Vr::kPN);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "Doe^John \r\n\\x");
}

TEST(CharsetTest, AsciiFastPathAppliesToEverySet) {
  for (const auto& terms : std::vector<std::vector<std::string>>{
           {"ISO_IR 100"}, {"ISO_IR 192"}, {"GB18030"}, {"", "ISO 2022 IR 87"}, {"ISO_IR 13"}}) {
    auto r = Decode(terms, "SCSFREN ");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, "SCSFREN ");
  }
}

TEST(CharsetTest, DefaultRepertoireRejectsBytesAbove0x7F) {
  ExpectMalformedAt(CharacterSet().Decode(Bytes("Buc^J\xE9r"), Vr::kPN), 5);
  ExpectMalformedAt(Decode({"ISO_IR 6"}, "ab\xC3\xA9"), 2);
}

TEST(CharsetTest, DecodesLatin1ByHand) {
  auto r = Decode({"ISO_IR 100"}, "Buc^J\xE9r\xF4me \xA0\xFF", Vr::kPN);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "Buc^Jérôme \u00A0ÿ");
}

TEST(CharsetTest, RejectsC1ControlsInLatin1) {
  // 0x92 is Windows-1252's right single quote, often mislabelled as ISO_IR 100.
  auto r = Decode({"ISO_IR 100"}, "O\x92Neil");
  ExpectMalformedAt(r, 1);
  EXPECT_NE(r.status().message().find("0x92"), std::string::npos);
}

TEST(CharsetTest, DecodesOtherSingleByteSetsThroughTables) {
  auto greek = Decode({"ISO_IR 126"}, "\xC4\xE9\xEF\xED\xF5\xF3\xE9\xEF\xF2");
  ASSERT_TRUE(greek.ok()) << greek.status().ToString();
  EXPECT_EQ(*greek, "Διονυσιος");
  auto latin9 = Decode({"ISO_IR 203"}, "5\xA4");
  ASSERT_TRUE(latin9.ok()) << latin9.status().ToString();
  EXPECT_EQ(*latin9, "5€");
}

TEST(CharsetTest, RejectsBytesASingleByteSetLeavesUnassigned) {
  ExpectMalformedAt(Decode({"ISO_IR 126"}, "ab\xD2"), 2);  // ISO 8859-7 has no 0xD2
  ExpectMalformedAt(Decode({"ISO_IR 166"}, "\xFF"), 0);    // nor TIS 620 0xFF
}

TEST(CharsetTest, AcceptsWellFormedUtf8) {
  CharacterSet cs = Make({"ISO_IR 192"});
  EXPECT_TRUE(cs.is_utf8());
  auto r = cs.Decode(Bytes("Wang^XiaoDong=王^小東=\xF0\x9F\x98\x80"), Vr::kPN);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "Wang^XiaoDong=王^小東=😀");
}

TEST(CharsetTest, RejectsMalformedUtf8) {
  const std::vector<std::string> utf8 = {"ISO_IR 192"};
  ExpectMalformedAt(Decode(utf8, "a\xC0\xAF"), 1);             // overlong '/'
  ExpectMalformedAt(Decode(utf8, "ab\xE0\x80\xAF"), 2);        // overlong three-byte
  ExpectMalformedAt(Decode(utf8, "\xF0\x80\x80\xAF"), 0);      // overlong four-byte
  ExpectMalformedAt(Decode(utf8, "x\xED\xA0\x80"), 1);         // UTF-16 surrogate
  ExpectMalformedAt(Decode(utf8, "\xF4\x90\x80\x80"), 0);      // above U+10FFFF
  ExpectMalformedAt(Decode(utf8, "\xF5\x80\x80\x80"), 0);      // never a lead byte
  ExpectMalformedAt(Decode(utf8, "\x80"), 0);                  // stray continuation
  ExpectMalformedAt(Decode(utf8, "\xC3\x28"), 0);              // bad continuation
  ExpectMalformedAt(Decode(utf8, "\xE4\xB8\xAD\xE4\xB8"), 3);  // truncated at the end
  ExpectMalformedAt(Decode(utf8, "\xC3\xA9\x1B$B"), 2);        // no code extensions
}

TEST(CharsetTest, UnknownTermIsUnsupportedAndSaysWhatToDo) {
  auto r = CharacterSet::FromTerms({"ISO_IR 87"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  const std::string msg = r.status().message();  // status() returns a copy
  EXPECT_NE(msg.find("unknown Specific Character Set term 'ISO_IR 87'"), std::string::npos);
  EXPECT_NE(msg.find("did you mean 'ISO 2022 IR 87'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("C.12.1.1.2"), std::string::npos) << msg;

  auto latin = CharacterSet::FromTerms({"ISO-8859-1"});
  ASSERT_FALSE(latin.ok());
  EXPECT_EQ(latin.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(CharacterSet::FromTerms({"", "ISO 2022 IR 999"}).status().code(),
            StatusCode::kUnsupported);
}

TEST(CharsetTest, RejectsCombiningSetsWithoutCodeExtensions) {
  auto r = CharacterSet::FromTerms({"ISO_IR 192", "ISO 2022 IR 87"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_EQ(CharacterSet::FromTerms({"GB18030", "ISO_IR 100"}).status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(CharacterSet::FromTerms({"ISO_IR 100", "", "ISO 2022 IR 87"}).status().code(),
            StatusCode::kMalformed);
}

TEST(CharsetTest, EmptyFirstValueMeansDefaultRepertoire) {
  CharacterSet cs = Make({"", "ISO 2022 IR 87"});
  EXPECT_FALSE(cs.is_utf8());
  ExpectMalformedAt(cs.Decode(Bytes("\xE9"), Vr::kLO), 0);  // no G1 set initially
  EXPECT_TRUE(Make({""}).is_utf8());
  EXPECT_TRUE(Make({"ISO_IR 100", ""}).Decode(Bytes("\xE9"), Vr::kLO).ok());  // trailing empty
}

TEST(CharsetTest, ResetsEscapeSequencesAtPersonNameDelimiters) {
  CharacterSet korean = Make({"", "ISO 2022 IR 149"});
  // PS3.5 I.2 repeats ESC $ ) C after each '^' and '=' because they reset G1.
  auto ok = korean.Decode(Bytes("\x1B$)C\xC8\xAB^\x1B$)C\xB1\xE6\xB5\xBF"), Vr::kPN);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "홍^길동");
  ExpectMalformedAt(korean.Decode(Bytes("\x1B$)C\xC8\xAB^\xB1\xE6"), Vr::kPN), 7);
  ExpectMalformedAt(korean.Decode(Bytes("\x1B$)C\xC8\xAB=\xB1\xE6"), Vr::kPN), 7);
  // '^' and '=' are no delimiters outside PN.
  auto lo = korean.Decode(Bytes("\x1B$)C\xC8\xAB^\xB1\xE6"), Vr::kLO);
  ASSERT_TRUE(lo.ok()) << lo.status().ToString();
  EXPECT_EQ(*lo, "홍^길");

  // G0 too: after '=' the Japanese name is ASCII again, without ESC ( B.
  CharacterSet japanese = Make({"", "ISO 2022 IR 87"});
  auto jp = japanese.Decode(Bytes("\x1B$B;3ED=Yamada"), Vr::kPN);
  ASSERT_FALSE(jp.ok());  // "=Y" would be read as a JIS X 0208 pair: "=Yamada" is odd
  auto reset = japanese.Decode(Bytes("\x1B$B;3ED\x1B(B=Yamada"), Vr::kPN);
  ASSERT_TRUE(reset.ok()) << reset.status().ToString();
  EXPECT_EQ(*reset, "山田=Yamada");
}

TEST(CharsetTest, ResetsAtValueDelimitersAndControlCharacters) {
  CharacterSet korean = Make({"", "ISO 2022 IR 149"});
  ExpectMalformedAt(korean.Decode(Bytes("\x1B$)C\xC8\xAB\\\xB1\xE6"), Vr::kLO), 7);
  ExpectMalformedAt(korean.Decode(Bytes("\x1B$)C\xC8\xAB\r\n\xB1\xE6"), Vr::kLT), 8);
  // In LT a backslash is text, not a delimiter.
  auto lt = korean.Decode(Bytes("\x1B$)C\xC8\xAB\\\xB1\xE6"), Vr::kLT);
  ASSERT_TRUE(lt.ok()) << lt.status().ToString();
  EXPECT_EQ(*lt, "홍\\길");
}

TEST(CharsetTest, DelimiterBytesInsideJisCharactersAreNotDelimiters) {
  // 'ま' is 0x24 0x5E in JIS X 0208: its second byte is '^'.
  auto r = Decode({"", "ISO 2022 IR 87"}, "\x1B$B$^\x1B(B^x", Vr::kPN);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "ま^x");
}

TEST(CharsetTest, RejectsInvalidEscapeSequences) {
  const std::vector<std::string> jp = {"", "ISO 2022 IR 87"};
  auto unknown = Decode(jp, "ab\x1B$)Zcd");
  ExpectMalformedAt(unknown, 2);
  EXPECT_NE(unknown.status().message().find("ESC $ ) Z"), std::string::npos)
      << unknown.status().ToString();
  ExpectMalformedAt(Decode(jp, "ab\x1B$"), 2);                 // truncated at the end
  ExpectMalformedAt(Decode(jp, "\x1B"), 0);                    // lone ESC
  ExpectMalformedAt(Decode(jp, "x\x1B-A\xE9"), 1);             // Latin-1 not declared
  ExpectMalformedAt(Decode({"ISO_IR 100"}, "\x1B-A\xE9"), 0);  // no code extensions
  ExpectMalformedAt(CharacterSet().Decode(Bytes("\x1B$B;3"), Vr::kPN), 0);
  // Many escapes in a row are consumed one by one: nothing loops.
  std::string many;
  for (int k = 0; k < 1000; ++k) many += "\x1B$B\x1B(B";
  auto r = Decode(jp, many);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "");
}

TEST(CharsetTest, RejectsTruncatedMultiByteCharacters) {
  ExpectMalformedAt(Decode({"", "ISO 2022 IR 87"}, "\x1B$B;3E"), 5);
  ExpectMalformedAt(Decode({"", "ISO 2022 IR 87"}, "\x1B$B;3E\x1B(B"), 5);
  ExpectMalformedAt(Decode({"", "ISO 2022 IR 149"}, "\x1B$)C\xC8\xAB\xB1"), 6);
  ExpectMalformedAt(Decode({"GB18030"}, "ab\x94\x39\xFC"), 2);
  ExpectMalformedAt(Decode({"GBK"}, "ab\x81"), 2);
}

TEST(CharsetTest, RejectsUnassignedMultiByteCharacters) {
  ExpectMalformedAt(Decode({"", "ISO 2022 IR 87"}, "x\x1B$B\x7E\x7E"), 4);
  ExpectMalformedAt(Decode({"", "ISO 2022 IR 149"}, "\x1B$)C\xC8\xAB\xFF"), 6);
}

TEST(CharsetTest, DecodesGb18030FourByteCharacters) {
  auto r = Decode({"GB18030"}, "\xA8\xA6\xA2\xE3\x94\x39\xFC\x36 X");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "é€😀 X");
}

TEST(CharsetTest, GbkTrailByteEqualToBackslashStaysInItsCharacter) {
  auto r = Decode({"GBK"}, "\x81\x5C\\x");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "乗\\x");
}

TEST(CharsetTest, DecodesKoreanPersonName) {  // PS3.5 I.2
  auto r = Decode({"", "ISO 2022 IR 149"},
                  "Hong^Gildong=\x1B$)C\xFB\xF3^\x1B$)C\xD1\xCE\xD4\xD7=\x1B$)C\xC8\xAB^\x1B$)C"
                  "\xB1\xE6\xB5\xBF",
                  Vr::kPN);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "Hong^Gildong=洪^吉洞=홍^길동");
}

TEST(CharsetTest, DecodesJapaneseWithKatakana) {  // PS3.5 H.3.2
  auto r = Decode({"ISO 2022 IR 13", "ISO 2022 IR 87"},
                  "\xD4\xCF\xC0\xDE^\xC0\xDB\xB3=\x1B$B;3ED\x1B(J^\x1B$BB@O:\x1B(J=\x1B$B$d$^$@"
                  "\x1B(J^\x1B$B$?$m$&\x1B(J",
                  Vr::kPN);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう");

  auto single = Decode({"ISO_IR 13"}, "\xD4\xCF\xC0\xDE", Vr::kPN);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(*single, "ﾔﾏﾀﾞ");
  ExpectMalformedAt(Decode({"ISO_IR 13"}, "\xD4\xE0"), 1);  // beyond the 63 katakana
}

TEST(CharsetTest, ToleratesMultiByteTermAsFirstValue) {
  auto r = Decode({"ISO 2022 IR 149"}, "\xC8\xAB^\x1B$)C\xB1\xE6", Vr::kPN);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "홍^길");
  auto jp = Decode({"ISO 2022 IR 87"}, "A\x1B$B;3\x1B(B", Vr::kPN);
  ASSERT_TRUE(jp.ok()) << jp.status().ToString();
  EXPECT_EQ(*jp, "A山");
}

TEST(CharsetTest, OutputIsBoundedByThreeBytesPerInputByte) {
  std::string katakana(3000, '\xB1');
  auto r = Decode({"ISO_IR 13"}, katakana);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE(r->size(), 3 * katakana.size());
}

TEST(CharsetTest, ReadsTermsFromTheDataSet) {
  DataSet ds;
  auto absent = CharacterSet::FromDataSet(ds);
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->terms().empty());

  ds.SetString(tags::kSpecificCharacterSet, Vr::kCS, "\\ISO 2022 IR 87 ");
  auto cs = CharacterSet::FromDataSet(ds);
  ASSERT_TRUE(cs.ok()) << cs.status().ToString();
  EXPECT_EQ(cs->terms(), (std::vector<std::string>{"", "ISO 2022 IR 87"}));

  DataSet item;
  auto inherited = CharacterSet::FromDataSet(item, *cs);
  ASSERT_TRUE(inherited.ok());
  EXPECT_EQ(inherited->terms(), cs->terms());
  item.SetString(tags::kSpecificCharacterSet, Vr::kCS, "ISO_IR 192");
  auto own = CharacterSet::FromDataSet(item, *cs);
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->is_utf8());

  ds.SetString(tags::kSpecificCharacterSet, Vr::kCS, "ISO_IR 999");
  EXPECT_EQ(CharacterSet::FromDataSet(ds).status().code(), StatusCode::kUnsupported);
}

TEST(CharsetTest, OneCharacterSetDecodesOnManyThreads) {
  // Each thread gets its own iconv converters; the single-byte tables are built once.
  const CharacterSet korean = Make({"", "ISO 2022 IR 149"});
  const CharacterSet greek = Make({"ISO_IR 126"});
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        auto a = korean.Decode(Bytes("\x1B$)C\xC8\xAB^\x1B$)C\xB1\xE6"), Vr::kPN);
        auto b = greek.Decode(Bytes("\xC4\xE9"), Vr::kPN);
        if (!a.ok() || *a != "홍^길" || !b.ok() || *b != "Δι") ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

std::vector<std::uint8_t> FromHex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// tests/data/charset_cases.json, from tools/gen_charset_cases.py: pydicom's decoding of its
// charset test files (PS3.5 Annex H, I, J examples among them), with the exceptions it lists.
TEST(CharsetTest, DecodesEveryGoldenCase) {
  std::ifstream in(std::string(BASTION_TEST_DATA_DIR) + "/charset_cases.json");
  ASSERT_TRUE(in) << "missing " << BASTION_TEST_DATA_DIR << "/charset_cases.json";
  nlohmann::json doc = nlohmann::json::parse(in);
  const auto& cases = doc.at("cases");
  ASSERT_GT(cases.size(), 50u);
  int checked = 0;
  for (const auto& c : cases) {
    const std::string where =
        c.at("source").get<std::string>() + " " + c.at("tag").get<std::string>();
    std::vector<std::string> terms;
    if (!c.at("charset").is_null()) terms = c.at("charset").get<std::vector<std::string>>();
    auto cs = CharacterSet::FromTerms(terms);
    ASSERT_TRUE(cs.ok()) << where << ": " << cs.status().ToString();
    auto vr = ParseVr(c.at("vr").get<std::string>());
    ASSERT_TRUE(vr.has_value()) << where;
    auto r = cs->Decode(FromHex(c.at("hex").get<std::string>()), *vr);
    ASSERT_TRUE(r.ok()) << where << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.at("expected").get<std::string>()) << where;
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

}  // namespace
}  // namespace bastion::dicom

// Character set tables and the iconv conversions behind charset.h (see charset_tables.h).
#include "dicom/charset_tables.h"

#include <iconv.h>

#include <cerrno>
#include <cstdint>

namespace bastion::dicom::charset_internal {
namespace {

// Escape sequences from PS3.3 Table C.12-3 (single-byte) and Table C.12-4 (multi-byte).
constexpr std::array<SetInfo, kGraphicSetCount> kSets = {{
    {"ISO-IR 6 (ASCII)", "(B", false, Shape::kSingleByte, "", Codec::kEucJp},
    {"ISO-IR 14 (JIS X 0201 Romaji)", "(J", false, Shape::kSingleByte, "", Codec::kEucJp},
    {"ISO-IR 87 (JIS X 0208)", "$B", false, Shape::kDoubleByte, "", Codec::kEucJp},
    {"ISO-IR 159 (JIS X 0212)", "$(D", false, Shape::kDoubleByte, "", Codec::kEucJp},
    {"ISO-IR 13 (JIS X 0201 Katakana)", ")I", true, Shape::kSingleByte, "", Codec::kEucJp},
    {"ISO-IR 100 (Latin-1)", "-A", true, Shape::kSingleByte, "", Codec::kEucJp},
    {"ISO-IR 101 (Latin-2)", "-B", true, Shape::kSingleByte, "ISO-8859-2", Codec::kEucJp},
    {"ISO-IR 109 (Latin-3)", "-C", true, Shape::kSingleByte, "ISO-8859-3", Codec::kEucJp},
    {"ISO-IR 110 (Latin-4)", "-D", true, Shape::kSingleByte, "ISO-8859-4", Codec::kEucJp},
    {"ISO-IR 144 (Cyrillic)", "-L", true, Shape::kSingleByte, "ISO-8859-5", Codec::kEucJp},
    {"ISO-IR 127 (Arabic)", "-G", true, Shape::kSingleByte, "ISO-8859-6", Codec::kEucJp},
    {"ISO-IR 126 (Greek)", "-F", true, Shape::kSingleByte, "ISO-8859-7", Codec::kEucJp},
    {"ISO-IR 138 (Hebrew)", "-H", true, Shape::kSingleByte, "ISO-8859-8", Codec::kEucJp},
    {"ISO-IR 148 (Latin-5)", "-M", true, Shape::kSingleByte, "ISO-8859-9", Codec::kEucJp},
    {"ISO-IR 203 (Latin-9)", "-b", true, Shape::kSingleByte, "ISO-8859-15", Codec::kEucJp},
    {"ISO-IR 166 (Thai)", "-T", true, Shape::kSingleByte, "TIS-620", Codec::kEucJp},
    {"ISO-IR 149 (KS X 1001)", "$)C", true, Shape::kDoubleByte, "", Codec::kEucKr},
    {"ISO-IR 58 (GB 2312)", "$)A", true, Shape::kDoubleByte, "", Codec::kEucCn},
}};

constexpr std::array<std::string_view, kCodecCount> kCodecNames = {"EUC-JP", "EUC-KR", "EUC-CN",
                                                                   "GB18030", "GBK"};

const iconv_t kNoConverter = reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1));

// iconv_t holds conversion state, so a handle must not be shared between threads; opening one
// per call costs more than most values take to convert. Each thread keeps its own.
class ThreadConverters {
 public:
  ThreadConverters() { handles_.fill(kNoConverter); }
  ~ThreadConverters() {
    for (iconv_t cd : handles_) {
      if (cd != kNoConverter) iconv_close(cd);
    }
  }
  ThreadConverters(const ThreadConverters&) = delete;
  ThreadConverters& operator=(const ThreadConverters&) = delete;

  // A converter from `codec` to UTF-8 in its initial state, or kNoConverter.
  iconv_t Get(Codec codec) {
    iconv_t& cd = handles_[static_cast<int>(codec)];
    if (cd == kNoConverter) {
      cd = iconv_open("UTF-8", std::string(kCodecNames[static_cast<int>(codec)]).c_str());
    } else {
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
    return cd;
  }

 private:
  std::array<iconv_t, kCodecCount> handles_;
};

// Builds the table of one 96-character set by converting each of its bytes alone.
bool BuildTable(std::string_view iconv_name, G1Table& table) {
  iconv_t cd = iconv_open("UTF-8", std::string(iconv_name).c_str());
  if (cd == kNoConverter) return false;
  for (int i = 0; i < 96; ++i) {
    char in = static_cast<char>(0xA0 + i);
    char* in_ptr = &in;
    std::size_t in_left = 1;
    std::array<char, 8> out{};
    char* out_ptr = out.data();
    std::size_t out_left = out.size();
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
    std::size_t n = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    std::size_t size = out.size() - out_left;
    // Bytes the set leaves unassigned fail; anything outside the BMP cannot come from these
    // sets and would not fit the table, so it is treated as unassigned too.
    if (n == static_cast<std::size_t>(-1) || in_left != 0 || size == 0 || size > 3) continue;
    table[i].size = static_cast<std::uint8_t>(size);
    for (std::size_t k = 0; k < size; ++k) table[i].bytes[k] = out[k];
  }
  iconv_close(cd);
  return true;
}

struct SingleByteTables {
  std::array<G1Table, kGraphicSetCount> tables{};
  std::array<bool, kGraphicSetCount> available{};
};

const SingleByteTables& AllSingleByteTables() {
  static const SingleByteTables* const kTables = [] {
    auto* t = new SingleByteTables;  // never destroyed: decoding may run during shutdown
    for (int i = 0; i < kGraphicSetCount; ++i) {
      if (kSets[i].shape == Shape::kSingleByte && !kSets[i].iconv_name.empty()) {
        t->available[i] = BuildTable(kSets[i].iconv_name, t->tables[i]);
      }
    }
    return t;
  }();
  return *kTables;
}

}  // namespace

const SetInfo& Info(GraphicSet set) { return kSets[static_cast<int>(set)]; }

const G1Table* SingleByteTable(GraphicSet set) {
  const SingleByteTables& all = AllSingleByteTables();
  int i = static_cast<int>(set);
  return i < kGraphicSetCount && all.available[i] ? &all.tables[i] : nullptr;
}

std::string_view CodecName(Codec codec) { return kCodecNames[static_cast<int>(codec)]; }

Conversion ConvertToUtf8(Codec codec, std::string_view in, std::string& out) {
  thread_local ThreadConverters converters;
  iconv_t cd = converters.Get(codec);
  if (cd == kNoConverter) return {Conversion::Outcome::kUnavailable, 0};
  // Every codec here takes at least two bytes for a character UTF-8 writes in three, and
  // four for one UTF-8 writes in four, so twice the input always fits.
  std::size_t used = out.size();
  out.resize(used + 2 * in.size() + 4);
  char* in_ptr = const_cast<char*>(in.data());  // iconv's signature; it does not write
  std::size_t in_left = in.size();
  while (true) {
    char* out_ptr = out.data() + used;
    std::size_t out_left = out.size() - used;
    std::size_t n = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    int error = errno;
    used = static_cast<std::size_t>(out_ptr - out.data());
    if (n != static_cast<std::size_t>(-1)) break;
    if (error == E2BIG) {  // not expected (see above); grow in proportion to what is left
      out.resize(used + 4 * in_left + 16);
      continue;
    }
    out.resize(used);
    return {error == EINVAL ? Conversion::Outcome::kIncomplete : Conversion::Outcome::kInvalid,
            in.size() - in_left};
  }
  out.resize(used);
  return {Conversion::Outcome::kOk, in.size()};
}

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace bastion::dicom::charset_internal

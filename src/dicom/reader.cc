// Implementation notes: the parser is a recursive descent over ByteReader windows. Recursion is
// bounded by ReadLimits::max_sequence_depth (each level costs two small frames), every length
// is compared with the bytes that remain before anything is copied or referenced, and the
// element count is bounded, so no input can exhaust the stack, the heap or the CPU.
#include "dicom/reader.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "base/byte_reader.h"
#include "dicom/dictionary.h"

namespace bastion::dicom {
namespace {

constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr std::size_t kMaxWarnings = 100;

struct Encoding {
  bool explicit_vr;
  Endian endian;
};

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

struct ElementHeader {
  Tag tag;
  std::optional<Vr> vr;  // explicit VR as read; nullopt for implicit VR and item tags
  std::uint32_t length = 0;
  std::uint64_t offset = 0;  // absolute offset of the tag's first byte
};

class Parser {
 public:
  Parser(std::shared_ptr<const ByteSource> source, const ReadOptions& options,
         std::vector<std::string>& warnings, std::string_view where, bool file_meta = false)
      : source_(std::move(source)),
        options_(options),
        warnings_(warnings),
        where_(where),
        file_meta_(file_meta) {}

  // Parses elements from `r` until it is exhausted (or stop_before is reached at top level).
  Status ParseTopLevel(ByteReader& r, Encoding enc, DataSet& out) {
    const std::uint64_t start = r.absolute_offset();
    BASTION_RETURN_IF_ERROR(ParseElements(r, enc, /*depth=*/0, /*undefined_item=*/false, out));
    if (stopped_ && out.empty()) {
      // Lenient reading keeps what was read completely; here that is nothing at all.
      return Malformed("no element could be read before the input ends", start);
    }
    return Status::Ok();
  }

 private:
  // ---- diagnostics ----
  std::string Path() const {
    if (path_.empty()) return "top level";
    std::string p;
    for (const PathPart& part : path_) {
      if (part.item < 0) {
        if (!p.empty()) p += '/';
        p += part.tag.ToString();
      } else {
        p += "[" + std::to_string(part.item) + "]";
      }
    }
    return p;
  }
  std::string At(std::uint64_t offset) const {
    std::string s = " at " + Path() + ", offset " + Hex(offset);
    if (!where_.empty()) {
      s += " of ";
      s += where_;
    }
    return s;
  }
  Status Malformed(const std::string& what, std::uint64_t offset) const {
    return Status::Malformed(what + At(offset));
  }
  Status Limit(const std::string& what, std::uint64_t offset) const {
    return Status::LimitExceeded(what + At(offset));
  }
  void Warn(const std::string& what, std::uint64_t offset) {
    if (warnings_.size() < kMaxWarnings) {
      warnings_.push_back(what + At(offset));
    } else if (warnings_.size() == kMaxWarnings) {
      warnings_.push_back("more warnings suppressed");
    }
  }

  // Where the parser is: tags and item indexes, formatted only when a message needs them.
  struct PathPart {
    Tag tag;
    std::int64_t item = -1;  // >= 0: an item index
  };
  struct PathScope {
    PathScope(std::vector<PathPart>& path, PathPart part) : path_(path) { path_.push_back(part); }
    ~PathScope() { path_.pop_back(); }
    std::vector<PathPart>& path_;
  };

  // ---- element headers ----
  Status ReadHeader(ByteReader& r, Encoding enc, ElementHeader& h) {
    h.offset = r.absolute_offset();
    ByteReader tr(r.data().subspan(r.position()), enc.endian, h.offset);
    auto group = tr.ReadU16();
    auto element = tr.ReadU16();
    if (!group || !element) return Truncated("element tag", h.offset, r.remaining());
    h.tag = Tag(*group, *element);
    h.vr.reset();
    if (h.tag.is_delimiter_group() || !enc.explicit_vr) {
      auto len = tr.ReadU32();
      if (!len) return Truncated("element length", h.offset, r.remaining());
      h.length = *len;
      r.Skip(tr.position());
      return Status::Ok();
    }
    auto code = tr.ReadSpan(2);
    if (!code) return Truncated("VR", h.offset, r.remaining());
    std::string_view vr_text(reinterpret_cast<const char*>(code->data()), 2);
    std::optional<Vr> vr = ParseVr(vr_text);
    if (!vr) {
      if (!options_.allow_invalid_vr) {
        return Malformed("invalid VR '" + Printable(vr_text) + "' for " + h.tag.ToString() +
                             " in an explicit VR data set (lenient reading treats it as implicit)",
                         h.offset);
      }
      Warn("invalid VR '" + Printable(vr_text) + "' for " + h.tag.ToString() +
               ", read as implicit VR",
           h.offset);
      ByteReader lr(r.data().subspan(r.position() + 4), enc.endian, h.offset + 4);
      auto len = lr.ReadU32();
      if (!len) return Truncated("element length", h.offset, r.remaining());
      h.length = *len;
      r.Skip(8);
      return Status::Ok();
    }
    h.vr = vr;
    if (HasLongLength(*vr)) {
      if (!tr.Skip(2)) return Truncated("reserved bytes", h.offset, r.remaining());
      auto len = tr.ReadU32();
      if (!len) return Truncated("element length", h.offset, r.remaining());
      h.length = *len;
    } else {
      auto len = tr.ReadU16();
      if (!len) return Truncated("element length", h.offset, r.remaining());
      h.length = *len;
    }
    r.Skip(tr.position());
    return Status::Ok();
  }

  static std::string Printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (c >= 0x20 && c < 0x7F) {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out += buf;
      }
    }
    return out;
  }

  Status Truncated(const char* what, std::uint64_t offset, std::size_t remaining) {
    return EndsEarly("input ends inside the " + std::string(what) + " (" +
                         std::to_string(remaining) + " bytes left)",
                     offset);
  }

  // The input ends before what it announced. Strict: an error. Lenient (allow_truncation):
  // a warning, and every level stops, keeping the elements that were read completely.
  Status EndsEarly(const std::string& what, std::uint64_t offset) {
    if (!options_.allow_truncation) return Malformed(what, offset);
    Warn(what + "; the rest of the input is ignored", offset);
    stopped_ = true;
    return Status::Ok();
  }

  // ---- data sets ----
  // Reads elements until `r` is exhausted or, when `undefined_item`, until an Item
  // Delimitation Item.
  Status ParseElements(ByteReader& r, Encoding enc, std::uint32_t depth, bool undefined_item,
                       DataSet& out) {
    bool have_last = false;
    Tag last;
    while (!r.empty() && !stopped_) {
      ElementHeader h;
      Status st = ReadHeader(r, enc, h);
      if (!st.ok() || stopped_) return st;
      if (h.tag == tags::kItemDelimitationItem) {
        if (!undefined_item) {
          if (depth == 0 && options_.allow_truncation) {
            Warn("stray item delimiter after the data set, ignored", h.offset);
            continue;
          }
          return Malformed("item delimiter outside an item of undefined length", h.offset);
        }
        if (h.length != 0) {
          return Malformed("item delimiter with non-zero length " + std::to_string(h.length),
                           h.offset);
        }
        return Status::Ok();
      }
      if (h.tag == tags::kSequenceDelimitationItem && depth == 0 && !undefined_item &&
          options_.allow_truncation) {
        Warn("stray sequence delimiter after the data set, ignored", h.offset);
        continue;
      }
      if (h.tag.is_delimiter_group()) {
        return Malformed("unexpected " + h.tag.ToString() + " where a data element was expected",
                         h.offset);
      }
      if (depth == 0 && h.tag >= options_.stop_before) return Status::Ok();
      if (depth == 0 && h.tag.group == 0x0002 && !file_meta_) {
        // Group 0002 belongs to the File Meta Information only (PS3.10 7.1); in a data set it
        // would be dropped on writing, so it is refused rather than silently lost.
        if (!options_.allow_bad_file_meta) {
          return Malformed("File Meta Information element " + h.tag.ToString() +
                               " inside the data set (PS3.10 7.1)",
                           h.offset);
        }
        Warn("File Meta Information element " + h.tag.ToString() + " inside the data set, ignored",
             h.offset);
        Element skipped;
        PathScope scope(path_, PathPart{h.tag});
        BASTION_RETURN_IF_ERROR(ParseValue(r, enc, h, depth, skipped));
        continue;
      }
      if (have_last && h.tag <= last) {
        if (!options_.allow_unordered_tags) {
          return Malformed(h.tag.ToString() + " is not in ascending order after " +
                               last.ToString() + " (PS3.5 7.1)",
                           h.offset);
        }
        Warn(h.tag.ToString() + " out of ascending order after " + last.ToString(), h.offset);
      }
      if (++element_count_ > options_.limits.max_elements) {
        return Limit("more than " + std::to_string(options_.limits.max_elements) + " elements",
                     h.offset);
      }
      Element e;
      {
        PathScope scope(path_, PathPart{h.tag});
        st = ParseValue(r, enc, h, depth, e);
      }
      if (!st.ok()) return st;
      if (stopped_) {
        // Keep a truncated sequence's complete items; drop a value that was cut short.
        if (e.is_sequence() || !e.fragments.empty()) out.Append(std::move(e));
        return Status::Ok();
      }
      if (!have_last || h.tag > last) {
        last = h.tag;
        have_last = true;
      }
      out.Append(std::move(e));
    }
    if (undefined_item && !stopped_) {
      if (options_.allow_truncation) {
        Warn("item of undefined length has no item delimiter", r.absolute_offset());
        return Status::Ok();
      }
      return Malformed("input ends before the item delimiter of an item of undefined length",
                       r.absolute_offset());
    }
    return Status::Ok();
  }

  // The VR for an element, from the stream or (implicit VR) from the dictionary.
  static Vr ResolveVr(const ElementHeader& h) {
    if (h.vr) return *h.vr;
    if (h.tag.is_private_creator()) return Vr::kLO;
    if (const DictionaryEntry* entry = LookupTag(h.tag)) return entry->vr;
    return Vr::kUN;
  }

  Status ParseValue(ByteReader& r, Encoding enc, const ElementHeader& h, std::uint32_t depth,
                    Element& e) {
    e.tag = h.tag;
    e.vr = ResolveVr(h);
    e.source_offset = h.offset;
    const std::uint64_t value_offset = r.absolute_offset();

    if (h.length == kUndefinedLength) {
      if (h.tag == tags::kPixelData) {
        if (h.vr && *h.vr != Vr::kOB) {
          // PS3.5 A.4 requires OB; OW/UN are a common writer error, tolerated only leniently.
          if (!options_.allow_invalid_vr || (*h.vr != Vr::kOW && *h.vr != Vr::kUN)) {
            return Malformed(
                "encapsulated pixel data must be OB (PS3.5 A.4), not " + std::string(VrName(*h.vr)),
                h.offset);
          }
          Warn("encapsulated pixel data marked " + std::string(VrName(*h.vr)) + ", read as OB",
               h.offset);
        }
        return ParseEncapsulated(r, enc, h, e);
      }
      // Sequences; an unknown or UN element of undefined length is a sequence encoded in
      // implicit VR little endian (PS3.5 6.2.2 note 4, 7.5.1).
      Encoding item_enc = enc;
      if (e.vr == Vr::kUN) {
        item_enc = Encoding{false, Endian::kLittle};
      } else if (e.vr != Vr::kSQ) {
        return Malformed(
            "undefined length is only allowed for SQ, UN and encapsulated pixel "
            "data, not " +
                std::string(VrName(e.vr)),
            h.offset);
      }
      e.vr = Vr::kSQ;
      return ParseSequence(r, item_enc, depth, std::nullopt, e);
    }

    if (h.length > options_.limits.max_element_length) {
      return Limit("value length " + std::to_string(h.length) + " exceeds the limit of " +
                       std::to_string(options_.limits.max_element_length) + " bytes",
                   h.offset);
    }
    if (h.length > r.remaining()) {
      return EndsEarly("value length " + std::to_string(h.length) + " exceeds the " +
                           std::to_string(r.remaining()) + " bytes that remain",
                       h.offset);
    }
    if (h.length % 2 != 0) {
      if (!options_.allow_odd_length) {
        return Malformed("odd value length " + std::to_string(h.length) + " (PS3.5 7.1.1)",
                         h.offset);
      }
      Warn("odd value length " + std::to_string(h.length), h.offset);
    }
    if (e.vr == Vr::kSQ) {
      return ParseSequence(r, enc, depth, h.length, e);
    }
    auto bytes = *r.ReadSpan(h.length);
    const int swap = SwapWidth(e.vr);
    const bool needs_swap = enc.endian == Endian::kBig && swap > 1;
    if (h.length >= options_.bulk_threshold && !needs_swap) {
      e.value = ValueBytes(BulkRef{source_, value_offset, h.length});
      return Status::Ok();
    }
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    if (needs_swap) SwapInPlace(copy, swap);
    e.value = ValueBytes(std::move(copy));
    return Status::Ok();
  }

  static void SwapInPlace(std::vector<std::uint8_t>& v, int width) {
    const auto w = static_cast<std::size_t>(width);
    for (std::size_t i = 0; i + w <= v.size(); i += w) {
      for (std::size_t a = i, b = i + w - 1; a < b; ++a, --b) std::swap(v[a], v[b]);
    }
  }

  // Items of a sequence, of defined (`length`) or undefined length (PS3.5 7.5).
  Status ParseSequence(ByteReader& r, Encoding enc, std::uint32_t depth,
                       std::optional<std::uint32_t> length, Element& e) {
    if (depth + 1 > options_.limits.max_sequence_depth) {
      return Limit("sequences nested deeper than " +
                       std::to_string(options_.limits.max_sequence_depth) + " levels",
                   r.absolute_offset());
    }
    ByteReader window = r;
    if (length) {
      auto span = r.ReadSpan(*length);  // bounds already checked by the caller
      window = ByteReader(*span, enc.endian, r.absolute_offset() - *length);
    }
    ByteReader& in = length ? window : r;
    std::size_t index = 0;
    while (!in.empty() && !stopped_) {
      ElementHeader h;
      // Item tags and lengths are never explicit VR (PS3.5 7.5).
      Status st = ReadHeader(in, Encoding{false, enc.endian}, h);
      if (!st.ok() || stopped_) return st;
      if (h.tag == tags::kSequenceDelimitationItem) {
        if (h.length != 0) {
          return Malformed("sequence delimiter with non-zero length " + std::to_string(h.length),
                           h.offset);
        }
        if (length) {
          if (!options_.allow_truncation) {
            return Malformed("sequence delimiter in a sequence of defined length", h.offset);
          }
          Warn("sequence delimiter in a sequence of defined length, ignored", h.offset);
          continue;
        }
        return Status::Ok();
      }
      if (h.tag != tags::kItem) {
        return Malformed("expected an item (FFFE,E000) in the sequence, found " + h.tag.ToString(),
                         h.offset);
      }
      if (++element_count_ > options_.limits.max_elements) {
        return Limit("more than " + std::to_string(options_.limits.max_elements) + " elements",
                     h.offset);
      }
      PathScope scope(path_, PathPart{Tag(), static_cast<std::int64_t>(index++)});
      DataSet item;
      if (h.length == kUndefinedLength) {
        st = ParseElements(in, enc, depth + 1, /*undefined_item=*/true, item);
      } else {
        if (h.length > in.remaining()) {
          return EndsEarly("item length " + std::to_string(h.length) + " exceeds the " +
                               std::to_string(in.remaining()) + " bytes that remain",
                           h.offset);
        }
        const std::uint64_t item_offset = in.absolute_offset();
        ByteReader item_reader(*in.ReadSpan(h.length), enc.endian, item_offset);
        st = ParseElements(item_reader, enc, depth + 1, /*undefined_item=*/false, item);
      }
      if (!st.ok()) return st;
      e.items.push_back(std::move(item));
    }
    if (!length && !stopped_) {
      if (options_.allow_truncation) {
        Warn("sequence of undefined length has no sequence delimiter", in.absolute_offset());
        return Status::Ok();
      }
      return Malformed("input ends before the delimiter of a sequence of undefined length",
                       in.absolute_offset());
    }
    return Status::Ok();
  }

  // Encapsulated pixel data: Basic Offset Table item, fragment items, sequence delimiter
  // (PS3.5 A.4). Fragments are kept unchanged.
  Status ParseEncapsulated(ByteReader& r, Encoding enc, const ElementHeader& pixel_header,
                           Element& e) {
    e.encapsulated = true;
    e.vr = Vr::kOB;
    while (true) {
      if (r.empty()) {
        return EndsEarly("input ends before the sequence delimiter of encapsulated pixel data",
                         r.absolute_offset());
      }
      ElementHeader h;
      Status st = ReadHeader(r, Encoding{false, enc.endian}, h);
      if (!st.ok() || stopped_) return st;
      if (h.tag == tags::kSequenceDelimitationItem) {
        if (h.length != 0) {
          return Malformed("sequence delimiter with non-zero length " + std::to_string(h.length),
                           h.offset);
        }
        if (e.fragments.empty()) {
          return Malformed("encapsulated pixel data without a Basic Offset Table item",
                           pixel_header.offset);
        }
        return Status::Ok();
      }
      if (h.tag != tags::kItem) {
        return Malformed("expected a fragment item (FFFE,E000), found " + h.tag.ToString(),
                         h.offset);
      }
      if (h.length == kUndefinedLength) {
        return Malformed("fragment of undefined length (PS3.5 A.4 requires defined lengths)",
                         h.offset);
      }
      if (h.length > options_.limits.max_element_length) {
        return Limit("fragment length " + std::to_string(h.length) + " exceeds the limit of " +
                         std::to_string(options_.limits.max_element_length) + " bytes",
                     h.offset);
      }
      if (h.length > r.remaining()) {
        return EndsEarly("fragment length " + std::to_string(h.length) + " exceeds the " +
                             std::to_string(r.remaining()) + " bytes that remain",
                         h.offset);
      }
      if (e.fragments.size() >= options_.limits.max_fragments) {
        return Limit("more than " + std::to_string(options_.limits.max_fragments) + " fragments",
                     h.offset);
      }
      const std::uint64_t value_offset = r.absolute_offset();
      auto bytes = *r.ReadSpan(h.length);
      if (h.length >= options_.bulk_threshold) {
        e.fragments.emplace_back(BulkRef{source_, value_offset, h.length});
      } else {
        e.fragments.emplace_back(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
      }
    }
  }

  std::shared_ptr<const ByteSource> source_;
  const ReadOptions& options_;
  std::vector<std::string>& warnings_;
  std::string_view where_;
  std::vector<PathPart> path_;
  std::uint64_t element_count_ = 0;
  bool file_meta_;        // parsing group 0002 itself
  bool stopped_ = false;  // lenient reading met the end of a truncated input
};

// Raw deflate (RFC 1951) of the rest of the input, bounded in size and ratio (PS3.5 A.5).
Result<std::vector<std::uint8_t>> Inflate(std::span<const std::uint8_t> in,
                                          const ReadLimits& limits, std::uint64_t offset) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return Status::Internal("zlib initialisation failed");
  std::vector<std::uint8_t> out;
  const std::uint64_t max_out = std::min(limits.max_inflated_size, limits.max_total_size);
  std::size_t consumed_total = 0;
  std::uint8_t chunk[64 * 1024];
  Status status;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    // zlib takes uInt lengths: feed at most 1 GiB at a time.
    if (zs.avail_in == 0) {
      std::size_t left = in.size() - consumed_total;
      if (left == 0) break;
      std::size_t n = std::min<std::size_t>(left, 1u << 30);
      zs.next_in = const_cast<Bytef*>(in.data() + consumed_total);
      zs.avail_in = static_cast<uInt>(n);
      consumed_total += n;
    }
    zs.next_out = chunk;
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      status = Status::Malformed("deflated data set is corrupt (" +
                                 std::string(zs.msg ? zs.msg : "zlib error") + ") after " +
                                 std::to_string(zs.total_in) + " compressed bytes, offset " +
                                 Hex(offset + zs.total_in));
      break;
    }
    const std::size_t produced = sizeof chunk - zs.avail_out;
    if (out.size() + produced > max_out) {
      status = Status::LimitExceeded("deflated data set inflates past the limit of " +
                                     std::to_string(max_out) + " bytes");
      break;
    }
    if (out.size() + produced > limits.min_size_for_inflate_ratio &&
        out.size() + produced >
            zs.total_in * static_cast<std::uint64_t>(limits.max_inflate_ratio)) {
      status = Status::LimitExceeded(
          "deflated data set inflates more than " + std::to_string(limits.max_inflate_ratio) +
          " times its compressed size (a deflate bomb?), offset " + Hex(offset + zs.total_in));
      break;
    }
    out.insert(out.end(), chunk, chunk + produced);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed_total == in.size()) {
      status = Status::Malformed("deflated data set ends before the end of its deflate stream");
      break;
    }
  }
  inflateEnd(&zs);
  if (!status.ok()) return status;
  return out;
}

// Guesses the encoding of a bare data set from its first element (lenient reading only).
TransferSyntax GuessTransferSyntax(std::span<const std::uint8_t> b) {
  if (b.size() < 6) return ImplicitVrLittleEndian();
  const bool big = b[0] == 0 && b[1] != 0;
  std::string_view vr(reinterpret_cast<const char*>(b.data() + 4), 2);
  const bool explicit_vr = ParseVr(vr).has_value();
  if (big) return ExplicitVrBigEndian();
  return explicit_vr ? ExplicitVrLittleEndian() : ImplicitVrLittleEndian();
}

std::string TrimUid(std::string s) {
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

// Parses the data set that starts at `offset` of `source` in `ts`, inflating first if needed.
Status ParseBody(std::shared_ptr<const ByteSource> source, std::uint64_t offset,
                 const TransferSyntax& ts, const ReadOptions& options, DataSet& out,
                 std::vector<std::string>& warnings) {
  auto bytes = source->bytes().subspan(static_cast<std::size_t>(offset));
  if (ts.deflated) {
    auto inflated = Inflate(bytes, options.limits, offset);
    if (!inflated.ok()) return inflated.status();
    auto owned = OwnedBytes::Make(std::move(inflated).value());
    ByteReader r(owned->bytes(), Endian::kLittle, 0);
    Parser parser(owned, options, warnings, "the inflated data set");
    return parser.ParseTopLevel(r, Encoding{true, Endian::kLittle}, out);
  }
  Encoding enc{ts.explicit_vr, ts.endian};
  if (options.allow_bad_file_meta && bytes.size() >= 6) {
    // Some writers label implicit VR data sets as explicit and vice versa: believe the bytes.
    const bool looks_explicit =
        ParseVr(std::string_view(reinterpret_cast<const char*>(bytes.data() + 4), 2)).has_value();
    if (looks_explicit != ts.explicit_vr && ts.endian == Endian::kLittle) {
      warnings.push_back(std::string("the data set is encoded in ") +
                         (looks_explicit ? "explicit" : "implicit") +
                         " VR although its transfer syntax says otherwise; read as found");
      enc.explicit_vr = looks_explicit;
    }
  }
  ByteReader r(bytes, ts.endian, offset);
  Parser parser(std::move(source), options, warnings, "");
  return parser.ParseTopLevel(r, enc, out);
}

// Reads group 0002 starting at `offset`; returns the offset just after it.
Result<std::uint64_t> ParseFileMeta(const std::shared_ptr<const ByteSource>& source,
                                    std::uint64_t offset, const ReadOptions& options, DataSet& meta,
                                    std::vector<std::string>& warnings) {
  auto all = source->bytes();
  auto peek_group = [&](std::uint64_t at) -> std::optional<std::uint16_t> {
    if (at + 2 > all.size()) return std::nullopt;
    return static_cast<std::uint16_t>(all[at] | (all[at + 1] << 8));
  };
  // Meta elements are explicit VR little endian and short; read them one by one while the
  // group is 0002, then check the group length agrees.
  ReadOptions meta_options = options;
  meta_options.stop_before = Tag(0xFFFF, 0xFFFF);
  std::uint64_t pos = offset;
  std::optional<std::uint64_t> declared_end;
  while (peek_group(pos) == 0x0002) {
    // Find the end of this one element by parsing it alone.
    ByteReader r(all.subspan(static_cast<std::size_t>(pos)), Endian::kLittle, pos);
    DataSet one;
    Parser parser(source, meta_options, warnings, "the File Meta Information",
                  /*file_meta=*/true);
    // Parse exactly one element: limit the window to the header plus its length.
    if (r.remaining() < 8) return Status::Malformed("File Meta Information is truncated");
    std::uint16_t vr_len_field = 0;
    std::uint64_t header = 8;
    std::uint64_t length = 0;
    std::string_view vr(reinterpret_cast<const char*>(all.data() + pos + 4), 2);
    auto parsed_vr = ParseVr(vr);
    if (!parsed_vr) {
      return Status::Malformed("File Meta Information element at offset " + Hex(pos) +
                               " has invalid VR '" + std::string(vr) +
                               "' (group 0002 is always explicit VR little endian)");
    }
    if (HasLongLength(*parsed_vr)) {
      if (r.remaining() < 12) return Status::Malformed("File Meta Information is truncated");
      header = 12;
      length = all[pos + 8] | (all[pos + 9] << 8) | (all[pos + 10] << 16) |
               (static_cast<std::uint64_t>(all[pos + 11]) << 24);
    } else {
      vr_len_field = static_cast<std::uint16_t>(all[pos + 6] | (all[pos + 7] << 8));
      length = vr_len_field;
    }
    if (length > 0x10000) {
      return Status::LimitExceeded("File Meta Information element at offset " + Hex(pos) + " is " +
                                   std::to_string(length) + " bytes long");
    }
    if (header + length > r.remaining()) {
      return Status::Malformed("File Meta Information element at offset " + Hex(pos) +
                               " runs past the end of the file");
    }
    ByteReader elem(all.subspan(static_cast<std::size_t>(pos), header + length), Endian::kLittle,
                    pos);
    BASTION_RETURN_IF_ERROR(parser.ParseTopLevel(elem, Encoding{true, Endian::kLittle}, one));
    for (const Element& e : one.elements()) {
      if (e.tag == tags::kFileMetaInformationGroupLength && pos == offset) {
        auto v = e.value.view();
        if (e.vr == Vr::kUL && v.size() == 4) {
          declared_end =
              pos + header + length +
              (v[0] | (v[1] << 8) | (v[2] << 16) | (static_cast<std::uint64_t>(v[3]) << 24));
        }
      }
      if (meta.Contains(e.tag)) {
        return Status::Malformed("File Meta Information repeats " + e.tag.ToString());
      }
      meta.Append(e);
    }
    pos += header + length;
  }
  if (!declared_end) {
    if (!options.allow_bad_file_meta) {
      return Status::Malformed(
          "File Meta Information has no group length (0002,0000) (PS3.10 7.1); lenient reading "
          "accepts this");
    }
    warnings.push_back("File Meta Information has no group length (0002,0000)");
  } else if (*declared_end != pos) {
    if (!options.allow_bad_file_meta) {
      return Status::Malformed("File Meta Information group length says the group ends at " +
                               Hex(*declared_end) + " but it ends at " + Hex(pos));
    }
    warnings.push_back("File Meta Information group length is wrong (says " + Hex(*declared_end) +
                       ", group ends at " + Hex(pos) + ")");
  }
  return pos;
}

}  // namespace

ReadOptions LenientReadOptions() {
  ReadOptions o;
  o.allow_missing_preamble = true;
  o.allow_bad_file_meta = true;
  o.allow_odd_length = true;
  o.allow_unordered_tags = true;
  o.allow_invalid_vr = true;
  o.allow_truncation = true;
  return o;
}

bool PreambleIsZero(const std::array<std::uint8_t, 128>& preamble) {
  for (auto b : preamble) {
    if (b != 0) return false;
  }
  return true;
}

std::string DescribePreamble(const std::array<std::uint8_t, 128>& preamble) {
  if (PreambleIsZero(preamble)) return "all zero";
  if (preamble[0] == 'M' && preamble[1] == 'Z') return "Windows PE executable header (MZ)";
  if (preamble[0] == 0x7F && preamble[1] == 'E' && preamble[2] == 'L' && preamble[3] == 'F') {
    return "ELF executable header";
  }
  const std::uint32_t magic = static_cast<std::uint32_t>(preamble[0]) << 24 |
                              static_cast<std::uint32_t>(preamble[1]) << 16 |
                              static_cast<std::uint32_t>(preamble[2]) << 8 | preamble[3];
  if (magic == 0xFEEDFACE || magic == 0xFEEDFACF || magic == 0xCEFAEDFE || magic == 0xCFFAEDFE ||
      magic == 0xCAFEBABE) {
    return "Mach-O executable header";
  }
  if (preamble[0] == '#' && preamble[1] == '!') return "script (#!)";
  if (preamble[0] == 'I' && preamble[1] == 'I' && preamble[2] == 0x2A) return "TIFF header";
  return "non-zero application data";
}

Result<ReadDataSetResult> ReadDataSet(std::shared_ptr<const ByteSource> source,
                                      const TransferSyntax& ts, const ReadOptions& options) {
  if (!source) return Status::Internal("ReadDataSet without a source");
  if (source->bytes().size() > options.limits.max_total_size) {
    return Status::LimitExceeded("input of " + std::to_string(source->bytes().size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(options.limits.max_total_size));
  }
  ReadDataSetResult result;
  BASTION_RETURN_IF_ERROR(
      ParseBody(std::move(source), 0, ts, options, result.dataset, result.warnings));
  return result;
}

Result<Part10File> ReadPart10(std::shared_ptr<const ByteSource> source,
                              const ReadOptions& options) {
  if (!source) return Status::Internal("ReadPart10 without a source");
  auto all = source->bytes();
  if (all.size() > options.limits.max_total_size) {
    return Status::LimitExceeded("file of " + std::to_string(all.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(options.limits.max_total_size));
  }
  Part10File file;
  file.transfer_syntax = ExplicitVrLittleEndian();
  std::uint64_t pos = 0;
  if (all.size() >= 132 && std::memcmp(all.data() + 128, "DICM", 4) == 0) {
    std::memcpy(file.preamble.data(), all.data(), 128);
    file.has_preamble = true;
    pos = 132;
  } else if (!options.allow_missing_preamble) {
    return Status::Malformed(
        "not a DICOM Part 10 file: no 'DICM' prefix after the 128-byte preamble (PS3.10 7.1); "
        "lenient reading accepts a bare data set");
  } else {
    file.warnings.push_back("no preamble and 'DICM' prefix; read as a bare data set");
  }

  const bool meta_follows = all.size() >= pos + 6 && all[pos] == 0x02 && all[pos + 1] == 0x00;
  if (meta_follows) {
    BASTION_ASSIGN_OR_RETURN(pos, ParseFileMeta(source, pos, options, file.meta, file.warnings));
    auto ts_uid = file.meta.GetString(tags::kTransferSyntaxUid);
    if (!ts_uid || TrimUid(*ts_uid).empty()) {
      if (!options.allow_bad_file_meta) {
        return Status::Malformed(
            "File Meta Information has no Transfer Syntax UID (0002,0010); lenient reading "
            "guesses the encoding");
      }
      file.transfer_syntax = GuessTransferSyntax(all.subspan(static_cast<std::size_t>(pos)));
      file.warnings.push_back("no Transfer Syntax UID; guessed " +
                              std::string(file.transfer_syntax.name));
    } else {
      std::string uid = TrimUid(*ts_uid);
      auto ts = FindTransferSyntax(uid);
      if (!ts) {
        return Status::Unsupported("transfer syntax '" + uid +
                                   "' is not a transfer syntax this reader supports");
      }
      file.transfer_syntax = *ts;
    }
  } else {
    if (file.has_preamble && !options.allow_bad_file_meta) {
      return Status::Malformed(
          "Part 10 file has no File Meta Information (group 0002) after "
          "'DICM'");
    }
    file.transfer_syntax = GuessTransferSyntax(all.subspan(static_cast<std::size_t>(pos)));
    file.warnings.push_back("no File Meta Information; guessed " +
                            std::string(file.transfer_syntax.name));
  }
  BASTION_RETURN_IF_ERROR(
      ParseBody(source, pos, file.transfer_syntax, options, file.dataset, file.warnings));
  return file;
}

Result<std::uint64_t> FindDataSetOffset(std::span<const std::uint8_t> file) {
  if (file.size() < 144 || file[128] != 'D' || file[129] != 'I' || file[130] != 'C' ||
      file[131] != 'M') {
    return Status::Unsupported(
        "not a DICOM Part 10 file (no 128-byte preamble and \"DICM\" prefix)");
  }
  const auto* p = file.data() + 132;
  const bool group_length = p[0] == 0x02 && p[1] == 0x00 && p[2] == 0x00 && p[3] == 0x00 &&
                            p[4] == 'U' && p[5] == 'L' && p[6] == 4 && p[7] == 0;
  if (!group_length) {
    return Status::Malformed(
        "the File Meta Information does not start with its group length "
        "(0002,0000)");
  }
  const std::uint64_t length = std::uint64_t{p[8]} | std::uint64_t{p[9]} << 8 |
                               std::uint64_t{p[10]} << 16 | std::uint64_t{p[11]} << 24;
  if (144 + length > file.size())
    return Status::Malformed("the File Meta Information is truncated");
  return 144 + length;
}

Result<Part10Summary> SummarizePart10(std::shared_ptr<const ByteSource> source,
                                      const ReadOptions& options) {
  BASTION_ASSIGN_OR_RETURN(std::uint64_t offset, FindDataSetOffset(source->bytes()));
  ReadOptions head = options;
  head.stop_before = Tag{0x0008, 0x0019};  // through SOP Instance UID
  BASTION_ASSIGN_OR_RETURN(Part10File file, ReadPart10(std::move(source), head));
  Part10Summary summary;
  summary.sop_class_uid = file.dataset.GetString(tags::kSopClassUid).value_or("");
  summary.sop_instance_uid = file.dataset.GetString(Tag{0x0008, 0x0018}).value_or("");
  summary.transfer_syntax_uid = std::string(file.transfer_syntax.uid);
  summary.data_offset = offset;
  if (summary.sop_class_uid.empty() || summary.sop_instance_uid.empty()) {
    return Status::Malformed(
        "the data set has no SOP Class UID (0008,0016) or SOP Instance UID (0008,0018)");
  }
  return summary;
}

}  // namespace bastion::dicom

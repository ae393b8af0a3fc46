#include "dicom/writer.h"

#include <zlib.h>

#include <algorithm>

#include "base/byte_reader.h"

namespace bastion::dicom {
namespace {

constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr std::size_t kFlushThreshold = 256 * 1024;

struct Encoding {
  bool explicit_vr;
  Endian endian;
};

// Buffers small writes; large values go straight to the sink.
class Encoder {
 public:
  Encoder(ByteSink& sink, Encoding enc) : sink_(sink), enc_(enc) {}

  Status WriteElements(const DataSet& ds, bool skip_meta) {
    for (const Element& e : ds.elements()) {
      if (e.tag.is_group_length()) continue;  // recomputed nowhere: obsolete outside group 0002
      if (skip_meta && e.tag.group == 0x0002) continue;
      BASTION_RETURN_IF_ERROR(WriteElement(e));
    }
    return Status::Ok();
  }

  Status Finish() { return Flush(); }

 private:
  void U16(std::uint16_t v) { ByteWriter(buf_, enc_.endian).WriteU16(v); }
  void U32(std::uint32_t v) { ByteWriter(buf_, enc_.endian).WriteU32(v); }
  void TagOf(Tag t) {
    U16(t.group);
    U16(t.element);
  }

  void Header(Tag tag, Vr vr, std::uint32_t length) {
    TagOf(tag);
    if (!enc_.explicit_vr) {
      U32(length);
      return;
    }
    auto name = VrName(vr);
    buf_.push_back(static_cast<std::uint8_t>(name[0]));
    buf_.push_back(static_cast<std::uint8_t>(name[1]));
    if (HasLongLength(vr)) {
      U16(0);
      U32(length);
    } else {
      U16(static_cast<std::uint16_t>(length));
    }
  }

  void ItemHeader(Tag tag, std::uint32_t length) {
    TagOf(tag);
    U32(length);
  }

  Status Flush() {
    if (buf_.empty()) return Status::Ok();
    Status st = sink_.Write(buf_);
    buf_.clear();
    return st;
  }

  Status Bytes(std::span<const std::uint8_t> b) {
    if (b.size() < kFlushThreshold) {
      buf_.insert(buf_.end(), b.begin(), b.end());
      return buf_.size() >= kFlushThreshold ? Flush() : Status::Ok();
    }
    BASTION_RETURN_IF_ERROR(Flush());
    return sink_.Write(b);
  }

  // Values are held little endian; big endian output swaps each unit, a chunk at a time.
  Status ValueBytesOut(std::span<const std::uint8_t> b, Vr vr) {
    const int width = SwapWidth(vr);
    if (enc_.endian == Endian::kLittle || width <= 1) return Bytes(b);
    const auto w = static_cast<std::size_t>(width);
    std::vector<std::uint8_t> chunk;
    for (std::size_t off = 0; off < b.size(); off += kFlushThreshold) {
      std::size_t n = std::min(kFlushThreshold, b.size() - off);
      chunk.assign(b.begin() + static_cast<std::ptrdiff_t>(off),
                   b.begin() + static_cast<std::ptrdiff_t>(off + n));
      for (std::size_t i = 0; i + w <= chunk.size(); i += w) {
        std::reverse(chunk.begin() + static_cast<std::ptrdiff_t>(i),
                     chunk.begin() + static_cast<std::ptrdiff_t>(i + w));
      }
      BASTION_RETURN_IF_ERROR(Bytes(chunk));
    }
    return Status::Ok();
  }

  Status WriteElement(const Element& e) {
    if (!e.bulk_data_uri.empty() && e.value.size() == 0) {
      return Status::Unsupported(e.tag.ToString() + " holds only a BulkDataURI ('" +
                                 e.bulk_data_uri + "'); resolve it before encoding");
    }
    if (e.vr == Vr::kSQ) {
      Header(e.tag, Vr::kSQ, kUndefinedLength);
      for (const DataSet& item : e.items) {
        ItemHeader(tags::kItem, kUndefinedLength);
        BASTION_RETURN_IF_ERROR(WriteElements(item, false));
        ItemHeader(tags::kItemDelimitationItem, 0);
      }
      ItemHeader(tags::kSequenceDelimitationItem, 0);
      return Status::Ok();
    }
    if (e.encapsulated) {
      Header(e.tag, Vr::kOB, kUndefinedLength);
      for (const ValueBytes& fragment : e.fragments) {
        auto b = fragment.view();
        if (b.size() > 0xFFFFFFFEu) return Status::LimitExceeded("fragment too long to encode");
        const bool odd = b.size() % 2 != 0;
        ItemHeader(tags::kItem, static_cast<std::uint32_t>(b.size() + (odd ? 1 : 0)));
        BASTION_RETURN_IF_ERROR(Bytes(b));
        if (odd) buf_.push_back(0);
      }
      ItemHeader(tags::kSequenceDelimitationItem, 0);
      return Status::Ok();
    }
    auto b = e.value.view();
    const bool odd = b.size() % 2 != 0;
    const std::uint64_t padded = b.size() + (odd ? 1 : 0);
    if (padded > 0xFFFFFFFEu) {
      return Status::LimitExceeded(e.tag.ToString() + " value of " + std::to_string(b.size()) +
                                   " bytes is too long to encode");
    }
    Vr vr = e.vr;
    // A value too long for a 16-bit length field can only be encoded as UN (PS3.5 6.2.2).
    if (enc_.explicit_vr && !HasLongLength(vr) && padded > 0xFFFF) vr = Vr::kUN;
    Header(e.tag, vr, static_cast<std::uint32_t>(padded));
    BASTION_RETURN_IF_ERROR(ValueBytesOut(b, e.vr));
    if (odd) buf_.push_back(PaddingByte(e.vr));
    return buf_.size() >= kFlushThreshold ? Flush() : Status::Ok();
  }

  ByteSink& sink_;
  Encoding enc_;
  std::vector<std::uint8_t> buf_;
};

bool HasEncapsulatedPixelData(const DataSet& ds) {
  for (const Element& e : ds.elements()) {
    if (e.encapsulated) return true;
    for (const DataSet& item : e.items) {
      if (HasEncapsulatedPixelData(item)) return true;
    }
  }
  return false;
}

// Raw deflate (PS3.5 A.5) of `in` into `sink`.
Status Deflate(std::span<const std::uint8_t> in, ByteSink& sink) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Status::Internal("zlib initialisation failed");
  }
  std::vector<std::uint8_t> out(256 * 1024);
  std::size_t fed = 0;
  int rc = Z_OK;
  Status status;
  do {
    if (zs.avail_in == 0 && fed < in.size()) {
      std::size_t n = std::min<std::size_t>(in.size() - fed, 1u << 30);
      zs.next_in = const_cast<Bytef*>(in.data() + fed);
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    rc = deflate(&zs, fed == in.size() && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) {
      status = Status::Internal("zlib deflate failed");
      break;
    }
    std::size_t produced = out.size() - zs.avail_out;
    if (produced > 0) {
      status = sink.Write(std::span<const std::uint8_t>(out.data(), produced));
      if (!status.ok()) break;
    }
  } while (rc != Z_STREAM_END);
  deflateEnd(&zs);
  return status;
}

}  // namespace

Result<DataSet> BuildFileMeta(const DataSet& dataset, const TransferSyntax& ts,
                              const FileMetaInput& input) {
  std::string sop_class = input.sop_class_uid;
  std::string sop_instance = input.sop_instance_uid;
  if (sop_class.empty()) sop_class = dataset.GetString(tags::kSopClassUid).value_or("");
  if (sop_instance.empty()) sop_instance = dataset.GetString(tags::kSopInstanceUid).value_or("");
  if (sop_class.empty() || sop_instance.empty()) {
    return Status::Malformed(
        "cannot build File Meta Information: the data set has no SOP Class UID (0008,0016) or "
        "SOP Instance UID (0008,0018)");
  }
  DataSet meta;
  meta.SetBytes(tags::kFileMetaInformationVersion, Vr::kOB, {0x00, 0x01});
  meta.SetString(tags::kMediaStorageSopClassUid, Vr::kUI, sop_class);
  meta.SetString(tags::kMediaStorageSopInstanceUid, Vr::kUI, sop_instance);
  meta.SetString(tags::kTransferSyntaxUid, Vr::kUI, ts.uid);
  meta.SetString(tags::kImplementationClassUid, Vr::kUI, kImplementationClassUid);
  meta.SetString(tags::kImplementationVersionName, Vr::kSH, kImplementationVersionName);
  if (!input.source_ae_title.empty()) {
    meta.SetString(tags::kSourceApplicationEntityTitle, Vr::kAE, input.source_ae_title);
  }
  return meta;
}

Status WriteDataSet(const DataSet& dataset, const TransferSyntax& ts,
                    const TransferSyntax& source_ts, ByteSink& sink) {
  const bool encapsulated = HasEncapsulatedPixelData(dataset);
  if (encapsulated && ts.uid != source_ts.uid) {
    return Status::Unsupported("cannot convert encapsulated pixel data from '" +
                               std::string(source_ts.name) + "' to '" + std::string(ts.name) +
                               "'; pixel codecs are not part of the codec layer");
  }
  if (ts.encapsulated && !encapsulated && ts.uid != source_ts.uid) {
    return Status::Unsupported("cannot compress native pixel data to '" + std::string(ts.name) +
                               "'");
  }
  if (ts.deflated) {
    VectorSink plain;
    Encoder enc(plain, Encoding{true, Endian::kLittle});
    BASTION_RETURN_IF_ERROR(enc.WriteElements(dataset, true));
    BASTION_RETURN_IF_ERROR(enc.Finish());
    return Deflate(plain.out, sink);
  }
  Encoder enc(sink, Encoding{ts.explicit_vr, ts.endian});
  BASTION_RETURN_IF_ERROR(enc.WriteElements(dataset, true));
  return enc.Finish();
}

Status WritePart10Header(const DataSet& meta, ByteSink& sink) {
  // Meta group body first, to know its length.
  DataSet body;
  for (const Element& e : meta.elements()) {
    if (e.tag.group == 0x0002 && !e.tag.is_group_length()) body.Append(e);
  }
  VectorSink meta_bytes;
  {
    Encoder enc(meta_bytes, Encoding{true, Endian::kLittle});
    // skip_meta=false: these are the meta elements themselves.
    BASTION_RETURN_IF_ERROR(enc.WriteElements(body, false));
    BASTION_RETURN_IF_ERROR(enc.Finish());
  }
  std::vector<std::uint8_t> head(128, 0);  // always zero: never carry an executable preamble
  head.insert(head.end(), {'D', 'I', 'C', 'M'});
  ByteWriter w(head, Endian::kLittle);
  w.WriteU16(0x0002);
  w.WriteU16(0x0000);
  w.WriteU8('U');
  w.WriteU8('L');
  w.WriteU16(4);
  w.WriteU32(static_cast<std::uint32_t>(meta_bytes.out.size()));
  BASTION_RETURN_IF_ERROR(sink.Write(head));
  return sink.Write(meta_bytes.out);
}

Status WritePart10(const DataSet& meta, const DataSet& dataset, const TransferSyntax& source_ts,
                   ByteSink& sink) {
  auto ts_uid = meta.GetString(tags::kTransferSyntaxUid);
  if (!ts_uid) return Status::Malformed("File Meta Information has no Transfer Syntax UID");
  auto ts = FindTransferSyntax(*ts_uid);
  if (!ts) return Status::Unsupported("cannot write transfer syntax '" + *ts_uid + "'");
  BASTION_RETURN_IF_ERROR(WritePart10Header(meta, sink));
  return WriteDataSet(dataset, *ts, source_ts, sink);
}

Result<std::vector<std::uint8_t>> EncodeDataSet(const DataSet& dataset, const TransferSyntax& ts,
                                                const TransferSyntax& source_ts) {
  VectorSink sink;
  BASTION_RETURN_IF_ERROR(WriteDataSet(dataset, ts, source_ts, sink));
  return std::move(sink.out);
}

}  // namespace bastion::dicom

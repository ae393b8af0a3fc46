#include "archive/transfer_syntax_conversion.h"

#include <algorithm>
#include <memory>
#include <string>

#include "dicom/transfer_syntax.h"
#include "dicom/writer.h"

namespace bastion::archive {

namespace {

namespace ts_uid = dicom::transfer_syntax;

constexpr std::string_view kConvertible[] = {
    ts_uid::kExplicitVrLittleEndian, ts_uid::kImplicitVrLittleEndian,
    ts_uid::kDeflatedExplicitVrLittleEndian, ts_uid::kExplicitVrBigEndian};

// PS3.6 Table A-1 syntaxes whose pixel data may be lossy.
constexpr std::string_view kMayBeLossy[] = {
    "1.2.840.10008.1.2.4.50",   // JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",   // JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.81",   // JPEG-LS Lossy (Near-Lossless)
    "1.2.840.10008.1.2.4.91",   // JPEG 2000 Image Compression
    "1.2.840.10008.1.2.4.93",   // JPEG 2000 Part 2 Multi-component Image Compression
    "1.2.840.10008.1.2.4.203",  // High-Throughput JPEG 2000 Image Compression
    "1.2.840.10008.1.2.4.100",  // MPEG2 Main Profile / Main Level
    "1.2.840.10008.1.2.4.101",  // MPEG2 Main Profile / High Level
    "1.2.840.10008.1.2.4.102",  // MPEG-4 AVC/H.264 High Profile / Level 4.1
    "1.2.840.10008.1.2.4.103",  // MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1
    "1.2.840.10008.1.2.4.104",  // MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video
    "1.2.840.10008.1.2.4.105",  // MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video
    "1.2.840.10008.1.2.4.106",  // MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2
    "1.2.840.10008.1.2.4.107",  // HEVC/H.265 Main Profile / Level 5.1
    "1.2.840.10008.1.2.4.108",  // HEVC/H.265 Main 10 Profile / Level 5.1
};

// The data set bytes of a stored object, kept alive with its mapping, for the reader.
class StoredDataSet final : public ByteSource {
 public:
  explicit StoredDataSet(Archive::StoredObject object) : object_(std::move(object)) {}
  std::span<const std::uint8_t> bytes() const override { return object_.data_set; }

 private:
  Archive::StoredObject object_;
};

// The whole stored file, for reading its File Meta Information.
class StoredFile final : public ByteSource {
 public:
  explicit StoredFile(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {}
  std::span<const std::uint8_t> bytes() const override { return file_->bytes(); }

 private:
  std::shared_ptr<const MappedFile> file_;
};

struct Syntaxes {
  dicom::TransferSyntax from;
  dicom::TransferSyntax to;
};

// Checks what a conversion needs before anything is read.
Result<Syntaxes> Prepare(const Archive::StoredObject& object, std::string_view from,
                         std::string_view to, const ConversionLimits& limits,
                         dicom::ReadOptions& read) {
  if (!CanConvert(from, to)) {
    return Status::Unsupported("transfer syntax " + std::string(from) + " cannot be converted to " +
                               std::string(to) + " (only between the uncompressed syntaxes)");
  }
  if (object.data_set.size() > limits.max_data_set_bytes) {
    return Status::LimitExceeded("the data set (" + std::to_string(object.data_set.size()) +
                                 " bytes) is larger than the conversion limit of " +
                                 std::to_string(limits.max_data_set_bytes) + " bytes");
  }
  const auto source = dicom::FindTransferSyntax(from);
  const auto target = dicom::FindTransferSyntax(to);
  if (!source || !target) return Status::Internal("a convertible transfer syntax is unknown");
  // A deflated data set is held inflated while it is re-encoded: bounded by the same limit.
  read.limits.max_inflated_size =
      std::min<std::uint64_t>(read.limits.max_inflated_size, limits.max_data_set_bytes);
  return Syntaxes{*source, *target};
}

}  // namespace

std::span<const std::string_view> ConvertibleTransferSyntaxes() { return kConvertible; }

bool IsConvertible(std::string_view uid) {
  return std::find(std::begin(kConvertible), std::end(kConvertible), uid) != std::end(kConvertible);
}

bool CanConvert(std::string_view from, std::string_view to) {
  return from == to || (IsConvertible(from) && IsConvertible(to));
}

bool MayBeLossy(std::string_view uid) {
  return std::find(std::begin(kMayBeLossy), std::end(kMayBeLossy), uid) != std::end(kMayBeLossy);
}

Result<std::vector<std::uint8_t>> ConvertDataSet(const Archive::StoredObject& object,
                                                 std::string_view from, std::string_view to,
                                                 const ConversionLimits& limits,
                                                 const dicom::ReadOptions& read) {
  dicom::ReadOptions options = read;
  BASTION_ASSIGN_OR_RETURN(Syntaxes ts, Prepare(object, from, to, limits, options));
  BASTION_ASSIGN_OR_RETURN(
      auto parsed, dicom::ReadDataSet(std::make_shared<StoredDataSet>(object), ts.from, options));
  return dicom::EncodeDataSet(parsed.dataset, ts.to, ts.from);
}

Result<std::vector<std::uint8_t>> ConvertPart10(const Archive::StoredObject& object,
                                                std::string_view from, std::string_view to,
                                                const ConversionLimits& limits,
                                                const dicom::ReadOptions& read) {
  dicom::ReadOptions options = read;
  BASTION_ASSIGN_OR_RETURN(Syntaxes ts, Prepare(object, from, to, limits, options));
  if (object.file == nullptr) return Status::Internal("a stored object without its file");
  BASTION_ASSIGN_OR_RETURN(auto file,
                           dicom::ReadPart10(std::make_shared<StoredFile>(object.file), options));
  if (file.transfer_syntax.uid != from) {
    return Status::Internal("the stored file is in " + std::string(file.transfer_syntax.uid) +
                            ", the index says " + std::string(from));
  }
  file.meta.SetString(dicom::Tag{0x0002, 0x0010}, dicom::Vr::kUI, to);
  dicom::VectorSink sink;
  BASTION_RETURN_IF_ERROR(dicom::WritePart10(file.meta, file.dataset, ts.from, sink));
  return std::move(sink.out);
}

}  // namespace bastion::archive

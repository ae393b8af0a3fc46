// DICOM data set and Part 10 file writer (PS3.5 section 7, PS3.10 section 7.1).
//
// Writes any data set in the four native transfer syntaxes, converting between them (byte
// order, VR explicitness, deflate); encapsulated data sets are written only in their own
// transfer syntax (pass-through). Sequences and items are written with undefined length.
// The Part 10 preamble is always 128 zero bytes, whatever the input carried (CVE-2019-11687).
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"
#include "dicom/transfer_syntax.h"

namespace bastion::dicom {

// Where encoded bytes go: memory for tests and PDUs, a file for storage.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::span<const std::uint8_t> bytes) = 0;
};

class VectorSink final : public ByteSink {
 public:
  Status Write(std::span<const std::uint8_t> bytes) override {
    out.insert(out.end(), bytes.begin(), bytes.end());
    return Status::Ok();
  }
  std::vector<std::uint8_t> out;
};

// Bastion's implementation class UID (a UUID-derived UID, PS3.5 B.2) and version name.
inline constexpr std::string_view kImplementationClassUid =
    "2.25.277868371641794922310541393947388358913";
inline constexpr std::string_view kImplementationVersionName = "BASTION_010";

struct FileMetaInput {
  std::string sop_class_uid;     // empty: taken from the data set's (0008,0016)
  std::string sop_instance_uid;  // empty: taken from the data set's (0008,0018)
  std::string source_ae_title;   // optional (0002,0016)
};

// Builds the File Meta Information group for `dataset` written in `ts` (with a correct group
// length). Fails when the SOP class or instance UID is missing.
Result<DataSet> BuildFileMeta(const DataSet& dataset, const TransferSyntax& ts,
                              const FileMetaInput& input = {});

// Encodes `dataset` (group 0002 elements are skipped) in `ts`. `source_ts` is the syntax the
// data set was read in: encapsulated data sets can only be written in that same syntax.
Status WriteDataSet(const DataSet& dataset, const TransferSyntax& ts,
                    const TransferSyntax& source_ts, ByteSink& sink);

// Writes the head of a Part 10 file: 128 zero bytes, "DICM", `meta` (explicit VR LE, group
// length recomputed). The data set follows in the syntax meta's (0002,0010) names; ingest
// streams it as received.
Status WritePart10Header(const DataSet& meta, ByteSink& sink);

// Writes a complete Part 10 file: 128 zero bytes, "DICM", `meta` (explicit VR LE, group length
// recomputed), then the data set in the transfer syntax named by meta's (0002,0010).
Status WritePart10(const DataSet& meta, const DataSet& dataset, const TransferSyntax& source_ts,
                   ByteSink& sink);

// Convenience: encodes to memory.
Result<std::vector<std::uint8_t>> EncodeDataSet(const DataSet& dataset, const TransferSyntax& ts,
                                                const TransferSyntax& source_ts);

}  // namespace bastion::dicom

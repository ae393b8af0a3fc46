// libFuzzer target: the bare data set reader (PS3.5 7 and A), as used for DIMSE data sets.
//
// Input layout: byte 0 selects the transfer syntax (byte % 5: implicit VR LE, explicit VR LE,
// explicit VR BE, deflated explicit VR LE, JPEG Baseline as the encapsulated pass-through
// case); the rest is the data set. Each input is read strictly and leniently with fuzz-sized
// limits, and leniently again with tiny limits to exercise the limit paths.
//
// Invariant checked (a violation aborts): a data set read strictly, encoded again with
// EncodeDataSet in the same syntax, reads strictly back to an equal data set (group length
// elements aside: the writer drops them by design).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/byte_source.h"
#include "dicom/reader.h"
#include "dicom/transfer_syntax.h"
#include "dicom/writer.h"
#include "fuzz_common.h"

namespace {

const bastion::dicom::TransferSyntax& SelectTransferSyntax(std::uint8_t selector) {
  using namespace bastion::dicom;
  static const TransferSyntax jpeg_baseline = *FindTransferSyntax("1.2.840.10008.1.2.4.50");
  switch (selector % 5) {
    case 0:
      return ImplicitVrLittleEndian();
    case 1:
      return ExplicitVrLittleEndian();
    case 2:
      return ExplicitVrBigEndian();
    case 3:
      return DeflatedExplicitVrLittleEndian();
    default:
      return jpeg_baseline;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bastion;
  if (size < 1) return 0;
  const dicom::TransferSyntax& ts = SelectTransferSyntax(data[0]);
  auto source = OwnedBytes::Make(std::vector<std::uint8_t>(data + 1, data + size));

  auto strict = dicom::ReadDataSet(source, ts, fuzz::StrictOptions(fuzz::FuzzLimits()));
  if (strict.ok()) {
    fuzz::Walk(strict->dataset);
    auto encoded = dicom::EncodeDataSet(strict->dataset, ts, ts);
    if (!encoded.ok()) {
      fuzz::InvariantBroken("EncodeDataSet refused a strictly read data set",
                            encoded.status().ToString());
    }
    auto reread = dicom::ReadDataSet(OwnedBytes::Make(std::move(*encoded)), ts,
                                     fuzz::StrictOptions(fuzz::FuzzLimits()));
    if (!reread.ok()) {
      fuzz::InvariantBroken("strict read of EncodeDataSet output failed",
                            reread.status().ToString());
    }
    dicom::DataSet expected = fuzz::WithoutGroupLengths(strict->dataset);
    if (!(reread->dataset == expected)) {
      fuzz::InvariantBroken(
          "data set round trip changed the data set",
          std::string(ts.uid) + " " + fuzz::FirstDifference(expected, reread->dataset));
    }
  }

  auto lenient = dicom::ReadDataSet(source, ts, fuzz::LenientOptions(fuzz::FuzzLimits()));
  if (lenient.ok()) {
    fuzz::Walk(lenient->dataset);
    // The writer must survive whatever the lenient reader produced (errors are fine).
    auto encoded = dicom::EncodeDataSet(lenient->dataset, ts, ts);
    (void)encoded;
  }

  auto tiny = dicom::ReadDataSet(source, ts, fuzz::LenientOptions(fuzz::TinyLimits()));
  if (tiny.ok()) fuzz::Walk(tiny->dataset);
  return 0;
}

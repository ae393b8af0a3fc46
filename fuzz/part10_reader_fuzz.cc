// libFuzzer target: the Part 10 file reader (PS3.10 7.1, PS3.5 7 and A), strict and lenient,
// and the writer on whatever the reader accepts.
//
// Invariants checked (a violation aborts):
//  - a file read strictly, written back with WritePart10, reads strictly again, and the data
//    set read back equals the one read first, group lengths aside (round trips are lossless);
//  - whatever the lenient reader accepts, the writer either refuses with an error or writes
//    a file the strict reader accepts (the writer never emits what we would refuse).
// Everything else (errors, limits) is ordinary behaviour; ASan/UBSan catch the rest.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/byte_source.h"
#include "dicom/reader.h"
#include "dicom/writer.h"
#include "fuzz_common.h"

namespace bastion::fuzz {
namespace {

void RoundTrip(const dicom::Part10File& file, bool read_strictly) {
  dicom::VectorSink sink;
  Status written = dicom::WritePart10(file.meta, file.dataset, file.transfer_syntax, sink);
  if (!written.ok()) {
    if (read_strictly)
      InvariantBroken("WritePart10 refused a strictly read file", written.ToString());
    return;
  }
  auto reread =
      dicom::ReadPart10(OwnedBytes::Make(std::move(sink.out)), StrictOptions(FuzzLimits()));
  if (!reread.ok()) {
    InvariantBroken(read_strictly ? "strict read of WritePart10 output (strict input) failed"
                                  : "strict read of WritePart10 output (lenient input) failed",
                    reread.status().ToString());
  }
  Walk(reread->dataset);
  if (!read_strictly) return;
  dicom::DataSet expected = WithoutGroupLengths(file.dataset);
  if (!(reread->dataset == expected)) {
    InvariantBroken(
        "Part 10 round trip changed the data set",
        std::string(file.transfer_syntax.uid) + " " + FirstDifference(expected, reread->dataset));
  }
}

}  // namespace
}  // namespace bastion::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bastion;
  auto source = OwnedBytes::Make(std::vector<std::uint8_t>(data, data + size));

  auto strict = dicom::ReadPart10(source, fuzz::StrictOptions(fuzz::FuzzLimits()));
  if (strict.ok()) {
    fuzz::Walk(strict->meta);
    fuzz::Walk(strict->dataset);
    fuzz::RoundTrip(*strict, /*read_strictly=*/true);
  }

  auto lenient = dicom::ReadPart10(source, fuzz::LenientOptions(fuzz::FuzzLimits()));
  if (lenient.ok()) {
    fuzz::Walk(lenient->dataset);
    fuzz::RoundTrip(*lenient, /*read_strictly=*/false);
  }

  // The same input against tight limits, so each limit's refusal path is exercised.
  auto tiny = dicom::ReadPart10(source, fuzz::LenientOptions(fuzz::TinyLimits()));
  if (tiny.ok()) fuzz::Walk(tiny->dataset);
  return 0;
}

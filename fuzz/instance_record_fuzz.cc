// libFuzzer target: what ingest derives from a received data set (issue 4): the bare data set
// reader with the ingest's tolerated deviations, then ExtractInstanceRecord (UID validation,
// Specific Character Set decoding of the indexed text attributes).
//
// Input layout: byte 0 selects the transfer syntax as in dataset_reader_fuzz (implicit VR LE,
// explicit VR LE, explicit VR BE, deflated); the rest is the data set.
//
// Invariants checked (a violation aborts): an extracted record's four UIDs are 1-64 characters
// of digits and dots with no empty component, so nothing derived from a data set can carry a
// path separator or another character into the archive; extraction is deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "base/byte_source.h"
#include "dicom/reader.h"
#include "dicom/transfer_syntax.h"
#include "fuzz_common.h"
#include "index/instance_record.h"

namespace {

void CheckUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64 || uid.front() == '.' || uid.back() == '.' ||
      uid.find("..") != std::string::npos) {
    std::abort();
  }
  for (char c : uid) {
    if (!(c == '.' || (c >= '0' && c <= '9'))) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bastion;
  if (size < 1) return 0;
  const dicom::TransferSyntax* syntaxes[] = {
      &dicom::ImplicitVrLittleEndian(), &dicom::ExplicitVrLittleEndian(),
      &dicom::ExplicitVrBigEndian(), &dicom::DeflatedExplicitVrLittleEndian()};
  const auto& ts = *syntaxes[data[0] % 4];
  auto source = OwnedBytes::Make(std::vector<std::uint8_t>(data + 1, data + size));
  dicom::ReadOptions options;
  options.limits = fuzz::FuzzLimits();
  options.allow_odd_length = true;
  options.allow_unordered_tags = true;
  options.allow_invalid_vr = true;
  auto read = dicom::ReadDataSet(source, ts, options);
  if (!read.ok()) return 0;
  auto record = index::ExtractInstanceRecord(read->dataset);
  if (!record.ok()) return 0;
  CheckUid(record->instance.sop_instance_uid);
  CheckUid(record->instance.sop_class_uid);
  CheckUid(record->study.study_instance_uid);
  CheckUid(record->series.series_instance_uid);
  auto again = index::ExtractInstanceRecord(read->dataset);
  if (!again.ok() || again->patient.name != record->patient.name ||
      again->charset_error != record->charset_error) {
    std::abort();
  }
  return 0;
}

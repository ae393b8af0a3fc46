#include "server/find_service.h"

#include "base/byte_source.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/writer.h"

namespace bastion::server {

Result<Identifier> ReadIdentifier(std::span<const std::uint8_t> identifier,
                                  const dicom::TransferSyntax& ts, std::size_t max_bytes,
                                  bool study_root) {
  dicom::ReadOptions options;
  options.limits.max_total_size = max_bytes;
  options.limits.max_element_length = max_bytes;
  options.limits.max_sequence_depth = 4;
  options.limits.max_elements = 1000;
  options.limits.max_inflated_size = max_bytes;
  options.allow_odd_length = true;  // some SCUs pad nothing; the value is still readable
  auto read = dicom::ReadDataSet(
      OwnedBytes::Make(std::vector<std::uint8_t>(identifier.begin(), identifier.end())), ts,
      options);
  if (!read.ok()) return Status::Malformed("identifier: " + read.status().message());
  const auto level_text = read->dataset.GetString(dicom::Tag{0x0008, 0x0052});
  if (!level_text) return Status::Malformed("identifier has no Query/Retrieve Level (0008,0052)");
  BASTION_ASSIGN_OR_RETURN(index::QueryLevel level, index::ParseQueryLevel(*level_text));
  if (level == index::QueryLevel::kPatient && study_root) {
    return Status::Malformed("the Study Root model has no PATIENT level (use Patient Root)");
  }
  return Identifier{level, std::move(read->dataset)};
}

Result<index::Query> ParseFindIdentifier(std::string_view sop_class,
                                         std::span<const std::uint8_t> identifier,
                                         const dicom::TransferSyntax& ts,
                                         const FindLimits& limits) {
  BASTION_ASSIGN_OR_RETURN(
      Identifier read,
      ReadIdentifier(identifier, ts, limits.max_identifier_bytes, sop_class == kStudyRootFind));
  return index::BuildQuery(read.level, read.dataset, limits.query);
}

Result<std::vector<std::uint8_t>> EncodeFindMatch(dicom::DataSet match,
                                                  const dicom::TransferSyntax& ts) {
  match.SetString(dicom::Tag{0x0008, 0x0005}, dicom::Vr::kCS, "ISO_IR 192");
  return dicom::EncodeDataSet(match, ts, dicom::ExplicitVrLittleEndian());
}

}  // namespace bastion::server

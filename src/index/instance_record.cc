#include "index/instance_record.h"

#include "dicom/charset.h"
#include "dicom/tag.h"

namespace bastion::index {

namespace {

using dicom::Tag;

// The first value of a string element, decoded to UTF-8 when it is affected by the character
// set; `error` is set when the bytes do not decode (they are then kept as received).
std::string Text(const dicom::DataSet& ds, Tag tag, const dicom::CharacterSet* charset,
                 bool& error) {
  const dicom::Element* e = ds.Find(tag);
  if (e == nullptr || e->is_sequence() || e->encapsulated) return {};
  auto raw = ds.GetString(tag);
  if (!raw) return {};
  if (charset != nullptr &&
      (e->vr == dicom::Vr::kPN || e->vr == dicom::Vr::kLO || e->vr == dicom::Vr::kSH ||
       e->vr == dicom::Vr::kLT || e->vr == dicom::Vr::kST || e->vr == dicom::Vr::kUC)) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(raw->data());
    auto decoded = charset->Decode(std::span<const std::uint8_t>(bytes, raw->size()), e->vr);
    if (decoded.ok()) return *std::move(decoded);
    error = true;
  }
  return *std::move(raw);
}

std::optional<std::int64_t> Int(const dicom::DataSet& ds, Tag tag) { return ds.GetInt(tag); }

}  // namespace

Status ValidateUid(std::string_view uid, std::string_view what) {
  const std::string name(what);
  if (uid.empty()) return Status::Malformed(name + " is missing or empty");
  if (uid.size() > 64) {
    return Status::Malformed(name + " is " + std::to_string(uid.size()) +
                             " characters long; a UID has at most 64 (PS3.5 9.1)");
  }
  bool component_empty = true;
  for (char c : uid) {
    if (c == '.') {
      if (component_empty) break;
      component_empty = true;
    } else if (c >= '0' && c <= '9') {
      component_empty = false;
    } else {
      return Status::Malformed(name +
                               " contains a character other than digits and dots "
                               "(PS3.5 9.1)");
    }
  }
  if (component_empty) {
    return Status::Malformed(name + " has an empty component (PS3.5 9.1)");
  }
  return Status::Ok();
}

Result<InstanceRecord> ExtractInstanceRecord(const dicom::DataSet& ds) {
  InstanceRecord r;
  auto charset = dicom::CharacterSet::FromDataSet(ds);
  const dicom::CharacterSet* cs = charset.ok() ? &*charset : nullptr;
  r.charset_error = !charset.ok();
  bool& err = r.charset_error;

  auto uid = [&](Tag tag, std::string_view what, std::string& out) -> Status {
    out = ds.GetString(tag).value_or("");
    return ValidateUid(out, what);
  };
  BASTION_RETURN_IF_ERROR(
      uid(Tag{0x0008, 0x0016}, "SOP Class UID (0008,0016)", r.instance.sop_class_uid));
  BASTION_RETURN_IF_ERROR(
      uid(Tag{0x0008, 0x0018}, "SOP Instance UID (0008,0018)", r.instance.sop_instance_uid));
  BASTION_RETURN_IF_ERROR(
      uid(Tag{0x0020, 0x000D}, "Study Instance UID (0020,000D)", r.study.study_instance_uid));
  BASTION_RETURN_IF_ERROR(
      uid(Tag{0x0020, 0x000E}, "Series Instance UID (0020,000E)", r.series.series_instance_uid));

  r.patient.patient_id = Text(ds, Tag{0x0010, 0x0020}, cs, err);
  r.patient.issuer = Text(ds, Tag{0x0010, 0x0021}, cs, err);
  r.patient.name = Text(ds, Tag{0x0010, 0x0010}, cs, err);
  r.patient.birth_date = Text(ds, Tag{0x0010, 0x0030}, cs, err);
  r.patient.sex = Text(ds, Tag{0x0010, 0x0040}, cs, err);

  r.study.study_date = Text(ds, Tag{0x0008, 0x0020}, cs, err);
  r.study.study_time = Text(ds, Tag{0x0008, 0x0030}, cs, err);
  r.study.accession_number = Text(ds, Tag{0x0008, 0x0050}, cs, err);
  r.study.study_id = Text(ds, Tag{0x0020, 0x0010}, cs, err);
  r.study.description = Text(ds, Tag{0x0008, 0x1030}, cs, err);
  r.study.referring_physician = Text(ds, Tag{0x0008, 0x0090}, cs, err);
  r.study.institution_name = Text(ds, Tag{0x0008, 0x0080}, cs, err);

  r.series.modality = Text(ds, Tag{0x0008, 0x0060}, cs, err);
  r.series.series_number = Int(ds, Tag{0x0020, 0x0011});
  r.series.description = Text(ds, Tag{0x0008, 0x103E}, cs, err);
  r.series.body_part = Text(ds, Tag{0x0018, 0x0015}, cs, err);
  r.series.series_date = Text(ds, Tag{0x0008, 0x0021}, cs, err);
  r.series.series_time = Text(ds, Tag{0x0008, 0x0031}, cs, err);

  r.instance.instance_number = Int(ds, Tag{0x0020, 0x0013});
  r.instance.number_of_frames = Int(ds, Tag{0x0028, 0x0008});
  r.instance.rows = Int(ds, Tag{0x0028, 0x0010});
  r.instance.columns = Int(ds, Tag{0x0028, 0x0011});
  if (auto terms = ds.GetString(Tag{0x0008, 0x0005})) r.instance.specific_character_set = *terms;
  return r;
}

}  // namespace bastion::index

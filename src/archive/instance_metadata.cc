#include "archive/instance_metadata.h"

#include "dicom/json_model.h"

namespace bastion::archive {

namespace {

// The UIDs go into URIs unescaped: they must be what the index accepts (PS3.5 9.1, checked
// by index::ValidateUid before anything is indexed). A UID reaching here otherwise is our bug.
Status CheckUidForUri(std::string_view uid, std::string_view what) {
  if (uid.empty() || uid.size() > 64) {
    return Status::Internal(std::string(what) + " of " + std::to_string(uid.size()) +
                            " characters cannot name the instance in a Bulkdata URI");
  }
  for (char c : uid) {
    if ((c < '0' || c > '9') && c != '.') {
      return Status::Internal(std::string(what) +
                              " is not a validated UID and cannot be put in a Bulkdata URI");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> EncodeInstanceMetadata(const dicom::DataSet& dataset,
                                           std::string_view study_uid, std::string_view series_uid,
                                           std::string_view sop_uid,
                                           const InstanceMetadataOptions& options,
                                           std::vector<std::string>* warnings) {
  BASTION_RETURN_IF_ERROR(CheckUidForUri(study_uid, "the Study Instance UID"));
  BASTION_RETURN_IF_ERROR(CheckUidForUri(series_uid, "the Series Instance UID"));
  BASTION_RETURN_IF_ERROR(CheckUidForUri(sop_uid, "the SOP Instance UID"));
  std::string prefix = "/dicom-web/studies/";
  prefix.append(study_uid).append("/series/").append(series_uid).append("/instances/");
  prefix.append(sop_uid).append("/bulk/");

  dicom::JsonEncodeOptions encode;
  encode.bulk_data_threshold = options.bulk_data_threshold;
  // The tag path is hex digits, digits and '/', all of them unreserved or path characters
  // (RFC 3986 3.3): no escaping either.
  encode.bulk_data_uri = [&prefix](const std::string& tag_path,
                                   const dicom::Element&) -> std::optional<std::string> {
    return prefix + tag_path;
  };
  auto json = dicom::EncodeJson(dataset, encode);
  if (!json.ok() && json.status().code() != StatusCode::kLimitExceeded) {
    // A bad value is the sender's; the instance is stored all the same and its metadata shows
    // the value as best it can (json_model.h, lenient_values).
    const Status strict = json.status();
    encode.lenient_values = true;
    json = dicom::EncodeJson(dataset, encode);
    if (json.ok() && warnings != nullptr) {
      warnings->push_back("metadata encoded leniently: " + strict.message());
    }
  }
  if (!json.ok()) return json.status().WithContext("encoding the instance metadata");
  if (json->size() > options.max_json_bytes) {
    return Status::LimitExceeded("the instance metadata is " + std::to_string(json->size()) +
                                 " bytes of DICOM JSON, more than the " +
                                 std::to_string(options.max_json_bytes) + " kept in the index");
  }
  return json;
}

}  // namespace bastion::archive

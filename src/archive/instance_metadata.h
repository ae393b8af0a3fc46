// The WADO-RS metadata of one stored instance (PS3.18 10.4.1.1.2, payload 10.4.3.3.2): its data
// set as a DICOM JSON object (PS3.18 F.2) with large binary values replaced by Bulkdata URIs.
//
// The archive computes it once, at ingest, from the data set it has parsed anyway, and keeps it
// in the index beside the instance (InstanceRecord::metadata_json), so that the metadata of a
// series is a concatenation of stored objects instead of one file read per instance.
//
// Only the data set is encoded: PS3.18 defines the metadata as the Attributes of the instance,
// which the File Meta Information (group 0002, PS3.10 7.1) is not part of. The Transfer Syntax
// UID is therefore not included (the Bulkdata resources say which syntax they are sent in).
//
// Bulkdata URIs are path-absolute references (RFC 3986 4.2),
//   /dicom-web/studies/{study}/series/{series}/instances/{instance}/bulk/{tag path}
// where the tag path is the encoder's ("7FE00010", "00540016/0/00181072": tags and item
// indexes joined by '/'), so that the HTTP layer can resolve them against its configured
// public URL. Every value of a BulkDataURI key therefore starts with "/dicom-web/".
// Thread-safety: a stateless function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"

namespace bastion::archive {

struct InstanceMetadataOptions {
  // Binary values (OB, OW, UN, FL, US ...) of at least this many bytes become Bulkdata URIs;
  // smaller ones are inline. Encapsulated pixel data is always a Bulkdata URI (F.2.7).
  std::uint64_t bulk_data_threshold = 1024;
  // The encoded object is refused above this size: it is stored in the index and returned in
  // every series metadata response. Large text values (UT, LT) are not replaced by Bulkdata
  // URIs, so a data set carrying megabytes of text would otherwise grow the index by as much.
  std::size_t max_json_bytes = 8u << 20;
};

// Encodes `dataset` (the instance's data set, without file meta) as its WADO-RS metadata.
// The UIDs name the instance in the Bulkdata URIs; they must be UIDs the index has validated
// (digits and dots), which is checked: anything else is Internal, never escaped.
//
// A value that breaks PS3.5 (an IS that is not a number, undecodable text ...) must not leave
// a stored instance without metadata: when the strict encoding fails, the data set is encoded
// again with JsonEncodeOptions::lenient_values, and the strict failure is appended to
// `warnings` (when given) so that the caller can report it. Errors: LimitExceeded above
// max_json_bytes or for sequences nested too deep; Unsupported/Malformed when even the lenient
// encoding fails.
Result<std::string> EncodeInstanceMetadata(const dicom::DataSet& dataset,
                                           std::string_view study_uid, std::string_view series_uid,
                                           std::string_view sop_uid,
                                           const InstanceMetadataOptions& options = {},
                                           std::vector<std::string>* warnings = nullptr);

}  // namespace bastion::archive

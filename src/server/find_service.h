// C-FIND SCP pieces that need no connection (PS3.4 C.4.1): the query models we serve, the
// identifier read from the bytes of the request's data set into a Query, and a match encoded
// for its C-FIND-RSP. The session (dicom_session.cc) runs the query and sends the responses.
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"
#include "dicom/transfer_syntax.h"
#include "index/query.h"

namespace bastion::server {

inline constexpr const char* kPatientRootFind = "1.2.840.10008.5.1.4.1.2.1.1";
inline constexpr const char* kStudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";

// Limits on a C-FIND request's identifier.
struct FindLimits {
  std::size_t max_identifier_bytes = 64 * 1024;
  index::QueryOptions query;
};

// A C-FIND, C-MOVE or C-GET identifier (encoded in `ts`, at most `max_bytes`) and its
// Query/Retrieve Level; the Study Root models (`study_root`) have no PATIENT level.
struct Identifier {
  index::QueryLevel level;
  dicom::DataSet dataset;
};
Result<Identifier> ReadIdentifier(std::span<const std::uint8_t> identifier,
                                  const dicom::TransferSyntax& ts, std::size_t max_bytes,
                                  bool study_root);

// Reads the identifier (encoded in `ts`) and builds the query. Malformed with a message for
// the Error Comment when the identifier cannot be read, has no or an invalid Query/Retrieve
// Level, or names a level the information model (`sop_class`) does not have.
Result<index::Query> ParseFindIdentifier(std::string_view sop_class,
                                         std::span<const std::uint8_t> identifier,
                                         const dicom::TransferSyntax& ts, const FindLimits& limits);

// One match as the identifier of a pending C-FIND-RSP: the index's text is UTF-8, so Specific
// Character Set (0008,0005) says ISO_IR 192.
Result<std::vector<std::uint8_t>> EncodeFindMatch(dicom::DataSet match,
                                                  const dicom::TransferSyntax& ts);

}  // namespace bastion::server

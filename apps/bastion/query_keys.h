// The identifier of the SCU commands find, move and get, from `-k KEYWORD[=VALUE]` arguments.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"

namespace bastion::cli {

struct QueryKeys {
  dicom::DataSet identifier;          // with Specific Character Set ISO_IR 192 and the level
  std::vector<dicom::Tag> columns;    // each key once, in the order given
  std::vector<std::string> keywords;  // their keywords
};

// Malformed for a keyword that is not in the DICOM dictionary.
Result<QueryKeys> BuildQueryKeys(const std::string& level, const std::vector<std::string>& keys);

}  // namespace bastion::cli

// Human-readable listing of a data set, in the spirit of DCMTK's dcmdump.
//
// One line per element: tag, VR, value, length, VM and keyword; sequences and items indented.
// Text is decoded to UTF-8 through the Specific Character Set; control characters and anything
// a terminal could interpret are escaped, because the values come from untrusted files.
// Long values are truncated. Pure: returns text, does no I/O.
// Thread-safety: stateless functions.
#pragma once

#include <string>

#include "dicom/data_set.h"
#include "dicom/reader.h"

namespace bastion::dicom {

struct DumpOptions {
  std::size_t max_value_chars = 64;   // longer text values end in "..."
  std::size_t max_binary_values = 8;  // numbers or bytes shown for binary values
};

// Appends the listing of `dataset` to `out`.
void DumpDataSet(const DataSet& dataset, const DumpOptions& options, std::string& out);

// Listing of a whole Part 10 file: preamble summary, meta, transfer syntax, data set, warnings.
std::string DumpPart10(const Part10File& file, const DumpOptions& options = {});

// Escapes control characters, DEL and invalid UTF-8 as \xNN so untrusted text is safe to print.
std::string EscapeForTerminal(std::string_view utf8);

}  // namespace bastion::dicom

// DICOM data set and Part 10 file reader (PS3.5 sections 7 and A, PS3.10 section 7).
//
// Pure: takes bytes (a ByteSource, usually a memory-mapped file), returns values. Strict by
// default; each tolerated deviation is a named option in ReadOptions and, when used, is
// reported in `warnings`. Bounded by ReadLimits. Values of at least `bulk_threshold` bytes are
// referenced into the source, not copied (big-endian binary values, which need swapping, are
// the exception and are copied).
// Thread-safety: stateless functions; safe to call concurrently.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/byte_source.h"
#include "base/status.h"
#include "dicom/data_set.h"
#include "dicom/limits.h"
#include "dicom/transfer_syntax.h"

namespace bastion::dicom {

struct ReadOptions {
  ReadLimits limits;
  // Values this long or longer are referenced into the source instead of copied.
  std::uint64_t bulk_threshold = 4096;
  // Stop before the first element whose tag is >= this (e.g. (7FE0,0010) to skip pixel data).
  Tag stop_before{0xFFFF, 0xFFFF};

  // --- Lenient options: off by default; each use adds a warning. ---
  // Accept a file with no 128-byte preamble and "DICM" prefix; it is read as a bare data set
  // whose transfer syntax is guessed from the first element (PS3.10 requires the prefix).
  bool allow_missing_preamble = false;
  // Accept a File Meta Information without group length or with a wrong one, or without
  // Transfer Syntax UID (the data set is then probed for its encoding).
  bool allow_bad_file_meta = false;
  // Accept odd value lengths (PS3.5 7.1.1 requires even lengths).
  bool allow_odd_length = false;
  // Accept elements out of ascending tag order or repeated (the last one wins).
  bool allow_unordered_tags = false;
  // Explicit VR: accept a VR code that is not in PS3.5 Table 6.2-1 and treat it as implicit
  // (dictionary VR, 4-byte length), as some broken writers produce.
  bool allow_invalid_vr = false;
  // Accept a truncated last element or missing sequence delimiters at the end of the input;
  // what was read completely is kept.
  bool allow_truncation = false;
};

// All lenient options on: for dumping files of unknown quality, never for ingest.
ReadOptions LenientReadOptions();

struct Part10File {
  std::array<std::uint8_t, 128> preamble{};
  bool has_preamble = false;  // false only when allow_missing_preamble accepted a bare data set
  DataSet meta;               // group 0002, always explicit VR little endian
  TransferSyntax transfer_syntax;
  DataSet dataset;
  std::vector<std::string> warnings;
};

// Reads a Part 10 file: preamble, "DICM", File Meta Information, data set.
Result<Part10File> ReadPart10(std::shared_ptr<const ByteSource> source,
                              const ReadOptions& options = {});

struct ReadDataSetResult {
  DataSet dataset;
  std::vector<std::string> warnings;
};

// Reads a bare data set (no preamble, no meta) encoded in `ts`, e.g. a DIMSE data set.
Result<ReadDataSetResult> ReadDataSet(std::shared_ptr<const ByteSource> source,
                                      const TransferSyntax& ts, const ReadOptions& options = {});

// Preamble checks for CVE-2019-11687: true when the preamble is not all zero, and a short
// description of what it looks like ("Windows PE executable", "ELF executable", ...).
bool PreambleIsZero(const std::array<std::uint8_t, 128>& preamble);
std::string DescribePreamble(const std::array<std::uint8_t, 128>& preamble);

// Where the data set starts in a Part 10 file that has a preamble, "DICM" and a meta group
// whose first element is its group length (0002,0000), as PS3.10 7.1 requires: used to send
// or store the data set bytes exactly as they are encoded in the file. Unsupported when there
// is no "DICM" prefix (not a Part 10 file at all), Malformed when the meta group is broken.
Result<std::uint64_t> FindDataSetOffset(std::span<const std::uint8_t> file);

// What sending or storing a Part 10 file as it is encoded needs: the data set's own SOP Class
// and Instance UIDs (a file meta can disagree with its data set; the data set's are the ones a
// C-STORE announces), the transfer syntax, and where the data set starts. Reads only the meta
// and the data set up to (0008,0018). Unsupported for a file that is not Part 10.
struct Part10Summary {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string transfer_syntax_uid;
  std::uint64_t data_offset = 0;
};
Result<Part10Summary> SummarizePart10(std::shared_ptr<const ByteSource> source,
                                      const ReadOptions& options = {});

}  // namespace bastion::dicom

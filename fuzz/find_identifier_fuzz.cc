// libFuzzer target: a C-FIND, C-MOVE or C-GET identifier as a peer sends it (issue 5) read into
// a Query: ParseFindIdentifier (bounded data set read, Query/Retrieve Level, model check) and
// BuildQuery (matching kinds, character set decoding of keys), and ParseRetrieveIdentifier (only
// unique keys select; the level's own key must have a value).
//
// Input layout: byte 0 selects the transfer syntax (implicit or explicit VR little endian) and
// the information model (Patient Root or Study Root); the rest is the identifier.
//
// Invariants checked (a violation aborts): return keys are sorted and include the unique key
// of the query level; a Study Root query never has the PATIENT level; every range has a
// bound; every UID list has at least two UIDs; a retrieve query matches only unique keys of
// its level and above, by value or UID list, and always names its level's key.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dicom/transfer_syntax.h"
#include "server/find_service.h"
#include "server/retrieve_service.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bastion;
  if (size < 1) return 0;
  const auto& ts =
      (data[0] & 1) ? dicom::ExplicitVrLittleEndian() : dicom::ImplicitVrLittleEndian();
  const char* model = (data[0] & 2) ? server::kPatientRootFind : server::kStudyRootFind;
  server::RetrieveLimits retrieve_limits;
  retrieve_limits.max_identifier_bytes = 16 * 1024;
  const char* retrieve_model = (data[0] & 2) ? server::kPatientRootMove : server::kStudyRootGet;
  auto retrieve = server::ParseRetrieveIdentifier(retrieve_model, std::span(data + 1, size - 1), ts,
                                                  retrieve_limits);
  if (retrieve.ok()) {
    bool names_level = false;
    for (const index::KeyMatch& m : retrieve->matches) {
      if (m.kind != index::MatchKind::kSingleValue && m.kind != index::MatchKind::kUidList) {
        std::abort();
      }
      bool unique = false;
      for (int l = 0; l <= static_cast<int>(retrieve->level); ++l) {
        unique |= m.tag == index::UniqueKey(static_cast<index::QueryLevel>(l));
      }
      if (!unique) std::abort();
      names_level |= m.tag == index::UniqueKey(retrieve->level);
    }
    if (!names_level) std::abort();
  }
  server::FindLimits limits;
  limits.max_identifier_bytes = 16 * 1024;
  auto query = server::ParseFindIdentifier(model, std::span(data + 1, size - 1), ts, limits);
  if (!query.ok()) return 0;
  if (!std::is_sorted(query->return_keys.begin(), query->return_keys.end())) std::abort();
  const auto unique = index::UniqueKey(query->level);
  if (std::find(query->return_keys.begin(), query->return_keys.end(), unique) ==
      query->return_keys.end()) {
    std::abort();
  }
  if (model == server::kStudyRootFind && query->level == index::QueryLevel::kPatient) std::abort();
  for (const index::KeyMatch& m : query->matches) {
    if (m.kind == index::MatchKind::kRange && m.low.empty() && m.high.empty()) std::abort();
    if (m.kind == index::MatchKind::kUidList && m.uids.size() < 2) std::abort();
  }
  return 0;
}

// libFuzzer target: the query parameters of a QIDO-RS request (issue 6) read by ParseQidoRequest
// (attribute IDs, includefield, limit, offset, fuzzymatching, match values rewritten into the
// C-FIND grammar and built by index::BuildQuery), then EncodeQidoResponse over a match made of
// the request's keys.
//
// Input layout: byte 0 selects the resource (% 6, in QidoResource order; the resources below a
// study or series get the path UIDs 1.2.3 and 1.2.3.4) and, with bit 3, tiny limits; the rest
// is one parameter per line ('\n'), the name before the first '=' and the value after it (a
// line without '=' has an empty value), as the HTTP layer hands them over after decoding.
//
// Invariants checked (a violation aborts): no input is kInternal (that code is for the router's
// mistakes, and the harness gives the UIDs each resource expects); 1 <= limit <= max_limit and
// offset <= max_offset, both copied into the query options with fuzzymatching; the query's level
// is the resource's;
// return keys sorted and holding the level's unique key; response keys sorted, unique, each a
// return key the index holds at that level, never Query/Retrieve Level; the path UIDs are
// single-value matches; no match value holds a control character; UID lists have at least two
// UIDs; ranges have a bound; the response of one match is a JSON array of one object holding
// the Retrieve URL.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_common.h"
#include "index/query.h"
#include "web/dicomweb/qido.h"

namespace {

using namespace bastion;
using web::dicomweb::QidoResource;

constexpr const char* kStudy = "1.2.3";
constexpr const char* kSeries = "1.2.3.4";

[[noreturn]] void Broken(const char* what) { fuzz::InvariantBroken("qido_params", what); }

// A match as the index could return it for `request`: every return key with a plausible value.
dicom::DataSet FakeMatch(const web::dicomweb::QidoRequest& request) {
  dicom::DataSet match;
  for (dicom::Tag tag : request.query.return_keys) {
    const index::QueryAttribute* a = index::FindQueryAttribute(tag);
    const dicom::Vr vr = a != nullptr ? a->vr : dicom::Vr::kLO;
    if (vr == dicom::Vr::kUI) {
      match.SetString(tag, vr, kSeries);
    } else if (vr == dicom::Vr::kIS) {
      match.SetString(tag, vr, "7");
    } else if (vr == dicom::Vr::kUS) {
      match.SetU16(tag, 512);
    } else if (vr == dicom::Vr::kPN) {
      match.SetString(tag, vr, "M\xC3\xBCller^J\xC3\xB6rg");
    } else {
      match.SetString(tag, vr, "X");
    }
  }
  return match;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto resource = static_cast<QidoResource>(data[0] % 6);
  web::dicomweb::QidoLimits limits;
  if ((data[0] & 8) != 0) {
    limits.max_limit = 3;
    limits.max_offset = 10;
    limits.max_parameters = 4;
    limits.max_value_length = 16;
    limits.max_include_fields = 2;
  }
  std::vector<std::pair<std::string, std::string>> params;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) {
      params.emplace_back(line, "");
    } else {
      params.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }
    start = end + 1;
  }
  const bool below_study = resource == QidoResource::kStudySeries ||
                           resource == QidoResource::kStudyInstances ||
                           resource == QidoResource::kSeriesInstances;
  const bool below_series = resource == QidoResource::kSeriesInstances;
  auto request = web::dicomweb::ParseQidoRequest(resource, below_study ? kStudy : "",
                                                 below_series ? kSeries : "", params, limits,
                                                 index::QueryOptions{});
  if (!request.ok()) {
    if (request.status().code() == StatusCode::kInternal) Broken("internal error from input");
    return 0;
  }
  const index::Query& q = request->query;
  if (request->limit < 1 || request->limit > limits.max_limit) Broken("limit out of range");
  if (request->offset > limits.max_offset) Broken("offset out of range");
  if (q.options.max_results != request->limit || q.options.offset != request->offset ||
      q.options.fuzzy_person_names != request->fuzzy) {
    Broken("options differ from the request");
  }
  if (q.level != web::dicomweb::QidoLevel(resource)) Broken("wrong level");
  if (!std::is_sorted(q.return_keys.begin(), q.return_keys.end())) Broken("return keys unsorted");
  auto returned = [&q](dicom::Tag t) {
    return std::binary_search(q.return_keys.begin(), q.return_keys.end(), t);
  };
  if (!returned(index::UniqueKey(q.level))) Broken("unique key missing");
  const auto& keys = request->response_keys;
  if (std::adjacent_find(keys.begin(), keys.end(),
                         [](dicom::Tag a, dicom::Tag b) { return !(a < b); }) != keys.end()) {
    Broken("response keys not sorted and unique");
  }
  for (dicom::Tag t : keys) {
    const index::QueryAttribute* a = index::FindQueryAttribute(t);
    if (!returned(t) || a == nullptr || a->level > q.level) Broken("response key not held");
  }
  auto single = [&q](dicom::Tag t, const char* uid) {
    for (const index::KeyMatch& m : q.matches) {
      if (m.tag == t) return m.kind == index::MatchKind::kSingleValue && m.value == uid;
    }
    return false;
  };
  if (below_study && !single(dicom::Tag{0x0020, 0x000D}, kStudy)) Broken("study path UID");
  if (below_series && !single(dicom::Tag{0x0020, 0x000E}, kSeries)) Broken("series path UID");
  for (const index::KeyMatch& m : q.matches) {
    for (const std::string* v : {&m.value, &m.low, &m.high}) {
      if (std::any_of(v->begin(), v->end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        Broken("control character in a match");
      }
    }
    if (m.kind == index::MatchKind::kUidList && m.uids.size() < 2) Broken("short UID list");
    if (m.kind == index::MatchKind::kRange && m.low.empty() && m.high.empty()) {
      Broken("unbounded range");
    }
  }
  const std::vector<dicom::DataSet> matches{FakeMatch(*request)};
  auto body = web::dicomweb::EncodeQidoResponse(matches, *request, "https://h/dicom-web");
  if (!body.ok()) Broken("encoding a well-formed match failed");
  if (body->size() < 2 || body->front() != '[' || body->back() != ']' ||
      body->find("\"00081190\"") == std::string::npos) {
    Broken("response is not an array with a Retrieve URL");
  }
  return 0;
}

// QIDO-RS (PS3.18 10.6): a search request read into an index query, and its matches written as
// the DICOM JSON response (PS3.18 F.2).
//
// The request side reads the query parameters of PS3.18 8.3.4 ({attributeID}={value},
// includefield, limit, offset, fuzzymatching) and the UIDs of the path into a C-FIND identifier,
// then builds the query with index::BuildQuery, the very function the C-FIND SCP uses: QIDO-RS
// and C-FIND match alike (the C-FIND value grammar: wildcards `*` `?`, DA/TM ranges, UID lists,
// where QIDO-RS also separates UIDs and modalities with commas, PS3.18 8.3.4.1). Parameters
// this archive does not support are ignored as PS3.18 8.3 requires, never silently: each is
// named in ignored_parameters for a Warning header, because a filter dropped without a word
// returns more than the caller asked for. Invalid values of supported parameters are refused.
// The index's matching semantics are in index/query.h.
//
// The caller runs Index::Find between the two halves and applies the caller's scope by setting
// QidoRequest::query.scope (never from the parameters):
//
//   auto request = ParseQidoRequest(resource, study, series, target.query, limits, options);
//   request->query.scope = caller.scope;
//   auto matches = index.Find(request->query);  // at most request->limit + 1 rows
//   bool more = MoreMatchesFollow(*matches, *request);  // a Warning header, see below
//   auto body = EncodeQidoResponse(*matches, *request, base_url);
//
// Warnings (PS3.18 8.3.4, Warning: 299 headers) are the caller's to send: limit_clamped, more
// matches beyond the page, include fields the index does not hold, ignored parameters (8.3)
// and emptyvaluematching/multiplevaluematching not performed (8.3.4.5, 8.3.4.6).
// Pure: no I/O. Thread-safety: values and stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"
#include "dicom/tag.h"
#include "index/query.h"

namespace bastion::web::dicomweb {

// The search resources of PS3.18 10.6.1: all studies, all series, the series of
// a study, all instances, the instances of a study, the instances of a series.
enum class QidoResource : std::uint8_t {
  kAllStudies,       // /studies
  kAllSeries,        // /series
  kStudySeries,      // /studies/{study}/series
  kAllInstances,     // /instances
  kStudyInstances,   // /studies/{study}/instances
  kSeriesInstances,  // /studies/{study}/series/{series}/instances
};

// Studies are kStudy, series kSeries, instances kImage.
index::QueryLevel QidoLevel(QidoResource resource);

struct QidoLimits {
  std::size_t max_limit = 1000;  // cap on `limit`, and the page size when `limit` is absent
  std::size_t max_offset = 1'000'000;
  std::size_t max_parameters = 128;      // query parameters of one request
  std::size_t max_value_length = 1024;   // bytes of one parameter name or value
  std::size_t max_include_fields = 128;  // distinct attributes named by includefield
};

struct QidoRequest {
  // Level, keys and matches as BuildQuery made them; options.max_results is `limit` and
  // options.offset is `offset`. The caller sets query.scope.
  index::Query query;
  std::size_t limit = 0;  // matches per response (1..max_limit)
  std::size_t offset = 0;
  bool include_all = false;                // includefield=all
  std::vector<dicom::Tag> include_fields;  // as named, without repeats
  bool fuzzy = false;                      // fuzzymatching=true
  // The client's limit was above QidoLimits::max_limit and was lowered to it (PS3.18 8.3.4.4
  // lets the server return fewer matches; the caller says so in a Warning header).
  bool limit_clamped = false;
  // What each match of the response carries besides Retrieve URL (0008,1190), in tag order:
  // the resource's default attributes (PS3.18 Tables 10.6.3-3 to 10.6.3-5, those the index
  // holds), the include fields, the match keys and the UIDs of the path; never the index's
  // own keys (Query/Retrieve Level, the unique keys BuildQuery adds).
  std::vector<dicom::Tag> response_keys;
  // Include fields, and keys with an empty value (which ask for an attribute the same way),
  // that the index holds no value for at this level (a sequence, an attribute it does not
  // keep, an attribute of a lower level): left out of the response rather than sent empty,
  // since an empty value would claim the stored instance has none. For a Warning header.
  std::vector<dicom::Tag> unsupported_include_fields;
  // Parameters ignored as PS3.18 8.3 requires of unsupported ones, for a Warning header: names
  // that are not QIDO-RS parameters nor attributes, unknown or private attributes, sequence
  // paths (quoted, bounded), and match keys the index cannot match on at this level (named as
  // "Keyword (gggg,eeee)"). The request is answered as if they were absent.
  std::vector<std::string> ignored_parameters;
  // emptyvaluematching=true or multiplevaluematching=true: not performed; the caller sends the
  // Warning PS3.18 8.3.4.5 / 8.3.4.6 prescribe for each.
  std::vector<std::string> unsupported_parameters;
};

// Reads a QIDO-RS request. `params` are the query parameters, percent-decoded, in the order
// sent; `study_uid` and `series_uid` come from the path of the resources below a study or a
// series (empty otherwise) and are matched as single values. `options` are the archive's
// query options; max_results, offset and fuzzy_person_names are set from the request.
//
// Attribute IDs are keywords as PS3.6 spells them ("PatientName", case-sensitive) or eight hex
// digits ("00100010"). `accept` and `charset` (PS3.18 8.3.3) are left to content negotiation
// (negotiation.h). PS3.18 8.3: unsupported parameters are ignored, the request is processed as
// if they were absent, and they are listed in ignored_parameters (for a Warning); a supported
// parameter with an invalid value is refused (400). Errors, each naming the parameter:
// - kMalformed: a repeated match key, limit, offset or fuzzymatching; a match on an attribute
//   the path already fixes; a limit or offset that is not a decimal integer (or a limit of 0);
//   fuzzymatching, emptyvaluematching or multiplevaluematching not true/false; an invalid UID,
//   integer or range; a control character; a non-ASCII value for a VR that is ASCII only;
//   several values ('\' or ',') for anything but a UID or ModalitiesInStudy; an include field
//   that is not an attribute, or a private one; a path UID that is not a UID.
// - kUnsupported: an include field that is a sequence path (we neither match nor return
//   attributes inside sequences).
// - kLimitExceeded: more than max_parameters parameters, a name or value longer than
//   max_value_length, more than max_include_fields include fields, an offset above max_offset.
// - kInternal: a path UID given for a resource that has none (the router's mistake).
Result<QidoRequest> ParseQidoRequest(QidoResource resource, std::string_view study_uid,
                                     std::string_view series_uid,
                                     std::span<const std::pair<std::string, std::string>> params,
                                     const QidoLimits& limits, const index::QueryOptions& options);

// Index::Find returns at most query.options.max_results + 1 (= limit + 1) matches: one more
// than the page means more matches follow the page (request another with offset + limit).
bool MoreMatchesFollow(std::span<const dicom::DataSet> matches, const QidoRequest& request);

// The response body: a DICOM JSON array (PS3.18 F.2) with one object for each of the first
// request.limit matches (a row past the page is not written), holding request.response_keys and
// Retrieve URL (0008,1190) of the study, series or instance, built from `base_url` (e.g.
// "https://host:8443/dicom-web" or "/dicom-web"; a trailing '/' is dropped) and the match's
// UIDs. Specific Character Set (0008,0005) is "ISO_IR 192" in a match whose text is not all
// ASCII (JSON text is UTF-8), and absent otherwise.
// No match gives "[]": PS3.18 allows 200 with an empty array or 204 No Content; we answer 200
// "[]" so that clients need one code path for every search.
// kInternal when a match lacks a UID its Retrieve URL needs or holds one that is not a UID.
Result<std::string> EncodeQidoResponse(std::span<const dicom::DataSet> matches,
                                       const QidoRequest& request, std::string_view base_url);

}  // namespace bastion::web::dicomweb

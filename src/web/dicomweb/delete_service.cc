// DELETE of a study, series or instance: a Bastion extension to DICOMweb (Orthanc and dcm4chee
// have equivalents), for administrators only. The archive removes index entries first, then
// files (archive.h), and audits Study Deleted.
#include <nlohmann/json.hpp>

#include "web/dicomweb/dicomweb_service.h"
#include "web/dicomweb/services.h"

namespace bastion::web::dicomweb {

http::Response DeleteResource(const Call& call, const ResourceUids& uids) {
  // Only what the caller can see can be deleted: out of scope is absent.
  constexpr std::size_t kAnyNumber = 100'000'000;  // a bound, not a limit: deletion is whole
  auto visible = InstancesInScope(call, uids, kAnyNumber);
  if (!visible.ok()) return JsonError(visible.status());
  const index::Level level = !uids.instance.empty() ? index::Level::kInstance
                             : !uids.series.empty() ? index::Level::kSeries
                                                    : index::Level::kStudy;
  const std::string& uid = !uids.instance.empty() ? uids.instance
                           : !uids.series.empty() ? uids.series
                                                  : uids.study;
  auto removed = call.context.archive->Remove(level, uid, call.caller.identity.user);
  if (!removed.ok()) return JsonError(removed.status());
  nlohmann::json body = {{"deleted_instances", removed->size()}};
  return http::TextResponse(200, "application/json", body.dump());
}

}  // namespace bastion::web::dicomweb

#include "web/dicomweb/dicomweb_service.h"

#include <nlohmann/json.hpp>

#include "web/dicomweb/services.h"

namespace bastion::web::dicomweb {

namespace {

using security::Permission;

// Reads a small request body into memory, then answers.
class SmallBodyConsumer final : public http::BodyConsumer {
 public:
  using Answer = std::function<http::Response(const std::string& body)>;
  SmallBodyConsumer(std::size_t max_bytes, Answer answer)
      : max_bytes_(max_bytes), answer_(std::move(answer)) {}
  Status Consume(std::span<const std::uint8_t> bytes) override {
    if (body_.size() + bytes.size() > max_bytes_) {
      return Status::LimitExceeded("the request body is larger than " + std::to_string(max_bytes_) +
                                   " bytes");
    }
    body_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return Status::Ok();
  }
  http::Response Finish() override { return answer_(body_); }

 private:
  const std::size_t max_bytes_;
  Answer answer_;
  std::string body_;
};

http::Dispatch Answer(http::Response response) {
  http::Dispatch dispatch;
  dispatch.response = std::move(response);
  return dispatch;
}

http::Response JsonResponse(unsigned status, const nlohmann::json& body) {
  return http::TextResponse(status, "application/json", body.dump());
}

bool IsStateChanging(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string SessionCookie(std::string_view value, bool expire) {
  std::string cookie = std::string(kSessionCookie) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; Secure; SameSite=Strict";
  if (expire) cookie += "; Max-Age=0";
  return cookie;
}

// POST /api/login {"user": "...", "password": "..."}.
http::Dispatch Login(const DicomWebContext& context, const http::RequestHead& head) {
  auto media = http::FindHeader(head.headers, "content-type");
  if (!media || media->substr(0, 16) != "application/json") {
    return Answer(JsonError(415, "POST /api/login takes application/json"));
  }
  if (head.content_length && *head.content_length > context.limits.max_json_body_bytes) {
    return Answer(JsonError(413, "a login request is at most " +
                                     std::to_string(context.limits.max_json_body_bytes) +
                                     " bytes"));
  }
  const std::string address = head.remote_address;
  const HttpAuthenticator* auth = context.auth;
  http::Dispatch dispatch;
  dispatch.consumer = std::make_unique<SmallBodyConsumer>(
      context.limits.max_json_body_bytes, [auth, address](const std::string& body) {
        // Depth-limited parse: a nesting bomb is refused before it is built.
        bool too_deep = false;
        auto limit = [&](int d, nlohmann::json::parse_event_t event, nlohmann::json&) {
          if (event == nlohmann::json::parse_event_t::object_start ||
              event == nlohmann::json::parse_event_t::array_start) {
            if (d > 4) too_deep = true;
          }
          return !too_deep;
        };
        nlohmann::json request = nlohmann::json::parse(body, limit, false);
        if (too_deep || request.is_discarded() || !request.is_object() ||
            !request.contains("user") || !request["user"].is_string() ||
            !request.contains("password") || !request["password"].is_string()) {
          return JsonError(400, "expected {\"user\": \"...\", \"password\": \"...\"}");
        }
        auto login = auth->Login(request["user"].get<std::string>(),
                                 request["password"].get<std::string>(), address);
        if (!login.ok()) {
          if (login.status().code() == StatusCode::kUnavailable) {
            return JsonError(429, login.status().message());
          }
          return JsonError(login.status());
        }
        http::Response response = JsonResponse(200, {{"user", login->user.name},
                                                     {"roles", login->user.roles},
                                                     {"csrf_token", login->session.csrf_token}});
        response.headers.emplace_back("set-cookie", SessionCookie(login->session.id, false));
        return response;
      });
  return dispatch;
}

}  // namespace

http::Response JsonError(unsigned http_status, const std::string& message) {
  http::Response response =
      JsonResponse(http_status, {{"status", http_status}, {"message", message}});
  if (http_status == 401) {
    response.headers.emplace_back("www-authenticate", "Bearer realm=\"bastion\"");
  }
  return response;
}

http::Response MethodNotAllowed(std::string_view allow, const std::string& message) {
  http::Response response = JsonError(405, message);
  response.headers.emplace_back("allow", std::string(allow));
  return response;
}

http::Response JsonError(const Status& status) {
  return JsonError(http::HttpStatusFor(status), status.message());
}

http::Response DicomWebService::ErrorResponse(const Status& status, unsigned http_status) {
  return http_status != 0 ? JsonError(http_status, status.message()) : JsonError(status);
}

index::QueryLevel ResourceUids::level() const {
  if (!instance.empty()) return index::QueryLevel::kImage;
  if (!series.empty()) return index::QueryLevel::kSeries;
  return index::QueryLevel::kStudy;
}

std::string DicomWebBase(const DicomWebContext& context) {
  return context.public_url + "/dicom-web";
}

index::Query ScopedQuery(const Call& call, const ResourceUids& uids) {
  index::Query query;
  query.level = uids.level();
  query.scope = call.caller.identity.scope;
  query.options = call.context.limits.query;
  auto add = [&query](dicom::Tag tag, const std::string& uid) {
    if (uid.empty()) return;
    index::KeyMatch match;
    match.tag = tag;
    match.value = uid;
    query.matches.push_back(std::move(match));
  };
  add(index::UniqueKey(index::QueryLevel::kStudy), uids.study);
  add(index::UniqueKey(index::QueryLevel::kSeries), uids.series);
  add(index::UniqueKey(index::QueryLevel::kImage), uids.instance);
  return query;
}

Result<std::vector<index::StoredInstance>> InstancesInScope(const Call& call,
                                                            const ResourceUids& uids,
                                                            std::size_t limit) {
  BASTION_ASSIGN_OR_RETURN(
      auto instances, call.context.archive->index().FindInstances(ScopedQuery(call, uids), limit));
  if (instances.empty()) return Status::NotFound("no such study, series or instance");
  if (instances.size() > limit) {
    return Status::LimitExceeded("more than " + std::to_string(limit) +
                                 " instances: retrieve series by series");
  }
  return instances;
}

audit::AuditEvent RequestEvent(const DicomWebContext& context, const std::string& user,
                               const std::string& address, audit::AuditEventType type,
                               audit::AuditOutcome outcome, std::string description) {
  audit::AuditEvent event;
  event.type = type;
  event.outcome = outcome;
  event.user = user;
  event.peer_address = address;
  event.local_ae_title = context.local_ae_title;
  event.description = std::move(description);
  return event;
}

void AuditRequest(const Call& call, audit::AuditEventType type, audit::AuditOutcome outcome,
                  const std::vector<index::StoredInstance>& instances, std::string description) {
  if (call.context.audit == nullptr) return;
  audit::AuditEvent event =
      RequestEvent(call.context, call.caller.identity.user, call.caller.address, type, outcome,
                   std::move(description));
  for (const index::StoredInstance& i : instances) {
    audit::AddParticipant(event.study_instance_uids, i.study_instance_uid);
    audit::AddParticipant(event.patient_ids, i.patient_id);
  }
  event.instance_count = instances.size();
  call.context.audit->Emit(event);
}

http::Dispatch DicomWebService::Begin(const http::RequestHead& head) {
  auto target = http::ParseTarget(head.target, context_.limits.target);
  if (!target.ok()) {
    if (target.status().code() == StatusCode::kLimitExceeded) {
      return Answer(JsonError(414, target.status().message()));
    }
    return Answer(JsonError(target.status()));
  }
  return Route(head, *target);
}

http::Dispatch DicomWebService::Route(const http::RequestHead& head, const http::Target& target) {
  const auto& s = target.segments;
  const std::string& method = head.method;
  const bool read = method == "GET" || method == "HEAD";
  if (s.empty()) return Answer(JsonError(404, "nothing here: DICOMweb is under /dicom-web/"));

  if (s[0] == "api" && s.size() == 2 && s[1] == "login") {
    if (method != "POST") return Answer(MethodNotAllowed("POST", "use POST to log in"));
    return Login(context_, head);
  }
  if (s[0] != "dicom-web" && s[0] != "wado" && s[0] != "api") {
    return Answer(JsonError(404, "nothing here: DICOMweb is under /dicom-web/"));
  }

  auto caller = context_.auth->Authenticate(head);
  if (!caller.ok()) {
    http::Response response = JsonError(caller.status());
    if (http::FindHeader(head.headers, "authorization")) {
      // RFC 6750 3.1: a credential was presented and refused.
      for (auto& [name, value] : response.headers) {
        if (name == "www-authenticate") value = "Bearer realm=\"bastion\", error=\"invalid_token\"";
      }
    }
    // A request with a body the caller may not send is answered without reading it.
    return Answer(std::move(response));
  }
  if (IsStateChanging(method)) {
    if (Status csrf = context_.auth->CheckCsrf(*caller, head); !csrf.ok()) {
      return Answer(JsonError(csrf));
    }
  }
  const Call call{context_, head, target, *caller};
  auto require = [&](Permission permission) -> std::optional<http::Dispatch> {
    if (caller->permissions.count(permission) != 0) return std::nullopt;
    AuditRequest(call, audit::AuditEventType::kSecurityAlert, audit::AuditOutcome::kMinorFailure,
                 {},
                 "HTTP " + method + " refused: role lacks permission " +
                     std::string(security::PermissionName(permission)));
    return Answer(JsonError(403, "your role does not allow this (" +
                                     std::string(security::PermissionName(permission)) + ")"));
  };

  if (s[0] == "api") {
    if (s.size() == 2 && s[1] == "logout" && method == "POST") {
      context_.auth->Logout(*caller);
      http::Response response = JsonResponse(200, {{"logged_out", true}});
      response.headers.emplace_back("set-cookie", SessionCookie("", true));
      return Answer(std::move(response));
    }
    if (s.size() == 2 && s[1] == "session" && read) {
      nlohmann::json permissions = nlohmann::json::array();
      for (Permission p : caller->permissions) permissions.push_back(security::PermissionName(p));
      return Answer(JsonResponse(200, {{"user", caller->identity.user},
                                       {"roles", caller->identity.roles},
                                       {"permissions", permissions}}));
    }
    return Answer(JsonError(404, "no such API resource"));
  }

  if (s[0] == "wado") {
    if (s.size() != 1) return Answer(JsonError(404, "WADO-URI is at /wado"));
    if (!read) return Answer(MethodNotAllowed("GET, HEAD", "WADO-URI takes GET"));
    if (auto refused = require(Permission::kRetrieve)) return std::move(*refused);
    return Answer(RetrieveWadoUri(call));
  }

  // /dicom-web/...
  const std::size_t n = s.size();
  if (n == 1) return Answer(JsonError(404, "DICOMweb resources are /studies, /series, /instances"));
  if (n == 2 && (s[1] == "series" || s[1] == "instances")) {
    if (!read) return Answer(MethodNotAllowed("GET, HEAD", "QIDO-RS takes GET"));
    if (auto refused = require(Permission::kQuery)) return std::move(*refused);
    return Answer(SearchResource(
        call, s[1] == "series" ? QidoResource::kAllSeries : QidoResource::kAllInstances, {}));
  }
  if (s[1] != "studies") return Answer(JsonError(404, "no such DICOMweb resource"));
  if (n == 2) {
    if (method == "POST") {
      if (auto refused = require(Permission::kStore)) return std::move(*refused);
      return StoreInstances(call, "");
    }
    if (!read)
      return Answer(
          MethodNotAllowed("GET, HEAD, POST", "use GET (QIDO-RS) or POST (STOW-RS) on /studies"));
    if (auto refused = require(Permission::kQuery)) return std::move(*refused);
    return Answer(SearchResource(call, QidoResource::kAllStudies, {}));
  }

  // /dicom-web/studies/{s}[/series/{se}[/instances/{i}]][/tail...]
  ResourceUids uids;
  uids.study = s[2];
  std::size_t at = 3;
  if (at + 1 < n && s[at] == "series") {
    uids.series = s[at + 1];
    at += 2;
    if (at + 1 < n && s[at] == "instances") {
      uids.instance = s[at + 1];
      at += 2;
    }
  }
  const std::span<const std::string> tail(s.data() + at, n - at);

  if (method == "POST") {
    if (!tail.empty() || !uids.series.empty()) {
      return Answer(MethodNotAllowed("GET, HEAD, DELETE",
                                     "STOW-RS takes POST on /studies or /studies/{study}"));
    }
    if (auto refused = require(Permission::kStore)) return std::move(*refused);
    return StoreInstances(call, uids.study);
  }
  if (method == "DELETE") {
    if (!tail.empty())
      return Answer(MethodNotAllowed("GET, HEAD", "DELETE takes a study, series or instance"));
    if (auto refused = require(Permission::kDelete)) return std::move(*refused);
    return Answer(DeleteResource(call, uids));
  }
  if (!read)
    return Answer(
        MethodNotAllowed(uids.series.empty() ? "GET, HEAD, POST, DELETE" : "GET, HEAD, DELETE",
                         "method not allowed on this resource"));

  if (tail.size() == 1 && (tail[0] == "series" || tail[0] == "instances")) {
    if (auto refused = require(Permission::kQuery)) return std::move(*refused);
    if (tail[0] == "series") {
      if (!uids.series.empty()) return Answer(JsonError(404, "no such DICOMweb resource"));
      return Answer(SearchResource(call, QidoResource::kStudySeries, uids));
    }
    if (!uids.instance.empty()) return Answer(JsonError(404, "no such DICOMweb resource"));
    return Answer(SearchResource(
        call, uids.series.empty() ? QidoResource::kStudyInstances : QidoResource::kSeriesInstances,
        uids));
  }
  if (auto refused = require(Permission::kRetrieve)) return std::move(*refused);
  if (tail.empty()) return Answer(RetrieveInstances(call, uids));
  if (tail.size() == 1 && tail[0] == "metadata") return Answer(RetrieveMetadata(call, uids));
  if (tail.size() == 1 && (tail[0] == "rendered" || tail[0] == "thumbnail")) {
    return Answer(RetrieveRendered(call, uids, std::nullopt, tail[0] == "thumbnail"));
  }
  if (!uids.instance.empty() && tail[0] == "frames" && tail.size() >= 2) {
    if (tail.size() == 2) return Answer(RetrieveFrames(call, uids, tail[1]));
    if (tail.size() == 3 && (tail[2] == "rendered" || tail[2] == "thumbnail")) {
      return Answer(RetrieveRendered(call, uids, tail[1], tail[2] == "thumbnail"));
    }
  }
  if (!uids.instance.empty() && tail[0] == "bulk" && tail.size() >= 2) {
    return Answer(RetrieveBulkData(call, uids, tail.subspan(1)));
  }
  return Answer(JsonError(404, "no such DICOMweb resource"));
}

}  // namespace bastion::web::dicomweb

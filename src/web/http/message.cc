#include "web/http/message.h"

namespace bastion::web::http {

std::optional<std::string_view> FindHeader(const HeaderFields& fields, std::string_view name) {
  for (const auto& [field, value] : fields) {
    if (field == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> JoinedHeader(const HeaderFields& fields, std::string_view name) {
  std::optional<std::string> joined;
  for (const auto& [field, value] : fields) {
    if (field != name) continue;
    if (joined) {
      *joined += ", ";
      *joined += value;
    } else {
      joined = value;
    }
  }
  return joined;
}

unsigned HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kMalformed:
      return 400;
    case StatusCode::kLimitExceeded:
      return 413;
    case StatusCode::kUnsupported:
      return 415;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ReasonPhrase(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

Response TextResponse(unsigned status, std::string content_type, std::string text) {
  Response response;
  response.status = status;
  response.headers.emplace_back("content-type", std::move(content_type));
  response.body = std::move(text);
  return response;
}

}  // namespace bastion::web::http

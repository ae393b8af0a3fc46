// HTTP messages as the services see them, and the handler interface between the HTTP session
// (web/transport/http_session.h, which parses bytes with Beast) and the services (DICOMweb,
// login). No sockets and no Beast here: a service gets a parsed request head and returns a
// response, or a consumer for the request body when it wants one.
//
// Bodies are streamed both ways so that memory stays bounded whatever their size: a
// BodyConsumer takes the request body as it arrives (STOW-RS writes each instance to storage as
// it comes), a BodyProducer yields the response body piece by piece (WADO-RS of a whole study).
// Both run on worker threads, never on the network threads, and may block (files, the index).
// Thread-safety: a consumer or producer is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace bastion::web::http {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;  // names lower-case

// The first value of a header field (names compare case-insensitively; `name` lower-case).
std::optional<std::string_view> FindHeader(const HeaderFields& fields, std::string_view name);
// Every value of a repeated field joined by ", " (RFC 9110 5.3), or nullopt when absent.
std::optional<std::string> JoinedHeader(const HeaderFields& fields, std::string_view name);

struct RequestHead {
  std::string method;  // as sent ("GET")
  std::string target;  // origin-form request target, not yet decoded
  HeaderFields headers;
  bool has_body = false;                        // Content-Length > 0 or chunked
  std::optional<std::uint64_t> content_length;  // when the request said so
  // The connection it came on.
  std::string remote_address;
  bool tls = false;
  std::string client_certificate_fingerprint;
};

class BodyProducer {
 public:
  virtual ~BodyProducer() = default;
  // Appends at most about `max_bytes` of the body to `out`. Returns false once the body is
  // complete (and `out` holds its last piece, possibly empty). An error aborts the response
  // (the connection is closed: the status line has already gone out).
  virtual Result<bool> Next(std::string& out, std::size_t max_bytes) = 0;
};

struct Response {
  unsigned status = 200;
  HeaderFields headers;  // besides the ones the session adds (security headers, length)
  std::string body;      // used when `producer` is null
  std::unique_ptr<BodyProducer> producer;
  // Set on responses to requests whose body will not be read: the session closes afterwards.
  bool close = false;
};

class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;
  // The next piece of the request body. An error ends the request: Finish is not called and
  // the session answers with ErrorResponse(status), then closes.
  virtual Status Consume(std::span<const std::uint8_t> bytes) = 0;
  // The body is complete.
  virtual Response Finish() = 0;
};

// What a handler does with a request head: answer at once, or read the body first.
struct Dispatch {
  Response response;                       // when consumer is null
  std::unique_ptr<BodyConsumer> consumer;  // reads the body, then answers
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Called on a worker thread once the head is complete.
  virtual Dispatch Begin(const RequestHead& head) = 0;
  // The answer to a request the session refused itself (parse errors, limits) or whose
  // consumer failed, in the handler's format (e.g. JSON). `http_status`, when not 0, is the
  // status to answer with instead of HttpStatusFor(status) (431, 408).
  virtual Response ErrorResponse(const Status& status, unsigned http_status = 0) = 0;
};

// The HTTP status for an error (the one table of docs/architecture.md, HTTP column).
unsigned HttpStatusFor(const Status& status);
std::string_view ReasonPhrase(unsigned status);

// A response whose body is `text` of `content_type`.
Response TextResponse(unsigned status, std::string content_type, std::string text);

}  // namespace bastion::web::http

// Status and Result<T>: the error values every layer below the composition root returns.
//
// Shaped after leveldb's Status and std::expected: a cheap success value, named constructors
// for a small closed set of codes, and context in the message rather than in new codes.
// No layer that handles untrusted input throws; it returns one of these instead.
// Thread-safety: plain values, safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bastion {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kMalformed,         // the input breaks the standard's grammar
  kLimitExceeded,     // the input is well formed but larger/deeper than a configured limit
  kUnsupported,       // well formed, but we do not implement it (e.g. unknown character set)
  kNotFound,
  kConflict,          // e.g. same SOP Instance UID with different content
  kUnauthenticated,
  kPermissionDenied,
  kUnavailable,       // a resource (disk, peer) is temporarily unavailable
  kInternal,          // a broken invariant of ours, never the caller's fault
};

// Stable lower-case name of a code ("malformed", "limit exceeded", ...).
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return {}; }
  static Status Malformed(std::string msg) { return {StatusCode::kMalformed, std::move(msg)}; }
  static Status LimitExceeded(std::string msg) {
    return {StatusCode::kLimitExceeded, std::move(msg)};
  }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) {
    return {StatusCode::kUnauthenticated, std::move(msg)};
  }
  static Status PermissionDenied(std::string msg) {
    return {StatusCode::kPermissionDenied, std::move(msg)};
  }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "malformed: element length ... at (0010,0010), offset 0x84"
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context` and ": ".
  Status WithContext(std::string_view context) const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none. Never holds an OK status without a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) {
      data_ = Status::Internal("Result constructed from an OK status without a value");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  // Preconditions: ok() for value(), !ok() for status() to be meaningful.
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace bastion

// Propagates a non-OK Status from an expression returning Status.
#define BASTION_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::bastion::Status bastion_status_ = (expr); \
    if (!bastion_status_.ok()) return bastion_status_; \
  } while (false)

#define BASTION_CONCAT_INNER_(a, b) a##b
#define BASTION_CONCAT_(a, b) BASTION_CONCAT_INNER_(a, b)

// `BASTION_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a Result or returns its Status.
#define BASTION_ASSIGN_OR_RETURN(lhs, expr) \
  BASTION_ASSIGN_OR_RETURN_IMPL_(BASTION_CONCAT_(bastion_result_, __LINE__), lhs, expr)
#define BASTION_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

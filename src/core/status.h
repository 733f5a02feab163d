#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace mlserving {

/// Error codes. Each maps onto exactly one HTTP status (see HttpStatusOf) and one gRPC code.
enum class StatusCode {
  kOk,
  kInvalidArgument,     ///< bad input from the caller (400)
  kNotFound,            ///< a named thing does not exist (404)
  kFailedPrecondition,  ///< the system is not in a state to do this (409)
  kResourceExhausted,   ///< a configured limit was exceeded (413)
  kUnimplemented,       ///< a feature, op or element we do not support (501)
  kUnavailable,         ///< overloaded or shutting down; retry later (503)
  kDeadlineExceeded,    ///< the request timeout elapsed (504)
  kInternal,            ///< a bug or an unexpected failure (500)
};

std::string_view StatusCodeName(StatusCode code);
/// The HTTP status that an error of this code is answered with.
int HttpStatusOf(StatusCode code);

/// A success or an error with a message meant for the user: what went wrong and how to fix it.
/// OK is a null pointer, so returning OK costs nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  std::string ToString() const;

  /// Returns a copy with `context + ": "` prepended to the message (no-op when OK).
  Status WithContext(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

inline Status InvalidArgument(std::string message) { return Status(StatusCode::kInvalidArgument, std::move(message)); }
inline Status NotFound(std::string message) { return Status(StatusCode::kNotFound, std::move(message)); }
inline Status FailedPrecondition(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status ResourceExhausted(std::string message) {
  return Status(StatusCode::kResourceExhausted, std::move(message));
}
inline Status Unimplemented(std::string message) { return Status(StatusCode::kUnimplemented, std::move(message)); }
inline Status Unavailable(std::string message) { return Status(StatusCode::kUnavailable, std::move(message)); }
inline Status DeadlineExceeded(std::string message) {
  return Status(StatusCode::kDeadlineExceeded, std::move(message));
}
inline Status Internal(std::string message) { return Status(StatusCode::kInternal, std::move(message)); }

}  // namespace mlserving

#define MLS_CONCAT_INNER(a, b) a##b
#define MLS_CONCAT(a, b) MLS_CONCAT_INNER(a, b)

/// Returns from the current function when `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::mlserving::Status mls_status_ = (expr);  \
    if (!mls_status_.ok()) return mls_status_; \
  } while (false)

/// `ASSIGN_OR_RETURN(auto x, ResultExpr())`: unwraps a Result or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(MLS_CONCAT(mls_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mlserving::server {

/// A request as the router sees it: what the transport parsed, without any Boost type, so that
/// routes can be tested without a socket.
struct HttpRequest {
  std::string method;        ///< "GET", "POST", … as sent
  std::string target;        ///< the request target, query string included
  std::string content_type;  ///< the Content-Type header ("" when absent)
  std::string accept;        ///< the Accept header ("" when absent)
  std::string body;
  /// When the answer is due; becomes EvaluationContext::deadline.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

/// A response before the transport serialises it.
struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  /// Extra headers (Allow, Retry-After, …).
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The path of a request target: everything before '?' or '#'.
std::string_view TargetPath(std::string_view target);

/// The error answer every route uses: body {"status": N, "message": "..."} as application/json.
HttpResponse ErrorResponse(int status, std::string_view message);
/// ErrorResponse with the HTTP status of `status.code()` and its message.
/// Precondition: !status.ok().
HttpResponse ErrorResponse(const Status& status);
/// A 200 application/json response.
HttpResponse JsonResponse(std::string body, int status = 200);

}  // namespace mlserving::server

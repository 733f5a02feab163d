#include "server/http_message.h"

#include <nlohmann/json.hpp>

namespace mlserving::server {

std::string_view TargetPath(std::string_view target) {
  const size_t end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

HttpResponse ErrorResponse(int status, std::string_view message) {
  nlohmann::json body = {{"status", status}, {"message", message}};
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  // Messages may quote client input, which need not be valid UTF-8: replace, never throw.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse ErrorResponse(const Status& status) {
  return ErrorResponse(HttpStatusOf(status.code()), status.message());
}

HttpResponse JsonResponse(std::string body, int status) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

}  // namespace mlserving::server

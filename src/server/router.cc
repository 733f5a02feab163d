#include "server/router.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "server/codecs/json_evaluation.h"
#include "server/codecs/json_tensor_codec.h"
#include "server/content_negotiation.h"
#include "server/openapi.h"

namespace mlserving::server {
namespace {

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kHtmlType = "text/html; charset=utf-8";
constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";

/// Client-controlled text quoted in messages is cut to this length.
constexpr size_t kMaxQuoted = 200;

std::string Quote(std::string_view text) {
  if (text.size() <= kMaxQuoted) return std::string(text);
  return std::string(text.substr(0, kMaxQuoted)) + "...";
}

/// True when `body` starts like a JSON object: `curl -d '{...}'` sends JSON labelled as a form.
bool LooksLikeJsonObject(std::string_view body) {
  const size_t start = body.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && body[start] == '{';
}

}  // namespace

Router::Router(serving::LoadedModel model, const ServerOptions& options, Metrics& metrics)
    : model_(std::move(model)), options_(options), metrics_(metrics) {
  routes_ = {
      {"/", "GET", &Router::HandleIndex},
      {"/describe", "GET", &Router::HandleDescribe},
      {"/eval", "POST", &Router::HandleEval},
      {"/health/live", "GET", &Router::HandleLive},
      {"/health/ready", "GET", &Router::HandleReady},
      {"/metrics", "GET", &Router::HandleMetrics},
      {"/openapi.json", "GET", &Router::HandleOpenApi},
  };
  const Signature& signature = model_.evaluator->Describe();
  describe_json_ = codecs::EncodeDescribe(signature);
  openapi_json_ = BuildOpenApi(signature, model_.evaluator->Summary())
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view Router::RouteLabel(std::string_view path) const {
  for (const Route& route : routes_) {
    if (route.path == path) return route.path;
  }
  return kOtherRoute;
}

bool Router::NeedsWorker(std::string_view method, std::string_view path) const {
  const Route* route = FindRoute(path, method);
  return route != nullptr && route->handler == &Router::HandleEval;
}

const Router::Route* Router::FindRoute(std::string_view path, std::string_view method) const {
  for (const Route& route : routes_) {
    if (route.path == path && route.method == method) return &route;
  }
  return nullptr;
}

std::string Router::AllowedMethods(std::string_view path) const {
  std::string allowed;
  for (const Route& route : routes_) {
    if (route.path != path) continue;
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  return allowed;
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  const std::string_view path = TargetPath(request.target);
  const Route* route = FindRoute(path, request.method);
  if (route == nullptr) {
    const std::string allowed = AllowedMethods(path);
    if (allowed.empty()) {
      std::string routes;
      for (const Route& r : routes_)
        routes.append(routes.empty() ? "" : ", ").append(r.method).append(" ").append(r.path);
      return ErrorResponse(404, "no route for '" + Quote(path) + "'; the routes are " + routes);
    }
    HttpResponse response = ErrorResponse(
        405, "method " + Quote(request.method) + " is not allowed on " + std::string(path) + "; use " + allowed);
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  try {
    return (this->*(route->handler))(request);
  } catch (const std::exception& e) {
    return ErrorResponse(500, std::string("internal error while handling ") + std::string(path) + ": " + e.what());
  } catch (...) {
    return ErrorResponse(500, "internal error while handling " + std::string(path));
  }
}

HttpResponse Router::HandleIndex(const HttpRequest&) const {
  nlohmann::json routes = nlohmann::json::array();
  for (const Route& route : routes_) {
    routes.push_back(std::string(route.method) + " " + std::string(route.path));
  }
  nlohmann::json index = {{"model", model_.evaluator->Summary()},
                          {"format", model_.format},
                          {"routes", std::move(routes)},
                          {"openapi", "/openapi.json"}};
  return JsonResponse(index.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse Router::HandleDescribe(const HttpRequest&) const { return JsonResponse(describe_json_); }

HttpResponse Router::HandleEval(const HttpRequest& request) const {
  Result<RequestEncoding> encoding = ParseContentType(request.content_type);
  if (!encoding.ok()) return ErrorResponse(415, encoding.status().message());
  if (*encoding == RequestEncoding::kForm && LooksLikeJsonObject(request.body)) encoding = RequestEncoding::kJson;
  if (*encoding != RequestEncoding::kJson) {
    return ErrorResponse(415, "Content-Type " + MediaType(request.content_type) +
                                  " is not supported by this server yet; send application/json");
  }
  Result<ResponseEncoding> response_encoding = NegotiateResponse(request.accept);
  if (!response_encoding.ok()) return ErrorResponse(406, response_encoding.status().message());

  codecs::JsonLimits limits;
  limits.max_depth = options_.max_json_depth;
  limits.max_elements = options_.max_tensor_elements;
  EvaluationContext context;
  context.deadline = request.deadline;
  if (context.Expired()) {
    return ErrorResponse(DeadlineExceeded(
        "the request timed out before evaluation started; retry, or raise the server's request timeout"));
  }
  const bool html = *response_encoding == ResponseEncoding::kHtml;
  // The one decode -> evaluate -> encode path, shared with `mlserving predict`.
  Result<codecs::JsonEvaluation> evaluation =
      codecs::EvaluateJsonBody(*model_.evaluator, request.body, limits, context,
                               html ? codecs::ResponseFormat::kHtml : codecs::ResponseFormat::kJson);
  if (!evaluation.ok()) return ErrorResponse(evaluation.status());
  metrics_.AddRowsEvaluated(evaluation->rows);

  HttpResponse response;
  response.content_type = html ? kHtmlType : kJsonType;
  response.body = std::move(evaluation->body);
  return response;
}

HttpResponse Router::HandleLive(const HttpRequest&) const { return JsonResponse(R"({"status":"live"})"); }

HttpResponse Router::HandleReady(const HttpRequest&) const {
  if (ready()) return JsonResponse(R"({"status":"ready"})");
  return JsonResponse(R"({"status":"not ready","message":"the server is shutting down"})", 503);
}

HttpResponse Router::HandleMetrics(const HttpRequest&) const {
  HttpResponse response;
  response.content_type = kPrometheusType;
  response.body = metrics_.RenderPrometheus();
  return response;
}

HttpResponse Router::HandleOpenApi(const HttpRequest&) const { return JsonResponse(openapi_json_); }

}  // namespace mlserving::server

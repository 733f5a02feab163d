#include "server/router.h"

#include <exception>

#include <nlohmann/json.hpp>

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

/// The number of rows an answer holds: the first dim of the first output, 1 for a scalar.
int64_t RowsOf(const TensorMap& outputs, const Signature& signature) {
  if (signature.outputs.empty()) return 0;
  auto it = outputs.find(signature.outputs.front().name);
  if (it == outputs.end() || !it->second.defined()) return 0;
  return it->second.rank() == 0 ? 1 : it->second.dim(0);
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
      for (const Route& r : routes_) routes.append(routes.empty() ? "" : ", ").append(r.method).append(" ").append(r.path);
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

  const Signature& signature = model_.evaluator->Describe();
  codecs::JsonLimits limits;
  limits.max_depth = options_.max_json_depth;
  limits.max_elements = options_.max_tensor_elements;
  Result<TensorMap> inputs = codecs::DecodeJsonRequest(request.body, signature, limits);
  if (!inputs.ok()) return ErrorResponse(inputs.status());

  EvaluationContext context;
  context.deadline = request.deadline;
  if (context.Expired()) {
    return ErrorResponse(DeadlineExceeded("the request timed out before evaluation started; retry, or raise the "
                                          "server's request timeout"));
  }
  Result<TensorMap> outputs = model_.evaluator->Evaluate(*inputs, context);
  if (!outputs.ok()) return ErrorResponse(outputs.status());
  for (const TensorSpec& spec : signature.outputs) {
    auto it = outputs->find(spec.name);
    if (it == outputs->end() || !it->second.defined()) {
      return ErrorResponse(Internal("the model returned no value for its output '" + spec.name + "'"));
    }
  }
  metrics_.AddRowsEvaluated(RowsOf(*outputs, signature));

  HttpResponse response;
  if (*response_encoding == ResponseEncoding::kHtml) {
    response.content_type = kHtmlType;
    response.body = codecs::EncodeHtmlResponse(*outputs, signature);
  } else {
    response.content_type = kJsonType;
    response.body = codecs::EncodeJsonResponse(*outputs, signature);
  }
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

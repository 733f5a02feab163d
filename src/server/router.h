#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_message.h"
#include "server/metrics.h"
#include "server/server_options.h"
#include "serving/model_loader.h"

namespace mlserving::server {

/// The routes of the native API, independent of the transport.
///
/// Thread-safety: Handle() may run concurrently on any threads; SetReady() may be called at any
/// time. The router borrows `metrics`, which must outlive it.
class Router {
 public:
  /// The route label of requests to unknown paths (metrics stay of bounded cardinality).
  static constexpr std::string_view kOtherRoute = "other";

  /// Precondition: `model.evaluator` is not null.
  Router(serving::LoadedModel model, const ServerOptions& options, Metrics& metrics);

  /// The metrics label of `path`: the route's path when it is one, else kOtherRoute.
  std::string_view RouteLabel(std::string_view path) const;
  /// True when a request must be handled on a worker thread (it evaluates the model); every
  /// other request is cheap enough for an I/O thread.
  bool NeedsWorker(std::string_view method, std::string_view path) const;

  /// Answers `request`. Never throws: unexpected exceptions become 500.
  HttpResponse Handle(const HttpRequest& request) const;

  /// /health/ready answers 200 while ready, 503 otherwise (the server clears it on shutdown).
  void SetReady(bool ready) { ready_.store(ready, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }

  const serving::LoadedModel& model() const { return model_; }

 private:
  using Handler = HttpResponse (Router::*)(const HttpRequest&) const;
  struct Route {
    std::string_view path;
    std::string_view method;
    Handler handler;
  };

  const Route* FindRoute(std::string_view path, std::string_view method) const;
  /// "GET, POST" for the methods `path` accepts ("" when the path is unknown).
  std::string AllowedMethods(std::string_view path) const;

  HttpResponse HandleIndex(const HttpRequest& request) const;
  HttpResponse HandleDescribe(const HttpRequest& request) const;
  HttpResponse HandleEval(const HttpRequest& request) const;
  HttpResponse HandleLive(const HttpRequest& request) const;
  HttpResponse HandleReady(const HttpRequest& request) const;
  HttpResponse HandleMetrics(const HttpRequest& request) const;
  HttpResponse HandleOpenApi(const HttpRequest& request) const;

  const serving::LoadedModel model_;
  const ServerOptions options_;
  Metrics& metrics_;
  std::vector<Route> routes_;
  std::atomic<bool> ready_{true};
  /// Documents that depend only on the signature, built once.
  std::string describe_json_;
  std::string openapi_json_;
};

}  // namespace mlserving::server

#include <iostream>

#include "cli/commands.h"
#include "core/logging.h"
#include "server/http_server.h"
#include "serving/model_loader.h"

namespace mlserving::cli {
namespace {

/// A ready-to-paste request for the loaded model, built from its signature.
std::string CurlExample(const Signature& signature, const std::string& host, uint16_t port) {
  std::string body = "{";
  for (const TensorSpec& spec : signature.inputs) {
    if (body.size() > 1) body += ",";
    int64_t width = spec.shape.size() >= 2 && spec.shape.back() > 1 ? spec.shape.back() : 1;
    std::string scalar = spec.dtype == DType::kString ? "\"text\"" : spec.dtype == DType::kBool ? "false" : "0";
    std::string value = scalar;
    if (width > 1) {
      value = "[";
      for (int64_t i = 0; i < width; ++i) value += (i ? "," : "") + scalar;
      value += "]";
    }
    body += "\"" + spec.name + "\":" + value;
  }
  body += "}";
  std::string shown_host = host == "0.0.0.0" || host == "::" ? "localhost" : host;
  return "curl -s -X POST http://" + shown_host + ":" + std::to_string(port) +
         "/eval -H 'Content-Type: application/json' -d '" + body + "'";
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<server::ServerOptions>();
  auto path = std::make_shared<std::string>();
  auto request_timeout_ms = std::make_shared<int64_t>(options->request_timeout.count());
  auto drain_timeout_ms = std::make_shared<int64_t>(options->drain_timeout.count());
  auto* cmd = app.add_subcommand("serve", "serve a model over HTTP (/describe, /eval, /health, /metrics)");
  cmd->add_option("model", *path, "model file or directory")->required();
  cmd->add_option("--host", options->host, "address to bind")->capture_default_str();
  cmd->add_option("--port", options->port, "TCP port (0 = any free port)")->capture_default_str();
  cmd->add_option("--threads", options->worker_threads, "threads evaluating requests")->capture_default_str();
  cmd->add_option("--io-threads", options->io_threads, "threads doing network I/O")->capture_default_str();
  cmd->add_option("--max-body-bytes", options->max_body_bytes, "largest request body (413 beyond)")
      ->capture_default_str();
  cmd->add_option("--max-json-depth", options->max_json_depth, "deepest JSON array nesting")->capture_default_str();
  cmd->add_option("--max-tensor-elements", options->max_tensor_elements, "most tensor elements per request")
      ->capture_default_str();
  cmd->add_option("--max-queued-requests", options->max_queued_requests, "waiting requests beyond this get 503")
      ->capture_default_str();
  cmd->add_option("--request-timeout-ms", *request_timeout_ms, "time to read, evaluate and answer one request")
      ->capture_default_str();
  cmd->add_option("--drain-timeout-ms", *drain_timeout_ms, "on SIGTERM, longest wait for in-flight requests")
      ->capture_default_str();
  cmd->callback([=] {
    options->request_timeout = std::chrono::milliseconds(*request_timeout_ms);
    options->drain_timeout = std::chrono::milliseconds(*drain_timeout_ms);
    spdlog::info("loading model {}", *path);
    Result<serving::LoadedModel> model = serving::LoadModel(*path);
    if (!model.ok()) {
      spdlog::error("cannot load {}: {}", *path, model.status().message());
      *exit_code = 1;
      return;
    }
    spdlog::info("loaded {} in {:.1f} ms", model->evaluator->Summary(), model->load_time.count() * 1000);
    Status warm = serving::WarmUp(*model->evaluator);
    if (!warm.ok()) {
      spdlog::warn("warm-up on generated inputs failed ({}); the model is served anyway", warm.message());
    }
    server::HttpServer http(*options, std::move(model).value());
    Status started = http.Start();
    if (!started.ok()) {
      spdlog::error("cannot start the server: {}", started.message());
      *exit_code = 1;
      return;
    }
    std::cout << "Serving on http://" << options->host << ":" << http.port() << " — try:\n  "
              << CurlExample(http.model().evaluator->Describe(), options->host, http.port()) << "\n"
              << std::flush;
    *exit_code = http.Run();
  });
}

}  // namespace mlserving::cli

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace mlserving::server {

/// How the HTTP server listens, how much work it accepts and how long it waits.
struct ServerOptions {
  /// Address to bind ("0.0.0.0", "127.0.0.1", "::").
  std::string host = "0.0.0.0";
  /// TCP port; 0 binds an ephemeral port (HttpServer::port() tells which).
  uint16_t port = 8080;
  /// Threads running network I/O (accept, read, write); requests are never evaluated on them.
  size_t io_threads = 1;
  /// Threads evaluating requests.
  size_t worker_threads = DefaultWorkerThreads();
  /// Largest request body accepted; larger bodies are answered 413.
  size_t max_body_bytes = size_t{16} << 20;
  /// Largest request header block accepted; larger ones are answered 431.
  size_t max_header_bytes = size_t{16} << 10;
  /// Deepest array nesting accepted in a JSON request.
  size_t max_json_depth = 32;
  /// The most tensor elements one request may decode into (over all its inputs).
  int64_t max_tensor_elements = int64_t{1} << 24;
  /// Time allowed to read one request, to evaluate it (EvaluationContext::deadline) and to write
  /// its response; an idle keep-alive connection is closed after it.
  std::chrono::milliseconds request_timeout{30000};
  /// Requests waiting for a worker beyond this are answered 503.
  size_t max_queued_requests = 1024;
  /// On shutdown, the longest wait for in-flight requests to complete.
  std::chrono::milliseconds drain_timeout{30000};

  static size_t DefaultWorkerThreads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
  }
};

}  // namespace mlserving::server

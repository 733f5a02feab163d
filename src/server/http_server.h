#pragma once

#include <cstdint>
#include <memory>

#include "core/status.h"
#include "server/server_options.h"
#include "serving/model_loader.h"

namespace mlserving::server {

/// The HTTP/1.1 server of one loaded model: the native API (see router.h) on Boost.Beast.
///
/// Lifecycle: construct with a loaded, warmed-up model; Start() binds and begins serving (ready
/// from then on); Run() blocks until SIGINT/SIGTERM or Stop(); Stop() drains. Shutdown stops
/// accepting, makes /health/ready answer 503, waits up to `drain_timeout` for requests already
/// read to be answered (answers then carry `Connection: close`), closes the remaining
/// connections and joins every thread. The destructor stops a running server.
///
/// Threads: `io_threads` run accept/read/write; model evaluations run on a pool of
/// `worker_threads` with at most `max_queued_requests` waiting (more are answered 503).
class HttpServer {
 public:
  HttpServer(ServerOptions options, serving::LoadedModel model);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds host:port (port 0: an ephemeral port, see port()) and starts the I/O and worker
  /// threads. Errors: kFailedPrecondition when already started or without a model,
  /// kInvalidArgument for a host that does not resolve, kUnavailable when the address cannot
  /// be bound (in use, no permission).
  Status Start();

  /// The bound port; valid after a successful Start().
  uint16_t port() const;

  /// The model being served.
  const serving::LoadedModel& model() const;

  /// Blocks until SIGINT or SIGTERM arrives (then drains as Stop() does) or Stop() completes
  /// on another thread. A second signal during the drain ends the process at once (_Exit(1)).
  /// Returns the process exit code: 0 after a shutdown, 1 when the server was not started.
  int Run();

  /// Drains and stops (see the class comment); returns when every thread has been joined.
  /// Thread-safe and idempotent; must not be called from a request handler.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlserving::server

#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "core/thread_pool.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/server_options.h"

namespace mlserving::server {

/// Counts requests between being read and having their answer written, so that shutdown can
/// wait for them. Thread-safe.
class RequestTracker {
 public:
  void Begin();
  void End();
  int64_t active() const;
  /// Waits until no request is active or `timeout` passes; true when none is active.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  int64_t active_ = 0;
};

/// The open connections, each known by a callback that closes it, so that shutdown can close
/// the idle ones. Thread-safe.
class ConnectionRegistry {
 public:
  /// Registers a connection; returns its id, or 0 once CloseAll() has run (the caller closes
  /// the connection itself).
  uint64_t Add(std::function<void()> close);
  /// Forgets connection `id` (0 is ignored).
  void Remove(uint64_t id);
  /// Calls every registered close callback (outside the lock) and refuses later Add()s.
  void CloseAll();
  /// Waits until every connection is removed or `timeout` passes; true when none is left.
  bool WaitEmpty(std::chrono::milliseconds timeout);
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable empty_;
  std::unordered_map<uint64_t, std::function<void()>> connections_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
};

/// What connections share with the server that owns them. Outlives every connection.
struct ServerContext {
  ServerContext(const ServerOptions& options, Router& router, Metrics& metrics, ThreadPool& workers)
      : options(options), router(router), metrics(metrics), workers(workers) {}

  const ServerOptions options;
  Router& router;
  Metrics& metrics;
  ThreadPool& workers;
  /// Set when shutdown begins: answers carry `Connection: close`.
  std::atomic<bool> draining{false};
  /// Set when the drain time is over: requests still queued are answered 503 unevaluated.
  std::atomic<bool> closing{false};
  RequestTracker requests;
  ConnectionRegistry connections;
};

}  // namespace mlserving::server

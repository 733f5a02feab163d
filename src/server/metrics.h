#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace mlserving::server {

/// The server's Prometheus metrics. Thread-safe: any thread may record, any thread may render.
///
/// Label cardinality is the caller's duty: `route` must come from a fixed set (the router's
/// paths plus "other"), `method` from the HTTP verbs plus "other"; `status` is an HTTP status.
class Metrics {
 public:
  /// Upper bounds of the request-duration histogram buckets, in seconds (+Inf is implicit).
  static constexpr std::array<double, 14> kDurationBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};

  /// `format`, `path` and `load_seconds` describe the served model (mlserving_model_info and
  /// mlserving_model_load_seconds).
  Metrics(std::string format, std::string path, double load_seconds);

  /// Counts one answered request and observes its duration.
  void RecordRequest(std::string_view route, std::string_view method, int status, double seconds);
  /// Adds to mlserving_rows_evaluated_total.
  void AddRowsEvaluated(int64_t rows);
  /// mlserving_in_flight_requests: requests read and not yet answered.
  void IncrementInFlight() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void DecrementInFlight() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  /// Requests counted so far with these labels (for tests and diagnostics).
  uint64_t RequestCount(std::string_view route, std::string_view method, int status) const;

  /// Every metric in the Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus() const;

 private:
  struct Histogram {
    std::array<uint64_t, kDurationBuckets.size()> buckets{};  ///< non-cumulative counts
    uint64_t count = 0;
    double sum = 0;
  };

  const std::string format_;
  const std::string path_;
  const double load_seconds_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> rows_evaluated_{0};

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t, std::less<>> requests_;
  std::map<std::string, Histogram, std::less<>> durations_;
};

}  // namespace mlserving::server

#include "server/metrics.h"

#include <cstdio>

namespace mlserving::server {
namespace {

/// Escapes a label value as the exposition format requires (backslash, quote, newline).
std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

/// A sample value: integers without a fraction, others with 12 significant digits.
std::string FormatValue(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.12g", value);
  return buffer;
}

/// A bucket bound as Prometheus clients write it ("0.0005", "1", "2.5").
std::string FormatBound(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

Metrics::Metrics(std::string format, std::string path, double load_seconds)
    : format_(std::move(format)), path_(std::move(path)), load_seconds_(load_seconds) {}

void Metrics::RecordRequest(std::string_view route, std::string_view method, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto key = std::make_tuple(std::string(route), std::string(method), status);
  ++requests_[key];
  auto it = durations_.find(route);
  if (it == durations_.end()) it = durations_.emplace(std::string(route), Histogram{}).first;
  Histogram& histogram = it->second;
  for (size_t i = 0; i < kDurationBuckets.size(); ++i) {
    if (seconds <= kDurationBuckets[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::AddRowsEvaluated(int64_t rows) { rows_evaluated_.fetch_add(rows, std::memory_order_relaxed); }

uint64_t Metrics::RequestCount(std::string_view route, std::string_view method, int status) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = requests_.find(std::make_tuple(std::string(route), std::string(method), status));
  return it == requests_.end() ? 0 : it->second;
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    AppendHeader(out, "mlserving_requests_total", "counter", "HTTP requests answered, by route, method and status.");
    for (const auto& [key, count] : requests_) {
      const auto& [route, method, status] = key;
      out.append("mlserving_requests_total{route=\"").append(EscapeLabel(route));
      out.append("\",method=\"").append(EscapeLabel(method));
      out.append("\",status=\"").append(std::to_string(status)).append("\"} ");
      out.append(std::to_string(count)).append("\n");
    }
    AppendHeader(out, "mlserving_request_duration_seconds", "histogram",
                 "Time from a request's arrival to its answer, by route.");
    for (const auto& [route, histogram] : durations_) {
      const std::string label = EscapeLabel(route);
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kDurationBuckets.size(); ++i) {
        cumulative += histogram.buckets[i];
        out.append("mlserving_request_duration_seconds_bucket{route=\"").append(label);
        out.append("\",le=\"").append(FormatBound(kDurationBuckets[i])).append("\"} ");
        out.append(std::to_string(cumulative)).append("\n");
      }
      out.append("mlserving_request_duration_seconds_bucket{route=\"").append(label).append("\",le=\"+Inf\"} ");
      out.append(std::to_string(histogram.count)).append("\n");
      out.append("mlserving_request_duration_seconds_sum{route=\"").append(label).append("\"} ");
      out.append(FormatValue(histogram.sum)).append("\n");
      out.append("mlserving_request_duration_seconds_count{route=\"").append(label).append("\"} ");
      out.append(std::to_string(histogram.count)).append("\n");
    }
  }
  AppendHeader(out, "mlserving_rows_evaluated_total", "counter",
               "Rows evaluated: the first dimension of the first output (1 for a scalar), summed over requests.");
  out.append("mlserving_rows_evaluated_total ").append(std::to_string(rows_evaluated_.load())).append("\n");
  AppendHeader(out, "mlserving_model_load_seconds", "gauge", "Time taken to load the served model.");
  out.append("mlserving_model_load_seconds ").append(FormatValue(load_seconds_)).append("\n");
  AppendHeader(out, "mlserving_in_flight_requests", "gauge", "Requests read and not yet answered.");
  out.append("mlserving_in_flight_requests ").append(std::to_string(in_flight_.load())).append("\n");
  AppendHeader(out, "mlserving_model_info", "gauge", "The served model (always 1).");
  out.append("mlserving_model_info{format=\"").append(EscapeLabel(format_));
  out.append("\",path=\"").append(EscapeLabel(path_)).append("\"} 1\n");
  return out;
}

}  // namespace mlserving::server

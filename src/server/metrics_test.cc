#include "server/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mlserving::server {
namespace {

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(MetricsTest, RendersCountersHistogramsAndGauges) {
  Metrics metrics("onnx", "/models/a \"b\".onnx", 1.5);
  metrics.RecordRequest("/eval", "POST", 200, 0.003);
  metrics.RecordRequest("/eval", "POST", 200, 0.2);
  metrics.RecordRequest("/eval", "POST", 400, 0.0001);
  metrics.RecordRequest("other", "GET", 404, 20);
  metrics.AddRowsEvaluated(7);
  metrics.IncrementInFlight();

  const std::string text = metrics.RenderPrometheus();
  EXPECT_TRUE(Contains(text, "# TYPE mlserving_requests_total counter\n"));
  EXPECT_TRUE(Contains(text, "mlserving_requests_total{route=\"/eval\",method=\"POST\",status=\"200\"} 2\n"));
  EXPECT_TRUE(Contains(text, "mlserving_requests_total{route=\"/eval\",method=\"POST\",status=\"400\"} 1\n"));
  EXPECT_TRUE(Contains(text, "mlserving_requests_total{route=\"other\",method=\"GET\",status=\"404\"} 1\n"));
  EXPECT_TRUE(Contains(text, "# TYPE mlserving_request_duration_seconds histogram\n"));
  EXPECT_TRUE(Contains(text, "mlserving_request_duration_seconds_bucket{route=\"/eval\",le=\"0.0005\"} 1\n"));
  EXPECT_TRUE(Contains(text, "mlserving_request_duration_seconds_bucket{route=\"/eval\",le=\"0.005\"} 2\n"));
  EXPECT_TRUE(Contains(text, "mlserving_request_duration_seconds_bucket{route=\"/eval\",le=\"0.25\"} 3\n"));
  EXPECT_TRUE(Contains(text, "mlserving_request_duration_seconds_bucket{route=\"/eval\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(text, "mlserving_request_duration_seconds_count{route=\"/eval\"} 3\n"));
  EXPECT_TRUE(Contains(text, "mlserving_request_duration_seconds_bucket{route=\"other\",le=\"10\"} 0\n"));
  EXPECT_TRUE(Contains(text, "mlserving_request_duration_seconds_bucket{route=\"other\",le=\"+Inf\"} 1\n"));
  EXPECT_TRUE(Contains(text, "mlserving_rows_evaluated_total 7\n"));
  EXPECT_TRUE(Contains(text, "mlserving_model_load_seconds 1.5\n"));
  EXPECT_TRUE(Contains(text, "mlserving_in_flight_requests 1\n"));
  EXPECT_TRUE(Contains(text, "mlserving_model_info{format=\"onnx\",path=\"/models/a \\\"b\\\".onnx\"} 1\n"));
}

TEST(MetricsTest, CountsFromManyThreads) {
  Metrics metrics("onnx", "m.onnx", 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) {
        metrics.IncrementInFlight();
        metrics.RecordRequest("/eval", "POST", 200, 0.001);
        metrics.AddRowsEvaluated(1);
        metrics.DecrementInFlight();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(metrics.RequestCount("/eval", "POST", 200), 8000u);
  EXPECT_EQ(metrics.in_flight(), 0);
  EXPECT_TRUE(Contains(metrics.RenderPrometheus(), "mlserving_rows_evaluated_total 8000\n"));
}

}  // namespace
}  // namespace mlserving::server

#include "server/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/doubling_evaluator_for_test.h"

namespace mlserving::server {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : metrics_("onnx", "/models/doubling.onnx", 0.25),
        router_(testing::TestModel(std::make_shared<testing::DoublingEvaluator>()), ServerOptions{}, metrics_) {}

  HttpResponse Call(std::string method, std::string target, std::string body = "", std::string content_type = "",
                    std::string accept = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    request.content_type = std::move(content_type);
    request.accept = std::move(accept);
    return router_.Handle(request);
  }

  static nlohmann::json Json(const HttpResponse& response) { return nlohmann::json::parse(response.body); }

  Metrics metrics_;
  Router router_;
};

TEST_F(RouterTest, EvalDoublesTheInput) {
  const HttpResponse response = Call("POST", "/eval", R"({"x": [[1, 2], [3, 4]]})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(Json(response)["y"], nlohmann::json::parse("[[2,4],[6,8]]"));
  EXPECT_NE(metrics_.RenderPrometheus().find("mlserving_rows_evaluated_total 2\n"), std::string::npos);
}

TEST_F(RouterTest, EvalAcceptsJsonWithCharsetAndAQueryString) {
  const HttpResponse response = Call("POST", "/eval?verbose=1", R"({"x": [1, 2]})", "application/json; charset=utf-8");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Json(response)["y"], nlohmann::json::parse("[2,4]"));
}

TEST_F(RouterTest, EvalReadsJsonSentAsAFormLikeCurlDoes) {
  const HttpResponse response = Call("POST", "/eval", R"( {"x": [1, 2]})", "application/x-www-form-urlencoded");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Call("POST", "/eval", "x=1&y=2", "application/x-www-form-urlencoded").status, 415);
}

TEST_F(RouterTest, EvalAnswersHtmlWhenAsked) {
  const HttpResponse response = Call("POST", "/eval", R"({"x": [1, 2]})", "", "text/html");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("<table"), std::string::npos);
}

TEST_F(RouterTest, EvalErrors) {
  HttpResponse bad = Call("POST", "/eval", R"({"z": 1})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad)["status"], 400);
  EXPECT_FALSE(Json(bad)["message"].get<std::string>().empty());

  HttpResponse png = Call("POST", "/eval", "\x89PNG", "image/png");
  EXPECT_EQ(png.status, 415);
  EXPECT_NE(Json(png)["message"].get<std::string>().find("application/json"), std::string::npos);
  EXPECT_EQ(Call("POST", "/eval", "--x", "multipart/form-data; boundary=x").status, 415);
  EXPECT_EQ(Call("POST", "/eval", "<x/>", "application/xml").status, 415);

  HttpResponse not_acceptable = Call("POST", "/eval", R"({"x": [1, 2]})", "", "image/png");
  EXPECT_EQ(not_acceptable.status, 406);
  EXPECT_EQ(Json(not_acceptable)["status"], 406);
}

TEST_F(RouterTest, EvalPastItsDeadlineIs504) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/eval";
  request.body = R"({"x": [1, 2]})";
  request.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  EXPECT_EQ(router_.Handle(request).status, 504);
}

TEST_F(RouterTest, DescribeAndIndex) {
  const HttpResponse describe = Call("GET", "/describe");
  ASSERT_EQ(describe.status, 200);
  EXPECT_EQ(Json(describe)["inputs"][0]["name"], "x");
  EXPECT_EQ(Json(describe)["outputs"][0]["name"], "y");
  const HttpResponse index = Call("GET", "/");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(Json(index)["model"], "doubling test model");
}

TEST_F(RouterTest, HealthFollowsReadiness) {
  EXPECT_EQ(Json(Call("GET", "/health/live"))["status"], "live");
  EXPECT_EQ(Call("GET", "/health/ready").status, 200);
  router_.SetReady(false);
  const HttpResponse ready = Call("GET", "/health/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(Json(ready)["status"], "not ready");
  EXPECT_EQ(Call("GET", "/health/live").status, 200);
}

TEST_F(RouterTest, MetricsAndOpenApi) {
  const HttpResponse metrics = Call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(metrics.body.find("mlserving_model_info{format=\"onnx\""), std::string::npos);
  const HttpResponse openapi = Call("GET", "/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  EXPECT_TRUE(Json(openapi)["components"]["schemas"]["EvalRequest"]["properties"].contains("x"));
}

TEST_F(RouterTest, UnknownPathIs404AndWrongMethodIs405) {
  const HttpResponse missing = Call("GET", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(Json(missing)["message"].get<std::string>().find("POST /eval"), std::string::npos);

  const HttpResponse wrong = Call("GET", "/eval");
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0], std::make_pair(std::string("Allow"), std::string("POST")));
  EXPECT_EQ(Call("DELETE", "/describe").headers[0].second, "GET");
}

TEST_F(RouterTest, RouteLabelsAreBounded) {
  EXPECT_EQ(router_.RouteLabel("/eval"), "/eval");
  EXPECT_EQ(router_.RouteLabel("/eval/extra"), Router::kOtherRoute);
  EXPECT_EQ(router_.RouteLabel("/random-123"), Router::kOtherRoute);
  EXPECT_TRUE(router_.NeedsWorker("POST", "/eval"));
  EXPECT_FALSE(router_.NeedsWorker("GET", "/eval"));
  EXPECT_FALSE(router_.NeedsWorker("GET", "/metrics"));
}

}  // namespace
}  // namespace mlserving::server

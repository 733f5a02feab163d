#include "server/openapi.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mlserving::server {
namespace {

TensorSpec Spec(std::string name, DType dtype, Shape shape, std::vector<std::string> columns = {}) {
  TensorSpec spec;
  spec.name = std::move(name);
  spec.dtype = dtype;
  spec.shape = std::move(shape);
  spec.columns = std::move(columns);
  return spec;
}

Signature TitanicLike() {
  Signature signature;
  signature.inputs.push_back(Spec("fare", DType::kFloat32, {-1, 1}, {}));
  signature.inputs.push_back(Spec("sex", DType::kString, {-1, 1}, {}));
  signature.inputs.push_back(Spec("flag", DType::kBool, {}, {}));
  signature.outputs.push_back(Spec("label", DType::kInt64, {-1}, {}));
  return signature;
}

TEST(OpenApiTest, DocumentsEveryRoute) {
  const nlohmann::json doc = BuildOpenApi(TitanicLike(), "a model");
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const char* path : {"/eval", "/describe", "/health/live", "/health/ready", "/metrics", "/openapi.json"}) {
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  }
  EXPECT_TRUE(doc["paths"]["/eval"].contains("post"));
  EXPECT_TRUE(doc["paths"]["/describe"].contains("get"));
}

TEST(OpenApiTest, RequestSchemaHasOnePropertyPerInput) {
  const nlohmann::json doc = BuildOpenApi(TitanicLike(), "a model");
  const nlohmann::json& request = doc["components"]["schemas"]["EvalRequest"];
  EXPECT_EQ(request["type"], "object");
  EXPECT_EQ(request["required"], nlohmann::json({"fare", "sex", "flag"}));

  const nlohmann::json& fare = request["properties"]["fare"];
  ASSERT_TRUE(fare.contains("oneOf"));
  const nlohmann::json& nested = fare["oneOf"][0];
  EXPECT_EQ(nested["type"], "array");
  EXPECT_EQ(nested["items"]["type"], "array");
  EXPECT_EQ(nested["items"]["maxItems"], 1);
  EXPECT_EQ(nested["items"]["items"]["type"], "number");
  EXPECT_EQ(fare["oneOf"].back()["type"], "number");  // the single-instance scalar

  EXPECT_EQ(request["properties"]["sex"]["oneOf"].back()["type"], "string");
  EXPECT_EQ(request["properties"]["flag"]["type"], "boolean");
}

TEST(OpenApiTest, ResponseAndErrorSchemas) {
  const nlohmann::json doc = BuildOpenApi(TitanicLike(), "a model");
  const nlohmann::json& schemas = doc["components"]["schemas"];
  const nlohmann::json& label = schemas["EvalResponse"]["properties"]["label"];
  ASSERT_TRUE(label.contains("anyOf"));
  EXPECT_EQ(label["anyOf"][0]["type"], "array");
  EXPECT_EQ(label["anyOf"][0]["items"]["type"], "integer");
  EXPECT_EQ(label["anyOf"][1]["type"], "integer");
  EXPECT_EQ(schemas["Error"]["required"], nlohmann::json({"status", "message"}));
  EXPECT_EQ(doc["paths"]["/eval"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error");
}

TEST(OpenApiTest, ColumnsGiveAnAlternativeRequestForm) {
  Signature signature;
  signature.inputs.push_back(Spec("features", DType::kFloat64, {-1, 2}, {"age", "fare"}));
  signature.outputs.push_back(Spec("y", DType::kFloat64, {-1}, {}));
  const nlohmann::json request = BuildOpenApi(signature, "m")["components"]["schemas"]["EvalRequest"];
  ASSERT_TRUE(request.contains("oneOf"));
  EXPECT_TRUE(request["oneOf"][0]["properties"].contains("features"));
  EXPECT_EQ(request["oneOf"][1]["required"], nlohmann::json({"age", "fare"}));
}

}  // namespace
}  // namespace mlserving::server

#include "server/codecs/json_tensor_codec.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlserving::codecs {
namespace {

Signature TitanicLike() {
  Signature s;
  s.inputs.push_back({"fare", DType::kFloat32, {-1, 1}, true, {}, false, {}});
  s.inputs.push_back({"sex", DType::kString, {-1, 1}, true, {}, false, {}});
  s.outputs.push_back({"label", DType::kInt64, {-1}, true, {}, false, {}});
  s.outputs.push_back({"probability", DType::kFloat32, {-1, 2}, true, {}, false, {}});
  return s;
}

TEST(JsonDecodeTest, BatchForm) {
  auto r = DecodeJsonRequest(R"({"fare":[[7],[9.5]],"sex":[["male"],["female"]]})", TitanicLike(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Tensor& fare = r->at("fare");
  EXPECT_EQ(fare.shape(), (Shape{2, 1}));
  EXPECT_EQ(fare.data<float>()[1], 9.5f);
  EXPECT_EQ(r->at("sex").data<std::string>()[1], "female");
}

TEST(JsonDecodeTest, SingleInstanceFormIsABatchOfOne) {
  auto r = DecodeJsonRequest(R"({"fare":7,"sex":"male"})", TitanicLike(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("fare").shape(), (Shape{1, 1}));
  EXPECT_EQ(r->at("sex").shape(), (Shape{1, 1}));
}

TEST(JsonDecodeTest, PerColumnFormIsOneRowPerElement) {
  auto r = DecodeJsonRequest(R"({"fare":[7,9,11],"sex":["a","b","c"]})", TitanicLike(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("fare").shape(), (Shape{3, 1}));
}

TEST(JsonDecodeTest, OneInstanceOfAWideInputIsABatchOfOne) {
  Signature s;
  s.inputs.push_back({"float_input", DType::kFloat32, {-1, 4}, true, {}, false, {}});
  auto r = DecodeJsonRequest(R"({"float_input":[6.5,3,5.5,1.8]})", s, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("float_input").shape(), (Shape{1, 4}));
}

TEST(JsonDecodeTest, NamedColumnsMayBeGivenOneKeyEach) {
  Signature s;
  s.inputs.push_back({"x", DType::kFloat64, {-1, 3}, true, {"a", "b", "c"}, false, {}});
  auto r = DecodeJsonRequest(R"({"a":[1,4],"b":[2,5],"c":[3,6]})", s, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Tensor& x = r->at("x");
  EXPECT_EQ(x.shape(), (Shape{2, 3}));
  EXPECT_EQ(x.data<double>()[3], 4.0);
  EXPECT_EQ(x.data<double>()[5], 6.0);
  auto missing = DecodeJsonRequest(R"({"a":1,"b":2})", s, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'c'"), std::string::npos);
}

TEST(JsonDecodeTest, NullIsAMissingFloat) {
  auto r = DecodeJsonRequest(R"({"fare":null,"sex":"x"})", TitanicLike(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(std::isnan(r->at("fare").data<float>()[0]));
}

TEST(JsonDecodeTest, NullableInputsCarryMissingValuesInBand) {
  Signature s;
  s.inputs.push_back({"name", DType::kString, {-1}, true, {}, true, {}});
  s.inputs.push_back({"count", DType::kInt64, {-1}, true, {}, true, {}});
  auto r = DecodeJsonRequest(R"({"name":["a",null],"count":[null,3]})", s, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("name").data<std::string>()[1], "");
  EXPECT_EQ(r->at("count").data<int64_t>()[0], kMissingInt64);
  EXPECT_EQ(r->at("count").data<int64_t>()[1], 3);
  s.inputs[0].nullable = false;
  EXPECT_FALSE(DecodeJsonRequest(R"({"name":[null],"count":[1]})", s, {}).ok());
}

struct ErrorCase {
  const char* body;
  StatusCode code;
  const char* fragment;
};

class JsonDecodeErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(JsonDecodeErrorTest, GivesAClearError) {
  JsonLimits limits;
  limits.max_depth = 4;
  limits.max_elements = 10;
  auto r = DecodeJsonRequest(GetParam().body, TitanicLike(), limits);
  ASSERT_FALSE(r.ok()) << GetParam().body;
  EXPECT_EQ(r.status().code(), GetParam().code) << r.status().message();
  EXPECT_NE(r.status().message().find(GetParam().fragment), std::string::npos) << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Errors, JsonDecodeErrorTest,
    testing::Values(
        ErrorCase{R"({"fare":)", StatusCode::kInvalidArgument, "not valid JSON"},
        ErrorCase{R"([1,2])", StatusCode::kInvalidArgument, "must be a JSON object"},
        ErrorCase{R"({"fare":1})", StatusCode::kInvalidArgument, "missing input 'sex'"},
        ErrorCase{R"({"fare":1,"sex":"m","age":3})", StatusCode::kInvalidArgument, "unknown input 'age'"},
        ErrorCase{R"({"fare":"seven","sex":"m"})", StatusCode::kInvalidArgument, "'fare' expects float"},
        ErrorCase{R"({"fare":7,"sex":1})", StatusCode::kInvalidArgument, "'sex' expects string"},
        ErrorCase{R"({"fare":[[1],[2,3]],"sex":[["a"],["b"]]})", StatusCode::kInvalidArgument, "ragged"},
        ErrorCase{R"({"fare":[[1],5],"sex":[["a"],["b"]]})", StatusCode::kInvalidArgument, "ragged"},
        ErrorCase{R"({"fare":[[1,2]],"sex":[["a"]]})", StatusCode::kInvalidArgument, "declared shape [-1,1]"},
        ErrorCase{R"({"fare":[1,2],"sex":"m"})", StatusCode::kInvalidArgument, "different numbers of rows"},
        ErrorCase{R"({"fare":{"a":1},"sex":"m"})", StatusCode::kInvalidArgument, "not an object"},
        ErrorCase{R"({"fare":[[[[[[1]]]]]],"sex":"m"})", StatusCode::kInvalidArgument, "nested deeper"},
        ErrorCase{R"({"fare":[1,2,3,4,5,6,7,8,9,10,11],"sex":"m"})", StatusCode::kResourceExhausted, "more than 10"}));

TEST(JsonDecodeTest, IntegerInputsRejectFractionsAndOverflow) {
  Signature s;
  s.inputs.push_back({"n", DType::kInt32, {-1}, true, {}, false, {}});
  EXPECT_TRUE(DecodeJsonRequest(R"({"n":[1,2.0]})", s, {}).ok());
  EXPECT_FALSE(DecodeJsonRequest(R"({"n":[1.5]})", s, {}).ok());
  EXPECT_FALSE(DecodeJsonRequest(R"({"n":[4294967296]})", s, {}).ok());
  EXPECT_FALSE(DecodeJsonRequest(R"({"n":[18446744073709551615]})", s, {}).ok());
}

TEST(JsonEncodeTest, DropsSizeOneDimsAndKeepsSignatureOrder) {
  TensorMap outputs;
  outputs["probability"] = Tensor::FromVector<float>({1, 2}, {0.25f, 0.75f});
  outputs["label"] = Tensor::FromVector<int64_t>({1}, {1});
  EXPECT_EQ(EncodeJsonResponse(outputs, TitanicLike()), R"({"label":1,"probability":[0.25,0.75]})");
  outputs["probability"] = Tensor::FromVector<float>({2, 2}, {0.1f, 0.9f, 0.3f, 0.7f});
  outputs["label"] = Tensor::FromVector<int64_t>({2}, {1, 1});
  EXPECT_EQ(EncodeJsonResponse(outputs, TitanicLike()), R"({"label":[1,1],"probability":[[0.1,0.9],[0.3,0.7]]})");
}

TEST(JsonEncodeTest, EscapesStringsAndNullsNonFinite) {
  Signature s;
  s.outputs.push_back({"s", DType::kString, {-1}, true, {}, false, {}});
  s.outputs.push_back({"f", DType::kFloat64, {-1}, true, {}, false, {}});
  TensorMap outputs;
  outputs["s"] = Tensor::FromVector<std::string>({2}, {"a\"b", "line\n\x01"});
  outputs["f"] = Tensor::FromVector<double>({2}, {NAN, 1.5});
  EXPECT_EQ(EncodeJsonResponse(outputs, s), R"({"s":["a\"b","line\n\u0001"],"f":[null,1.5]})");
}

TEST(JsonEncodeTest, HtmlEscapesValues) {
  Signature s;
  s.outputs.push_back({"label", DType::kString, {-1}, true, {}, false, {}});
  TensorMap outputs;
  outputs["label"] = Tensor::FromVector<std::string>({1}, {"<script>"});
  std::string html = EncodeHtmlResponse(outputs, s);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
}

TEST(DescribeTest, UsesApiTypeNames) {
  EXPECT_EQ(
      EncodeDescribe(TitanicLike()),
      R"({"inputs":[{"name":"fare","type":"float","shape":[-1,1]},{"name":"sex","type":"string","shape":[-1,1]}],)"
      R"("outputs":[{"name":"label","type":"long","shape":[-1]},{"name":"probability","type":"float","shape":[-1,2]}]})");
}

Signature MapInput() {
  Signature s;
  TensorSpec spec{"m", DType::kFloat32, {-1, 3}, true, {"a", "b", "c"}, true, {}};
  spec.map = true;
  s.inputs.push_back(spec);
  s.outputs.push_back({"y", DType::kFloat32, {-1}, true, {}, false, {}});
  return s;
}

TEST(JsonDecodeTest, MapInputTakesObjectsWithAbsentAndUnknownKeys) {
  auto one = DecodeJsonRequest(R"({"m":{"c":3,"a":1.5,"zzz":9}})", MapInput(), {});
  ASSERT_TRUE(one.ok()) << one.status().message();
  const Tensor& row = one->at("m");
  ASSERT_EQ(row.shape(), (Shape{1, 3}));
  EXPECT_EQ(row.data<float>()[0], 1.5f);
  EXPECT_TRUE(std::isnan(row.data<float>()[1]));  // absent: missing
  EXPECT_EQ(row.data<float>()[2], 3.0f);

  auto batch = DecodeJsonRequest(R"({"m":[{"b":2},{},{"a":null}]})", MapInput(), {});
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->at("m").shape(), (Shape{3, 3}));
  EXPECT_EQ(batch->at("m").data<float>()[1], 2.0f);

  auto body = DecodeJsonRequest(R"({"b":2})", MapInput(), {});  // the sole input's map as the body
  ASSERT_TRUE(body.ok()) << body.status().message();
  EXPECT_EQ(body->at("m").data<float>()[1], 2.0f);
}

TEST(JsonDecodeTest, MapInputErrorsNameTheInput) {
  for (const char* bad : {R"({"m":[1,2]})", R"({"m":"x"})", R"({"m":{"a":"text"}})"}) {
    auto r = DecodeJsonRequest(bad, MapInput(), {});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("'m'"), std::string::npos) << r.status().message();
  }
  JsonLimits limits;
  limits.max_elements = 5;  // two rows of three columns is six
  auto big = DecodeJsonRequest(R"({"m":[{"a":1},{"a":2}]})", MapInput(), limits);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace mlserving::codecs

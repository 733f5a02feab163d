#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/reference/ml_test_util.h"

namespace mlserving::kernels::reference {
namespace {

using namespace ml_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(MlOneHotEncoderTest, StringsAppendACategoryAxis) {
  NodeBuilder builder("OneHotEncoder", 1);
  builder.Strings("cats_strings", {"a", "b", "c"});
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<std::string>({2, 2}, {"a", "z", "c", "b"})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 2, 3}, {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0});
}

TEST(MlOneHotEncoderTest, NumbersAreTruncatedToIntegerCategories) {
  NodeBuilder builder("OneHotEncoder", 1);
  builder.Ints("cats_int64s", {1, 2, 3});
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<float>({4}, {1.7f, 3.0f, 2.2f, kNaN})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {4, 3}, {1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0});
  out = ml_test::Run(builder.node(), {Tensor::FromVector<int32_t>({1}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {1, 3}, {0, 1, 0});
}

// Regression: the original ML Serving runtime's pipeline_titanic.onnx (skl2onnx 1.5) one-hot
// encodes the string column pclass against cats_int64s; onnxruntime gives all zeros.
TEST(MlOneHotEncoderTest, StringsAgainstIntegerCategoriesMatchNothing) {
  NodeBuilder builder("OneHotEncoder", 1);
  builder.Ints("cats_int64s", {1, 2, 3});
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<std::string>({2, 1}, {"1", "3"})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 1, 3}, {0, 0, 0, 0, 0, 0});
}

TEST(MlOneHotEncoderTest, UnknownCategoryWithZerosOffIsAnError) {
  NodeBuilder builder("OneHotEncoder", 1);
  builder.Strings("cats_strings", {"a", "b", "c"}).Int("zeros", 0);
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<std::string>({1, 2}, {"a", "z"})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = ml_test::Run(builder.node(), {Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(NodeBuilder("OneHotEncoder", 1), "no categories");
}

TEST(MlLabelEncoderTest, Opset1ClassesStrings) {
  NodeBuilder to_int("LabelEncoder", 1);
  to_int.Strings("classes_strings", {"x", "y"}).Int("default_int64", -7);
  auto out = ml_test::Run(to_int.node(), {Tensor::FromVector<std::string>({2}, {"y", "q"})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {2}, {1, -7});
  NodeBuilder to_string("LabelEncoder", 1);
  to_string.Strings("classes_strings", {"x", "y"}).String("default_string", "none");
  out = ml_test::Run(to_string.node(), {Tensor::FromVector<int64_t>({3}, {1, 5, -1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {3}, {"y", "none", "none"});
}

TEST(MlLabelEncoderTest, Opset2KeysAndValues) {
  NodeBuilder floats_to_strings("LabelEncoder", 2);
  floats_to_strings.Floats("keys_floats", {1.5f, kNaN, 0.0f}).Strings("values_strings", {"a", "n", "zero"});
  auto out = ml_test::Run(floats_to_strings.node(), {Tensor::FromVector<float>({2, 2}, {1.5f, kNaN, 2, -0.0f})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {2, 2}, {"a", "n", "_Unused", "zero"});

  NodeBuilder strings_to_floats("LabelEncoder", 2);
  strings_to_floats.Strings("keys_strings", {"a"}).Floats("values_floats", {2.5f});
  out = ml_test::Run(strings_to_floats.node(), {Tensor::FromVector<std::string>({2}, {"a", "b"})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].dtype(), DType::kFloat32);
  EXPECT_EQ((*out)[0].data<float>()[0], 2.5f);
  EXPECT_EQ((*out)[0].data<float>()[1], 0.0f);
  EXPECT_TRUE(std::signbit((*out)[0].data<float>()[1]));  // default_float is -0.0

  NodeBuilder ints_to_ints("LabelEncoder", 2);
  ints_to_ints.Ints("keys_int64s", {3, 4}).Ints("values_int64s", {30, 40}).Int("default_int64", 0);
  out = ml_test::Run(ints_to_ints.node(), {Tensor::FromVector<int64_t>({3}, {4, 3, 5})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {3}, {40, 30, 0});
}

TEST(MlLabelEncoderTest, Opset4Tensors) {
  NodeBuilder builder("LabelEncoder", 4);
  builder.TensorAttr("keys_tensor", Tensor::FromVector<int64_t>({2}, {1, 2}))
      .TensorAttr("values_tensor", Tensor::FromVector<double>({2}, {0.5, 0.25}))
      .TensorAttr("default_tensor", Tensor::FromVector<double>({1}, {-1}));
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<int64_t>({3}, {2, 9, 1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<double>((*out)[0], {3}, {0.25, -1, 0.5});
}

TEST(MlLabelEncoderTest, Errors) {
  NodeBuilder builder("LabelEncoder", 2);
  builder.Strings("keys_strings", {"a", "b"}).Ints("values_int64s", {1});
  ExpectInvalid(builder, "keys vs values length");
  ExpectInvalid(NodeBuilder("LabelEncoder", 2).Strings("keys_strings", {"a"}), "no values");
  auto out =
      ml_test::Run(NodeBuilder("LabelEncoder", 2).Strings("keys_strings", {"a"}).Ints("values_int64s", {1}).node(),
                   {Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST(MlCategoryMapperTest, BothDirections) {
  NodeBuilder builder("CategoryMapper", 1);
  builder.Strings("cats_strings", {"a", "b"}).Ints("cats_int64s", {10, 20}).Int("default_int64", -3);
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<std::string>({1, 2}, {"b", "z"})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {1, 2}, {20, -3});
  out = ml_test::Run(builder.node(), {Tensor::FromVector<int64_t>({2}, {20, 5})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {2}, {"b", "_Unused"});
  out = ml_test::Run(builder.node(), {Tensor::FromVector<float>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(NodeBuilder("CategoryMapper", 1).Strings("cats_strings", {"a"}), "no cats_int64s");
}

}  // namespace
}  // namespace mlserving::kernels::reference

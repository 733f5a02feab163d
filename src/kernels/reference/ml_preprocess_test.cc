// Expected numbers come from onnxruntime 1.32 where it accepts the model.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/reference/ml_test_util.h"

namespace mlserving::kernels::reference {
namespace {

using namespace ml_test;  // NOLINT(build/namespaces): test harness vocabulary

Tensor Rows() { return Tensor::FromVector<float>({3, 3}, {1, -2, 0, 0, 0, 0, kNaN, 3, -4}); }

TEST(MlScalerTest, PerFeatureAndBroadcastValues) {
  NodeBuilder builder("Scaler", 1);
  builder.Floats("offset", {1, 2, 3}).Floats("scale", {2});
  auto out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {3, 3}, {0, -8, -6, -2, -4, -6, kNaN, 2, -14});

  NodeBuilder ints("Scaler", 1);
  ints.Floats("offset", {1}).Floats("scale", {0.5f, 2});
  out = ml_test::Run(ints.node(), {Tensor::FromVector<int64_t>({1, 2}, {3, 4})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {1, 2}, {1, 6});
}

TEST(MlScalerTest, RejectsAttributeLengthNotMatchingFeatures) {
  NodeBuilder builder("Scaler", 1);
  builder.Floats("offset", {1, 2}).Floats("scale", {2});
  auto out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out =
      ml_test::Run(NodeBuilder("Scaler", 1).Floats("scale", {2}).node(), {Tensor::FromVector<std::string>({1}, {"x"})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST(MlImputerTest, ReplacesNaNOrAValue) {
  NodeBuilder nan("Imputer", 1);
  nan.Floats("imputed_value_floats", {9, 8, 7}).Float("replaced_value_float", kNaN);
  auto out = ml_test::Run(nan.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {3, 3}, {1, -2, 0, 0, 0, 0, 9, 3, -4});

  NodeBuilder zero("Imputer", 1);
  zero.Floats("imputed_value_floats", {9}).Float("replaced_value_float", 0);
  out = ml_test::Run(zero.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {3, 3}, {1, -2, 9, 9, 9, 9, kNaN, 3, -4});

  NodeBuilder ints("Imputer", 1);
  ints.Ints("imputed_value_int64s", {5, 6}).Int("replaced_value_int64", -1);
  out = ml_test::Run(ints.node(), {Tensor::FromVector<int64_t>({2, 2}, {-1, 2, 3, -1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {2, 2}, {5, 2, 3, 6});
}

TEST(MlImputerTest, Errors) {
  NodeBuilder wrong_length("Imputer", 1);
  wrong_length.Floats("imputed_value_floats", {9, 8}).Float("replaced_value_float", 0);
  auto out = ml_test::Run(wrong_length.node(), {Rows()});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = ml_test::Run(wrong_length.node(), {Tensor::FromVector<int64_t>({1, 2}, {1, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(NodeBuilder("Imputer", 1), "no imputed values");
}

TEST(MlNormalizerTest, Norms) {
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"MAX", {1, -2, 0, 0, 0, 0, kNaN, 1, -1.33333337f}},
      {"L1", {0.33333334f, -0.66666669f, 0, 0, 0, 0, kNaN, kNaN, kNaN}},
      {"L2", {0.44721359f, -0.89442718f, 0, 0, 0, 0, kNaN, kNaN, kNaN}},
  };
  for (const auto& [norm, expected] : cases) {
    SCOPED_TRACE(norm);
    auto out = ml_test::Run(NodeBuilder("Normalizer", 1).String("norm", norm).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {3, 3}, expected);
  }
  auto out = ml_test::Run(NodeBuilder("Normalizer", 1).String("norm", "L1").node(),
                          {Tensor::FromVector<int64_t>({1, 2}, {1, -3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {1, 2}, {0.25f, -0.75f});
  out =
      ml_test::Run(NodeBuilder("Normalizer", 1).String("norm", "L2").node(), {Tensor::FromVector<float>({2}, {3, 4})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2}, {0.6f, 0.8f});
  ExpectInvalid(NodeBuilder("Normalizer", 1).String("norm", "L3"), "norm");
}

TEST(MlBinarizerTest, ThresholdsAndRejectsNaN) {
  auto out = ml_test::Run(NodeBuilder("Binarizer", 1).Float("threshold", 0.5f).node(),
                          {Tensor::FromVector<float>({2, 2}, {0.5f, 0.6f, -1, 3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 2}, {0, 1, 0, 1});
  out = ml_test::Run(NodeBuilder("Binarizer", 1).Float("threshold", 1).node(),
                     {Tensor::FromVector<int64_t>({3}, {0, 1, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {3}, {0, 0, 1});
  out = ml_test::Run(NodeBuilder("Binarizer", 1).node(), {Rows()});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels::reference

// Expected numbers come from onnxruntime 1.32 running the same single-node models.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "kernels/reference/ml_test_util.h"

namespace mlserving::kernels::reference {
namespace {

using namespace ml_test;  // NOLINT(build/namespaces): test harness vocabulary

Tensor Rows() { return Tensor::FromVector<float>({3, 2}, {1, 2, -3, 0.5f, 0.2f, -0.1f}); }

NodeBuilder Binary(const std::string& post_transform) {
  NodeBuilder builder("LinearClassifier", 1, 1, 2);
  builder.Floats("coefficients", {0.5f, -0.25f})
      .Floats("intercepts", {0.1f})
      .Ints("classlabels_ints", {3, 7})
      .String("post_transform", post_transform);
  return builder;
}

NodeBuilder ThreeClasses(const std::string& post_transform) {
  NodeBuilder builder("LinearClassifier", 1, 1, 2);
  builder.Floats("coefficients", {0.5f, -0.25f, 1.0f, 0.3f, -0.2f, 0})
      .Floats("intercepts", {0.1f, -0.2f, 0.05f})
      .Strings("classlabels_strings", {"a", "b", "c"})
      .String("post_transform", post_transform);
  return builder;
}

TEST(MlLinearClassifierTest, BinaryOneCoefficientSetAddsTheComplementClass) {
  for (const char* transform : {"NONE", "SOFTMAX", "SOFTMAX_ZERO"}) {
    SCOPED_TRACE(transform);
    auto out = ml_test::Run(Binary(transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectValues<int64_t>((*out)[0], {3}, {7, 3, 7});
    ExpectFloats((*out)[1], {3, 2}, {0.9f, 0.1f, 2.525f, -1.525f, 0.775f, 0.225f});
  }
  auto out = ml_test::Run(Binary("LOGISTIC").node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {3}, {7, 3, 7});
  ExpectFloats((*out)[1], {3, 2}, {0.47502083f, 0.52497917f, 0.82127357f, 0.17872643f, 0.44398612f, 0.55601388f});
}

TEST(MlLinearClassifierTest, MulticlassPostTransforms) {
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"NONE", {0.1f, 1.4f, -0.15f, -1.525f, -3.05f, 0.65f, 0.225f, -0.03f, 0.01f}},
      {"SOFTMAX",
       {0.18355033f, 0.6735006f, 0.14294913f, 0.09980234f, 0.02171909f, 0.87847859f, 0.38737798f, 0.30018559f,
        0.3124364f}},
      {"LOGISTIC",
       {0.52497917f, 0.80218387f, 0.46257016f, 0.17872643f, 0.04521745f, 0.65701044f, 0.55601388f, 0.49250057f,
        0.5025f}},
      {"PROBIT", {-1.28171289f, kNaN, kNaN, kNaN, kNaN, 0.38534024f, -0.75552362f, kNaN, -2.32409024f}},
  };
  for (const auto& [transform, expected] : cases) {
    SCOPED_TRACE(transform);
    auto out = ml_test::Run(ThreeClasses(transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectValues<std::string>((*out)[0], {3}, {"b", "c", "a"});
    ExpectFloats((*out)[1], {3, 3}, expected, 1e-5f);
  }
}

TEST(MlLinearClassifierTest, TwoCoefficientSetsAreMulticlass) {
  NodeBuilder builder("LinearClassifier", 1, 1, 2);
  builder.Floats("coefficients", {0.5f, -0.25f, 0.1f, 0.2f})
      .Floats("intercepts", {0.1f, 0})
      .Strings("classlabels_strings", {"no", "yes"})
      .String("post_transform", "LOGISTIC");
  auto out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {3}, {"yes", "yes", "no"});
  ExpectFloats((*out)[1], {3, 2}, {0.52497917f, 0.62245929f, 0.17872643f, 0.45016599f, 0.55601388f, 0.5f});
}

TEST(MlLinearClassifierTest, AcceptsIntegerAndOneDimensionalInputs) {
  NodeBuilder builder("LinearClassifier", 1, 1, 2);
  builder.Floats("coefficients", {0.5f, -0.25f, 0.1f, 0.2f})
      .Floats("intercepts", {0, 1})
      .Ints("classlabels_ints", {0, 1});
  auto ints = ml_test::Run(builder.node(), {Tensor::FromVector<int64_t>({1, 2}, {1, 2})});
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  ExpectValues<int64_t>((*ints)[0], {1}, {1});
  ExpectFloats((*ints)[1], {1, 2}, {0, 1.5f});
  auto row = ml_test::Run(builder.node(), {Tensor::FromVector<double>({2}, {1, 2})});
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  ExpectFloats((*row)[1], {1, 2}, {0, 1.5f});
}

TEST(MlLinearClassifierTest, Errors) {
  auto out = ml_test::Run(ThreeClasses("NONE").node(), {Tensor::FromVector<float>({1, 3}, {1, 2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(Binary("NONE").Ints("classlabels_ints", {5}), "one coefficient set needs two labels");
  ExpectInvalid(Binary("NONE").Remove("intercepts"), "no intercepts");
  ExpectInvalid(ThreeClasses("NONE").Floats("coefficients", {1, 2, 3, 4}), "coefficients not a multiple");
  ExpectInvalid(ThreeClasses("NONE").Strings("classlabels_strings", {"a", "b"}), "label count");
  ExpectInvalid(ThreeClasses("NOPE"), "post_transform");
  auto probit = ml_test::Prepare(Binary("PROBIT").node());
  ASSERT_FALSE(probit.ok());
  EXPECT_EQ(probit.status().code(), StatusCode::kUnimplemented);
}

NodeBuilder Regressor(int64_t targets, const std::string& post_transform) {
  NodeBuilder builder("LinearRegressor", 1);
  if (targets == 2) {
    builder.Floats("coefficients", {0.5f, -0.25f, 0.1f, 0.2f}).Floats("intercepts", {0.1f, -0.3f});
  } else {
    builder.Floats("coefficients", {0.5f, -0.25f}).Floats("intercepts", {0.1f});
  }
  builder.Int("targets", targets).String("post_transform", post_transform);
  return builder;
}

TEST(MlLinearRegressorTest, PostTransforms) {
  const std::vector<std::pair<std::string, std::vector<float>>> two_targets = {
      {"NONE", {0.1f, 0.2f, -1.525f, -0.5f, 0.225f, -0.3f}},
      {"LOGISTIC", {0.52497917f, 0.54983401f, 0.17872643f, 0.37754071f, 0.55601388f, 0.42555749f}},
      {"SOFTMAX", {0.47502083f, 0.52497917f, 0.26405463f, 0.7359454f, 0.62831616f, 0.37168381f}},
      {"PROBIT", {-1.28171289f, -0.84175611f, kNaN, kNaN, -0.75552362f, kNaN}},
  };
  for (const auto& [transform, expected] : two_targets) {
    SCOPED_TRACE(transform);
    auto out = ml_test::Run(Regressor(2, transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {3, 2}, expected, 1e-5f);
  }
  // One target: onnxruntime applies PROBIT only.
  for (const char* transform : {"NONE", "LOGISTIC", "SOFTMAX"}) {
    auto out = ml_test::Run(Regressor(1, transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {3, 1}, {0.1f, -1.525f, 0.225f});
  }
  auto out = ml_test::Run(Regressor(1, "PROBIT").node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {3, 1}, {-1.28171289f, kNaN, -0.75552362f}, 1e-5f);
}

TEST(MlLinearRegressorTest, Errors) {
  auto out = ml_test::Run(Regressor(2, "NONE").node(), {Tensor::FromVector<float>({1, 3}, {1, 2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(Regressor(2, "NONE").Floats("intercepts", {1, 2, 3}), "intercepts length");
  ExpectInvalid(Regressor(2, "NONE").Int("targets", 3), "targets vs coefficients");
}

}  // namespace
}  // namespace mlserving::kernels::reference

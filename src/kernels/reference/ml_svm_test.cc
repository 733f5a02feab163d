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

const std::vector<float> kSupportVectors = {1, 0, 0, 1, -1, -1, 0.5f, 0.5f};

/// Three classes with 1, 2 and 1 support vectors.
NodeBuilder ThreeClasses(const std::string& kernel_type, std::vector<float> kernel_params,
                         const std::string& post_transform = "NONE") {
  NodeBuilder builder("SVMClassifier", 1, 1, 2);
  builder.Strings("classlabels_strings", {"a", "b", "c"})
      .Ints("vectors_per_class", {1, 2, 1})
      .Floats("support_vectors", kSupportVectors)
      .Floats("coefficients", {0.5f, -0.3f, -0.7f, 0.2f, 0.9f, 0.4f, -0.6f, -0.8f})
      .Floats("rho", {0.1f, -0.2f, 0.05f})
      .String("kernel_type", kernel_type)
      .Floats("kernel_params", std::move(kernel_params))
      .String("post_transform", post_transform);
  return builder;
}

/// Two classes with 2 and 1 support vectors (mixed-sign coefficients).
NodeBuilder TwoClasses(const std::string& post_transform) {
  NodeBuilder builder("SVMClassifier", 1, 1, 2);
  builder.Ints("classlabels_ints", {4, 9})
      .Ints("vectors_per_class", {2, 1})
      .Floats("support_vectors", {1, 0, 0, 1, -1, -1})
      .Floats("coefficients", {0.7f, 0.4f, -1.1f})
      .Floats("rho", {-0.3f})
      .String("kernel_type", "RBF")
      .Floats("kernel_params", {0.5f, 0, 3})
      .String("post_transform", post_transform);
  return builder;
}

TEST(MlSvmClassifierTest, MulticlassScoresArePairwiseDecisionValues) {
  struct Case {
    std::string kernel;
    std::vector<float> params;
    std::string transform;
    std::vector<std::string> labels;
    std::vector<float> scores;
  };
  const std::vector<Case> cases = {
      {"RBF",
       {0.5f, 0, 3},
       "NONE",
       {"c", "a", "a"},
       {0.056251395f, -0.020897292f, -0.03295413f, 0.066451073f, -0.19929606f, 0.025809307f, 0.073428504f, 0.60997784f,
        -0.56949985f}},
      {"RBF",
       {0.5f, 0, 3},
       "SOFTMAX",
       {"c", "a", "a"},
       {0.35206187f, 0.32592204f, 0.32201606f, 0.36672941f, 0.28114685f, 0.35212368f, 0.30903816f, 0.52848482f,
        0.16247699f}},
      {"POLY",
       {0.5f, 1, 2},
       "NONE",
       {"a", "a", "a"},
       {-0.15000004f, 2.4374998f, -0.95000005f, -3.7875001f, 0.053124994f, -2.4750001f, -0.19749999f, 1.099125f,
        -0.97100002f}},
      {"POLY",
       {0.5f, 1, 2},
       "LOGISTIC",
       {"a", "a", "a"},
       {0.46257016f, 0.91964257f, 0.2788848f, 0.022150367f, 0.51327813f, 0.077629447f, 0.45078489f, 0.75009608f,
        0.27468124f}},
      {"SIGMOID",
       {0.3f, 0.1f, 0},
       "NONE",
       {"a", "c", "c"},
       {0.57348996f, 0.24205813f, 0.28975308f, -0.78924268f, -0.85128742f, -0.052057344f, 0.10943837f, -0.034317203f,
        -0.055573739f}},
      {"LINEAR",
       {0, 0, 0},
       "NONE",
       {"a", "c", "a"},
       {2.0999999f, 1, 1.45f, -3.3f, -3.1499999f, -0.25f, 0.30000001f, -0.01000001f, 0.029999997f}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kernel + " " + c.transform);
    auto out = ml_test::Run(ThreeClasses(c.kernel, c.params, c.transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectValues<std::string>((*out)[0], {3}, c.labels);
    ExpectFloats((*out)[1], {3, 3}, c.scores, 1e-5f);
  }
}

TEST(MlSvmClassifierTest, MulticlassProbabilitiesByPairwiseCoupling) {
  // The label still comes from the votes: row 1 votes for "c" though "a" is the most probable.
  auto rbf = ThreeClasses("RBF", {0.5f, 0, 3});
  rbf.Floats("prob_a", {-2, -1.5f, -3}).Floats("prob_b", {0.1f, -0.2f, 0.3f});
  auto out = ml_test::Run(rbf.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {3}, {"c", "a", "a"});
  ExpectFloats((*out)[1], {3, 3},
               {0.3559705f, 0.29039621f, 0.35363325f, 0.32471326f, 0.30568847f, 0.36959833f, 0.51280302f, 0.2005102f,
                0.28668681f},
               1e-5f);
  auto poly = ThreeClasses("POLY", {0.5f, 1, 4});
  poly.Floats("prob_a", {-2, -1.5f, -3}).Floats("prob_b", {0.1f, -0.2f, 0.3f});
  out = ml_test::Run(poly.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {3}, {"a", "c", "a"});
  ExpectFloats((*out)[1], {3, 3},
               {0.32693458f, 0.34713849f, 0.32592696f, 0.2214644f, 0.11070127f, 0.6678344f, 0.59545475f, 0.21379097f,
                0.19075434f},
               1e-5f);
}

TEST(MlSvmClassifierTest, BinaryScoresDependOnThePostTransform) {
  // One decision value d per row (positive votes for the first class): [-d, d] under NONE,
  // [logistic(-d), logistic(d)] under LOGISTIC, [1 - d, d] under SOFTMAX and SOFTMAX_ZERO.
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"NONE", {0.059767313f, -0.059767313f, 0.34420195f, -0.34420195f, -0.062755987f, 0.062755987f}},
      {"LOGISTIC", {0.5149374f, 0.4850626f, 0.58521086f, 0.41478914f, 0.48431617f, 0.51568383f}},
      {"SOFTMAX", {1.0597674f, -0.059767313f, 1.3442019f, -0.34420195f, 0.937244f, 0.062755987f}},
      {"SOFTMAX_ZERO", {1.0597674f, -0.059767313f, 1.3442019f, -0.34420195f, 0.937244f, 0.062755987f}},
  };
  for (const auto& [transform, expected] : cases) {
    SCOPED_TRACE(transform);
    auto out = ml_test::Run(TwoClasses(transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectValues<int64_t>((*out)[0], {3}, {9, 9, 4});
    ExpectFloats((*out)[1], {3, 2}, expected, 1e-5f);
  }
  auto probit = ml_test::Prepare(TwoClasses("PROBIT").node());
  ASSERT_FALSE(probit.ok());
  EXPECT_EQ(probit.status().code(), StatusCode::kUnimplemented);
}

TEST(MlSvmClassifierTest, BinaryProbabilities) {
  auto out = ml_test::Run(TwoClasses("NONE").Floats("prob_a", {-2.5f}).Floats("prob_b", {0.2f}).node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {3}, {9, 9, 4});
  ExpectFloats((*out)[1], {3, 2}, {0.41302726f, 0.58697271f, 0.25721002f, 0.74278986f, 0.48922408f, 0.51077592f},
               1e-5f);
}

NodeBuilder LinearMode(std::vector<int64_t> labels, std::vector<float> coefficients) {
  NodeBuilder builder("SVMClassifier", 1, 1, 2);
  // kernel_type is ignored without support vectors: the scores are plain dot products.
  builder.Ints("classlabels_ints", std::move(labels))
      .Floats("coefficients", std::move(coefficients))
      .Floats("rho", {0.1f})
      .String("kernel_type", "RBF")
      .Floats("kernel_params", {0.5f, 0, 3});
  return builder;
}

TEST(MlSvmClassifierTest, LinearModeScoresEachClass) {
  auto out = ml_test::Run(LinearMode({1, 2, 3}, {0.5f, -0.25f, 1, 0.3f, -0.2f, 0}).node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {3}, {2, 3, 2});
  ExpectFloats((*out)[1], {3, 3}, {0.1f, 1.7f, -0.1f, -1.525f, -2.75f, 0.7f, 0.225f, 0.27f, 0.06f}, 1e-5f);
  out = ml_test::Run(
      LinearMode({1, 2, 3}, {0.5f, -0.25f, 1, 0.3f, -0.2f, 0}).String("post_transform", "SOFTMAX").node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[1], {3, 3},
               {0.14767203f, 0.73142439f, 0.12090363f, 0.094811536f, 0.027851615f, 0.87733686f, 0.34555185f,
                0.36145687f, 0.29299125f},
               1e-5f);
}

TEST(MlSvmClassifierTest, LinearModeBinaryLabelRule) {
  // Mixed-sign weights: the second label whenever the best score is > 0 (row 3 although the
  // first class scores higher).
  auto out = ml_test::Run(LinearMode({0, 1}, {0.5f, -0.25f, 0.1f, 0.2f}).node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {3}, {1, 1, 1});
  ExpectFloats((*out)[1], {3, 2}, {0.1f, 0.6f, -1.525f, -0.1f, 0.225f, 0.1f}, 1e-5f);
  // Non-negative weights: the second label when the best score is >= 0.5, else the best class.
  out =
      ml_test::Run(LinearMode({0, 1}, {0.5f, 0.25f, 0.1f, 0.2f}).String("post_transform", "LOGISTIC").node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {3}, {1, 1, 0});
  ExpectFloats((*out)[1], {3, 2}, {0.75026011f, 0.64565629f, 0.21840253f, 0.47502083f, 0.54363871f, 0.52497917f},
               1e-5f);
}

TEST(MlSvmClassifierTest, AcceptsIntegerAndOneDimensionalInputs) {
  auto ints = ml_test::Run(TwoClasses("NONE").node(), {Tensor::FromVector<int64_t>({1, 2}, {1, 2})});
  auto floats = ml_test::Run(TwoClasses("NONE").node(), {Tensor::FromVector<float>({2}, {1, 2})});
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  ASSERT_TRUE(floats.ok()) << floats.status().ToString();
  ExpectValues<int64_t>((*ints)[0], {1}, {9});
  ExpectFloats((*ints)[1], {1, 2}, {0.059767313f, -0.059767313f}, 1e-5f);
  ExpectFloats((*floats)[1], {1, 2}, {0.059767313f, -0.059767313f}, 1e-5f);
}

TEST(MlSvmClassifierTest, Errors) {
  auto out = ml_test::Run(TwoClasses("NONE").node(), {Tensor::FromVector<float>({1, 3}, {1, 2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = ml_test::Run(TwoClasses("NONE").node(), {Tensor::FromVector<std::string>({1, 2}, {"a", "b"})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(TwoClasses("NONE").Remove("classlabels_ints"), "no labels");
  ExpectInvalid(TwoClasses("NONE").Strings("classlabels_strings", {"x", "y"}), "both label lists");
  ExpectInvalid(TwoClasses("NONE").Ints("vectors_per_class", {2, 2}), "more vectors than given");
  ExpectInvalid(TwoClasses("NONE").Ints("vectors_per_class", {2, -1}), "negative count");
  ExpectInvalid(TwoClasses("NONE").Ints("vectors_per_class", {1, 1, 1}), "vectors_per_class vs labels");
  ExpectInvalid(TwoClasses("NONE").Floats("coefficients", {1, 2}), "coefficients length");
  ExpectInvalid(TwoClasses("NONE").Floats("support_vectors", {1, 0, 0, 1, -1}), "support_vectors length");
  ExpectInvalid(TwoClasses("NONE").Floats("rho", {1, 2}), "rho length");
  ExpectInvalid(TwoClasses("NONE").Floats("prob_a", {1}), "prob_b missing");
  ExpectInvalid(ThreeClasses("RBF", {0.5f, 0, 3}).Floats("prob_a", {1}).Floats("prob_b", {1}), "prob_a length");
  ExpectInvalid(TwoClasses("NONE").String("kernel_type", "CUBIC"), "kernel_type");
  ExpectInvalid(TwoClasses("NONE").Floats("kernel_params", {0.5f}), "kernel_params");
  ExpectInvalid(TwoClasses("NOPE"), "post_transform");
  ExpectInvalid(LinearMode({1, 2, 3}, {1, 2, 3, 4}), "linear coefficients");
  ExpectInvalid(LinearMode({1, 2}, {1, 2}).Floats("rho", {}), "linear rho");
}

NodeBuilder Regressor(const std::string& kernel_type, std::vector<float> kernel_params) {
  NodeBuilder builder("SVMRegressor", 1);
  builder.Int("n_supports", 3)
      .Floats("support_vectors", {1, 0, 0, 1, -1, -1})
      .Floats("coefficients", {0.7f, 0.4f, -1.1f})
      .Floats("rho", {-0.3f})
      .String("kernel_type", kernel_type)
      .Floats("kernel_params", std::move(kernel_params));
  return builder;
}

TEST(MlSvmRegressorTest, Kernels) {
  const std::vector<std::pair<NodeBuilder, std::vector<float>>> cases = {
      {Regressor("RBF", {0.5f, 0, 3}), {-0.059767321f, -0.34420195f, 0.062756002f}},
      {Regressor("POLY", {0.5f, 1, 3}), {5.3999996f, -12.135938f, 0.031537592f}},
      {Regressor("SIGMOID", {0.3f, 0.1f, 0}), {0.93815202f, -1.4270349f, -0.23786618f}},
  };
  for (const auto& [builder, expected] : cases) {
    auto out = ml_test::Run(builder.node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {3, 1}, expected, 1e-5f);
  }
}

TEST(MlSvmRegressorTest, OneClassGivesSigns) {
  auto out = ml_test::Run(Regressor("RBF", {0.5f, 0, 3}).Int("one_class", 1).node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {3, 1}, {-1, -1, 1});
}

TEST(MlSvmRegressorTest, LinearModeIgnoresThePostTransform) {
  for (const char* transform : {"NONE", "LOGISTIC"}) {
    NodeBuilder builder("SVMRegressor", 1);
    builder.Floats("coefficients", {0.5f, -0.25f})
        .Floats("rho", {0.1f})
        .String("kernel_type", "RBF")
        .Floats("kernel_params", {0.5f, 0, 3})
        .String("post_transform", transform);
    auto out = ml_test::Run(builder.node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {3, 1}, {0.1f, -1.525f, 0.225f}, 1e-5f);
  }
}

TEST(MlSvmRegressorTest, Errors) {
  auto out =
      ml_test::Run(Regressor("RBF", {0.5f, 0, 3}).node(), {Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(Regressor("RBF", {0.5f, 0, 3}).Int("n_supports", -1), "negative n_supports");
  ExpectInvalid(Regressor("RBF", {0.5f, 0, 3}).Int("n_supports", 4), "n_supports vs support vectors");
  ExpectInvalid(Regressor("RBF", {0.5f, 0, 3}).Floats("coefficients", {1, 2}), "coefficients length");
  ExpectInvalid(Regressor("RBF", {0.5f, 0, 3}).Floats("rho", {}), "rho");
  ExpectInvalid(Regressor("RBF", {0.5f, 0, 3}).Remove("coefficients"), "no coefficients");
  ExpectInvalid(Regressor("RBF", {0.5f, 0, 3}).Int("n_supports", 0), "support vectors without n_supports");
  ExpectInvalid(Regressor("NOPE", {0.5f, 0, 3}), "kernel_type");
}

}  // namespace
}  // namespace mlserving::kernels::reference

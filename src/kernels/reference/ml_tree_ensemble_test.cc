// Expected numbers come from onnxruntime 1.32 running the same single-node models.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/reference/ml_test_util.h"

namespace mlserving::kernels::reference {
namespace {

using namespace ml_test;  // NOLINT(build/namespaces): test harness vocabulary

// One tree: node 0 "x0 <= 0.5" -> node 1 | leaf 2; node 1 "x1 < 1" -> leaf 3 | leaf 4.
NodeBuilder OneTree(const std::string& op) {
  NodeBuilder builder(op, 3, 1, op == "TreeEnsembleClassifier" ? 2 : 1);
  builder.Ints("nodes_treeids", {0, 0, 0, 0, 0})
      .Ints("nodes_nodeids", {0, 1, 2, 3, 4})
      .Ints("nodes_featureids", {0, 1, 0, 0, 0})
      .Floats("nodes_values", {0.5f, 1.0f, 0, 0, 0})
      .Strings("nodes_modes", {"BRANCH_LEQ", "BRANCH_LT", "LEAF", "LEAF", "LEAF"})
      .Ints("nodes_truenodeids", {1, 3, 0, 0, 0})
      .Ints("nodes_falsenodeids", {2, 4, 0, 0, 0});
  return builder;
}

// Rows reach leaves 2, 3, 2 (the NaN fails "x1 < 1" only at node 1, which row 2 skips), 4.
Tensor Rows() { return Tensor::FromVector<float>({4, 2}, {1, 2, -3, 0.5f, 0.2f, kNaN, 0.5f, 5}); }

NodeBuilder SingleColumnBinary(std::vector<float> weights, const std::string& post_transform) {
  NodeBuilder builder = OneTree("TreeEnsembleClassifier");
  builder.Ints("class_treeids", {0, 0, 0})
      .Ints("class_nodeids", {2, 3, 4})
      .Ints("class_ids", {0, 0, 0})
      .Floats("class_weights", std::move(weights))
      .Ints("classlabels_int64s", {0, 1})
      .String("post_transform", post_transform);
  return builder;
}

NodeBuilder ThreeClasses(const std::string& post_transform) {
  NodeBuilder builder = OneTree("TreeEnsembleClassifier");
  builder.Ints("class_treeids", {0, 0, 0, 0})
      .Ints("class_nodeids", {2, 3, 4, 4})
      .Ints("class_ids", {0, 1, 2, 0})
      .Floats("class_weights", {0.8f, 0.3f, 0.6f, 0.1f})
      .Strings("classlabels_strings", {"a", "b", "c"})
      .String("post_transform", post_transform);
  return builder;
}

TEST(MlTreeEnsembleClassifierTest, BinarySingleColumnPositiveWeightsGivesComplement) {
  for (const char* transform : {"NONE", "SOFTMAX"}) {
    auto out = ml_test::Run(SingleColumnBinary({0.8f, 0.3f, 0.6f}, transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectValues<int64_t>((*out)[0], {4}, {1, 0, 1, 1});
    ExpectFloats((*out)[1], {4, 2}, {0.2f, 0.8f, 0.7f, 0.3f, 0.4f, 0.6f, 0.4f, 0.6f});
  }
}

TEST(MlTreeEnsembleClassifierTest, BinarySingleColumnMixedWeightsGivesNegation) {
  auto out = ml_test::Run(SingleColumnBinary({0.8f, -0.3f, 0.6f}, "NONE").node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {4}, {1, 0, 1, 1});
  ExpectFloats((*out)[1], {4, 2}, {-0.8f, 0.8f, 0.3f, -0.3f, -0.6f, 0.6f, -0.6f, 0.6f});
}

TEST(MlTreeEnsembleClassifierTest, BinarySingleColumnLogistic) {
  auto positive = ml_test::Run(SingleColumnBinary({0.8f, 0.3f, 0.6f}, "LOGISTIC").node(), {Rows()});
  ASSERT_TRUE(positive.ok()) << positive.status().ToString();
  ExpectValues<int64_t>((*positive)[0], {4}, {1, 0, 1, 1});
  ExpectFloats(
      (*positive)[1], {4, 2},
      {0.31002551f, 0.68997449f, 0.42555749f, 0.57444251f, 0.35434371f, 0.64565629f, 0.35434371f, 0.64565629f});
  auto mixed = ml_test::Run(SingleColumnBinary({0.8f, -0.3f, 0.6f}, "LOGISTIC").node(), {Rows()});
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  ExpectValues<int64_t>((*mixed)[0], {4}, {1, 0, 1, 1});
  ExpectFloats(
      (*mixed)[1], {4, 2},
      {0.31002551f, 0.68997449f, 0.57444251f, 0.42555749f, 0.35434371f, 0.64565629f, 0.35434371f, 0.64565629f});
}

TEST(MlTreeEnsembleClassifierTest, BinarySingleColumnWithOneBaseValue) {
  NodeBuilder mixed = SingleColumnBinary({0.8f, -0.3f, 0.6f}, "NONE");
  mixed.Floats("base_values", {0.25f});
  auto out = ml_test::Run(mixed.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {4}, {1, 0, 1, 1});
  ExpectFloats((*out)[1], {4, 2}, {-1.05f, 1.05f, 0.05f, -0.05f, -0.85f, 0.85f, -0.85f, 0.85f});

  // With non-negative weights the label threshold stays at 0.5 on the shifted score.
  NodeBuilder positive = SingleColumnBinary({0.8f, 0.3f, 0.6f}, "LOGISTIC");
  positive.Floats("base_values", {-0.4f}).Remove("classlabels_int64s").Strings("classlabels_strings", {"n", "p"});
  out = ml_test::Run(positive.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {4}, {"n", "n", "n", "n"});
  ExpectFloats(
      (*out)[1], {4, 2},
      {0.40131235f, 0.59868765f, 0.52497917f, 0.47502083f, 0.45016599f, 0.54983401f, 0.45016599f, 0.54983401f});
}

TEST(MlTreeEnsembleClassifierTest, BinaryWeightsInSecondColumnKeepBothColumns) {
  NodeBuilder builder = SingleColumnBinary({0.8f, 0.3f, 0.6f}, "NONE");
  builder.Ints("class_ids", {1, 1, 1}).Remove("classlabels_int64s").Strings("classlabels_strings", {"n", "p"});
  auto out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {4}, {"p", "n", "p", "p"});
  ExpectFloats((*out)[1], {4, 2}, {0, 0.8f, 0, 0.3f, 0, 0.6f, 0, 0.6f});

  builder.String("post_transform", "LOGISTIC");
  out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[1], {4, 2}, {0.5f, 0.68997449f, 0.5f, 0.57444251f, 0.5f, 0.64565629f, 0.5f, 0.64565629f});
}

TEST(MlTreeEnsembleClassifierTest, BinarySingleColumnProbitIsUnimplemented) {
  auto kernel = ml_test::Prepare(SingleColumnBinary({0.8f, 0.3f, 0.6f}, "PROBIT").node());
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.status().code(), StatusCode::kUnimplemented);
}

TEST(MlTreeEnsembleClassifierTest, MulticlassPostTransforms) {
  struct Case {
    const char* transform;
    std::vector<float> scores;
  };
  const std::vector<Case> cases = {
      {"NONE", {0.8f, 0, 0, 0, 0.3f, 0, 0.1f, 0, 0.6f, 0.1f, 0, 0.6f}},
      {"SOFTMAX",
       {0.52668786f, 0.2366561f, 0.2366561f, 0.29852003f, 0.40295988f, 0.29852003f, 0.28140804f, 0.25462851f,
        0.46396342f, 0.28140804f, 0.25462851f, 0.46396342f}},
      {"SOFTMAX_ZERO", {1, 0, 0, 0, 1, 0, 0.37754068f, 0, 0.62245935f, 0.37754068f, 0, 0.62245935f}},
      {"LOGISTIC",
       {0.68997449f, 0.5f, 0.5f, 0.5f, 0.57444251f, 0.5f, 0.52497917f, 0.5f, 0.64565629f, 0.52497917f, 0.5f,
        0.64565629f}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.transform);
    auto out = ml_test::Run(ThreeClasses(c.transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectValues<std::string>((*out)[0], {4}, {"a", "b", "c", "c"});
    ExpectFloats((*out)[1], {4, 3}, c.scores);
  }
}

TEST(MlTreeEnsembleClassifierTest, MulticlassBaseValuesApplyToEveryClass) {
  NodeBuilder builder = ThreeClasses("NONE");
  builder.Floats("base_values", {0.1f, 0.2f, 0.3f});
  auto out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {4}, {"a", "b", "c", "c"});
  ExpectFloats((*out)[1], {4, 3}, {0.9f, 0.2f, 0.3f, 0.1f, 0.5f, 0.3f, 0.2f, 0.2f, 0.9f, 0.2f, 0.2f, 0.9f});
}

TEST(MlTreeEnsembleClassifierTest, MissingValueTracksTrueSendsNaNToTheTrueBranch) {
  NodeBuilder builder = ThreeClasses("NONE");
  builder.Ints("nodes_missing_value_tracks_true", {0, 1, 0, 0, 0});
  auto out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {4}, {"a", "b", "b", "c"});
  ExpectFloats((*out)[1], {4, 3}, {0.8f, 0, 0, 0, 0.3f, 0, 0, 0.3f, 0, 0.1f, 0, 0.6f});
}

TEST(MlTreeEnsembleClassifierTest, BranchModes) {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {{"BRANCH_GTE", {7, 5, 5, 7}},
                                                                           {"BRANCH_GT", {7, 5, 5, 5}},
                                                                           {"BRANCH_EQ", {5, 5, 5, 7}},
                                                                           {"BRANCH_NEQ", {7, 6, 7, 5}}};
  for (const auto& [mode, labels] : cases) {
    SCOPED_TRACE(mode);
    NodeBuilder builder = OneTree("TreeEnsembleClassifier");
    builder.Strings("nodes_modes", {mode, "BRANCH_LT", "LEAF", "LEAF", "LEAF"})
        .Ints("class_treeids", {0, 0, 0})
        .Ints("class_nodeids", {2, 3, 4})
        .Ints("class_ids", {0, 1, 2})
        .Floats("class_weights", {0.8f, 0.3f, 0.6f})
        .Ints("classlabels_int64s", {5, 6, 7});
    auto out = ml_test::Run(builder.node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectValues<int64_t>((*out)[0], {4}, labels);
  }
}

TEST(MlTreeEnsembleClassifierTest, AcceptsDoubleIntegerAndOneDimensionalInputs) {
  NodeBuilder builder = OneTree("TreeEnsembleClassifier");
  builder.Ints("class_treeids", {0, 0, 0})
      .Ints("class_nodeids", {2, 3, 4})
      .Ints("class_ids", {0, 1, 2})
      .Floats("class_weights", {0.8f, 0.3f, 0.6f})
      .Ints("classlabels_int64s", {5, 6, 7});
  auto doubles = ml_test::Run(builder.node(), {Tensor::FromVector<double>({4, 2}, {1, 2, -3, 0.5, 0.2, NAN, 0.5, 5})});
  ASSERT_TRUE(doubles.ok()) << doubles.status().ToString();
  ExpectValues<int64_t>((*doubles)[0], {4}, {5, 6, 7, 7});
  auto ints = ml_test::Run(builder.node(), {Tensor::FromVector<int64_t>({2, 2}, {0, 0, 0, 7})});
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  ExpectValues<int64_t>((*ints)[0], {2}, {6, 7});
  auto row = ml_test::Run(builder.node(), {Tensor::FromVector<float>({2}, {1, 2})});
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  ExpectValues<int64_t>((*row)[0], {1}, {5});
  ExpectFloats((*row)[1], {1, 3}, {0.8f, 0, 0});
}

TEST(MlTreeEnsembleClassifierTest, RejectsInputsWithTooFewFeatures) {
  auto out = ml_test::Run(ThreeClasses("NONE").node(), {Tensor::FromVector<float>({2, 1}, {1, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = ml_test::Run(ThreeClasses("NONE").node(), {Tensor::FromVector<std::string>({1, 2}, {"a", "b"})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = ml_test::Run(ThreeClasses("NONE").node(), {Tensor::FromVector<float>({1, 1, 2}, {1, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST(MlTreeEnsembleClassifierTest, RejectsInvalidTrees) {
  ExpectInvalid(ThreeClasses("NONE").Ints("nodes_truenodeids", {1, 0, 0, 0, 0}), "cycle");
  ExpectInvalid(ThreeClasses("NONE").Ints("nodes_truenodeids", {1, 9, 0, 0, 0}), "unknown child");
  ExpectInvalid(ThreeClasses("NONE").Ints("nodes_truenodeids", {1, 2, 0, 0, 0}), "shared subtree");
  ExpectInvalid(ThreeClasses("NONE").Ints("class_nodeids", {0, 3, 4, 4}), "weight on a branch");
  ExpectInvalid(ThreeClasses("NONE").Ints("class_nodeids", {2, 3, 4, 8}), "weight on an unknown node");
  ExpectInvalid(ThreeClasses("NONE").Ints("class_ids", {0, 1, 3, 0}), "class id out of range");
  ExpectInvalid(ThreeClasses("NONE").Ints("nodes_featureids", {0, 1, 0, 0}), "lengths differ");
  ExpectInvalid(ThreeClasses("NONE").Ints("nodes_featureids", {-1, 1, 0, 0, 0}), "negative feature");
  ExpectInvalid(ThreeClasses("NONE").Ints("nodes_nodeids", {0, 1, 2, 3, 3}), "duplicate node");
  ExpectInvalid(ThreeClasses("NONE").Strings("nodes_modes", {"BRANCH_XX", "BRANCH_LT", "LEAF", "LEAF", "LEAF"}),
                "unknown mode");
  ExpectInvalid(ThreeClasses("BOGUS"), "unknown post_transform");
  ExpectInvalid(ThreeClasses("NONE").Floats("base_values", {1, 2}), "base_values length");
  ExpectInvalid(ThreeClasses("NONE").Ints("classlabels_int64s", {1, 2, 3}), "two label lists");
}

// Two trees: tree 0 "x0 <= 0.5" -> leaf 1 | leaf 2; tree 1 "x1 > 1" -> leaf 1 | leaf 2.
NodeBuilder TwoTrees(std::vector<int64_t> target_ids, std::vector<float> weights, int64_t targets) {
  NodeBuilder builder("TreeEnsembleRegressor");
  builder.Ints("nodes_treeids", {0, 0, 0, 1, 1, 1})
      .Ints("nodes_nodeids", {0, 1, 2, 0, 1, 2})
      .Ints("nodes_featureids", {0, 0, 0, 1, 0, 0})
      .Floats("nodes_values", {0.5f, 0, 0, 1.0f, 0, 0})
      .Strings("nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_GT", "LEAF", "LEAF"})
      .Ints("nodes_truenodeids", {1, 0, 0, 1, 0, 0})
      .Ints("nodes_falsenodeids", {2, 0, 0, 2, 0, 0})
      .Ints("target_treeids", {0, 0, 1, 1})
      .Ints("target_nodeids", {1, 2, 1, 2})
      .Ints("target_ids", std::move(target_ids))
      .Floats("target_weights", std::move(weights))
      .Int("n_targets", targets);
  return builder;
}

TEST(MlTreeEnsembleRegressorTest, AggregateFunctionsWithOneTarget) {
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {{"SUM", {-1.25f, 5.0f, 5.0f, 2.25f}},
                                                                         {"AVERAGE", {-0.375f, 2.75f, 2.75f, 1.375f}},
                                                                         {"MIN", {-1.5f, 2.0f, 2.0f, 0.75f}},
                                                                         {"MAX", {0.75f, 3.5f, 3.5f, 2.0f}}};
  for (const auto& [aggregate, expected] : cases) {
    SCOPED_TRACE(aggregate);
    NodeBuilder builder = TwoTrees({0, 0, 0, 0}, {1.5f, -2.0f, 0.25f, 3.0f}, 1);
    builder.String("aggregate_function", aggregate).Floats("base_values", {0.5f});
    auto out = ml_test::Run(builder.node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {4, 1}, expected);
  }
}

TEST(MlTreeEnsembleRegressorTest, AggregateFunctionsWithTwoTargetsLeaveUnscoredTargetsAtZero) {
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"SUM", {0.75f, -3, 2, 2, 2, 2, 2.25f, 0}},
      {"AVERAGE", {0.625f, -2, 1.25f, 0.5f, 1.25f, 0.5f, 1.375f, 0}},
      {"MIN", {0.75f, -3, 2, 2, 2, 2, 0.75f, 0}},
      {"MAX", {0.75f, -3, 2, 2, 2, 2, 2, 0}}};
  for (const auto& [aggregate, expected] : cases) {
    SCOPED_TRACE(aggregate);
    NodeBuilder builder = TwoTrees({0, 1, 0, 1}, {1.5f, -2.0f, 0.25f, 3.0f}, 2);
    builder.String("aggregate_function", aggregate).Floats("base_values", {0.5f, -1.0f});
    auto out = ml_test::Run(builder.node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {4, 2}, expected);
  }
}

TEST(MlTreeEnsembleRegressorTest, OneTargetAppliesOnlyProbit) {
  for (const char* transform : {"LOGISTIC", "SOFTMAX"}) {
    NodeBuilder builder = TwoTrees({0, 0, 0, 0}, {0.15f, -0.2f, 0.25f, 0.3f}, 1);
    auto out = ml_test::Run(builder.String("post_transform", transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {4, 1}, {0.05f, 0.45f, 0.45f, 0.4f});
  }
  NodeBuilder builder = TwoTrees({0, 0, 0, 0}, {0.15f, -0.2f, 0.25f, 0.3f}, 1);
  auto out = ml_test::Run(builder.String("post_transform", "PROBIT").node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {4, 1}, {-1.64466965f, -0.12566201f, -0.12566201f, -0.25335351f}, 1e-5f);
}

TEST(MlTreeEnsembleRegressorTest, TwoTargetPostTransforms) {
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"SOFTMAX",
       {0.90465051f, 0.09534946f, 0.46257016f, 0.53742981f, 0.46257016f, 0.53742981f, 0.59868765f, 0.40131232f}},
      {"SOFTMAX_ZERO", {0.90465051f, 0.09534946f, 0.46257016f, 0.53742981f, 0.46257016f, 0.53742981f, 1, 0}},
      {"LOGISTIC", {0.56217653f, 0.11920297f, 0.53742981f, 0.57444251f, 0.53742981f, 0.57444251f, 0.59868765f, 0.5f}},
      {"PROBIT",
       {-0.67457432f, kNaN, -1.03661311f, -0.52444589f, -1.03661311f, -0.52444589f, -0.25335351f,
        -std::numeric_limits<float>::infinity()}},
  };
  for (const auto& [transform, expected] : cases) {
    SCOPED_TRACE(transform);
    NodeBuilder builder = TwoTrees({0, 1, 0, 1}, {0.15f, -2.0f, 0.25f, 0.3f}, 2);
    auto out = ml_test::Run(builder.String("post_transform", transform).node(), {Rows()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {4, 2}, expected, 1e-5f);
  }
}

TEST(MlTreeEnsembleRegressorTest, DoubleTensorAttributes) {
  NodeBuilder builder = TwoTrees({0, 0, 0, 0}, {}, 1);
  builder.Remove("nodes_values")
      .Remove("target_weights")
      .TensorAttr("nodes_values_as_tensor", Tensor::FromVector<double>({6}, {0.5, 0, 0, 1.0, 0, 0}))
      .TensorAttr("target_weights_as_tensor", Tensor::FromVector<double>({4}, {1.5, -2.0, 0.25, 3.0}))
      .TensorAttr("base_values_as_tensor", Tensor::FromVector<double>({1}, {0.125}));
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<double>({4, 2}, {1, 2, -3, 0.5, 0.2, NAN, 0.5, 5})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {4, 1}, {-1.625f, 4.625f, 4.625f, 1.875f});
}

TEST(MlTreeEnsembleRegressorTest, LeafWithoutWeightCountsAsZeroForOneTarget) {
  NodeBuilder builder = TwoTrees({0, 0, 0}, {1.5f, 0.25f, 3.0f}, 1);
  builder.Ints("target_treeids", {0, 1, 1}).Ints("target_nodeids", {1, 1, 2}).String("aggregate_function", "MIN");
  auto out = ml_test::Run(builder.node(), {Rows()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {4, 1}, {0, 1.5f, 1.5f, 0.25f});
}

TEST(MlTreeEnsembleRegressorTest, MissingValues) {
  const Tensor nans = Tensor::FromVector<float>({2, 2}, {kNaN, kNaN, kNaN, 0});
  NodeBuilder builder = TwoTrees({0, 0, 0, 0}, {1.5f, -2.0f, 0.25f, 3.0f}, 1);
  auto out = ml_test::Run(builder.node(), {nans});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 1}, {1.0f, 1.0f});
  out = ml_test::Run(builder.Ints("nodes_missing_value_tracks_true", {1, 0, 0, 1, 0, 0}).node(), {nans});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 1}, {1.75f, 4.5f});
}

TEST(MlTreeEnsembleRegressorTest, EmptyBatchAndInvalidAttributes) {
  NodeBuilder builder = TwoTrees({0, 0, 0, 0}, {1.5f, -2.0f, 0.25f, 3.0f}, 1);
  auto out = ml_test::Run(builder.node(), {Tensor::FromVector<float>({0, 2}, {})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {0, 1}, {});
  for (NodeBuilder invalid :
       {TwoTrees({0, 0, 0, 0}, {1.5f, -2.0f, 0.25f, 3.0f}, 1).String("aggregate_function", "X"),
        TwoTrees({0, 0, 0, 1}, {1.5f, -2.0f, 0.25f, 3.0f}, 1), TwoTrees({0, 0, 0, 0}, {1.5f, -2.0f, 0.25f}, 1),
        TwoTrees({0, 0, 0, 0}, {1.5f, -2.0f, 0.25f, 3.0f}, 1).Floats("base_values", {1, 2})}) {
    auto kernel = ml_test::Prepare(invalid.node());
    ASSERT_FALSE(kernel.ok());
    EXPECT_EQ(kernel.status().code(), StatusCode::kInvalidArgument) << kernel.status().ToString();
  }
}

// Random ensembles (every branch mode, shallow trees walked in lockstep and trees deeper than
// the lockstep limit, NaN inputs with and without missing_value_tracks_true, batches that are
// not a multiple of the row block) against a plain walk over the attribute arrays.
TEST(MlTreeEnsembleRegressorTest, RandomEnsemblesMatchAPlainWalk) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const std::vector<std::string> mode_names = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE",
                                               "BRANCH_GT",  "BRANCH_EQ", "BRANCH_NEQ"};
  constexpr int64_t kFeatures = 5;
  for (size_t trial = 0; trial < 24; ++trial) {
    const std::string mode = mode_names[trial % mode_names.size()];
    const bool tracks_missing = trial % 4 >= 2;
    const bool exact_mode = mode == "BRANCH_EQ" || mode == "BRANCH_NEQ";
    std::vector<int64_t> tree_ids, node_ids, features, true_ids, false_ids, missing, leaf_trees, leaf_nodes;
    std::vector<float> thresholds, leaf_weights;
    std::vector<std::string> modes;
    // Tree t is a chain of depth 3 + 2t (up to 25): each branch has a leaf on one side.
    const int64_t num_trees = 12;
    for (int64_t t = 0; t < num_trees; ++t) {
      const int64_t depth = 3 + 2 * t;
      for (int64_t d = 0; d < depth; ++d) {
        tree_ids.push_back(t);
        node_ids.push_back(2 * d);
        features.push_back(static_cast<int64_t>(rng() % kFeatures));
        // Thresholds and inputs often fall on {-0.5, 0, 0.5}, so ties test each mode's boundary.
        thresholds.push_back(exact_mode || rng() % 2 == 0 ? 0.5f * static_cast<float>(rng() % 3) - 0.5f : uniform(rng));
        modes.push_back(mode);
        const bool chain_on_true = rng() % 2 == 0;
        const int64_t next = d + 1 < depth ? 2 * (d + 1) : 2 * d + 2;
        true_ids.push_back(chain_on_true ? next : 2 * d + 1);
        false_ids.push_back(chain_on_true ? 2 * d + 1 : next);
        missing.push_back(tracks_missing ? static_cast<int64_t>(rng() % 2) : 0);
        for (int64_t leaf : {2 * d + 1, d + 1 == depth ? 2 * d + 2 : -1}) {
          if (leaf < 0) continue;
          tree_ids.push_back(t);
          node_ids.push_back(leaf);
          features.push_back(0);
          thresholds.push_back(0);
          modes.push_back("LEAF");
          true_ids.push_back(0);
          false_ids.push_back(0);
          missing.push_back(0);
          leaf_trees.push_back(t);
          leaf_nodes.push_back(leaf);
          leaf_weights.push_back(uniform(rng));
        }
      }
    }
    NodeBuilder builder("TreeEnsembleRegressor", 3, 1, 1);
    builder.Ints("nodes_treeids", tree_ids)
        .Ints("nodes_nodeids", node_ids)
        .Ints("nodes_featureids", features)
        .Floats("nodes_values", thresholds)
        .Strings("nodes_modes", modes)
        .Ints("nodes_truenodeids", true_ids)
        .Ints("nodes_falsenodeids", false_ids)
        .Ints("nodes_missing_value_tracks_true", missing)
        .Ints("target_treeids", leaf_trees)
        .Ints("target_nodeids", leaf_nodes)
        .Ints("target_ids", std::vector<int64_t>(leaf_nodes.size(), 0))
        .Floats("target_weights", leaf_weights)
        .Floats("base_values", {0.25f});

    const int64_t rows = 400;  // x 12 trees: enough walks for several threads
    std::vector<float> x(static_cast<size_t>(rows * kFeatures));
    for (float& v : x) {
      const uint32_t pick = rng() % 8;
      v = pick == 0 ? kNaN
                    : 0.5f * static_cast<float>(pick % 3) - 0.5f + (exact_mode || pick < 5 ? 0.0f : uniform(rng));
    }
    std::map<std::pair<int64_t, int64_t>, size_t> index;
    for (size_t i = 0; i < node_ids.size(); ++i) index[{tree_ids[i], node_ids[i]}] = i;
    std::map<std::pair<int64_t, int64_t>, float> weight_of;
    for (size_t k = 0; k < leaf_nodes.size(); ++k) weight_of[{leaf_trees[k], leaf_nodes[k]}] = leaf_weights[k];
    std::vector<float> expected;
    for (int64_t r = 0; r < rows; ++r) {
      float sum = 0;
      for (int64_t t = 0; t < num_trees; ++t) {
        size_t i = index.at({t, 0});
        while (modes[i] != "LEAF") {
          const float v = x[static_cast<size_t>(r * kFeatures + features[i])];
          const float th = thresholds[i];
          bool go = mode == "BRANCH_LEQ"   ? v <= th
                    : mode == "BRANCH_LT"  ? v < th
                    : mode == "BRANCH_GTE" ? v >= th
                    : mode == "BRANCH_GT"  ? v > th
                    : mode == "BRANCH_EQ"  ? v == th
                                           : v != th;
          if (missing[i] != 0 && std::isnan(v)) go = true;
          i = index.at({t, go ? true_ids[i] : false_ids[i]});
        }
        sum += weight_of.at({t, node_ids[i]});
      }
      expected.push_back(sum + 0.25f);
    }
    auto out = ml_test::Run(builder.node(), {Tensor::FromVector<float>({rows, kFeatures}, x)});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectFloats((*out)[0], {rows, 1}, expected, 0.0f);
    // Several threads score disjoint row blocks with the same arithmetic: identical outputs.
    auto kernel = ml_test::Prepare(builder.node());
    ASSERT_TRUE(kernel.ok()) << kernel.status().ToString();
    const Tensor input = Tensor::FromVector<float>({rows, kFeatures}, x);
    KernelContext ctx;
    ctx.inputs.push_back(&input);
    ctx.outputs.assign(1, Tensor());
    ctx.intra_op_threads = 3;
    ASSERT_TRUE((*kernel)->Compute(ctx).ok());
    ExpectFloats(ctx.outputs[0], {rows, 1}, expected, 0.0f);
  }
}

}  // namespace
}  // namespace mlserving::kernels::reference

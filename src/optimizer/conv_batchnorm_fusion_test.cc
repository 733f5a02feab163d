#include <gtest/gtest.h>

#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::GraphBuilder;
using testing::RandomTensor;

/// x -> Conv(W[, B]) -> BatchNormalization -> y, with random statistics (positive variance).
struct ConvBn {
  GraphBuilder b;
  ir::ValueId x, conv, y;
};

ConvBn MakeConvBn(bool with_bias, int64_t group, bool constant_mean = true) {
  ConvBn g;
  g.x = g.b.Input("x", {2, 4, 9, 8});
  std::vector<ir::ValueId> conv_inputs = {g.x, g.b.Constant("w", RandomTensor({6, 4 / group, 3, 3}, 1))};
  if (with_bias) conv_inputs.push_back(g.b.Constant("b", RandomTensor({6}, 2)));
  g.conv =
      g.b.Op("Conv", conv_inputs, {{"pads", testing::IntsAttr({1, 1, 1, 1})}, {"group", testing::IntAttr(group)}}, 11);
  const ir::ValueId mean = constant_mean ? g.b.Constant("mean", RandomTensor({6}, 5)) : g.b.Input("mean", {6});
  g.y =
      g.b.Op("BatchNormalization",
             {g.conv, g.b.Constant("scale", RandomTensor({6}, 3, 0.5f, 1.5f)),
              g.b.Constant("beta", RandomTensor({6}, 4)), mean, g.b.Constant("var", RandomTensor({6}, 6, 0.2f, 2.0f))},
             {{"epsilon", testing::FloatAttr(1e-3f)}}, 15);
  g.b.Output(g.y);
  return g;
}

TEST(ConvBatchNormFusion, FoldsBatchNormIntoConvWeightsAndBias) {
  ConvBn g = MakeConvBn(true, 1);
  ir::Graph fused = testing::RunPassAndCompare(g.b.graph(), FuseConvBatchNorm, 1, {RandomTensor({2, 4, 9, 8}, 7)});
  EXPECT_EQ(testing::CountOps(fused, "BatchNormalization"), 0);
  ASSERT_EQ(fused.nodes().size(), 1u);
  EXPECT_EQ(fused.nodes()[0].op_type, "Conv");
  EXPECT_EQ(fused.nodes()[0].outputs[0], g.y);
}

TEST(ConvBatchNormFusion, AddsABiasToAConvWithoutOneAndKeepsGroups) {
  ConvBn g = MakeConvBn(false, 2);
  ir::Graph fused = testing::RunPassAndCompare(g.b.graph(), FuseConvBatchNorm, 1, {RandomTensor({2, 4, 9, 8}, 8)});
  ASSERT_EQ(fused.nodes().size(), 1u);
  EXPECT_EQ(fused.nodes()[0].inputs.size(), 3u);
  EXPECT_EQ(fused.nodes()[0].GetInt("group", 1), 2);
}

TEST(ConvBatchNormFusion, LeavesAConvWhoseOutputIsReadElsewhere) {
  ConvBn g = MakeConvBn(true, 1);
  g.b.Output(g.b.Op("Relu", {g.conv}));
  testing::RunPassAndCompare(g.b.graph(), FuseConvBatchNorm, 0, {RandomTensor({2, 4, 9, 8}, 9)});
}

TEST(ConvBatchNormFusion, LeavesAConvWhoseOutputIsAGraphOutput) {
  ConvBn g = MakeConvBn(true, 1);
  g.b.Output(g.conv);
  testing::RunPassAndCompare(g.b.graph(), FuseConvBatchNorm, 0, {RandomTensor({2, 4, 9, 8}, 10)});
}

TEST(ConvBatchNormFusion, LeavesRunTimeStatistics) {
  ConvBn g = MakeConvBn(true, 1, false);
  testing::RunPassAndCompare(g.b.graph(), FuseConvBatchNorm, 0,
                             {RandomTensor({2, 4, 9, 8}, 11), RandomTensor({6}, 12)});
}

TEST(ConvBatchNormFusion, LeavesTrainingModeBatchNorm) {
  ConvBn g = MakeConvBn(true, 1);
  g.b.graph().nodes()[1].attributes["training_mode"] = testing::IntAttr(1);
  ir::Graph rewritten = g.b.graph();
  Result<int> rewrites = FuseConvBatchNorm(rewritten, PassContext{kernels::KernelRegistry::Default()});
  ASSERT_TRUE(rewrites.ok());
  EXPECT_EQ(*rewrites, 0);
}

}  // namespace
}  // namespace mlserving::optimizer

#include <gtest/gtest.h>

#include "kernels/fused_activation.h"
#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::GraphBuilder;
using testing::RandomTensor;

/// x -> Conv -> returns the Conv's output.
ir::ValueId AddConv(GraphBuilder& b, ir::ValueId x) {
  return b.Op("Conv",
              {x, b.Constant("w", RandomTensor({8, 3, 3, 3}, 1, -2.0f, 2.0f)), b.Constant("b", RandomTensor({8}, 2))},
              {{"pads", testing::IntsAttr({1, 1, 1, 1})}}, 11);
}

TEST(ConvActivationFusion, FusesEachActivationIntoFusedConv) {
  struct Case {
    std::string op;
    std::map<std::string, ir::Attribute> attrs;
    std::vector<float> expected_params;
  };
  const std::vector<Case> cases = {{"Relu", {}, {}},
                                   {"LeakyRelu", {{"alpha", testing::FloatAttr(0.2f)}}, {0.2f}},
                                   {"Sigmoid", {}, {}},
                                   {"Tanh", {}, {}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    GraphBuilder b;
    const ir::ValueId x = b.Input("x", {2, 3, 10, 11});
    const ir::ValueId y = b.Op(c.op, {AddConv(b, x)}, c.attrs);
    b.Output(y);
    ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseConvActivation, 1, {RandomTensor({2, 3, 10, 11}, 3)});
    ASSERT_EQ(fused.nodes().size(), 1u);
    const ir::Node& node = fused.nodes()[0];
    EXPECT_EQ(node.op_type, "FusedConv");
    EXPECT_EQ(node.domain, kernels::kMlServingDomain);
    EXPECT_EQ(node.GetString("activation", ""), c.op);
    EXPECT_EQ(node.GetFloats("activation_params"), c.expected_params);
    EXPECT_EQ(node.GetInts("pads"), std::vector<int64_t>({1, 1, 1, 1}));
    EXPECT_EQ(node.outputs[0], y);
  }
}

TEST(ConvActivationFusion, FusesClipWithConstantBoundsAsRelu6) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 3, 8, 8});
  b.Output(b.Op("Clip", {AddConv(b, x), b.Scalar("lo", 0.0f), b.Scalar("hi", 6.0f)}));
  // Inputs in [-3, 3) drive the outputs past both bounds.
  ir::Graph fused =
      testing::RunPassAndCompare(b.graph(), FuseConvActivation, 1, {RandomTensor({1, 3, 8, 8}, 4, -3.0f, 3.0f)});
  ASSERT_EQ(fused.nodes().size(), 1u);
  EXPECT_EQ(fused.nodes()[0].GetString("activation", ""), "Clip");
  EXPECT_EQ(fused.nodes()[0].GetFloats("activation_params"), std::vector<float>({0.0f, 6.0f}));
}

TEST(ConvActivationFusion, FusesOpset6ClipAttributesAndAMissingUpperBound) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 3, 8, 8});
  b.Output(b.Op("Clip", {AddConv(b, x)}, {{"min", testing::FloatAttr(-0.5f)}}, 6));
  testing::RunPassAndCompare(b.graph(), FuseConvActivation, 1, {RandomTensor({1, 3, 8, 8}, 5, -3.0f, 3.0f)});
}

TEST(ConvActivationFusion, LeavesClipWithRunTimeBounds) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 3, 8, 8});
  const ir::ValueId hi = b.Input("hi", {});
  b.Output(b.Op("Clip", {AddConv(b, x), b.Scalar("lo", 0.0f), hi}));
  testing::RunPassAndCompare(b.graph(), FuseConvActivation, 0,
                             {RandomTensor({1, 3, 8, 8}, 6), Tensor::Scalar<float>(0.5f)});
}

TEST(ConvActivationFusion, LeavesAConvWithSeveralReaders) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 3, 8, 8});
  const ir::ValueId conv = AddConv(b, x);
  b.Output(b.Op("Relu", {conv}));
  b.Output(b.Op("Sigmoid", {conv}));
  testing::RunPassAndCompare(b.graph(), FuseConvActivation, 0, {RandomTensor({1, 3, 8, 8}, 7)});
}

TEST(ConvActivationFusion, ChainsAfterBatchNormFolding) {
  // Conv -> BatchNormalization -> Relu becomes one FusedConv after both passes.
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 3, 8, 8});
  const ir::ValueId bn =
      b.Op("BatchNormalization",
           {AddConv(b, x), b.Constant("s", RandomTensor({8}, 8, 0.5f, 1.5f)), b.Constant("beta", RandomTensor({8}, 9)),
            b.Constant("m", RandomTensor({8}, 10)), b.Constant("v", RandomTensor({8}, 11, 0.5f, 2.0f))},
           {}, 15);
  b.Output(b.Op("Relu", {bn}));
  const std::vector<Tensor> inputs = {RandomTensor({1, 3, 8, 8}, 12)};
  ir::Graph folded = testing::RunPassAndCompare(b.graph(), FuseConvBatchNorm, 1, inputs);
  ir::Graph fused = testing::RunPassAndCompare(folded, FuseConvActivation, 1, inputs);
  ASSERT_EQ(fused.nodes().size(), 1u);
  EXPECT_EQ(fused.nodes()[0].op_type, "FusedConv");
  testing::ExpectSameOutputs(b.graph(), fused, inputs, testing::Tolerance::AllClose(1e-4, 1e-5));
}

}  // namespace
}  // namespace mlserving::optimizer

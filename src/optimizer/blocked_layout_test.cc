#include <gtest/gtest.h>

#include "kernels/blocked_layout.h"
#include "kernels/fused_activation.h"
#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::CountOps;
using testing::GraphBuilder;
using testing::IntAttr;
using testing::IntsAttr;
using testing::RandomTensor;
using testing::StringAttr;

/// Skips a test on a CPU where oneDNN prefers no blocked layout (the pass does nothing there).
#define SKIP_WITHOUT_BLOCKED_LAYOUT()                                       \
  if (kernels::PreferredChannelBlock() == 0) {                              \
    GTEST_SKIP() << "oneDNN prefers no channel-blocked layout on this CPU"; \
  }

int seed = 100;

/// A 3x3 (pad 1) Conv from `in_channels` to `out_channels` with random constant weights and bias,
/// or FusedConv with `activation` when given.
ir::ValueId AddConv(GraphBuilder& b, ir::ValueId x, int64_t in_channels, int64_t out_channels,
                    const std::string& activation = "", int64_t stride = 1, int64_t kernel = 3) {
  std::map<std::string, ir::Attribute> attrs = {{"pads", IntsAttr({kernel / 2, kernel / 2, kernel / 2, kernel / 2})},
                                                {"strides", IntsAttr({stride, stride})}};
  const ir::ValueId w = b.Constant("w", RandomTensor({out_channels, in_channels, kernel, kernel}, ++seed, -0.5f, 0.5f));
  const ir::ValueId bias = b.Constant("b", RandomTensor({out_channels}, ++seed));
  if (activation.empty()) return b.Op("Conv", {x, w, bias}, attrs, 11);
  attrs["activation"] = StringAttr(activation);
  const size_t index =
      b.Node("FusedConv", {b.graph().value(x).name, b.graph().value(w).name, b.graph().value(bias).name},
             {"fused_" + std::to_string(++seed)}, attrs, 1);
  b.graph().nodes()[index].domain = kernels::kMlServingDomain;
  return b.graph().nodes()[index].outputs[0];
}

/// Runs the pass and expects the same outputs and, when oneDNN prefers a block, `blocked` nodes
/// rewritten; returns the rewritten graph.
ir::Graph Convert(const ir::Graph& graph, int blocked, const std::vector<Tensor>& inputs) {
  return testing::RunPassAndCompare(graph, ConvertToBlockedLayout, blocked, inputs,
                                    testing::Tolerance::AllClose(1e-4, 1e-4));
}

TEST(BlockedLayoutPass, ResidualBlockStaysBlockedUntilTheGraphOutput) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  // x -> FusedConv(Relu) -> Conv -> Add(skip) -> Relu -> output, the skip being the first conv.
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 3, 12, 12});
  const ir::ValueId stem = AddConv(b, x, 3, 16, "Relu");
  const ir::ValueId body = AddConv(b, AddConv(b, stem, 16, 16, "Relu"), 16, 16);
  const ir::ValueId sum = b.Op("Add", {body, stem});
  b.Output(b.Op("Relu", {sum}));
  ir::Graph out = Convert(b.graph(), 5, {RandomTensor({1, 3, 12, 12}, 1)});
  EXPECT_EQ(CountOps(out, "BlockedConv"), 3);
  EXPECT_EQ(CountOps(out, "FromBlocked"), 1);  // only before the graph output
  EXPECT_EQ(CountOps(out, "ToBlocked"), 0);
  EXPECT_EQ(out.nodes().back().op_type, "FromBlocked");
  EXPECT_EQ(out.nodes().front().GetInt("src_block", -1), 0);  // the stem reads plain x
  EXPECT_EQ(out.nodes()[1].GetInt("src_block", -1), kernels::BlockFor(kernels::PreferredChannelBlock(), 16));
  EXPECT_EQ(out.nodes()[1].GetInt("block", 0), kernels::BlockFor(kernels::PreferredChannelBlock(), 16));
}

TEST(BlockedLayoutPass, ChainWithPoolingAndChannelsThatAreNoMultipleOfTheBlock) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  // 13 and 20 channels: the blocks carry zero padding channels through conv, pools and Relu.
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {2, 5, 16, 16});
  ir::ValueId y = AddConv(b, x, 5, 13, "Relu", 2, 3);
  y = b.Op("MaxPool", {y},
           {{"kernel_shape", IntsAttr({3, 3})}, {"strides", IntsAttr({2, 2})}, {"pads", IntsAttr({1, 1, 1, 1})}}, 12);
  y = AddConv(b, y, 13, 20);
  y = b.Op("LeakyRelu", {y}, {{"alpha", testing::FloatAttr(0.1f)}}, 6);
  y = b.Op("AveragePool", {y}, {{"kernel_shape", IntsAttr({2, 2})}, {"strides", IntsAttr({1, 1})}}, 11);
  y = b.Op("GlobalAveragePool", {y}, {}, 1);
  b.Output(b.Op("Flatten", {y}, {}, 13));
  ir::Graph out = Convert(b.graph(), 6, {RandomTensor({2, 5, 16, 16}, 2)});
  EXPECT_EQ(CountOps(out, "BlockedMaxPool"), 1);
  EXPECT_EQ(CountOps(out, "BlockedAveragePool"), 1);
  EXPECT_EQ(CountOps(out, "BlockedGlobalAveragePool"), 1);
  EXPECT_EQ(CountOps(out, "FromBlocked"), 1);  // before the Flatten, which reads plain NCHW
  EXPECT_EQ(CountOps(out, "Flatten"), 1);
}

TEST(BlockedLayoutPass, BlockedValueThatIsAlsoAGraphOutputOrReadByReshape) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 8, 10, 10});
  const ir::ValueId first = AddConv(b, x, 8, 12, "Relu");
  const ir::ValueId second = AddConv(b, first, 12, 12, "Tanh");
  b.Output(first);  // also read by the second conv
  b.Output(b.Op("Reshape", {second, b.Constant("shape", testing::Int64s({1, -1}))}, {}, 14));
  ir::Graph out = Convert(b.graph(), 2, {RandomTensor({1, 8, 10, 10}, 3)});
  EXPECT_EQ(CountOps(out, "BlockedConv"), 2);
  EXPECT_EQ(CountOps(out, "FromBlocked"), 2);
  // The graph output keeps its id, now written by a FromBlocked.
  for (const ir::Node& node : out.nodes()) {
    if (node.outputs[0] == first) {
      EXPECT_EQ(node.op_type, "FromBlocked");
    }
  }
}

TEST(BlockedLayoutPass, LeavesWhatItCannotHandlePlain) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  // A Sigmoid (f(0) != 0) and an Add with a channel-broadcast operand read the blocked conv
  // through a FromBlocked; a grouped (not depthwise) conv and a conv with run-time weights stay Conv.
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 4, 9, 9});
  const ir::ValueId w = b.Input("w", {4, 4, 3, 3});
  const ir::ValueId m = b.Input("m", {1, 1, 9, 9});
  const ir::ValueId conv = AddConv(b, x, 4, 4);
  const ir::ValueId sig = b.Op("Sigmoid", {conv});
  const ir::ValueId sum = b.Op("Add", {conv, m});
  const ir::ValueId grouped =
      b.Op("Conv", {sum, b.Constant("wg", RandomTensor({4, 2, 3, 3}, 9))}, {{"group", IntAttr(2)}}, 11);
  const ir::ValueId runtime = b.Op("Conv", {sig, w}, {}, 11);
  b.Output(grouped);
  b.Output(runtime);
  ir::Graph out = Convert(
      b.graph(), 1, {RandomTensor({1, 4, 9, 9}, 4), RandomTensor({4, 4, 3, 3}, 5), RandomTensor({1, 1, 9, 9}, 6)});
  EXPECT_EQ(CountOps(out, "BlockedConv"), 1);
  EXPECT_EQ(CountOps(out, "Conv"), 2);
  EXPECT_EQ(CountOps(out, "FromBlocked"), 1);
}

TEST(BlockedLayoutPass, DepthwiseConvWithWholeBlocksAndBroadcastingMul) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  // MobileNet-like: pointwise -> depthwise -> pointwise, then a Mul by a globally pooled branch
  // ([N, C, 1, 1] broadcast over H and W, both blocked).
  const int64_t c = 32;
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {2, 6, 8, 8});
  const ir::ValueId pw = AddConv(b, x, 6, c, "Relu", 1, 1);
  const ir::ValueId dw =
      b.Op("Conv", {pw, b.Constant("wd", RandomTensor({c, 1, 3, 3}, 11)), b.Constant("bd", RandomTensor({c}, 12))},
           {{"group", IntAttr(c)}, {"pads", IntsAttr({1, 1, 1, 1})}}, 11);
  const ir::ValueId gate = b.Op("GlobalMaxPool", {dw}, {}, 1);
  b.Output(b.Op("Mul", {dw, gate}));
  ir::Graph out = Convert(b.graph(), 4, {RandomTensor({2, 6, 8, 8}, 6)});
  EXPECT_EQ(CountOps(out, "BlockedConv"), 2);
  EXPECT_EQ(CountOps(out, "FromBlocked"), 1);
}

TEST(BlockedLayoutPass, ChainsAfterTheConvFusions) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  // Conv -> BatchNorm -> Relu -> Conv -> Add -> Relu through the whole level-all pipeline order.
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 3, 10, 10});
  const ir::ValueId c1 = AddConv(b, x, 3, 8);
  const ir::ValueId bn =
      b.Op("BatchNormalization",
           {c1, b.Constant("s", RandomTensor({8}, 20, 0.5f, 1.5f)), b.Constant("be", RandomTensor({8}, 21)),
            b.Constant("m", RandomTensor({8}, 22)), b.Constant("v", RandomTensor({8}, 23, 0.5f, 2.0f))},
           {}, 15);
  const ir::ValueId r1 = b.Op("Relu", {bn});
  const ir::ValueId c2 = AddConv(b, r1, 8, 8);
  b.Output(b.Op("Relu", {b.Op("Add", {c2, r1})}));
  const std::vector<Tensor> inputs = {RandomTensor({1, 3, 10, 10}, 24)};
  ir::Graph g = testing::RunPassAndCompare(b.graph(), FuseConvBatchNorm, 1, inputs);
  g = testing::RunPassAndCompare(g, FuseConvActivation, 1, inputs);
  g = Convert(g, 4, inputs);
  g = testing::Rewritten(g, EliminateDeadNodes);
  EXPECT_EQ(CountOps(g, "BlockedConv"), 2);
  EXPECT_EQ(CountOps(g, "FromBlocked"), 1);
  testing::ExpectSameOutputs(b.graph(), g, inputs, testing::Tolerance::AllClose(1e-4, 1e-4));
}

TEST(BlockedLayoutPass, PlainOperandsWithTheChannelCountAreBlocked) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  // A per-channel constant [C, 1, 1] is stored blocked; a plain [N, C, H, W] input read by two
  // blocked ops goes through one ToBlocked. A [1, 1, H, W] operand (channel broadcast) and a
  // scalar are left plain.
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {2, 5, 8, 8});
  const ir::ValueId skip = b.Input("skip", {2, 12, 8, 8});
  const ir::ValueId conv = AddConv(b, x, 5, 12, "Relu");
  const ir::ValueId scaled = b.Op("Mul", {b.Constant("scale", RandomTensor({12, 1, 1}, 30)), conv});
  const ir::ValueId sum = b.Op("Add", {scaled, skip});
  const ir::ValueId diff = b.Op("Sub", {skip, sum});
  const ir::ValueId masked = b.Op("Mul", {diff, b.Constant("mask", RandomTensor({1, 1, 8, 8}, 31))});
  b.Output(b.Op("Add", {masked, b.Scalar("one", 1.0f)}));
  ir::Graph out = Convert(b.graph(), 4, {RandomTensor({2, 5, 8, 8}, 32), RandomTensor({2, 12, 8, 8}, 33)});
  EXPECT_EQ(CountOps(out, "ToBlocked"), 1);
  EXPECT_EQ(CountOps(out, "FromBlocked"), 1);  // before the Mul by the mask
}

TEST(BlockedLayoutPass, SqueezeExcitationGateJoinsThroughOneToBlocked) {
  SKIP_WITHOUT_BLOCKED_LAYOUT();
  // x * Sigmoid(Conv(Relu(Conv(ReduceMean(x))))): the gate's shape is known only from the
  // convolutions' weights (DeriveTypes does not see through FusedConv).
  GraphBuilder b;
  const ir::ValueId in = b.Input("x", {2, 3, 8, 8});
  const ir::ValueId x = AddConv(b, in, 3, 24, "Relu");
  const ir::ValueId mean = b.Op("ReduceMean", {x}, {{"axes", IntsAttr({2, 3})}, {"keepdims", IntAttr(1)}}, 13);
  const ir::ValueId gate = b.Op("Sigmoid", {AddConv(b, AddConv(b, mean, 24, 6, "Relu", 1, 1), 6, 24, "", 1, 1)});
  b.Output(b.Op("Mul", {x, gate}));
  ir::Graph out = Convert(b.graph(), 4, {RandomTensor({2, 3, 8, 8}, 40)});
  EXPECT_EQ(CountOps(out, "BlockedConv"), 3);
  EXPECT_EQ(CountOps(out, "ToBlocked"), 1);    // the gate
  EXPECT_EQ(CountOps(out, "FromBlocked"), 3);  // for ReduceMean and Sigmoid, and the output
}

TEST(BlockedLayoutPass, NothingWithoutConvolutions) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {1, 4, 6, 6});
  b.Output(b.Op("Relu", {b.Op("MaxPool", {x}, {{"kernel_shape", IntsAttr({2, 2})}}, 12)}));
  Convert(b.graph(), 0, {RandomTensor({1, 4, 6, 6}, 7)});
}

}  // namespace
}  // namespace mlserving::optimizer

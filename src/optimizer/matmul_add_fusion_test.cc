#include <gtest/gtest.h>

#include "kernels/fused_activation.h"
#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::GraphBuilder;
using testing::RandomTensor;

const Shape kA = {2, 5, 16};  // [batch, seq, K], as in a transformer

TEST(MatMulAddFusion, FusesBatchedMatMulAndRowBias) {
  GraphBuilder b;
  const ir::ValueId a = b.Input("a", kA);
  const ir::ValueId mm = b.Op("MatMul", {a, b.Constant("w", RandomTensor({16, 12}, 1))});
  const ir::ValueId y = b.Op("Add", {mm, b.Constant("bias", RandomTensor({12}, 2))});
  b.Output(y);
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 1, {RandomTensor(kA, 3)});
  ASSERT_EQ(fused.nodes().size(), 1u);
  const ir::Node& node = fused.nodes()[0];
  EXPECT_EQ(node.op_type, "FusedMatMul");
  EXPECT_EQ(node.domain, kernels::kMlServingDomain);
  ASSERT_EQ(node.inputs.size(), 3u);
  EXPECT_FALSE(node.Has("activation"));
  EXPECT_EQ(node.outputs[0], y);
}

TEST(MatMulAddFusion, AcceptsTheBiasFirstAndWithLeadingOnes) {
  GraphBuilder b;
  const ir::ValueId a = b.Input("a", kA);
  const ir::ValueId mm = b.Op("MatMul", {a, b.Constant("w", RandomTensor({16, 12}, 4))});
  b.Output(b.Op("Add", {b.Constant("bias", RandomTensor({1, 1, 12}, 5)), mm}));
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 1, {RandomTensor(kA, 6)});
  ASSERT_EQ(fused.nodes().size(), 1u);
  EXPECT_EQ(fused.value(fused.nodes()[0].inputs[2]).constant->shape(), Shape({12}));
}

TEST(MatMulAddFusion, AbsorbsTheActivationAfterTheBias) {
  for (const char* op : {"Relu", "Gelu", "Tanh"}) {
    SCOPED_TRACE(op);
    GraphBuilder b;
    const ir::ValueId a = b.Input("a", kA);
    const ir::ValueId mm = b.Op("MatMul", {a, b.Constant("w", RandomTensor({16, 12}, 7))});
    const ir::ValueId sum = b.Op("Add", {mm, b.Constant("bias", RandomTensor({12}, 8))});
    b.Output(b.Op(op, {sum}, {}, std::string(op) == "Gelu" ? 20 : 13));
    ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 1, {RandomTensor(kA, 9)});
    ASSERT_EQ(fused.nodes().size(), 1u);
    EXPECT_EQ(fused.nodes()[0].GetString("activation", ""), op);
  }
}

TEST(MatMulAddFusion, FusesAnActivationWithoutBias) {
  GraphBuilder b;
  const ir::ValueId a = b.Input("a", {7, 16});
  const ir::ValueId mm = b.Op("MatMul", {a, b.Constant("w", RandomTensor({16, 3}, 10))});
  b.Output(b.Op("Relu", {mm}));
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 1, {RandomTensor({7, 16}, 11)});
  ASSERT_EQ(fused.nodes().size(), 1u);
  EXPECT_EQ(fused.nodes()[0].inputs.size(), 2u);
}

TEST(MatMulAddFusion, LeavesABiasThatIsNotPerColumn) {
  GraphBuilder b;
  const ir::ValueId a = b.Input("a", kA);
  const ir::ValueId mm = b.Op("MatMul", {a, b.Constant("w", RandomTensor({16, 12}, 12))});
  b.Output(b.Op("Add", {mm, b.Constant("bias", RandomTensor({5, 12}, 13))}));
  testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 0, {RandomTensor(kA, 14)});
}

TEST(MatMulAddFusion, LeavesABiasThatWouldGrowTheRank) {
  GraphBuilder b;
  const ir::ValueId a = b.Input("a", {5, 16});
  const ir::ValueId mm = b.Op("MatMul", {a, b.Constant("w", RandomTensor({16, 12}, 15))});
  b.Output(b.Op("Add", {mm, b.Constant("bias", RandomTensor({1, 1, 12}, 16))}));
  testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 0, {RandomTensor({5, 16}, 17)});
}

TEST(MatMulAddFusion, LeavesRunTimeWeights) {
  GraphBuilder b;
  const ir::ValueId a = b.Input("a", kA);
  const ir::ValueId w = b.Input("w", {16, 12});
  const ir::ValueId mm = b.Op("MatMul", {a, w});
  b.Output(b.Op("Add", {mm, b.Constant("bias", RandomTensor({12}, 18))}));
  testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 0, {RandomTensor(kA, 19), RandomTensor({16, 12}, 20)});
}

TEST(MatMulAddFusion, LeavesAProductReadTwice) {
  GraphBuilder b;
  const ir::ValueId a = b.Input("a", kA);
  const ir::ValueId mm = b.Op("MatMul", {a, b.Constant("w", RandomTensor({16, 12}, 21))});
  b.Output(b.Op("Add", {mm, b.Constant("bias", RandomTensor({12}, 22))}));
  b.Output(mm);
  testing::RunPassAndCompare(b.graph(), FuseMatMulAdd, 0, {RandomTensor(kA, 23)});
}

}  // namespace
}  // namespace mlserving::optimizer

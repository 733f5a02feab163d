#include <gtest/gtest.h>

#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::GraphBuilder;
using testing::RandomTensor;

const Shape kX = {2, 5, 16};

struct Options {
  int opset = 13;              ///< 18: ReduceMean axes as an input
  bool square_by_mul = false;  ///< Mul(d, d) instead of Pow(d, 2)
  bool affine = true;          ///< Mul by gamma, Add beta
  std::vector<int64_t> axes = {-1};
  bool x_shape_known = true;
};

/// The decomposed LayerNorm of torch's exporter; returns the builder and the output.
ir::ValueId AddDecomposedLayerNorm(GraphBuilder& b, ir::ValueId x, const Options& o) {
  auto reduce_mean = [&](ir::ValueId v) {
    if (o.opset >= 18) {
      return b.Op("ReduceMean", {v, b.Constant("axes", Tensor::FromVector<int64_t>({1}, o.axes))}, {}, 18);
    }
    return b.Op("ReduceMean", {v}, {{"axes", testing::IntsAttr(o.axes)}}, o.opset);
  };
  const ir::ValueId mean = reduce_mean(x);
  const ir::ValueId d = b.Op("Sub", {x, mean});
  const ir::ValueId square = o.square_by_mul ? b.Op("Mul", {d, d}) : b.Op("Pow", {d, b.Scalar("two", 2.0f)});
  const ir::ValueId var = reduce_mean(square);
  const ir::ValueId std_dev = b.Op("Sqrt", {b.Op("Add", {var, b.Scalar("eps", 1e-5f)})});
  ir::ValueId y = b.Op("Div", {d, std_dev});
  if (o.affine) {
    y = b.Op("Mul", {y, b.Constant("gamma", RandomTensor({16}, 1, 0.5f, 1.5f))});
    y = b.Op("Add", {b.Constant("beta", RandomTensor({16}, 2)), y});
  }
  return y;
}

ir::Graph Build(const Options& o) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", kX);
  if (!o.x_shape_known) b.graph().value(x).type.has_shape = false;
  b.Output(AddDecomposedLayerNorm(b, x, o));
  return b.graph();
}

void ExpectOneLayerNorm(const ir::Graph& graph, size_t inputs) {
  ASSERT_EQ(graph.nodes().size(), 1u);
  const ir::Node& node = graph.nodes()[0];
  EXPECT_EQ(node.op_type, "LayerNormalization");
  EXPECT_EQ(node.inputs.size(), inputs);
  EXPECT_EQ(node.GetInt("axis", 0), -1);
  EXPECT_FLOAT_EQ(node.GetFloat("epsilon", 0), 1e-5f);
}

TEST(LayerNormFusion, FusesTorchOpset13Export) {
  const ir::Graph graph = Build({});
  ExpectOneLayerNorm(testing::RunPassAndCompare(graph, FuseLayerNorm, 1, {RandomTensor(kX, 3, -3.0f, 5.0f)}), 3);
}

TEST(LayerNormFusion, FusesOpset18AxesInputAndMulSquare) {
  Options o;
  o.opset = 18;
  o.square_by_mul = true;
  ExpectOneLayerNorm(testing::RunPassAndCompare(Build(o), FuseLayerNorm, 1, {RandomTensor(kX, 4)}), 3);
}

TEST(LayerNormFusion, FusesWithoutAffinePartAndAPositiveAxis) {
  Options o;
  o.affine = false;
  o.axes = {2};
  ExpectOneLayerNorm(testing::RunPassAndCompare(Build(o), FuseLayerNorm, 1, {RandomTensor(kX, 5)}), 2);
}

TEST(LayerNormFusion, FusesEveryLayerOfAStack) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", kX);
  ir::ValueId y = AddDecomposedLayerNorm(b, x, {});
  b.graph().value(y).type = b.graph().value(x).type;  // as shape inference records it
  y = AddDecomposedLayerNorm(b, b.Op("Relu", {y}, {}, 13, kX), {});
  b.Output(y);
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseLayerNorm, 2, {RandomTensor(kX, 6)});
  EXPECT_EQ(testing::CountOps(fused, "LayerNormalization"), 2);
  EXPECT_EQ(fused.nodes().size(), 3u);
}

TEST(LayerNormFusion, LeavesAnotherAxis) {
  Options o;
  o.axes = {1};
  testing::RunPassAndCompare(Build(o), FuseLayerNorm, 0, {RandomTensor(kX, 7)});
}

TEST(LayerNormFusion, TakesTheSizeFromGammaWhenTheShapeIsUnknown) {
  // As after torch's dynamic reshapes, which shape inference cannot follow.
  Options o;
  o.x_shape_known = false;
  ExpectOneLayerNorm(testing::RunPassAndCompare(Build(o), FuseLayerNorm, 1, {RandomTensor(kX, 8)}), 3);
}

TEST(LayerNormFusion, LeavesAnInputOfUnknownShapeWithoutGamma) {
  Options o;
  o.x_shape_known = false;
  o.affine = false;
  testing::RunPassAndCompare(Build(o), FuseLayerNorm, 0, {RandomTensor(kX, 8)});
}

TEST(LayerNormFusion, KeepsAMulByAScaleThatIsNotPerElement) {
  // Mul by a [5, 16] constant is not LayerNorm's gamma: the normalisation alone is fused.
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", kX);
  Options o;
  o.affine = false;
  const ir::ValueId norm = AddDecomposedLayerNorm(b, x, o);
  b.Output(b.Op("Mul", {norm, b.Constant("scale", RandomTensor({5, 16}, 10))}));
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseLayerNorm, 1, {RandomTensor(kX, 11)});
  EXPECT_EQ(testing::CountOps(fused, "LayerNormalization"), 1);
  EXPECT_EQ(testing::CountOps(fused, "Mul"), 1);
}

TEST(LayerNormFusion, LeavesAnIntermediateThatIsAGraphOutput) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", kX);
  b.Output(AddDecomposedLayerNorm(b, x, {}));
  b.Output(b.graph().nodes()[1].outputs[0]);  // d = x - mean
  testing::RunPassAndCompare(b.graph(), FuseLayerNorm, 0, {RandomTensor(kX, 9)});
}

}  // namespace
}  // namespace mlserving::optimizer

#include <gtest/gtest.h>

#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using namespace testing;  // NOLINT(build/namespaces): test harness vocabulary

TEST(ConstantFoldingTest, FoldsAChainOfConstantNodesAndKeepsTheRest) {
  GraphBuilder b;
  b.Input("x", {2, 3});
  b.Constant("a", Floats({2, 3}, {-1, 2, -3, 4, -5, 6}));
  b.Constant("c", Floats({3}, {0.5f, 0.25f, 2}));
  b.Node("Constant", {}, {"k"}, {{"value", TensorAttr(Floats({}, {3}))}});
  b.Node("Add", {"a", "c"}, {"ac"});
  b.Node("Relu", {"ac"}, {"r"});
  b.Node("Mul", {"r", "k"}, {"w"});
  b.Node("Mul", {"x", "w"}, {"y"});
  b.Output("y");
  int folded = 0;
  ir::Graph after = Rewritten(b.graph(), FoldConstants, &folded);
  EXPECT_EQ(folded, 4);
  ASSERT_EQ(after.nodes().size(), 1u);
  const ir::Value& w = after.value(b.Id("w"));
  ASSERT_TRUE(w.constant.has_value());
  EXPECT_EQ(w.type.shape, (Shape{2, 3}));
  const float* wv = w.constant->data<float>();
  EXPECT_FLOAT_EQ(wv[0], 0);      // relu(-1 + 0.5) * 3
  EXPECT_FLOAT_EQ(wv[1], 6.75f);  // (2 + 0.25) * 3
  ExpectSameOutputs(b.graph(), after, {Iota({2, 3})});
}

TEST(ConstantFoldingTest, AFoldedGraphOutputKeepsItsId) {
  GraphBuilder b;
  b.Input("x", {2});
  b.Node("Constant", {}, {"k"}, {{"value", TensorAttr(Floats({2}, {1, 2}))}});
  b.Node("Neg", {"k"}, {"out"});
  b.Node("Add", {"x", "k"}, {"sum"});
  b.Output("out");
  b.Output("sum");
  ir::Graph after = Rewritten(b.graph(), FoldConstants);
  ASSERT_EQ(after.outputs().size(), 2u);
  EXPECT_EQ(after.outputs()[0], b.Id("out"));
  EXPECT_TRUE(after.value(b.Id("out")).constant.has_value());
  EXPECT_EQ(CountOps(after, "Neg"), 0);
  ExpectSameOutputs(b.graph(), after, {Floats({2}, {5, 7})});
}

TEST(ConstantFoldingTest, FoldsShapeOfStaticShapesAndKnownDimsOfSymbolicOnes) {
  GraphBuilder b;
  b.Input("x", {-1, 3, 4}, DType::kFloat32, {"N", "", ""});
  b.Input("s", {2, 6});
  b.Constant("one", Tensor::Scalar<int64_t>(1));
  b.Constant("zero", Tensor::Scalar<int64_t>(0));
  b.Constant("starts", Int64s({1}));
  b.Constant("ends", Int64s({3}));
  b.Node("Shape", {"x"}, {"xs"});
  b.Node("Gather", {"xs", "one"}, {"channels"});        // 3: folds
  b.Node("Gather", {"xs", "zero"}, {"batch"});          // N: stays
  b.Node("Slice", {"xs", "starts", "ends"}, {"tail"});  // [3, 4]: folds
  b.Node("Shape", {"s"}, {"ss"});                       // [2, 6]: folds
  b.Node("Size", {"s"}, {"size"});                      // 12: folds
  b.Node("Reshape", {"s", "ss"}, {"same"});             // reads an input: stays
  b.Output("channels");
  b.Output("batch");
  b.Output("tail");
  b.Output("size");
  b.Output("same");
  ir::Graph after = Rewritten(b.graph(), FoldConstants);
  EXPECT_EQ(after.value(b.Id("channels")).constant->data<int64_t>()[0], 3);
  EXPECT_FALSE(after.value(b.Id("batch")).constant.has_value());
  ASSERT_TRUE(after.value(b.Id("tail")).constant.has_value());
  EXPECT_EQ(after.value(b.Id("tail")).constant->shape(), (Shape{2}));
  EXPECT_EQ(after.value(b.Id("tail")).constant->data<int64_t>()[1], 4);
  EXPECT_EQ(after.value(b.Id("size")).constant->data<int64_t>()[0], 12);
  EXPECT_TRUE(after.value(b.Id("ss")).constant.has_value());
  EXPECT_EQ(CountOps(after, "Reshape"), 1);
  EXPECT_EQ(CountOps(after, "Shape"), 1);  // the one feeding `batch`
  ExpectSameOutputs(b.graph(), after, {Iota({5, 3, 4}), Iota({2, 6})});
}

TEST(ConstantFoldingTest, ShapesInferredFromFoldedConstantsFoldInTheNextRound) {
  GraphBuilder b;
  b.Input("x", {2, 6});
  b.Constant("dims", Int64s({3, 4}));
  b.Node("Identity", {"dims"}, {"shape"});   // folds in round 1
  b.Node("Reshape", {"x", "shape"}, {"r"});  // then [3,4] is known
  b.Node("Shape", {"r"}, {"rs"});            // and folds in round 2
  b.Node("Cast", {"rs"}, {"y"}, {{"to", IntAttr(1)}});
  b.Output("y");
  ir::Graph after = Rewritten(b.graph(), FoldConstants);
  ASSERT_TRUE(after.value(b.Id("y")).constant.has_value());
  EXPECT_EQ(after.value(b.Id("y")).constant->data<float>()[1], 4.0f);
  ExpectSameOutputs(b.graph(), after, {Iota({2, 6})});
}

TEST(ConstantFoldingTest, LeavesLargeRandomFailingAndTrainingNodesAlone) {
  GraphBuilder b;
  b.Input("x", {2});
  b.Constant("big", Int64s({1024, 1024}));  // 4 MiB of float from 16 bytes
  b.Constant("small", Int64s({2, 2}));
  b.Constant("bad_shape", Int64s({7}));
  b.Constant("values", Iota({2, 3}));
  b.Constant("training", Tensor::FromBools({}, {true}));
  b.Node("ConstantOfShape", {"big"}, {"huge"});
  b.Node("ConstantOfShape", {"small"}, {"tiny"});
  b.Node("RandomUniform", {}, {"noise"}, {{"shape", IntsAttr({2})}});
  b.Node("Reshape", {"values", "bad_shape"}, {"broken"});
  b.Node("Dropout", {"values", "", "training"}, {"dropped"}, {}, 13);
  b.Output("huge");
  b.Output("tiny");
  b.Output("noise");
  b.Output("broken");
  b.Output("dropped");
  int folded = 0;
  ir::Graph after = Rewritten(b.graph(), FoldConstants, &folded);
  EXPECT_EQ(folded, 1);
  EXPECT_TRUE(after.value(b.Id("tiny")).constant.has_value());
  EXPECT_EQ(CountOps(after, "ConstantOfShape"), 1);
  EXPECT_EQ(CountOps(after, "RandomUniform"), 1);
  EXPECT_EQ(CountOps(after, "Reshape"), 1);
  EXPECT_EQ(CountOps(after, "Dropout"), 1);
}

}  // namespace
}  // namespace mlserving::optimizer

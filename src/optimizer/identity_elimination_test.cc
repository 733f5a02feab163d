#include <gtest/gtest.h>

#include <memory>

#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using namespace testing;  // NOLINT(build/namespaces): test harness vocabulary

TEST(IdentityEliminationTest, RemovesPassThroughNodesAndRewiresTheirReaders) {
  GraphBuilder b;
  b.Input("x", {-1, 3}, DType::kFloat32, {"N", ""});
  b.Constant("ratio", Floats({}, {0.3f}));
  b.Constant("keep", Int64s({0, 3}));
  b.Constant("training", Tensor::FromBools({}, {false}));
  b.Node("Identity", {"x"}, {"i1"});
  b.Node("Dropout", {"i1", "ratio", "training"}, {"d", ""}, {}, 13);
  b.Node("Cast", {"d"}, {"c"}, {{"to", IntAttr(1)}});  // float -> float
  b.Node("Reshape", {"c", "keep"}, {"r"});             // [N,3] -> [N,3]
  b.Node("Dropout", {"r"}, {"d_old"}, {{"ratio", FloatAttr(0.5f)}}, 10);
  b.Node("Relu", {"d_old"}, {"y"});
  b.Node("Cast", {"y"}, {"yi"}, {{"to", IntAttr(7)}});  // a real conversion: stays
  b.Output("yi");
  int removed = 0;
  ir::Graph after = Rewritten(b.graph(), EliminateIdentities, &removed);
  EXPECT_EQ(removed, 5);
  ASSERT_EQ(after.nodes().size(), 2u);
  EXPECT_EQ(after.nodes()[0].op_type, "Relu");
  EXPECT_EQ(after.nodes()[0].inputs[0], b.Id("x"));
  ExpectSameOutputs(b.graph(), after, {Floats({2, 3}, {-1, 2, -3, 4.5f, 5, -6})});
}

TEST(IdentityEliminationTest, KeepsNodesThatChangeSomething) {
  GraphBuilder b;
  b.Input("x", {-1, 3});
  b.Constant("keep", Int64s({3, -1}));
  b.Constant("training", Tensor::FromBools({}, {true}));
  b.Node("Reshape", {"x", "keep"}, {"r"});                  // [?,3] -> [3,?]
  b.Node("Dropout", {"r"}, {"d", "mask"}, {}, 13);          // the mask is read
  b.Node("Dropout", {"d", "", "training"}, {"t"}, {}, 13);  // training mode
  b.Node("Cast", {"mask"}, {"m"}, {{"to", IntAttr(1)}});
  b.Node("Add", {"t", "m"}, {"y"});
  b.Output("y");
  int removed = 0;
  ir::Graph after = Rewritten(b.graph(), EliminateIdentities, &removed);
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(after.nodes().size(), b.graph().nodes().size());
}

TEST(IdentityEliminationTest, ReshapesThatCopyAnUnnamedDynamicDimAreNoOps) {
  GraphBuilder b;
  b.Input("x", {-1, 3});
  b.Constant("copy", Int64s({0, 3}));
  b.Constant("infer", Int64s({-1, 3}));
  b.Constant("axes", Int64s({1}));
  b.Node("Reshape", {"x", "copy"}, {"r1"});
  b.Node("Reshape", {"r1", "infer"}, {"r2"});
  b.Node("Unsqueeze", {"r2", "axes"}, {"u"});  // [?,1,3]: a real change
  b.Node("Relu", {"u"}, {"y"});
  b.Output("y");
  int removed = 0;
  ir::Graph after = Rewritten(b.graph(), EliminateIdentities, &removed);
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(CountOps(after, "Reshape"), 0);
  EXPECT_EQ(CountOps(after, "Unsqueeze"), 1);
  ExpectSameOutputs(b.graph(), after, {Iota({4, 3})});
}

TEST(IdentityEliminationTest, AGraphOutputIdMovesToTheProducer) {
  GraphBuilder b;
  b.Input("x", {2});
  b.Node("Relu", {"x"}, {"r"});
  b.Node("Identity", {"r"}, {"y"});            // y is an output, r is not: Relu now produces y
  b.Node("Neg", {"r"}, {"n"});                 // reads r: rewired to y
  b.Node("Identity", {"x"}, {"passthrough"});  // x is a graph input: the Identity stays
  b.Output("y");
  b.Output("n");
  b.Output("passthrough");
  int removed = 0;
  ir::Graph after = Rewritten(b.graph(), EliminateIdentities, &removed);
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(after.outputs(), b.graph().outputs());
  EXPECT_EQ(after.nodes()[0].outputs[0], b.Id("y"));
  EXPECT_EQ(CountOps(after, "Identity"), 1);
  ExpectSameOutputs(b.graph(), after, {Floats({2}, {-1, 3})});
}

TEST(IdentityEliminationTest, DoesNotReplaceValuesReadBySubgraphs) {
  GraphBuilder branch;
  branch.Node("Neg", {"alias"}, {"out"});
  branch.Output("out");
  ir::Attribute body;
  body.kind = ir::Attribute::Kind::kGraph;
  body.g = std::make_shared<const ir::Graph>(branch.graph());
  GraphBuilder b;
  b.Input("x", {2});
  b.Input("c", {}, DType::kBool);
  b.Node("Relu", {"x"}, {"r"});
  b.Node("Identity", {"r"}, {"alias"});  // the branches read `alias` by name
  b.Node("If", {"c"}, {"y"}, {{"then_branch", body}, {"else_branch", body}});
  b.Output("y");
  int removed = 0;
  ir::Graph after = Rewritten(b.graph(), EliminateIdentities, &removed);
  EXPECT_EQ(removed, 0);
  ExpectSameOutputs(b.graph(), after, {Floats({2}, {-1, 3}), Tensor::FromBools({}, {true})});
}

}  // namespace
}  // namespace mlserving::optimizer

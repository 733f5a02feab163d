#include <gtest/gtest.h>

#include <memory>

#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::CountOps;
using testing::ExpectSameOutputs;
using testing::GraphBuilder;
using testing::Iota;
using testing::Rewritten;

TEST(DeadNodeEliminationTest, RemovesUnreadChainsAndKeepsWhatOutputsNeed) {
  GraphBuilder b;
  b.Input("x", {2, 3});
  b.Node("Relu", {"x"}, {"r"});
  b.Node("Exp", {"r"}, {"dead1"});                                                       // read only by dead2
  b.Node("Neg", {"dead1"}, {"dead2"});                                                   // read by nobody
  b.Node("Split", {"r"}, {"half0", "half1", "half2"}, {{"axis", testing::IntAttr(1)}});  // half1 is read: stays
  b.Node("Sigmoid", {"r"}, {"y"});
  b.Output("y");
  b.Output("half1");
  int removed = 0;
  ir::Graph after = Rewritten(b.graph(), EliminateDeadNodes, &removed);
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(CountOps(after, "Exp"), 0);
  EXPECT_EQ(CountOps(after, "Neg"), 0);
  EXPECT_EQ(CountOps(after, "Split"), 1);
  EXPECT_EQ(after.outputs(), b.graph().outputs());
  ExpectSameOutputs(b.graph(), after, {Iota({2, 3})});
}

TEST(DeadNodeEliminationTest, ReleasesConstantsNobodyReads) {
  GraphBuilder b;
  b.Input("x", {3});
  b.Constant("used", Iota({3}));
  b.Constant("unused", Iota({3}));
  b.Constant("only_dead", Iota({3}));
  b.Constant("output", Iota({2}));
  b.Node("Add", {"x", "used"}, {"y"});
  b.Node("Mul", {"x", "only_dead"}, {"dead"});
  b.Output("y");
  b.Output("output");
  ir::Graph after = Rewritten(b.graph(), EliminateDeadNodes);
  EXPECT_TRUE(after.value(b.Id("used")).constant.has_value());
  EXPECT_TRUE(after.value(b.Id("output")).constant.has_value());
  EXPECT_FALSE(after.value(b.Id("unused")).constant.has_value());
  EXPECT_FALSE(after.value(b.Id("only_dead")).constant.has_value());
  ExpectSameOutputs(b.graph(), after, {Iota({3})});
}

TEST(DeadNodeEliminationTest, KeepsProducersOfValuesReadBySubgraphs) {
  // then/else branches read `t` from the enclosing graph by name.
  auto branch = [](const std::string& op) {
    GraphBuilder g;
    g.Node(op, {"t"}, {"out"});
    g.Output("out");
    return std::make_shared<const ir::Graph>(g.graph());
  };
  GraphBuilder b;
  b.Input("x", {3});
  b.Input("c", {}, DType::kBool);
  b.Node("Relu", {"x"}, {"t"});  // read only through the subgraphs
  b.Node("Exp", {"x"}, {"unused"});
  ir::Attribute then_branch, else_branch;
  then_branch.kind = else_branch.kind = ir::Attribute::Kind::kGraph;
  then_branch.g = branch("Neg");
  else_branch.g = branch("Abs");
  b.Node("If", {"c"}, {"y"}, {{"then_branch", then_branch}, {"else_branch", else_branch}});
  b.Output("y");
  int removed = 0;
  ir::Graph after = Rewritten(b.graph(), EliminateDeadNodes, &removed);
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(CountOps(after, "Relu"), 1);
  EXPECT_EQ(CountOps(after, "If"), 1);
  ExpectSameOutputs(b.graph(), after, {Iota({3}), Tensor::FromBools({}, {true})});
  ExpectSameOutputs(b.graph(), after, {Iota({3}), Tensor::FromBools({}, {false})});
}

}  // namespace
}  // namespace mlserving::optimizer

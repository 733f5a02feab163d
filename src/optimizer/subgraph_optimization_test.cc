// Optimize() on graphs whose control-flow nodes hold subgraphs: the bodies are optimized too
// (fewer nodes), the outputs stay the same, and values read by name across scopes survive.
#include <gtest/gtest.h>

#include <memory>

#include "optimizer/optimizer.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::CountOps;
using testing::ExpectSameOutputs;
using testing::Floats;
using testing::GraphBuilder;
using testing::Int64s;
using testing::Iota;

ir::Attribute GraphAttr(const ir::Graph& graph) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kGraph;
  a.g = std::make_shared<const ir::Graph>(graph);
  return a;
}

/// The subgraph `attribute` of the first `op` node of `graph`.
const ir::Graph& Body(const ir::Graph& graph, const std::string& op, const std::string& attribute) {
  for (const ir::Node& node : graph.nodes()) {
    if (node.op_type == op) return *node.attributes.at(attribute).g;
  }
  ADD_FAILURE() << "no " << op << " node";
  return graph;
}

/// If(c) whose then-branch reads the outer `x` and holds foldable constants (Add(k, k)), an
/// Identity, and a MatMul + bias Add + Relu the fusions turn into one node; the else-branch
/// reads the outer `alias`, which an outer Identity produces.
ir::Graph IfModel() {
  GraphBuilder then_branch;
  then_branch.Constant("k", Iota({3}));
  then_branch.Constant("shape", Int64s({2, 3}));
  then_branch.Constant("w", testing::RandomTensor({3, 4}, 1));
  then_branch.Constant("bias", testing::RandomTensor({4}, 2));
  then_branch.Node("Add", {"k", "k"}, {"kk"});
  then_branch.Node("Identity", {"x"}, {"ix"});
  then_branch.Node("Reshape", {"ix", "shape"}, {"rx"});
  then_branch.Node("Add", {"rx", "kk"}, {"shifted"});
  then_branch.Node("MatMul", {"shifted", "w"}, {"mm"});
  then_branch.Node("Add", {"mm", "bias"}, {"biased"});
  then_branch.Node("Relu", {"biased"}, {"then_out"});
  then_branch.Output("then_out");

  GraphBuilder else_branch;
  else_branch.Constant("w", testing::RandomTensor({3, 4}, 3));
  else_branch.Node("Identity", {"alias"}, {"ia"});
  else_branch.Node("MatMul", {"ia", "w"}, {"else_out"});
  else_branch.Output("else_out");

  GraphBuilder b;
  b.Input("x", {2, 3});
  b.Input("c", {}, DType::kBool);
  b.Node("Neg", {"x"}, {"neg"});
  b.Node("Identity", {"neg"}, {"alias"});  // read by name from the else-branch: must stay
  b.Node("If", {"c"}, {"y"},
         {{"then_branch", GraphAttr(then_branch.graph())}, {"else_branch", GraphAttr(else_branch.graph())}});
  b.Output("y");
  return b.graph();
}

TEST(SubgraphOptimizationTest, IfBranchesAreOptimizedAndGiveTheSameOutputs) {
  const ir::Graph model = IfModel();
  ir::Graph optimized = model;
  Result<OptimizationReport> report = Optimize(optimized, kernels::KernelRegistry::Default(), OptimizationLevel::kAll);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const ir::Graph& then_before = Body(model, "If", "then_branch");
  const ir::Graph& then_after = Body(optimized, "If", "then_branch");
  EXPECT_LT(then_after.nodes().size(), then_before.nodes().size()) << report->Summary();
  EXPECT_EQ(CountOps(then_after, "Identity"), 0);
  EXPECT_EQ(CountOps(then_after, "MatMul"), 0) << "MatMul + Add + Relu not fused: " << report->Summary();
  // The constant Add(k, k) was folded: one Add (of the outer-derived value) is left at most.
  EXPECT_LE(CountOps(then_after, "Add"), 1);
  EXPECT_EQ(CountOps(Body(optimized, "If", "else_branch"), "Identity"), 0);
  // The outer Identity producing `alias` is read by name by the else-branch: kept.
  EXPECT_EQ(CountOps(optimized, "Identity"), 1);
  // The counts include the subgraphs' rewrites.
  EXPECT_NE(report->Summary().find("constant_folding="), std::string::npos) << report->Summary();
  EXPECT_NE(report->Summary().find("identity_elimination="), std::string::npos) << report->Summary();
  for (bool c : {true, false}) {
    SCOPED_TRACE(c ? "then" : "else");
    ExpectSameOutputs(model, optimized, {testing::RandomTensor({2, 3}, 4), Tensor::FromBools({}, {c})},
                      testing::Tolerance::RelativeToMaxOne(1e-5));
  }
  // The original graph's subgraphs are untouched (the optimizer replaced them by copies).
  EXPECT_EQ(Body(model, "If", "then_branch").nodes().size(), 7u);
}

/// Loop(3 iterations) carrying v: v = v * scale + Add(k, k) + zeros shaped like v, with the scale
/// read from the outer graph, and a scan output Sqrt(Abs(v)) through an Identity.
ir::Graph LoopModel() {
  GraphBuilder body;
  body.Input("iteration", {}, DType::kInt64);
  body.Input("cond_in", {}, DType::kBool);
  body.Input("v_in", {2, 3});  // declared, not checked by the engine: the optimizer must not trust it
  body.Constant("k", Iota({3}));
  body.Node("Add", {"k", "k"}, {"kk"});
  body.Node("Mul", {"v_in", "scale"}, {"scaled"});
  body.Node("Add", {"scaled", "kk"}, {"shifted"});
  // Zeros shaped like v: Shape(v_in) would fold to [2, 3] if the declaration were trusted.
  body.Node("Shape", {"v_in"}, {"v_shape"});
  body.Node("ConstantOfShape", {"v_shape"}, {"zeros"});
  body.Node("Add", {"shifted", "zeros"}, {"v_out"});
  body.Node("Identity", {"cond_in"}, {"cond_out"});
  body.Node("Identity", {"v_out"}, {"copy"});
  body.Node("Abs", {"copy"}, {"abs"});
  body.Node("Sqrt", {"abs"}, {"scan_out"});
  body.Output("cond_out");
  body.Output("v_out");
  body.Output("scan_out");

  GraphBuilder b;
  b.Input("x", {-1, 3});
  b.Constant("trips", Tensor::Scalar<int64_t>(3));
  b.Constant("go", Tensor::FromBools({}, {true}));
  b.Constant("half", Floats({1}, {0.5f}));
  b.Node("Identity", {"half"}, {"scale"});  // read by name from the body
  b.Node("Loop", {"trips", "go", "x"}, {"v_final", "scans"}, {{"body", GraphAttr(body.graph())}}, 16);
  b.Output("v_final");
  b.Output("scans");
  return b.graph();
}

TEST(SubgraphOptimizationTest, LoopBodyIsOptimizedWithoutTrustingItsDeclaredInputs) {
  const ir::Graph model = LoopModel();
  for (OptimizationLevel level : {OptimizationLevel::kBasic, OptimizationLevel::kAll}) {
    ir::Graph optimized = model;
    Result<OptimizationReport> report = Optimize(optimized, kernels::KernelRegistry::Default(), level);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    const ir::Graph& before = Body(model, "Loop", "body");
    const ir::Graph& after = Body(optimized, "Loop", "body");
    EXPECT_EQ(after.nodes().size(), before.nodes().size() - 2) << report->Summary();  // Add(k, k), one Identity
    EXPECT_EQ(CountOps(after, "Identity"), 1);  // cond_out = cond_in: a body input passed to an output
    // The body's interface is unchanged: same inputs, outputs and declared input types.
    ASSERT_EQ(after.inputs().size(), 3u);
    EXPECT_EQ(after.value(after.inputs()[2]).type.shape, (Shape{2, 3}));
    EXPECT_EQ(after.value(after.outputs()[1]).name, "v_out");
    // x has 4 rows while the body declares [2, 3]: the run must still match the unoptimized one.
    ExpectSameOutputs(model, optimized, {testing::RandomTensor({4, 3}, 5)});
  }
}

TEST(SubgraphOptimizationTest, NoneLeavesSubgraphsAlone) {
  const ir::Graph model = IfModel();
  ir::Graph untouched = model;
  ASSERT_TRUE(Optimize(untouched, kernels::KernelRegistry::Default(), OptimizationLevel::kNone).ok());
  EXPECT_EQ(untouched.nodes()[2].attributes.at("then_branch").g, model.nodes()[2].attributes.at("then_branch").g);
}

}  // namespace
}  // namespace mlserving::optimizer

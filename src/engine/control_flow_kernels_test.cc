// If, Loop, Scan and SequenceMap through the engine, on graphs built by hand: subgraphs read
// outer-scope values (also two levels up), loops carry state and scan outputs, and a Loop with a
// huge trip count stops at the iteration bound or the deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph_evaluator.h"
#include "ir/make_attribute.h"
#include "kernels/registry.h"

namespace mlserving::engine {
namespace {

using ir::IntAttr;
using ir::IntsAttr;

ir::Attribute GraphAttr(ir::Graph g) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kGraph;
  a.g = std::make_shared<const ir::Graph>(std::move(g));
  return a;
}

/// Adds a node reading and writing values by name (created on first use); "" is an omitted input.
void AddNode(ir::Graph& g, const std::string& op, const std::vector<std::string>& inputs,
             const std::vector<std::string>& outputs, std::map<std::string, ir::Attribute> attrs = {}, int opset = 16) {
  ir::Node node;
  node.op_type = op;
  node.opset = opset;
  node.name = op + "_" + std::to_string(g.nodes().size());
  for (const auto& in : inputs) node.inputs.push_back(in.empty() ? ir::kNoValue : g.GetOrAddValue(in));
  for (const auto& out : outputs) node.outputs.push_back(g.GetOrAddValue(out));
  node.attributes = std::move(attrs);
  g.nodes().push_back(std::move(node));
}

void SetInputs(ir::Graph& g, const std::vector<std::string>& names) {
  for (const auto& n : names) g.inputs().push_back(g.GetOrAddValue(n));
}
void SetOutputs(ir::Graph& g, const std::vector<std::string>& names) {
  for (const auto& n : names) g.outputs().push_back(g.GetOrAddValue(n));
}

std::unique_ptr<GraphEvaluator> Prepare(ir::Graph g) {
  EXPECT_TRUE(g.SortTopologically().ok());
  auto evaluator = GraphEvaluator::Create(std::move(g), kernels::KernelRegistry::Default());
  EXPECT_TRUE(evaluator.ok()) << evaluator.status().message();
  return evaluator.ok() ? std::move(evaluator).value() : nullptr;
}

std::vector<float> Floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.num_elements()}; }

/// y = If(cond) then x + x else -x, both branches reading the outer `x`.
TEST(ControlFlowTest, IfRunsTheChosenBranchWithOuterScopeValues) {
  ir::Graph then_branch;
  then_branch.GetOrAddValue("x");  // outer-scope value, as the importer declares it
  AddNode(then_branch, "Add", {"x", "x"}, {"then_y"});
  SetOutputs(then_branch, {"then_y"});
  ir::Graph else_branch;
  else_branch.GetOrAddValue("x");
  AddNode(else_branch, "Neg", {"x"}, {"else_y"});
  SetOutputs(else_branch, {"else_y"});

  ir::Graph g;
  SetInputs(g, {"cond", "x"});
  AddNode(g, "If", {"cond"}, {"y"},
          {{"then_branch", GraphAttr(std::move(then_branch))}, {"else_branch", GraphAttr(std::move(else_branch))}});
  SetOutputs(g, {"y"});
  auto evaluator = Prepare(std::move(g));
  ASSERT_NE(evaluator, nullptr);

  Tensor x = Tensor::FromVector<float>({2}, {1.5f, -2.0f});
  auto yes = evaluator->Run({Tensor::FromBools({}, {true}), x}, EvaluationContext{});
  ASSERT_TRUE(yes.ok()) << yes.status().message();
  EXPECT_EQ(Floats((*yes)[0]), (std::vector<float>{3.0f, -4.0f}));
  auto no = evaluator->Run({Tensor::FromBools({1}, {false}), x}, EvaluationContext{});
  ASSERT_TRUE(no.ok()) << no.status().message();
  EXPECT_EQ(Floats((*no)[0]), (std::vector<float>{-1.5f, 2.0f}));
  // A condition with more than one element is the caller's error, not a crash.
  auto bad = evaluator->Run({Tensor::FromBools({2}, {true, false}), x}, EvaluationContext{});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

/// acc, scan = Loop(M, cond, init): acc += step (outer) each iteration; scan collects acc.
ir::Graph AccumulateLoopGraph() {
  ir::Graph body;
  body.GetOrAddValue("step");
  SetInputs(body, {"i", "cond_in", "acc_in"});
  AddNode(body, "Add", {"acc_in", "step"}, {"acc_out"});
  AddNode(body, "Identity", {"cond_in"}, {"cond_out"});
  AddNode(body, "Identity", {"acc_out"}, {"scan_out"});
  SetOutputs(body, {"cond_out", "acc_out", "scan_out"});

  ir::Graph g;
  SetInputs(g, {"M", "cond", "init", "step"});
  AddNode(g, "Loop", {"M", "cond", "init"}, {"acc", "scan"}, {{"body", GraphAttr(std::move(body))}});
  SetOutputs(g, {"acc", "scan"});
  return g;
}

TEST(ControlFlowTest, LoopCarriesStateAndStacksScanOutputs) {
  auto evaluator = Prepare(AccumulateLoopGraph());
  ASSERT_NE(evaluator, nullptr);
  auto out = evaluator->Run({Tensor::Scalar<int64_t>(3), Tensor::FromBools({}, {true}),
                             Tensor::FromVector<float>({1}, {1.0f}), Tensor::FromVector<float>({1}, {2.0f})},
                            EvaluationContext{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Floats((*out)[0]), (std::vector<float>{7.0f}));
  EXPECT_EQ((*out)[1].shape(), (Shape{3, 1}));
  EXPECT_EQ(Floats((*out)[1]), (std::vector<float>{3.0f, 5.0f, 7.0f}));

  // Zero iterations: the state passes through, the scan output is empty.
  auto none = evaluator->Run({Tensor::Scalar<int64_t>(0), Tensor::FromBools({}, {true}),
                              Tensor::FromVector<float>({1}, {1.0f}), Tensor::FromVector<float>({1}, {2.0f})},
                             EvaluationContext{});
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_EQ(Floats((*none)[0]), (std::vector<float>{1.0f}));
  EXPECT_EQ((*none)[1].num_elements(), 0);
}

TEST(ControlFlowTest, LoopWithAHugeTripCountStopsAtTheIterationBound) {
  auto evaluator = Prepare(AccumulateLoopGraph());
  ASSERT_NE(evaluator, nullptr);
  EvaluationContext ctx;
  ctx.max_loop_iterations = 100;
  auto out = evaluator->Run({Tensor::Scalar<int64_t>(int64_t{1} << 50), Tensor(), Tensor::FromVector<float>({1}, {0}),
                             Tensor::FromVector<float>({1}, {1.0f})},
                            ctx);
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted) << out.status().message();
}

TEST(ControlFlowTest, LoopWithAHugeTripCountStopsAtTheDeadline) {
  EvaluationContext ctx;
  ctx.max_loop_iterations = INT64_MAX;
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  // Omitted M and cond: an unbounded loop without scan outputs, so memory stays flat.
  ir::Graph body;
  SetInputs(body, {"i", "cond_in", "acc_in"});
  AddNode(body, "Identity", {"cond_in"}, {"cond_out"});
  AddNode(body, "Identity", {"acc_in"}, {"acc_out"});
  SetOutputs(body, {"cond_out", "acc_out"});
  ir::Graph g;
  SetInputs(g, {"init"});
  AddNode(g, "Loop", {"", "", "init"}, {"acc"}, {{"body", GraphAttr(std::move(body))}});
  SetOutputs(g, {"acc"});
  auto unbounded = Prepare(std::move(g));
  ASSERT_NE(unbounded, nullptr);
  auto start = std::chrono::steady_clock::now();
  auto out = unbounded->Run({Tensor::FromVector<float>({1}, {0})}, ctx);
  EXPECT_EQ(out.status().code(), StatusCode::kDeadlineExceeded) << out.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

/// Scan (opset 9+): running sum over the rows of x, forward or reversed.
std::unique_ptr<GraphEvaluator> RunningSumScan(int64_t input_direction, int64_t output_direction) {
  ir::Graph body;
  SetInputs(body, {"sum_in", "row"});
  AddNode(body, "Add", {"sum_in", "row"}, {"sum_out"});
  AddNode(body, "Identity", {"sum_out"}, {"partial"});
  SetOutputs(body, {"sum_out", "partial"});
  ir::Graph g;
  SetInputs(g, {"init", "x"});
  AddNode(g, "Scan", {"init", "x"}, {"sum", "partials"},
          {{"body", GraphAttr(std::move(body))},
           {"num_scan_inputs", IntAttr(1)},
           {"scan_input_directions", IntsAttr({input_direction})},
           {"scan_output_directions", IntsAttr({output_direction})}},
          11);
  SetOutputs(g, {"sum", "partials"});
  return Prepare(std::move(g));
}

TEST(ControlFlowTest, ScanSumsRowsAndStacksPartials) {
  Tensor init = Tensor::FromVector<float>({2}, {0, 0});
  Tensor x = Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  auto forward = RunningSumScan(0, 0);
  ASSERT_NE(forward, nullptr);
  auto out = forward->Run({init, x}, EvaluationContext{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Floats((*out)[0]), (std::vector<float>{9, 12}));
  EXPECT_EQ((*out)[1].shape(), (Shape{3, 2}));
  EXPECT_EQ(Floats((*out)[1]), (std::vector<float>{1, 2, 4, 6, 9, 12}));

  // Reversed input: rows 5 6, then 3 4, then 1 2; reversed output puts the last partial first.
  auto reversed = RunningSumScan(1, 1);
  ASSERT_NE(reversed, nullptr);
  out = reversed->Run({init, x}, EvaluationContext{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Floats((*out)[1]), (std::vector<float>{9, 12, 8, 10, 5, 6}));
}

/// Loop whose body holds an If whose branch reads a value defined two scopes up.
TEST(ControlFlowTest, NestedSubgraphsReadValuesTwoScopesUp) {
  ir::Graph then_branch;
  then_branch.GetOrAddValue("offset");
  then_branch.GetOrAddValue("acc_in");
  AddNode(then_branch, "Add", {"acc_in", "offset"}, {"then_out"});
  SetOutputs(then_branch, {"then_out"});
  ir::Graph else_branch;
  else_branch.GetOrAddValue("acc_in");
  AddNode(else_branch, "Identity", {"acc_in"}, {"else_out"});
  SetOutputs(else_branch, {"else_out"});

  ir::Graph body;
  body.GetOrAddValue("offset");
  SetInputs(body, {"i", "cond_in", "acc_in"});
  AddNode(body, "If", {"cond_in"}, {"acc_out"},
          {{"then_branch", GraphAttr(std::move(then_branch))}, {"else_branch", GraphAttr(std::move(else_branch))}});
  AddNode(body, "Identity", {"cond_in"}, {"cond_out"});
  SetOutputs(body, {"cond_out", "acc_out"});

  ir::Graph g;
  SetInputs(g, {"M", "init", "offset"});
  AddNode(g, "Loop", {"M", "", "init"}, {"acc"}, {{"body", GraphAttr(std::move(body))}});
  SetOutputs(g, {"acc"});
  EXPECT_EQ(ir::ImplicitInputs(g.nodes()[0]), (std::vector<std::string>{"offset"}));
  auto evaluator = Prepare(std::move(g));
  ASSERT_NE(evaluator, nullptr);
  auto out = evaluator->Run(
      {Tensor::Scalar<int64_t>(4), Tensor::FromVector<float>({1}, {1}), Tensor::FromVector<float>({1}, {0.5f})},
      EvaluationContext{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Floats((*out)[0]), (std::vector<float>{3.0f}));
}

TEST(ControlFlowTest, SequenceMapAppliesTheBodyToEachElement) {
  ir::Graph body;
  SetInputs(body, {"element", "bias"});
  AddNode(body, "Add", {"element", "bias"}, {"shifted"});
  SetOutputs(body, {"shifted"});
  ir::Graph g;
  SetInputs(g, {"seq", "bias"});
  AddNode(g, "SequenceMap", {"seq", "bias"}, {"out"}, {{"body", GraphAttr(std::move(body))}}, 17);
  SetOutputs(g, {"out"});
  auto evaluator = Prepare(std::move(g));
  ASSERT_NE(evaluator, nullptr);
  TensorSequence seq{DType::kFloat32, {Tensor::FromVector<float>({1}, {1}), Tensor::FromVector<float>({2}, {2, 3})}};
  auto out = evaluator->RunValues({Value(seq), Value(Tensor::FromVector<float>({1}, {10}))}, {}, EvaluationContext{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_TRUE((*out)[0].is_sequence());
  const TensorSequence& result = (*out)[0].sequence();
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(Floats(result.tensors[0]), (std::vector<float>{11}));
  EXPECT_EQ(Floats(result.tensors[1]), (std::vector<float>{12, 13}));
}

TEST(ControlFlowTest, TheTensorInterfaceRefusesASequenceOutput) {
  ir::Graph g;
  SetInputs(g, {"x"});
  AddNode(g, "SequenceConstruct", {"x", "x"}, {"seq"});
  SetOutputs(g, {"seq"});
  auto evaluator = Prepare(std::move(g));
  ASSERT_NE(evaluator, nullptr);
  Tensor x = Tensor::FromVector<float>({1}, {1});
  EXPECT_EQ(evaluator->Run({x}, EvaluationContext{}).status().code(), StatusCode::kInvalidArgument);
  auto values = evaluator->RunValues({Value(x)}, {}, EvaluationContext{});
  ASSERT_TRUE(values.ok()) << values.status().message();
  EXPECT_EQ((*values)[0].sequence().size(), 2u);
}

TEST(ControlFlowTest, ASubgraphReadingAnUndefinedOuterValueIsRejectedAtLoad) {
  ir::Graph then_branch;
  then_branch.GetOrAddValue("nowhere");
  AddNode(then_branch, "Identity", {"nowhere"}, {"y"});
  SetOutputs(then_branch, {"y"});
  ir::Graph else_branch = then_branch;
  ir::Graph g;
  SetInputs(g, {"cond"});
  AddNode(g, "If", {"cond"}, {"out"},
          {{"then_branch", GraphAttr(std::move(then_branch))}, {"else_branch", GraphAttr(std::move(else_branch))}});
  SetOutputs(g, {"out"});
  EXPECT_EQ(g.SortTopologically().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::engine

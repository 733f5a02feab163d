// The engine's memory planner: buffers of released intermediates are reused within a run and
// across runs, and a buffer is never handed out while anything still holds it (graph outputs,
// views made by Reshape or Identity, sequence elements, the caller's outputs of earlier runs).
// Plus the thread-safety contract of Run(): concurrent calls on one evaluator give the serial
// results.
#include "engine/graph_evaluator.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kernels/registry.h"

namespace mlserving::engine {
namespace {

/// Adds a node reading and writing values by name (created on first use).
void AddNode(ir::Graph& g, const std::string& op, const std::vector<std::string>& inputs,
             const std::vector<std::string>& outputs, std::map<std::string, ir::Attribute> attrs = {}) {
  ir::Node node;
  node.op_type = op;
  node.opset = 17;
  node.name = op + "_" + std::to_string(g.nodes().size());
  for (const auto& in : inputs) node.inputs.push_back(in.empty() ? ir::kNoValue : g.GetOrAddValue(in));
  for (const auto& out : outputs) node.outputs.push_back(g.GetOrAddValue(out));
  node.attributes = std::move(attrs);
  g.nodes().push_back(std::move(node));
}

void SetConstant(ir::Graph& g, const std::string& name, Tensor value) {
  g.value(g.GetOrAddValue(name)).constant = std::move(value);
}

std::unique_ptr<GraphEvaluator> Prepare(ir::Graph g, const std::vector<std::string>& inputs,
                                        const std::vector<std::string>& outputs) {
  for (const auto& n : inputs) g.inputs().push_back(g.GetOrAddValue(n));
  for (const auto& n : outputs) g.outputs().push_back(g.GetOrAddValue(n));
  EXPECT_TRUE(g.SortTopologically().ok());
  auto evaluator = GraphEvaluator::Create(std::move(g), kernels::KernelRegistry::Default());
  EXPECT_TRUE(evaluator.ok()) << evaluator.status().message();
  return evaluator.ok() ? std::move(evaluator).value() : nullptr;
}

std::vector<float> Floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.num_elements()}; }

Tensor Ramp(int64_t n, float scale = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * static_cast<float>(i + 1);
  return Tensor::FromVector<float>({n}, v);
}

std::vector<float> Scaled(const std::vector<float>& v, float factor) {
  std::vector<float> out = v;
  for (float& x : out) x *= factor;
  return out;
}

/// y = Neg applied `length` times to x: every intermediate dies right after its one reader.
std::unique_ptr<GraphEvaluator> NegChain(int length) {
  ir::Graph g;
  std::string prev = "x";
  for (int i = 0; i < length; ++i) {
    const std::string next = i + 1 == length ? "y" : "t" + std::to_string(i);
    AddNode(g, "Neg", {prev}, {next});
    prev = next;
  }
  return Prepare(std::move(g), {"x"}, {"y"});
}

TEST(MemoryPlannerTest, ReleasedBuffersAreReusedWithinAndAcrossRuns) {
  auto evaluator = NegChain(10);
  ASSERT_NE(evaluator, nullptr);
  const Tensor x = Ramp(1000);
  auto first = evaluator->Run({x}, EvaluationContext{});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(Floats((*first)[0]), Floats(x));  // ten negations
  // Ten allocations; at most two buffers are alive at once (a node's input and its output).
  GraphEvaluator::PoolStats stats = evaluator->pool_stats();
  EXPECT_EQ(stats.arenas, 1u);
  EXPECT_EQ(stats.reused + stats.fresh, 10);
  EXPECT_LE(stats.fresh, 2);

  // The next run starts with the kept buffers: only the output, which the caller took, is
  // replaced by a fresh one.
  auto second = evaluator->Run({x}, EvaluationContext{});
  ASSERT_TRUE(second.ok());
  const GraphEvaluator::PoolStats after = evaluator->pool_stats();
  EXPECT_EQ(after.reused + after.fresh, 20);
  EXPECT_LE(after.fresh - stats.fresh, 1);
  // The first run's output is the caller's: the second run did not write into it.
  EXPECT_NE((*first)[0].raw_data(), (*second)[0].raw_data());
  EXPECT_EQ(Floats((*first)[0]), Floats(x));
  EXPECT_EQ(Floats((*second)[0]), Floats(x));
}

/// A value that is a graph output through Identity, viewed by Reshape, and read again later must
/// keep its buffer although its own last reader ran: later nodes allocate while it is alive.
TEST(MemoryPlannerTest, BuffersStillHeldAreNeverHandedOut) {
  ir::Graph g;
  SetConstant(g, "flat", Tensor::FromVector<int64_t>({1}, {-1}));
  AddNode(g, "Neg", {"x"}, {"a"});
  AddNode(g, "Identity", {"a"}, {"a_out"});        // graph output sharing a's buffer
  AddNode(g, "Reshape", {"a", "flat"}, {"view"});  // a view of a's buffer
  AddNode(g, "Neg", {"view"}, {"b"});              // last reader of a and view
  AddNode(g, "Neg", {"b"}, {"c"});                 // allocates after a and view died
  AddNode(g, "Neg", {"c"}, {"d"});
  AddNode(g, "Neg", {"d"}, {"e"});
  auto evaluator = Prepare(std::move(g), {"x"}, {"a_out", "e"});
  ASSERT_NE(evaluator, nullptr);
  const Tensor x = Ramp(256);
  for (int run = 0; run < 3; ++run) {
    auto out = evaluator->Run({x}, EvaluationContext{});
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(Floats((*out)[0]), Scaled(Floats(x), -1.0f)) << "run " << run;
    EXPECT_EQ(Floats((*out)[1]), Scaled(Floats(x), -1.0f)) << "run " << run;
    EXPECT_NE((*out)[0].raw_data(), (*out)[1].raw_data());
  }
  // The caller's input is never recycled either: it is unchanged.
  EXPECT_EQ(Floats(x), Floats(Ramp(256)));
}

/// A tensor captured in a sequence stays out of the pool after its own last reader ran.
TEST(MemoryPlannerTest, SequenceElementsAreNotReused) {
  ir::Graph g;
  SetConstant(g, "zero", Tensor::Scalar<int64_t>(0));
  AddNode(g, "Neg", {"x"}, {"a"});
  AddNode(g, "SequenceConstruct", {"a"}, {"seq"});
  AddNode(g, "Add", {"x", "x"}, {"b"});  // values unlike a's, so a reuse of a's buffer shows
  AddNode(g, "Neg", {"b"}, {"c"});
  AddNode(g, "Neg", {"c"}, {"d"});
  AddNode(g, "SequenceAt", {"seq", "zero"}, {"first"});
  AddNode(g, "Add", {"first", "d"}, {"y"});
  auto evaluator = Prepare(std::move(g), {"x"}, {"y", "seq"});
  ASSERT_NE(evaluator, nullptr);
  const Tensor x = Ramp(64);
  for (int run = 0; run < 3; ++run) {
    auto out = evaluator->RunValues({Value(x)}, {}, EvaluationContext{});
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(Floats((*out)[0].tensor()), Floats(x)) << "run " << run;  // a + d = -x + 2x
    ASSERT_TRUE((*out)[1].is_sequence());
    EXPECT_EQ(Floats((*out)[1].sequence().tensors[0]), Scaled(Floats(x), -1.0f)) << "run " << run;
  }
}

/// Kernels that fail midway leave the arena clean: the next run gives the right answer.
TEST(MemoryPlannerTest, AFailedRunLeavesTheArenaUsable) {
  ir::Graph g;
  AddNode(g, "Neg", {"x"}, {"a"});
  AddNode(g, "Add", {"a", "z"}, {"y"});
  auto evaluator = Prepare(std::move(g), {"x", "z"}, {"y"});
  ASSERT_NE(evaluator, nullptr);
  auto bad = evaluator->Run({Ramp(4), Ramp(3)}, EvaluationContext{});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto good = evaluator->Run({Ramp(4), Ramp(4)}, EvaluationContext{});
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(Floats((*good)[0]), (std::vector<float>{0, 0, 0, 0}));
}

/// Eight threads running one evaluator at once get the serial results, and the evaluator keeps
/// at most kMaxIdleArenas arenas afterwards.
TEST(GraphEvaluatorConcurrencyTest, ConcurrentRunsMatchSerialRuns) {
  auto evaluator = NegChain(7);  // odd: y = -x
  ASSERT_NE(evaluator, nullptr);
  constexpr int kThreads = 8, kRuns = 200;
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns && failures[static_cast<size_t>(t)].empty(); ++r) {
        const Tensor x = Ramp(100 + t * 7 + r % 5, static_cast<float>(t + 1));
        auto out = evaluator->Run({x}, EvaluationContext{});
        if (!out.ok()) {
          failures[static_cast<size_t>(t)] = out.status().message();
        } else if (Floats((*out)[0]) != Scaled(Floats(x), -1.0f)) {
          failures[static_cast<size_t>(t)] = "wrong output in run " + std::to_string(r);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[static_cast<size_t>(t)], "") << "thread " << t;
  EXPECT_LE(evaluator->pool_stats().arenas, GraphEvaluator::kMaxIdleArenas);
}

}  // namespace
}  // namespace mlserving::engine

// Constants handed over to the kernels that hold them (kernels/constant_owner.h): a MatMul whose
// big weight the oneDNN kernel packs and owns gives the reference kernels' outputs at every batch
// size, before and after the graph dropped its copy, serially and from concurrent calls; a
// weight that another op (or the caller) can still read stays in the graph.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/graph_evaluator.h"
#include "ir/make_attribute.h"
#include "kernels/registry.h"

namespace mlserving::engine {
namespace {

/// K x N = 256 x 1536 floats: 1.5 MiB, above the oneDNN MatMul's in-place limit (1 MiB).
constexpr int64_t kK = 256, kN = 1536;

Tensor Random(const Shape& shape, uint32_t seed) {
  Tensor t(DType::kFloat32, shape);
  uint32_t state = seed;
  float* data = t.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    state = state * 1664525u + 1013904223u;
    data[i] = static_cast<float>(state >> 8) / static_cast<float>(1 << 24) * 2.0f - 1.0f;
  }
  return t;
}

ir::ValueId AddNode(ir::Graph& g, const std::string& op, const std::vector<std::string>& inputs,
                    const std::string& output) {
  ir::Node node;
  node.op_type = op;
  node.opset = 17;
  node.name = op + "_" + std::to_string(g.nodes().size());
  for (const auto& in : inputs) node.inputs.push_back(g.GetOrAddValue(in));
  node.outputs.push_back(g.GetOrAddValue(output));
  g.nodes().push_back(std::move(node));
  return g.GetOrAddValue(output);
}

/// y = Relu(x @ w); with `w_also_added`, also z = w + w as a second output (w then has a reader
/// that does not take it over); with `w_is_output`, w is a graph output too.
ir::Graph MatMulGraph(bool w_also_added, bool w_is_output) {
  ir::Graph g;
  g.value(g.GetOrAddValue("w")).constant = Random({kK, kN}, 7);
  g.inputs().push_back(g.GetOrAddValue("x"));
  AddNode(g, "MatMul", {"x", "w"}, "xw");
  g.outputs().push_back(AddNode(g, "Relu", {"xw"}, "y"));
  if (w_also_added) g.outputs().push_back(AddNode(g, "Add", {"w", "w"}, "z"));
  if (w_is_output) g.outputs().push_back(g.GetOrAddValue("w"));
  return g;
}

std::unique_ptr<GraphEvaluator> Create(ir::Graph graph, const kernels::KernelRegistry& registry) {
  Result<std::unique_ptr<GraphEvaluator>> evaluator = GraphEvaluator::Create(std::move(graph), registry);
  EXPECT_TRUE(evaluator.ok()) << evaluator.status().message();
  return evaluator.ok() ? std::move(evaluator).value() : nullptr;
}

const kernels::KernelRegistry& ReferenceRegistry() {
  static const kernels::KernelRegistry registry = [] {
    kernels::KernelRegistry r;
    kernels::RegisterReferenceKernels(r);
    return r;
  }();
  return registry;
}

std::vector<Tensor> Evaluate(const GraphEvaluator& evaluator, const Tensor& x, int threads = 1) {
  EvaluationContext ctx;
  ctx.intra_op_threads = threads;
  Result<std::vector<Tensor>> out = evaluator.Run({x}, ctx);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? std::move(out).value() : std::vector<Tensor>{};
}

/// Max |a - b| / (1 + |b|) over two float tensors of the same shape (infinity if they differ).
double MaxRelativeError(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  double worst = 0;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    const double d = std::fabs(a.data<float>()[i] - b.data<float>()[i]) / (1.0 + std::fabs(b.data<float>()[i]));
    worst = std::max(worst, d);
  }
  return worst;
}

// Batch sizes that take different paths: one row, a few, row-split blocks, oneDNN's own split.
const std::vector<int64_t> kBatches = {1, 3, 40, 64, 200, 1};

TEST(ConstantTakeover, BigMatMulWeightIsHeldByTheKernelOnly) {
  auto fast = Create(MatMulGraph(false, false), kernels::KernelRegistry::Default());
  auto reference = Create(MatMulGraph(false, false), ReferenceRegistry());
  ASSERT_TRUE(fast && reference);
  // The graph released w (the MatMul kernel holds it packed); the reference graph holds it.
  EXPECT_EQ(fast->constant_stats().taken_over, 1u);
  EXPECT_EQ(fast->constant_stats().held, 0u);
  EXPECT_EQ(fast->constant_stats().held_bytes, 0u);
  EXPECT_EQ(reference->constant_stats().taken_over, 0u);
  EXPECT_EQ(reference->constant_stats().held_bytes, static_cast<size_t>(kK * kN * 4));

  // Batch sizes after the release, at 1 and 2 threads (row-split and single-call primitives,
  // each with its own weights layout derived from the packed copy), twice over.
  for (int pass = 0; pass < 2; ++pass) {
    for (int threads : {1, 2}) {
      for (int64_t rows : kBatches) {
        const Tensor x = Random({rows, kK}, static_cast<uint32_t>(rows));
        const std::vector<Tensor> got = Evaluate(*fast, x, threads), want = Evaluate(*reference, x);
        ASSERT_EQ(got.size(), 1u);
        ASSERT_EQ(want.size(), 1u);
        EXPECT_LT(MaxRelativeError(got[0], want[0]), 1e-4) << rows << " rows, " << threads << " threads";
      }
    }
  }
  // A rank-3 A folds its batch into the rows.
  const Tensor x3 = Random({2, 5, kK}, 3);
  EXPECT_LT(MaxRelativeError(Evaluate(*fast, x3)[0], Evaluate(*reference, x3)[0]), 1e-4);
}

TEST(ConstantTakeover, CallsTheFallbackCannotServeWithoutTheWeightStillWork) {
  auto fast = Create(MatMulGraph(false, false), kernels::KernelRegistry::Default());
  ASSERT_TRUE(fast);
  EvaluationContext ctx;
  // Once after the first packing (the plain weight dropped), once before any.
  ASSERT_EQ(Evaluate(*fast, Random({64, kK}, 1)).size(), 1u);
  // An inner dimension that does not match: the reference kernel, given the weight rebuilt from
  // the packed copy, reports the mismatch.
  Result<std::vector<Tensor>> bad = fast->Run({Random({4, kK + 1}, 1)}, ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  // An empty A: the reference's empty product.
  Result<std::vector<Tensor>> empty = fast->Run({Tensor(DType::kFloat32, {0, kK})}, ctx);
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty.value()[0].shape(), (Shape{0, kN}));
}

TEST(ConstantTakeover, WeightWithAnotherReaderOrAsOutputStaysInTheGraph) {
  for (const bool as_output : {false, true}) {
    auto fast = Create(MatMulGraph(!as_output, as_output), kernels::KernelRegistry::Default());
    auto reference = Create(MatMulGraph(!as_output, as_output), ReferenceRegistry());
    ASSERT_TRUE(fast && reference);
    EXPECT_EQ(fast->constant_stats().taken_over, 0u);
    EXPECT_EQ(fast->constant_stats().held, 1u);
    EXPECT_EQ(fast->constant_stats().held_bytes, static_cast<size_t>(kK * kN * 4));
    for (int64_t rows : kBatches) {
      const Tensor x = Random({rows, kK}, static_cast<uint32_t>(rows));
      const std::vector<Tensor> got = Evaluate(*fast, x), want = Evaluate(*reference, x);
      ASSERT_EQ(got.size(), 2u);
      ASSERT_EQ(want.size(), 2u);
      EXPECT_LT(MaxRelativeError(got[0], want[0]), 1e-4) << rows << " rows";
      EXPECT_EQ(MaxRelativeError(got[1], want[1]), 0.0);
    }
  }
}

TEST(ConstantTakeover, OverridableInitializerStaysInTheGraph) {
  // w is also a graph input (an initializer with a default the caller may override).
  ir::Graph g = MatMulGraph(false, false);
  g.inputs().push_back(g.GetOrAddValue("w"));
  auto fast = Create(std::move(g), kernels::KernelRegistry::Default());
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->constant_stats().taken_over, 0u);
  const Tensor x = Random({3, kK}, 3), w = Random({kK, kN}, 99);
  ir::Graph ref_graph = MatMulGraph(false, false);
  ref_graph.value(ref_graph.GetOrAddValue("w")).constant = w;
  auto reference = Create(std::move(ref_graph), ReferenceRegistry());
  EvaluationContext ctx;
  Result<std::vector<Tensor>> got = fast->Run({x, w}, ctx);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_LT(MaxRelativeError(got.value()[0], Evaluate(*reference, x)[0]), 1e-4);
}

TEST(ConstantTakeover, ConcurrentCallsOfVaryingBatchSizesAgreeWithTheReference) {
  auto fast = Create(MatMulGraph(false, false), kernels::KernelRegistry::Default());
  auto reference = Create(MatMulGraph(false, false), ReferenceRegistry());
  ASSERT_TRUE(fast && reference);
  std::vector<Tensor> inputs, expected;
  for (int64_t rows : {1, 7, 33, 64, 130, 2, 96, 5}) {
    inputs.push_back(Random({rows, kK}, static_cast<uint32_t>(rows) + 100));
    expected.push_back(Evaluate(*reference, inputs.back())[0]);
  }
  std::vector<double> worst(inputs.size(), 0.0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < inputs.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const size_t which = (t + static_cast<size_t>(i)) % inputs.size();
        EvaluationContext ctx;
        ctx.intra_op_threads = 1 + static_cast<int>(t % 2);
        Result<std::vector<Tensor>> out = fast->Run({inputs[which]}, ctx);
        const double error = out.ok() ? MaxRelativeError(out.value()[0], expected[which]) : INFINITY;
        worst[t] = std::max(worst[t], error);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (size_t t = 0; t < worst.size(); ++t) EXPECT_LT(worst[t], 1e-4) << "thread " << t;
}

/// y = Relu(Conv(x, w, b)) (or ConvTranspose) with constant w [out, in/group, 3, 3] (for
/// ConvTranspose [in, out/group, 3, 3]) and b.
ir::Graph ConvGraph(const std::string& op, int64_t in, int64_t out, int64_t group) {
  ir::Graph g;
  const bool transpose = op == "ConvTranspose";
  g.value(g.GetOrAddValue("w")).constant =
      Random(transpose ? Shape{in, out / group, 3, 3} : Shape{out, in / group, 3, 3}, 11);
  g.value(g.GetOrAddValue("b")).constant = Random({out}, 12);
  g.inputs().push_back(g.GetOrAddValue("x"));
  AddNode(g, op, {"x", "w", "b"}, "c");
  g.nodes().back().attributes["group"] = ir::IntAttr(group);
  g.nodes().back().attributes["pads"] = ir::IntsAttr({1, 1, 1, 1});
  g.outputs().push_back(AddNode(g, "Relu", {"c"}, "y"));
  return g;
}

TEST(ConstantTakeover, ConvWeightsAreHeldByTheKernelOnly) {
  struct Case {
    std::string op;
    int64_t in, out, group;
  };
  for (const Case& c : {Case{"Conv", 16, 32, 1}, Case{"Conv", 16, 32, 4}, Case{"ConvTranspose", 16, 8, 2}}) {
    SCOPED_TRACE(c.op + " group " + std::to_string(c.group));
    auto fast = Create(ConvGraph(c.op, c.in, c.out, c.group), kernels::KernelRegistry::Default());
    auto reference = Create(ConvGraph(c.op, c.in, c.out, c.group), ReferenceRegistry());
    ASSERT_TRUE(fast && reference);
    EXPECT_EQ(fast->constant_stats().taken_over, 1u);  // w; the bias stays in the graph
    EXPECT_EQ(fast->constant_stats().held, 1u);
    for (int64_t batch : {1, 3, 2, 1}) {
      const Tensor x = Random({batch, c.in, 9, 7}, static_cast<uint32_t>(batch));
      const std::vector<Tensor> got = Evaluate(*fast, x), want = Evaluate(*reference, x);
      ASSERT_EQ(got.size(), 1u);
      ASSERT_EQ(want.size(), 1u);
      EXPECT_LT(MaxRelativeError(got[0], want[0]), 1e-4) << "batch " << batch;
    }
    // Channels that do not match: the reference, given the weights rebuilt from the packed
    // copy, reports it.
    EvaluationContext ctx;
    Result<std::vector<Tensor>> bad = fast->Run({Random({1, c.in + 1, 9, 7}, 5)}, ctx);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().message();
  }
}

}  // namespace
}  // namespace mlserving::engine

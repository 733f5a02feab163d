// Outputs do not depend on the intra-op thread count (EvaluationContext::intra_op_threads): an
// MLP, a small CNN and an attention-like block, large enough that the oneDNN kernels run their
// parallel paths, give the same outputs (1e-5 relative) at 1, 2 and 4 threads, and concurrent
// calls at 2 threads each give the serial results.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/graph_evaluator.h"
#include "ir/make_attribute.h"
#include "kernels/registry.h"

namespace mlserving::engine {
namespace {

using ir::IntAttr;
using ir::IntsAttr;

/// Builds graphs by value name.
class GraphBuilder {
 public:
  void Node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
            std::map<std::string, ir::Attribute> attrs = {}) {
    ir::Node node;
    node.op_type = op;
    node.opset = 17;
    node.name = op + "_" + std::to_string(g_.nodes().size());
    for (const auto& in : inputs) node.inputs.push_back(g_.GetOrAddValue(in));
    node.outputs.push_back(g_.GetOrAddValue(output));
    node.attributes = std::move(attrs);
    g_.nodes().push_back(std::move(node));
  }
  /// A constant of `shape` with deterministic values uniform in [-scale, scale).
  void Weights(const std::string& name, Shape shape, float scale) {
    g_.value(g_.GetOrAddValue(name)).constant = Random(shape, scale);
  }

  std::unique_ptr<GraphEvaluator> Build(const std::string& input, const std::string& output) {
    g_.inputs().push_back(g_.GetOrAddValue(input));
    g_.outputs().push_back(g_.GetOrAddValue(output));
    EXPECT_TRUE(g_.SortTopologically().ok());
    auto evaluator = GraphEvaluator::Create(std::move(g_), kernels::KernelRegistry::Default());
    EXPECT_TRUE(evaluator.ok()) << evaluator.status().message();
    return evaluator.ok() ? std::move(evaluator).value() : nullptr;
  }

  static Tensor Random(const Shape& shape, float scale, uint32_t seed = 12345) {
    Tensor t(DType::kFloat32, shape);
    uint32_t state = seed + static_cast<uint32_t>(NumElements(shape));
    float* data = t.data<float>();
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      state = state * 1664525u + 1013904223u;
      data[i] = scale * (static_cast<float>(state >> 8) / static_cast<float>(1 << 24) * 2.0f - 1.0f);
    }
    return t;
  }

 private:
  ir::Graph g_;
};

/// x [64, 64] -> Gemm 256 -> Relu -> Gemm 256 -> Relu -> Gemm 10 (1M and 4M multiply-adds).
std::unique_ptr<GraphEvaluator> Mlp() {
  GraphBuilder b;
  b.Weights("w1", {64, 256}, 0.2f);
  b.Weights("b1", {256}, 0.1f);
  b.Weights("w2", {256, 256}, 0.1f);
  b.Weights("b2", {256}, 0.1f);
  b.Weights("w3", {10, 256}, 0.1f);
  b.Weights("b3", {10}, 0.1f);
  b.Node("Gemm", {"x", "w1", "b1"}, "h1");
  b.Node("Relu", {"h1"}, "r1");
  b.Node("Gemm", {"r1", "w2", "b2"}, "h2");
  b.Node("Relu", {"h2"}, "r2");
  b.Node("Gemm", {"r2", "w3", "b3"}, "y", {{"transB", IntAttr(1)}});
  return b.Build("x", "y");
}

/// x [2, 3, 32, 32] -> Conv 16 3x3 -> Relu -> Conv 32 3x3 -> MaxPool 2x2 -> GlobalAveragePool
/// -> Flatten -> Gemm 10 -> Softmax.
std::unique_ptr<GraphEvaluator> ConvNet() {
  GraphBuilder b;
  b.Weights("k1", {16, 3, 3, 3}, 0.3f);
  b.Weights("c1", {16}, 0.1f);
  b.Weights("k2", {32, 16, 3, 3}, 0.1f);
  b.Weights("c2", {32}, 0.1f);
  b.Weights("w", {32, 10}, 0.3f);
  b.Weights("bias", {10}, 0.1f);
  b.Node("Conv", {"x", "k1", "c1"}, "h1", {{"pads", IntsAttr({1, 1, 1, 1})}});
  b.Node("Relu", {"h1"}, "r1");
  b.Node("Conv", {"r1", "k2", "c2"}, "h2", {{"pads", IntsAttr({1, 1, 1, 1})}});
  b.Node("MaxPool", {"h2"}, "p", {{"kernel_shape", IntsAttr({2, 2})}, {"strides", IntsAttr({2, 2})}});
  b.Node("GlobalAveragePool", {"p"}, "g");
  b.Node("Flatten", {"g"}, "f");
  b.Node("Gemm", {"f", "w", "bias"}, "logits");
  b.Node("Softmax", {"logits"}, "y");
  return b.Build("x", "y");
}

/// x [8, 128, 64] -> MatMul 64x64 -> Softmax(last axis) -> LayerNormalization -> MatMul 64x64.
std::unique_ptr<GraphEvaluator> AttentionLike() {
  GraphBuilder b;
  b.Weights("wq", {64, 64}, 0.2f);
  b.Weights("gamma", {64}, 1.0f);
  b.Weights("beta", {64}, 0.1f);
  b.Weights("wo", {64, 64}, 0.2f);
  b.Node("MatMul", {"x", "wq"}, "q");
  b.Node("Softmax", {"q"}, "s", {{"axis", IntAttr(-1)}});
  b.Node("LayerNormalization", {"s", "gamma", "beta"}, "n", {{"axis", IntAttr(-1)}});
  b.Node("MatMul", {"n", "wo"}, "y");
  return b.Build("x", "y");
}

Tensor RunWithThreads(const GraphEvaluator& evaluator, const Tensor& x, int threads) {
  EvaluationContext ctx;
  ctx.intra_op_threads = threads;
  auto out = evaluator.Run({x}, ctx);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? (*out)[0] : Tensor();
}

/// The largest |a - b| / max(1, |b|) over the elements.
double MaxRelativeDifference(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  if (a.shape() != b.shape()) return INFINITY;
  double worst = 0;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    const double x = a.data<float>()[i], y = b.data<float>()[i];
    worst = std::max(worst, std::abs(x - y) / std::max(1.0, std::abs(y)));
  }
  return worst;
}

struct Case {
  const char* name;
  std::unique_ptr<GraphEvaluator> (*make)();
  Shape input;
};

const Case kCases[] = {
    {"mlp", Mlp, {64, 64}}, {"convnet", ConvNet, {2, 3, 32, 32}}, {"attention", AttentionLike, {8, 128, 64}}};

TEST(ThreadInvarianceTest, OutputsDoNotDependOnTheThreadCount) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto evaluator = c.make();
    ASSERT_NE(evaluator, nullptr);
    const Tensor x = GraphBuilder::Random(c.input, 1.0f, 7);
    const Tensor reference = RunWithThreads(*evaluator, x, 1);
    ASSERT_TRUE(reference.defined());
    double magnitude = 0;
    for (int64_t i = 0; i < reference.num_elements(); ++i) {
      magnitude = std::max(magnitude, static_cast<double>(std::abs(reference.data<float>()[i])));
    }
    EXPECT_GT(magnitude, 1e-3);  // not a degenerate all-zero output
    for (int threads : {2, 4}) {
      const Tensor out = RunWithThreads(*evaluator, x, threads);
      EXPECT_LE(MaxRelativeDifference(out, reference), 1e-5) << threads << " threads";
      // Twice at the same count: the cached primitives give the same result again.
      EXPECT_LE(MaxRelativeDifference(RunWithThreads(*evaluator, x, threads), out), 1e-6) << threads << " threads";
    }
  }
}

TEST(ThreadInvarianceTest, ConcurrentMultiThreadedCallsMatchSerialOnes) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto evaluator = c.make();
    ASSERT_NE(evaluator, nullptr);
    constexpr int kCallers = 8, kRuns = 5;
    std::vector<Tensor> inputs, expected;
    for (int t = 0; t < kCallers; ++t) {
      inputs.push_back(GraphBuilder::Random(c.input, 1.0f, 100 + static_cast<uint32_t>(t)));
      expected.push_back(RunWithThreads(*evaluator, inputs.back(), 2));
    }
    std::vector<double> worst(kCallers, 0.0);
    std::vector<std::thread> callers;
    for (int t = 0; t < kCallers; ++t) {
      callers.emplace_back([&, t] {
        const size_t i = static_cast<size_t>(t);
        for (int r = 0; r < kRuns; ++r) {
          EvaluationContext ctx;
          ctx.intra_op_threads = 2;
          auto out = evaluator->Run({inputs[i]}, ctx);
          worst[i] = std::max(worst[i], out.ok() ? MaxRelativeDifference((*out)[0], expected[i]) : INFINITY);
        }
      });
    }
    for (auto& caller : callers) caller.join();
    for (int t = 0; t < kCallers; ++t) EXPECT_LE(worst[static_cast<size_t>(t)], 1e-6) << "caller " << t;
  }
}

}  // namespace
}  // namespace mlserving::engine

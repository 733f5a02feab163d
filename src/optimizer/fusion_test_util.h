#pragma once

// Test helpers of the fusion passes: tiny graphs built by hand, run through the engine with the
// default registry before and after a pass, outputs compared.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/graph_evaluator.h"
#include "ir/graph.h"
#include "kernels/registry.h"
#include "optimizer/graph_util.h"
#include "optimizer/pass.h"

namespace mlserving::optimizer::fusion_test {

inline ir::Attribute IntAttr(int64_t v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
inline ir::Attribute FloatAttr(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
inline ir::Attribute IntsAttr(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
inline ir::Attribute StringAttr(std::string v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}

/// Seeded uniform values in [low, high).
inline Tensor RandomTensor(Shape shape, uint32_t seed, float low = -1.0f, float high = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

/// Builds a graph node by node; each node has one output named after it.
class GraphBuilder {
 public:
  ir::ValueId Input(const std::string& name, Shape shape, DType dtype = DType::kFloat32) {
    const ir::ValueId id = graph_.GetOrAddValue(name);
    ir::ValueType& type = graph_.value(id).type;
    type.dtype = dtype;
    type.has_dtype = true;
    type.shape = std::move(shape);
    type.has_shape = true;
    graph_.inputs().push_back(id);
    return id;
  }
  ir::ValueId Constant(const std::string& name, Tensor tensor) { return AddConstant(graph_, name, std::move(tensor)); }
  ir::ValueId Scalar(const std::string& name, float v) { return Constant(name, Tensor::Scalar<float>(v)); }
  /// Adds `op` reading `inputs`; returns its output. `shape`, when given, is the output's
  /// static shape (as shape inference would record it).
  ir::ValueId Op(const std::string& op, std::vector<ir::ValueId> inputs,
                 std::map<std::string, ir::Attribute> attributes = {}, int opset = 13,
                 std::optional<Shape> shape = std::nullopt) {
    ir::Node node;
    node.name = op + "_" + std::to_string(graph_.nodes().size());
    node.op_type = op;
    node.opset = opset;
    node.inputs = std::move(inputs);
    node.attributes = std::move(attributes);
    const ir::ValueId out = graph_.GetOrAddValue(node.name + "_out");
    if (shape) {
      ir::ValueType& type = graph_.value(out).type;
      type.dtype = DType::kFloat32;
      type.has_dtype = true;
      type.shape = *shape;
      type.has_shape = true;
    }
    node.outputs = {out};
    graph_.nodes().push_back(std::move(node));
    return out;
  }
  void Output(ir::ValueId v) { graph_.outputs().push_back(v); }
  ir::Graph& graph() { return graph_; }

 private:
  ir::Graph graph_;
};

/// How many nodes run `op_type`.
inline int CountOps(const ir::Graph& graph, const std::string& op_type) {
  int count = 0;
  for (const ir::Node& node : graph.nodes()) count += node.op_type == op_type;
  return count;
}

/// True when every node input is a graph input, a constant or the output of an earlier node.
inline bool IsTopologicallyOrdered(const ir::Graph& graph) {
  std::vector<bool> available(graph.num_values(), false);
  for (ir::ValueId in : graph.inputs()) available[static_cast<size_t>(in)] = true;
  for (size_t v = 0; v < graph.num_values(); ++v) {
    if (graph.value(static_cast<ir::ValueId>(v)).constant) available[v] = true;
  }
  for (const ir::Node& node : graph.nodes()) {
    for (ir::ValueId in : node.inputs) {
      if (in != ir::kNoValue && !available[static_cast<size_t>(in)]) return false;
    }
    for (ir::ValueId out : node.outputs) {
      if (out != ir::kNoValue) available[static_cast<size_t>(out)] = true;
    }
  }
  return true;
}

/// Runs `graph` on `inputs` with the default registry (oneDNN kernels included).
inline std::vector<Tensor> RunGraph(const ir::Graph& graph, const std::vector<Tensor>& inputs) {
  auto evaluator = engine::GraphEvaluator::Create(graph, kernels::KernelRegistry::Default());
  EXPECT_TRUE(evaluator.ok()) << evaluator.status().ToString();
  if (!evaluator.ok()) return {};
  Result<std::vector<Tensor>> outputs = (*evaluator)->Run(inputs, EvaluationContext());
  EXPECT_TRUE(outputs.ok()) << outputs.status().ToString();
  return outputs.ok() ? std::move(outputs).value() : std::vector<Tensor>();
}

/// Elementwise |a - b| <= atol + rtol * |b| over float32 or float64 tensors of one shape.
inline void ExpectAllClose(const Tensor& a, const Tensor& b, double rtol = 1e-4, double atol = 1e-5) {
  ASSERT_TRUE(a.defined() && b.defined());
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  int reported = 0;
  for (int64_t i = 0; i < a.num_elements() && reported < 5; ++i) {
    const double x = a.dtype() == DType::kFloat32 ? a.data<float>()[i] : a.data<double>()[i];
    const double y = b.dtype() == DType::kFloat32 ? b.data<float>()[i] : b.data<double>()[i];
    if (!(std::fabs(x - y) <= atol + rtol * std::fabs(y))) {
      ADD_FAILURE() << "element " << i << ": " << x << " vs " << y;
      ++reported;
    }
  }
}

/// Runs `pass` on a copy of `graph`, expects `expected_rewrites`, a valid order, and outputs
/// equal to the original's on `inputs`; returns the rewritten graph.
inline ir::Graph RunPassAndCompare(const ir::Graph& graph, Result<int> (*pass)(ir::Graph&, const PassContext&),
                                   int expected_rewrites, const std::vector<Tensor>& inputs, double rtol = 1e-4,
                                   double atol = 1e-5) {
  ir::Graph rewritten = graph;
  const PassContext context{kernels::KernelRegistry::Default()};
  Result<int> rewrites = pass(rewritten, context);
  EXPECT_TRUE(rewrites.ok()) << rewrites.status().ToString();
  EXPECT_EQ(rewrites.ok() ? *rewrites : -1, expected_rewrites);
  EXPECT_TRUE(IsTopologicallyOrdered(rewritten));
  EXPECT_EQ(rewritten.inputs(), graph.inputs());
  EXPECT_EQ(rewritten.outputs(), graph.outputs());
  const std::vector<Tensor> before = RunGraph(graph, inputs);
  const std::vector<Tensor> after = RunGraph(rewritten, inputs);
  EXPECT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) ExpectAllClose(after[i], before[i], rtol, atol);
  return rewritten;
}

}  // namespace mlserving::optimizer::fusion_test

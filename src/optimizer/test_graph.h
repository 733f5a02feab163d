#pragma once

// Test helpers for optimizer passes (included by *_test.cc only): a builder for small graphs,
// tensors to feed them, and checks that a rewritten graph computes what the original computed,
// by running both through engine::GraphEvaluator with the default kernels (oneDNN included).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/graph_evaluator.h"
#include "ir/graph.h"
#include "ir/make_attribute.h"
#include "kernels/registry.h"
#include "optimizer/graph_util.h"
#include "optimizer/pass.h"
#include "runtime/evaluator.h"

namespace mlserving::optimizer::testing {

using ir::FloatAttr;
using ir::IntAttr;
using ir::IntsAttr;
using ir::StringAttr;
using ir::TensorAttr;

// ---- Tensors ----

inline Tensor Floats(Shape shape, std::vector<float> values) {
  return Tensor::FromVector<float>(std::move(shape), values);
}
inline Tensor Int64s(std::vector<int64_t> values) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values);
}
/// A float tensor of `shape` holding 0.5, 1.5, 2.5, … (distinct, exact in float).
inline Tensor Iota(Shape shape) {
  std::vector<float> values(static_cast<size_t>(NumElements(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f + static_cast<float>(i);
  return Floats(std::move(shape), values);
}
/// A float tensor of `shape` holding seeded uniform values in [low, high).
inline Tensor RandomTensor(Shape shape, uint32_t seed, float low = -1.0f, float high = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// ---- Graphs ----

/// Builds an ir::Graph; nodes are added in topological order. Two ways to add nodes, which may be
/// mixed: Node() wires values by name (any number of outputs, named by the caller), Op() wires
/// them by id (one output, named after the node) and returns its output.
class GraphBuilder {
 public:
  /// A graph input with a declared type; `dim_names` as ir::ValueType::dim_names.
  ir::ValueId Input(const std::string& name, Shape shape, DType dtype = DType::kFloat32,
                    std::vector<std::string> dim_names = {}) {
    const ir::ValueId id = graph_.GetOrAddValue(name);
    ir::ValueType& type = graph_.value(id).type;
    type.dtype = dtype;
    type.has_dtype = true;
    type.shape = std::move(shape);
    type.has_shape = true;
    type.dim_names = std::move(dim_names);
    graph_.inputs().push_back(id);
    return id;
  }
  /// A graph input of unknown shape.
  ir::ValueId InputOfUnknownShape(const std::string& name, DType dtype) {
    const ir::ValueId id = graph_.GetOrAddValue(name);
    graph_.value(id).type.dtype = dtype;
    graph_.value(id).type.has_dtype = true;
    graph_.inputs().push_back(id);
    return id;
  }
  /// A constant holding `tensor`, named `name` (or `name_1`, `name_2`, … when `name` is taken).
  ir::ValueId Constant(const std::string& name, Tensor tensor) { return AddConstant(graph_, name, std::move(tensor)); }
  /// A float32 scalar constant.
  ir::ValueId Scalar(const std::string& name, float v) { return Constant(name, Tensor::Scalar<float>(v)); }

  /// Adds a node reading `inputs` ("" = omitted) and writing `outputs` (by name); returns its index.
  size_t Node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
              std::map<std::string, ir::Attribute> attributes = {}, int opset = 17) {
    std::vector<ir::ValueId> input_ids;
    for (const std::string& in : inputs) input_ids.push_back(in.empty() ? ir::kNoValue : graph_.GetOrAddValue(in));
    ir::Node& node = AddNode(op, std::move(input_ids), std::move(attributes), opset);
    for (const std::string& out : outputs) {
      node.outputs.push_back(out.empty() ? ir::kNoValue : graph_.GetOrAddValue(out));
    }
    return graph_.nodes().size() - 1;
  }
  /// Adds `op` reading `inputs`; returns its one output. `shape`, when given, is the output's
  /// static float32 type (as shape inference would record it).
  ir::ValueId Op(const std::string& op, std::vector<ir::ValueId> inputs,
                 std::map<std::string, ir::Attribute> attributes = {}, int opset = 13,
                 std::optional<Shape> shape = std::nullopt) {
    ir::Node& node = AddNode(op, std::move(inputs), std::move(attributes), opset);
    const ir::ValueId out = graph_.GetOrAddValue(node.name + "_out");
    if (shape) {
      ir::ValueType& type = graph_.value(out).type;
      type.dtype = DType::kFloat32;
      type.has_dtype = true;
      type.shape = *shape;
      type.has_shape = true;
    }
    node.outputs = {out};
    return out;
  }

  void Output(const std::string& name) { graph_.outputs().push_back(graph_.GetOrAddValue(name)); }
  void Output(ir::ValueId v) { graph_.outputs().push_back(v); }

  ir::Graph& graph() { return graph_; }
  ir::ValueId Id(const std::string& name) const { return *graph_.FindValue(name); }

 private:
  /// Appends a node named `<op>_<index>` without outputs; returns it.
  ir::Node& AddNode(const std::string& op, std::vector<ir::ValueId> inputs,
                    std::map<std::string, ir::Attribute> attributes, int opset) {
    ir::Node node;
    node.name = op + "_" + std::to_string(graph_.nodes().size());
    node.op_type = op;
    node.opset = opset;
    node.inputs = std::move(inputs);
    node.attributes = std::move(attributes);
    graph_.nodes().push_back(std::move(node));
    return graph_.nodes().back();
  }

  ir::Graph graph_;
};

/// Counts the nodes of `op` in `graph`.
inline int CountOps(const ir::Graph& graph, const std::string& op) {
  int count = 0;
  for (const ir::Node& node : graph.nodes()) count += node.op_type == op ? 1 : 0;
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

// ---- Running and comparing ----

/// Runs `graph` (copied) with the default kernels.
inline Result<std::vector<Tensor>> RunGraph(const ir::Graph& graph, const std::vector<Tensor>& inputs) {
  ASSIGN_OR_RETURN(std::unique_ptr<engine::GraphEvaluator> evaluator,
                   engine::GraphEvaluator::Create(graph, kernels::KernelRegistry::Default()));
  return evaluator->Run(inputs, EvaluationContext());
}

/// How far a float element `actual` may be from the reference `expected`:
/// |actual - expected| <= atol + rtol * max(min_scale, |expected|).
struct Tolerance {
  double rtol = 0;
  double atol = 0;
  double min_scale = 0;

  /// numpy.allclose: atol + rtol * |expected|.
  static Tolerance AllClose(double rtol, double atol) { return {rtol, atol, 0}; }
  /// tolerance * max(1, |expected|): relative for large values, absolute below 1.
  static Tolerance RelativeToMaxOne(double tolerance) { return {tolerance, 0, 1}; }
};

/// Expects both graphs to run and give the same outputs: same dtypes and shapes, float32/float64
/// elements within `tolerance` of `before`'s, other non-string elements bitwise equal.
inline void ExpectSameOutputs(const ir::Graph& before, const ir::Graph& after, const std::vector<Tensor>& inputs,
                              Tolerance tolerance = Tolerance::RelativeToMaxOne(1e-6f)) {
  Result<std::vector<Tensor>> expected = RunGraph(before, inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  Result<std::vector<Tensor>> actual = RunGraph(after, inputs);
  ASSERT_TRUE(actual.ok()) << actual.status().ToString();
  ASSERT_EQ(expected->size(), actual->size());
  for (size_t i = 0; i < expected->size(); ++i) {
    const Tensor& e = (*expected)[i];
    const Tensor& a = (*actual)[i];
    ASSERT_EQ(e.dtype(), a.dtype()) << "output " << i;
    ASSERT_EQ(e.shape(), a.shape()) << "output " << i;
    if (e.dtype() == DType::kFloat32 || e.dtype() == DType::kFloat64) {
      int reported = 0;
      for (int64_t k = 0; k < e.num_elements() && reported < 5; ++k) {
        const double x = e.dtype() == DType::kFloat32 ? e.data<float>()[k] : e.data<double>()[k];
        const double y = a.dtype() == DType::kFloat32 ? a.data<float>()[k] : a.data<double>()[k];
        const double bound = tolerance.atol + tolerance.rtol * std::max(tolerance.min_scale, std::fabs(x));
        if (!(std::fabs(x - y) <= bound)) {
          ADD_FAILURE() << "output " << i << " element " << k << ": " << y << " vs expected " << x;
          ++reported;
        }
      }
    } else if (e.dtype() != DType::kString) {
      EXPECT_EQ(0, std::memcmp(e.raw_data(), a.raw_data(), e.byte_size())) << "output " << i;
    }
  }
}

/// Runs `pass` on a copy of `graph`; expects it to succeed and returns the rewritten graph
/// (`*rewrites` = the pass's count, -1 on failure).
inline ir::Graph Rewritten(const ir::Graph& graph, Result<int> (*pass)(ir::Graph&, const PassContext&),
                           int* rewrites = nullptr) {
  ir::Graph copy = graph;
  Result<int> n = pass(copy, PassContext{kernels::KernelRegistry::Default()});
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  if (rewrites != nullptr) *rewrites = n.ok() ? n.value() : -1;
  return copy;
}

/// Runs `pass` on a copy of `graph`, expects `expected_rewrites`, a valid order, unchanged graph
/// inputs and outputs, and outputs equal to the original's on `inputs`; returns the rewritten graph.
inline ir::Graph RunPassAndCompare(const ir::Graph& graph, Result<int> (*pass)(ir::Graph&, const PassContext&),
                                   int expected_rewrites, const std::vector<Tensor>& inputs,
                                   Tolerance tolerance = Tolerance::AllClose(1e-4, 1e-5)) {
  int rewrites = 0;
  ir::Graph rewritten = Rewritten(graph, pass, &rewrites);
  EXPECT_EQ(rewrites, expected_rewrites);
  EXPECT_TRUE(IsTopologicallyOrdered(rewritten));
  EXPECT_EQ(rewritten.inputs(), graph.inputs());
  EXPECT_EQ(rewritten.outputs(), graph.outputs());
  ExpectSameOutputs(graph, rewritten, inputs, tolerance);
  return rewritten;
}

}  // namespace mlserving::optimizer::testing

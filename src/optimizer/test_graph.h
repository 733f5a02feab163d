#pragma once

// Test helpers for optimizer passes (included by *_test.cc only): a small builder for graphs
// and a check that a rewritten graph computes what the original computed, by running both
// through engine::GraphEvaluator with the default kernels.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/graph_evaluator.h"
#include "ir/graph.h"
#include "kernels/registry.h"
#include "optimizer/pass.h"
#include "runtime/evaluator.h"

namespace mlserving::optimizer::testing {

inline ir::Attribute IntAttr(int64_t v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
inline ir::Attribute IntsAttr(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
inline ir::Attribute FloatAttr(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
inline ir::Attribute TensorAttr(Tensor t) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kTensor;
  a.t = std::move(t);
  return a;
}

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

/// Builds an ir::Graph by value names; nodes are added in topological order.
class GraphBuilder {
 public:
  /// A graph input with a declared type; `dim_names` as ir::ValueType::dim_names.
  ir::ValueId Input(const std::string& name, DType dtype, Shape shape, std::vector<std::string> dim_names = {}) {
    ir::ValueId id = graph_.GetOrAddValue(name);
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
    ir::ValueId id = graph_.GetOrAddValue(name);
    graph_.value(id).type.dtype = dtype;
    graph_.value(id).type.has_dtype = true;
    graph_.inputs().push_back(id);
    return id;
  }
  ir::ValueId Constant(const std::string& name, Tensor t) {
    ir::ValueId id = graph_.GetOrAddValue(name);
    ir::Value& v = graph_.value(id);
    v.type.dtype = t.dtype();
    v.type.has_dtype = true;
    v.type.shape = t.shape();
    v.type.has_shape = true;
    v.constant = std::move(t);
    return id;
  }
  /// Adds a node reading `inputs` ("" = omitted) and writing `outputs`; returns its index.
  size_t Node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
              std::map<std::string, ir::Attribute> attributes = {}, int opset = 17) {
    ir::Node node;
    node.name = op + "_" + std::to_string(graph_.nodes().size());
    node.op_type = op;
    node.opset = opset;
    for (const std::string& in : inputs) node.inputs.push_back(in.empty() ? ir::kNoValue : graph_.GetOrAddValue(in));
    for (const std::string& out : outputs) {
      node.outputs.push_back(out.empty() ? ir::kNoValue : graph_.GetOrAddValue(out));
    }
    node.attributes = std::move(attributes);
    graph_.nodes().push_back(std::move(node));
    return graph_.nodes().size() - 1;
  }
  void Output(const std::string& name) { graph_.outputs().push_back(graph_.GetOrAddValue(name)); }

  ir::Graph& graph() { return graph_; }
  ir::ValueId Id(const std::string& name) const { return *graph_.FindValue(name); }

 private:
  ir::Graph graph_;
};

/// Runs `graph` (copied) with the default kernels.
inline Result<std::vector<Tensor>> RunGraph(const ir::Graph& graph, const std::vector<Tensor>& inputs) {
  ASSIGN_OR_RETURN(std::unique_ptr<engine::GraphEvaluator> evaluator,
                   engine::GraphEvaluator::Create(graph, kernels::KernelRegistry::Default()));
  return evaluator->Run(inputs, EvaluationContext());
}

/// Expects both graphs to run and give the same outputs (bitwise for non-floats, within `tolerance`
/// relative to max(1, |a|) for floats).
inline void ExpectSameOutputs(const ir::Graph& before, const ir::Graph& after, const std::vector<Tensor>& inputs,
                              float tolerance = 1e-6f) {
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
    if (e.dtype() == DType::kFloat32) {
      for (int64_t k = 0; k < e.num_elements(); ++k) {
        const float x = e.data<float>()[k], y = a.data<float>()[k];
        EXPECT_NEAR(x, y, tolerance * std::max(1.0f, std::fabs(x))) << "output " << i << " element " << k;
      }
    } else if (e.dtype() != DType::kString) {
      EXPECT_EQ(0, std::memcmp(e.raw_data(), a.raw_data(), e.byte_size())) << "output " << i;
    }
  }
}

/// Runs `pass` on a copy of `graph`; expects it to succeed and returns the rewritten graph.
inline ir::Graph Rewritten(const ir::Graph& graph, Result<int> (*pass)(ir::Graph&, const PassContext&),
                           int* rewrites = nullptr) {
  ir::Graph copy = graph;
  Result<int> n = pass(copy, PassContext{kernels::KernelRegistry::Default()});
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  if (rewrites != nullptr) *rewrites = n.ok() ? n.value() : -1;
  return copy;
}

/// Counts the nodes of `op` in `graph`.
inline int CountOps(const ir::Graph& graph, const std::string& op) {
  int count = 0;
  for (const ir::Node& node : graph.nodes()) count += node.op_type == op ? 1 : 0;
  return count;
}

}  // namespace mlserving::optimizer::testing

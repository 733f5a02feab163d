#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "ir/attribute.h"
#include "tensor/tensor.h"

namespace mlserving::ir {

/// What kind of thing a value carries. Maps exist for ONNX-ML outputs (ZipMap's sequence of
/// maps is carried at run time as a [batch, classes] tensor). Sequences of tensors and optionals
/// are carried as such (see tensor/value.h); for them `dtype`/`shape` describe the elements.
enum class ValueKind { kTensor, kSequence, kMap, kSequenceOfMaps, kOptional, kOptionalSequence };

/// Static type of a value: dtype and (possibly partial) shape. `shape` is meaningful only when
/// `has_shape`; -1 marks an unknown dim. `dim_names` is either empty or parallel to `shape`:
/// dim_names[i] is the symbolic name of dim i (ONNX dim_param, e.g. "batch"), "" when unnamed.
/// Two dims with the same non-empty name are equal at run time; a named dim is normally -1.
struct ValueType {
  ValueKind kind = ValueKind::kTensor;
  DType dtype = DType::kFloat32;
  bool has_dtype = false;
  bool has_shape = false;
  Shape shape;
  std::vector<std::string> dim_names;
};

/// An edge of the graph: a graph input, an initializer (constant), or a node output.
struct Value {
  std::string name;
  ValueType type;
  std::optional<Tensor> constant;  ///< set for initializers and folded constants
};

using ValueId = int32_t;
inline constexpr ValueId kNoValue = -1;

/// One operation. `inputs` may hold kNoValue for an omitted optional input.
struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  ///< "" for ai.onnx, "ai.onnx.ml", …
  int opset = 0;       ///< the opset version of `domain` the model was exported with
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::map<std::string, Attribute> attributes;

  bool Has(const std::string& key) const { return attributes.count(key) != 0; }
  int64_t GetInt(const std::string& key, int64_t fallback) const;
  float GetFloat(const std::string& key, float fallback) const;
  std::string GetString(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> GetInts(const std::string& key) const;
  std::vector<float> GetFloats(const std::string& key) const;
  std::vector<std::string> GetStrings(const std::string& key) const;
  /// Undefined tensor when absent.
  Tensor GetTensor(const std::string& key) const;
  const Attribute* Find(const std::string& key) const;
  /// "Relu (node 'relu_1')" for error messages.
  std::string Describe() const;
};

/// A dataflow graph in our IR. Nodes are kept in a valid topological order once the importer
/// calls SortTopologically().
class Graph {
 public:
  /// Returns the id of the value called `name`, creating it when new.
  ValueId GetOrAddValue(const std::string& name);
  std::optional<ValueId> FindValue(const std::string& name) const;
  Value& value(ValueId id) { return values_[static_cast<size_t>(id)]; }
  const Value& value(ValueId id) const { return values_[static_cast<size_t>(id)]; }
  size_t num_values() const { return values_.size(); }

  std::vector<Node>& nodes() { return nodes_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<ValueId>& inputs() { return inputs_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  std::vector<ValueId>& outputs() { return outputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }

  /// Orders nodes so each runs after the producers of its inputs, including the implicit inputs
  /// its subgraphs read (ImplicitInputs). Fails on a cycle or on a value that is consumed but
  /// never produced (naming it). `outer_scope` lists values a subgraph may read from its
  /// enclosing graphs.
  Status SortTopologically(const std::vector<std::string>& outer_scope = {});
  /// Index of the node producing each value (-1 for inputs/constants/outer-scope values).
  std::vector<int> ProducerIndex() const;

 private:
  std::vector<Value> values_;
  std::unordered_map<std::string, ValueId> by_name_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
};

/// The names `graph` reads from its enclosing scopes: values consumed by its nodes (or by their
/// subgraphs, recursively) or listed as its outputs that are neither its inputs, its constants
/// nor produced by its nodes. Sorted, unique.
std::vector<std::string> OuterScopeReads(const Graph& graph);

/// The names the subgraph attributes of `node` (If branches, Loop/Scan bodies, …) read from the
/// graph that holds `node`: the union of their OuterScopeReads, sorted, unique. Empty for nodes
/// without subgraphs. The engine hands these values to the kernel as implicit inputs.
std::vector<std::string> ImplicitInputs(const Node& node);

}  // namespace mlserving::ir

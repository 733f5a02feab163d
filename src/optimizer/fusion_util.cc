#include "optimizer/fusion_util.h"

#include <cmath>
#include <limits>
#include <utility>

#include "optimizer/shape_inference.h"

namespace mlserving::optimizer {

bool IsOnnxOp(const ir::Node& node, const char* op_type) {
  return node.op_type == op_type && (node.domain.empty() || node.domain == "ai.onnx");
}

std::optional<double> ScalarConstant(const ir::Graph& graph, ir::ValueId v) {
  const Tensor* t = ConstantOf(graph, v);
  if (t == nullptr || t->num_elements() != 1) return std::nullopt;
  switch (t->dtype()) {
    case DType::kFloat32: return static_cast<double>(t->data<float>()[0]);
    case DType::kFloat64: return t->data<double>()[0];
    case DType::kInt32: return static_cast<double>(t->data<int32_t>()[0]);
    case DType::kInt64: return static_cast<double>(t->data<int64_t>()[0]);
    default: return std::nullopt;
  }
}

bool IsNear(double value, double expected) { return std::fabs(value - expected) <= 1e-4 * std::fabs(expected); }

ir::ValueId OtherInput(const ir::Node& node, ir::ValueId v) {
  if (node.inputs.size() != 2) return ir::kNoValue;
  if (node.inputs[0] == v) return node.inputs[1];
  if (node.inputs[1] == v) return node.inputs[0];
  return ir::kNoValue;
}

int SingleConsumer(const GraphIndex& index, const std::vector<bool>& removed, ir::ValueId v) {
  if (v == ir::kNoValue || !index.HasSingleUse(v)) return -1;
  const int consumer = index.consumers(v).front();
  return removed[static_cast<size_t>(consumer)] ? -1 : consumer;
}

std::optional<DType> StaticDType(const ir::Graph& graph, const std::vector<ir::ValueType>& derived, ir::ValueId v) {
  if (v == ir::kNoValue) return std::nullopt;
  if (const Tensor* t = ConstantOf(graph, v)) return t->dtype();
  if (static_cast<size_t>(v) >= derived.size()) return std::nullopt;
  const ir::ValueType& type = derived[static_cast<size_t>(v)];
  if (type.kind == ir::ValueKind::kTensor && type.has_dtype) return type.dtype;
  return std::nullopt;
}

bool IsFusableFloat(std::optional<DType> dtype) {
  return dtype && (*dtype == DType::kFloat32 || *dtype == DType::kFloat64);
}

std::optional<kernels::FusedActivation> FusableActivation(const ir::Graph& graph, const ir::Node& node) {
  using Kind = kernels::FusedActivation::Kind;
  if (node.outputs.size() != 1 || node.inputs.empty() || node.inputs[0] == ir::kNoValue) return std::nullopt;
  kernels::FusedActivation activation;
  if (IsOnnxOp(node, "Relu")) {
    activation.kind = Kind::kRelu;
  } else if (IsOnnxOp(node, "LeakyRelu")) {
    activation.kind = Kind::kLeakyRelu;
    activation.alpha = node.GetFloat("alpha", 0.01f);
  } else if (IsOnnxOp(node, "Sigmoid")) {
    activation.kind = Kind::kSigmoid;
  } else if (IsOnnxOp(node, "Tanh")) {
    activation.kind = Kind::kTanh;
  } else if (IsOnnxOp(node, "Gelu")) {
    if (node.GetString("approximate", "none") != "none") return std::nullopt;
    activation.kind = Kind::kGelu;
  } else if (IsOnnxOp(node, "Clip")) {
    activation.kind = Kind::kClip;
    double low = -std::numeric_limits<float>::max(), high = std::numeric_limits<float>::max();
    if (node.opset < 11) {
      low = node.GetFloat("min", static_cast<float>(low));
      high = node.GetFloat("max", static_cast<float>(high));
    } else {
      for (size_t i : {size_t{1}, size_t{2}}) {
        if (i >= node.inputs.size() || node.inputs[i] == ir::kNoValue) continue;
        const std::optional<double> bound = ScalarConstant(graph, node.inputs[i]);
        if (!bound) return std::nullopt;
        (i == 1 ? low : high) = *bound;
      }
    }
    if (!(low <= high)) return std::nullopt;
    activation.alpha = static_cast<float>(low);
    activation.beta = static_cast<float>(high);
  } else {
    return std::nullopt;
  }
  if (node.inputs.size() > 1 && activation.kind != Kind::kClip) return std::nullopt;
  return activation;
}

FusionScope::FusionScope(const ir::Graph& graph, bool with_types)
    : index(graph),
      types(with_types ? DeriveTypes(graph) : std::vector<ir::ValueType>()),
      removed(graph.nodes().size(), false) {}

bool FusionScope::AllAlive(const std::vector<int>& chain) const {
  for (int c : chain) {
    if (removed[static_cast<size_t>(c)]) return false;
  }
  return true;
}

int FusionScope::Finish(ir::Graph& graph) {
  RemoveNodes(graph, removed);
  return rewrites;
}

bool ReplaceChain(ir::Graph& graph, FusionScope& scope, const std::vector<int>& chain, int last, ir::Node fused) {
  if (!scope.AllAlive(chain)) return false;
  graph.nodes()[static_cast<size_t>(last)] = std::move(fused);
  for (int c : chain) {
    if (c != last) scope.removed[static_cast<size_t>(c)] = true;
  }
  ++scope.rewrites;
  return true;
}

}  // namespace mlserving::optimizer

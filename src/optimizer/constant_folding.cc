// Constant folding (FoldConstants in passes.h).
//
// A node is folded when its result is the same for every request: all its inputs are constants
// (or omitted), it has no subgraph and it is deterministic. It is evaluated once, here, by the
// kernel it would run with (so the folded value is exactly what a request would have computed),
// and its outputs become constants of the graph; the node is dropped. Shape and Size also fold
// when the shape of their input is known statically, and Gather/Slice of a Shape when the dims
// they pick are known (Shape(x)[1] of an [N,3,H,W] input is 3 whatever N is).
//
// Not folded: nodes whose kernel is missing or fails (the error shows at request time, as
// before), nodes producing sequences or empty optionals, and nodes whose outputs would be much
// bigger than their inputs (ConstantOfShape, Expand, Tile, Range to many megabytes: computing
// those per request costs less than keeping them resident).

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "kernels/reference/kernel_util.h"
#include "optimizer/graph_util.h"
#include "optimizer/inference_mode.h"
#include "optimizer/passes.h"
#include "optimizer/shape_inference.h"

namespace mlserving::optimizer {
namespace {

/// Outputs may take up to this many bytes whatever the inputs' size…
constexpr size_t kMinOutputBudgetBytes = size_t{1} << 20;
/// …or this many times the bytes of the inputs.
constexpr size_t kOutputToInputRatio = 2;
/// Folding, inference and folding again until nothing changes, at most this many rounds.
constexpr int kMaxRounds = 8;

/// Ops whose outputs differ from one run to the next.
bool IsNondeterministic(const ir::Node& node) {
  static const std::set<std::string> kRandom = {"RandomNormal",      "RandomUniform", "RandomNormalLike",
                                                "RandomUniformLike", "Multinomial",   "Bernoulli"};
  if (!node.domain.empty()) return false;
  if (kRandom.count(node.op_type)) return true;
  return false;
}

Tensor Int64Vector(const std::vector<int64_t>& values) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values);
}

/// The dims `shape_node` (a Shape) returns, in order: its input's dims between start and end;
/// unknown ones are -1. Nullopt when the input's rank is unknown.
std::optional<std::vector<int64_t>> ShapeNodeDims(const ir::Node& shape_node, const std::vector<ir::ValueType>& types) {
  if (shape_node.op_type != "Shape" || !shape_node.domain.empty() || shape_node.inputs.empty()) return std::nullopt;
  const ir::ValueId in = shape_node.inputs[0];
  if (in == ir::kNoValue) return std::nullopt;
  const ir::ValueType& type = types[static_cast<size_t>(in)];
  if (type.kind != ir::ValueKind::kTensor || !type.has_shape) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(type.shape.size());
  int64_t start = shape_node.GetInt("start", 0), end = shape_node.GetInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  std::vector<int64_t> dims(type.shape.begin() + start, type.shape.begin() + end);
  for (int64_t& d : dims) d = d < 0 ? -1 : d;
  return dims;
}

/// The value of Shape or Size from a statically known input shape.
std::optional<Tensor> FoldShapeOf(const ir::Node& node, const std::vector<ir::ValueType>& types) {
  if (!node.domain.empty() || node.inputs.empty() || node.inputs[0] == ir::kNoValue) return std::nullopt;
  if (node.op_type == "Shape") {
    std::optional<std::vector<int64_t>> dims = ShapeNodeDims(node, types);
    if (!dims || std::any_of(dims->begin(), dims->end(), [](int64_t d) { return d < 0; })) return std::nullopt;
    return Int64Vector(*dims);
  }
  if (node.op_type == "Size") {
    const ir::ValueType& type = types[static_cast<size_t>(node.inputs[0])];
    if (!IsFullyKnown(type)) return std::nullopt;
    return Tensor::Scalar<int64_t>(NumElements(type.shape));
  }
  return std::nullopt;
}

/// Gather (axis 0) or Slice of a Shape's output when every dim they pick is known.
std::optional<Tensor> FoldShapeSelection(const ir::Graph& graph, const GraphIndex& index, const ir::Node& node,
                                         const std::vector<ir::ValueType>& types) {
  if (!node.domain.empty() || node.inputs.empty() || node.inputs[0] == ir::kNoValue) return std::nullopt;
  if (node.op_type != "Gather" && node.op_type != "Slice") return std::nullopt;
  const int producer = index.producer(node.inputs[0]);
  if (producer < 0) return std::nullopt;
  std::optional<std::vector<int64_t>> dims = ShapeNodeDims(graph.nodes()[static_cast<size_t>(producer)], types);
  if (!dims) return std::nullopt;
  const int64_t length = static_cast<int64_t>(dims->size());
  const auto ints = [&](size_t i) -> std::optional<std::vector<int64_t>> {
    const Tensor* t = i < node.inputs.size() ? ConstantOf(graph, node.inputs[i]) : nullptr;
    if (t == nullptr) return std::nullopt;
    Result<std::vector<int64_t>> values = kernels::reference::ReadInt64s(*t, "value");
    if (!values.ok()) return std::nullopt;
    return std::move(values).value();
  };
  std::vector<int64_t> picked;
  Shape out_shape;
  if (node.op_type == "Gather") {
    const int64_t axis = node.GetInt("axis", 0);
    if (axis != 0 && axis != -1) return std::nullopt;
    std::optional<std::vector<int64_t>> indices = ints(1);
    if (!indices) return std::nullopt;
    for (int64_t i : *indices) {
      if (i < -length || i >= length) return std::nullopt;  // the kernel reports it at run time
      picked.push_back((*dims)[static_cast<size_t>(i < 0 ? i + length : i)]);
    }
    out_shape = ConstantOf(graph, node.inputs[1])->shape();
  } else {
    if (node.opset < 10) return std::nullopt;
    std::optional<std::vector<int64_t>> starts = ints(1), ends = ints(2);
    if (!starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
    if (node.inputs.size() > 3 && node.inputs[3] != ir::kNoValue) {
      std::optional<std::vector<int64_t>> axes = ints(3);
      if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1)) return std::nullopt;
    }
    int64_t step = 1;
    if (node.inputs.size() > 4 && node.inputs[4] != ir::kNoValue) {
      std::optional<std::vector<int64_t>> steps = ints(4);
      if (!steps || steps->size() != 1 || (*steps)[0] == 0) return std::nullopt;
      step = (*steps)[0];
    }
    int64_t start = (*starts)[0], end = (*ends)[0];
    if (start < 0) start = start < -length ? 0 : start + length;
    if (end < 0) end = end < -length ? -1 : end + length;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, length);
      end = std::clamp<int64_t>(end, 0, length);
      for (int64_t i = start; i < end; i += step) picked.push_back((*dims)[static_cast<size_t>(i)]);
    } else {
      start = std::clamp<int64_t>(start, 0, length - 1);
      end = std::clamp<int64_t>(end, -1, length - 1);
      for (int64_t i = start; i > end; i += step) picked.push_back((*dims)[static_cast<size_t>(i)]);
    }
    out_shape = {static_cast<int64_t>(picked.size())};
  }
  if (std::any_of(picked.begin(), picked.end(), [](int64_t d) { return d < 0; })) return std::nullopt;
  Result<Tensor> out = Int64Vector(picked).Reshaped(out_shape);
  if (!out.ok()) return std::nullopt;
  return std::move(out).value();
}

/// Runs `node`'s kernel on its constant inputs; nullopt when it cannot be folded.
std::optional<std::vector<Tensor>> Evaluate(const ir::Graph& graph, const ir::Node& node,
                                            const kernels::KernelRegistry& registry) {
  const kernels::KernelFactoryWithConstants* factory = registry.FindWithConstants(node.domain, node.op_type);
  if (factory == nullptr) return std::nullopt;
  kernels::KernelCreateContext create;
  kernels::KernelContext ctx;
  size_t input_bytes = 0;
  for (ir::ValueId in : node.inputs) {
    const Tensor* t = ConstantOf(graph, in);
    if (in != ir::kNoValue && t == nullptr) return std::nullopt;
    create.constant_inputs.push_back(t);
    ctx.inputs.push_back(t);
    if (t != nullptr) input_bytes += t->byte_size();
  }
  // A Constant's value already sits in the graph (its attribute): folding it costs nothing.
  const bool unbounded = node.op_type == "Constant" && node.domain.empty();
  const size_t budget = unbounded ? SIZE_MAX : std::max(kMinOutputBudgetBytes, kOutputToInputRatio * input_bytes);
  if (!unbounded) ctx.max_tensor_elements = static_cast<int64_t>(budget);  // every element is >= 1 byte
  Result<std::unique_ptr<kernels::Kernel>> kernel = (*factory)(node, create);
  if (!kernel.ok()) return std::nullopt;
  ctx.outputs.assign(node.outputs.size(), Tensor());
  ctx.sequence_outputs.assign(node.outputs.size(), std::nullopt);
  if (!kernel.value()->Compute(ctx).ok()) return std::nullopt;
  size_t output_bytes = 0;
  for (size_t o = 0; o < node.outputs.size(); ++o) {
    if (node.outputs[o] == ir::kNoValue) continue;
    const bool sequence = o < ctx.sequence_outputs.size() && ctx.sequence_outputs[o].has_value();
    if (sequence || o >= ctx.outputs.size() || !ctx.outputs[o].defined()) return std::nullopt;
    output_bytes += ctx.outputs[o].byte_size();
  }
  if (output_bytes > budget) return std::nullopt;
  ctx.outputs.resize(node.outputs.size());
  return std::move(ctx.outputs);
}

/// One sweep over the nodes in order (so chains fold in one go); returns the nodes folded.
int FoldSweep(ir::Graph& graph, const PassContext& context) {
  const std::vector<ir::ValueType> types = DeriveTypes(graph);
  const GraphIndex index(graph);
  std::vector<bool> remove(graph.nodes().size(), false);
  int folded = 0;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const ir::Node& node = graph.nodes()[n];
    const bool has_output =
        std::any_of(node.outputs.begin(), node.outputs.end(), [](ir::ValueId v) { return v != ir::kNoValue; });
    if (!has_output || HasSubgraphs(node) || IsNondeterministic(node) || IsTrainingDropout(graph, node)) continue;
    std::optional<std::vector<Tensor>> outputs;
    if (std::optional<Tensor> t = FoldShapeOf(node, types)) {
      outputs = std::vector<Tensor>{std::move(*t)};
    } else if (std::optional<Tensor> s = FoldShapeSelection(graph, index, node, types)) {
      outputs = std::vector<Tensor>{std::move(*s)};
    } else {
      outputs = Evaluate(graph, node, context.registry);
    }
    if (!outputs || outputs->size() < node.outputs.size()) continue;
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o] != ir::kNoValue) SetConstant(graph, node.outputs[o], std::move((*outputs)[o]));
    }
    remove[n] = true;
    ++folded;
  }
  RemoveNodes(graph, remove);
  return folded;
}

}  // namespace

Result<int> FoldConstants(ir::Graph& graph, const PassContext& context) {
  int folded = 0;
  for (int round = 0; round < kMaxRounds; ++round) {
    const int now = FoldSweep(graph, context);
    folded += now;
    if (now == 0) break;
  }
  return folded;
}

}  // namespace mlserving::optimizer

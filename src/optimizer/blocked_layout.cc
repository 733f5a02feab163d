// Keeps CNN activations in oneDNN's channel-blocked layout (kernels/blocked_layout.h) between
// ops, so that a chain of convolutions does not reorder its source plain→blocked and its
// destination blocked→plain around every convolution (ONNX Runtime's NCHWc transformer does the
// same).
//
// In topological order, a node becomes blocked when:
// - Conv / FusedConv with a constant float32 4-D W, group 1 (or depthwise: group = C = W's output
//   channels, a multiple of the block), one output → BlockedConv; its X may be blocked (then its
//   channel count must be W's input channels × group) or plain (the first convolution of a net);
// - MaxPool (no Indices) / AveragePool / GlobalMaxPool / GlobalAveragePool of a blocked X →
//   Blocked*Pool;
// - a unary op that maps 0 to 0 (Relu, LeakyRelu, Tanh, Elu, Selu, Neg, Abs, Gelu) of a blocked X
//   → the same op on the blocked tensor;
// - Add / Sub / Mul / Max / Min of two blocked inputs with the same channel count → the same op on
//   the blocked tensors. Broadcasting over N and the spatial dims is the same in both layouts
//   (both inputs are rank 5 with equal channel blocks and lanes), and 0 op 0 = 0 keeps the
//   padding channels zero. One operand may be plain when it has that channel count in dim 1 of
//   rank 4 (after ONNX's prepending of 1s, e.g. a per-channel constant [C, 1, 1]): a constant is
//   stored blocked once, here; any other value goes through a ToBlocked inserted before its first
//   such reader. That channel count comes from DeriveTypes or, past the convolutions (which
//   DeriveTypes does not see through), from their weights (a squeeze-excitation gate).
// A blocked node writes a new value; FromBlocked writes the original value (same id) right after it
// when any other node reads it, a subgraph reads it or it is a graph output.
//
// The block is PreferredChannelBlock() (8 or 16 for every tensor, or each tensor's C for
// channels-last): the pass does nothing when oneDNN prefers neither on this CPU or the registry
// lacks the blocked ops.

#include <map>
#include <string>
#include <vector>

#include "ir/make_attribute.h"
#include "kernels/blocked_layout.h"
#include "kernels/fused_activation.h"
#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"
#include "optimizer/shape_inference.h"

namespace mlserving::optimizer {
namespace {

enum class Conversion { kNone, kConv, kPool, kElementwise };

bool IsConv(const ir::Node& node) {
  return IsOnnxOp(node, "Conv") || (node.domain == kernels::kMlServingDomain && node.op_type == "FusedConv");
}

bool IsBlockablePool(const ir::Node& node) {
  if (IsOnnxOp(node, "MaxPool")) return node.outputs.size() == 1 || node.outputs[1] == ir::kNoValue;
  return IsOnnxOp(node, "AveragePool") || IsOnnxOp(node, "GlobalMaxPool") || IsOnnxOp(node, "GlobalAveragePool");
}

/// Unary ops with f(0) = 0, which keep the padding channels zero.
bool IsZeroPreservingUnary(const ir::Node& node) {
  for (const char* op : {"Relu", "LeakyRelu", "Tanh", "Elu", "Selu", "Neg", "Abs", "Gelu"}) {
    if (IsOnnxOp(node, op)) return true;
  }
  return false;
}

bool IsZeroPreservingBinary(const ir::Node& node) {
  for (const char* op : {"Add", "Sub", "Mul", "Max", "Min"}) {
    if (IsOnnxOp(node, op)) return true;
  }
  return false;
}

/// Ops whose output keeps their input 0's rank, channel count and dtype (for known_channels).
bool IsShapePreservingUnary(const ir::Node& node) {
  if (IsZeroPreservingUnary(node) || IsBlockablePool(node)) return true;
  for (const char* op : {"Sigmoid", "HardSigmoid", "HardSwish", "Clip", "Exp", "Softplus", "Identity", "Erf"}) {
    if (IsOnnxOp(node, op)) return true;
  }
  return false;
}

/// True when the plain `v` can be put into the blocked layout as the operand of a binary op whose
/// other operand is blocked with `channels` channels: a float32 constant whose rank-4 form (1s
/// prepended) has `channels` in dim 1, or a value `known_channels` says is a float32 rank-4
/// tensor of `channels` channels.
bool IsBlockableOperand(const ir::Graph& graph, const std::vector<int64_t>& known_channels, ir::ValueId v,
                        int64_t channels) {
  if (v == ir::kNoValue) return false;
  if (const Tensor* constant = ConstantOf(graph, v)) {
    return constant->dtype() == DType::kFloat32 && constant->rank() >= 3 && constant->rank() <= 4 &&
           constant->dim(constant->rank() - 3) == channels;
  }
  return known_channels[static_cast<size_t>(v)] == channels;
}

/// The output channels of `conv` when it can become a BlockedConv reading an X of `x_channels`
/// channels (0: X is plain); 0 otherwise.
int64_t BlockableConvChannels(const ir::Graph& graph, const ir::Node& conv, int64_t x_channels, int64_t preferred) {
  if (conv.outputs.size() != 1 || conv.inputs.size() < 2 || conv.inputs.size() > 3) return 0;
  const Tensor* w = ConstantOf(graph, conv.inputs[1]);
  if (w == nullptr || w->dtype() != DType::kFloat32 || w->rank() != 4 || w->dim(0) < 1 || w->dim(1) < 1) return 0;
  const int64_t group = conv.GetInt("group", 1);
  const int64_t in_channels = w->dim(1) * group;
  if (group != 1) {
    // Depthwise only, with whole blocks (oneDNN's blocked depthwise kernels need them).
    if (w->dim(1) != 1 || w->dim(0) != group || group % kernels::BlockFor(preferred, group) != 0) return 0;
  }
  if (x_channels != 0 && x_channels != in_channels) return 0;
  return w->dim(0);
}

}  // namespace

Result<int> ConvertToBlockedLayout(ir::Graph& graph, const PassContext& context) {
  for (const char* op : {"ToBlocked", "FromBlocked", "BlockedConv"}) {
    if (context.registry.Find(kernels::kMlServingDomain, op) == nullptr) return 0;
  }
  const int64_t preferred = kernels::PreferredChannelBlock();
  if (preferred == 0) return 0;
  const GraphIndex index(graph);
  const std::vector<ir::ValueType> types = DeriveTypes(graph);
  std::vector<ir::Node>& nodes = graph.nodes();

  // Pass 1: which nodes become blocked; channels[v] > 0 marks a value that will be blocked.
  std::vector<int64_t> channels(graph.num_values(), 0);
  auto blocked_channels = [&](ir::ValueId v) { return v == ir::kNoValue ? 0 : channels[static_cast<size_t>(v)]; };
  // known_channels[v] > 0: v is a float32 rank-4 tensor of that many channels, from DeriveTypes
  // (graph inputs and what follows from them) or from the convolutions' weights (which DeriveTypes
  // cannot see through, as it does not know FusedConv) through shape-preserving unary ops.
  std::vector<int64_t> known_channels(graph.num_values(), 0);
  for (size_t v = 0; v < types.size() && v < known_channels.size(); ++v) {
    const ir::ValueType& type = types[v];
    if (type.has_dtype && type.dtype == DType::kFloat32 && type.has_shape && type.shape.size() == 4 &&
        type.shape[1] > 0) {
      known_channels[v] = type.shape[1];
    }
  }
  std::vector<Conversion> conversion(nodes.size(), Conversion::kNone);
  for (size_t n = 0; n < nodes.size(); ++n) {
    const ir::Node& node = nodes[n];
    if (HasSubgraphs(node) || node.inputs.empty() || node.outputs.empty() || node.outputs[0] == ir::kNoValue) continue;
    const int64_t x_channels = blocked_channels(node.inputs[0]);
    int64_t out_channels = 0;
    if (IsConv(node)) {
      // X's dtype is W's (ONNX's Conv has one T; a model where they differ fails either way).
      out_channels = BlockableConvChannels(graph, node, x_channels, preferred);
      if (out_channels > 0) conversion[n] = Conversion::kConv;
      const Tensor* w = node.inputs.size() >= 2 ? ConstantOf(graph, node.inputs[1]) : nullptr;
      if (w != nullptr && w->dtype() == DType::kFloat32 && w->rank() == 4 && node.outputs.size() == 1) {
        known_channels[static_cast<size_t>(node.outputs[0])] = w->dim(0);
      }
    } else if (node.outputs.size() == 1) {
      if (x_channels > 0 && IsBlockablePool(node)) {
        conversion[n] = Conversion::kPool;
        out_channels = x_channels;
      } else if (x_channels > 0 && IsZeroPreservingUnary(node) && node.inputs.size() == 1) {
        conversion[n] = Conversion::kElementwise;
        out_channels = x_channels;
      } else if (IsZeroPreservingBinary(node) && node.inputs.size() == 2) {
        const int64_t c0 = x_channels, c1 = blocked_channels(node.inputs[1]);
        const int64_t c = c0 > 0 ? c0 : c1;
        if (c > 0 && (c0 == c1 || IsBlockableOperand(graph, known_channels, node.inputs[c0 > 0 ? 1 : 0], c))) {
          conversion[n] = Conversion::kElementwise;
          out_channels = c;
        }
      }
    }
    if (conversion[n] != Conversion::kNone) channels[static_cast<size_t>(node.outputs[0])] = out_channels;
    if (conversion[n] != Conversion::kNone ||
        (IsShapePreservingUnary(node) && node.outputs.size() == 1 && node.inputs[0] != ir::kNoValue)) {
      const int64_t c =
          conversion[n] != Conversion::kNone ? out_channels : known_channels[static_cast<size_t>(node.inputs[0])];
      if (c > 0) known_channels[static_cast<size_t>(node.outputs[0])] = c;
    }
  }

  // Pass 2: rewrite in order; blocked nodes write new values, FromBlocked restores the originals
  // that anything else reads.
  std::vector<ir::ValueId> twin(graph.num_values(), ir::kNoValue);
  auto needs_plain = [&](ir::ValueId v) {
    if (index.is_graph_output(v)) return true;
    for (int consumer : index.consumers(v)) {
      if (conversion[static_cast<size_t>(consumer)] == Conversion::kNone) return true;
    }
    return false;
  };
  std::vector<ir::Node> rewritten;
  rewritten.reserve(nodes.size());
  std::map<ir::ValueId, ir::ValueId> blocked_operand;  ///< plain operand -> its blocked copy
  int rewrites = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    ir::Node node = std::move(nodes[n]);
    if (conversion[n] == Conversion::kNone) {
      rewritten.push_back(std::move(node));
      continue;
    }
    ++rewrites;
    // Blocked inputs: X of every converted node, and the second operand of a binary op.
    const size_t blocked_inputs = conversion[n] == Conversion::kElementwise ? node.inputs.size() : 1;
    const int64_t x_channels = blocked_channels(node.inputs[0]);
    const ir::ValueId plain = node.outputs[0];
    const int64_t block = kernels::BlockFor(preferred, channels[static_cast<size_t>(plain)]);
    for (size_t i = 0; i < blocked_inputs; ++i) {
      const ir::ValueId in = node.inputs[i];
      if (in == ir::kNoValue) continue;
      if (twin[static_cast<size_t>(in)] != ir::kNoValue) {
        node.inputs[i] = twin[static_cast<size_t>(in)];
        continue;
      }
      if (conversion[n] != Conversion::kElementwise || node.inputs.size() != 2) continue;  // a conv's plain X
      // The plain operand of a binary op (IsBlockableOperand), blocked once for all its readers.
      auto [it, added] = blocked_operand.emplace(in, ir::kNoValue);
      if (added) {
        if (const Tensor* constant = ConstantOf(graph, in)) {
          Shape shape = constant->shape();
          if (shape.size() == 3) shape.insert(shape.begin(), 1);
          ASSIGN_OR_RETURN(const Tensor rank4, constant->Reshaped(shape));
          ASSIGN_OR_RETURN(Tensor blocked, kernels::ToBlockedLayout(kernels::KernelContext(), rank4, block));
          const std::string base = graph.value(in).name + "_blocked";
          it->second = AddConstant(graph, base, std::move(blocked));
        } else {
          it->second = AddUniqueValue(graph, graph.value(in).name + "_blocked");
          ir::Node to;
          to.name = node.name + "_to_blocked";
          to.op_type = "ToBlocked";
          to.domain = kernels::kMlServingDomain;
          to.opset = 1;
          to.inputs = {in};
          to.outputs = {it->second};
          to.attributes[kernels::kBlockAttr] = ir::IntAttr(block);
          rewritten.push_back(std::move(to));
        }
      }
      node.inputs[i] = it->second;
    }
    if (conversion[n] == Conversion::kConv) {
      node.op_type = "BlockedConv";
      node.domain = kernels::kMlServingDomain;
      node.opset = 1;
      node.attributes["src_block"] = ir::IntAttr(x_channels > 0 ? kernels::BlockFor(preferred, x_channels) : 0);
    } else if (conversion[n] == Conversion::kPool) {
      node.op_type = "Blocked" + node.op_type;
      node.domain = kernels::kMlServingDomain;
    }
    if (conversion[n] != Conversion::kElementwise) node.attributes[kernels::kBlockAttr] = ir::IntAttr(block);
    const ir::ValueId blocked = AddUniqueValue(graph, graph.value(plain).name + "_blocked");
    ir::ValueType& type = graph.value(blocked).type;
    type.dtype = DType::kFloat32;
    type.has_dtype = true;
    twin[static_cast<size_t>(plain)] = blocked;
    node.outputs[0] = blocked;
    const std::string name = node.name;
    rewritten.push_back(std::move(node));
    if (needs_plain(plain)) {
      ir::Node from;
      from.name = name + "_from_blocked";
      from.op_type = "FromBlocked";
      from.domain = kernels::kMlServingDomain;
      from.opset = 1;
      from.inputs = {blocked};
      from.outputs = {plain};
      from.attributes[kernels::kBlockAttr] = ir::IntAttr(block);
      from.attributes["channels"] = ir::IntAttr(channels[static_cast<size_t>(plain)]);
      rewritten.push_back(std::move(from));
    }
  }
  nodes = std::move(rewritten);
  return rewrites;
}

}  // namespace mlserving::optimizer

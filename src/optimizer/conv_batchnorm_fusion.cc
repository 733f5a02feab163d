// Conv -> BatchNormalization (inference) folded into the Conv's weights and bias:
//   y = scale * (conv(x, W) + B - mean) / sqrt(var + eps) + beta
//     = conv(x, W * f) + (B - mean) * f + beta,   f = scale / sqrt(var + eps) per output channel.

#include <cmath>
#include <string>
#include <vector>

#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {
namespace {

/// A constant 1-D float tensor of `channels` elements of `dtype`, as doubles; empty otherwise.
std::vector<double> ChannelVector(const ir::Graph& graph, ir::ValueId v, DType dtype, int64_t channels) {
  const Tensor* t = ConstantOf(graph, v);
  if (t == nullptr || t->dtype() != dtype || t->rank() != 1 || t->dim(0) != channels) return {};
  std::vector<double> out(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    out[static_cast<size_t>(c)] =
        dtype == DType::kFloat32 ? static_cast<double>(t->data<float>()[c]) : t->data<double>()[c];
  }
  return out;
}

/// True when the BatchNormalization node is the inference form whose only used output is Y.
bool IsInferenceBatchNorm(const ir::Node& bn, const GraphIndex& index) {
  if (bn.GetInt("training_mode", 0) != 0 || bn.GetInt("spatial", 1) != 1) return false;
  if (bn.inputs.size() != 5 || bn.outputs.empty() || bn.outputs[0] == ir::kNoValue) return false;
  for (size_t o = 1; o < bn.outputs.size(); ++o) {
    const ir::ValueId out = bn.outputs[o];
    if (out != ir::kNoValue && (!index.consumers(out).empty() || index.is_graph_output(out))) return false;
  }
  return true;
}

/// Fills `out` (of W's dtype) from doubles.
Tensor FromDoubles(DType dtype, const Shape& shape, const std::vector<double>& values) {
  Tensor t(dtype, shape);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kFloat32) {
      t.data<float>()[i] = static_cast<float>(values[i]);
    } else {
      t.data<double>()[i] = values[i];
    }
  }
  return t;
}

}  // namespace

Result<int> FuseConvBatchNorm(ir::Graph& graph, const PassContext&) {
  const GraphIndex index(graph);
  std::vector<ir::Node>& nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false), touched(nodes.size(), false);
  int rewrites = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    const ir::Node& bn = nodes[n];
    if (!IsOnnxOp(bn, "BatchNormalization") || !IsInferenceBatchNorm(bn, index)) continue;
    const ir::ValueId conv_out = bn.inputs[0];
    const int p = index.producer(conv_out);
    if (p < 0 || touched[static_cast<size_t>(p)] || !IsOnnxOp(nodes[static_cast<size_t>(p)], "Conv")) continue;
    if (!index.HasSingleUse(conv_out)) continue;
    ir::Node& conv = nodes[static_cast<size_t>(p)];
    if (conv.inputs.size() < 2 || conv.outputs.size() != 1) continue;
    const Tensor* w = ConstantOf(graph, conv.inputs[1]);
    if (w == nullptr || w->rank() < 3 || !IsFusableFloat(w->dtype())) continue;
    const DType dtype = w->dtype();
    const int64_t channels = w->dim(0);
    if (channels == 0) continue;
    std::vector<double> bias(static_cast<size_t>(channels), 0.0);
    if (conv.inputs.size() > 2 && conv.inputs[2] != ir::kNoValue) {
      bias = ChannelVector(graph, conv.inputs[2], dtype, channels);
      if (bias.empty()) continue;
    }
    const std::vector<double> scale = ChannelVector(graph, bn.inputs[1], dtype, channels);
    const std::vector<double> beta = ChannelVector(graph, bn.inputs[2], dtype, channels);
    const std::vector<double> mean = ChannelVector(graph, bn.inputs[3], dtype, channels);
    const std::vector<double> var = ChannelVector(graph, bn.inputs[4], dtype, channels);
    if (scale.empty() || beta.empty() || mean.empty() || var.empty()) continue;
    const double epsilon = bn.GetFloat("epsilon", 1e-5f);

    const int64_t per_channel = w->num_elements() / channels;
    std::vector<double> weights(static_cast<size_t>(w->num_elements()));
    std::vector<double> new_bias(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      const size_t ci = static_cast<size_t>(c);
      const double factor = scale[ci] / std::sqrt(var[ci] + epsilon);
      for (int64_t i = c * per_channel; i < (c + 1) * per_channel; ++i) {
        const double value = dtype == DType::kFloat32 ? static_cast<double>(w->data<float>()[i]) : w->data<double>()[i];
        weights[static_cast<size_t>(i)] = value * factor;
      }
      new_bias[ci] = (bias[ci] - mean[ci]) * factor + beta[ci];
    }
    const std::string base = conv.name.empty() ? graph.value(conv_out).name : conv.name;
    const Shape w_shape = w->shape();
    const ir::ValueId new_w = AddConstant(graph, base + "_bn_weights", FromDoubles(dtype, w_shape, weights));
    const ir::ValueId new_b = AddConstant(graph, base + "_bn_bias", FromDoubles(dtype, {channels}, new_bias));
    // The Conv now produces the BatchNormalization's output; its readers all come later.
    conv.inputs.resize(3);
    conv.inputs[1] = new_w;
    conv.inputs[2] = new_b;
    conv.outputs[0] = bn.outputs[0];
    removed[n] = touched[n] = touched[static_cast<size_t>(p)] = true;
    ++rewrites;
  }
  RemoveNodes(graph, removed);
  return rewrites;
}

}  // namespace mlserving::optimizer

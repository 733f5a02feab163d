#pragma once

#include "kernels/registry.h"

// One registration function per op family; each lives in the family's .cc file.
namespace mlserving::kernels::reference {

void RegisterBinaryKernels(KernelRegistry& registry);    // binary_ops.cc
void RegisterUnaryKernels(KernelRegistry& registry);     // unary_ops.cc
void RegisterLinalgKernels(KernelRegistry& registry);    // linalg_ops.cc (MatMul, Gemm, Softmax, BatchNorm)
void RegisterShapeKernels(KernelRegistry& registry);     // shape_ops.cc
void RegisterReduceKernels(KernelRegistry& registry);    // reduce_ops.cc
void RegisterMlKernels(KernelRegistry& registry);        // ml_*.cc (ai.onnx.ml)
void RegisterIndexKernels(KernelRegistry& registry);     // index_ops.cc (Gather/Scatter*, OneHot, Trilu, …)
void RegisterSelectKernels(KernelRegistry& registry);    // select_ops.cc (TopK, Unique, NonMaxSuppression)
void RegisterLossKernels(KernelRegistry& registry);      // loss_ops.cc
void RegisterQuantizeKernels(KernelRegistry& registry);  // quantize_ops.cc
void RegisterStringKernels(KernelRegistry& registry);    // string_ops.cc
void RegisterMatrixKernels(KernelRegistry& registry);    // matrix_ops.cc (Einsum, Det)
void RegisterRandomKernels(KernelRegistry& registry);    // random_ops.cc
void RegisterSignalKernels(KernelRegistry& registry);    // signal_ops.cc (windows, DFT, STFT)
/// Sequence and optional ops; wraps the Identity registered before it, so call it after
/// RegisterUnaryKernels.
void RegisterSequenceKernels(KernelRegistry& registry);    // sequence_ops.cc
void RegisterRnnKernels(KernelRegistry& registry);         // rnn_ops.cc (RNN, GRU, LSTM)
void RegisterConvKernels(KernelRegistry& registry);        // conv_ops.cc (Conv, ConvTranspose, ConvInteger)
void RegisterPoolKernels(KernelRegistry& registry);        // pool_ops.cc (*Pool, MaxUnpool, RoiAlign)
void RegisterNormKernels(KernelRegistry& registry);        // norm_ops.cc (LayerNorm, InstanceNorm, LRN, MVN, …)
void RegisterImageKernels(KernelRegistry& registry);       // image_ops.cc (Resize, Pad, DepthToSpace, GridSample, …)
void RegisterActivationKernels(KernelRegistry& registry);  // activation_ops.cc (PRelu)
/// The com.mlserving ops the graph optimizer fuses (FusedConv, FusedMatMul); wraps the Conv and
/// MatMul registered before it, so call it after RegisterConvKernels and RegisterLinalgKernels.
void RegisterFusedKernels(KernelRegistry& registry);  // fused_ops.cc
/// com.mlserving Attention (attention.h), fused by the graph optimizer.
void RegisterAttentionKernels(KernelRegistry& registry);  // attention_ops.cc
/// The com.mlserving ops over the channel-blocked layout (kernels/blocked_layout.h); wraps FusedConv
/// and the pools registered before it, so call it after RegisterFusedKernels.
void RegisterBlockedKernels(KernelRegistry& registry);  // blocked_ops.cc

}  // namespace mlserving::kernels::reference

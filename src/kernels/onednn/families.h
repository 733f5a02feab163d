#pragma once

// The oneDNN kernel families; each replaces the ops it accelerates and keeps the kernel
// registered before it (the reference one) as its fallback. Called by RegisterOneDnnKernels.

#include "kernels/registry.h"

namespace mlserving::kernels::onednn {

void RegisterMatMulKernels(KernelRegistry& registry);         // matmul_ops.cc (MatMul, Gemm)
void RegisterConvKernels(KernelRegistry& registry);           // conv_ops.cc (Conv)
void RegisterPoolKernels(KernelRegistry& registry);           // pool_ops.cc (Max/Average/Global*Pool)
void RegisterNormKernels(KernelRegistry& registry);           // norm_ops.cc (Softmax, LogSoftmax, LayerNorm)
void RegisterEltwiseKernels(KernelRegistry& registry);        // eltwise_ops.cc (Relu, Sigmoid, Tanh, Gelu, …)
void RegisterAttentionKernels(KernelRegistry& registry);      // attention_ops.cc (com.mlserving Attention)
void RegisterBlockedLayoutKernels(KernelRegistry& registry);  // blocked_layout_ops.cc (ToBlocked, FromBlocked)
void RegisterReduceKernels(KernelRegistry& registry);         // reduce_ops.cc (ReduceSum, ReduceMean)

}  // namespace mlserving::kernels::onednn

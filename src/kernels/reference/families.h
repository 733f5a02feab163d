#pragma once

#include "kernels/registry.h"

// One registration function per op family; each lives in the family's .cc file.
namespace mlserving::kernels::reference {

void RegisterBinaryKernels(KernelRegistry& registry);   // binary_ops.cc
void RegisterUnaryKernels(KernelRegistry& registry);    // unary_ops.cc
void RegisterLinalgKernels(KernelRegistry& registry);   // linalg_ops.cc (MatMul, Gemm, Softmax, BatchNorm)
void RegisterShapeKernels(KernelRegistry& registry);    // shape_ops.cc
void RegisterReduceKernels(KernelRegistry& registry);   // reduce_ops.cc
void RegisterMlKernels(KernelRegistry& registry);       // ml_*.cc (ai.onnx.ml)

}  // namespace mlserving::kernels::reference

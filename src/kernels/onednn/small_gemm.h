#pragma once

// A direct float32 GEMM for products so small (batch-1 or small-batch requests of tabular models)
// that the fixed cost of a oneDNN primitive call — memory objects, execution context, a parallel
// region — exceeds the arithmetic. Single-threaded, AVX2+FMA (chosen at run time; absent on other
// CPUs, where SmallGemm() declines and the caller uses oneDNN).

#include <cstdint>

#include "kernels/fused_activation.h"

namespace mlserving::kernels::onednn {

/// Operands of y = activation(alpha * A·B + beta * C + bias), all float32 and row-major.
struct SmallGemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;  ///< [m, k]
  const float* b = nullptr;  ///< [k, n], or [n, k] when b_transposed
  bool b_transposed = false;
  float alpha = 1.0f;
  /// Null, or C broadcast to [m, n] through its strides (0 for a broadcast dim).
  const float* c = nullptr;
  int64_t c_row_stride = 0, c_col_stride = 0;
  float beta = 1.0f;
  /// Null, or a bias [n] added to every row.
  const float* bias = nullptr;
  /// kNone, kRelu, kLeakyRelu or kClip (SmallGemmEpilogueSupports); applied to each output block
  /// while it is in registers.
  FusedActivation activation;
  float* y = nullptr;  ///< [m, n]
};

/// True for the activations SmallGemm applies itself; the caller applies the others afterwards.
bool SmallGemmEpilogueSupports(const FusedActivation& activation);

/// True when the direct path should run a product of this size: at most 64 rows and 256K
/// multiply-adds, on a CPU with AVX2 and FMA.
bool SmallGemmApplies(int64_t m, int64_t n, int64_t k);

/// Computes `args` (preconditions: SmallGemmApplies(m, n, k) and
/// SmallGemmEpilogueSupports(activation)).
void SmallGemm(const SmallGemmArgs& args);

}  // namespace mlserving::kernels::onednn

#pragma once

// Copies along one axis, for any dtype (strings included): the building blocks of the sequence
// ops (ConcatFromSequence, SplitToSequence) and of the scan outputs of Loop and Scan.

#include <vector>

#include "core/result.h"
#include "kernels/kernel.h"
#include "tensor/tensor.h"

namespace mlserving::kernels::reference {

/// Joins `parts` (at least one, all of one dtype) along `axis`. With `new_axis` false the parts
/// must have one rank and equal dims except along `axis` (in [0, rank)); with `new_axis` true
/// they must have equal shapes and are stacked along a new dim inserted at `axis` (in
/// [0, rank]). kInvalidArgument on a mismatch; the output is allocated through `ctx`.
Result<Tensor> ConcatAlongAxis(const KernelContext& ctx, const std::vector<Tensor>& parts, int64_t axis, bool new_axis);

/// The slice [begin, begin + length) of `tensor` along `axis` (in [0, rank)); with `keep_dim`
/// false and length 1 the axis is dropped. Precondition: the range lies within the dim.
Result<Tensor> SliceAlongAxis(const KernelContext& ctx, const Tensor& tensor, int64_t axis, int64_t begin,
                              int64_t length, bool keep_dim);

}  // namespace mlserving::kernels::reference

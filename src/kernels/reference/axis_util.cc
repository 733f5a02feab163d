#include "kernels/reference/axis_util.h"

#include <cstring>
#include <string>

#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// Copies `count` elements from `src` at `src_offset` to `dst` at `dst_offset` (same dtype).
void CopyElements(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset, int64_t count) {
  if (count <= 0) return;
  if (src.dtype() == DType::kString) {
    const std::string* in = src.data<std::string>() + src_offset;
    std::string* out = dst.data<std::string>() + dst_offset;
    for (int64_t i = 0; i < count; ++i) out[i] = in[i];
    return;
  }
  const size_t size = DTypeSize(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw_data()) + static_cast<size_t>(dst_offset) * size,
              static_cast<const char*>(src.raw_data()) + static_cast<size_t>(src_offset) * size,
              static_cast<size_t>(count) * size);
}

}  // namespace

Result<Tensor> ConcatAlongAxis(const KernelContext& ctx, const std::vector<Tensor>& parts, int64_t axis,
                               bool new_axis) {
  if (parts.empty()) return InvalidArgument("nothing to concatenate");
  const Tensor& first = parts.front();
  const int64_t rank = first.rank();
  if (axis < 0 || axis > rank || (!new_axis && axis == rank)) {
    return InvalidArgument("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  Shape out_shape = first.shape();
  if (new_axis) {
    out_shape.insert(out_shape.begin() + axis, static_cast<int64_t>(parts.size()));
  } else {
    out_shape[static_cast<size_t>(axis)] = 0;
  }
  for (const Tensor& part : parts) {
    if (part.dtype() != first.dtype()) {
      return InvalidArgument("cannot join " + part.DebugString() + " with " + first.DebugString() +
                             ": element types differ");
    }
    bool compatible = part.rank() == rank;
    for (int64_t d = 0; compatible && d < rank; ++d) {
      if (d != axis || new_axis) compatible = part.dim(d) == first.dim(d);
    }
    if (!compatible) {
      return InvalidArgument("cannot join " + part.DebugString() + " with " + first.DebugString() + " along axis " +
                             std::to_string(axis));
    }
    if (!new_axis) out_shape[static_cast<size_t>(axis)] += part.dim(axis);
  }
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(first.dtype(), out_shape));
  const int64_t outer = DimProduct(out_shape, 0, static_cast<size_t>(axis));
  const int64_t out_inner = DimProduct(out_shape, static_cast<size_t>(axis), out_shape.size());
  int64_t column = 0;
  for (const Tensor& part : parts) {
    // The block one part contributes per outer index (for a stack, the part has no dim `axis`).
    const int64_t inner = DimProduct(part.shape(), static_cast<size_t>(axis), part.shape().size());
    for (int64_t o = 0; o < outer; ++o) CopyElements(part, o * inner, out, o * out_inner + column, inner);
    column += inner;
  }
  return out;
}

Result<Tensor> SliceAlongAxis(const KernelContext& ctx, const Tensor& tensor, int64_t axis, int64_t begin,
                              int64_t length, bool keep_dim) {
  Shape out_shape = tensor.shape();
  if (keep_dim || length != 1) {
    out_shape[static_cast<size_t>(axis)] = length;
  } else {
    out_shape.erase(out_shape.begin() + axis);
  }
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(tensor.dtype(), out_shape));
  const int64_t outer = DimProduct(tensor.shape(), 0, static_cast<size_t>(axis));
  const int64_t dim = tensor.dim(axis);
  const int64_t inner = DimProduct(tensor.shape(), static_cast<size_t>(axis) + 1, tensor.shape().size());
  for (int64_t o = 0; o < outer; ++o) {
    CopyElements(tensor, (o * dim + begin) * inner, out, o * length * inner, length * inner);
  }
  return out;
}

}  // namespace mlserving::kernels::reference

#include "kernels/blocked_layout.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace mlserving::kernels {
namespace {

/// Copies between the plain [N, C, S] and blocked [N, Cb, S, b] views of elements of type T
/// (S = the product of the spatial dims). `to_blocked` picks the direction; when blocking, the
/// padding channels of `blocked` must already be zero.
template <typename T>
void Copy(T* plain, T* blocked, int64_t n, int64_t c, int64_t s, int64_t b, bool to_blocked) {
  const int64_t cb = ChannelBlocks(c, b);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < cb; ++k) {
      const int64_t width = std::min(b, c - k * b);  // real channels in this block
      T* blk = blocked + (i * cb + k) * s * b;
      T* pl = plain + (i * c + k * b) * s;
      for (int64_t j = 0; j < width; ++j) {
        T* p = pl + j * s;
        if (to_blocked) {
          for (int64_t x = 0; x < s; ++x) blk[x * b + j] = p[x];
        } else {
          for (int64_t x = 0; x < s; ++x) p[x] = blk[x * b + j];
        }
      }
    }
  }
}

/// Dispatches Copy on the element size of `dtype` (the layout moves bits, whatever they mean).
Status CopyLayout(DType dtype, void* plain, void* blocked, int64_t n, int64_t c, int64_t s, int64_t b,
                  bool to_blocked) {
  switch (DTypeSize(dtype)) {
    case 1:
      Copy(static_cast<uint8_t*>(plain), static_cast<uint8_t*>(blocked), n, c, s, b, to_blocked);
      return Status::Ok();
    case 2:
      Copy(static_cast<uint16_t*>(plain), static_cast<uint16_t*>(blocked), n, c, s, b, to_blocked);
      return Status::Ok();
    case 4:
      Copy(static_cast<uint32_t*>(plain), static_cast<uint32_t*>(blocked), n, c, s, b, to_blocked);
      return Status::Ok();
    case 8:
      Copy(static_cast<uint64_t*>(plain), static_cast<uint64_t*>(blocked), n, c, s, b, to_blocked);
      return Status::Ok();
    default: return InvalidArgument("the blocked layout holds numeric tensors only");
  }
}

int64_t SpatialSize(const Shape& shape, size_t from, size_t to) {
  int64_t s = 1;
  for (size_t d = from; d < to; ++d) s *= shape[d];
  return s;
}

}  // namespace

Shape BlockedShape(const Shape& plain, int64_t block) {
  Shape blocked = plain;
  blocked[1] = ChannelBlocks(plain[1], block);
  blocked.push_back(block);
  return blocked;
}

Result<Tensor> ToBlockedLayout(const KernelContext& ctx, const Tensor& plain, int64_t block) {
  if (plain.rank() < 3 || plain.rank() > 5 || block < 1 || plain.dtype() == DType::kString) {
    return InvalidArgument("ToBlocked needs a numeric [N, C, spatial...] tensor of rank 3 to 5 and a block >= 1, got " +
                           plain.DebugString() + " and block " + std::to_string(block));
  }
  // Zero-filled: the padding channels of the last block must read as zero.
  const bool padded = plain.dim(1) % block != 0;
  Result<Tensor> out = padded ? ctx.Allocate(plain.dtype(), BlockedShape(plain.shape(), block))
                              : ctx.AllocateUninitialized(plain.dtype(), BlockedShape(plain.shape(), block));
  if (!out.ok()) return out.status();
  RETURN_IF_ERROR(CopyLayout(plain.dtype(), const_cast<void*>(plain.raw_data()), out->raw_data(), plain.dim(0),
                             plain.dim(1), SpatialSize(plain.shape(), 2, plain.shape().size()), block, true));
  return out;
}

Result<Tensor> FromBlockedLayout(const KernelContext& ctx, const Tensor& blocked, int64_t channels) {
  const int64_t rank = blocked.rank();
  if (rank < 4 || rank > 6 || blocked.dtype() == DType::kString || channels < 1 || blocked.shape().back() < 1 ||
      blocked.dim(1) != ChannelBlocks(channels, blocked.shape().back())) {
    return InvalidArgument(
        "FromBlocked needs a numeric blocked [N, ceil(C/b), spatial..., b] tensor of rank 4 to 6 "
        "matching its " +
        std::to_string(channels) + " channels, got " + blocked.DebugString());
  }
  const int64_t block = blocked.shape().back();
  Shape plain_shape(blocked.shape().begin(), blocked.shape().end() - 1);
  plain_shape[1] = channels;
  ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(blocked.dtype(), plain_shape));
  RETURN_IF_ERROR(CopyLayout(blocked.dtype(), out.raw_data(), const_cast<void*>(blocked.raw_data()), blocked.dim(0),
                             channels, SpatialSize(plain_shape, 2, plain_shape.size()), block, false));
  return out;
}

}  // namespace mlserving::kernels

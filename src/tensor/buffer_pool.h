#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "tensor/tensor.h"

namespace mlserving {

/// Buffers of released tensors, kept for reuse by later allocations: the engine's memory planner.
///
/// The graph evaluator offers every intermediate tensor to Recycle() once its last reader ran, and
/// kernels allocate their outputs through Tensor::Allocate(…, pool) (KernelContext::Allocate). A
/// buffer is kept only when the offered tensor is its sole holder, so a buffer that anything else
/// still sees — a graph output, a view made by Reshape or Identity, an element of a sequence, a
/// constant, a caller's input — is never handed out again while it is alive. String buffers are
/// never kept.
///
/// An allocation takes the smallest kept buffer of at least the requested size and at most twice
/// it (so a small tensor does not pin a large buffer), or allocates a fresh one. At most
/// `max_bytes` are kept; a buffer offered beyond that is freed.
///
/// Not thread-safe: one pool serves one evaluation at a time (the graph evaluator checks one out
/// per run and keeps it for later runs, so buffers are reused across runs too).
class BufferPool {
 public:
  static constexpr size_t kDefaultMaxBytes = size_t{512} << 20;

  explicit BufferPool(size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// Offers `tensor`'s buffer for reuse; true when the pool kept it. `tensor` is left undefined
  /// either way.
  bool Recycle(Tensor&& tensor);
  /// Frees every kept buffer.
  void Clear();

  /// Bytes and buffers kept now.
  size_t kept_bytes() const { return kept_bytes_; }
  size_t kept_buffers() const { return free_.size(); }
  /// Allocations served from a kept buffer, and fresh ones, since construction.
  int64_t reused() const { return reused_; }
  int64_t fresh() const { return fresh_; }

 private:
  friend class Tensor;
  using Storage = Tensor::Storage;

  /// A kept buffer of at least `bytes` (see the class comment), removed from the pool; null when
  /// none fits, which counts as a fresh allocation.
  std::shared_ptr<Storage> Take(size_t bytes);

  size_t max_bytes_;
  size_t kept_bytes_ = 0;
  int64_t reused_ = 0;
  int64_t fresh_ = 0;
  std::multimap<size_t, std::shared_ptr<Storage>> free_;  ///< by capacity
};

}  // namespace mlserving

#pragma once

// Shared plumbing of the oneDNN kernels: the CPU engine, the intra-op thread count, per-shape
// primitive caches, and the conversion of oneDNN exceptions into Status.
//
// Threading: Debian's oneDNN uses the OpenMP runtime (DNNL_CPU_THREADING_RUNTIME = OMP), whose
// thread count is the calling thread's nthreads ICV. ScopedOmpThreads sets it to
// KernelContext::intra_op_threads around primitive creation and execution and restores it after:
// the ICV belongs to the calling OS thread, so concurrent requests with different thread counts do
// not interfere. oneDNN sizes a primitive's scratchpad and work split from the thread count at
// creation time, so every cache key includes the thread count. Primitives use a user-provided
// scratchpad (a buffer of the executing OS thread, grown as needed and kept up to 4 MiB for its
// later calls), which makes concurrent execute() calls on one primitive safe.
//
// Per-call cost: Execute() runs on a stream of the calling thread (created once per thread) and
// passes its arguments to oneDNN's C API without building a hash map; CatchDnnl is a template (no
// std::function). What remains per primitive call is oneDNN's own: one dnnl_memory_t per argument
// and its execution context — which is why tiny Gemms skip oneDNN (small_gemm.h).

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/result.h"
#include "kernels/kernel.h"
#include "kernels/registry.h"

namespace mlserving::kernels::onednn {

/// The process-wide CPU engine (thread-safe, created on first use).
const dnnl::engine& CpuEngine();

/// Sets the calling thread's OpenMP thread count for its lifetime (see the file comment).
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads);
  ~ScopedOmpThreads();
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_;
};

/// The threads an op of about `work` multiply-adds (or elements, for memory-bound ops) runs on:
/// KernelContext::intra_op_threads, or 1 below 1M (2^20), where a parallel region's fork and
/// barrier cost more than the split saves (a tabular MLP at batch 64: 0.035 ms on 2 threads,
/// 0.055 ms on one; with the threshold at 64K its 74K-multiply-add layers lost time instead).
int ThreadsFor(const KernelContext& ctx, double work);

/// Runs `fn` (which returns Status) and turns a dnnl::error or an allocation failure it throws
/// into a Status naming `what`; oneDNN exceptions never cross the kernel boundary.
template <typename Fn>
Status CatchDnnl(std::string_view what, Fn&& fn) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    return Internal(std::string(what) + ": oneDNN failed: " + e.what() + " (status " + std::to_string(e.status) + ")");
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(std::string(what) + ": out of memory");
  }
}

/// A plain (row-major, contiguous) f32 memory descriptor of `dims`.
dnnl::memory::desc PlainDesc(const dnnl::memory::dims& dims);

/// A memory object over a tensor's buffer (no copy; the tensor must outlive its use).
dnnl::memory WrapTensor(const dnnl::memory::desc& desc, const Tensor& tensor);

/// Primitive attributes every kernel uses: a user-managed scratchpad (see the file comment).
dnnl::primitive_attr DefaultAttr();

/// The (argument id, memory) pairs of one primitive execution, at most kMaxArgs; built from a
/// braced list ({{DNNL_ARG_SRC, src}, …}, no allocation) or from a map.
class ExecArgs {
 public:
  static constexpr size_t kMaxArgs = 16;

  ExecArgs(std::initializer_list<std::pair<int, dnnl::memory>> args);  // NOLINT(google-explicit-constructor)
  ExecArgs(const std::unordered_map<int, dnnl::memory>& args);         // NOLINT(google-explicit-constructor)
  /// Adds one argument; throws dnnl::error beyond kMaxArgs (a programming error, reported by CatchDnnl).
  void emplace(int arg, const dnnl::memory& memory);

  size_t size() const { return size_; }
  const dnnl_exec_arg_t* data() const { return args_.data(); }

 private:
  size_t size_ = 0;
  std::array<dnnl_exec_arg_t, kMaxArgs> args_{};
  std::array<dnnl::memory, kMaxArgs> memories_;  ///< keeps every handle alive until execution
};

/// Executes `primitive` on the calling thread's stream with that thread's scratchpad buffer
/// sized for `pd`, and waits for it.
void Execute(const dnnl::primitive& primitive, const dnnl::primitive_desc& pd, const ExecArgs& args);

/// Reorders `from` into a new memory of `desc` (or returns `from` when the layouts agree).
dnnl::memory ReorderTo(const dnnl::memory& from, const dnnl::memory::desc& desc);
/// Reorders `from` into the existing memory `to`.
void ReorderInto(const dnnl::memory& from, const dnnl::memory& to);
/// A new float32 tensor of `shape` holding `packed` reordered into `plain` (the layout of that
/// shape's ONNX form): a constant the kernel holds only packed, rebuilt for a fallback call.
Result<Tensor> Unpack(const dnnl::memory& packed, const dnnl::memory::desc& plain, const Shape& shape);

/// True when every given tensor is present, float32 and non-empty (the fast paths' domain).
bool AllFloat32NonEmpty(std::initializer_list<const Tensor*> tensors);

/// A bounded, thread-safe map from a shape key to prepared state (a primitive and whatever it
/// needs). Entries are created once per key under the lock; a full cache is cleared (entries in
/// use stay alive through their shared_ptr), which bounds memory for models fed ever-new shapes.
template <typename Value>
class PrimitiveCache {
 public:
  using Key = std::vector<int64_t>;

  /// The entry for `key`, created by `make` (returning Result<std::shared_ptr<const Value>>) on
  /// a miss. A failed `make` caches nothing.
  template <typename Make>
  Result<std::shared_ptr<const Value>> GetOrCreate(const Key& key, Make&& make) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
    ASSIGN_OR_RETURN(std::shared_ptr<const Value> value, make());
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(key, value);
    return value;
  }

 private:
  static constexpr size_t kMaxEntries = 64;
  mutable std::mutex mu_;
  mutable std::map<Key, std::shared_ptr<const Value>> entries_;
};

/// Appends the dims of `shape` to `key`, preceded by its rank.
void AppendShape(std::vector<int64_t>& key, const Shape& shape);

/// Base of the oneDNN kernels: each keeps the kernel registered before it (the reference one)
/// and hands it every call outside its fast path.
class FallbackKernel : public Kernel {
 protected:
  explicit FallbackKernel(std::unique_ptr<Kernel> fallback) : fallback_(std::move(fallback)) {}
  Status Fallback(KernelContext& ctx) const { return fallback_->Compute(ctx); }
  /// The fallback for a call whose input `index` is a constant this kernel holds (the evaluator
  /// passes null there, kernels/constant_owner.h): `plain` stands in for it during this call.
  Status FallbackWithInput(KernelContext& ctx, size_t index, const Tensor& plain) const;

 private:
  std::unique_ptr<Kernel> fallback_;
};

/// The factory registered for `op_type` so far (the reference kernel), or an empty function.
KernelFactoryWithConstants PreviousFactory(const KernelRegistry& registry, const char* op_type);

}  // namespace mlserving::kernels::onednn

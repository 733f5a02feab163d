#include "kernels/onednn/onednn_util.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>

namespace mlserving::kernels::onednn {

const dnnl::engine& CpuEngine() {
  static const dnnl::engine* const engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

ScopedOmpThreads::ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) {
  omp_set_num_threads(threads < 1 ? 1 : threads);
}

ScopedOmpThreads::~ScopedOmpThreads() { omp_set_num_threads(previous_); }

int ThreadsFor(const KernelContext& ctx, double work) {
  constexpr double kMinParallelWork = 1048576;
  return work < kMinParallelWork ? 1 : std::max(1, ctx.intra_op_threads);
}

dnnl::memory::desc PlainDesc(const dnnl::memory::dims& dims) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

dnnl::memory WrapTensor(const dnnl::memory::desc& desc, const Tensor& tensor) {
  // oneDNN takes a non-const handle; inputs are only ever read through it.
  return dnnl::memory(desc, CpuEngine(), const_cast<void*>(tensor.raw_data()));
}

dnnl::primitive_attr DefaultAttr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

ExecArgs::ExecArgs(std::initializer_list<std::pair<int, dnnl::memory>> args) {
  for (const auto& [arg, memory] : args) emplace(arg, memory);
}

ExecArgs::ExecArgs(const std::unordered_map<int, dnnl::memory>& args) {
  for (const auto& [arg, memory] : args) emplace(arg, memory);
}

void ExecArgs::emplace(int arg, const dnnl::memory& memory) {
  if (size_ == kMaxArgs) dnnl::error::wrap_c_api(dnnl_invalid_arguments, "too many primitive arguments");
  memories_[size_] = memory;
  args_[size_] = {arg, memory.get()};
  ++size_;
}

namespace {

/// The calling thread's scratchpad: a 64-byte aligned buffer that only grows. Buffers above
/// kMaxKeptBytes are not kept after the call (a rare huge primitive does not pin its memory).
class ThreadScratchpad {
 public:
  static constexpr size_t kMaxKeptBytes = size_t{4} << 20;

  ~ThreadScratchpad() { std::free(kept_); }

  /// A buffer of at least `bytes`, valid until the next call on this thread; `owned` receives a
  /// buffer the caller must free when it is not kept.
  void* Get(size_t bytes, std::unique_ptr<void, decltype(&std::free)>& owned) {
    if (bytes <= kept_bytes_) return kept_;
    const size_t rounded = (bytes + 63) / 64 * 64;
    void* buffer = std::aligned_alloc(64, rounded);
    if (buffer == nullptr) throw std::bad_alloc();
    if (rounded > kMaxKeptBytes) {
      owned.reset(buffer);
      return buffer;
    }
    std::free(kept_);
    kept_ = buffer;
    kept_bytes_ = rounded;
    return kept_;
  }

 private:
  void* kept_ = nullptr;
  size_t kept_bytes_ = 0;
};

}  // namespace

void Execute(const dnnl::primitive& primitive, const dnnl::primitive_desc& pd, const ExecArgs& args) {
  thread_local dnnl::stream stream(CpuEngine());
  thread_local ThreadScratchpad scratchpad;

  const dnnl_memory_desc_t* scratchpad_md = dnnl_primitive_desc_query_md(pd.get(), dnnl_query_scratchpad_md, 0);
  const size_t scratchpad_bytes = scratchpad_md != nullptr ? dnnl_memory_desc_get_size(scratchpad_md) : 0;
  std::unique_ptr<void, decltype(&std::free)> owned(nullptr, &std::free);
  dnnl::memory scratchpad_memory;
  std::array<dnnl_exec_arg_t, ExecArgs::kMaxArgs + 1> c_args;
  std::copy(args.data(), args.data() + args.size(), c_args.begin());
  size_t count = args.size();
  if (scratchpad_bytes > 0) {
    scratchpad_memory =
        dnnl::memory(dnnl::memory::desc(*scratchpad_md), CpuEngine(), scratchpad.Get(scratchpad_bytes, owned));
    c_args[count++] = {DNNL_ARG_SCRATCHPAD, scratchpad_memory.get()};
  }
  dnnl::error::wrap_c_api(dnnl_primitive_execute(primitive.get(), stream.get(), static_cast<int>(count), c_args.data()),
                          "could not execute a primitive");
  dnnl::error::wrap_c_api(dnnl_stream_wait(stream.get()), "could not wait on a stream");
}

dnnl::memory ReorderTo(const dnnl::memory& from, const dnnl::memory::desc& desc) {
  if (from.get_desc() == desc) return from;
  dnnl::memory to(desc, CpuEngine());
  ReorderInto(from, to);
  return to;
}

void ReorderInto(const dnnl::memory& from, const dnnl::memory& to) {
  // dnnl::memory is a reference-counted handle: the copies alias the same buffers.
  dnnl::memory src = from, dst = to;
  dnnl::stream stream(CpuEngine());
  dnnl::reorder(src, dst).execute(stream, src, dst);
  stream.wait();
}

Result<Tensor> Unpack(const dnnl::memory& packed, const dnnl::memory::desc& plain, const Shape& shape) {
  ASSIGN_OR_RETURN(Tensor out, Tensor::AllocateUninitialized(DType::kFloat32, shape));
  ReorderInto(packed, WrapTensor(plain, out));
  return out;
}

Status FallbackKernel::FallbackWithInput(KernelContext& ctx, size_t index, const Tensor& plain) const {
  if (ctx.inputs.size() <= index) ctx.inputs.resize(index + 1, nullptr);
  ctx.inputs[index] = &plain;
  Status status = Fallback(ctx);
  ctx.inputs[index] = nullptr;
  return status;
}

bool AllFloat32NonEmpty(std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) {
    if (t == nullptr || t->dtype() != DType::kFloat32 || t->num_elements() == 0) return false;
  }
  return true;
}

void AppendShape(std::vector<int64_t>& key, const Shape& shape) {
  key.push_back(static_cast<int64_t>(shape.size()));
  key.insert(key.end(), shape.begin(), shape.end());
}

KernelFactoryWithConstants PreviousFactory(const KernelRegistry& registry, const char* op_type) {
  const KernelFactoryWithConstants* factory = registry.FindWithConstants(kOnnxDomain, op_type);
  return factory != nullptr ? *factory : KernelFactoryWithConstants();
}

}  // namespace mlserving::kernels::onednn

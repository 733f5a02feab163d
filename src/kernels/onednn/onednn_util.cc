#include "kernels/onednn/onednn_util.h"

#include <omp.h>

#include <algorithm>
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
  constexpr double kMinParallelWork = 65536;
  return work < kMinParallelWork ? 1 : std::max(1, ctx.intra_op_threads);
}

Status CatchDnnl(const std::string& what, const std::function<Status()>& fn) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    return Internal(what + ": oneDNN failed: " + e.what() + " (status " + std::to_string(e.status) + ")");
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(what + ": out of memory");
  }
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

void Execute(const dnnl::primitive& primitive, const dnnl::primitive_desc& pd,
             std::unordered_map<int, dnnl::memory> args) {
  const dnnl::memory::desc scratchpad_desc = pd.scratchpad_desc();
  if (scratchpad_desc.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratchpad_desc, CpuEngine()));
  dnnl::stream stream(CpuEngine());
  primitive.execute(stream, args);
  stream.wait();
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

// MatMul and Gemm on the oneDNN matmul primitive (float32); FusedMatMul (com.mlserving, from the
// graph optimizer) is MatMul with the primitive's bias and its activation as a post-op. A 2-D B
// that is a graph constant is reordered once into the layout the primitive prefers (blocked for
// the AVX-512/AVX2 kernels) instead of being repacked by every call. Tiny products skip oneDNN
// (small_gemm.h, UseSmallGemm); mid-size 2-D ones split their rows over ParallelFor at 2+
// threads (MatMulKernel::ComputeRowSplit) instead of an OpenMP region.

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/constant_owner.h"
#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/onednn/post_ops.h"
#include "kernels/onednn/return_freed_memory.h"
#include "kernels/onednn/small_gemm.h"
#include "kernels/parallel_for.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::onednn {
namespace {

using reference::BroadcastShapes;
using reference::SetOutput;

/// A matmul primitive prepared for one (shapes, threads) key; `pd` is null when oneDNN has no
/// implementation for it (the kernel then falls back).
struct MatMulPrimitive {
  std::unique_ptr<dnnl::matmul::primitive_desc> pd;
  dnnl::matmul primitive;
  dnnl::memory::desc src, weights, bias, dst;
  dnnl::memory packed_weights;  ///< the constant B in pd's layout; empty for run-time weights
  /// Unique for the process's lifetime (never reused, unlike an address): keys ThreadMemories.
  uint64_t id = NextId();

  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
};

/// The memory objects of one primitive's arguments, created once per (thread, primitive) and
/// re-pointed at each call's buffers: creating a dnnl::memory allocates, and a small MatMul
/// would otherwise create four per call (~1 µs of a 20 µs product). Slots are per thread, so
/// concurrent calls never share one; a slot is direct-mapped by primitive id and rebuilt when
/// another primitive takes it.
class ThreadMemories {
 public:
  /// The calling thread's memories for `p`, pointing at the given buffers (`bias` may be null
  /// when p has no bias; `weights` is ignored and left empty when p has packed weights).
  static const ThreadMemories& For(const MatMulPrimitive& p, const void* src, const void* weights, const void* bias,
                                   void* dst) {
    thread_local std::array<ThreadMemories, 8> slots;
    ThreadMemories& slot = slots[p.id % slots.size()];
    if (slot.id_ != p.id) {
      slot.id_ = p.id;
      slot.src = dnnl::memory(p.src, CpuEngine(), DNNL_MEMORY_NONE);
      // Packed weights are used as they are (a slot never holds a buffer: none outlives its model).
      slot.weights = p.packed_weights ? dnnl::memory() : dnnl::memory(p.weights, CpuEngine(), DNNL_MEMORY_NONE);
      slot.bias = bias != nullptr ? dnnl::memory(p.bias, CpuEngine(), DNNL_MEMORY_NONE) : dnnl::memory();
      slot.dst = dnnl::memory(p.dst, CpuEngine(), DNNL_MEMORY_NONE);
    }
    // oneDNN takes non-const handles; inputs are only ever read through them.
    slot.src.set_data_handle(const_cast<void*>(src));
    if (!p.packed_weights) slot.weights.set_data_handle(const_cast<void*>(weights));
    if (bias != nullptr) slot.bias.set_data_handle(const_cast<void*>(bias));
    slot.dst.set_data_handle(dst);
    return slot;
  }

  dnnl::memory src, weights, bias, dst;

 private:
  uint64_t id_ = 0;
};

/// Creates the primitive, or an entry without one when oneDNN rejects the descriptors.
std::shared_ptr<MatMulPrimitive> NewMatMul(const dnnl::memory::desc& src, const dnnl::memory::desc& weights,
                                           const dnnl::memory::desc* bias, const dnnl::memory::desc& dst, float scale,
                                           const FusedActivation& activation) {
  auto entry = std::make_shared<MatMulPrimitive>();
  try {
    dnnl::primitive_attr attr = AttrWithActivation(activation);
    if (scale != 1.0f) attr.set_output_scales(0, {scale});
    const dnnl::matmul::desc desc =
        bias != nullptr ? dnnl::matmul::desc(src, weights, *bias, dst) : dnnl::matmul::desc(src, weights, dst);
    entry->pd = std::make_unique<dnnl::matmul::primitive_desc>(desc, attr, CpuEngine());
    entry->primitive = dnnl::matmul(*entry->pd);
  } catch (const dnnl::error&) {
    entry->pd.reset();
  }
  entry->src = src;
  entry->weights = weights;
  if (bias != nullptr) entry->bias = *bias;
  entry->dst = dst;
  return entry;
}

Result<std::shared_ptr<const MatMulPrimitive>> MakeMatMul(const dnnl::memory::desc& src,
                                                          const dnnl::memory::desc& weights,
                                                          const dnnl::memory::desc* bias, const dnnl::memory::desc& dst,
                                                          float scale, const FusedActivation& activation = {}) {
  return std::shared_ptr<const MatMulPrimitive>(NewMatMul(src, weights, bias, dst, scale, activation));
}

/// Whether a 2-D product runs on the direct small GEMM rather than oneDNN (about 2 µs of fixed
/// cost with B packed). The small GEMM computes one row of A at a time (four for a narrow
/// transposed B), so it wins for tiny products, for one or two rows, and for narrow B kept
/// transposed; beyond, oneDNN's AVX-512 kernels win even at 64K multiply-adds (measured with
/// `mlserving bench` on single-MatMul models, median µs small / oneDNN: 1x256x256 2.8 / 3.9,
/// 2x32x256 1.4 / 3.1, 64x256x4 (transposed) 2.3 / 5.2, 64x32x32 3.0 / 3.3; but 2x256x256
/// 5.8 / 4.0, 4x128x128 3.7 / 2.3, 64x64x16 5.4 / 2.3).
/// `narrow_b_transposed`: B is read as [N, K] rows and the product is one where that wins.
bool UseSmallGemm(int64_t rows, int64_t n, int64_t k, bool narrow_b_transposed) {
  if (!SmallGemmApplies(rows, n, k)) return false;
  const int64_t work = rows * n * k;
  return narrow_b_transposed || work <= (int64_t{1} << 15) || (rows <= 2 && work <= (int64_t{1} << 16));
}

/// MatMul with numpy semantics. Fast path: float32 operands. When B has rank <= 2 the batch dims
/// of A fold into its rows (one 2-D product); otherwise the batch dims broadcast in oneDNN.
/// As FusedMatMul (`fused`): plus input 2, a bias [N] over the last dim, then `activation`; its
/// fast path needs A and B of rank >= 2. `constant_b`, when B is a 2-D graph constant of at
/// most kMaxPackedWeightBytes, is packed (see there); a larger one the kernel offers to take
/// over (kernels/constant_owner.h) and, once handed over, packs it and keeps only the packed
/// copy (the graph releases its own). A product of a B of rank <= 2 small enough
/// for SmallGemmApplies (A's batch dims folded into its rows) runs on the direct small GEMM, the
/// bias and the activation in its epilogue.
class MatMulKernel : public FallbackKernel, public ConstantInputOwner {
 public:
  /// Packing a constant B into oneDNN's layout while the graph keeps its plain copy doubles B.
  /// That is fine for small matrices (which the small GEMM also reads plain or transposed); a
  /// larger B is packed only when handed over (the graph then drops its copy: a BERT-base
  /// encoder runs ~8% faster packed, at +3% peak RSS), else it is used in place.
  static constexpr size_t kMaxPackedWeightBytes = size_t{1} << 20;

  MatMulKernel(std::unique_ptr<Kernel> fallback, const Tensor* constant_b, bool fused = false,
               FusedActivation activation = {})
      : FallbackKernel(std::move(fallback)), fused_(fused), activation_(activation) {
    if (constant_b != nullptr && constant_b->rank() == 2 && constant_b->dtype() == DType::kFloat32 &&
        constant_b->byte_size() > kMaxPackedWeightBytes) {
      ownable_b_ = *constant_b;  // until TakeOverConstantInputs (or the kernel's end)
    }
    if (constant_b != nullptr && constant_b->rank() == 2 && constant_b->byte_size() <= kMaxPackedWeightBytes) {
      constant_b_ = *constant_b;
      small_packed_ = true;
      // A narrow B ([K, N < 8]) is read down its columns by the small GEMM; as [N, K] its rows
      // are contiguous dot products instead.
      if (constant_b->dtype() == DType::kFloat32 && constant_b->dim(1) < 8) {
        const int64_t k = constant_b->dim(0), n = constant_b->dim(1);
        Result<Tensor> t = Tensor::Allocate(DType::kFloat32, {n, k});
        if (t.ok()) {
          small_b_transposed_ = std::move(t).value();
          const float* src = constant_b->data<float>();
          float* dst = small_b_transposed_.data<float>();
          for (int64_t i = 0; i < k; ++i) {
            for (int64_t j = 0; j < n; ++j) dst[j * k + i] = src[i * n + j];
          }
        }
      }
    }
  }

  std::vector<size_t> OwnableConstantInputs() const override {
    if (ownable_b_.defined()) return {1};
    return {};
  }

  void TakeOverConstantInputs(const std::vector<size_t>& inputs) override {
    if (!ownable_b_.defined() || std::find(inputs.begin(), inputs.end(), size_t{1}) == inputs.end()) return;
    owned_b_shape_ = ownable_b_.shape();
    constant_b_ = std::move(ownable_b_);  // packed on first use, then dropped (PreparePacked)
    ownable_b_ = Tensor();
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* bias = fused_ ? ctx.input(2) : nullptr;
    // B is the constant the kernel took over: its own, packed copy.
    const bool own_b = b == nullptr && !owned_b_shape_.empty();
    const auto fallback = [&] { return own_b ? FallbackWithOwnB(ctx) : Fallback(ctx); };
    const Shape& b_shape = own_b ? owned_b_shape_ : (b != nullptr ? b->shape() : owned_b_shape_);
    if (!AllFloat32NonEmpty({a}) || (!own_b && !AllFloat32NonEmpty({b})) || a->rank() == 0 || b_shape.empty()) {
      return fallback();
    }
    if (fused_ && (a->rank() < 2 || b_shape.size() < 2)) return fallback();
    if (bias != nullptr && (!AllFloat32NonEmpty({bias}) || bias->rank() != 1 || bias->dim(0) != b_shape.back())) {
      return fallback();  // the reference reports the mismatch
    }
    Shape sa = a->shape(), sb = b_shape;
    if (a->rank() == 1) sa.insert(sa.begin(), 1);
    if (b_shape.size() == 1) sb.push_back(1);
    const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
    if (sb[sb.size() - 2] != k) return fallback();  // the reference reports the mismatch
    const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
    Result<Shape> batch = BroadcastShapes(batch_a, batch_b);
    if (!batch.ok()) return fallback();
    Shape out_shape = *batch;
    if (a->rank() > 1) out_shape.push_back(m);
    if (b_shape.size() > 1) out_shape.push_back(n);

    // B is packed when the kernel holds it, or when it is the small graph constant the kernel
    // was created with. A held B is never small enough for the small GEMM (UseSmallGemm).
    const bool packed = own_b || (small_packed_ && b->raw_data() == constant_b_.raw_data());
    const int64_t rows = reference::DimProduct(batch_a, 0, batch_a.size()) * m;
    if (!own_b && batch_b.empty() && UseSmallGemm(rows, n, k, packed && small_b_transposed_.defined())) {
      return ComputeSmall(ctx, *a, *b, bias, packed, rows, k, n, out_shape);
    }

    const void* b_data = packed ? nullptr : b->raw_data();  // packed weights are the primitive's
    const double work = static_cast<double>(reference::DimProduct(out_shape, 0, out_shape.size())) * k;
    if (batch_b.empty() && RowSplitApplies(ctx, rows, work))
      return ComputeRowSplit(ctx, *a, b_data, bias, packed, own_b, rows, k, n, out_shape);
    const int threads = ThreadsFor(ctx, work);
    std::vector<int64_t> key = {threads, bias != nullptr, packed};
    AppendShape(key, a->shape());
    AppendShape(key, b_shape);
    return CatchDnnl("MatMul", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const MatMulPrimitive> p, cache_.GetOrCreate(key, [&] {
        if (batch_b.empty()) {
          const dnnl::memory::desc bias_desc = PlainDesc({1, n});
          if (packed) return PreparePacked(rows, k, n, bias != nullptr ? &bias_desc : nullptr);
          return MakeMatMul(PlainDesc({rows, k}), PlainDesc({k, n}), bias != nullptr ? &bias_desc : nullptr,
                            PlainDesc({rows, n}), 1.0f, activation_);
        }
        const size_t rank = std::max(sa.size(), sb.size());
        sa.insert(sa.begin(), rank - sa.size(), 1);
        sb.insert(sb.begin(), rank - sb.size(), 1);
        dnnl::memory::dims dst(batch->begin(), batch->end());
        dst.insert(dst.begin(), rank - 2 - dst.size(), 1);
        dst.push_back(m);
        dst.push_back(n);
        dnnl::memory::dims bias_dims(rank, 1);
        bias_dims.back() = n;
        const dnnl::memory::desc bias_desc = PlainDesc(bias_dims);
        return MakeMatMul(PlainDesc(sa), PlainDesc(sb), bias != nullptr ? &bias_desc : nullptr, PlainDesc(dst), 1.0f,
                          activation_);
      }));
      if (p->pd == nullptr) return fallback();
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, out_shape));
      const ThreadMemories& memories =
          ThreadMemories::For(*p, a->raw_data(), b_data, bias != nullptr ? bias->raw_data() : nullptr, out.raw_data());
      ExecArgs args = {{DNNL_ARG_SRC, memories.src},
                       {DNNL_ARG_WEIGHTS, p->packed_weights ? p->packed_weights : memories.weights},
                       {DNNL_ARG_DST, memories.dst}};
      if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, memories.bias);
      Execute(p->primitive, *p->pd, args);
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  /// Row blocks of at least this many rows per task.
  static constexpr int64_t kMinRowsPerTask = 16;
  /// The row split's range of multiply-adds: below, one thread (the small GEMM or one oneDNN
  /// call); above, oneDNN's own OpenMP split, which also splits columns and K.
  static constexpr double kMinRowSplitWork = 1 << 18, kMaxRowSplitWork = 1 << 24;

  /// True when a 2-D product of `rows` rows and `work` multiply-adds splits its rows over
  /// ParallelFor (ComputeRowSplit).
  static bool RowSplitApplies(const KernelContext& ctx, int64_t rows, double work) {
    return ctx.intra_op_threads > 1 && rows >= 2 * kMinRowsPerTask && work >= kMinRowSplitWork &&
           work <= kMaxRowSplitWork;
  }

  /// The 2-D product [rows, k] x [k, n] (B of rank <= 2) as row blocks, one single-threaded oneDNN
  /// call each, spread over ParallelFor (the caller and the process's helpers) instead of an
  /// OpenMP region. For the mid-size products of tabular models (a batch of 64 through 256-wide
  /// layers) this is both cheaper and sturdier: an awake helper takes its block without a system
  /// call, and when none is free (a loaded machine, concurrent requests) the caller computes every
  /// block itself at one thread's speed, where an OpenMP barrier would wait for a descheduled
  /// thread for whole scheduler slices.
  /// `b_data` is B's buffer, null when `packed`; `own_b`: B is the one the kernel holds.
  Status ComputeRowSplit(KernelContext& ctx, const Tensor& a, const void* b_data, const Tensor* bias, bool packed,
                         bool own_b, int64_t rows, int64_t k, int64_t n, const Shape& out_shape) const {
    const int64_t wanted = std::min<int64_t>(ctx.intra_op_threads, rows / kMinRowsPerTask);
    const int64_t block = (rows + wanted - 1) / wanted;
    const int64_t tasks = (rows + block - 1) / block;  // every block full but the last: 0 < last <= block
    const int64_t last = rows - block * (tasks - 1);
    return CatchDnnl("MatMul", [&]() -> Status {
      ScopedOmpThreads one_thread(1);
      std::shared_ptr<const MatMulPrimitive> primitives[2];  // for `block` rows, for `last` rows
      for (int i = 0; i < 2; ++i) {
        const int64_t r = i == 0 ? block : last;
        ASSIGN_OR_RETURN(primitives[i], cache_.GetOrCreate({kRowBlockKey, bias != nullptr, packed, r, k, n}, [&] {
          const dnnl::memory::desc bias_desc = PlainDesc({1, n});
          if (packed) return PreparePacked(r, k, n, bias != nullptr ? &bias_desc : nullptr);
          return MakeMatMul(PlainDesc({r, k}), PlainDesc({k, n}), bias != nullptr ? &bias_desc : nullptr,
                            PlainDesc({r, n}), 1.0f, activation_);
        }));
        if (primitives[i]->pd == nullptr) return own_b ? FallbackWithOwnB(ctx) : Fallback(ctx);
      }
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, out_shape));
      const float* a_data = a.data<float>();
      float* out_data = out.data<float>();
      ParallelFor(tasks, ctx.intra_op_threads, [&](int64_t t) {
        ScopedOmpThreads helper_one_thread(1);  // a helper's own OpenMP setting is the default
        const MatMulPrimitive& p = *primitives[t == tasks - 1 ? 1 : 0];
        const ThreadMemories& memories = ThreadMemories::For(
            p, a_data + t * block * k, b_data, bias != nullptr ? bias->raw_data() : nullptr, out_data + t * block * n);
        ExecArgs args = {{DNNL_ARG_SRC, memories.src},
                         {DNNL_ARG_WEIGHTS, p.packed_weights ? p.packed_weights : memories.weights},
                         {DNNL_ARG_DST, memories.dst}};
        if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, memories.bias);
        Execute(p.primitive, *p.pd, args);
      });
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

  /// First element of the row-block primitives' cache keys (a thread count never is negative).
  static constexpr int64_t kRowBlockKey = -1;

  /// The 2-D product [rows, k] x [k, n] (B of rank <= 2) on the direct small GEMM, with the bias
  /// and the activation in its epilogue (those it supports; the others run over the output after).
  Status ComputeSmall(KernelContext& ctx, const Tensor& a, const Tensor& b, const Tensor* bias, bool constant_b,
                      int64_t rows, int64_t k, int64_t n, const Shape& out_shape) const {
    ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, out_shape));
    const bool transposed = constant_b && small_b_transposed_.defined();
    const bool in_epilogue = SmallGemmEpilogueSupports(activation_);
    SmallGemm({.m = rows,
               .n = n,
               .k = k,
               .a = a.data<float>(),
               .b = transposed ? small_b_transposed_.data<float>() : b.data<float>(),
               .b_transposed = transposed,
               .bias = bias != nullptr ? bias->data<float>() : nullptr,
               .activation = in_epilogue ? activation_ : FusedActivation{},
               .y = out.data<float>()});
    if (!in_epilogue) RETURN_IF_ERROR(ApplyFusedActivation(activation_, out));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

  /// The 2-D product [rows, k] x [k, n] with the constant B in the layout oneDNN picks, reordered
  /// once per layout: from the plain B while the kernel has it, else from a layout it already
  /// packed. A B the kernel holds is dropped in its plain form once packed (unless the layout is
  /// the plain one, which aliases it).
  Result<std::shared_ptr<const MatMulPrimitive>> PreparePacked(int64_t rows, int64_t k, int64_t n,
                                                               const dnnl::memory::desc* bias) const {
    const dnnl::memory::desc any({k, n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
    std::shared_ptr<MatMulPrimitive> entry =
        NewMatMul(PlainDesc({rows, k}), any, bias, PlainDesc({rows, n}), 1.0f, activation_);
    if (entry->pd == nullptr) return std::shared_ptr<const MatMulPrimitive>(std::move(entry));
    const dnnl::memory::desc layout = entry->pd->weights_desc();
    std::lock_guard<std::mutex> lock(weights_mu_);
    for (const auto& [desc, memory] : packed_) {
      if (desc == layout) entry->packed_weights = memory;
    }
    if (!entry->packed_weights) {
      // A plain layout aliases the constant, which constant_b_ then keeps alive.
      entry->packed_weights = constant_b_.defined() ? ReorderTo(WrapTensor(PlainDesc({k, n}), constant_b_), layout)
                                                    : ReorderTo(packed_.front().second, layout);
      packed_.emplace_back(layout, entry->packed_weights);
      if (!owned_b_shape_.empty() && constant_b_.defined() && layout != PlainDesc({k, n})) {
        constant_b_ = Tensor();
        ReturnFreedMemory();
      }
    }
    return std::shared_ptr<const MatMulPrimitive>(std::move(entry));
  }

  /// The fallback for a call whose B is the one the kernel holds: B rebuilt in its plain form
  /// (from the packed copy once the plain one is dropped) for this call only.
  Status FallbackWithOwnB(KernelContext& ctx) const {
    Tensor plain;
    RETURN_IF_ERROR(CatchDnnl("MatMul", [&]() -> Status {
      std::lock_guard<std::mutex> lock(weights_mu_);
      if (constant_b_.defined()) {
        plain = constant_b_;
        return Status::Ok();
      }
      ASSIGN_OR_RETURN(plain, Unpack(packed_.front().second, PlainDesc(owned_b_shape_), owned_b_shape_));
      return Status::Ok();
    }));
    return FallbackWithInput(ctx, 1, plain);
  }

  bool fused_;
  FusedActivation activation_;
  /// A 2-D constant B above kMaxPackedWeightBytes, offered for take-over (OwnableConstantInputs);
  /// moved into constant_b_ when handed over, released with the kernel otherwise (then the
  /// graph's copy, passed at run time, is used in place).
  Tensor ownable_b_;
  /// The shape of the B the kernel holds; empty when it holds none.
  Shape owned_b_shape_;
  /// B when it is a 2-D graph constant of at most kMaxPackedWeightBytes (small_packed_), or the
  /// held B until its first packing. Guarded by weights_mu_ once the kernel runs.
  mutable Tensor constant_b_;
  bool small_packed_ = false;  ///< constant_b_ is the small graph constant (identified by address)
  Tensor small_b_transposed_;  ///< constant_b_ as [N, K] for the small GEMM, when N < 8
  /// Guards constant_b_ (for a held B) and packed_.
  mutable std::mutex weights_mu_;
  /// The constant B reordered per layout, shared by the cache entries that use that layout.
  mutable std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed_;
  PrimitiveCache<MatMulPrimitive> cache_;
};

/// Gemm: Y = alpha * A' * B' + beta * C. Transposes are strided views (no copy); alpha is the
/// primitive's output scale, which oneDNN applies to the product plus bias, so the bias is
/// C * beta / alpha (computed once when C is a constant). Fast path: float32, alpha != 0, and C
/// of rank <= 2 broadcasting to [M, N].
class GemmKernel : public FallbackKernel {
 public:
  GemmKernel(std::unique_ptr<Kernel> fallback, float alpha, float beta, bool trans_a, bool trans_b,
             const Tensor* constant_c)
      : FallbackKernel(std::move(fallback)), alpha_(alpha), beta_(beta), trans_a_(trans_a), trans_b_(trans_b) {
    if (constant_c != nullptr && constant_c->dtype() == DType::kFloat32) {
      constant_c_ = *constant_c;
      Result<Tensor> scaled = ScaleBias(*constant_c);
      if (scaled.ok()) scaled_c_ = std::move(scaled).value();
    }
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* c = beta_ != 0.0f ? ctx.input(2) : nullptr;
    if (!AllFloat32NonEmpty({a, b}) || a->rank() != 2 || b->rank() != 2 || alpha_ == 0.0f) return Fallback(ctx);
    if (c != nullptr && (c->dtype() != DType::kFloat32 || c->rank() > 2 || c->num_elements() == 0)) {
      return Fallback(ctx);
    }
    const int64_t m = trans_a_ ? a->dim(1) : a->dim(0), k = trans_a_ ? a->dim(0) : a->dim(1);
    const int64_t n = trans_b_ ? b->dim(0) : b->dim(1), kb = trans_b_ ? b->dim(1) : b->dim(0);
    if (k != kb) return Fallback(ctx);
    dnnl::memory::dims bias_dims = {1, 1};
    if (c != nullptr) {
      if (c->rank() >= 1) bias_dims[1] = c->shape().back();
      if (c->rank() == 2) bias_dims[0] = c->dim(0);
      if ((bias_dims[0] != 1 && bias_dims[0] != m) || (bias_dims[1] != 1 && bias_dims[1] != n)) return Fallback(ctx);
    }
    // Tiny product: no oneDNN call. A transposed B is read as dot products, which also win for up
    // to 4 rows (4x128x128: 3.0 µs against oneDNN's 3.7 on the strided B; 8x256x128: 9.7 / 7.1).
    if (!trans_a_ && UseSmallGemm(m, n, k, trans_b_ && (n < 8 || m <= 4))) {
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, {m, n}));
      SmallGemm({.m = m,
                 .n = n,
                 .k = k,
                 .a = a->data<float>(),
                 .b = b->data<float>(),
                 .b_transposed = trans_b_,
                 .alpha = alpha_,
                 .c = c != nullptr ? c->data<float>() : nullptr,
                 .c_row_stride = bias_dims[0] == 1 ? 0 : bias_dims[1],
                 .c_col_stride = bias_dims[1] == 1 ? 0 : 1,
                 .beta = beta_,
                 .bias = nullptr,
                 .activation = {},
                 .y = out.data<float>()});
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    }

    const int threads = ThreadsFor(ctx, static_cast<double>(m) * n * k);
    std::vector<int64_t> key = {threads, c != nullptr};
    AppendShape(key, a->shape());
    AppendShape(key, b->shape());
    if (c != nullptr) AppendShape(key, c->shape());
    return CatchDnnl("Gemm", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const MatMulPrimitive> p, cache_.GetOrCreate(key, [&] {
        const dnnl::memory::desc src({m, k}, dnnl::memory::data_type::f32,
                                     trans_a_ ? dnnl::memory::dims{1, m} : dnnl::memory::dims{k, 1});
        const dnnl::memory::desc weights({k, n}, dnnl::memory::data_type::f32,
                                         trans_b_ ? dnnl::memory::dims{1, k} : dnnl::memory::dims{n, 1});
        const dnnl::memory::desc bias = PlainDesc(bias_dims);
        return MakeMatMul(src, weights, c != nullptr ? &bias : nullptr, PlainDesc({m, n}), alpha_);
      }));
      if (p->pd == nullptr) return Fallback(ctx);
      std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, WrapTensor(p->src, *a)},
                                                    {DNNL_ARG_WEIGHTS, WrapTensor(p->weights, *b)}};
      Tensor bias;
      if (c != nullptr) {
        if (scaled_c_.defined() && c->raw_data() == constant_c_.raw_data()) {
          bias = scaled_c_;
        } else {
          ASSIGN_OR_RETURN(bias, ScaleBias(*c));
        }
        args.emplace(DNNL_ARG_BIAS, WrapTensor(p->bias, bias));
      }
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, {m, n}));
      args.emplace(DNNL_ARG_DST, WrapTensor(p->dst, out));
      Execute(p->primitive, *p->pd, std::move(args));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  /// C * beta / alpha (C itself when that factor is 1).
  Result<Tensor> ScaleBias(const Tensor& c) const {
    const float factor = beta_ / alpha_;
    if (factor == 1.0f) return c;
    ASSIGN_OR_RETURN(Tensor scaled, Tensor::Allocate(DType::kFloat32, c.shape()));
    const float* src = c.data<float>();
    float* dst = scaled.data<float>();
    for (int64_t i = 0; i < c.num_elements(); ++i) dst[i] = src[i] * factor;
    return scaled;
  }

  float alpha_, beta_;
  bool trans_a_, trans_b_;
  Tensor constant_c_;  ///< C when it is a graph constant (identifies it at Compute time)
  Tensor scaled_c_;    ///< its bias form, prepared once
  PrimitiveCache<MatMulPrimitive> cache_;
};

}  // namespace

void RegisterMatMulKernels(KernelRegistry& registry) {
  if (KernelFactoryWithConstants reference = PreviousFactory(registry, "MatMul")) {
    registry.RegisterWithConstants(
        kOnnxDomain, "MatMul",
        [reference](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          return std::unique_ptr<Kernel>(std::make_unique<MatMulKernel>(std::move(fallback), create.constant_input(1)));
        });
  }
  if (const KernelFactoryWithConstants* fused = registry.FindWithConstants(kMlServingDomain, "FusedMatMul")) {
    registry.RegisterWithConstants(
        kMlServingDomain, "FusedMatMul",
        [reference = *fused](const ir::Node& node,
                             const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          ASSIGN_OR_RETURN(FusedActivation activation, ReadFusedActivation(node));
          return std::unique_ptr<Kernel>(
              std::make_unique<MatMulKernel>(std::move(fallback), create.constant_input(1), true, activation));
        });
  }
  if (KernelFactoryWithConstants reference = PreviousFactory(registry, "Gemm")) {
    registry.RegisterWithConstants(
        kOnnxDomain, "Gemm",
        [reference](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          return std::unique_ptr<Kernel>(std::make_unique<GemmKernel>(
              std::move(fallback), node.GetFloat("alpha", 1.0f), node.GetFloat("beta", 1.0f),
              node.GetInt("transA", 0) != 0, node.GetInt("transB", 0) != 0, create.constant_input(2)));
        });
  }
}

}  // namespace mlserving::kernels::onednn

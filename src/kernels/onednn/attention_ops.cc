// The fast kernel of com.mlserving Attention (reference/attention.h), float32, two paths:
// - Batched (>= 1M multiply-adds, or any size on a CPU without AVX2): scores for every batch
//   matrix at once with oneDNN's matmul into one pooled buffer, then scale, mask and a
//   max-subtracted softmax in one pass per row (rows of a matrix per ParallelFor task), then
//   oneDNN's matmul with V. The decomposed graph's separate scale, mask-add and softmax passes
//   and their intermediate tensors disappear; the products stay on oneDNN's AVX-512 GEMM.
// - Row blocks (smaller problems, AVX2+FMA): the output rows are cut into blocks small enough for
//   the direct GEMM (small_gemm.h), and each (batch matrix, row block) task computes its scores
//   block (scale · Q·Kᵀ + mask_scale · mask, the mask added by the GEMM's C operand) into a
//   per-thread buffer that stays in cache, normalises it in place and multiplies it by V straight
//   into the output: no oneDNN call overhead, which dominates at these sizes.
// Both need Q, K and V without broadcast sequence dims; the batched path also without broadcast
// batch dims. Everything else (other dtypes, rows too long for a GEMM block) runs the reference.
// Measured on BERT-base's [1, 12, 128, 64] (one thread): decomposed 0.85 ms, a row-block-only
// kernel 1.35 ms (small_gemm is AVX2 and one row at a time; oneDNN's matmul uses AVX-512 here),
// the batched path 0.43 ms — hence the size split.

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "kernels/fused_activation.h"  // kMlServingDomain
#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/onednn/small_gemm.h"
#include "kernels/parallel_for.h"
#include "kernels/reference/attention.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::onednn {
namespace {

using reference::AttentionAttributes;
using reference::AttentionPlan;

/// exp(x) for 8 floats (Cephes' expf polynomial, within 2 ulp on [-87, 88]); 0 below -87.3, NaN
/// for NaN.
__attribute__((target("avx2,fma"))) inline __m256 Exp8(__m256 x) {
  // min/max return their second operand when one is NaN: keep x second so NaN propagates.
  x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-88.3762626647949f), x);
  const __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, z, _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(exponent));
}

/// row[j] = softmax_j(scale · row[j] + mask_scale · mask[j · mask_stride]) in place (no mask
/// term when `mask` is null), max-subtracted like the ONNX Softmax kernels: NaN when the maximum
/// is ±inf or an element is NaN, as there.
__attribute__((target("avx2,fma"))) void ScaleMaskSoftmaxRowAvx2(float* row, int64_t n, float scale, const float* mask,
                                                                 int64_t mask_stride, float mask_scale) {
  const int64_t n8 = n / 8 * 8;
  const __m256 vscale = _mm256_set1_ps(scale), vmask_scale = _mm256_set1_ps(mask_scale);
  if (mask != nullptr && mask_stride == 1) {
    for (int64_t j = 0; j < n8; j += 8) {
      const __m256 masked = _mm256_mul_ps(vmask_scale, _mm256_loadu_ps(mask + j));
      _mm256_storeu_ps(row + j, _mm256_fmadd_ps(vscale, _mm256_loadu_ps(row + j), masked));
    }
  } else if (scale != 1.0f || mask != nullptr) {
    const __m256 masked = _mm256_set1_ps(mask != nullptr ? mask_scale * mask[0] : 0.0f);
    for (int64_t j = 0; j < n8; j += 8) {
      _mm256_storeu_ps(row + j, _mm256_fmadd_ps(vscale, _mm256_loadu_ps(row + j), masked));
    }
  }
  if (scale != 1.0f || mask != nullptr) {
    for (int64_t j = n8; j < n; ++j)
      row[j] = scale * row[j] + (mask != nullptr ? mask_scale * mask[j * mask_stride] : 0.0f);
  }

  __m256 vmax = _mm256_set1_ps(-INFINITY);
  for (int64_t j = 0; j < n8; j += 8) vmax = _mm256_max_ps(_mm256_loadu_ps(row + j), vmax);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vmax);
  float max = -INFINITY;
  for (float lane : lanes) max = std::max(max, lane);
  for (int64_t j = n8; j < n; ++j) max = std::max(max, row[j]);

  const __m256 shift = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t j = 0; j < n8; j += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), shift));
    _mm256_storeu_ps(row + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  _mm256_store_ps(lanes, vsum);
  float sum = 0;
  for (float lane : lanes) sum += lane;
  for (int64_t j = n8; j < n; ++j) {
    row[j] = std::exp(row[j] - max);
    sum += row[j];
  }
  const float inverse = 1.0f / sum;
  const __m256 vinverse = _mm256_set1_ps(inverse);
  for (int64_t j = 0; j < n8; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), vinverse));
  for (int64_t j = n8; j < n; ++j) row[j] *= inverse;
}

/// The scores buffer of the calling thread, grown to at least `size` floats and kept for its
/// later calls (no allocation per call once warm).
float* ScoresBuffer(int64_t size) {
  thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(static_cast<size_t>(size));
  return buffer.data();
}

/// Rows per task: the most (<= 64) for which both products of a block fit the direct GEMM,
/// balanced over the blocks of a matrix; 0 when not even one row fits.
int64_t RowsPerBlock(const AttentionPlan& plan) {
  int64_t block = std::min<int64_t>(plan.rows, 64);
  while (block > 0 &&
         !(SmallGemmApplies(block, plan.cols, plan.depth) && SmallGemmApplies(block, plan.value_depth, plan.cols))) {
    block /= 2;
  }
  if (block == 0) return 0;
  const int64_t blocks = (plan.rows + block - 1) / block;
  return (plan.rows + blocks - 1) / blocks;
}

bool CpuHasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

/// ScaleMaskSoftmaxRowAvx2 for CPUs without AVX2: the same passes in plain C++.
void ScaleMaskSoftmaxRowPortable(float* row, int64_t n, float scale, const float* mask, int64_t mask_stride,
                                 float mask_scale) {
  float max = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = scale * row[j] + (mask != nullptr ? mask_scale * mask[j * mask_stride] : 0.0f);
    max = std::max(max, row[j]);
  }
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = std::exp(row[j] - max);
    sum += row[j];
  }
  const float inverse = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) row[j] *= inverse;
}

/// The scale-mask-softmax of one row on the best implementation this CPU runs.
void ScaleMaskSoftmaxRow(float* row, int64_t n, float scale, const float* mask, int64_t mask_stride, float mask_scale) {
  if (CpuHasAvx2Fma()) {
    ScaleMaskSoftmaxRowAvx2(row, n, scale, mask, mask_stride, mask_scale);
  } else {
    ScaleMaskSoftmaxRowPortable(row, n, scale, mask, mask_stride, mask_scale);
  }
}

/// The two batched oneDNN matmuls of one shape: scores = Q·Kᵀ, out = probabilities·V.
struct BatchedProducts {
  dnnl::memory::desc q, k, scores, v, out;
  std::unique_ptr<dnnl::matmul::primitive_desc> scores_pd, out_pd;
  dnnl::matmul scores_primitive, out_primitive;
};

/// Below this many multiply-adds per call the row-block path (direct GEMM, no oneDNN call
/// overhead) runs instead of the batched oneDNN products.
constexpr double kBatchedMinWork = 1 << 20;

class AttentionKernel : public FallbackKernel {
 public:
  AttentionKernel(std::unique_ptr<Kernel> fallback, AttentionAttributes attrs)
      : FallbackKernel(std::move(fallback)), attrs_(attrs) {}

  Status Compute(KernelContext& ctx) const override {
    const Tensor* q = ctx.input(0);
    const Tensor* k = ctx.input(1);
    const Tensor* v = ctx.input(2);
    const Tensor* mask = ctx.input(3);
    if (!AllFloat32NonEmpty({q, k, v}) || (mask != nullptr && !AllFloat32NonEmpty({mask}))) return Fallback(ctx);
    Result<AttentionPlan> planned = reference::PlanAttention(*q, *k, *v, mask, attrs_.k_transposed);
    if (!planned.ok()) return Fallback(ctx);  // the reference reports the error
    const AttentionPlan& plan = *planned;
    const double work = static_cast<double>(plan.batch) * static_cast<double>(plan.rows) *
                        static_cast<double>(plan.cols) * static_cast<double>(plan.depth + plan.value_depth);
    // Q, K and V each holding every batch matrix (no broadcast batch or sequence dims).
    const bool full = q->num_elements() == plan.batch * plan.rows * plan.depth &&
                      k->num_elements() == plan.batch * plan.cols * plan.depth &&
                      v->num_elements() == plan.batch * plan.cols * plan.value_depth;
    if (full && (work >= kBatchedMinWork || !CpuHasAvx2Fma())) {
      return ComputeBatched(ctx, plan, *q, *k, *v, mask, work);
    }
    // Broadcast sequence dims (a Q of one row, a K of one key, stretched by the mask) and
    // products too big for the direct GEMM take the reference path.
    const int64_t block = plan.q_row_stride == 0 && plan.rows > 1 ? 0 : RowsPerBlock(plan);
    if (block == 0 || plan.k_col_stride == 0 || plan.batch == 0) return Fallback(ctx);

    ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, plan.out_shape));
    const float* pq = q->data<float>();
    const float* pk = k->data<float>();
    const float* pv = v->data<float>();
    const float* pm = mask != nullptr ? mask->data<float>() : nullptr;
    float* po = out.data<float>();
    const int64_t blocks_per_matrix = (plan.rows + block - 1) / block;
    ParallelFor(plan.batch * blocks_per_matrix, ctx.intra_op_threads, [&](int64_t task) {
      const int64_t b = task / blocks_per_matrix;
      const int64_t row0 = (task % blocks_per_matrix) * block;
      const int64_t rows = std::min(block, plan.rows - row0);
      const size_t bi = static_cast<size_t>(b);
      float* scores = ScoresBuffer(block * plan.cols);

      SmallGemmArgs s;
      s.m = rows;
      s.n = plan.cols;
      s.k = plan.depth;
      s.a = pq + plan.q_offset[bi] + row0 * plan.depth;
      s.b = pk + plan.k_offset[bi];
      s.b_transposed = !attrs_.k_transposed;  // K [S_kv, D] is Kᵀ transposed
      s.alpha = attrs_.scale;
      if (pm != nullptr) {
        s.c = pm + plan.mask_offset[bi] + row0 * plan.mask_row_stride;
        s.c_row_stride = plan.mask_row_stride;
        s.c_col_stride = plan.mask_col_stride;
        s.beta = attrs_.mask_scale;
      }
      s.y = scores;
      SmallGemm(s);

      for (int64_t r = 0; r < rows; ++r) ScaleMaskSoftmaxRow(scores + r * plan.cols, plan.cols, 1.0f, nullptr, 0, 1.0f);

      SmallGemmArgs o;
      o.m = rows;
      o.n = plan.value_depth;
      o.k = plan.cols;
      o.a = scores;
      o.b = pv + plan.v_offset[bi];
      o.y = po + (b * plan.rows + row0) * plan.value_depth;
      SmallGemm(o);
    });
    reference::SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  /// The large-problem path: scores for all batch matrices at once with oneDNN's matmul, then the
  /// scale, the mask and the softmax in one pass over each row (in parallel), then oneDNN's
  /// matmul with V. Saves the decomposed graph's separate scale pass, mask pass and softmax
  /// output buffer.
  Status ComputeBatched(KernelContext& ctx, const AttentionPlan& plan, const Tensor& q, const Tensor& k,
                        const Tensor& v, const Tensor* mask, double work) const {
    const int threads = ThreadsFor(ctx, work);
    const std::vector<int64_t> key = {threads, plan.batch, plan.rows, plan.cols, plan.depth, plan.value_depth};
    return CatchDnnl("Attention", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(auto p, cache_.GetOrCreate(key, [&]() -> Result<std::shared_ptr<const BatchedProducts>> {
        auto entry = std::make_shared<BatchedProducts>();
        const int64_t b = plan.batch, m = plan.rows, n = plan.cols, d = plan.depth, dv = plan.value_depth;
        entry->q = PlainDesc({b, m, d});
        // Kᵀ [b, d, n]: plain when given transposed, else a strided view of K [b, n, d].
        entry->k = attrs_.k_transposed
                       ? PlainDesc({b, d, n})
                       : dnnl::memory::desc({b, d, n}, dnnl::memory::data_type::f32, dnnl::memory::dims{n * d, 1, d});
        entry->scores = PlainDesc({b, m, n});
        entry->v = PlainDesc({b, n, dv});
        entry->out = PlainDesc({b, m, dv});
        entry->scores_pd = std::make_unique<dnnl::matmul::primitive_desc>(
            dnnl::matmul::desc(entry->q, entry->k, entry->scores), DefaultAttr(), CpuEngine());
        entry->scores_primitive = dnnl::matmul(*entry->scores_pd);
        entry->out_pd = std::make_unique<dnnl::matmul::primitive_desc>(
            dnnl::matmul::desc(entry->scores, entry->v, entry->out), DefaultAttr(), CpuEngine());
        entry->out_primitive = dnnl::matmul(*entry->out_pd);
        return std::shared_ptr<const BatchedProducts>(std::move(entry));
      }));
      ASSIGN_OR_RETURN(Tensor scores, ctx.AllocateUninitialized(DType::kFloat32, {plan.batch, plan.rows, plan.cols}));
      Execute(p->scores_primitive, *p->scores_pd,
              {{DNNL_ARG_SRC, WrapTensor(p->q, q)},
               {DNNL_ARG_WEIGHTS, WrapTensor(p->k, k)},
               {DNNL_ARG_DST, WrapTensor(p->scores, scores)}});
      float* ps = scores.data<float>();
      const float* pm = mask != nullptr ? mask->data<float>() : nullptr;
      ParallelFor(plan.batch, ThreadsFor(ctx, static_cast<double>(scores.num_elements())), [&](int64_t b) {
        const size_t bi = static_cast<size_t>(b);
        for (int64_t r = 0; r < plan.rows; ++r) {
          const float* mask_row = pm != nullptr ? pm + plan.mask_offset[bi] + r * plan.mask_row_stride : nullptr;
          ScaleMaskSoftmaxRow(ps + (b * plan.rows + r) * plan.cols, plan.cols, attrs_.scale, mask_row,
                              plan.mask_col_stride, attrs_.mask_scale);
        }
      });
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, plan.out_shape));
      Execute(p->out_primitive, *p->out_pd,
              {{DNNL_ARG_SRC, WrapTensor(p->scores, scores)},
               {DNNL_ARG_WEIGHTS, WrapTensor(p->v, v)},
               {DNNL_ARG_DST, WrapTensor(p->out, out)}});
      reference::SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

  AttentionAttributes attrs_;
  PrimitiveCache<BatchedProducts> cache_;
};

}  // namespace

void RegisterAttentionKernels(KernelRegistry& registry) {
  const KernelFactory* previous = registry.Find(kMlServingDomain, "Attention");
  if (previous == nullptr) return;
  registry.Register(kMlServingDomain, "Attention",
                    [reference = *previous](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
                      ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node));
                      ASSIGN_OR_RETURN(AttentionAttributes attrs, reference::ReadAttentionAttributes(node));
                      return std::unique_ptr<Kernel>(std::make_unique<AttentionKernel>(std::move(fallback), attrs));
                    });
}

}  // namespace mlserving::kernels::onednn

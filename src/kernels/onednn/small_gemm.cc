#include "kernels/onednn/small_gemm.h"

#include <immintrin.h>

namespace mlserving::kernels::onednn {
namespace {

constexpr int64_t kMaxRows = 64;
constexpr int64_t kMaxWork = int64_t{1} << 18;  // 256K multiply-adds

__attribute__((target("avx2,fma"))) inline float HorizontalSum(__m256 v) {
  const __m128 sum4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 sum2 = _mm_add_ps(sum4, _mm_movehl_ps(sum4, sum4));
  return _mm_cvtss_f32(_mm_add_ss(sum2, _mm_shuffle_ps(sum2, sum2, 1)));
}

/// What happens to each output value after the product: + bias[j], then the activation.
struct Epilogue {
  const float* bias = nullptr;
  FusedActivation::Kind kind = FusedActivation::Kind::kNone;
  float alpha = 0, beta = 0;  ///< FusedActivation's parameters

  bool IsIdentity() const { return bias == nullptr && kind == FusedActivation::Kind::kNone; }

  /// The 8 outputs of columns j..j+7, in registers; with `mask`, only its lanes are columns
  /// (the bias is not read beyond them).
  __attribute__((target("avx2,fma"))) __m256 Apply(__m256 v, int64_t j, const __m256i* mask = nullptr) const {
    if (bias != nullptr) {
      v = _mm256_add_ps(v, mask != nullptr ? _mm256_maskload_ps(bias + j, *mask) : _mm256_loadu_ps(bias + j));
    }
    switch (kind) {
      case FusedActivation::Kind::kRelu: return _mm256_max_ps(v, _mm256_setzero_ps());  // NaN -> 0, as the reference
      case FusedActivation::Kind::kLeakyRelu: {
        const __m256 negative = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(alpha)), negative);
      }
      case FusedActivation::Kind::kClip:
        // max/min return their second operand when one is NaN: NaN stays NaN, as in the reference.
        return _mm256_min_ps(_mm256_set1_ps(beta), _mm256_max_ps(_mm256_set1_ps(alpha), v));
      default: return v;
    }
  }
  /// One output of column j (the same arithmetic as the reference activation).
  float Apply(float v, int64_t j) const {
    if (bias != nullptr) v += bias[j];
    switch (kind) {
      case FusedActivation::Kind::kRelu: return v > 0.0f ? v : 0.0f;
      case FusedActivation::Kind::kLeakyRelu: return v < 0.0f ? v * alpha : v;
      case FusedActivation::Kind::kClip: return v < alpha ? alpha : (v > beta ? beta : v);
      default: return v;
    }
  }
};

/// r[m] = x · y[m] over k floats for m = 0..3: each load of x serves the four products, whose
/// independent accumulators keep the FMA units busy where one dot product would wait on its own
/// latency.
__attribute__((target("avx2,fma"), always_inline)) inline void FourDots(const float* x, const float* const (&y)[4],
                                                                        int64_t k, float (&r)[4]) {
  const int64_t k8 = k / 8 * 8;
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  for (int64_t i = 0; i < k8; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    s0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y[0] + i), s0);
    s1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y[1] + i), s1);
    s2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y[2] + i), s2);
    s3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y[3] + i), s3);
  }
  r[0] = HorizontalSum(s0), r[1] = HorizontalSum(s1), r[2] = HorizontalSum(s2), r[3] = HorizontalSum(s3);
  for (int64_t i = k8; i < k; ++i) {
    for (int m = 0; m < 4; ++m) r[m] += x[i] * y[m][i];
  }
}

/// out[j] = a · b[j, :] for j < n (b is [n, k]): four rows of b per pass share the loads of a.
__attribute__((target("avx2,fma"))) void DotRows(const float* a, const float* b, int64_t n, int64_t k,
                                                 const Epilogue& epilogue, float* out) {
  const int64_t k8 = k / 8 * 8;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* const rows[4] = {b + j * k, b + (j + 1) * k, b + (j + 2) * k, b + (j + 3) * k};
    float r[4];
    FourDots(a, rows, k, r);
    for (int m = 0; m < 4; ++m) out[j + m] = epilogue.Apply(r[m], j + m);
  }
  for (; j < n; ++j) {
    const float* bj = b + j * k;
    __m256 s = _mm256_setzero_ps();
    for (int64_t i = 0; i < k8; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(bj + i), s);
    float r = HorizontalSum(s);
    for (int64_t i = k8; i < k; ++i) r += a[i] * bj[i];
    out[j] = epilogue.Apply(r, j);
  }
}

/// For a narrow B ([n < 4, k]): out[r, j] = a[r, :] · b[j, :] for four rows r of a (row stride
/// k, out's row stride n): the four rows share each load of b (FourDots).
__attribute__((target("avx2,fma"))) void DotFourRows(const float* a, const float* b, int64_t n, int64_t k,
                                                     const Epilogue& epilogue, float* out) {
  const float* const rows[4] = {a, a + k, a + 2 * k, a + 3 * k};
  for (int64_t j = 0; j < n; ++j) {
    float r[4];
    FourDots(b + j * k, rows, k, r);
    for (int m = 0; m < 4; ++m) out[m * n + j] = epilogue.Apply(r[m], j);
  }
}

/// out[0:n] = sum_i a[i] * b[i, 0:n] (b is [k, n]), in column blocks of 32 held in registers.
__attribute__((target("avx2,fma"))) void AxpyRows(const float* a, const float* b, int64_t n, int64_t k,
                                                  const Epilogue& epilogue, float* out) {
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    for (int64_t i = 0; i < k; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      const float* row = b + i * n + j;
      s0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(row), s0);
      s1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(row + 8), s1);
      s2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(row + 16), s2);
      s3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(row + 24), s3);
    }
    _mm256_storeu_ps(out + j, epilogue.Apply(s0, j));
    _mm256_storeu_ps(out + j + 8, epilogue.Apply(s1, j + 8));
    _mm256_storeu_ps(out + j + 16, epilogue.Apply(s2, j + 16));
    _mm256_storeu_ps(out + j + 24, epilogue.Apply(s3, j + 24));
  }
  for (; j + 8 <= n; j += 8) {
    __m256 s = _mm256_setzero_ps();
    for (int64_t i = 0; i < k; ++i) s = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), _mm256_loadu_ps(b + i * n + j), s);
    _mm256_storeu_ps(out + j, epilogue.Apply(s, j));
  }
  if (j < n) {  // the last n - j < 8 columns, as masked lanes
    const __m256i mask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - j)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 s = _mm256_setzero_ps();
    for (int64_t i = 0; i < k; ++i) {
      s = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), _mm256_maskload_ps(b + i * n + j, mask), s);
    }
    _mm256_maskstore_ps(out + j, mask, epilogue.Apply(s, j, &mask));
  }
}

bool CpuHasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

}  // namespace

bool SmallGemmApplies(int64_t m, int64_t n, int64_t k) {
  return m >= 1 && m <= kMaxRows && n >= 1 && k >= 1 && m * n * k <= kMaxWork && CpuHasAvx2Fma();
}

bool SmallGemmEpilogueSupports(const FusedActivation& activation) {
  switch (activation.kind) {
    case FusedActivation::Kind::kNone:
    case FusedActivation::Kind::kRelu:
    case FusedActivation::Kind::kLeakyRelu:
    case FusedActivation::Kind::kClip: return true;
    default: return false;
  }
}

void SmallGemm(const SmallGemmArgs& g) {
  const Epilogue epilogue{g.bias, g.activation.kind, g.activation.alpha, g.activation.beta};
  // The epilogue runs on the product in registers unless alpha or C come first.
  const bool scale_or_c = g.alpha != 1.0f || g.c != nullptr;
  const Epilogue in_registers = scale_or_c ? Epilogue{} : epilogue;
  for (int64_t r = 0; r < g.m;) {
    const float* a = g.a + r * g.k;
    float* y = g.y + r * g.n;
    int64_t rows = 1;
    if (g.b_transposed && g.n < 4 && r + 4 <= g.m) {
      DotFourRows(a, g.b, g.n, g.k, in_registers, y);
      rows = 4;
    } else if (g.b_transposed) {
      DotRows(a, g.b, g.n, g.k, in_registers, y);
    } else {
      AxpyRows(a, g.b, g.n, g.k, in_registers, y);
    }
    for (int64_t row = r; scale_or_c && row < r + rows; ++row) {
      float* yr = g.y + row * g.n;
      const float* c = g.c != nullptr ? g.c + row * g.c_row_stride : nullptr;
      for (int64_t j = 0; j < g.n; ++j) {
        float v = yr[j] * g.alpha;
        if (c != nullptr) v += g.beta * c[j * g.c_col_stride];
        yr[j] = epilogue.IsIdentity() ? v : epilogue.Apply(v, j);
      }
    }
    r += rows;
  }
}

}  // namespace mlserving::kernels::onednn

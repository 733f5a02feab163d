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

/// out[j] = a · b[j, :] for j < n (b is [n, k]): four rows of b per pass share the loads of a.
__attribute__((target("avx2,fma"))) void DotRows(const float* a, const float* b, int64_t n, int64_t k, float* out) {
  const int64_t k8 = k / 8 * 8;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* b0 = b + j * k;
    const float* b1 = b0 + k;
    const float* b2 = b1 + k;
    const float* b3 = b2 + k;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    for (int64_t i = 0; i < k8; i += 8) {
      const __m256 av = _mm256_loadu_ps(a + i);
      s0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b0 + i), s0);
      s1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b1 + i), s1);
      s2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b2 + i), s2);
      s3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b3 + i), s3);
    }
    float r0 = HorizontalSum(s0), r1 = HorizontalSum(s1), r2 = HorizontalSum(s2), r3 = HorizontalSum(s3);
    for (int64_t i = k8; i < k; ++i) {
      r0 += a[i] * b0[i];
      r1 += a[i] * b1[i];
      r2 += a[i] * b2[i];
      r3 += a[i] * b3[i];
    }
    out[j] = r0;
    out[j + 1] = r1;
    out[j + 2] = r2;
    out[j + 3] = r3;
  }
  for (; j < n; ++j) {
    const float* bj = b + j * k;
    __m256 s = _mm256_setzero_ps();
    for (int64_t i = 0; i < k8; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(bj + i), s);
    float r = HorizontalSum(s);
    for (int64_t i = k8; i < k; ++i) r += a[i] * bj[i];
    out[j] = r;
  }
}

/// out[0:n] = sum_i a[i] * b[i, 0:n] (b is [k, n]), in column blocks of 32 held in registers.
__attribute__((target("avx2,fma"))) void AxpyRows(const float* a, const float* b, int64_t n, int64_t k, float* out) {
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
    _mm256_storeu_ps(out + j, s0);
    _mm256_storeu_ps(out + j + 8, s1);
    _mm256_storeu_ps(out + j + 16, s2);
    _mm256_storeu_ps(out + j + 24, s3);
  }
  for (; j + 8 <= n; j += 8) {
    __m256 s = _mm256_setzero_ps();
    for (int64_t i = 0; i < k; ++i) s = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), _mm256_loadu_ps(b + i * n + j), s);
    _mm256_storeu_ps(out + j, s);
  }
  for (; j < n; ++j) {
    float r = 0;
    for (int64_t i = 0; i < k; ++i) r += a[i] * b[i * n + j];
    out[j] = r;
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

void SmallGemm(const SmallGemmArgs& g) {
  for (int64_t r = 0; r < g.m; ++r) {
    const float* a = g.a + r * g.k;
    float* y = g.y + r * g.n;
    if (g.b_transposed) {
      DotRows(a, g.b, g.n, g.k, y);
    } else {
      AxpyRows(a, g.b, g.n, g.k, y);
    }
    if (g.alpha != 1.0f) {
      for (int64_t j = 0; j < g.n; ++j) y[j] *= g.alpha;
    }
    if (g.c != nullptr) {
      const float* c = g.c + r * g.c_row_stride;
      for (int64_t j = 0; j < g.n; ++j) y[j] += g.beta * c[j * g.c_col_stride];
    }
  }
}

}  // namespace mlserving::kernels::onednn

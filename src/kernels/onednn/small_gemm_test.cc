// The direct small GEMM (small_gemm.h) against a plain triple loop in double precision, over the
// shapes that exercise every vector/tail path, both layouts of B, and every bias broadcast.
#include "kernels/onednn/small_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace mlserving::kernels::onednn {
namespace {

std::vector<float> Values(int64_t count, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / static_cast<float>(1 << 24) * 2.0f - 1.0f;
  }
  return v;
}

TEST(SmallGemmTest, MatchesTheDefinition) {
  if (!SmallGemmApplies(1, 1, 1)) GTEST_SKIP() << "this CPU has no AVX2+FMA; the kernels use oneDNN instead";
  for (int64_t m : {1, 2, 5, 17}) {
    for (int64_t n : {1, 7, 8, 31, 32, 33, 256}) {
      for (int64_t k : {1, 7, 8, 33, 256}) {
        if (m * n * k > (int64_t{1} << 18)) continue;  // beyond the direct path (DeclinesLargeProducts)
        for (bool b_transposed : {false, true}) {
          // Bias forms: none, scalar, [N], [M, 1], [M, N].
          for (int bias = 0; bias < 5; ++bias) {
            SCOPED_TRACE(testing::Message()
                         << "m=" << m << " n=" << n << " k=" << k << " bT=" << b_transposed << " bias=" << bias);
            const std::vector<float> a = Values(m * k, 1), b = Values(k * n, 2), c = Values(m * n, 3);
            SmallGemmArgs g;
            g.m = m, g.n = n, g.k = k, g.a = a.data(), g.b = b.data(), g.b_transposed = b_transposed;
            g.alpha = 0.5f, g.beta = 2.0f;
            if (bias > 0) g.c = c.data();
            g.c_row_stride = bias >= 3 ? (bias == 3 ? 1 : n) : 0;
            g.c_col_stride = bias == 2 || bias == 4 ? 1 : 0;
            std::vector<float> y(static_cast<size_t>(m * n), NAN);
            g.y = y.data();
            ASSERT_TRUE(SmallGemmApplies(m, n, k));
            SmallGemm(g);
            for (int64_t i = 0; i < m; ++i) {
              for (int64_t j = 0; j < n; ++j) {
                double expected = 0;
                for (int64_t p = 0; p < k; ++p) {
                  const float bv = b_transposed ? b[static_cast<size_t>(j * k + p)] : b[static_cast<size_t>(p * n + j)];
                  expected += static_cast<double>(a[static_cast<size_t>(i * k + p)]) * bv;
                }
                expected *= 0.5;
                if (g.c != nullptr) expected += 2.0 * c[static_cast<size_t>(i * g.c_row_stride + j * g.c_col_stride)];
                ASSERT_NEAR(y[static_cast<size_t>(i * n + j)], expected, 1e-5 * (1.0 + std::abs(expected)))
                    << "at " << i << "," << j;
              }
            }
          }
        }
      }
    }
  }
}

TEST(SmallGemmTest, DeclinesLargeProducts) {
  EXPECT_FALSE(SmallGemmApplies(65, 8, 8));       // too many rows
  EXPECT_FALSE(SmallGemmApplies(4, 1024, 1024));  // too much work
  EXPECT_FALSE(SmallGemmApplies(0, 8, 8));        // empty
}

}  // namespace
}  // namespace mlserving::kernels::onednn

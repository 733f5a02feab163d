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

/// The reference activations (kernels/fused_activation.cc), on one value.
double Activate(const FusedActivation& act, double v) {
  switch (act.kind) {
    case FusedActivation::Kind::kRelu: return v > 0 ? v : 0;
    case FusedActivation::Kind::kLeakyRelu: return v >= 0 ? v : act.alpha * v;
    case FusedActivation::Kind::kClip: return v < act.alpha ? act.alpha : (v > act.beta ? act.beta : v);
    default: return v;
  }
}

TEST(SmallGemmTest, AppliesTheBiasAndActivationEpilogue) {
  if (!SmallGemmApplies(1, 1, 1)) GTEST_SKIP() << "this CPU has no AVX2+FMA; the kernels use oneDNN instead";
  using Kind = FusedActivation::Kind;
  const FusedActivation activations[] = {
      {Kind::kNone, 0, 0}, {Kind::kRelu, 0, 0}, {Kind::kLeakyRelu, 0.1f, 0}, {Kind::kClip, -0.3f, 0.4f}};
  for (const FusedActivation& act : activations) {
    ASSERT_TRUE(SmallGemmEpilogueSupports(act));
    for (int64_t m : {1, 3, 64}) {
      for (int64_t n : {1, 5, 8, 40, 256}) {
        for (int64_t k : {7, 32}) {
          for (bool b_transposed : {false, true}) {
            if (!SmallGemmApplies(m, n, k)) continue;
            for (bool with_c : {false, true}) {  // C and alpha move the epilogue after the product
              SCOPED_TRACE(testing::Message() << "act=" << static_cast<int>(act.kind) << " m=" << m << " n=" << n
                                              << " k=" << k << " bT=" << b_transposed << " C=" << with_c);
              const std::vector<float> a = Values(m * k, 4), b = Values(k * n, 5), bias = Values(n, 6),
                                       c = Values(m * n, 7);
              SmallGemmArgs g;
              g.m = m, g.n = n, g.k = k, g.a = a.data(), g.b = b.data(), g.b_transposed = b_transposed;
              g.bias = bias.data();
              g.activation = act;
              if (with_c) g.alpha = 0.5f, g.c = c.data(), g.c_row_stride = n, g.c_col_stride = 1, g.beta = 2.0f;
              std::vector<float> y(static_cast<size_t>(m * n), NAN);
              g.y = y.data();
              SmallGemm(g);
              for (int64_t i = 0; i < m; ++i) {
                for (int64_t j = 0; j < n; ++j) {
                  double v = 0;
                  for (int64_t p = 0; p < k; ++p) {
                    const float bv =
                        b_transposed ? b[static_cast<size_t>(j * k + p)] : b[static_cast<size_t>(p * n + j)];
                    v += static_cast<double>(a[static_cast<size_t>(i * k + p)]) * bv;
                  }
                  if (with_c) v = 0.5 * v + 2.0 * c[static_cast<size_t>(i * n + j)];
                  const double expected = Activate(act, v + bias[static_cast<size_t>(j)]);
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
  EXPECT_FALSE(SmallGemmEpilogueSupports({FusedActivation::Kind::kGelu, 0, 0}));
}

TEST(SmallGemmTest, EpilogueKeepsNanLikeTheReference) {
  if (!SmallGemmApplies(1, 1, 1)) GTEST_SKIP() << "no AVX2+FMA";
  // A NaN input row: Relu turns NaN into 0 (the reference's x > 0 ? x : 0), Clip keeps it.
  for (int64_t n : {3, 16}) {  // scalar and vector paths
    const std::vector<float> a = {NAN, 1.0f}, b = Values(2 * n, 8);
    std::vector<float> y(static_cast<size_t>(n));
    SmallGemmArgs g;
    g.m = 1, g.n = n, g.k = 2, g.a = a.data(), g.b = b.data(), g.y = y.data();
    g.activation = {FusedActivation::Kind::kRelu, 0, 0};
    SmallGemm(g);
    for (float v : y) EXPECT_EQ(v, 0.0f) << "n=" << n;
    g.activation = {FusedActivation::Kind::kClip, -1, 1};
    SmallGemm(g);
    for (float v : y) EXPECT_TRUE(std::isnan(v)) << "n=" << n;
  }
}

TEST(SmallGemmTest, DeclinesLargeProducts) {
  EXPECT_FALSE(SmallGemmApplies(65, 8, 8));       // too many rows
  EXPECT_FALSE(SmallGemmApplies(4, 1024, 1024));  // too much work
  EXPECT_FALSE(SmallGemmApplies(0, 8, 8));        // empty
}

}  // namespace
}  // namespace mlserving::kernels::onednn

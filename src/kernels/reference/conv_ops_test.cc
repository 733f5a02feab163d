#include <gtest/gtest.h>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels::kernel_test {
namespace {

Tensor Iota3x3() { return Tensor::FromVector<float>({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}); }

TEST(ConvOpsTest, Conv2x2KernelNoPadding) {
  Tensor w = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 1, 1, 1});
  ExpectNear<float>(Run1("Conv", 11, {}, {Iota3x3(), w}), {1, 1, 2, 2}, {8, 12, 20, 24});
}

TEST(ConvOpsTest, ConvPadsAndStrides) {
  Tensor w = Tensor::FromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 1));
  ExpectNear<float>(Run1("Conv", 11, {{"pads", IntsAttr({1, 1, 1, 1})}}, {Iota3x3(), w}), {1, 1, 3, 3},
                    {8, 15, 12, 21, 36, 27, 20, 33, 24});
  ExpectNear<float>(Run1("Conv", 11, {{"pads", IntsAttr({1, 1, 1, 1})}, {"strides", IntsAttr({2, 2})}}, {Iota3x3(), w}),
                    {1, 1, 2, 2}, {8, 12, 20, 24});
  // Asymmetric padding: only the top/left.
  ExpectNear<float>(Run1("Conv", 11, {{"pads", IntsAttr({1, 1, 0, 0})}}, {Iota3x3(), w}), {1, 1, 2, 2},
                    {8, 15, 21, 36});
}

TEST(ConvOpsTest, ConvGroupsAndBias) {
  Tensor x = Tensor::FromVector<double>({1, 2, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2});
  Tensor w = Tensor::FromVector<double>({2, 1, 1, 1}, {3, 5});
  Tensor b = T1<double>({1, -1});
  ExpectNear<double>(Run1("Conv", 11, {{"group", IntAttr(2)}}, {x, w, b}), {1, 2, 2, 2}, {4, 4, 4, 4, 9, 9, 9, 9});
}

TEST(ConvOpsTest, ConvAutoPadAndDilations1D) {
  Tensor x = Tensor::FromVector<float>({1, 1, 4}, {1, 2, 3, 4});
  Tensor w = Tensor::FromVector<float>({1, 1, 2}, {1, 1});
  ExpectNear<float>(Run1("Conv", 11, {{"auto_pad", StringAttr("SAME_UPPER")}}, {x, w}), {1, 1, 4}, {3, 5, 7, 4});
  ExpectNear<float>(Run1("Conv", 11, {{"auto_pad", StringAttr("SAME_LOWER")}}, {x, w}), {1, 1, 4}, {1, 3, 5, 7});
  ExpectNear<float>(Run1("Conv", 11, {{"auto_pad", StringAttr("VALID")}, {"strides", IntsAttr({2})}}, {x, w}),
                    {1, 1, 2}, {3, 7});
  Tensor x5 = Tensor::FromVector<float>({1, 1, 5}, {1, 2, 3, 4, 5});
  ExpectNear<float>(Run1("Conv", 11, {{"dilations", IntsAttr({2})}}, {x5, w}), {1, 1, 3}, {4, 6, 8});
}

TEST(ConvOpsTest, Conv3DAndFloat16) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = Tensor::FromVector<float>({1, 1, 2, 2, 2}, std::vector<float>(8, 1));
  ExpectNear<float>(Run1("Conv", 11, {}, {x, w}), {1, 1, 1, 1, 1}, {36});
  std::vector<Float16> xh, wh;
  for (float v : {1.f, 2.f, 3.f}) xh.push_back(Float16{FloatToHalf(v)});
  for (float v : {0.5f, 2.f}) wh.push_back(Float16{FloatToHalf(v)});
  Tensor y =
      Run1("Conv", 11, {}, {Tensor::FromVector<Float16>({1, 1, 3}, xh), Tensor::FromVector<Float16>({1, 1, 2}, wh)});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 2}));
  EXPECT_EQ(HalfToFloat(y.data<Float16>()[0].bits), 4.5f);
  EXPECT_EQ(HalfToFloat(y.data<Float16>()[1].bits), 7.0f);
}

TEST(ConvOpsTest, ConvErrors) {
  Tensor w = Tensor::FromVector<float>({1, 2, 2, 2}, std::vector<float>(8, 1));
  EXPECT_EQ(RunStatus("Conv", 11, {}, {Iota3x3(), w}).code(), StatusCode::kInvalidArgument);  // channels
  Tensor big = Tensor::FromVector<float>({1, 1, 4, 4}, std::vector<float>(16, 1));
  EXPECT_EQ(RunStatus("Conv", 11, {}, {Iota3x3(), big}).code(), StatusCode::kInvalidArgument);  // kernel > input
  Tensor w1 = Tensor::FromVector<float>({1, 1, 1, 1}, {1});
  EXPECT_EQ(RunStatus("Conv", 11, {{"auto_pad", StringAttr("BOGUS")}}, {Iota3x3(), w1}).code(),
            StatusCode::kUnimplemented);
  EXPECT_EQ(RunStatus("Conv", 11, {{"strides", IntsAttr({0, 1})}}, {Iota3x3(), w1}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Conv", 11, {{"kernel_shape", IntsAttr({2, 2})}}, {Iota3x3(), w1}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Conv", 11, {}, {Iota3x3(), w1, T1<float>({1, 2})}).code(), StatusCode::kInvalidArgument);
}

TEST(ConvOpsTest, ConvTranspose1D) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2}, {1, 2});
  Tensor w = Tensor::FromVector<float>({1, 1, 2}, {1, 1});
  ExpectNear<float>(Run1("ConvTranspose", 11, {}, {x, w}), {1, 1, 3}, {1, 3, 2});
  ExpectNear<float>(Run1("ConvTranspose", 11, {{"strides", IntsAttr({2})}}, {x, w}), {1, 1, 4}, {1, 1, 2, 2});
  ExpectNear<float>(Run1("ConvTranspose", 11, {{"strides", IntsAttr({2})}, {"output_padding", IntsAttr({1})}}, {x, w}),
                    {1, 1, 5}, {1, 1, 2, 2, 0});
  ExpectNear<float>(Run1("ConvTranspose", 11, {{"strides", IntsAttr({2})}, {"pads", IntsAttr({1, 0})}}, {x, w}),
                    {1, 1, 3}, {1, 2, 2});
  // output_shape 5 = natural 4 + 1: the extra element goes at the end.
  ExpectNear<float>(Run1("ConvTranspose", 11, {{"strides", IntsAttr({2})}, {"output_shape", IntsAttr({5})}}, {x, w}),
                    {1, 1, 5}, {1, 1, 2, 2, 0});
}

TEST(ConvOpsTest, ConvTranspose2DWithBiasAndGroups) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 1, 1, 1});
  ExpectNear<float>(Run1("ConvTranspose", 11, {}, {x, w, T1<float>({10})}), {1, 1, 3, 3},
                    {11, 13, 12, 14, 20, 16, 13, 17, 14});
  // Two groups, one input and two output channels each: W [2, 2, 1, 1].
  Tensor x2 = Tensor::FromVector<float>({1, 2, 1, 1}, {1, 10});
  Tensor w2 = Tensor::FromVector<float>({2, 2, 1, 1}, {1, 2, 3, 4});
  ExpectNear<float>(Run1("ConvTranspose", 11, {{"group", IntAttr(2)}}, {x2, w2}), {1, 4, 1, 1}, {1, 2, 30, 40});
}

TEST(ConvOpsTest, ConvInteger) {
  Tensor x = Tensor::FromVector<uint8_t>({1, 1, 2, 2}, {2, 3, 4, 5});
  Tensor w = Tensor::FromVector<uint8_t>({1, 1, 1, 1}, {3});
  ExpectEq<int32_t>(Run1("ConvInteger", 10, {}, {x, w, Tensor::Scalar<uint8_t>(1), Tensor::Scalar<uint8_t>(1)}),
                    {1, 1, 2, 2}, {2, 4, 6, 8});
  // Padding contributes zero after the zero point is subtracted.
  Tensor w2 = Tensor::FromVector<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1});
  ExpectEq<int32_t>(Run1("ConvInteger", 10, {{"pads", IntsAttr({1, 1, 0, 0})}}, {x, w2, Tensor::Scalar<uint8_t>(2)}),
                    {1, 1, 2, 2}, {0, 1, 2, 6});
  EXPECT_EQ(RunStatus("ConvInteger", 10, {}, {Tensor::FromVector<float>({1, 1, 1, 1}, {1}), w}).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels::kernel_test

namespace mlserving::kernels::kernel_test {
namespace {

// Deterministic pseudo-random values in [-1, 1).
std::vector<double> Noise(size_t n, uint32_t seed) {
  std::vector<double> v(n);
  for (double& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<double>(seed >> 8) / static_cast<double>(1u << 23) - 1.0;
  }
  return v;
}

// Conv through im2col + GEMM matches a direct 7-loop convolution (groups, strides, dilations,
// asymmetric pads), and ConvTranspose is its adjoint: <conv(x), y> == <x, convT(y)>.
TEST(ConvOpsTest, MatchesDirectConvolutionAndTransposeIsAdjoint) {
  const int64_t n = 2, c = 4, h = 7, w = 6, m = 6, group = 2, kh = 3, kw = 2;
  const int64_t sh = 2, sw = 1, dh = 1, dw = 2, pt = 1, pl = 0, pb = 2, pr = 1;
  const int64_t oh = (h + pt + pb - ((kh - 1) * dh + 1)) / sh + 1, ow = (w + pl + pr - ((kw - 1) * dw + 1)) / sw + 1;
  const std::vector<double> xv = Noise(static_cast<size_t>(n * c * h * w), 1);
  const std::vector<double> wv = Noise(static_cast<size_t>(m * (c / group) * kh * kw), 2);
  std::map<std::string, ir::Attribute> attrs = {{"group", IntAttr(group)},
                                                {"strides", IntsAttr({sh, sw})},
                                                {"dilations", IntsAttr({dh, dw})},
                                                {"pads", IntsAttr({pt, pl, pb, pr})}};
  Tensor x = Tensor::FromVector<double>({n, c, h, w}, xv);
  Tensor wt = Tensor::FromVector<double>({m, c / group, kh, kw}, wv);
  Tensor y = Run1("Conv", 11, attrs, {x, wt});
  ASSERT_EQ(y.shape(), (Shape{n, m, oh, ow}));
  const int64_t cg = c / group, mg = m / group;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t o = 0; o < m; ++o) {
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          double acc = 0;
          for (int64_t ci = 0; ci < cg; ++ci) {
            for (int64_t a = 0; a < kh; ++a) {
              for (int64_t e = 0; e < kw; ++e) {
                const int64_t hi = i * sh - pt + a * dh, wi = j * sw - pl + e * dw;
                if (hi < 0 || hi >= h || wi < 0 || wi >= w) continue;
                const int64_t ch = (o / mg) * cg + ci;
                acc += xv[static_cast<size_t>(((b * c + ch) * h + hi) * w + wi)] *
                       wv[static_cast<size_t>(((o * cg + ci) * kh + a) * kw + e)];
              }
            }
          }
          EXPECT_NEAR(y.data<double>()[((b * m + o) * oh + i) * ow + j], acc, 1e-12);
        }
      }
    }
  }
  // Adjoint: ConvTranspose with the same W (read as [C_in = m, C_out / group = c / group]) and
  // output_shape = x's spatial dims.
  const std::vector<double> gv = Noise(static_cast<size_t>(y.num_elements()), 3);
  Tensor g = Tensor::FromVector<double>(y.shape(), gv);
  // The natural transposed size may fall short of x when strides drop rows; pad it via output_padding.
  const int64_t natural_h = sh * (oh - 1) + (kh - 1) * dh + 1 - pt - pb;
  const int64_t natural_w = sw * (ow - 1) + (kw - 1) * dw + 1 - pl - pr;
  attrs["output_padding"] = IntsAttr({h - natural_h, w - natural_w});
  Tensor xt = Run1("ConvTranspose", 11, attrs, {g, wt});
  ASSERT_EQ(xt.shape(), x.shape());
  double lhs = 0, rhs = 0;
  for (size_t i = 0; i < gv.size(); ++i) lhs += y.data<double>()[i] * gv[i];
  for (size_t i = 0; i < xv.size(); ++i) rhs += xv[i] * xt.data<double>()[i];
  EXPECT_NEAR(lhs, rhs, 1e-9);
}

}  // namespace
}  // namespace mlserving::kernels::kernel_test

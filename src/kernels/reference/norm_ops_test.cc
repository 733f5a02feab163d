#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels::kernel_test {
namespace {

TEST(NormOpsTest, LayerNormalizationWithStatistics) {
  Tensor x = Tensor::FromVector<float>({2, 2}, {1, 3, 2, 2});
  Tensor scale = T1<float>({2, 1});
  Tensor bias = T1<float>({0, 1});
  Result<std::vector<Tensor>> out = RunOp("LayerNormalization", 17, {}, {x, scale, bias}, 3);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float k = 1 / std::sqrt(1 + 1e-5f);
  ExpectNear<float>((*out)[0], {2, 2}, {-2 * k, k + 1, 0, 1});
  ExpectNear<float>((*out)[1], {2, 1}, {2, 2});
  ExpectNear<float>((*out)[2], {2, 1}, {k, 1 / std::sqrt(1e-5f)}, 1e-2);
  // axis 0 normalises over everything; B is optional.
  Tensor scale4 = Tensor::FromVector<float>({2, 2}, {1, 1, 1, 1});
  Tensor y = Run1("LayerNormalization", 17, {{"axis", IntAttr(0)}, {"epsilon", FloatAttr(0)}}, {x, scale4});
  const float s = std::sqrt(0.5f);  // mean 2, variance 0.5
  ExpectNear<float>(y, {2, 2}, {-1 / s, 1 / s, 0, 0});
  EXPECT_EQ(RunStatus("LayerNormalization", 17, {}, {x, T1<float>({1, 2, 3})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("LayerNormalization", 17, {{"axis", IntAttr(2)}}, {x, scale}).code(),
            StatusCode::kInvalidArgument);
}

TEST(NormOpsTest, InstanceAndGroupNormalization) {
  Tensor x = Tensor::FromVector<float>({1, 2, 2}, {1, 3, 5, 5});
  const float k = 1 / std::sqrt(1 + 1e-5f);
  ExpectNear<float>(Run1("InstanceNormalization", 6, {}, {x, T1<float>({1, 2}), T1<float>({0, 1})}), {1, 2, 2},
                    {-k, k, 1, 1});
  Tensor g = Tensor::FromVector<float>({1, 4, 1}, {1, 3, 5, 7});
  ExpectNear<float>(
      Run1("GroupNormalization", 18, {{"num_groups", IntAttr(2)}}, {g, T1<float>({1, 2}), T1<float>({0, 0})}),
      {1, 4, 1}, {-k, k, -2 * k, 2 * k});
  // Per-channel scale (opset 21).
  ExpectNear<float>(Run1("GroupNormalization", 21, {{"num_groups", IntAttr(2)}},
                         {g, T1<float>({1, 2, 3, 4}), T1<float>({0, 0, 0, 1})}),
                    {1, 4, 1}, {-k, 2 * k, -3 * k, 4 * k + 1});
  EXPECT_EQ(
      RunStatus("GroupNormalization", 18, {{"num_groups", IntAttr(3)}}, {g, T1<float>({1, 1, 1}), T1<float>({0, 0, 0})})
          .code(),
      StatusCode::kInvalidArgument);
}

TEST(NormOpsTest, Lrn) {
  Tensor x = Tensor::FromVector<float>({1, 2, 1, 1}, {1, 2});
  ExpectNear<float>(Run1("LRN", 13, {{"size", IntAttr(3)}, {"alpha", FloatAttr(3)}, {"beta", FloatAttr(1)}}, {x}),
                    {1, 2, 1, 1}, {1.0f / 6, 2.0f / 6});
  EXPECT_EQ(RunStatus("LRN", 13, {}, {x}).code(), StatusCode::kInvalidArgument);
}

TEST(NormOpsTest, MeanVarianceNormalization) {
  Tensor x = Tensor::FromVector<double>({1, 2, 1, 2}, {1, 3, 10, 10});
  ExpectNear<double>(Run1("MeanVarianceNormalization", 13, {}, {x}), {1, 2, 1, 2}, {-1, 1, 0, 0}, 1e-6);
  ExpectNear<double>(Run1("MeanVarianceNormalization", 13, {{"axes", IntsAttr({3})}}, {x}), {1, 2, 1, 2}, {-1, 1, 0, 0},
                     1e-6);
}

TEST(NormOpsTest, PRelu) {
  Tensor x = T1<float>({-2, 3});
  ExpectNear<float>(Run1("PRelu", 16, {}, {x, T1<float>({0.5f})}), {2}, {-1, 3});
  Tensor x3 = Tensor::FromVector<float>({1, 2, 2}, {-1, -1, -1, 1});
  ExpectNear<float>(Run1("PRelu", 16, {}, {x3, Tensor::FromVector<float>({2, 1}, {1, 2})}), {1, 2, 2}, {-1, -1, -2, 1});
  // Before opset 7 a 1-D slope is per channel.
  ExpectNear<float>(Run1("PRelu", 6, {}, {x3, T1<float>({1, 2})}), {1, 2, 2}, {-1, -1, -2, 1});
  EXPECT_EQ(RunStatus("PRelu", 16, {}, {x3, T1<float>({1, 2, 3})}).code(), StatusCode::kInvalidArgument);
  ExpectEq<int32_t>(Run1("PRelu", 16, {}, {T1<int32_t>({-3, 4}), T1<int32_t>({2})}), {2}, {-6, 4});
}

}  // namespace
}  // namespace mlserving::kernels::kernel_test

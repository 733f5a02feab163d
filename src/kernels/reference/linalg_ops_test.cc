#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"
#include "kernels/registry.h"
#include "tensor/float16.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(google-build-using-namespace): test harness

TEST(LinalgOpsTest, MatMul2D) {
  Tensor a = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::FromVector<float>({3, 2}, {7, 8, 9, 10, 11, 12});
  ExpectNear<float>(Run1("MatMul", 13, {}, {a, b}), {2, 2}, {58, 64, 139, 154});
}

TEST(LinalgOpsTest, MatMulPromotesVectors) {
  Tensor m = Tensor::FromVector<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor v = T1<double>({1, 0, -1});
  ExpectNear<double>(Run1("MatMul", 13, {}, {m, v}), {2}, {-2, -2});
  Tensor w = T1<double>({1, 1});
  ExpectNear<double>(Run1("MatMul", 13, {}, {w, m}), {3}, {5, 7, 9});
  ExpectNear<double>(Run1("MatMul", 13, {}, {v, v}), {}, {2});
}

TEST(LinalgOpsTest, MatMulBroadcastsBatches) {
  // a: [2,1,2,2] (two batches), b: [3,2,1] (three batches) -> [2,3,2,1].
  Tensor a = Tensor::FromVector<int64_t>({2, 1, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});
  Tensor b = Tensor::FromVector<int64_t>({3, 2, 1}, {1, 2, 3, 4, 5, 6});
  ExpectEq<int64_t>(Run1("MatMul", 13, {}, {a, b}), {2, 3, 2, 1}, {1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12});
}

TEST(LinalgOpsTest, MatMulErrors) {
  Tensor a = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(RunStatus("MatMul", 13, {}, {a, a}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("MatMul", 13, {}, {a, Tensor::Scalar<float>(1)}).code(), StatusCode::kInvalidArgument);
  Tensor b3 = Tensor::FromVector<float>({2, 3, 1}, {1, 2, 3, 4, 5, 6});
  Tensor a3 = Tensor::FromVector<float>({3, 1, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(RunStatus("MatMul", 13, {}, {a3, b3}).code(), StatusCode::kInvalidArgument);
}

TEST(LinalgOpsTest, GemmWithBiasRow) {
  Tensor a = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w = Tensor::FromVector<float>({2, 3}, {1, 0, 0, 0, 1, 1});  // torch Linear weight [out, in]
  Tensor bias = T1<float>({0.5f, -1});
  ExpectNear<float>(Run1("Gemm", 13, {{"transB", IntAttr(1)}}, {a, w, bias}), {2, 2}, {1.5f, 4, 4.5f, 10});
}

TEST(LinalgOpsTest, GemmAlphaBetaTransA) {
  Tensor a = Tensor::FromVector<double>({2, 2}, {1, 3, 2, 4});  // A^T = [[1,2],[3,4]]
  Tensor b = Tensor::FromVector<double>({2, 2}, {1, 0, 0, 1});
  Tensor c = Tensor::FromVector<double>({2, 1}, {1, 2});
  ExpectNear<double>(
      Run1("Gemm", 13, {{"transA", IntAttr(1)}, {"alpha", FloatAttr(2)}, {"beta", FloatAttr(0.5f)}}, {a, b, c}), {2, 2},
      {2.5, 4.5, 7, 9});
  ExpectNear<double>(Run1("Gemm", 13, {{"transA", IntAttr(1)}}, {a, b}), {2, 2}, {1, 2, 3, 4});
  ExpectEq<int32_t>(Run1("Gemm", 13, {},
                         {Tensor::FromVector<int32_t>({1, 2}, {1, 2}), Tensor::FromVector<int32_t>({2, 1}, {3, 4}),
                          Tensor::Scalar<int32_t>(5)}),
                    {1, 1}, {16});
}

TEST(LinalgOpsTest, GemmErrors) {
  Tensor a = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(RunStatus("Gemm", 13, {}, {a, a}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Gemm", 13, {{"transB", IntAttr(1)}}, {a, a, T1<float>({1, 2, 3})}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Gemm", 13, {}, {T1<float>({1}), a}).code(), StatusCode::kInvalidArgument);
}

TEST(LinalgOpsTest, SoftmaxAlongLastAxis) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 0, 0, 1000});
  const float e1 = std::exp(1.0f), e2 = std::exp(2.0f), e3 = std::exp(3.0f), s = e1 + e2 + e3;
  ExpectNear<float>(Run1("Softmax", 13, {}, {x}), {2, 3}, {e1 / s, e2 / s, e3 / s, 0, 0, 1});
  ExpectNear<float>(Run1("LogSoftmax", 13, {}, {x}), {2, 3},
                    {1 - std::log(s), 2 - std::log(s), 3 - std::log(s), -1000, -1000, 0}, 1e-4);
}

TEST(LinalgOpsTest, SoftmaxAlongAxis0Opset13) {
  Tensor x = Tensor::FromVector<double>({2, 2}, {0, 1, 0, 1});
  ExpectNear<double>(Run1("Softmax", 13, {{"axis", IntAttr(0)}}, {x}), {2, 2}, {0.5, 0.5, 0.5, 0.5});
  ExpectNear<double>(Run1("Softmax", 13, {{"axis", IntAttr(-2)}}, {x}), {2, 2}, {0.5, 0.5, 0.5, 0.5});
  EXPECT_EQ(RunStatus("Softmax", 13, {{"axis", IntAttr(2)}}, {x}).code(), StatusCode::kInvalidArgument);
}

TEST(LinalgOpsTest, SoftmaxBeforeOpset13CoercesTo2D) {
  // [1,2,2] with axis 1: one row of 4 elements.
  Tensor x = Tensor::FromVector<float>({1, 2, 2}, {0, 0, 0, 0});
  ExpectNear<float>(Run1("Softmax", 11, {}, {x}), {1, 2, 2}, {0.25f, 0.25f, 0.25f, 0.25f});
  // Opset 13 semantics on the same input normalise over dim 1 only.
  ExpectNear<float>(Run1("Softmax", 13, {{"axis", IntAttr(1)}}, {x}), {1, 2, 2}, {0.5f, 0.5f, 0.5f, 0.5f});
  EXPECT_EQ(RunStatus("Softmax", 13, {}, {T1<int32_t>({1})}).code(), StatusCode::kInvalidArgument);
}

TEST(LinalgOpsTest, BatchNormalizationInference) {
  Tensor x = Tensor::FromVector<float>({1, 2, 2}, {1, 2, 3, 4});
  Tensor scale = T1<float>({1, 2});
  Tensor bias = T1<float>({0, 1});
  Tensor mean = T1<float>({1, 3});
  Tensor var = T1<float>({4, 1});
  const float s0 = 1 / std::sqrt(4 + 1e-5f), s1 = 2 / std::sqrt(1 + 1e-5f);
  ExpectNear<float>(Run1("BatchNormalization", 15, {}, {x, scale, bias, mean, var}), {1, 2, 2}, {0, s0, 1, 1 + s1});
  EXPECT_EQ(RunStatus("BatchNormalization", 15, {}, {x, scale, bias, mean, T1<float>({1})}).code(),
            StatusCode::kInvalidArgument);
}

// Expected values as numpy computes them (the ONNX backend test's _batchnorm_training_mode):
// channel 0 holds {1, 3} (mean 2, population var 1), channel 1 holds {2, 6} (mean 4, var 4).
TEST(LinalgOpsTest, BatchNormalizationTrainingModeUsesBatchStatistics) {
  Tensor x = Tensor::FromVector<float>({2, 2, 1}, {1, 2, 3, 6});
  Tensor scale = T1<float>({1, 2});
  Tensor bias = T1<float>({0, 1});
  Tensor running_mean = T1<float>({0, 1});
  Tensor running_var = T1<float>({1, 1});
  const float eps = 1e-5f, s0 = 1 / std::sqrt(1 + eps), s1 = 2 / std::sqrt(4 + eps);
  Result<std::vector<Tensor>> out =
      RunOp("BatchNormalization", 15, {{"training_mode", IntAttr(1)}}, {x, scale, bias, running_mean, running_var}, 3);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear<float>(out->at(0), {2, 2, 1}, {-s0, -2 * s1 + 1, s0, 2 * s1 + 1});
  // running = input * momentum (default 0.9) + current * 0.1
  ExpectNear<float>(out->at(1), {2}, {0.2f, 1.3f});
  ExpectNear<float>(out->at(2), {2}, {1.0f, 1.3f});
  // An explicit momentum and epsilon, double statistics.
  Tensor xd = Tensor::FromVector<double>({2, 1, 2}, {0, 2, 4, 6});  // mean 3, var 5
  Result<std::vector<Tensor>> d =
      RunOp("BatchNormalization", 15,
            {{"training_mode", IntAttr(1)}, {"momentum", FloatAttr(0.5f)}, {"epsilon", FloatAttr(1)}},
            {xd, T1<double>({1}), T1<double>({0}), T1<double>({1}), T1<double>({1})}, 3);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const double inv = 1 / std::sqrt(6.0);
  ExpectNear<double>(d->at(0), {2, 1, 2}, {-3 * inv, -inv, inv, 3 * inv});
  ExpectNear<double>(d->at(1), {1}, {2.0});
  ExpectNear<double>(d->at(2), {1}, {3.0});
  // Only Y asked for: still the batch statistics.
  ExpectNear<float>(
      Run1("BatchNormalization", 15, {{"training_mode", IntAttr(1)}}, {x, scale, bias, running_mean, running_var}),
      {2, 2, 1}, {-s0, -2 * s1 + 1, s0, 2 * s1 + 1});
  EXPECT_EQ(RunStatus("BatchNormalization", 15, {{"training_mode", IntAttr(1)}, {"momentum", FloatAttr(2)}},
                      {x, scale, bias, running_mean, running_var})
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels

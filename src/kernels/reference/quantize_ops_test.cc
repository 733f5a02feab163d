#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(QuantizeOpsTest, QuantizeLinearRoundsHalfToEvenAndSaturates) {
  Tensor x = T1<float>({0, 1, 2.5f, 3.5f, -1, 300});
  Tensor scale = Tensor::Scalar<float>(2);
  // x / 2 = 0, 0.5, 1.25, 1.75, -0.5, 150 -> 0, 0, 1, 2, 0, 150; + 128, saturated at 255.
  ExpectEq<uint8_t>(Run1("QuantizeLinear", 13, {}, {x, scale, Tensor::Scalar<uint8_t>(128)}), {6},
                    {128, 128, 129, 130, 128, 255});
  ExpectEq<int8_t>(
      Run1("QuantizeLinear", 13, {}, {T1<float>({-300, 3}), Tensor::Scalar<float>(1), Tensor::Scalar<int8_t>(0)}), {2},
      {-128, 3});
  // Without a zero point the output is uint8.
  ExpectEq<uint8_t>(Run1("QuantizeLinear", 13, {}, {T1<float>({-1, 7.5f}), Tensor::Scalar<float>(1)}), {2}, {0, 8});
}

TEST(QuantizeOpsTest, DequantizeLinearPerAxis) {
  Tensor x = Tensor::FromVector<uint8_t>({2, 2}, {1, 2, 3, 4});
  // axis 1: column 0 has scale 0.5 / zero point 1, column 1 scale 2 / zero point 0.
  ExpectNear<float>(Run1("DequantizeLinear", 13, {}, {x, T1<float>({0.5f, 2}), T1<uint8_t>({1, 0})}), {2, 2},
                    {0, 4, 1, 8});
  EXPECT_EQ(RunCode("DequantizeLinear", 13, {}, {x, T1<float>({1, 2, 3})}), StatusCode::kInvalidArgument);
}

TEST(QuantizeOpsTest, DynamicQuantizeLinear) {
  // scale = (2.5 - -1) / 255, zero point = round(1 / scale) = 73.
  std::vector<Tensor> out = RunN("DynamicQuantizeLinear", 11, {}, {T1<float>({-1, 0, 1, 2.5f})}, 3);
  ExpectEq<uint8_t>(out[0], {4}, {0, 73, 146, 255});
  ExpectNear<float>(out[1], {}, {3.5f / 255});
  ExpectEq<uint8_t>(out[2], {}, {73});
}

TEST(QuantizeOpsTest, MatMulIntegerAndQLinearMatMul) {
  Tensor a = Tensor::FromVector<uint8_t>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::FromVector<uint8_t>({2, 1}, {5, 6});
  // (A - 1) x B = [0 1; 2 3] x [5; 6].
  ExpectEq<int32_t>(Run1("MatMulInteger", 10, {}, {a, b, Tensor::Scalar<uint8_t>(1)}), {2, 1}, {6, 28});
  // (2*4 + 3*6) * 0.5 * 0.25 / 0.1 = 32.5 -> 32 (half to even) + 10.
  Tensor qa = Tensor::FromVector<uint8_t>({1, 2}, {2, 3});
  Tensor qb = Tensor::FromVector<uint8_t>({2, 1}, {4, 6});
  ExpectEq<uint8_t>(Run1("QLinearMatMul", 10, {},
                         {qa, Tensor::Scalar<float>(0.5f), Tensor::Scalar<uint8_t>(0), qb, Tensor::Scalar<float>(0.25f),
                          Tensor::Scalar<uint8_t>(0), Tensor::Scalar<float>(0.1f), Tensor::Scalar<uint8_t>(10)}),
                    {1, 1}, {42});
}

}  // namespace
}  // namespace mlserving::kernels

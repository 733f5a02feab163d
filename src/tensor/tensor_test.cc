#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tensor/float16.h"

namespace mlserving {
namespace {

TEST(TensorTest, AllocatesZeroedAlignedBuffers) {
  Tensor t(DType::kFloat32, {2, 3});
  EXPECT_EQ(t.num_elements(), 6);
  EXPECT_EQ(t.byte_size(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data<float>()[i], 0.0f);
}

TEST(TensorTest, CopiesShareAndCloneCopies) {
  Tensor a = Tensor::FromVector<int64_t>({3}, {1, 2, 3});
  Tensor b = a;
  Tensor c = a.Clone();
  a.data<int64_t>()[0] = 42;
  EXPECT_EQ(b.data<int64_t>()[0], 42);
  EXPECT_EQ(c.data<int64_t>()[0], 1);
}

TEST(TensorTest, StringTensorsOwnTheirStrings) {
  Tensor t(DType::kString, {2});
  t.data<std::string>()[0] = std::string(1000, 'x');
  Tensor c = t.Clone();
  EXPECT_EQ(c.data<std::string>()[0].size(), 1000u);
  EXPECT_EQ(c.data<std::string>()[1], "");
}

TEST(TensorTest, ReshapeChecksElementCount) {
  Tensor t(DType::kFloat32, {2, 3});
  EXPECT_TRUE(t.Reshaped({3, 2}).ok());
  EXPECT_FALSE(t.Reshaped({4}).ok());
}

TEST(TensorTest, AllocateRejectsHugeAndNegativeShapes) {
  EXPECT_EQ(Tensor::Allocate(DType::kFloat32, {1 << 20, 1 << 20}, 1000).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(Tensor::Allocate(DType::kFloat32, {-1, 2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::Allocate(DType::kFloat32, {INT64_MAX, 2}).status().code(), StatusCode::kInvalidArgument);
}

TEST(Float16Test, RoundTripsRepresentableValues) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f}) {
    EXPECT_EQ(HalfToFloat(FloatToHalf(v)), v) << v;
  }
  EXPECT_TRUE(std::isinf(HalfToFloat(FloatToHalf(1e6f))));
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_EQ(HalfToFloat(FloatToHalf(1.0f + 1.0f / 4096)), 1.0f);  // rounds to even
}

TEST(Float16Test, BFloat16KeepsTheUpperHalf) {
  EXPECT_EQ(BFloat16ToFloat(FloatToBFloat16(1.5f)), 1.5f);
  EXPECT_NEAR(BFloat16ToFloat(FloatToBFloat16(3.14159f)), 3.140625f, 1e-6);
}

}  // namespace
}  // namespace mlserving

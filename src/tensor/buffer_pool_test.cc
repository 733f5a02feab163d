// BufferPool: a released buffer is handed out again (zero-filled unless asked otherwise), but
// never while another tensor still shares it, never for strings, never to a much smaller
// request, and never beyond the pool's byte bound.
#include "tensor/buffer_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace mlserving {
namespace {

Tensor Filled(BufferPool& pool, Shape shape, float value) {
  Result<Tensor> t = Tensor::AllocateUninitialized(DType::kFloat32, std::move(shape), INT64_MAX, &pool);
  EXPECT_TRUE(t.ok());
  for (int64_t i = 0; i < t->num_elements(); ++i) t->data<float>()[i] = value;
  return *t;
}

TEST(BufferPoolTest, ReusesAReleasedBufferZeroFilled) {
  BufferPool pool;
  Tensor a = Filled(pool, {100}, 7.0f);
  const void* buffer = a.raw_data();
  EXPECT_TRUE(pool.Recycle(std::move(a)));
  EXPECT_FALSE(a.defined());
  EXPECT_EQ(pool.kept_buffers(), 1u);

  // Another dtype and shape of a size that fits.
  Result<Tensor> b = Tensor::Allocate(DType::kInt32, {10, 9}, INT64_MAX, &pool);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->raw_data(), buffer);
  EXPECT_EQ(b->dtype(), DType::kInt32);
  EXPECT_EQ(b->num_elements(), 90);
  for (int64_t i = 0; i < 90; ++i) EXPECT_EQ(b->data<int32_t>()[i], 0);
  EXPECT_EQ(pool.kept_buffers(), 0u);
  EXPECT_EQ(pool.reused(), 1);
  EXPECT_EQ(pool.fresh(), 1);
}

TEST(BufferPoolTest, NeverTakesABufferAnotherTensorShares) {
  BufferPool pool;
  Tensor a = Filled(pool, {64}, 3.0f);
  Tensor view = *a.Reshaped({8, 8});
  EXPECT_FALSE(pool.Recycle(std::move(a)));
  EXPECT_EQ(pool.kept_buffers(), 0u);
  Tensor b = Filled(pool, {64}, 5.0f);  // must not land on the view's buffer
  EXPECT_NE(b.raw_data(), view.raw_data());
  for (int64_t i = 0; i < 64; ++i) EXPECT_EQ(view.data<float>()[i], 3.0f);
}

TEST(BufferPoolTest, NeverKeepsStringBuffers) {
  BufferPool pool;
  Tensor s(DType::kString, {4});
  s.data<std::string>()[0] = "kept?";
  EXPECT_FALSE(pool.Recycle(std::move(s)));
  EXPECT_EQ(pool.kept_bytes(), 0u);
  Result<Tensor> strings = Tensor::Allocate(DType::kString, {4}, INT64_MAX, &pool);
  ASSERT_TRUE(strings.ok());
  EXPECT_EQ(strings->data<std::string>()[0], "");
}

TEST(BufferPoolTest, PicksTheSmallestFittingBufferAndNotAMuchLargerOne) {
  BufferPool pool;
  Tensor big = Filled(pool, {4096}, 1.0f);
  Tensor medium = Filled(pool, {256}, 1.0f);
  const void* big_buffer = big.raw_data();
  const void* medium_buffer = medium.raw_data();
  pool.Recycle(std::move(big));
  pool.Recycle(std::move(medium));
  // 200 floats: the 256-float buffer fits; the 4096-float one is more than twice too large.
  Tensor a = Filled(pool, {200}, 2.0f);
  EXPECT_EQ(a.raw_data(), medium_buffer);
  Tensor b = Filled(pool, {200}, 2.0f);
  EXPECT_NE(b.raw_data(), big_buffer);
  Tensor c = Filled(pool, {3000}, 2.0f);
  EXPECT_EQ(c.raw_data(), big_buffer);
}

TEST(BufferPoolTest, KeepsAtMostMaxBytes) {
  BufferPool pool(/*max_bytes=*/1024);
  Tensor a = Filled(pool, {200}, 1.0f);  // 800 bytes
  Tensor b = Filled(pool, {200}, 1.0f);
  EXPECT_TRUE(pool.Recycle(std::move(a)));
  EXPECT_FALSE(pool.Recycle(std::move(b)));  // would exceed 1024
  EXPECT_EQ(pool.kept_bytes(), 832u);        // rounded up to the 64-byte alignment
  pool.Clear();
  EXPECT_EQ(pool.kept_bytes(), 0u);
  EXPECT_EQ(pool.kept_buffers(), 0u);
}

TEST(BufferPoolTest, AllocationWithoutAPoolStillWorks) {
  Result<Tensor> t = Tensor::AllocateUninitialized(DType::kFloat64, {3});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->byte_size(), 24u);
  Result<Tensor> bad = Tensor::Allocate(DType::kFloat32, {-1}, INT64_MAX, nullptr);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  BufferPool pool;
  Result<Tensor> too_big = Tensor::Allocate(DType::kFloat32, {100}, 10, &pool);
  EXPECT_EQ(too_big.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace mlserving

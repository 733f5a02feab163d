#include <gtest/gtest.h>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels::kernel_test {
namespace {

Tensor Iota3x3() { return Tensor::FromVector<float>({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}); }

TEST(PoolOpsTest, MaxPoolWithIndices) {
  Result<std::vector<Tensor>> out = RunOp("MaxPool", 12, {{"kernel_shape", IntsAttr({2, 2})}}, {Iota3x3()}, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear<float>((*out)[0], {1, 1, 2, 2}, {4, 5, 7, 8});
  ExpectEq<int64_t>((*out)[1], {1, 1, 2, 2}, {4, 5, 7, 8});
  // Column-major indices: (h, w) -> h + w * 3.
  out = RunOp("MaxPool", 12, {{"kernel_shape", IntsAttr({2, 2})}, {"storage_order", IntAttr(1)}}, {Iota3x3()}, 2);
  ASSERT_TRUE(out.ok());
  ExpectEq<int64_t>((*out)[1], {1, 1, 2, 2}, {4, 7, 5, 8});
  // The indices count the batch and channel dims too.
  Tensor x2 = Tensor::FromVector<float>({2, 1, 1, 2}, {1, 0, 0, 3});
  out = RunOp("MaxPool", 12, {{"kernel_shape", IntsAttr({1, 2})}}, {x2}, 2);
  ASSERT_TRUE(out.ok());
  ExpectEq<int64_t>((*out)[1], {2, 1, 1, 1}, {0, 3});
}

TEST(PoolOpsTest, MaxPoolPadsStridesCeilDilations) {
  ExpectNear<float>(
      Run1("MaxPool", 12,
           {{"kernel_shape", IntsAttr({2, 2})}, {"pads", IntsAttr({1, 1, 1, 1})}, {"strides", IntsAttr({2, 2})}},
           {Iota3x3()}),
      {1, 1, 2, 2}, {0, 2, 6, 8});
  Tensor x = Tensor::FromVector<float>({1, 1, 5}, {1, 2, 3, 4, 5});
  ExpectNear<float>(Run1("MaxPool", 12, {{"kernel_shape", IntsAttr({2})}, {"strides", IntsAttr({2})}}, {x}), {1, 1, 2},
                    {2, 4});
  ExpectNear<float>(Run1("MaxPool", 12,
                         {{"kernel_shape", IntsAttr({2})}, {"strides", IntsAttr({2})}, {"ceil_mode", IntAttr(1)}}, {x}),
                    {1, 1, 3}, {2, 4, 5});
  ExpectNear<float>(Run1("MaxPool", 12, {{"kernel_shape", IntsAttr({2})}, {"dilations", IntsAttr({2})}}, {x}),
                    {1, 1, 3}, {3, 4, 5});
  ExpectNear<float>(Run1("MaxPool", 12, {{"kernel_shape", IntsAttr({3})}, {"auto_pad", StringAttr("SAME_UPPER")}}, {x}),
                    {1, 1, 5}, {2, 3, 4, 5, 5});
  ExpectEq<uint8_t>(
      Run1("MaxPool", 12, {{"kernel_shape", IntsAttr({2})}}, {Tensor::FromVector<uint8_t>({1, 1, 3}, {200, 7, 255})}),
      {1, 1, 2}, {200, 255});
}

TEST(PoolOpsTest, AveragePoolCountIncludePad) {
  Tensor x = Tensor::FromVector<float>({1, 1, 3}, {1, 2, 3});
  std::map<std::string, ir::Attribute> attrs = {{"kernel_shape", IntsAttr({3})}, {"pads", IntsAttr({1, 1})}};
  ExpectNear<float>(Run1("AveragePool", 11, attrs, {x}), {1, 1, 3}, {1.5f, 2, 2.5f});
  attrs["count_include_pad"] = IntAttr(1);
  ExpectNear<float>(Run1("AveragePool", 11, attrs, {x}), {1, 1, 3}, {1, 2, 5.0f / 3});
}

TEST(PoolOpsTest, GlobalPools) {
  Tensor x = Tensor::FromVector<float>({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  ExpectNear<float>(Run1("GlobalAveragePool", 1, {}, {x}), {1, 2, 1, 1}, {2.5f, 6.5f});
  ExpectNear<float>(Run1("GlobalMaxPool", 1, {}, {x}), {1, 2, 1, 1}, {4, 8});
  Tensor y = Tensor::FromVector<float>({1, 1, 2}, {3, -4});
  ExpectNear<float>(Run1("GlobalLpPool", 2, {}, {y}), {1, 1, 1}, {5});
  ExpectNear<float>(Run1("GlobalLpPool", 2, {{"p", IntAttr(1)}}, {y}), {1, 1, 1}, {7});
  ExpectNear<float>(Run1("LpPool", 11, {{"kernel_shape", IntsAttr({2})}}, {y}), {1, 1, 1}, {5});
}

TEST(PoolOpsTest, MaxUnpool) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {4, 5, 7, 8});
  Tensor idx = Tensor::FromVector<int64_t>({1, 1, 2, 2}, {4, 5, 7, 8});
  ExpectNear<float>(Run1("MaxUnpool", 11, {{"kernel_shape", IntsAttr({2, 2})}}, {x, idx}), {1, 1, 3, 3},
                    {0, 0, 0, 0, 4, 5, 0, 7, 8});
  Tensor shape = T1<int64_t>({1, 1, 3, 4});
  ExpectNear<float>(Run1("MaxUnpool", 11, {{"kernel_shape", IntsAttr({2, 2})}}, {x, idx, shape}), {1, 1, 3, 4},
                    {0, 0, 0, 0, 0, 4, 5, 0, 0, 7, 8, 0});
  Tensor bad = Tensor::FromVector<int64_t>({1, 1, 2, 2}, {4, 5, 7, 9});
  EXPECT_EQ(RunStatus("MaxUnpool", 11, {{"kernel_shape", IntsAttr({2, 2})}}, {x, bad}).code(),
            StatusCode::kInvalidArgument);
}

TEST(PoolOpsTest, RoiOps) {
  ExpectNear<float>(Run1("MaxRoiPool", 1, {{"pooled_shape", IntsAttr({1, 1})}},
                         {Iota3x3(), Tensor::FromVector<float>({1, 5}, {0, 0, 0, 1, 1})}),
                    {1, 1, 1, 1}, {4});
  Tensor flat = Tensor::FromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 5));
  ExpectNear<float>(Run1("RoiAlign", 16, {{"output_height", IntAttr(2)}, {"output_width", IntAttr(2)}},
                         {flat, Tensor::FromVector<float>({1, 4}, {0, 0, 2, 2}), T1<int64_t>({0})}),
                    {1, 1, 2, 2}, {5, 5, 5, 5});
  EXPECT_EQ(
      RunStatus("RoiAlign", 16, {}, {flat, Tensor::FromVector<float>({1, 4}, {0, 0, 2, 2}), T1<int64_t>({3})}).code(),
      StatusCode::kInvalidArgument);
}

TEST(PoolOpsTest, Errors) {
  EXPECT_EQ(RunStatus("MaxPool", 12, {}, {Iota3x3()}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("MaxPool", 12, {{"kernel_shape", IntsAttr({4, 4})}}, {Iota3x3()}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("MaxPool", 12, {{"kernel_shape", IntsAttr({2})}}, {Iota3x3()}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      RunStatus("AveragePool", 11, {{"kernel_shape", IntsAttr({2})}}, {Tensor::FromVector<int32_t>({1, 1, 2}, {1, 2})})
          .code(),
      StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels::kernel_test

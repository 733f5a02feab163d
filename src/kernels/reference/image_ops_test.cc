#include <gtest/gtest.h>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels::kernel_test {
namespace {

// Resize-13 inputs: X, roi (omitted), scales, sizes.
Tensor ResizeScales(const std::map<std::string, ir::Attribute>& attrs, const Tensor& x, std::vector<float> scales) {
  return Run1("Resize", 13, attrs, {x, Tensor(), T1<float>(std::move(scales))});
}
Tensor ResizeSizes(const std::map<std::string, ir::Attribute>& attrs, const Tensor& x, std::vector<int64_t> sizes) {
  return Run1("Resize", 13, attrs, {x, Tensor(), Tensor(), T1<int64_t>(std::move(sizes))});
}

TEST(ImageOpsTest, ResizeNearest) {
  Tensor x = Tensor::FromVector<float>({1, 1, 1, 2}, {1, 2});
  // half_pixel: sources -0.25, 0.25, 0.75, 1.25 round (prefer floor) to 0, 0, 1, 1.
  ExpectNear<float>(ResizeScales({}, x, {1, 1, 1, 2}), {1, 1, 1, 4}, {1, 1, 2, 2});
  Tensor x4 = T1<float>({1, 2, 3, 4});
  ExpectNear<float>(ResizeScales({{"coordinate_transformation_mode", StringAttr("asymmetric")}}, x4, {0.5f}), {2},
                    {1, 3});
  // 4 -> 3 with half_pixel: sources 1/6, 1.5, 17/6; round_prefer_ceil takes index 2 at 1.5.
  ExpectNear<float>(ResizeSizes({}, x4, {3}), {3}, {1, 2, 4});
  ExpectNear<float>(ResizeSizes({{"nearest_mode", StringAttr("round_prefer_ceil")}}, x4, {3}), {3}, {1, 3, 4});
  ExpectNear<float>(ResizeSizes({{"coordinate_transformation_mode", StringAttr("align_corners")},
                                 {"nearest_mode", StringAttr("floor")}},
                                x4, {3}),
                    {3}, {1, 2, 4});
}

TEST(ImageOpsTest, ResizeLinear) {
  Tensor x = T1<float>({1, 3});
  ExpectNear<float>(
      ResizeSizes({{"mode", StringAttr("linear")}, {"coordinate_transformation_mode", StringAttr("align_corners")}}, x,
                  {3}),
      {3}, {1, 2, 3});
  ExpectNear<float>(ResizeScales({{"mode", StringAttr("linear")}}, x, {2}), {4}, {1, 1.5f, 2.5f, 3});
  // Bilinear on 2x2 -> 3x3 with align_corners: the centre is the mean.
  Tensor x2 = Tensor::FromVector<double>({2, 2}, {1, 2, 3, 4});
  Tensor y = Run1("Resize", 13,
                  {{"mode", StringAttr("linear")}, {"coordinate_transformation_mode", StringAttr("align_corners")}},
                  {x2, Tensor(), Tensor(), T1<int64_t>({3, 3})});
  ExpectNear<double>(y, {3, 3}, {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
}

TEST(ImageOpsTest, ResizeCubicAtIntegerPositionsIsExact) {
  Tensor x = T1<float>({1, 5, 2, 8});
  ExpectNear<float>(
      ResizeScales({{"mode", StringAttr("cubic")}, {"coordinate_transformation_mode", StringAttr("asymmetric")}}, x,
                   {1}),
      {4}, {1, 5, 2, 8});
  // Halfway between 5 and 2 with a = -0.75: weights (-0.09375, 0.59375, 0.59375, -0.09375).
  Tensor y = ResizeScales({{"mode", StringAttr("cubic")}, {"coordinate_transformation_mode", StringAttr("asymmetric")}},
                          x, {2});
  ASSERT_EQ(y.shape(), (Shape{8}));
  EXPECT_NEAR(y.data<float>()[3], -0.09375 * 1 + 0.59375 * 5 + 0.59375 * 2 - 0.09375 * 8, 1e-5);
}

TEST(ImageOpsTest, ResizeAntialiasWidensTheKernel) {
  // Halving with antialias: a 4-tap triangle (1, 3, 3, 1) / 8 around each source position,
  // clamped at the edges.
  Tensor x = T1<float>({1, 2, 3, 4});
  ExpectNear<float>(ResizeScales({{"mode", StringAttr("linear")}, {"antialias", IntAttr(1)}}, x, {0.5f}), {2},
                    {1.625f, 3.375f});
  ExpectNear<float>(ResizeScales({{"mode", StringAttr("linear")}}, x, {0.5f}), {2}, {1.5f, 3.5f});
}

TEST(ImageOpsTest, ResizeTfCropAndResizeExtrapolates) {
  Tensor x = T1<float>({0, 1, 2, 3});
  Tensor y = Run1("Resize", 13,
                  {{"mode", StringAttr("linear")},
                   {"coordinate_transformation_mode", StringAttr("tf_crop_and_resize")},
                   {"extrapolation_value", FloatAttr(9)}},
                  {x, T1<float>({0.5f, 1.5f}), Tensor(), T1<int64_t>({3})});
  ExpectNear<float>(y, {3}, {1.5f, 3, 9});
}

TEST(ImageOpsTest, ResizeAxesAndErrors) {
  Tensor x = Tensor::FromVector<float>({1, 2}, {1, 2});
  ExpectNear<float>(Run1("Resize", 18, {{"axes", IntsAttr({1})}}, {x, Tensor(), Tensor(), T1<int64_t>({4})}), {1, 4},
                    {1, 1, 2, 2});
  EXPECT_EQ(RunStatus("Resize", 13, {{"mode", StringAttr("area")}}, {x}).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(RunStatus("Resize", 13, {}, {x, Tensor(), T1<float>({2})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Resize", 13, {}, {x, Tensor(), T1<float>({1, -2})}).code(), StatusCode::kInvalidArgument);
}

TEST(ImageOpsTest, Upsample) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  ExpectNear<float>(Run1("Upsample", 9, {}, {x, T1<float>({1, 1, 2, 2})}), {1, 1, 4, 4},
                    {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  ExpectNear<float>(Run1("Upsample", 7, {{"scales", FloatsAttr({1, 1, 1, 2})}, {"mode", StringAttr("linear")}}, {x}),
                    {1, 1, 2, 4}, {1, 1.5f, 2, 2, 3, 3.5f, 4, 4});
}

TEST(ImageOpsTest, PadModes) {
  Tensor x = T1<float>({1, 2, 3});
  ExpectNear<float>(Run1("Pad", 11, {}, {x, T1<int64_t>({1, 2}), Tensor::Scalar<float>(9)}), {6}, {9, 1, 2, 3, 9, 9});
  ExpectNear<float>(Run1("Pad", 11, {{"mode", StringAttr("reflect")}}, {x, T1<int64_t>({2, 2})}), {7},
                    {3, 2, 1, 2, 3, 2, 1});
  ExpectNear<float>(Run1("Pad", 11, {{"mode", StringAttr("edge")}}, {x, T1<int64_t>({2, 1})}), {6}, {1, 1, 1, 2, 3, 3});
  ExpectNear<float>(Run1("Pad", 19, {{"mode", StringAttr("wrap")}}, {x, T1<int64_t>({1, 1})}), {5}, {3, 1, 2, 3, 1});
  ExpectNear<float>(Run1("Pad", 11, {}, {x, T1<int64_t>({-1, 1})}), {3}, {2, 3, 0});
  ExpectNear<float>(Run1("Pad", 2, {{"pads", IntsAttr({1, 0})}, {"value", FloatAttr(5)}}, {x}), {4}, {5, 1, 2, 3});
  // Opset 18 axes: pad only the last axis of a 2-D tensor.
  Tensor m = Tensor::FromVector<int32_t>({2, 1}, {1, 2});
  ExpectEq<int32_t>(Run1("Pad", 18, {}, {m, T1<int64_t>({1, 0}), Tensor::Scalar<int32_t>(7), T1<int64_t>({-1})}),
                    {2, 2}, {7, 1, 7, 2});
  EXPECT_EQ(RunStatus("Pad", 11, {}, {x, T1<int64_t>({1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Pad", 11, {}, {x, T1<int64_t>({-2, -2})}).code(), StatusCode::kInvalidArgument);
}

TEST(ImageOpsTest, DepthToSpaceAndBack) {
  std::vector<float> v = {0, 1, 2, 3, 4, 5, 6, 7};
  Tensor x = Tensor::FromVector<float>({1, 8, 1, 1}, v);
  ExpectNear<float>(Run1("DepthToSpace", 13, {{"blocksize", IntAttr(2)}}, {x}), {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
  ExpectNear<float>(Run1("DepthToSpace", 13, {{"blocksize", IntAttr(2)}, {"mode", StringAttr("CRD")}}, {x}),
                    {1, 2, 2, 2}, v);
  Tensor s = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  ExpectNear<float>(Run1("SpaceToDepth", 13, {{"blocksize", IntAttr(2)}}, {s}), {1, 4, 1, 1}, {1, 2, 3, 4});
  EXPECT_EQ(RunStatus("DepthToSpace", 13, {{"blocksize", IntAttr(3)}}, {x}).code(), StatusCode::kInvalidArgument);
}

TEST(ImageOpsTest, GridSample) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor grid = Tensor::FromVector<float>({1, 1, 5, 2}, {-1, -1, 1, -1, -1, 1, 1, 1, 0, 0});
  ExpectNear<float>(Run1("GridSample", 16, {{"align_corners", IntAttr(1)}}, {x, grid}), {1, 1, 1, 5},
                    {1, 2, 3, 4, 2.5f});
  // Without align_corners the grid corners are the outer pixel edges: with zeros padding the
  // corner samples weigh the corner pixel by 1/4.
  ExpectNear<float>(Run1("GridSample", 16, {}, {x, grid}), {1, 1, 1, 5}, {0.25f, 0.5f, 0.75f, 1, 2.5f});
  ExpectNear<float>(Run1("GridSample", 16, {{"padding_mode", StringAttr("border")}}, {x, grid}), {1, 1, 1, 5},
                    {1, 2, 3, 4, 2.5f});
  ExpectNear<float>(Run1("GridSample", 16, {{"mode", StringAttr("nearest")}, {"align_corners", IntAttr(1)}}, {x, grid}),
                    {1, 1, 1, 5}, {1, 2, 3, 4, 1});  // 0.5 rounds half to even
}

}  // namespace
}  // namespace mlserving::kernels::kernel_test

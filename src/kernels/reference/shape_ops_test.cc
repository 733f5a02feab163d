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

TEST(ShapeOpsTest, ReshapeCopiesZeroAndInfersMinusOne) {
  Tensor x = Tensor::FromVector<float>({2, 3, 4}, std::vector<float>(24, 1.0f));
  EXPECT_EQ(Run1("Reshape", 14, {}, {x, T1<int64_t>({0, -1})}).shape(), (Shape{2, 12}));
  EXPECT_EQ(Run1("Reshape", 14, {}, {x, T1<int64_t>({-1, 2, 2})}).shape(), (Shape{6, 2, 2}));
  EXPECT_EQ(Run1("Reshape", 1, {{"shape", IntsAttr({4, 6})}}, {x}).shape(), (Shape{4, 6}));
  Tensor empty = Tensor::FromVector<float>({0, 3}, {});
  EXPECT_EQ(Run1("Reshape", 14, {{"allowzero", IntAttr(1)}}, {empty, T1<int64_t>({3, 0})}).shape(), (Shape{3, 0}));
}

TEST(ShapeOpsTest, ReshapeErrors) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(RunStatus("Reshape", 14, {}, {x, T1<int64_t>({4, -1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Reshape", 14, {}, {x, T1<int64_t>({-1, -1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Reshape", 14, {}, {x, T1<int64_t>({7})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Reshape", 14, {}, {x, T1<int64_t>({1, 1, 0, 6})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Reshape", 14, {}, {x, T1<float>({6})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Reshape", 14, {}, {x}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, ReshapeKeepsValuesOfStrings) {
  Tensor s = Tensor::FromVector<std::string>({2, 2}, {"a", "b", "c", "d"});
  ExpectEq<std::string>(Run1("Reshape", 14, {}, {s, T1<int64_t>({4})}), {4}, {"a", "b", "c", "d"});
}

TEST(ShapeOpsTest, Flatten) {
  Tensor x = Tensor::FromVector<float>({2, 3, 4}, std::vector<float>(24, 0.0f));
  EXPECT_EQ(Run1("Flatten", 13, {}, {x}).shape(), (Shape{2, 12}));
  EXPECT_EQ(Run1("Flatten", 13, {{"axis", IntAttr(0)}}, {x}).shape(), (Shape{1, 24}));
  EXPECT_EQ(Run1("Flatten", 13, {{"axis", IntAttr(-1)}}, {x}).shape(), (Shape{6, 4}));
  EXPECT_EQ(Run1("Flatten", 13, {{"axis", IntAttr(3)}}, {x}).shape(), (Shape{24, 1}));
  EXPECT_EQ(RunStatus("Flatten", 13, {{"axis", IntAttr(4)}}, {x}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, SqueezeAndUnsqueezeAcrossOpsets) {
  Tensor x = Tensor::FromVector<int32_t>({1, 3, 1}, {1, 2, 3});
  EXPECT_EQ(Run1("Squeeze", 13, {}, {x}).shape(), (Shape{3}));
  EXPECT_EQ(Run1("Squeeze", 13, {}, {x, T1<int64_t>({-1})}).shape(), (Shape{1, 3}));
  EXPECT_EQ(Run1("Squeeze", 11, {{"axes", IntsAttr({0})}}, {x}).shape(), (Shape{3, 1}));
  EXPECT_EQ(RunStatus("Squeeze", 13, {}, {x, T1<int64_t>({1})}).code(), StatusCode::kInvalidArgument);
  Tensor v = T1<int32_t>({1, 2, 3});
  ExpectEq<int32_t>(Run1("Unsqueeze", 13, {}, {v, T1<int64_t>({0, -1})}), {1, 3, 1}, {1, 2, 3});
  EXPECT_EQ(Run1("Unsqueeze", 11, {{"axes", IntsAttr({1})}}, {v}).shape(), (Shape{3, 1}));
  EXPECT_EQ(Run1("Unsqueeze", 13, {}, {Tensor::Scalar<float>(1), T1<int64_t>({0})}).shape(), (Shape{1}));
  EXPECT_EQ(RunStatus("Unsqueeze", 13, {}, {v, T1<int64_t>({0, 0})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Unsqueeze", 13, {}, {v, T1<int64_t>({3})}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, Transpose) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectNear<float>(Run1("Transpose", 13, {}, {x}), {3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor y = Tensor::FromVector<int64_t>({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  ExpectEq<int64_t>(Run1("Transpose", 13, {{"perm", IntsAttr({1, 2, 0})}}, {y}), {1, 3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor s = Tensor::FromVector<std::string>({2, 2}, {"a", "b", "c", "d"});
  ExpectEq<std::string>(Run1("Transpose", 13, {}, {s}), {2, 2}, {"a", "c", "b", "d"});
  EXPECT_EQ(RunStatus("Transpose", 13, {{"perm", IntsAttr({0, 0})}}, {x}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Transpose", 13, {{"perm", IntsAttr({0})}}, {x}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, Concat) {
  Tensor a = Tensor::FromVector<float>({2, 1}, {1, 2});
  Tensor b = Tensor::FromVector<float>({2, 2}, {3, 4, 5, 6});
  ExpectNear<float>(Run1("Concat", 13, {{"axis", IntAttr(1)}}, {a, b}), {2, 3}, {1, 3, 4, 2, 5, 6});
  ExpectNear<float>(Run1("Concat", 13, {{"axis", IntAttr(-1)}}, {a, b}), {2, 3}, {1, 3, 4, 2, 5, 6});
  Tensor c = T1<std::string>({"x"});
  ExpectEq<std::string>(Run1("Concat", 13, {{"axis", IntAttr(0)}}, {c, T1<std::string>({"y", "z"})}), {3},
                        {"x", "y", "z"});
  EXPECT_EQ(RunStatus("Concat", 13, {{"axis", IntAttr(0)}}, {a, b}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Concat", 13, {{"axis", IntAttr(0)}}, {T1<float>({1}), T1<double>({1})}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Concat", 13, {}, {a}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, SplitVariants) {
  Tensor x = Tensor::FromVector<int32_t>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  Result<std::vector<Tensor>> equal = RunOp("Split", 13, {{"axis", IntAttr(1)}}, {x}, 2);
  ASSERT_TRUE(equal.ok()) << equal.status().ToString();
  ExpectEq<int32_t>(equal->at(0), {2, 2}, {1, 2, 5, 6});
  ExpectEq<int32_t>(equal->at(1), {2, 2}, {3, 4, 7, 8});
  Result<std::vector<Tensor>> sized = RunOp("Split", 13, {{"axis", IntAttr(-1)}}, {x, T1<int64_t>({1, 3})}, 2);
  ASSERT_TRUE(sized.ok()) << sized.status().ToString();
  ExpectEq<int32_t>(sized->at(1), {2, 3}, {2, 3, 4, 6, 7, 8});
  Result<std::vector<Tensor>> attr = RunOp("Split", 11, {{"split", IntsAttr({1, 1})}}, {x}, 2);
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  ExpectEq<int32_t>(attr->at(1), {1, 4}, {5, 6, 7, 8});
  Tensor seven = T1<int32_t>({1, 2, 3, 4, 5, 6, 7});
  Result<std::vector<Tensor>> uneven = RunOp("Split", 18, {{"num_outputs", IntAttr(3)}}, {seven}, 3);
  ASSERT_TRUE(uneven.ok()) << uneven.status().ToString();
  ExpectEq<int32_t>(uneven->at(2), {1}, {7});
  EXPECT_EQ(RunStatus("Split", 13, {}, {seven}, 2).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Split", 13, {}, {seven, T1<int64_t>({3, 3})}, 2).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, SliceWithInputs) {
  Tensor x = Tensor::FromVector<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  ExpectNear<float>(Run1("Slice", 13, {}, {x, T1<int64_t>({0, 1}), T1<int64_t>({1, 3})}), {1, 2}, {2, 3});
  // Axes, clamping and INT64_MAX ends.
  ExpectNear<float>(Run1("Slice", 13, {}, {x, T1<int64_t>({1}), T1<int64_t>({INT64_MAX}), T1<int64_t>({-1})}), {2, 3},
                    {2, 3, 4, 6, 7, 8});
  // Negative steps reverse.
  ExpectNear<float>(
      Run1("Slice", 13, {}, {x, T1<int64_t>({-1}), T1<int64_t>({INT64_MIN}), T1<int64_t>({1}), T1<int64_t>({-1})}),
      {2, 4}, {4, 3, 2, 1, 8, 7, 6, 5});
  ExpectNear<float>(Run1("Slice", 13, {}, {x, T1<int64_t>({0}), T1<int64_t>({4}), T1<int64_t>({1}), T1<int64_t>({2})}),
                    {2, 2}, {1, 3, 5, 7});
  // Empty results.
  EXPECT_EQ(Run1("Slice", 13, {}, {x, T1<int64_t>({3}), T1<int64_t>({1}), T1<int64_t>({1})}).shape(), (Shape{2, 0}));
  EXPECT_EQ(
      RunStatus("Slice", 13, {}, {x, T1<int64_t>({0}), T1<int64_t>({1}), T1<int64_t>({0}), T1<int64_t>({0})}).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Slice", 13, {}, {x, T1<int64_t>({0}), T1<int64_t>({1}), T1<int64_t>({2})}).code(),
            StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, SliceWithAttributesBeforeOpset10) {
  Tensor x = T1<int64_t>({1, 2, 3, 4, 5});
  ExpectEq<int64_t>(Run1("Slice", 1, {{"starts", IntsAttr({-3})}, {"ends", IntsAttr({1000})}}, {x}), {3}, {3, 4, 5});
}

TEST(ShapeOpsTest, Gather) {
  Tensor data = Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  ExpectNear<float>(Run1("Gather", 13, {}, {data, T1<int64_t>({2, 0})}), {2, 2}, {5, 6, 1, 2});
  ExpectNear<float>(Run1("Gather", 13, {{"axis", IntAttr(1)}}, {data, Tensor::FromVector<int32_t>({1, 1}, {-1})}),
                    {3, 1, 1}, {2, 4, 6});
  ExpectNear<float>(Run1("Gather", 13, {}, {data, Tensor::Scalar<int64_t>(1)}), {2}, {3, 4});
  Tensor words = T1<std::string>({"a", "b"});
  ExpectEq<std::string>(Run1("Gather", 13, {}, {words, T1<int64_t>({1, 1, 0})}), {3}, {"b", "b", "a"});
  EXPECT_EQ(RunStatus("Gather", 13, {}, {data, T1<int64_t>({3})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Gather", 13, {}, {data, T1<int64_t>({-4})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Gather", 13, {{"axis", IntAttr(2)}}, {data, T1<int64_t>({0})}).code(),
            StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, ShapeAndSize) {
  Tensor x = Tensor::FromVector<float>({2, 3, 4}, std::vector<float>(24, 0.0f));
  ExpectEq<int64_t>(Run1("Shape", 13, {}, {x}), {3}, {2, 3, 4});
  ExpectEq<int64_t>(Run1("Shape", 15, {{"start", IntAttr(1)}}, {x}), {2}, {3, 4});
  ExpectEq<int64_t>(Run1("Shape", 15, {{"start", IntAttr(-2)}, {"end", IntAttr(-1)}}, {x}), {1}, {3});
  ExpectEq<int64_t>(Run1("Shape", 15, {{"start", IntAttr(5)}}, {x}), {0}, {});
  ExpectEq<int64_t>(Run1("Size", 13, {}, {x}), {}, {24});
}

TEST(ShapeOpsTest, ExpandAndTile) {
  Tensor x = Tensor::FromVector<int32_t>({2, 1}, {1, 2});
  ExpectEq<int32_t>(Run1("Expand", 13, {}, {x, T1<int64_t>({2, 3})}), {2, 3}, {1, 1, 1, 2, 2, 2});
  ExpectEq<int32_t>(Run1("Expand", 13, {}, {x, T1<int64_t>({2, 1, 1})}), {2, 2, 1}, {1, 2, 1, 2});
  EXPECT_EQ(RunStatus("Expand", 13, {}, {x, T1<int64_t>({3, 1})}).code(), StatusCode::kInvalidArgument);
  ExpectEq<int32_t>(Run1("Tile", 13, {}, {x, T1<int64_t>({2, 2})}), {4, 2}, {1, 1, 2, 2, 1, 1, 2, 2});
  EXPECT_EQ(RunStatus("Tile", 13, {}, {x, T1<int64_t>({2})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Tile", 13, {}, {x, T1<int64_t>({-1, 1})}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, ConstantVariants) {
  ExpectNear<float>(Run1("Constant", 13, {{"value", TensorAttr(T1<float>({1, 2}))}}, {}), {2}, {1, 2});
  ExpectNear<float>(Run1("Constant", 13, {{"value_float", FloatAttr(2.5f)}}, {}), {}, {2.5f});
  ExpectEq<int64_t>(Run1("Constant", 13, {{"value_ints", IntsAttr({1, 2, 3})}}, {}), {3}, {1, 2, 3});
  ExpectEq<std::string>(Run1("Constant", 13, {{"value_string", StringAttr("hi")}}, {}), {}, {"hi"});
  EXPECT_EQ(RunStatus("Constant", 13, {}, {}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, ConstantOfShape) {
  ExpectNear<float>(Run1("ConstantOfShape", 9, {}, {T1<int64_t>({2, 2})}), {2, 2}, {0, 0, 0, 0});
  ExpectEq<int64_t>(Run1("ConstantOfShape", 9, {{"value", TensorAttr(T1<int64_t>({7}))}}, {T1<int64_t>({3})}), {3},
                    {7, 7, 7});
  ExpectEq<int64_t>(Run1("ConstantOfShape", 9, {{"value", TensorAttr(T1<int64_t>({7}))}}, {T1<int64_t>({})}), {}, {7});
  EXPECT_EQ(RunStatus("ConstantOfShape", 9, {}, {T1<int64_t>({-1})}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, Range) {
  ExpectEq<int64_t>(
      Run1("Range", 11, {}, {Tensor::Scalar<int64_t>(1), Tensor::Scalar<int64_t>(7), Tensor::Scalar<int64_t>(2)}), {3},
      {1, 3, 5});
  ExpectNear<float>(
      Run1("Range", 11, {}, {Tensor::Scalar<float>(1), Tensor::Scalar<float>(0), Tensor::Scalar<float>(-0.25f)}), {4},
      {1, 0.75f, 0.5f, 0.25f});
  ExpectEq<int32_t>(
      Run1("Range", 11, {}, {Tensor::Scalar<int32_t>(5), Tensor::Scalar<int32_t>(1), Tensor::Scalar<int32_t>(1)}), {0},
      {});
  EXPECT_EQ(
      RunStatus("Range", 11, {}, {Tensor::Scalar<int32_t>(0), Tensor::Scalar<int32_t>(1), Tensor::Scalar<int32_t>(0)})
          .code(),
      StatusCode::kInvalidArgument);
}

TEST(ShapeOpsTest, AllocationLimitIsHonoured) {
  ir::Node node;
  node.op_type = "Expand";
  node.opset = 13;
  auto kernel = (*KernelRegistry::Default().Find("", "Expand"))(node);
  ASSERT_TRUE(kernel.ok());
  Tensor x = Tensor::Scalar<float>(1);
  Tensor shape = T1<int64_t>({1000, 1000});
  KernelContext ctx;
  ctx.inputs = {&x, &shape};
  ctx.outputs.resize(1);
  ctx.max_tensor_elements = 1000;
  EXPECT_EQ((*kernel)->Compute(ctx).code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace mlserving::kernels

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

TEST(BinaryOpsTest, AddBroadcastsRowAgainstMatrix) {
  Tensor a = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::FromVector<float>({3}, {10, 20, 30});
  ExpectNear<float>(Run1("Add", 14, {}, {a, b}), {2, 3}, {11, 22, 33, 14, 25, 36});
}

TEST(BinaryOpsTest, BroadcastsBothWays) {
  Tensor a = Tensor::FromVector<int64_t>({2, 1}, {1, 2});
  Tensor b = Tensor::FromVector<int64_t>({1, 3}, {10, 20, 30});
  ExpectEq<int64_t>(Run1("Mul", 14, {}, {a, b}), {2, 3}, {10, 20, 30, 20, 40, 60});
  ExpectEq<int64_t>(Run1("Sub", 14, {}, {b, a}), {2, 3}, {9, 19, 29, 8, 18, 28});
}

TEST(BinaryOpsTest, ScalarAndRankExtension) {
  Tensor a = Tensor::FromVector<double>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  ExpectNear<double>(Run1("Div", 14, {}, {a, Tensor::Scalar<double>(2.0)}), {2, 2, 2},
                     {0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4});
  Tensor col = Tensor::FromVector<double>({2, 1}, {1, -1});
  ExpectNear<double>(Run1("Mul", 14, {}, {a, col}), {2, 2, 2}, {1, 2, -3, -4, 5, 6, -7, -8});
}

TEST(BinaryOpsTest, IncompatibleShapesAreInvalidArgument) {
  Tensor a = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::FromVector<float>({2}, {1, 2});
  EXPECT_EQ(RunStatus("Add", 14, {}, {a, b}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Equal", 13, {}, {a, b}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Where", 16, {}, {Tensor::FromBools({2}, {true, false}), a, a}).code(),
            StatusCode::kInvalidArgument);
}

TEST(BinaryOpsTest, MismatchedDTypesAndMissingInputsAreInvalidArgument) {
  EXPECT_EQ(RunStatus("Add", 14, {}, {T1<float>({1}), T1<double>({1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Add", 14, {}, {T1<float>({1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("Add", 14, {}, {T1<bool>({true}), T1<bool>({true})}).code(), StatusCode::kInvalidArgument);
}

TEST(BinaryOpsTest, Int32ArithmeticWrapsAndDivTruncates) {
  Tensor a = T1<int32_t>({7, -7, INT32_MAX, INT32_MIN});
  Tensor b = T1<int32_t>({2, 2, 1, -1});
  ExpectEq<int32_t>(Run1("Div", 14, {}, {a, b}), {4}, {3, -3, INT32_MAX, INT32_MIN});
  ExpectEq<int32_t>(Run1("Add", 14, {}, {a, b}), {4}, {9, -5, INT32_MIN, INT32_MAX});
}

TEST(BinaryOpsTest, IntegerDivisionByZeroIsAnError) {
  EXPECT_EQ(RunStatus("Div", 14, {}, {T1<int64_t>({1, 2}), T1<int64_t>({1, 0})}).code(), StatusCode::kInvalidArgument);
  // Float division by zero follows IEEE.
  Tensor out = Run1("Div", 14, {}, {T1<float>({1}), T1<float>({0})});
  EXPECT_TRUE(std::isinf(Values<float>(out)[0]));
}

TEST(BinaryOpsTest, Float16IsComputedInFloat) {
  Tensor a = T1<Float16>({Float16{FloatToHalf(1.5f)}, Float16{FloatToHalf(-2.0f)}});
  Tensor b = T1<Float16>({Float16{FloatToHalf(0.25f)}, Float16{FloatToHalf(3.0f)}});
  Tensor out = Run1("Add", 14, {}, {a, b});
  ASSERT_EQ(out.dtype(), DType::kFloat16);
  EXPECT_EQ(HalfToFloat(out.data<Float16>()[0].bits), 1.75f);
  EXPECT_EQ(HalfToFloat(out.data<Float16>()[1].bits), 1.0f);
  Tensor c = T1<BFloat16>({BFloat16{FloatToBFloat16(2.0f)}});
  Tensor d = Run1("Mul", 14, {}, {c, c});
  EXPECT_EQ(BFloat16ToFloat(d.data<BFloat16>()[0].bits), 4.0f);
}

TEST(BinaryOpsTest, PowAllowsMixedExponentType) {
  ExpectNear<float>(Run1("Pow", 15, {}, {T1<float>({2, 3, 4}), T1<int64_t>({2, 0, -1})}), {3}, {4, 1, 0.25f});
  ExpectEq<int64_t>(Run1("Pow", 15, {}, {T1<int64_t>({2, 3}), Tensor::Scalar<int64_t>(3)}), {2}, {8, 27});
  ExpectNear<double>(Run1("Pow", 15, {}, {T1<double>({4, 9}), T1<float>({0.5f})}), {2}, {2, 3});
}

TEST(BinaryOpsTest, VariadicMaxMinSumMean) {
  Tensor a = T1<float>({1, 5, 3});
  Tensor b = Tensor::FromVector<float>({2, 1}, {2, 4});
  Tensor c = Tensor::Scalar<float>(3);
  ExpectNear<float>(Run1("Max", 13, {}, {a, b, c}), {2, 3}, {3, 5, 3, 4, 5, 4});
  ExpectNear<float>(Run1("Min", 13, {}, {a, b, c}), {2, 3}, {1, 2, 2, 1, 3, 3});
  ExpectNear<float>(Run1("Sum", 13, {}, {a, b, c}), {2, 3}, {6, 10, 8, 8, 12, 10});
  ExpectNear<float>(Run1("Mean", 13, {}, {a, b, c}), {2, 3}, {2, 10.0f / 3, 8.0f / 3, 8.0f / 3, 4, 10.0f / 3});
  ExpectNear<float>(Run1("Sum", 13, {}, {a}), {3}, {1, 5, 3});
  ExpectEq<int32_t>(Run1("Mean", 13, {}, {T1<int32_t>({1, 4}), T1<int32_t>({2, 4})}), {2}, {1, 4});
}

TEST(BinaryOpsTest, MaxPropagatesNaN) {
  const float nan = std::nanf("");
  ExpectNear<float>(Run1("Max", 13, {}, {T1<float>({nan, 1}), T1<float>({0, nan})}), {2}, {nan, nan});
}

TEST(BinaryOpsTest, Comparisons) {
  Tensor a = T1<int32_t>({1, 2, 3});
  Tensor b = Tensor::Scalar<int32_t>(2);
  ExpectBools(Run1("Equal", 13, {}, {a, b}), {3}, {false, true, false});
  ExpectBools(Run1("Less", 13, {}, {a, b}), {3}, {true, false, false});
  ExpectBools(Run1("Greater", 13, {}, {a, b}), {3}, {false, false, true});
  ExpectBools(Run1("LessOrEqual", 16, {}, {a, b}), {3}, {true, true, false});
  ExpectBools(Run1("GreaterOrEqual", 16, {}, {a, b}), {3}, {false, true, true});
  ExpectBools(Run1("Less", 13, {}, {T1<double>({std::nan(""), 1.0}), T1<double>({1.0, 2.0})}), {2}, {false, true});
}

TEST(BinaryOpsTest, EqualOnStringsAndBools) {
  Tensor a = T1<std::string>({"cat", "dog"});
  Tensor b = Tensor::Scalar<std::string>("dog");
  ExpectBools(Run1("Equal", 19, {}, {a, b}), {2}, {false, true});
  ExpectBools(Run1("Equal", 13, {}, {T1<bool>({true, false}), T1<bool>({true, true})}), {2}, {true, false});
  EXPECT_EQ(RunStatus("Less", 13, {}, {a, b}).code(), StatusCode::kInvalidArgument);
}

TEST(BinaryOpsTest, LogicalOps) {
  Tensor a = Tensor::FromBools({2, 2}, {true, true, false, false});
  Tensor b = Tensor::FromBools({2}, {true, false});
  ExpectBools(Run1("And", 7, {}, {a, b}), {2, 2}, {true, false, false, false});
  ExpectBools(Run1("Or", 7, {}, {a, b}), {2, 2}, {true, true, true, false});
  ExpectBools(Run1("Xor", 7, {}, {a, b}), {2, 2}, {false, true, true, false});
  EXPECT_EQ(RunStatus("And", 7, {}, {T1<int32_t>({1}), T1<int32_t>({1})}).code(), StatusCode::kInvalidArgument);
}

TEST(BinaryOpsTest, WhereBroadcastsThreeWays) {
  Tensor cond = Tensor::FromBools({2, 1}, {true, false});
  Tensor x = T1<int64_t>({1, 2, 3});
  Tensor y = Tensor::Scalar<int64_t>(-1);
  ExpectEq<int64_t>(Run1("Where", 16, {}, {cond, x, y}), {2, 3}, {1, 2, 3, -1, -1, -1});
  Tensor xs = T1<std::string>({"a", "b"});
  Tensor ys = T1<std::string>({"x", "y"});
  ExpectEq<std::string>(Run1("Where", 16, {}, {Tensor::FromBools({2}, {false, true}), xs, ys}), {2}, {"x", "b"});
  EXPECT_EQ(RunStatus("Where", 16, {}, {x, x, x}).code(), StatusCode::kInvalidArgument);
}

TEST(BinaryOpsTest, EmptyTensorsBroadcast) {
  Tensor a = Tensor::FromVector<float>({0, 3}, {});
  Tensor out = Run1("Add", 14, {}, {a, T1<float>({1, 2, 3})});
  EXPECT_EQ(out.shape(), (Shape{0, 3}));
}

TEST(BinaryOpsTest, ModFollowsDivisorOrDividendSign) {
  Tensor a = T1<int32_t>({-4, 7, 5});
  Tensor b = T1<int32_t>({3, -3, 3});
  ExpectEq<int32_t>(Run1("Mod", 13, {}, {a, b}), {3}, {2, -2, 2});
  ExpectEq<int32_t>(Run1("Mod", 13, {{"fmod", IntAttr(1)}}, {a, b}), {3}, {-1, 1, 2});
  ExpectNear<float>(Run1("Mod", 13, {{"fmod", IntAttr(1)}}, {T1<float>({-4.5f, 7}), T1<float>({2, -3})}), {2},
                    {-0.5f, 1});
  ExpectNear<float>(Run1("Mod", 13, {}, {T1<float>({-4.5f}), T1<float>({2})}), {1}, {1.5f});
  EXPECT_EQ(RunStatus("Mod", 13, {}, {a, T1<int32_t>({0})}).code(), StatusCode::kInvalidArgument);
}

TEST(BinaryOpsTest, BitShiftAndBitwise) {
  Tensor x = T1<uint8_t>({16, 4, 1});
  Tensor s = T1<uint8_t>({1, 2, 9});
  ExpectEq<uint8_t>(Run1("BitShift", 11, {{"direction", StringAttr("RIGHT")}}, {x, s}), {3}, {8, 1, 0});
  ExpectEq<uint8_t>(Run1("BitShift", 11, {{"direction", StringAttr("LEFT")}}, {x, s}), {3}, {32, 16, 0});
  EXPECT_EQ(RunStatus("BitShift", 11, {{"direction", StringAttr("UP")}}, {x, s}).code(), StatusCode::kInvalidArgument);
  ExpectEq<int16_t>(Run1("BitwiseAnd", 18, {}, {T1<int16_t>({12, -1}), T1<int16_t>({10})}), {2}, {8, 10});
  ExpectEq<int16_t>(Run1("BitwiseOr", 18, {}, {T1<int16_t>({12}), T1<int16_t>({10})}), {1}, {14});
  ExpectEq<int16_t>(Run1("BitwiseXor", 18, {}, {T1<int16_t>({12}), T1<int16_t>({10})}), {1}, {6});
  EXPECT_EQ(RunStatus("BitwiseAnd", 18, {}, {T1<float>({1}), T1<float>({1})}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels

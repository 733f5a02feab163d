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

TEST(UnaryOpsTest, ReluOnFloatsAndInts) {
  ExpectNear<float>(Run1("Relu", 14, {}, {T1<float>({-1, 0, 2.5f})}), {3}, {0, 0, 2.5f});
  ExpectEq<int32_t>(Run1("Relu", 14, {}, {T1<int32_t>({-3, 4})}), {2}, {0, 4});
  EXPECT_EQ(RunStatus("Relu", 14, {}, {T1<std::string>({"a"})}).code(), StatusCode::kInvalidArgument);
}

TEST(UnaryOpsTest, Activations) {
  Tensor x = T1<float>({-2, 0, 3});
  ExpectNear<float>(Run1("Sigmoid", 13, {}, {x}), {3}, {1 / (1 + std::exp(2.0f)), 0.5f, 1 / (1 + std::exp(-3.0f))});
  ExpectNear<float>(Run1("Tanh", 13, {}, {x}), {3}, {std::tanh(-2.0f), 0, std::tanh(3.0f)});
  ExpectNear<float>(Run1("LeakyRelu", 16, {{"alpha", FloatAttr(0.1f)}}, {x}), {3}, {-0.2f, 0, 3});
  ExpectNear<float>(Run1("LeakyRelu", 16, {}, {x}), {3}, {-0.02f, 0, 3});
  ExpectNear<float>(Run1("Elu", 6, {}, {x}), {3}, {std::exp(-2.0f) - 1, 0, 3});
  ExpectNear<float>(Run1("Selu", 6, {}, {x}), {3},
                    {1.0507009873554805f * 1.6732632423543772f * (std::exp(-2.0f) - 1), 0, 1.0507009873554805f * 3});
  ExpectNear<float>(Run1("HardSigmoid", 6, {}, {x}), {3}, {0.1f, 0.5f, 1});
  ExpectNear<float>(Run1("Softplus", 1, {}, {x}), {3},
                    {std::log1p(std::exp(-2.0f)), std::log(2.0f), 3 + std::log1p(std::exp(-3.0f))});
}

TEST(UnaryOpsTest, SigmoidIsStableForLargeMagnitudes) {
  ExpectNear<double>(Run1("Sigmoid", 13, {}, {T1<double>({-1000, 1000})}), {2}, {0, 1});
  ExpectNear<float>(Run1("Softplus", 1, {}, {T1<float>({-1000, 1000})}), {2}, {0, 1000});
}

TEST(UnaryOpsTest, MathFunctions) {
  ExpectNear<double>(Run1("Exp", 13, {}, {T1<double>({0, 1})}), {2}, {1, std::exp(1.0)});
  ExpectNear<double>(Run1("Log", 13, {}, {T1<double>({1, std::exp(2.0)})}), {2}, {0, 2});
  ExpectNear<float>(Run1("Sqrt", 13, {}, {T1<float>({4, 2})}), {2}, {2, std::sqrt(2.0f)});
  ExpectNear<float>(Run1("Erf", 13, {}, {T1<float>({0, 1})}), {2}, {0, std::erf(1.0f)});
  ExpectNear<float>(Run1("Reciprocal", 13, {}, {T1<float>({4, -0.5f})}), {2}, {0.25f, -2});
  ExpectNear<float>(Run1("Floor", 13, {}, {T1<float>({-1.5f, 1.5f})}), {2}, {-2, 1});
  ExpectNear<float>(Run1("Ceil", 13, {}, {T1<float>({-1.5f, 1.5f})}), {2}, {-1, 2});
  ExpectNear<float>(Run1("Log", 13, {}, {T1<float>({-1})}), {1}, {std::nanf("")});
  EXPECT_EQ(RunStatus("Exp", 13, {}, {T1<int32_t>({1})}).code(), StatusCode::kInvalidArgument);
}

TEST(UnaryOpsTest, RoundIsHalfToEven) {
  ExpectNear<float>(Run1("Round", 11, {}, {T1<float>({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f})}), {7},
                    {0, 2, 2, -0.0f, -2, 2, -3});
}

TEST(UnaryOpsTest, AbsNegSign) {
  ExpectEq<int64_t>(Run1("Abs", 13, {}, {T1<int64_t>({-3, 4, INT64_MIN})}), {3}, {3, 4, INT64_MIN});
  ExpectNear<float>(Run1("Abs", 13, {}, {T1<float>({-3.5f})}), {1}, {3.5f});
  ExpectEq<int32_t>(Run1("Neg", 13, {}, {T1<int32_t>({-3, 4})}), {2}, {3, -4});
  ExpectNear<double>(Run1("Sign", 13, {}, {T1<double>({-2, 0, 5})}), {3}, {-1, 0, 1});
  ExpectEq<int8_t>(Run1("Sign", 13, {}, {T1<int8_t>({-2, 0, 5})}), {3}, {-1, 0, 1});
}

TEST(UnaryOpsTest, NotAndIsNaN) {
  ExpectBools(Run1("Not", 1, {}, {T1<bool>({true, false})}), {2}, {false, true});
  ExpectBools(Run1("IsNaN", 13, {}, {T1<float>({1, std::nanf("")})}), {2}, {false, true});
  EXPECT_EQ(RunStatus("Not", 1, {}, {T1<float>({1})}).code(), StatusCode::kInvalidArgument);
}

TEST(UnaryOpsTest, ClipWithAttributesBeforeOpset11) {
  Tensor x = T1<float>({-5, 0.5f, 5});
  ExpectNear<float>(Run1("Clip", 6, {{"min", FloatAttr(-1)}, {"max", FloatAttr(1)}}, {x}), {3}, {-1, 0.5f, 1});
  ExpectNear<float>(Run1("Clip", 6, {{"max", FloatAttr(1)}}, {x}), {3}, {-5, 0.5f, 1});
}

TEST(UnaryOpsTest, ClipWithOptionalInputs) {
  Tensor x = T1<float>({-5, 0.5f, 5, std::nanf("")});
  ExpectNear<float>(Run1("Clip", 13, {}, {x, Tensor::Scalar<float>(-1), Tensor::Scalar<float>(1)}), {4},
                    {-1, 0.5f, 1, std::nanf("")});
  ExpectNear<float>(Run1("Clip", 13, {}, {x, Tensor(), Tensor::Scalar<float>(0)}), {4}, {-5, 0, 0, std::nanf("")});
  ExpectNear<float>(Run1("Clip", 13, {}, {x}), {4}, {-5, 0.5f, 5, std::nanf("")});
  ExpectEq<int64_t>(
      Run1("Clip", 13, {}, {T1<int64_t>({-5, 3, 9}), Tensor::Scalar<int64_t>(0), Tensor::Scalar<int64_t>(4)}), {3},
      {0, 3, 4});
  EXPECT_EQ(RunStatus("Clip", 13, {}, {x, Tensor::Scalar<double>(0)}).code(), StatusCode::kInvalidArgument);
}

TEST(UnaryOpsTest, IdentityPassesThrough) {
  Tensor s = T1<std::string>({"a", "b"});
  ExpectEq<std::string>(Run1("Identity", 16, {}, {s}), {2}, {"a", "b"});
}

constexpr int64_t kOnnxFloat = 1, kOnnxInt32 = 6, kOnnxInt64 = 7, kOnnxString = 8, kOnnxBool = 9, kOnnxFloat16 = 10,
                  kOnnxDouble = 11, kOnnxUInt8 = 2, kOnnxBFloat16 = 16;

TEST(UnaryOpsTest, CastBetweenNumbers) {
  Tensor f = T1<float>({-1.7f, 0.0f, 2.5f, 300.0f});
  ExpectEq<int32_t>(Run1("Cast", 13, {{"to", IntAttr(kOnnxInt32)}}, {f}), {4}, {-1, 0, 2, 300});
  ExpectBools(Run1("Cast", 13, {{"to", IntAttr(kOnnxBool)}}, {f}), {4}, {true, false, true, true});
  ExpectNear<double>(Run1("Cast", 13, {{"to", IntAttr(kOnnxDouble)}}, {T1<int64_t>({-3, 7})}), {2}, {-3, 7});
  ExpectEq<int64_t>(Run1("Cast", 13, {{"to", IntAttr(kOnnxInt64)}}, {T1<bool>({true, false})}), {2}, {1, 0});
  ExpectEq<uint8_t>(Run1("Cast", 13, {{"to", IntAttr(kOnnxUInt8)}}, {T1<int32_t>({257, -1})}), {2}, {1, 255});
  // Out-of-range and NaN float -> int are defined here (saturate, NaN -> 0), never UB.
  ExpectEq<int32_t>(Run1("Cast", 13, {{"to", IntAttr(kOnnxInt32)}}, {T1<float>({1e20f, -1e20f, std::nanf("")})}), {3},
                    {INT32_MAX, INT32_MIN, 0});
}

TEST(UnaryOpsTest, CastHalfTypes) {
  Tensor h = Run1("Cast", 13, {{"to", IntAttr(kOnnxFloat16)}}, {T1<float>({1.5f, -0.25f})});
  ASSERT_EQ(h.dtype(), DType::kFloat16);
  ExpectNear<float>(Run1("Cast", 13, {{"to", IntAttr(kOnnxFloat)}}, {h}), {2}, {1.5f, -0.25f});
  Tensor b = Run1("Cast", 13, {{"to", IntAttr(kOnnxBFloat16)}}, {h});
  ASSERT_EQ(b.dtype(), DType::kBFloat16);
  EXPECT_EQ(BFloat16ToFloat(b.data<BFloat16>()[0].bits), 1.5f);
}

TEST(UnaryOpsTest, CastNumbersToStringsLikeNumpy) {
  ExpectEq<std::string>(Run1("Cast", 13, {{"to", IntAttr(kOnnxString)}},
                             {T1<float>({0.1f, 100.0f, -2.5f, 1e20f, 1.5e-5f, 0.0001f, std::nanf(""), -INFINITY})}),
                        {8}, {"0.1", "100.0", "-2.5", "1e+20", "1.5e-05", "0.0001", "NaN", "-INF"});
  ExpectEq<std::string>(Run1("Cast", 13, {{"to", IntAttr(kOnnxString)}}, {T1<double>({0.1, 1.0 / 3})}), {2},
                        {"0.1", "0.3333333333333333"});
  ExpectEq<std::string>(Run1("Cast", 13, {{"to", IntAttr(kOnnxString)}}, {T1<int64_t>({-42, 7})}), {2}, {"-42", "7"});
  ExpectEq<std::string>(Run1("Cast", 13, {{"to", IntAttr(kOnnxString)}}, {T1<bool>({true, false})}), {2},
                        {"True", "False"});
  Tensor h = Run1("Cast", 13, {{"to", IntAttr(kOnnxFloat16)}}, {T1<float>({0.1f})});
  ExpectEq<std::string>(Run1("Cast", 13, {{"to", IntAttr(kOnnxString)}}, {h}), {1}, {"0.1"});
}

TEST(UnaryOpsTest, CastStringsToNumbers) {
  Tensor s = T1<std::string>({"3.5", "-1e2", "+INF", "nan", " 7 "});
  ExpectNear<float>(Run1("Cast", 13, {{"to", IntAttr(kOnnxFloat)}}, {s}), {5},
                    {3.5f, -100, INFINITY, std::nanf(""), 7});
  ExpectEq<int64_t>(Run1("Cast", 13, {{"to", IntAttr(kOnnxInt64)}}, {T1<std::string>({"12", "-9", "100.5"})}), {3},
                    {12, -9, 100});
  ExpectBools(Run1("Cast", 13, {{"to", IntAttr(kOnnxBool)}}, {T1<std::string>({"True", "0", "1"})}), {3},
              {true, false, true});
  EXPECT_EQ(RunStatus("Cast", 13, {{"to", IntAttr(kOnnxFloat)}}, {T1<std::string>({"hello"})}).code(),
            StatusCode::kInvalidArgument);
}

TEST(UnaryOpsTest, CastRejectsUnknownTargetsAtPreparation) {
  EXPECT_EQ(RunStatus("Cast", 13, {{"to", IntAttr(14)}}, {T1<float>({1})}).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(RunStatus("Cast", 13, {}, {T1<float>({1})}).code(), StatusCode::kInvalidArgument);
}

TEST(UnaryOpsTest, TrigonometricAndLaterActivations) {
  ExpectNear<float>(Run1("Sin", 7, {}, {T1<float>({0, 1.5707964f})}), {2}, {0, 1});
  ExpectNear<double>(Run1("Atanh", 9, {}, {T1<double>({0.5})}), {1}, {0.5493061443340549});
  ExpectNear<float>(Run1("Softsign", 1, {}, {T1<float>({-3, 1})}), {2}, {-0.75f, 0.5f});
  ExpectNear<float>(Run1("ThresholdedRelu", 10, {{"alpha", FloatAttr(2)}}, {T1<float>({1, 2, 3})}), {3}, {0, 0, 3});
  ExpectNear<float>(Run1("Shrink", 9, {{"lambd", FloatAttr(1)}, {"bias", FloatAttr(0.5f)}}, {T1<float>({-2, 0.5f, 2})}),
                    {3}, {-1.5f, 0, 1.5f});
  ExpectNear<float>(Run1("HardSwish", 14, {}, {T1<float>({-4, 0, 1, 4})}), {4}, {0, 0, 1.0f * 4 / 6, 4});
  ExpectNear<float>(Run1("Celu", 12, {{"alpha", FloatAttr(2)}}, {T1<float>({-2, 1})}), {2},
                    {2 * (std::exp(-1.0f) - 1), 1});
  ExpectNear<float>(Run1("Gelu", 20, {}, {T1<float>({0, 1})}), {2}, {0, 0.8413447f});
  ExpectNear<float>(Run1("Gelu", 20, {{"approximate", StringAttr("tanh")}}, {T1<float>({1})}), {1}, {0.8411920f});
  ExpectNear<float>(Run1("Mish", 18, {}, {T1<float>({1})}), {1}, {0.8650984f});
}

TEST(UnaryOpsTest, IsInfAndBitwiseNot) {
  Tensor x = T1<float>({INFINITY, -INFINITY, 1, std::nanf("")});
  ExpectBools(Run1("IsInf", 10, {}, {x}), {4}, {true, true, false, false});
  ExpectBools(Run1("IsInf", 10, {{"detect_negative", IntAttr(0)}}, {x}), {4}, {true, false, false, false});
  ExpectEq<uint8_t>(Run1("BitwiseNot", 18, {}, {T1<uint8_t>({0, 0x0f})}), {2}, {0xff, 0xf0});
  ExpectEq<int32_t>(Run1("BitwiseNot", 18, {}, {T1<int32_t>({0, -1})}), {2}, {-1, 0});
  EXPECT_EQ(RunStatus("BitwiseNot", 18, {}, {T1<float>({1})}).code(), StatusCode::kInvalidArgument);
}

TEST(UnaryOpsTest, CastLikeTakesTheSecondInputsType) {
  ExpectEq<int32_t>(Run1("CastLike", 15, {}, {T1<float>({1.9f, -2.5f}), T1<int32_t>({})}), {2}, {1, -2});
  ExpectEq<std::string>(Run1("CastLike", 15, {}, {T1<float>({0.5f}), T1<std::string>({})}), {1}, {"0.5"});
}

}  // namespace
}  // namespace mlserving::kernels

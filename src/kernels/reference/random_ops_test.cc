#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(RandomOpsTest, SeededUniformIsInRangeAndRepeatable) {
  Attrs attrs = {{"shape", IntsAttr({2, 3})}, {"low", FloatAttr(1)}, {"high", FloatAttr(2)}, {"seed", FloatAttr(5)}};
  Tensor first = Run1("RandomUniform", 1, attrs, {});
  ASSERT_EQ(first.shape(), (Shape{2, 3}));
  for (float v : Values<float>(first)) {
    EXPECT_GE(v, 1.0f);
    EXPECT_LT(v, 2.0f);
  }
  EXPECT_EQ(Values<float>(Run1("RandomUniform", 1, attrs, {})), Values<float>(first));
}

TEST(RandomOpsTest, LikeVariantsTakeShapeAndDtype) {
  Tensor like = Tensor::FromVector<int32_t>({3}, {0, 0, 0});
  Tensor normal = Run1("RandomNormalLike", 1, {{"dtype", IntAttr(11)}}, {like});
  EXPECT_EQ(normal.dtype(), DType::kFloat64);
  EXPECT_EQ(normal.shape(), (Shape{3}));
  EXPECT_EQ(RunCode("RandomUniformLike", 1, {}, {like}), StatusCode::kInvalidArgument);  // int32 output
  EXPECT_EQ(RunCode("RandomUniform", 1, {}, {}), StatusCode::kInvalidArgument);          // no shape
}

TEST(RandomOpsTest, BernoulliWithCertainProbabilities) {
  ExpectEq<float>(Run1("Bernoulli", 15, {}, {T1<float>({0, 1, 1, 0})}), {4}, {0, 1, 1, 0});
  ExpectEq<bool>(Run1("Bernoulli", 15, {{"dtype", IntAttr(9)}}, {T1<double>({1, 0})}), {2}, {true, false});
  EXPECT_EQ(RunCode("Bernoulli", 15, {}, {T1<float>({1.5f})}), StatusCode::kInvalidArgument);
}

TEST(RandomOpsTest, DropoutInInferenceModePassesThrough) {
  Tensor x = Tensor::FromVector<float>({2, 1}, {1, 2});
  std::vector<Tensor> out = RunN("Dropout", 13, {}, {x, Tensor::Scalar<float>(0.5f)}, 2);
  ExpectEq<float>(out[0], {2, 1}, {1, 2});
  ExpectEq<bool>(out[1], {2, 1}, {true, true});
  ExpectEq<float>(Run1("Dropout", 13, {}, {x, Tensor::Scalar<float>(0.5f), Tensor::Scalar<bool>(false)}), {2, 1},
                  {1, 2});
  ExpectEq<float>(Run1("Dropout", 7, {{"ratio", FloatAttr(0.3f)}}, {x}), {2, 1}, {1, 2});
}

TEST(RandomOpsTest, TrainingDropoutScalesKeptElementsAndIsRepeatableWithASeed) {
  std::vector<float> values(4000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 1.0f + static_cast<float>(i % 7);
  Tensor x = Tensor::FromVector<float>({4, 1000}, values);
  const Tensor ratio = Tensor::Scalar<float>(0.75f);
  const Tensor training = Tensor::Scalar<bool>(true);
  std::vector<Tensor> out = RunN("Dropout", 13, {{"seed", IntAttr(3)}}, {x, ratio, training}, 2);
  ASSERT_EQ(out[0].shape(), (Shape{4, 1000}));
  ASSERT_EQ(out[1].dtype(), DType::kBool);
  const std::vector<float> y = Values<float>(out[0]);
  const bool* mask = out[1].data<bool>();
  int64_t dropped = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (mask[i]) {
      EXPECT_FLOAT_EQ(y[i], values[i] * 4.0f) << i;  // 1 / (1 - 0.75)
    } else {
      EXPECT_EQ(y[i], 0.0f) << i;
      ++dropped;
    }
  }
  // 3000 expected drops; a binomial standard deviation is ~27.
  EXPECT_NEAR(static_cast<double>(dropped), 3000.0, 200.0);
  // The same seed gives the same mask; the default ratio is 0.5.
  EXPECT_EQ(Values<float>(Run1("Dropout", 13, {{"seed", IntAttr(3)}}, {x, ratio, training})), y);
  const std::vector<float> half = Values<float>(Run1("Dropout", 13, {{"seed", IntAttr(3)}}, {x, Tensor(), training}));
  for (size_t i = 0; i < half.size(); ++i) EXPECT_TRUE(half[i] == 0.0f || half[i] == 2 * values[i]) << i;
  // Ratio 0 keeps everything.
  ExpectEq<float>(Run1("Dropout", 13, {}, {Tensor::FromVector<float>({2}, {1, 2}), Tensor::Scalar<float>(0), training}),
                  {2}, {1, 2});
}

TEST(RandomOpsTest, TrainingDropoutRejectsBadRatioAndMode) {
  Tensor x = T1<float>({1, 2});
  const Tensor training = Tensor::Scalar<bool>(true);
  EXPECT_EQ(RunCode("Dropout", 13, {}, {x, Tensor::Scalar<float>(1.0f), training}), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunCode("Dropout", 13, {}, {x, Tensor::Scalar<float>(-0.1f), training}), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunCode("Dropout", 13, {}, {x, Tensor::Scalar<float>(0.5f), T1<bool>({true, false})}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunCode("Dropout", 13, {}, {T1<int32_t>({1, 2}), Tensor::Scalar<float>(0.5f), training}),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels

#include <vector>

#include "kernels/reference/op_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace op_test;  // NOLINT(build/namespaces): test harness vocabulary

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

}  // namespace
}  // namespace mlserving::kernels

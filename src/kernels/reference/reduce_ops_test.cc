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

TEST(ReduceOpsTest, ReduceSumWithAxesInputAndAttribute) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectNear<float>(Run1("ReduceSum", 13, {}, {x, T1<int64_t>({1})}), {2, 1}, {6, 15});
  ExpectNear<float>(Run1("ReduceSum", 13, {{"keepdims", IntAttr(0)}}, {x, T1<int64_t>({-2})}), {3}, {5, 7, 9});
  ExpectNear<float>(Run1("ReduceSum", 11, {{"axes", IntsAttr({0})}, {"keepdims", IntAttr(0)}}, {x}), {3}, {5, 7, 9});
  ExpectNear<float>(Run1("ReduceSum", 13, {}, {x}), {1, 1}, {21});
  ExpectNear<float>(Run1("ReduceSum", 13, {{"keepdims", IntAttr(0)}}, {x}), {}, {21});
}

TEST(ReduceOpsTest, NoopWithEmptyAxes) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectNear<float>(Run1("ReduceSum", 13, {{"noop_with_empty_axes", IntAttr(1)}}, {x}), {2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectNear<float>(Run1("ReduceSum", 13, {{"noop_with_empty_axes", IntAttr(1)}}, {x, T1<int64_t>({})}), {2, 3},
                    {1, 2, 3, 4, 5, 6});
}

TEST(ReduceOpsTest, MeanMaxMinProd) {
  Tensor x = Tensor::FromVector<double>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  ExpectNear<double>(Run1("ReduceMean", 13, {{"axes", IntsAttr({0, 2})}}, {x}), {1, 2, 1}, {3.5, 5.5});
  ExpectNear<double>(Run1("ReduceMean", 18, {}, {x, T1<int64_t>({0, 2})}), {1, 2, 1}, {3.5, 5.5});
  ExpectNear<double>(Run1("ReduceMax", 13, {{"axes", IntsAttr({1})}, {"keepdims", IntAttr(0)}}, {x}), {2, 2},
                     {3, 4, 7, 8});
  ExpectNear<double>(Run1("ReduceMin", 18, {{"keepdims", IntAttr(0)}}, {x, T1<int64_t>({-1})}), {2, 2}, {1, 3, 5, 7});
  ExpectNear<double>(Run1("ReduceProd", 13, {{"axes", IntsAttr({2})}}, {x}), {2, 2, 1}, {2, 12, 30, 56});
}

TEST(ReduceOpsTest, IntegerReductions) {
  Tensor x = Tensor::FromVector<int32_t>({2, 2}, {1, 2, 4, 7});
  ExpectEq<int32_t>(Run1("ReduceMean", 13, {{"axes", IntsAttr({1})}, {"keepdims", IntAttr(0)}}, {x}), {2}, {1, 5});
  ExpectEq<int32_t>(Run1("ReduceMax", 13, {}, {x}), {1, 1}, {7});
  ExpectEq<int64_t>(Run1("ReduceSum", 13, {}, {T1<int64_t>({INT64_MAX, 1})}), {1}, {INT64_MIN});
}

TEST(ReduceOpsTest, EmptyReductionsUseIdentities) {
  Tensor empty = Tensor::FromVector<float>({0, 2}, {});
  ExpectNear<float>(Run1("ReduceSum", 13, {{"keepdims", IntAttr(0)}}, {empty, T1<int64_t>({0})}), {2}, {0, 0});
  ExpectNear<float>(Run1("ReduceProd", 13, {{"axes", IntsAttr({0})}, {"keepdims", IntAttr(0)}}, {empty}), {2}, {1, 1});
  ExpectNear<float>(Run1("ReduceMax", 13, {{"axes", IntsAttr({0})}, {"keepdims", IntAttr(0)}}, {empty}), {2},
                    {-INFINITY, -INFINITY});
}

TEST(ReduceOpsTest, MaxPropagatesNaN) {
  ExpectNear<float>(Run1("ReduceMax", 13, {}, {T1<float>({1, std::nanf(""), 3})}), {1}, {std::nanf("")});
}

TEST(ReduceOpsTest, ReduceErrors) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(RunStatus("ReduceSum", 13, {}, {x, T1<int64_t>({2})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("ReduceSum", 13, {}, {x, T1<int64_t>({1, -1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("ReduceMean", 13, {{"axes", IntsAttr({5})}}, {x}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("ReduceSum", 13, {}, {T1<std::string>({"a"})}).code(), StatusCode::kInvalidArgument);
}

TEST(ReduceOpsTest, ArgMaxArgMin) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 5, 5, 7, 0, 7});
  ExpectEq<int64_t>(Run1("ArgMax", 13, {{"axis", IntAttr(1)}}, {x}), {2, 1}, {1, 0});
  ExpectEq<int64_t>(
      Run1("ArgMax", 13, {{"axis", IntAttr(-1)}, {"keepdims", IntAttr(0)}, {"select_last_index", IntAttr(1)}}, {x}),
      {2}, {2, 2});
  ExpectEq<int64_t>(Run1("ArgMin", 13, {{"keepdims", IntAttr(0)}}, {x}), {3}, {0, 1, 0});
  ExpectEq<int64_t>(Run1("ArgMax", 13, {}, {T1<int32_t>({3, 9, 2})}), {1}, {1});
}

TEST(ReduceOpsTest, ArgMaxPicksFirstNaNLikeNumpy) {
  ExpectEq<int64_t>(Run1("ArgMax", 13, {}, {T1<float>({1, std::nanf(""), 3, std::nanf("")})}), {1}, {1});
  ExpectEq<int64_t>(Run1("ArgMin", 13, {}, {T1<float>({1, std::nanf(""), 0})}), {1}, {1});
}

TEST(ReduceOpsTest, ArgErrors) {
  Tensor x = Tensor::FromVector<float>({2, 0}, {});
  EXPECT_EQ(RunStatus("ArgMax", 13, {{"axis", IntAttr(1)}}, {x}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("ArgMax", 13, {{"axis", IntAttr(2)}}, {x}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunStatus("ArgMin", 13, {}, {Tensor::Scalar<float>(1)}).code(), StatusCode::kInvalidArgument);
}

TEST(ReduceOpsTest, NormAndLogReductions) {
  ExpectNear<float>(Run1("ReduceL1", 13, {{"keepdims", IntAttr(0)}}, {T1<float>({-1, 2, -3})}), {}, {6});
  ExpectNear<float>(Run1("ReduceL2", 18, {}, {T1<float>({3, -4})}), {1}, {5});
  ExpectNear<float>(Run1("ReduceSumSquare", 13, {}, {T1<float>({1, 2})}), {1}, {5});
  ExpectNear<float>(Run1("ReduceLogSum", 13, {}, {T1<float>({1, 2, 5})}), {1}, {std::log(8.0f)});
  // Stable for large inputs: log(e^1000 + e^1000) = 1000 + ln 2.
  ExpectNear<float>(Run1("ReduceLogSumExp", 13, {}, {T1<float>({1000, 1000})}), {1}, {1000.6931f}, 1e-3);
  Tensor x = Tensor::FromVector<float>({2, 2}, {0, std::log(3.0f), 1, 1});
  ExpectNear<float>(Run1("ReduceLogSumExp", 18, {{"keepdims", IntAttr(0)}}, {x, T1<int64_t>({1})}), {2},
                    {std::log(4.0f), 1 + std::log(2.0f)});
  ExpectEq<int32_t>(Run1("ReduceL1", 13, {}, {T1<int32_t>({-2, 3})}), {1}, {5});
}

TEST(ReduceOpsTest, CumSumExclusiveAndReverse) {
  Tensor x = T1<float>({1, 2, 3});
  Tensor axis = Tensor::Scalar<int32_t>(0);
  ExpectNear<float>(Run1("CumSum", 14, {}, {x, axis}), {3}, {1, 3, 6});
  ExpectNear<float>(Run1("CumSum", 14, {{"exclusive", IntAttr(1)}}, {x, axis}), {3}, {0, 1, 3});
  ExpectNear<float>(Run1("CumSum", 14, {{"reverse", IntAttr(1)}}, {x, axis}), {3}, {6, 5, 3});
  ExpectNear<float>(Run1("CumSum", 14, {{"exclusive", IntAttr(1)}, {"reverse", IntAttr(1)}}, {x, axis}), {3},
                    {5, 3, 0});
  Tensor m = Tensor::FromVector<int64_t>({2, 2}, {1, 2, 3, 4});
  ExpectEq<int64_t>(Run1("CumSum", 14, {}, {m, Tensor::Scalar<int64_t>(-1)}), {2, 2}, {1, 3, 3, 7});
  EXPECT_EQ(RunStatus("CumSum", 14, {}, {x, Tensor::Scalar<int64_t>(1)}).code(), StatusCode::kInvalidArgument);
}

TEST(ReduceOpsTest, HardmaxMarksTheFirstMaximum) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 3, 3, 2, 1, 0});
  ExpectNear<float>(Run1("Hardmax", 13, {}, {x}), {2, 3}, {0, 1, 0, 1, 0, 0});
  // Before opset 13 the input is flattened at axis (here 0: one row of six).
  ExpectNear<float>(Run1("Hardmax", 11, {{"axis", IntAttr(0)}}, {x}), {2, 3}, {0, 1, 0, 0, 0, 0});
}

}  // namespace
}  // namespace mlserving::kernels

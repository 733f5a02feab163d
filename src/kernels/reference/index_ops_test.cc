#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(IndexOpsTest, GatherElementsWithNegativeIndices) {
  Tensor data = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor idx = Tensor::FromVector<int64_t>({2, 2}, {-1, 0, 1, -3});
  // axis 1: row 0 picks columns 2, 0; row 1 picks columns 1, 0.
  ExpectEq<float>(Run1("GatherElements", 13, {{"axis", IntAttr(1)}}, {data, idx}), {2, 2}, {3, 1, 5, 4});
  // axis 0: column j picks row idx[i][j].
  Tensor idx0 = Tensor::FromVector<int64_t>({1, 3}, {1, 0, -1});
  ExpectEq<float>(Run1("GatherElements", 13, {}, {data, idx0}), {1, 3}, {4, 2, 6});
  EXPECT_EQ(RunCode("GatherElements", 13, {}, {data, Tensor::FromVector<int64_t>({1, 1}, {2})}),
            StatusCode::kInvalidArgument);
}

TEST(IndexOpsTest, GatherNdWithBatchDims) {
  // data [2, 2, 2]; batch_dims=1, indices [2, 1] -> one row of each batch: out [2, 2].
  Tensor data = Tensor::FromVector<int32_t>({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor idx = Tensor::FromVector<int64_t>({2, 1}, {1, 0});
  ExpectEq<int32_t>(Run1("GatherND", 12, {{"batch_dims", IntAttr(1)}}, {data, idx}), {2, 2}, {2, 3, 4, 5});
  // batch_dims=0, full coordinates -> scalars.
  Tensor full = Tensor::FromVector<int64_t>({2, 3}, {0, 1, 1, 1, 0, -2});
  ExpectEq<int32_t>(Run1("GatherND", 12, {}, {data, full}), {2}, {3, 4});
}

TEST(IndexOpsTest, ScatterElementsReductions) {
  Tensor data = Tensor::FromVector<float>({1, 5}, {1, 2, 3, 4, 5});
  Tensor idx = Tensor::FromVector<int64_t>({1, 2}, {1, 1});
  Tensor upd = Tensor::FromVector<float>({1, 2}, {1.1f, 2.1f});
  ExpectNear<float>(
      Run1("ScatterElements", 16, {{"axis", IntAttr(1)}, {"reduction", StringAttr("add")}}, {data, idx, upd}), {1, 5},
      {1, 5.2f, 3, 4, 5});
  ExpectNear<float>(
      Run1("ScatterElements", 18, {{"axis", IntAttr(1)}, {"reduction", StringAttr("max")}}, {data, idx, upd}), {1, 5},
      {1, 2.1f, 3, 4, 5});
  // No reduction: the later update wins.
  ExpectNear<float>(Run1("Scatter", 10, {{"axis", IntAttr(1)}}, {data, idx, upd}), {1, 5}, {1, 2.1f, 3, 4, 5});
  EXPECT_EQ(RunCode("ScatterElements", 16, {{"reduction", StringAttr("xor")}}, {data, idx, upd}),
            StatusCode::kUnimplemented);
}

TEST(IndexOpsTest, ScatterNdReductions) {
  Tensor data = Tensor::FromVector<int64_t>({4}, {1, 2, 3, 4});
  Tensor idx = Tensor::FromVector<int64_t>({3, 1}, {0, 3, 0});
  Tensor upd = T1<int64_t>({10, 20, 30});
  ExpectEq<int64_t>(Run1("ScatterND", 16, {{"reduction", StringAttr("add")}}, {data, idx, upd}), {4}, {41, 2, 3, 24});
  ExpectEq<int64_t>(Run1("ScatterND", 16, {{"reduction", StringAttr("mul")}}, {data, idx, upd}), {4}, {300, 2, 3, 80});
  // Slices: data [2, 2], one index tuple of length 1 replaces a whole row.
  Tensor rows = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  ExpectEq<float>(Run1("ScatterND", 13, {},
                       {rows, Tensor::FromVector<int64_t>({1, 1}, {-1}), Tensor::FromVector<float>({1, 2}, {7, 8})}),
                  {2, 2}, {1, 2, 7, 8});
  EXPECT_EQ(RunCode("ScatterND", 13, {}, {data, idx, T1<int64_t>({1})}), StatusCode::kInvalidArgument);
}

TEST(IndexOpsTest, OneHotAxisAndNegativeIndices) {
  Tensor idx = T1<int64_t>({0, -1, 5});
  Tensor depth = Tensor::Scalar<int64_t>(3);
  Tensor values = T1<float>({0, 1});
  ExpectEq<float>(Run1("OneHot", 11, {}, {idx, depth, values}), {3, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0});
  ExpectEq<float>(Run1("OneHot", 11, {{"axis", IntAttr(0)}}, {idx, depth, values}), {3, 3},
                  {1, 0, 0, 0, 0, 0, 0, 1, 0});
}

TEST(IndexOpsTest, NonZeroAndCompress) {
  Tensor x = Tensor::FromVector<int32_t>({2, 2}, {1, 0, 0, 3});
  ExpectEq<int64_t>(Run1("NonZero", 13, {}, {x}), {2, 2}, {0, 1, 0, 1});
  Tensor cond = Tensor::FromBools({2}, {false, true});
  ExpectEq<int32_t>(Run1("Compress", 11, {{"axis", IntAttr(1)}}, {x, cond}), {2, 1}, {0, 3});
  ExpectEq<int32_t>(Run1("Compress", 11, {}, {x, Tensor::FromBools({3}, {true, false, true})}), {2}, {1, 0});
}

TEST(IndexOpsTest, TriluEyeLikeReverseSequence) {
  Tensor x = Tensor::FromVector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectEq<int64_t>(Run1("Trilu", 14, {}, {x}), {2, 3}, {1, 2, 3, 0, 5, 6});
  ExpectEq<int64_t>(Run1("Trilu", 14, {{"upper", IntAttr(0)}}, {x, Tensor::Scalar<int64_t>(-1)}), {2, 3},
                    {0, 0, 0, 4, 0, 0});
  ExpectEq<int32_t>(Run1("EyeLike", 9, {{"dtype", IntAttr(6)}, {"k", IntAttr(1)}}, {x}), {2, 3}, {0, 1, 0, 0, 0, 1});
  // time_axis 0, batch_axis 1: column b reverses its first lens[b] rows.
  Tensor seq = Tensor::FromVector<float>({3, 2}, {1, 10, 2, 20, 3, 30});
  ExpectEq<float>(Run1("ReverseSequence", 10, {}, {seq, T1<int64_t>({3, 2})}), {3, 2}, {3, 20, 2, 10, 1, 30});
  EXPECT_EQ(RunCode("ReverseSequence", 10, {}, {seq, T1<int64_t>({4, 1})}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels

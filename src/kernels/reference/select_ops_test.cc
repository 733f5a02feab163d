#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(SelectOpsTest, TopKTiesKeepLowerIndexFirst) {
  Tensor x = Tensor::FromVector<float>({2, 4}, {3, 1, 3, 2, 5, 5, 5, 0});
  std::vector<Tensor> out = RunN("TopK", 11, {}, {x, T1<int64_t>({2})}, 2);
  ExpectEq<float>(out[0], {2, 2}, {3, 3, 5, 5});
  ExpectEq<int64_t>(out[1], {2, 2}, {0, 2, 0, 1});
  out = RunN("TopK", 11, {{"largest", IntAttr(0)}}, {x, T1<int64_t>({3})}, 2);
  ExpectEq<float>(out[0], {2, 3}, {1, 2, 3, 0, 5, 5});
  ExpectEq<int64_t>(out[1], {2, 3}, {1, 3, 0, 3, 0, 1});
  // Along axis 0, K from the attribute before opset 10.
  out = RunN("TopK", 1, {{"k", IntAttr(1)}, {"axis", IntAttr(0)}}, {x}, 2);
  ExpectEq<float>(out[0], {1, 4}, {5, 5, 5, 2});
  ExpectEq<int64_t>(out[1], {1, 4}, {1, 1, 1, 0});
  EXPECT_EQ(RunCode("TopK", 11, {}, {x, T1<int64_t>({5})}, 2), StatusCode::kInvalidArgument);
}

TEST(SelectOpsTest, UniqueSortedAndUnsorted) {
  Tensor x = T1<int64_t>({2, 1, 1, 3, 4, 3});
  std::vector<Tensor> out = RunN("Unique", 11, {}, {x}, 4);
  ExpectEq<int64_t>(out[0], {4}, {1, 2, 3, 4});
  ExpectEq<int64_t>(out[1], {4}, {1, 0, 3, 4});
  ExpectEq<int64_t>(out[2], {6}, {1, 0, 0, 2, 3, 2});
  ExpectEq<int64_t>(out[3], {4}, {2, 1, 2, 1});
  out = RunN("Unique", 11, {{"sorted", IntAttr(0)}}, {x}, 4);
  ExpectEq<int64_t>(out[0], {4}, {2, 1, 3, 4});
  ExpectEq<int64_t>(out[1], {4}, {0, 1, 3, 4});
  ExpectEq<int64_t>(out[2], {6}, {0, 1, 1, 2, 3, 2});
  ExpectEq<int64_t>(out[3], {4}, {1, 2, 2, 1});
}

TEST(SelectOpsTest, UniqueAlongAxis) {
  // Rows [1 0], [1 0], [0 1]: two distinct rows, sorted lexicographically.
  Tensor x = Tensor::FromVector<float>({3, 2}, {1, 0, 1, 0, 0, 1});
  std::vector<Tensor> out = RunN("Unique", 11, {{"axis", IntAttr(0)}}, {x}, 4);
  ExpectEq<float>(out[0], {2, 2}, {0, 1, 1, 0});
  ExpectEq<int64_t>(out[1], {2}, {2, 0});
  ExpectEq<int64_t>(out[2], {3}, {1, 1, 0});
  ExpectEq<int64_t>(out[3], {2}, {1, 2});
  // Only Y requested.
  ExpectEq<std::string>(Run1("Unique", 11, {}, {T1<std::string>({"b", "a", "b"})}), {2}, {"a", "b"});
}

TEST(SelectOpsTest, NonMaxSuppression) {
  // Box 1 overlaps box 0 (IoU 0.81) and is suppressed; box 2 is far away. Class 1 only keeps
  // scores above 0.35.
  Tensor boxes = Tensor::FromVector<float>({1, 3, 4}, {0, 0, 1, 1, 0.1f, 0, 1, 0.9f, 0, 10, 1, 11});
  Tensor scores = Tensor::FromVector<float>({1, 2, 3}, {0.9f, 0.8f, 0.7f, 0.3f, 0.4f, 0.2f});
  Tensor max_out = T1<int64_t>({3});
  Tensor iou = T1<float>({0.5f});
  Tensor score_threshold = T1<float>({0.35f});
  ExpectEq<int64_t>(Run1("NonMaxSuppression", 11, {}, {boxes, scores, max_out, iou, score_threshold}), {3, 3},
                    {0, 0, 0, 0, 0, 2, 0, 1, 1});
  // center_point_box: [x_center, y_center, width, height]; max one box per class.
  Tensor centers = Tensor::FromVector<float>({1, 2, 4}, {0.5f, 0.5f, 1, 1, 0.5f, 0.6f, 1, 1});
  Tensor s2 = Tensor::FromVector<float>({1, 1, 2}, {0.1f, 0.2f});
  ExpectEq<int64_t>(Run1("NonMaxSuppression", 11, {{"center_point_box", IntAttr(1)}}, {centers, s2, T1<int64_t>({1})}),
                    {1, 3}, {0, 0, 1});
  // Without max_output_boxes_per_class nothing is selected.
  ExpectEq<int64_t>(Run1("NonMaxSuppression", 11, {}, {boxes, scores}), {0, 3}, {});
}

}  // namespace
}  // namespace mlserving::kernels

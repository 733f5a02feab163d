#include <cmath>
#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(LossOpsTest, NllLossReductionsWeightsAndIgnoreIndex) {
  Tensor logp = Tensor::FromVector<float>({2, 3}, {-1, -2, -3, -0.5f, -1.5f, -2.5f});
  Tensor target = T1<int64_t>({2, 0});
  Tensor weight = T1<float>({1, 2, 3});
  // Per-element losses: 3 * 3 = 9 and 1 * 0.5; the weighted mean divides by 3 + 1.
  ExpectNear<float>(Run1("NegativeLogLikelihoodLoss", 13, {}, {logp, target, weight}), {}, {2.375f});
  ExpectNear<float>(Run1("NegativeLogLikelihoodLoss", 13, {{"reduction", StringAttr("none")}}, {logp, target, weight}),
                    {2}, {9, 0.5f});
  ExpectNear<float>(Run1("NegativeLogLikelihoodLoss", 13, {{"reduction", StringAttr("sum")}}, {logp, target}), {},
                    {3.5f});
  // The ignored element has weight 0: the mean is over the remaining one.
  ExpectNear<float>(Run1("NegativeLogLikelihoodLoss", 13, {{"ignore_index", IntAttr(0)}}, {logp, target}), {}, {3});
  EXPECT_EQ(RunCode("NegativeLogLikelihoodLoss", 13, {}, {logp, T1<int64_t>({3, 0})}), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunCode("NegativeLogLikelihoodLoss", 13, {{"reduction", StringAttr("max")}}, {logp, target}),
            StatusCode::kUnimplemented);
}

TEST(LossOpsTest, SoftmaxCrossEntropyWithLogProb) {
  // softmax([0, 0, ln 2]) = [0.25, 0.25, 0.5].
  Tensor scores = Tensor::FromVector<float>({1, 3}, {0, 0, std::log(2.0f)});
  std::vector<Tensor> out = RunN("SoftmaxCrossEntropyLoss", 13, {}, {scores, T1<int32_t>({2})}, 2);
  ExpectNear<float>(out[0], {}, {0.693147f});
  ExpectNear<float>(out[1], {1, 3}, {-1.386294f, -1.386294f, -0.693147f});
}

TEST(LossOpsTest, SoftmaxCrossEntropyOverExtraDims) {
  // N=1, C=2, d=2: position 0 has scores [0, 0], position 1 has [ln 3, 0] (p = [0.75, 0.25]).
  Tensor scores = Tensor::FromVector<double>({1, 2, 2}, {0, std::log(3.0), 0, 0});
  Tensor labels = Tensor::FromVector<int64_t>({1, 2}, {1, 0});
  ExpectNear<double>(Run1("SoftmaxCrossEntropyLoss", 13, {{"reduction", StringAttr("none")}}, {scores, labels}), {1, 2},
                     {0.693147, 0.287682});
  ExpectNear<double>(Run1("SoftmaxCrossEntropyLoss", 13, {{"ignore_index", IntAttr(1)}}, {scores, labels}), {},
                     {0.287682});
}

}  // namespace
}  // namespace mlserving::kernels

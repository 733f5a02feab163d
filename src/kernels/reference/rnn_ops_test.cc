// RNN / GRU / LSTM against hand-computed values and values computed by onnxruntime 1.x
// (CPUExecutionProvider) for the same inputs, printed with 6 decimals.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"
#include "kernels/registry.h"

namespace mlserving::kernels {
namespace {

using kernel_test::FloatsAttr;
using kernel_test::IntAttr;
using kernel_test::StringAttr;
using kernel_test::StringsAttr;

/// Runs `op_type` at opset 14 (see kernel_test::RunOp).
Result<std::vector<Tensor>> RunRnn(const std::string& op_type, kernel_test::Attrs attrs,
                                   const std::vector<Tensor>& inputs, size_t num_outputs) {
  return kernel_test::RunOp(op_type, 14, std::move(attrs), inputs, num_outputs);
}

Tensor F(Shape shape, std::vector<float> v) { return Tensor::FromVector<float>(std::move(shape), v); }

/// Within 2e-6 of `want` (onnxruntime's values printed with 6 decimals).
void ExpectNear(const Tensor& got, const Shape& shape, const std::vector<float>& want) {
  kernel_test::ExpectNear<float>(got, shape, want, 2e-6);
}

TEST(RnnOpsTest, ReverseBatchwiseRnnByHand) {
  // batch 2, seq 2, input 1, hidden 1, W = R = 0.5, no bias, layout 1 ([batch, seq, ...]).
  // Reverse: batch 0 sees x = 2 then 1: h = tanh(1) = 0.761594, then tanh(0.5 + 0.5 h) = 0.706818.
  Tensor x = F({2, 2, 1}, {1, 2, 0.5f, -1});
  Tensor w = F({1, 1, 1}, {0.5f});
  auto out = RunRnn("RNN", {{"direction", StringAttr("reverse")}, {"layout", IntAttr(1)}}, {x, w, w}, 2);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const float h00 = static_cast<float>(std::tanh(0.5 + 0.5 * std::tanh(1.0)));
  const float h10 = static_cast<float>(std::tanh(0.25 + 0.5 * std::tanh(-0.5)));
  ExpectNear((*out)[0], {2, 2, 1, 1},
             {h00, static_cast<float>(std::tanh(1.0)), h10, static_cast<float>(std::tanh(-0.5))});
  ExpectNear((*out)[1], {2, 1, 1}, {h00, h10});
}

TEST(RnnOpsTest, BidirectionalGruLinearBeforeResetWithSequenceLensMatchesOnnxRuntime) {
  Tensor x = F({3, 2, 2}, {0.10f, 0.43f, 0.21f, 0.09f, -0.15f, 0.29f, -0.12f, 0.78f, 0.93f, -0.23f, 0.58f, 0.06f});
  Tensor w = F({2, 6, 2}, {0.14f,  0.85f, -0.86f, -0.83f, -0.96f, 0.67f,  0.56f,  0.74f, 0.96f,  0.60f, -0.08f, 0.56f,
                           -0.76f, 0.28f, -0.71f, 0.89f,  0.04f,  -0.17f, -0.47f, 0.55f, -0.09f, 0.14f, -0.96f, 0.24f});
  Tensor r =
      F({2, 6, 2}, {0.22f,  0.23f,  0.89f, 0.36f,  -0.28f, -0.13f, 0.40f,  -0.88f, 0.33f, 0.34f,  -0.58f, -0.74f,
                    -0.37f, -0.27f, 0.14f, -0.12f, 0.98f,  -0.80f, -0.58f, -0.68f, 0.31f, -0.49f, -0.07f, -0.51f});
  Tensor b = F({2, 12}, {-0.68f, -0.78f, 0.31f, -0.72f, -0.61f, -0.26f, 0.64f,  -0.81f, 0.68f,  -0.81f, 0.95f,  -0.06f,
                         0.95f,  0.21f,  0.48f, -0.92f, -0.43f, -0.76f, -0.41f, -0.76f, -0.36f, -0.17f, -0.87f, 0.38f});
  Tensor lens = Tensor::FromVector<int32_t>({2}, {3, 2});
  Tensor h0 = F({2, 2, 2}, {0.13f, -0.47f, 0.05f, -0.81f, 0.15f, 0.86f, -0.36f, 0.33f});
  auto out = RunRnn(
      "GRU",
      {{"hidden_size", IntAttr(2)}, {"direction", StringAttr("bidirectional")}, {"linear_before_reset", IntAttr(1)}},
      {x, w, r, b, lens, h0}, 2);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ExpectNear((*out)[0], {3, 2, 2, 2},
             {0.233299f, -0.013016f, 0.098309f, -0.130827f, -0.534923f, -0.432302f, -0.528164f, -0.445749f,
              0.224800f, -0.104452f, 0.234430f, 0.144551f,  -0.488190f, -0.395850f, -0.432094f, 0.009874f,
              0.391894f, -0.416414f, 0.000000f, 0.000000f,  -0.437067f, -0.608557f, 0.000000f,  0.000000f});
  ExpectNear((*out)[1], {2, 2, 2},
             {0.391894f, -0.416414f, 0.234430f, 0.144551f, -0.534923f, -0.432302f, -0.528164f, -0.445749f});
}

TEST(RnnOpsTest, LstmWithPeepholesAndActivationParamsMatchesOnnxRuntime) {
  Tensor x = F({2, 1, 2}, {-0.74f, 0.43f, -0.42f, -0.63f});
  Tensor w = F({1, 8, 2}, {0.17f, -0.96f, 0.66f, -0.99f, 0.36f, -0.46f, 0.47f, 0.92f, -0.50f, 0.15f, 0.18f, 0.14f,
                           -0.55f, 0.91f, -0.11f, 0.69f});
  Tensor r = F({1, 8, 2}, {0.40f, -0.41f, 0.63f, -0.21f, 0.76f, 0.16f, 0.76f, 0.39f, 0.45f, 0.00f, 0.91f, 0.29f, -0.15f,
                           0.21f, -0.96f, -0.40f});
  Tensor b = F({1, 16}, {0.32f, -0.42f, 0.24f, -0.14f, -0.73f, -0.40f, 0.14f, 0.18f, 0.15f, 0.31f, 0.30f, -0.14f, 0.79f,
                         -0.26f, -0.13f, 0.78f});
  Tensor p = F({1, 6}, {0.61f, 0.41f, -0.80f, 0.84f, 0.43f, 1.00f});
  auto out = RunRnn("LSTM",
                    {{"hidden_size", IntAttr(2)},
                     {"activations", StringsAttr({"HardSigmoid", "Tanh", "Tanh"})},
                     {"activation_alpha", FloatsAttr({0.3f})},
                     {"activation_beta", FloatsAttr({0.6f})}},
                    {x, w, r, b, Tensor(), Tensor(), Tensor(), p}, 3);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ExpectNear((*out)[0], {2, 1, 1, 2}, {0.195556f, 0.148461f, -0.025162f, 0.148128f});
  ExpectNear((*out)[1], {1, 1, 2}, {-0.025162f, 0.148128f});
  ExpectNear((*out)[2], {1, 1, 2}, {-0.029188f, 0.355238f});
}

TEST(RnnOpsTest, BadInputsAreErrorsNotCrashes) {
  Tensor x = F({1, 1, 2}, {1, 2});
  Tensor w = F({1, 1, 3}, {1, 2, 3});  // input size 3 != 2
  Tensor r = F({1, 1, 1}, {1});
  EXPECT_EQ(RunRnn("RNN", {}, {x, w, r}, 2).status().code(), StatusCode::kInvalidArgument);
  Tensor good_w = F({1, 1, 2}, {1, 2});
  Tensor lens = Tensor::FromVector<int32_t>({1}, {5});  // longer than the sequence
  EXPECT_EQ(RunRnn("RNN", {}, {x, good_w, r, Tensor(), lens}, 2).status().code(), StatusCode::kInvalidArgument);
  ir::Node node;
  node.op_type = "GRU";
  node.attributes["activations"] = StringsAttr({"NoSuchFunction", "Tanh"});
  EXPECT_FALSE((*KernelRegistry::Default().Find("", "GRU"))(node).ok());
}

}  // namespace
}  // namespace mlserving::kernels

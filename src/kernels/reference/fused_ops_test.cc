// The com.mlserving fused ops the graph optimizer introduces: values against hand-computed
// results, every registry (reference only and with oneDNN), and clear errors for bad attributes
// and inputs.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "kernels/fused_activation.h"
#include "kernels/kernel_test_util.h"
#include "kernels/registry.h"

namespace mlserving::kernels {
namespace {

using kernel_test::Attrs;
using kernel_test::FloatsAttr;
using kernel_test::ReferenceOnly;
using kernel_test::StringAttr;

/// Prepares the com.mlserving `op` through `registry` and runs it once.
Result<Tensor> RunFused(const KernelRegistry& registry, const std::string& op, Attrs attrs,
                        const std::vector<Tensor>& inputs) {
  const ir::Node node = kernel_test::MakeNode(op, 1, std::move(attrs), inputs.size(), 1, kMlServingDomain);
  ASSIGN_OR_RETURN(std::vector<Tensor> outputs, kernel_test::RunNode(node, inputs, registry));
  return outputs[0];
}

std::vector<const KernelRegistry*> Registries() { return {&ReferenceOnly(), &KernelRegistry::Default()}; }

TEST(FusedMatMul, AddsTheBiasPerColumnThenTheActivation) {
  // [[1, 2], [3, 4]] x [[1, -1], [0, 1]] = [[1, 1], [3, 1]]; + [-2, 0.5]; Relu.
  const Tensor a = Tensor::FromVector<float>({1, 2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::FromVector<float>({2, 2}, {1, -1, 0, 1});
  const Tensor bias = Tensor::FromVector<float>({2}, {-2, 0.5f});
  for (const KernelRegistry* registry : Registries()) {
    Result<Tensor> y = RunFused(*registry, "FusedMatMul", {{"activation", StringAttr("Relu")}}, {a, b, bias});
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    kernel_test::ExpectNear<float>(*y, {1, 2, 2}, {0, 1.5f, 1, 1.5f});
  }
}

TEST(FusedMatMul, ComputesInDoubleWithoutBias) {
  const Tensor a = Tensor::FromVector<double>({1, 2}, {0.5, -1});
  const Tensor b = Tensor::FromVector<double>({2, 1}, {2, 1});
  Result<Tensor> y =
      RunFused(ReferenceOnly(), "FusedMatMul",
               {{"activation", StringAttr("LeakyRelu")}, {"activation_params", FloatsAttr({0.5f})}}, {a, b});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  kernel_test::ExpectNear<double>(*y, {1, 1}, {0.0});
}

TEST(FusedMatMul, RejectsABiasThatIsNotPerColumn) {
  const Tensor a = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::FromVector<float>({2, 2}, {1, 0, 0, 1});
  const Tensor bias = Tensor::FromVector<float>({3}, {1, 2, 3});
  for (const KernelRegistry* registry : Registries()) {
    Result<Tensor> y = RunFused(*registry, "FusedMatMul", {}, {a, b, bias});
    ASSERT_FALSE(y.ok());
    EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument) << y.status().ToString();
  }
}

TEST(FusedConv, AppliesClipAfterTheConvolution) {
  // A 1x1 convolution scaling by 2 plus bias 1, clipped to [0, 6]: x in {-1, 0.5, 2, 4}.
  const Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {-1, 0.5f, 2, 4});
  const Tensor w = Tensor::FromVector<float>({1, 1, 1, 1}, {2});
  const Tensor bias = Tensor::FromVector<float>({1}, {1});
  for (const KernelRegistry* registry : Registries()) {
    Result<Tensor> y =
        RunFused(*registry, "FusedConv",
                 {{"activation", StringAttr("Clip")}, {"activation_params", FloatsAttr({0, 6})}}, {x, w, bias});
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    kernel_test::ExpectNear<float>(*y, {1, 1, 2, 2}, {0, 2, 5, 6});
  }
}

TEST(FusedOps, RejectBadActivationsWhenPrepared) {
  const Attrs unknown = {{"activation", StringAttr("Swish")}};
  const Attrs missing_params = {{"activation", StringAttr("Clip")}};
  const Attrs inverted_clip = {{"activation", StringAttr("Clip")}, {"activation_params", FloatsAttr({6, 0})}};
  const Tensor x = Tensor::FromVector<float>({1, 1, 1, 1}, {1});
  for (const KernelRegistry* registry : Registries()) {
    for (const Attrs& attrs : {unknown, missing_params, inverted_clip}) {
      Result<Tensor> y = RunFused(*registry, "FusedConv", attrs, {x, x});
      ASSERT_FALSE(y.ok());
      EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument) << y.status().ToString();
    }
  }
}

TEST(FusedActivation, RoundTripsThroughNodeAttributes) {
  FusedActivation clip;
  clip.kind = FusedActivation::Kind::kClip;
  clip.alpha = 0;
  clip.beta = 6;
  ir::Node node;
  WriteFusedActivation(clip, node);
  Result<FusedActivation> read = ReadFusedActivation(node);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->kind, FusedActivation::Kind::kClip);
  EXPECT_EQ(read->beta, 6.0f);
  Result<FusedActivation> none = ReadFusedActivation(ir::Node());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->kind, FusedActivation::Kind::kNone);
}

}  // namespace
}  // namespace mlserving::kernels

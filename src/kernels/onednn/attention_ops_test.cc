// com.mlserving Attention: the fast kernel (onednn/attention_ops.cc) against the reference
// (reference/attention_ops.cc) on seeded random inputs over layouts, masks, broadcasts and
// sizes on both sides of the direct-GEMM block limit, plus the reference against a direct
// composition (scores, softmax, product) on a hand-sized case and its errors.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/fused_activation.h"
#include "kernels/kernel_test_util.h"
#include "kernels/registry.h"

namespace mlserving::kernels {
namespace {

using kernel_test::Random;
using kernel_test::ReferenceOnly;
using kernel_test::WithOneDnn;

ir::Node AttentionNode(float scale, float mask_scale, bool k_transposed) {
  ir::Node node;
  node.name = "attention";
  node.op_type = "Attention";
  node.domain = kMlServingDomain;
  node.opset = 1;
  node.attributes = {{"scale", kernel_test::FloatAttr(scale)},
                     {"mask_scale", kernel_test::FloatAttr(mask_scale)},
                     {"k_transposed", kernel_test::IntAttr(k_transposed ? 1 : 0)}};
  return node;
}

Result<Tensor> RunAttention(const KernelRegistry& registry, const ir::Node& node,
                            const std::vector<const Tensor*>& inputs, int threads) {
  ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, kernel_test::PrepareKernel(node, registry));
  KernelContext ctx;
  ctx.inputs = inputs;
  ctx.outputs.resize(1);
  ctx.intra_op_threads = threads;
  RETURN_IF_ERROR(kernel->Compute(ctx));
  return ctx.outputs[0];
}

struct Case {
  Shape q, k, v;
  Shape mask;  ///< empty: no mask
  bool k_transposed;
  float scale, mask_scale;
};

std::string Describe(const Case& c) {
  auto dims = [](const Shape& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
  };
  return "Q" + dims(c.q) + " K" + dims(c.k) + (c.k_transposed ? "(T)" : "") + " V" + dims(c.v) +
         (c.mask.empty() ? "" : " mask" + dims(c.mask));
}

TEST(AttentionKernel, FastMatchesReference) {
  const std::vector<Case> cases = {
      // BERT-base's shapes (the fast path: row blocks of 32 over 128 keys), K as torch gives it.
      {{1, 12, 128, 64}, {1, 12, 64, 128}, {1, 12, 128, 64}, {}, true, 0.125f, 1.0f},
      // Hugging Face's extended mask [B, 1, 1, S], K untransposed, batch 2.
      {{2, 4, 33, 16}, {2, 4, 33, 16}, {2, 4, 33, 16}, {2, 1, 1, 33}, false, 0.25f, 1.0f},
      // Mask before the scale; a full [S_q, S_kv] mask broadcast over the batch; odd sizes.
      {{3, 7, 5}, {3, 5, 9}, {3, 9, 11}, {7, 9}, true, 0.3f, 0.3f},
      // Rank 2 (one head), S_q != S_kv, D_v != D, a mask row vector.
      {{70, 24}, {40, 24}, {40, 8}, {40}, false, 1.0f, 1.0f},
      // Batch dims broadcast across Q, K and V.
      {{2, 1, 6, 8}, {1, 3, 6, 8}, {2, 3, 6, 5}, {}, false, 0.5f, 1.0f},
      // Long sequences: the row blocks shrink (512 keys × 64), and beyond them the reference.
      {{1, 2, 512, 64}, {1, 2, 64, 512}, {1, 2, 512, 64}, {1, 1, 1, 512}, true, 0.125f, 1.0f},
      {{1, 1, 8, 64}, {1, 1, 64, 5000}, {1, 1, 5000, 64}, {}, true, 0.125f, 1.0f},
      // A mask stretching a one-row Q (the reference path).
      {{2, 1, 8}, {2, 6, 8}, {2, 6, 4}, {2, 3, 6}, false, 1.0f, 1.0f},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(Describe(c));
    const Tensor q = Random(c.q, seed++), k = Random(c.k, seed++), v = Random(c.v, seed++);
    const Tensor mask = c.mask.empty() ? Tensor() : Random(c.mask, seed++, -3.0f, 0.0f);
    std::vector<const Tensor*> inputs = {&q, &k, &v};
    if (mask.defined()) inputs.push_back(&mask);
    const ir::Node node = AttentionNode(c.scale, c.mask_scale, c.k_transposed);
    Result<Tensor> expected = RunAttention(ReferenceOnly(), node, inputs, 1);
    ASSERT_TRUE(expected.ok()) << expected.status().ToString();
    for (int threads : {1, 3}) {
      Result<Tensor> actual = RunAttention(WithOneDnn(), node, inputs, threads);
      ASSERT_TRUE(actual.ok()) << actual.status().ToString();
      kernel_test::ExpectAllClose(*actual, *expected, 1e-4, 1e-5, "threads " + std::to_string(threads),
                                  /*nan_matches_nan=*/true);
    }
  }
}

TEST(AttentionKernel, ReferenceComputesSoftmaxOfScaledScoresTimesV) {
  // One head, Q [2, 2], K [3, 2], V [3, 1], mask [3]: computed by hand below.
  const Tensor q = Tensor::FromVector<float>({2, 2}, {1, 0, 0, 2});
  const Tensor k = Tensor::FromVector<float>({3, 2}, {1, 1, 2, 0, 0, 1});
  const Tensor v = Tensor::FromVector<float>({3, 1}, {1, 10, 100});
  const Tensor mask = Tensor::FromVector<float>({3}, {0, -1, 0});
  const float scale = 0.5f;
  for (const KernelRegistry* registry : {&ReferenceOnly(), &WithOneDnn()}) {
    Result<Tensor> out = RunAttention(*registry, AttentionNode(scale, 1.0f, false), {&q, &k, &v, &mask}, 1);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->shape(), (Shape{2, 1}));
    const float qs[2][2] = {{1, 0}, {0, 2}};
    const float ks[3][2] = {{1, 1}, {2, 0}, {0, 1}};
    const float vs[3] = {1, 10, 100}, ms[3] = {0, -1, 0};
    for (int i = 0; i < 2; ++i) {
      double e[3], sum = 0, y = 0;
      for (int j = 0; j < 3; ++j) {
        e[j] = std::exp(scale * (qs[i][0] * ks[j][0] + qs[i][1] * ks[j][1]) + ms[j]);
        sum += e[j];
      }
      for (int j = 0; j < 3; ++j) y += e[j] / sum * vs[j];
      EXPECT_NEAR(out->data<float>()[i], y, 1e-4 * y);
    }
  }
}

TEST(AttentionKernel, FullyMaskedRowIsNaNLikeSoftmax) {
  // Row 0 all -inf: Softmax gives NaN (max-subtracted); row 1 partly -inf: those keys get 0.
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor q = Random({2, 16}, 7), k = Random({9, 16}, 8), v = Random({9, 16}, 9);
  Tensor mask = Tensor::FromVector<float>({2, 9}, {-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf,  //
                                                   0, -inf, 0, -inf, 0, 0, 0, 0, -inf});
  for (const KernelRegistry* registry : {&ReferenceOnly(), &WithOneDnn()}) {
    Result<Tensor> out = RunAttention(*registry, AttentionNode(1.0f, 1.0f, false), {&q, &k, &v, &mask}, 1);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    for (int e = 0; e < 16; ++e) EXPECT_TRUE(std::isnan(out->data<float>()[e]));
    for (int e = 16; e < 32; ++e) EXPECT_TRUE(std::isfinite(out->data<float>()[e]));
  }
}

TEST(AttentionKernel, RejectsMismatchedInputs) {
  const Tensor q = Random({2, 3, 8}, 1), v = Random({2, 5, 4}, 3);
  const Tensor k_wrong_depth = Random({2, 5, 7}, 2), k = Random({2, 5, 8}, 2), vector = Random({8}, 4);
  const Tensor bad_mask = Random({2, 3, 4}, 5), v_wrong_rows = Random({2, 6, 4}, 6);
  const ir::Node node = AttentionNode(1.0f, 1.0f, false);
  for (const KernelRegistry* registry : {&ReferenceOnly(), &WithOneDnn()}) {
    for (const std::vector<const Tensor*>& inputs : std::vector<std::vector<const Tensor*>>{
             {&q, &k_wrong_depth, &v}, {&q, &k, &v, &bad_mask}, {&q, &k, &v_wrong_rows}, {&vector, &k, &v}}) {
      Result<Tensor> out = RunAttention(*registry, node, inputs, 1);
      ASSERT_FALSE(out.ok());
      EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status().ToString();
    }
  }
  ir::Node bad = node;
  bad.attributes["k_transposed"].i = 2;
  EXPECT_FALSE((*ReferenceOnly().Find(kMlServingDomain, "Attention"))(bad).ok());
}

}  // namespace
}  // namespace mlserving::kernels

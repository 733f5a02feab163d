#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "optimizer/optimizer.h"
#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::FloatAttr;
using testing::GraphBuilder;
using testing::IntAttr;
using testing::IntsAttr;
using testing::RandomTensor;

// Batch 2, 3 heads, 20 positions, depth 16: the fused kernel's fast path.
constexpr int64_t kB = 2, kH = 3, kS = 20, kD = 16;
const Shape kHeads = {kB, kH, kS, kD};     // [B, H, S, D]
const Shape kSequence = {kB, kS, kH, kD};  // [B, S, H, D], before torch's head transposes
const Shape kMask = {kB, 1, 1, kS};        // Hugging Face's extended attention mask

// kOnQueryAndKey: √scale on Q and on Kᵀ, as torch exports scaled_dot_product_attention.
enum class Scale { kNone, kDivAfter, kMulAfter, kMulConstFirst, kOnQuery, kOnQueryAndKey };
enum class Mask { kNone, kAfterScale, kBeforeScale, kFirstOperand };
enum class Key {
  kTransposeLastTwo,  // K [B,H,S,D], Transpose(perm 0,1,3,2)
  kTorchPerm,         // K [B,S,H,D], Transpose(perm 0,2,3,1), as torch exports BERT
  kGivenTransposed,   // Kᵀ [B,H,D,S] as a graph input
};

struct Variant {
  Scale scale = Scale::kDivAfter;
  Mask mask = Mask::kNone;
  Key key = Key::kTorchPerm;
};

/// Builds the decomposed attention of `variant` over graph inputs q [B,H,S,D], k (per `key`),
/// v [B,H,S,D] and, when masked, mask [B,1,1,S]; returns the builder and the inputs to feed.
GraphBuilder BuildAttention(const Variant& variant, std::vector<Tensor>& feeds) {
  GraphBuilder b;
  ir::ValueId q = b.Input("q", kHeads);
  feeds.push_back(RandomTensor(kHeads, 1));
  ir::ValueId kt;
  if (variant.key == Key::kTransposeLastTwo) {
    kt = b.Op("Transpose", {b.Input("k", kHeads)}, {{"perm", IntsAttr({0, 1, 3, 2})}});
    feeds.push_back(RandomTensor(kHeads, 2));
  } else if (variant.key == Key::kTorchPerm) {
    kt = b.Op("Transpose", {b.Input("k", kSequence)}, {{"perm", IntsAttr({0, 2, 3, 1})}});
    feeds.push_back(RandomTensor(kSequence, 2));
  } else {
    kt = b.Input("kt", {kB, kH, kD, kS});
    feeds.push_back(RandomTensor({kB, kH, kD, kS}, 2));
  }
  const ir::ValueId v = b.Input("v", kHeads);
  feeds.push_back(RandomTensor(kHeads, 3));
  ir::ValueId mask = ir::kNoValue;
  if (variant.mask != Mask::kNone) {
    mask = b.Input("mask", kMask);
    Tensor m = RandomTensor(kMask, 4, -3.0f, 0.0f);
    m.data<float>()[3] = -10000.0f;  // a masked-out position, as Hugging Face writes it
    feeds.push_back(m);
  }
  const float c = 4.0f;  // sqrt(D)
  if (variant.scale == Scale::kOnQuery) q = b.Op("Mul", {q, b.Scalar("inv_sqrt_d", 1.0f / c)});
  if (variant.scale == Scale::kOnQueryAndKey) {
    q = b.Op("Mul", {q, b.Scalar("root_scale", 0.5f)});
    kt = b.Op("Mul", {kt, b.Scalar("root_scale", 0.5f)});
  }
  ir::ValueId s = b.Op("MatMul", {q, kt});
  auto add_mask = [&](ir::ValueId scores) {
    return variant.mask == Mask::kFirstOperand ? b.Op("Add", {mask, scores}) : b.Op("Add", {scores, mask});
  };
  if (variant.mask == Mask::kBeforeScale) s = add_mask(s);
  if (variant.scale == Scale::kDivAfter) s = b.Op("Div", {s, b.Scalar("sqrt_d", c)});
  if (variant.scale == Scale::kMulAfter) s = b.Op("Mul", {s, b.Scalar("inv_sqrt_d", 1.0f / c)});
  if (variant.scale == Scale::kMulConstFirst) s = b.Op("Mul", {b.Scalar("inv_sqrt_d", 1.0f / c), s});
  if (variant.mask == Mask::kAfterScale || variant.mask == Mask::kFirstOperand) s = add_mask(s);
  const ir::ValueId p = b.Op("Softmax", {s}, {{"axis", IntAttr(-1)}});
  b.Output(b.Op("MatMul", {p, v}));
  return b;
}

/// Expects `variant` to fuse into one Attention with the given scale attributes and layout.
void ExpectFused(const Variant& variant, float scale, float mask_scale, int k_transposed, size_t nodes_left) {
  std::vector<Tensor> feeds;
  GraphBuilder b = BuildAttention(variant, feeds);
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseAttention, 1, feeds);
  ASSERT_EQ(fused.nodes().size(), nodes_left);
  const ir::Node& node = fused.nodes().back();
  EXPECT_EQ(node.op_type, "Attention");
  EXPECT_EQ(node.domain, "com.mlserving");
  EXPECT_EQ(node.outputs, b.graph().outputs());
  EXPECT_FLOAT_EQ(node.GetFloat("scale", 1.0f), scale);
  EXPECT_FLOAT_EQ(node.GetFloat("mask_scale", 1.0f), mask_scale);
  EXPECT_EQ(node.GetInt("k_transposed", -1), k_transposed);
  EXPECT_EQ(node.inputs.size(), variant.mask == Mask::kNone ? 3u : 4u);
  if (variant.mask != Mask::kNone) {
    EXPECT_EQ(node.inputs[3], b.Id("mask"));
  }
}

TEST(AttentionFusion, FusesTorchBertExport) {
  // MatMul(Q, Transpose(K, 0,2,3,1)) -> Div(sqrt d) -> Softmax -> MatMul(V): the K transpose stays.
  ExpectFused({Scale::kDivAfter, Mask::kNone, Key::kTorchPerm}, 0.25f, 1.0f, 1, 2);
}

TEST(AttentionFusion, FusesHuggingFaceMaskAfterScale) {
  ExpectFused({Scale::kDivAfter, Mask::kAfterScale, Key::kTransposeLastTwo}, 0.25f, 1.0f, 0, 1);
  ExpectFused({Scale::kMulAfter, Mask::kFirstOperand, Key::kTransposeLastTwo}, 0.25f, 1.0f, 0, 1);
}

TEST(AttentionFusion, FusesMaskBeforeScale) {
  ExpectFused({Scale::kDivAfter, Mask::kBeforeScale, Key::kGivenTransposed}, 0.25f, 0.25f, 1, 1);
  ExpectFused({Scale::kMulConstFirst, Mask::kBeforeScale, Key::kTransposeLastTwo}, 0.25f, 0.25f, 0, 1);
}

TEST(AttentionFusion, FusesScaleOnQueryAndNoScale) {
  ExpectFused({Scale::kOnQuery, Mask::kAfterScale, Key::kTransposeLastTwo}, 0.25f, 1.0f, 0, 1);
  ExpectFused({Scale::kNone, Mask::kNone, Key::kGivenTransposed}, 1.0f, 1.0f, 1, 1);
  ExpectFused({Scale::kOnQueryAndKey, Mask::kAfterScale, Key::kTorchPerm}, 0.25f, 1.0f, 1, 2);
  ExpectFused({Scale::kOnQueryAndKey, Mask::kNone, Key::kTransposeLastTwo}, 0.25f, 1.0f, 0, 1);
  ExpectFused({Scale::kNone, Mask::kAfterScale, Key::kTorchPerm}, 1.0f, 1.0f, 1, 2);
}

TEST(AttentionFusion, FusesHeadsFromDynamicReshapes) {
  // Q, K, V of unknown shape (torch's Reshape by a Shape-computed target): the head Transposes
  // prove the ranks.
  GraphBuilder b;
  const ir::ValueId q_in = b.InputOfUnknownShape("q", DType::kFloat32);
  const ir::ValueId k_in = b.InputOfUnknownShape("k", DType::kFloat32);
  const ir::ValueId v_in = b.InputOfUnknownShape("v", DType::kFloat32);
  const ir::ValueId q = b.Op("Transpose", {q_in}, {{"perm", IntsAttr({0, 2, 1, 3})}});
  const ir::ValueId kt = b.Op("Transpose", {k_in}, {{"perm", IntsAttr({0, 2, 3, 1})}});
  const ir::ValueId v = b.Op("Transpose", {v_in}, {{"perm", IntsAttr({0, 2, 1, 3})}});
  const ir::ValueId s = b.Op("Div", {b.Op("MatMul", {q, kt}), b.Scalar("sqrt_d", 4.0f)});
  b.Output(b.Op("MatMul", {b.Op("Softmax", {s}, {{"axis", IntAttr(-1)}}), v}));
  const std::vector<Tensor> feeds = {RandomTensor(kSequence, 1), RandomTensor(kSequence, 2),
                                     RandomTensor(kSequence, 3)};
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseAttention, 1, feeds);
  EXPECT_EQ(testing::CountOps(fused, "Attention"), 1);
  EXPECT_EQ(testing::CountOps(fused, "Softmax"), 0);
}

// torch's scaled_dot_product_attention with dynamic batch and sequence axes, as the whole
// optimizer sees it: the heads come from Reshape(x, Concat(Slice(Shape(x), 0, 2), [4, -1])), and
// the scale is computed at run time, Sqrt(1 / Sqrt(Cast(Shape(Q)[-1]))), applied to Q and Kᵀ.
// Shape inference reads the head depth (8) through the computed Reshape target, constant folding
// turns the scale chain into constants, and attention_fusion fires; the batch and sequence
// stay dynamic (the optimized graph runs at other lengths).
TEST(AttentionFusion, FusesTorchSdpaRuntimeScaleWithDynamicAxes) {
  constexpr int64_t kModel = 32;
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", {-1, -1, kModel}, DType::kFloat32, {"batch", "seq", ""});
  const ir::ValueId zero = b.Constant("zero", testing::Int64s({0}));
  const ir::ValueId two = b.Constant("two", testing::Int64s({2}));
  const ir::ValueId heads = b.Constant("heads", testing::Int64s({4, -1}));
  auto project = [&](const std::string& name, uint32_t seed, std::vector<int64_t> perm) {
    const ir::ValueId w = b.Constant(name + "_w", RandomTensor({kModel, kModel}, seed));
    const ir::ValueId bias = b.Constant(name + "_b", RandomTensor({kModel}, seed + 10));
    const ir::ValueId p = b.Op("Add", {b.Op("MatMul", {x, w}), bias});
    const ir::ValueId batch_seq = b.Op("Slice", {b.Op("Shape", {p}), zero, two});
    const ir::ValueId target = b.Op("Concat", {batch_seq, heads}, {{"axis", IntAttr(0)}});
    return b.Op("Transpose", {b.Op("Reshape", {p, target})}, {{"perm", IntsAttr(std::move(perm))}});
  };
  const ir::ValueId q = project("q", 1, {0, 2, 1, 3});
  const ir::ValueId kt = project("k", 2, {0, 2, 3, 1});
  const ir::ValueId v = project("v", 3, {0, 2, 1, 3});
  const ir::ValueId depth =
      b.Op("Gather", {b.Op("Shape", {q}), b.Constant("last", Tensor::Scalar<int64_t>(-1))}, {{"axis", IntAttr(0)}});
  const ir::ValueId scale =
      b.Op("Div", {b.Scalar("one", 1.0f), b.Op("Sqrt", {b.Op("Cast", {depth}, {{"to", IntAttr(1)}})})});
  const ir::ValueId scores =
      b.Op("MatMul", {b.Op("Mul", {q, b.Op("Sqrt", {scale})}), b.Op("Mul", {kt, b.Op("Sqrt", {scale})})});
  b.Output(b.Op("MatMul", {b.Op("Softmax", {scores}, {{"axis", IntAttr(-1)}}), v}));

  const ir::Graph model = b.graph();
  ir::Graph optimized = model;
  Result<OptimizationReport> report = Optimize(optimized, kernels::KernelRegistry::Default(), OptimizationLevel::kAll);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto count = [&](const char* op) {
    return std::count_if(optimized.nodes().begin(), optimized.nodes().end(),
                         [&](const ir::Node& n) { return n.op_type == op; });
  };
  EXPECT_EQ(count("Attention"), 1) << report->Summary();
  EXPECT_EQ(count("Softmax"), 0);
  EXPECT_EQ(count("Sqrt"), 0);
  for (const auto& [batch, seq] : {std::pair<int64_t, int64_t>{2, 5}, {3, 9}}) {
    SCOPED_TRACE("batch " + std::to_string(batch) + ", seq " + std::to_string(seq));
    testing::ExpectSameOutputs(model, optimized, {RandomTensor({batch, seq, kModel}, 7)},
                               testing::Tolerance::AllClose(1e-5, 1e-5));
  }
}

TEST(AttentionFusion, FullyMaskedRowsMatchTheDecomposedGraph) {
  // A row of -inf everywhere gives NaN in Softmax; finfo.min (Hugging Face's newer mask) gives a
  // uniform row. The fused graph must do the same.
  const float inf = std::numeric_limits<float>::infinity();
  for (float masked : {-inf, std::numeric_limits<float>::lowest()}) {
    GraphBuilder b;
    const ir::ValueId q = b.Input("q", {1, 2, 4, 16});
    const ir::ValueId k = b.Input("k", {1, 2, 4, 16});
    const ir::ValueId v = b.Input("v", {1, 2, 4, 16});
    const ir::ValueId mask = b.Input("mask", {1, 1, 4, 4});
    const ir::ValueId kt = b.Op("Transpose", {k}, {{"perm", IntsAttr({0, 1, 3, 2})}});
    const ir::ValueId s = b.Op("Add", {b.Op("Mul", {b.Op("MatMul", {q, kt}), b.Scalar("c", 0.25f)}), mask});
    b.Output(b.Op("MatMul", {b.Op("Softmax", {s}, {{"axis", IntAttr(-1)}}), v}));
    Tensor m(DType::kFloat32, {1, 1, 4, 4});
    for (int i = 0; i < 16; ++i) m.data<float>()[i] = (i < 4 || i % 4 == 3) ? masked : 0.0f;
    const std::vector<Tensor> feeds = {RandomTensor({1, 2, 4, 16}, 1), RandomTensor({1, 2, 4, 16}, 2),
                                       RandomTensor({1, 2, 4, 16}, 3), m};
    int rewrites = 0;
    const ir::Graph fused = testing::Rewritten(b.graph(), FuseAttention, &rewrites);
    ASSERT_EQ(rewrites, 1);
    Result<std::vector<Tensor>> expected = testing::RunGraph(b.graph(), feeds);
    Result<std::vector<Tensor>> actual = testing::RunGraph(fused, feeds);
    ASSERT_TRUE(expected.ok() && actual.ok());
    const Tensor& e = (*expected)[0];
    const Tensor& a = (*actual)[0];
    ASSERT_EQ(e.shape(), a.shape());
    for (int64_t i = 0; i < e.num_elements(); ++i) {
      const float x = e.data<float>()[i], y = a.data<float>()[i];
      if (std::isnan(x)) {
        EXPECT_TRUE(std::isnan(y)) << "element " << i;
      } else {
        EXPECT_NEAR(y, x, 1e-5 + 1e-4 * std::fabs(x)) << "element " << i;
      }
    }
  }
}

/// Expects the pass to leave the graph built by `body` alone (and it still to run).
void ExpectNotFused(GraphBuilder& b, const std::vector<Tensor>& feeds) {
  testing::RunPassAndCompare(b.graph(), FuseAttention, 0, feeds);
}

TEST(AttentionFusion, LeavesSoftmaxOverAnotherAxis) {
  for (int64_t axis : {1, 2}) {
    GraphBuilder b;
    const ir::ValueId q = b.Input("q", kHeads), kt = b.Input("kt", {kB, kH, kD, kS}), v = b.Input("v", kHeads);
    const ir::ValueId s = b.Op("Div", {b.Op("MatMul", {q, kt}), b.Scalar("c", 4.0f)});
    b.Output(b.Op("MatMul", {b.Op("Softmax", {s}, {{"axis", IntAttr(axis)}}), v}));
    ExpectNotFused(b, {RandomTensor(kHeads, 1), RandomTensor({kB, kH, kD, kS}, 2), RandomTensor(kHeads, 3)});
  }
}

TEST(AttentionFusion, FusesOldSoftmaxOnlyOverTheLastAxis) {
  // Opset 11 Softmax defaults to axis 1 (coerced to 2-D): not attention over the keys.
  GraphBuilder b;
  const ir::ValueId q = b.Input("q", kHeads), kt = b.Input("kt", {kB, kH, kD, kS}), v = b.Input("v", kHeads);
  const ir::ValueId s = b.Op("MatMul", {q, kt});
  b.Output(b.Op("MatMul", {b.Op("Softmax", {s}, {}, 11), v}));
  const std::vector<Tensor> feeds = {RandomTensor(kHeads, 1), RandomTensor({kB, kH, kD, kS}, 2),
                                     RandomTensor(kHeads, 3)};
  ExpectNotFused(b, feeds);
  // axis 3 = rank - 1 with the rank known: fused.
  GraphBuilder b3;
  const ir::ValueId q3 = b3.Input("q", kHeads), kt3 = b3.Input("kt", {kB, kH, kD, kS}), v3 = b3.Input("v", kHeads);
  b3.Output(b3.Op("MatMul", {b3.Op("Softmax", {b3.Op("MatMul", {q3, kt3})}, {{"axis", IntAttr(3)}}, 11), v3}));
  testing::RunPassAndCompare(b3.graph(), FuseAttention, 1, feeds);
}

TEST(AttentionFusion, LeavesScoresOrProbabilitiesReadElsewhere) {
  for (int read : {0, 1, 2}) {
    GraphBuilder b;
    const ir::ValueId q = b.Input("q", kHeads), kt = b.Input("kt", {kB, kH, kD, kS}), v = b.Input("v", kHeads);
    const ir::ValueId raw = b.Op("MatMul", {q, kt});
    const ir::ValueId s = b.Op("Div", {raw, b.Scalar("c", 4.0f)});
    const ir::ValueId p = b.Op("Softmax", {s}, {{"axis", IntAttr(-1)}});
    b.Output(b.Op("MatMul", {p, v}));
    if (read == 0) b.Output(raw);                // raw scores are a graph output
    if (read == 1) b.Output(b.Op("Relu", {s}));  // scaled scores read by another node
    if (read == 2) b.Output(p);                  // the attention probabilities returned too
    ExpectNotFused(b, {RandomTensor(kHeads, 1), RandomTensor({kB, kH, kD, kS}, 2), RandomTensor(kHeads, 3)});
  }
}

TEST(AttentionFusion, LeavesNonConstantScaleAndOtherShapes) {
  const std::vector<Tensor> feeds = {RandomTensor(kHeads, 1), RandomTensor({kB, kH, kD, kS}, 2),
                                     RandomTensor(kHeads, 3), RandomTensor({1}, 4, 1.0f, 2.0f)};
  {  // Div by a graph input.
    GraphBuilder b;
    const ir::ValueId q = b.Input("q", kHeads), kt = b.Input("kt", {kB, kH, kD, kS}), v = b.Input("v", kHeads);
    const ir::ValueId c = b.Input("c", {1});
    const ir::ValueId s = b.Op("Div", {b.Op("MatMul", {q, kt}), c});
    b.Output(b.Op("MatMul", {b.Op("Softmax", {s}, {{"axis", IntAttr(-1)}}), v}));
    ExpectNotFused(b, feeds);
  }
  {  // A constant divided by the scores is not a scale.
    GraphBuilder b;
    const ir::ValueId q = b.Input("q", kHeads), kt = b.Input("kt", {kB, kH, kD, kS}), v = b.Input("v", kHeads);
    b.Input("c", {1});
    const ir::ValueId s = b.Op("Div", {b.Scalar("c", 4.0f), b.Op("MatMul", {q, kt})});
    b.Output(b.Op("MatMul", {b.Op("Softmax", {s}, {{"axis", IntAttr(-1)}}), v}));
    ExpectNotFused(b, feeds);
  }
  {  // The probabilities as the right operand of the last MatMul.
    GraphBuilder b;
    const ir::ValueId q = b.Input("q", kHeads), kt = b.Input("kt", {kB, kH, kD, kS});
    const ir::ValueId v = b.Input("v", {kB, kH, kD, kS});
    b.Input("c", {1});
    const ir::ValueId p = b.Op("Softmax", {b.Op("MatMul", {q, kt})}, {{"axis", IntAttr(-1)}});
    b.Output(b.Op("MatMul", {v, p}));
    ExpectNotFused(b, {feeds[0], feeds[1], RandomTensor({kB, kH, kD, kS}, 5), feeds[3]});
  }
  {  // Q of unknown rank (it could be a vector, for which MatMul has other rules).
    GraphBuilder b;
    const ir::ValueId q = b.InputOfUnknownShape("q", DType::kFloat32);
    const ir::ValueId kt = b.Input("kt", {kB, kH, kD, kS}), v = b.Input("v", kHeads);
    b.Input("c", {1});
    const ir::ValueId p = b.Op("Softmax", {b.Op("MatMul", {q, kt})}, {{"axis", IntAttr(-1)}});
    b.Output(b.Op("MatMul", {p, v}));
    ExpectNotFused(b, feeds);
  }
}

}  // namespace
}  // namespace mlserving::optimizer

namespace mlserving::optimizer {
namespace {

/// Perf mode (MLSERVING_OPTEST_PERF=1): attention decomposed (K as torch transposes it) and
/// fused, median of repeated runs at 1 and 2 threads, for BERT-base ([1, 12, 128, 64]; the
/// batched oneDNN path), a 384-token sequence, and a tiny model (the row-block path).
TEST(AttentionFusion, PerfBertBaseShapes) {
  if (std::getenv("MLSERVING_OPTEST_PERF") == nullptr) GTEST_SKIP() << "set MLSERVING_OPTEST_PERF=1";
  for (const Shape& heads : {Shape{1, 12, 128, 64}, Shape{1, 12, 384, 64}, Shape{1, 4, 16, 16}}) {
    const Shape sequence = {heads[0], heads[2], heads[1], heads[3]};
    GraphBuilder b;
    const ir::ValueId q = b.Input("q", heads), k = b.Input("k", sequence), v = b.Input("v", heads);
    const ir::ValueId kt = b.Op("Transpose", {k}, {{"perm", IntsAttr({0, 2, 3, 1})}});
    const ir::ValueId s = b.Op("Div", {b.Op("MatMul", {q, kt}), b.Scalar("c", 8.0f)});
    b.Output(b.Op("MatMul", {b.Op("Softmax", {s}, {{"axis", IntAttr(-1)}}), v}));
    const std::vector<Tensor> feeds = {RandomTensor(heads, 1), RandomTensor(sequence, 2), RandomTensor(heads, 3)};
    const ir::Graph fused = testing::Rewritten(b.graph(), FuseAttention);
    for (int threads : {1, 2}) {
      for (const ir::Graph* graph : {static_cast<const ir::Graph*>(&b.graph()), &fused}) {
        auto evaluator = engine::GraphEvaluator::Create(*graph, kernels::KernelRegistry::Default());
        ASSERT_TRUE(evaluator.ok());
        EvaluationContext context;
        context.intra_op_threads = threads;
        std::vector<double> ms;
        for (int i = 0; i < 60; ++i) {
          const auto start = std::chrono::steady_clock::now();
          ASSERT_TRUE((*evaluator)->Run(feeds, context).ok());
          ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(ms.begin(), ms.end());
        std::printf("[%lld,%lld,%lld,%lld] threads %d %s: median %.3f ms\n", static_cast<long long>(heads[0]),
                    static_cast<long long>(heads[1]), static_cast<long long>(heads[2]),
                    static_cast<long long>(heads[3]), threads, graph == &fused ? "fused" : "decomposed", ms[30]);
      }
    }
  }
}

}  // namespace
}  // namespace mlserving::optimizer

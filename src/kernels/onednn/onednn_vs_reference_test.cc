// The op tester of the oneDNN kernels: every fast kernel against the reference kernel on seeded
// random inputs over a table of shapes and attributes (odd sizes, batch 1 and > 1, groups,
// strides, pads, dilations, transposes), within rtol 1e-4 / atol 1e-5.
//
// Perf mode: MLSERVING_OPTEST_PERF=1 also times every case (median of repeated runs, one
// thread and two) and prints the speedup of the fast kernel over the reference.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/graph_evaluator.h"
#include "kernels/kernel_test_util.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/registry.h"

namespace mlserving::kernels {
namespace {

// Short names for the attribute builders: the case tables keep one case a line.
constexpr auto& Int = ir::IntAttr;
constexpr auto& Float = ir::FloatAttr;
constexpr auto& Ints = ir::IntsAttr;
constexpr auto& Floats = ir::FloatsAttr;
constexpr auto& String = ir::StringAttr;

/// One input of a case: its shape, whether the graph would hold it as a constant (a weight),
/// and the range of its random values.
struct InputSpec {
  Shape shape;
  bool constant = false;
  float low = -1.0f, high = 1.0f;
};

struct OpCase {
  std::string op;
  int opset;
  std::map<std::string, ir::Attribute> attrs;
  std::vector<InputSpec> inputs;
  bool perf_only = false;   ///< large shapes: timed in perf mode only
  std::string domain = "";  ///< "com.mlserving" for the fused ops
};

InputSpec In(Shape shape) { return {std::move(shape)}; }
InputSpec Weight(Shape shape) { return {std::move(shape), true}; }

std::vector<OpCase> Cases() {
  using A = std::map<std::string, ir::Attribute>;
  std::vector<OpCase> cases = {
      // MatMul: 2-D, B 2-D under batched A (folded), batched with broadcast, 1-D operands.
      {"MatMul", 13, {}, {In({7, 13}), Weight({13, 5})}},
      {"MatMul", 13, {}, {In({1, 64}), Weight({64, 96})}},
      {"MatMul", 13, {}, {In({4, 33, 64}), Weight({64, 48})}},
      {"MatMul", 13, {}, {In({2, 3, 17, 9}), In({2, 3, 9, 11})}},
      {"MatMul", 13, {}, {In({2, 1, 5, 8}), In({3, 8, 4})}},
      {"MatMul", 13, {}, {In({9}), In({9, 5})}},
      {"MatMul", 13, {}, {In({3, 4, 9}), In({9})}},
      {"MatMul", 13, {}, {In({128, 768}), Weight({768, 768})}, true},
      {"MatMul", 13, {}, {In({12, 128, 64}), In({12, 64, 128})}, true},
      // Gemm: transposes, alpha/beta, every C broadcast.
      {"Gemm", 13, {}, {In({5, 7}), Weight({7, 3}), Weight({3})}},
      {"Gemm", 13, A{{"transB", Int(1)}}, {In({6, 10}), Weight({4, 10}), Weight({4})}},
      {"Gemm", 13, A{{"transA", Int(1)}}, {In({10, 6}), Weight({10, 4}), Weight({6, 4})}},
      {"Gemm",
       13,
       A{{"transA", Int(1)}, {"transB", Int(1)}, {"alpha", Float(0.5f)}, {"beta", Float(2.0f)}},
       {In({9, 3}), Weight({5, 9}), Weight({3, 1})}},
      {"Gemm", 13, A{{"alpha", Float(1.5f)}, {"beta", Float(0.0f)}}, {In({3, 4}), Weight({4, 5}), Weight({3, 5})}},
      {"Gemm", 13, A{{"beta", Float(-1.0f)}}, {In({2, 3}), In({3, 4}), In({})}},
      {"Gemm", 13, A{{"alpha", Float(2.0f)}}, {In({1, 31}), Weight({31, 17})}},
      {"Gemm", 13, A{{"transB", Int(1)}}, {In({64, 2048}), Weight({1000, 2048}), Weight({1000})}, true},
      // Conv 2-D: pads, strides, dilations, groups, depthwise, auto_pad, no bias, batch > 1.
      {"Conv", 11, A{{"pads", Ints({1, 1, 1, 1})}}, {In({1, 3, 17, 19}), Weight({8, 3, 3, 3}), Weight({8})}},
      {"Conv",
       11,
       A{{"pads", Ints({1, 1, 1, 1})}, {"strides", Ints({2, 2})}},
       {In({2, 16, 15, 15}), Weight({32, 16, 3, 3}), Weight({32})}},
      {"Conv",
       11,
       A{{"group", Int(4)}, {"pads", Ints({0, 1, 2, 1})}},
       {In({1, 8, 10, 11}), Weight({12, 2, 3, 3}), Weight({12})}},
      {"Conv", 11, A{{"group", Int(16)}, {"pads", Ints({1, 1, 1, 1})}}, {In({2, 16, 9, 9}), Weight({16, 1, 3, 3})}},
      {"Conv",
       11,
       A{{"dilations", Ints({2, 3})}, {"pads", Ints({2, 2, 2, 2})}},
       {In({1, 4, 13, 14}), Weight({5, 4, 3, 3}), Weight({5})}},
      {"Conv",
       11,
       A{{"auto_pad", String("SAME_UPPER")}, {"strides", Ints({2, 2})}},
       {In({3, 3, 12, 9}), Weight({6, 3, 4, 4}), Weight({6})}},
      {"Conv", 11, A{{"auto_pad", String("SAME_LOWER")}}, {In({1, 2, 8, 8}), Weight({3, 2, 2, 2})}},
      {"Conv",
       11,
       A{{"auto_pad", String("VALID")}, {"strides", Ints({3, 2})}},
       {In({2, 5, 16, 11}), Weight({7, 5, 3, 3}), Weight({7})}},
      {"Conv", 11, {}, {In({2, 24, 7, 7}), Weight({40, 24, 1, 1}), Weight({40})}},
      {"Conv", 11, {}, {In({1, 3, 6, 6}), In({4, 3, 3, 3}), In({4})}},  // run-time weights
      // Conv 1-D and 3-D.
      {"Conv", 11, A{{"pads", Ints({2, 1})}, {"strides", Ints({2})}}, {In({2, 4, 20}), Weight({6, 4, 5}), Weight({6})}},
      {"Conv", 11, A{{"pads", Ints({1, 1, 1, 1, 1, 1})}}, {In({1, 2, 6, 7, 8}), Weight({4, 2, 3, 3, 3}), Weight({4})}},
      {"Conv", 11, A{{"pads", Ints({1, 1, 1, 1})}}, {In({1, 64, 56, 56}), Weight({64, 64, 3, 3}), Weight({64})}, true},
      {"Conv",
       11,
       A{{"pads", Ints({1, 1, 1, 1})}},
       {In({1, 256, 14, 14}), Weight({256, 256, 3, 3}), Weight({256})},
       true},
      {"Conv",
       11,
       A{{"pads", Ints({3, 3, 3, 3})}, {"strides", Ints({2, 2})}},
       {In({4, 3, 112, 112}), Weight({64, 3, 7, 7}), Weight({64})},
       true},
      // ConvTranspose: strides, pads, groups, output_padding, output_shape, auto_pad, dilations, 1-D.
      {"ConvTranspose",
       11,
       A{{"strides", Ints({2, 2})}, {"pads", Ints({1, 1, 1, 1})}},
       {In({1, 8, 7, 7}), Weight({8, 4, 3, 3}), Weight({4})}},
      {"ConvTranspose", 11, A{{"group", Int(2)}}, {In({2, 6, 5, 6}), Weight({6, 3, 3, 3}), Weight({6})}},
      {"ConvTranspose",
       11,
       A{{"strides", Ints({2, 2})}, {"output_padding", Ints({1, 1})}},
       {In({1, 4, 5, 5}), Weight({4, 3, 3, 3})}},
      {"ConvTranspose",
       11,
       A{{"strides", Ints({2, 2})}, {"output_shape", Ints({10, 9})}},
       {In({1, 3, 5, 4}), Weight({3, 2, 3, 3}), Weight({2})}},
      {"ConvTranspose",
       11,
       A{{"auto_pad", String("SAME_UPPER")}, {"strides", Ints({2, 2})}},
       {In({1, 3, 4, 4}), Weight({3, 2, 3, 3})}},
      {"ConvTranspose", 11, A{{"dilations", Ints({2, 2})}}, {In({1, 2, 5, 5}), Weight({2, 3, 3, 3}), Weight({3})}},
      {"ConvTranspose", 11, A{{"strides", Ints({3})}}, {In({2, 3, 9}), Weight({3, 5, 4}), Weight({5})}},
      {"ConvTranspose",
       11,
       A{{"strides", Ints({2, 2})}, {"pads", Ints({1, 1, 1, 1})}, {"output_padding", Ints({1, 1})}},
       {In({1, 128, 28, 28}), Weight({128, 64, 3, 3}), Weight({64})},
       true},
      // Pooling.
      {"MaxPool",
       12,
       A{{"kernel_shape", Ints({3, 3})}, {"strides", Ints({2, 2})}, {"pads", Ints({1, 1, 1, 1})}},
       {In({2, 8, 17, 17})}},
      {"MaxPool",
       12,
       A{{"kernel_shape", Ints({3, 2})}, {"strides", Ints({2, 2})}, {"ceil_mode", Int(1)}},
       {In({1, 3, 10, 9})}},
      {"MaxPool", 12, A{{"kernel_shape", Ints({2, 2})}, {"dilations", Ints({2, 2})}}, {In({1, 2, 9, 9})}},
      {"MaxPool", 12, A{{"kernel_shape", Ints({3})}, {"strides", Ints({2})}}, {In({2, 4, 15})}},
      {"MaxPool", 12, A{{"kernel_shape", Ints({2, 2, 2})}}, {In({1, 2, 5, 6, 7})}},
      {"AveragePool", 11, A{{"kernel_shape", Ints({3, 3})}, {"pads", Ints({1, 1, 1, 1})}}, {In({2, 5, 11, 12})}},
      {"AveragePool",
       11,
       A{{"kernel_shape", Ints({3, 3})}, {"pads", Ints({1, 1, 1, 1})}, {"count_include_pad", Int(1)}},
       {In({1, 5, 11, 12})}},
      {"AveragePool",
       11,
       A{{"kernel_shape", Ints({2, 2})}, {"strides", Ints({2, 2})}, {"ceil_mode", Int(1)}},
       {In({1, 3, 7, 9})}},
      {"AveragePool", 11, A{{"auto_pad", String("SAME_UPPER")}, {"kernel_shape", Ints({3, 3})}}, {In({2, 3, 8, 7})}},
      {"GlobalAveragePool", 1, {}, {In({2, 64, 7, 7})}},
      {"GlobalMaxPool", 1, {}, {In({1, 32, 5, 9})}},
      {"MaxPool",
       12,
       A{{"kernel_shape", Ints({3, 3})}, {"strides", Ints({2, 2})}, {"pads", Ints({1, 1, 1, 1})}},
       {In({8, 64, 112, 112})},
       true},
      // Softmax / LogSoftmax, both axis semantics.
      {"Softmax", 13, {}, {In({3, 7, 33})}},
      {"Softmax", 13, A{{"axis", Int(1)}}, {In({2, 5, 6})}},
      {"Softmax", 11, A{{"axis", Int(1)}}, {In({2, 5, 6})}},
      {"LogSoftmax", 13, {}, {In({4, 1000})}},
      {"LogSoftmax", 11, {}, {In({3, 4, 5})}},
      {"Softmax", 13, {}, {In({12, 128, 128})}, true},
      // LayerNormalization over one and two trailing dims, with and without B.
      {"LayerNormalization", 17, {}, {In({2, 7, 33}), Weight({33}), Weight({33})}},
      {"LayerNormalization",
       17,
       A{{"axis", Int(-2)}, {"epsilon", Float(1e-3f)}},
       {In({3, 4, 5}), Weight({4, 5}), Weight({4, 5})}},
      {"LayerNormalization", 17, {}, {In({5, 17}), Weight({17})}},
      {"LayerNormalization", 17, {}, {In({1, 128, 768}), Weight({768}), Weight({768})}, true},
      // Elementwise, above and below the size where the fast path starts.
      {"Relu", 14, {}, {In({2, 64, 33})}},
      {"Relu", 14, {}, {In({3, 5})}},
      {"LeakyRelu", 16, A{{"alpha", Float(0.1f)}}, {In({2, 64, 33})}},
      {"Elu", 6, A{{"alpha", Float(0.7f)}}, {In({2, 64, 33})}},
      {"Sigmoid", 13, {}, {In({4, 1031})}},
      {"Tanh", 13, {}, {In({4, 1031})}},
      {"Gelu", 20, {}, {In({4, 1031})}},
      {"Gelu", 20, A{{"approximate", String("tanh")}}, {In({4, 1031})}},
      // ReduceSum / ReduceMean: trailing reduced blocks (oneDNN) and the reference fallbacks
      // (leading block, everything, below 4096 elements).
      {"ReduceMean", 13, A{{"axes", Ints({-1})}}, {In({2, 64, 48})}},
      {"ReduceSum", 11, A{{"axes", Ints({2, 3})}, {"keepdims", Int(0)}}, {In({3, 40, 7, 7})}},
      {"ReduceSum", 11, A{{"axes", Ints({0})}}, {In({64, 96})}},
      {"ReduceMean", 13, {}, {In({70, 70})}},
      {"ReduceSum", 11, A{{"axes", Ints({1})}}, {In({3, 17})}},
      {"ReduceMean", 13, A{{"axes", Ints({-1})}}, {In({1, 128, 768})}, true},
      {"Relu", 14, {}, {In({1, 64, 112, 112})}, true},
      {"Gelu", 20, {}, {In({128, 3072})}, true},
      // Fused ops of the graph optimizer (com.mlserving): every activation, bias or not, batched.
      {"FusedConv",
       1,
       A{{"pads", Ints({1, 1, 1, 1})}, {"activation", String("Relu")}},
       {In({2, 3, 11, 10}), Weight({8, 3, 3, 3}), Weight({8})},
       false,
       "com.mlserving"},
      {"FusedConv",
       1,
       A{{"group", Int(4)}, {"activation", String("Clip")}, {"activation_params", Floats({0.0f, 0.3f})}},
       {In({1, 8, 9, 9}), Weight({8, 2, 3, 3})},
       false,
       "com.mlserving"},
      {"FusedConv",
       1,
       A{{"strides", Ints({2, 2})}, {"activation", String("LeakyRelu")}, {"activation_params", Floats({0.2f})}},
       {In({1, 4, 12, 12}), Weight({6, 4, 3, 3}), Weight({6})},
       false,
       "com.mlserving"},
      {"FusedConv",
       1,
       A{{"activation", String("Sigmoid")}},
       {In({1, 4, 6, 6}), Weight({5, 4, 1, 1}), Weight({5})},
       false,
       "com.mlserving"},
      {"FusedConv",
       1,
       A{{"activation", String("Tanh")}},
       {In({1, 3, 9}), Weight({4, 3, 2}), Weight({4})},
       false,
       "com.mlserving"},
      {"FusedMatMul", 1, {}, {In({7, 13}), Weight({13, 5}), Weight({5})}, false, "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Gelu")}},
       {In({2, 9, 16}), Weight({16, 24}), Weight({24})},
       false,
       "com.mlserving"},
      {"FusedMatMul", 1, A{{"activation", String("Relu")}}, {In({3, 8}), Weight({8, 6})}, false, "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Tanh")}},
       {In({2, 3, 5, 8}), In({2, 3, 8, 4}), Weight({4})},
       false,
       "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Gelu")}},
       {In({1, 128, 768}), Weight({768, 3072}), Weight({3072})},
       true,
       "com.mlserving"},
      // The small GEMM path (<= 64 rows, <= 256K multiply-adds) with its epilogue, its edges, the
      // narrow constant B it keeps transposed, and the tabular MLP's shapes (gemm_fusion.cc).
      {"FusedMatMul",
       1,
       A{{"activation", String("LeakyRelu")}, {"activation_params", Floats({0.1f})}},
       {In({5, 40}), Weight({40, 33}), Weight({33})},
       false,
       "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Clip")}, {"activation_params", Floats({-0.2f, 0.3f})}},
       {In({2, 3, 17}), Weight({17, 9}), Weight({9})},
       false,
       "com.mlserving"},
      {"FusedMatMul", 1, A{{"activation", String("Sigmoid")}}, {In({4, 16}), Weight({16, 10})}, false, "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Relu")}},
       {In({4, 16}), In({16, 9}), In({9})},
       false,
       "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Relu")}},
       {In({64, 32}), Weight({32, 64}), Weight({64})},
       false,
       "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Relu")}},
       {In({65, 32}), Weight({32, 64}), Weight({64})},
       false,
       "com.mlserving"},
      {"FusedMatMul", 1, {}, {In({64, 256}), Weight({256, 1}), Weight({1})}, false, "com.mlserving"},
      {"FusedMatMul", 1, {}, {In({3, 20}), Weight({20, 7}), Weight({7})}, false, "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Relu")}},
       {In({1, 256}), Weight({256, 256}), Weight({256})},
       false,
       "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Relu")}},
       {In({64, 32}), Weight({32, 256}), Weight({256})},
       false,
       "com.mlserving"},
      {"FusedMatMul",
       1,
       A{{"activation", String("Relu")}},
       {In({64, 256}), Weight({256, 256}), Weight({256})},
       false,
       "com.mlserving"},
      {"MatMul", 13, {}, {In({2, 4, 8}), Weight({8, 3})}},
      // Row blocks over ParallelFor at 2 threads (256K to 16M multiply-adds): uneven blocks,
      // run-time B, batch dims folded into the rows.
      {"FusedMatMul",
       1,
       A{{"activation", String("Relu")}},
       {In({47, 64}), Weight({64, 128}), Weight({128})},
       false,
       "com.mlserving"},
      {"MatMul", 13, {}, {In({40, 128}), In({128, 64})}},
      {"MatMul", 13, {}, {In({3, 12, 96}), Weight({96, 80})}},
  };
  return cases;
}

std::string Describe(const OpCase& c) {
  std::string s = c.op;
  for (const InputSpec& in : c.inputs) {
    s += " [";
    for (size_t d = 0; d < in.shape.size(); ++d) s += (d ? "," : "") + std::to_string(in.shape[d]);
    s += "]";
  }
  for (const auto& [name, attr] : c.attrs) {
    s += " " + name + "=";
    if (attr.kind == ir::Attribute::Kind::kInts) {
      for (size_t i = 0; i < attr.ints.size(); ++i) s += (i ? "," : "") + std::to_string(attr.ints[i]);
    } else if (attr.kind == ir::Attribute::Kind::kFloat) {
      s += std::to_string(attr.f);
    } else if (attr.kind == ir::Attribute::Kind::kString) {
      s += attr.s;
    } else {
      s += std::to_string(attr.i);
    }
  }
  return s;
}

/// A prepared case: its node, inputs and both kernels.
struct Prepared {
  ir::Node node;
  std::vector<Tensor> inputs;
  std::unique_ptr<Kernel> reference, fast;
};

Prepared Prepare(const OpCase& c, uint32_t seed, bool with_constants = true) {
  Prepared p;
  p.node = kernel_test::MakeNode(c.op, c.opset, c.attrs, c.inputs.size(), 1, c.domain);
  std::mt19937 rng(seed);
  KernelCreateContext create;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const InputSpec& spec = c.inputs[i];
    Result<Tensor> t = Tensor::Allocate(DType::kFloat32, spec.shape);
    EXPECT_TRUE(t.ok());
    std::uniform_real_distribution<float> dist(spec.low, spec.high);
    float* data = t->data<float>();
    for (int64_t e = 0; e < t->num_elements(); ++e) data[e] = dist(rng);
    p.inputs.push_back(std::move(t).value());
  }
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    create.constant_inputs.push_back(with_constants && c.inputs[i].constant ? &p.inputs[i] : nullptr);
  }
  auto reference = (*kernel_test::ReferenceOnly().FindWithConstants(c.domain, c.op))(p.node, create);
  auto fast = (*kernel_test::WithOneDnn().FindWithConstants(c.domain, c.op))(p.node, create);
  EXPECT_TRUE(reference.ok()) << reference.status().ToString();
  EXPECT_TRUE(fast.ok()) << fast.status().ToString();
  if (reference.ok()) p.reference = std::move(reference).value();
  if (fast.ok()) p.fast = std::move(fast).value();
  return p;
}

Result<Tensor> RunKernel(const Kernel& kernel, const std::vector<Tensor>& inputs, int threads) {
  KernelContext ctx;
  for (const Tensor& t : inputs) ctx.inputs.push_back(&t);
  ctx.outputs.assign(1, Tensor());
  ctx.intra_op_threads = threads;
  RETURN_IF_ERROR(kernel.Compute(ctx));
  return ctx.outputs[0];
}

TEST(OneDnnVsReference, EveryCaseMatchesTheReference) {
  uint32_t seed = 1234;
  for (const OpCase& c : Cases()) {
    if (c.perf_only) continue;
    const std::string what = Describe(c);
    for (bool with_constants : {true, false}) {
      Prepared p = Prepare(c, ++seed, with_constants);
      ASSERT_TRUE(p.reference && p.fast) << what;
      Result<Tensor> expected = RunKernel(*p.reference, p.inputs, 1);
      ASSERT_TRUE(expected.ok()) << what << ": " << expected.status().ToString();
      // Threads 1 and 2, and a repeat that hits the primitive cache.
      for (int threads : {1, 2, 1}) {
        Result<Tensor> got = RunKernel(*p.fast, p.inputs, threads);
        ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
        kernel_test::ExpectAllClose(
            *got, *expected, 1e-4, 1e-5,
            what + (with_constants ? " (constants)" : "") + " threads " + std::to_string(threads));
      }
    }
  }
}

TEST(OneDnnVsReference, InvalidInputsFailLikeTheReference) {
  // Mismatched channels and misaligned MatMul: the fast kernels hand these to the reference,
  // which names the problem.
  OpCase conv{"Conv", 11, {}, {In({1, 3, 8, 8}), Weight({4, 2, 3, 3})}};
  Prepared p = Prepare(conv, 7);
  Result<Tensor> out = RunKernel(*p.fast, p.inputs, 1);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  OpCase matmul{"MatMul", 13, {}, {In({3, 4}), In({5, 6})}};
  Prepared q = Prepare(matmul, 8);
  EXPECT_EQ(RunKernel(*q.fast, q.inputs, 1).status().code(), StatusCode::kInvalidArgument);
}

/// Runs the fast kernel of `p` from 4 threads, `calls` times each at 1 or 2 intra-op threads in
/// turn; the number of calls that failed or differ from `expected` beyond rtol 1e-4 / atol 1e-5.
int ConcurrentMismatches(const Prepared& p, const Tensor& expected, int calls) {
  std::atomic<int> mismatches{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < calls; ++i) {
        Result<Tensor> got = RunKernel(*p.fast, p.inputs, 1 + (w + i) % 2);
        if (!got.ok() || got->num_elements() != expected.num_elements()) {
          ++mismatches;
          continue;
        }
        for (int64_t e = 0; e < got->num_elements(); ++e) {
          const float f = got->data<float>()[e], r = expected.data<float>()[e];
          if (std::fabs(f - r) > 1e-5f + 1e-4f * std::fabs(r)) {
            ++mismatches;
            break;
          }
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  return mismatches.load();
}

TEST(OneDnnVsReference, ConcurrentCallsWithDifferentThreadCounts) {
  OpCase conv{"Conv", 11, {{"pads", Ints({1, 1, 1, 1})}}, {In({2, 16, 20, 20}), Weight({24, 16, 3, 3}), Weight({24})}};
  Prepared p = Prepare(conv, 99);
  Result<Tensor> expected = RunKernel(*p.reference, p.inputs, 1);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(ConcurrentMismatches(p, *expected, 5), 0);
}

TEST(OneDnnVsReference, ConcurrentRowSplitMatMuls) {
  // The tabular MLP's middle layer at 2 threads from several callers: row blocks of concurrent
  // calls share the ParallelFor helpers and each thread's argument memories.
  OpCase layer{
      "FusedMatMul",  1, {{"activation", String("Relu")}}, {In({64, 256}), Weight({256, 256}), Weight({256})}, false,
      "com.mlserving"};
  Prepared p = Prepare(layer, 77);
  Result<Tensor> expected = RunKernel(*p.reference, p.inputs, 1);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(ConcurrentMismatches(p, *expected, 50), 0);
}

TEST(KernelCreateContext, RegistryHandsConstantsToFactoriesThatTakeThem) {
  KernelRegistry registry;
  // The constants seen by the last factory call (copied: the pointers live for the call only).
  std::vector<std::optional<Tensor>> seen;
  registry.RegisterWithConstants("", "Probe", [&seen](const ir::Node&, const KernelCreateContext& create) {
    seen.clear();
    for (const Tensor* t : create.constant_inputs)
      seen.push_back(t != nullptr ? std::optional<Tensor>(*t) : std::nullopt);
    return Result<std::unique_ptr<Kernel>>(
        std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>([](KernelContext&) { return Status::Ok(); })));
  });
  registry.Register("", "Plain", [](const ir::Node&) {
    return Result<std::unique_ptr<Kernel>>(
        std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>([](KernelContext&) { return Status::Ok(); })));
  });
  ASSERT_NE(registry.FindWithConstants("", "Plain"), nullptr);

  // A graph Probe(x, w) with w an initializer: the evaluator passes w, and only w.
  ir::Graph graph;
  const ir::ValueId x = graph.GetOrAddValue("x"), w = graph.GetOrAddValue("w"), y = graph.GetOrAddValue("y");
  graph.value(w).constant = Tensor::FromVector<float>({2}, {1.0f, 2.0f});
  graph.inputs() = {x};
  graph.outputs() = {y};
  ir::Node node;
  node.op_type = "Probe";
  node.inputs = {x, w};
  node.outputs = {y};
  graph.nodes().push_back(node);
  ASSERT_TRUE(engine::GraphEvaluator::Create(std::move(graph), registry).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[0].has_value());
  ASSERT_TRUE(seen[1].has_value());
  EXPECT_EQ(seen[1]->data<float>()[1], 2.0f);

  // The node-only form calls the same factory without constants.
  ASSERT_TRUE((*registry.Find("", "Probe"))(node).ok());
  EXPECT_TRUE(seen.empty());
}

/// Median wall time of `fn` in milliseconds over enough runs to fill ~0.3 s (3 to 200 runs).
template <typename F>
double MedianMs(F&& fn) {
  fn();  // warm-up: primitive creation and weight packing happen here
  std::vector<double> times;
  const auto start = std::chrono::steady_clock::now();
  while (times.size() < 3 ||
         (times.size() < 200 && std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300))) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

TEST(OneDnnVsReference, Perf) {
  const char* flag = std::getenv("MLSERVING_OPTEST_PERF");
  if (flag == nullptr || std::string(flag) != "1") GTEST_SKIP() << "set MLSERVING_OPTEST_PERF=1 to time the kernels";
  std::printf("%-90s %12s %12s %12s %9s %9s\n", "case", "ref_ms", "fast_ms_t1", "fast_ms_t2", "speedup1", "speedup2");
  uint32_t seed = 5678;
  for (const OpCase& c : Cases()) {
    Prepared p = Prepare(c, ++seed);
    ASSERT_TRUE(p.reference && p.fast);
    const double ref = MedianMs([&] { ASSERT_TRUE(RunKernel(*p.reference, p.inputs, 1).ok()); });
    const double fast1 = MedianMs([&] { ASSERT_TRUE(RunKernel(*p.fast, p.inputs, 1).ok()); });
    const double fast2 = MedianMs([&] { ASSERT_TRUE(RunKernel(*p.fast, p.inputs, 2).ok()); });
    std::printf("%-90s %12.4f %12.4f %12.4f %8.1fx %8.1fx\n", Describe(c).substr(0, 90).c_str(), ref, fast1, fast2,
                ref / fast1, ref / fast2);
  }
}

/// Binary and reduction cases for the oneDNN-vs-own-kernel measurement (docs/PERFORMANCE.md,
/// "Elementwise and reductions on oneDNN"): the reference kernel against the bare oneDNN
/// binary / reduction primitive (cached, output allocated per call like the kernels do).
struct PrimitiveCase {
  OpCase op;
  dnnl::algorithm algorithm;
  std::vector<int64_t> axes;  ///< reductions: the normalised reduced axes
};

std::vector<PrimitiveCase> PrimitiveCases() {
  using A = std::map<std::string, ir::Attribute>;
  const auto mean = dnnl::algorithm::reduction_mean, sum = dnnl::algorithm::reduction_sum;
  const auto add = dnnl::algorithm::binary_add, mul = dnnl::algorithm::binary_mul;
  return {
      {{"ReduceMean", 13, A{{"axes", Ints({-1})}}, {In({1, 128, 768})}}, mean, {2}},
      {{"ReduceSum", 11, A{{"axes", Ints({-1})}}, {In({1, 128, 768})}}, sum, {2}},
      {{"ReduceMax", 13, A{{"axes", Ints({-1})}}, {In({1, 128, 768})}}, dnnl::algorithm::reduction_max, {2}},
      {{"ReduceMean", 13, A{{"axes", Ints({2, 3})}}, {In({1, 512, 7, 7})}}, mean, {2, 3}},
      {{"ReduceSum", 11, A{{"axes", Ints({0})}}, {In({64, 256})}}, sum, {0}},
      {{"ReduceSum", 11, A{{"axes", Ints({1})}}, {In({64, 256})}}, sum, {1}},
      {{"ReduceMean", 13, A{{"axes", Ints({-1})}}, {In({1, 10})}}, mean, {1}},
      {{"Add", 14, {}, {In({1, 64, 56, 56}), In({1, 64, 56, 56})}}, add, {}},
      {{"Add", 14, {}, {In({1, 64, 56, 56}), In({64, 1, 1})}}, add, {}},
      {{"Add", 14, {}, {In({128, 768}), In({768})}}, add, {}},
      {{"Mul", 14, {}, {In({1, 64, 56, 56}), In({})}}, mul, {}},
      {{"Add", 14, {}, {In({1, 10}), In({1, 10})}}, add, {}},
      {{"Max", 13, {}, {In({128, 768}), In({128, 768})}}, dnnl::algorithm::binary_max, {}},
  };
}

/// Median ms of the bare oneDNN primitive for `c` on `threads` threads.
double OneDnnPrimitiveMs(const PrimitiveCase& c, const std::vector<Tensor>& inputs, int threads) {
  using namespace onednn;  // NOLINT(google-build-using-namespace): test-local
  const Tensor& x = inputs[0];
  const dnnl::memory::dims dx(x.shape().begin(), x.shape().end());
  ScopedOmpThreads omp_threads(threads);
  if (c.axes.empty()) {
    dnnl::memory::dims db(dx.size(), 1);
    const Shape& bs = inputs[1].shape();
    for (size_t d = 0; d < bs.size(); ++d) db[dx.size() - bs.size() + d] = bs[d];
    const dnnl::memory::desc ma = PlainDesc(dx), mb = PlainDesc(db);
    const dnnl::binary::primitive_desc pd(dnnl::binary::desc(c.algorithm, ma, mb, ma), DefaultAttr(), CpuEngine());
    const dnnl::binary primitive(pd);
    return MedianMs([&] {
      Tensor out = Tensor::AllocateUninitialized(DType::kFloat32, x.shape()).value();
      Execute(primitive, pd,
              {{DNNL_ARG_SRC_0, WrapTensor(ma, x)},
               {DNNL_ARG_SRC_1, WrapTensor(mb, inputs[1])},
               {DNNL_ARG_DST, WrapTensor(ma, out)}});
    });
  }
  dnnl::memory::dims dy = dx;
  Shape out_shape = x.shape();
  for (int64_t a : c.axes) dy[static_cast<size_t>(a)] = 1, out_shape[static_cast<size_t>(a)] = 1;
  const dnnl::memory::desc mx = PlainDesc(dx), my = PlainDesc(dy);
  const dnnl::reduction::primitive_desc pd(dnnl::reduction::desc(c.algorithm, mx, my, 0.0f, 0.0f), DefaultAttr(),
                                           CpuEngine());
  const dnnl::reduction primitive(pd);
  return MedianMs([&] {
    Tensor out = Tensor::AllocateUninitialized(DType::kFloat32, out_shape).value();
    Execute(primitive, pd, {{DNNL_ARG_SRC, WrapTensor(mx, x)}, {DNNL_ARG_DST, WrapTensor(my, out)}});
  });
}

TEST(OneDnnVsReference, ElementwiseAndReductionPrimitivesPerf) {
  const char* flag = std::getenv("MLSERVING_OPTEST_PERF");
  if (flag == nullptr || std::string(flag) != "1") GTEST_SKIP() << "set MLSERVING_OPTEST_PERF=1 to time the kernels";
  std::printf("%-60s %10s %10s %10s %10s\n", "case", "kernel_t1", "kernel_t2", "onednn_t1", "onednn_t2");
  uint32_t seed = 4321;
  for (const PrimitiveCase& c : PrimitiveCases()) {
    Prepared p = Prepare(c.op, ++seed);
    ASSERT_TRUE(p.fast);
    const double k1 = MedianMs([&] { ASSERT_TRUE(RunKernel(*p.fast, p.inputs, 1).ok()); });
    const double k2 = MedianMs([&] { ASSERT_TRUE(RunKernel(*p.fast, p.inputs, 2).ok()); });
    const double d1 = OneDnnPrimitiveMs(c, p.inputs, 1), d2 = OneDnnPrimitiveMs(c, p.inputs, 2);
    std::printf("%-60s %10.4f %10.4f %10.4f %10.4f\n", Describe(c.op).substr(0, 60).c_str(), k1, k2, d1, d2);
  }
}

}  // namespace
}  // namespace mlserving::kernels

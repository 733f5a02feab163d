#include <gtest/gtest.h>

#include "kernels/fused_activation.h"
#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::FloatAttr;
using testing::GraphBuilder;
using testing::IntAttr;
using testing::RandomTensor;

/// torch's Linear -> ReLU -> Linear -> ReLU -> Linear as the TorchScript exporter writes it
/// (Gemm with transB = 1, C = the bias), on input [batch, 32].
ir::Graph TorchMlp(int64_t batch) {
  GraphBuilder b;
  ir::ValueId x = b.Input("x", {batch, 32});
  const std::map<std::string, ir::Attribute> linear = {
      {"alpha", FloatAttr(1.0f)}, {"beta", FloatAttr(1.0f)}, {"transB", IntAttr(1)}};
  x = b.Op("Gemm", {x, b.Constant("w0", RandomTensor({48, 32}, 1)), b.Constant("b0", RandomTensor({48}, 2))}, linear);
  x = b.Op("Relu", {x});
  x = b.Op("Gemm", {x, b.Constant("w1", RandomTensor({40, 48}, 3)), b.Constant("b1", RandomTensor({40}, 4))}, linear);
  x = b.Op("Relu", {x});
  x = b.Op("Gemm", {x, b.Constant("w2", RandomTensor({1, 40}, 5)), b.Constant("b2", RandomTensor({1}, 6))}, linear);
  b.Output(x);
  return b.graph();
}

TEST(GemmFusion, FusesATorchMlpIntoFusedMatMulsWithReluAndPlainWeights) {
  // Batch 1 and 5 take the small GEMM, 100 rows oneDNN.
  for (int64_t batch : {1, 5, 64, 100}) {
    SCOPED_TRACE(batch);
    const ir::Graph mlp = TorchMlp(batch);
    ir::Graph fused = testing::RunPassAndCompare(mlp, FuseGemm, 3, {RandomTensor({batch, 32}, 7)});
    ASSERT_EQ(fused.nodes().size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      const ir::Node& node = fused.nodes()[i];
      EXPECT_EQ(node.op_type, "FusedMatMul");
      EXPECT_EQ(node.domain, kernels::kMlServingDomain);
      EXPECT_TRUE(node.attributes.count("transB") == 0);
      ASSERT_EQ(node.inputs.size(), 3u);
      EXPECT_EQ(node.GetString("activation", ""), i < 2 ? "Relu" : "");
    }
    // B is now [K, N]: w0 was [48, 32].
    EXPECT_EQ(fused.value(fused.nodes()[0].inputs[1]).constant->shape(), Shape({32, 48}));
    EXPECT_EQ(fused.nodes()[2].outputs[0], mlp.outputs()[0]);
  }
}

TEST(GemmFusion, DeadNodeEliminationReleasesTheTransposedWeights) {
  ir::Graph graph = TorchMlp(3);
  ASSERT_TRUE(FuseGemm(graph, PassContext{kernels::KernelRegistry::Default()}).ok());
  ASSERT_TRUE(EliminateDeadNodes(graph, PassContext{kernels::KernelRegistry::Default()}).ok());
  for (const char* name : {"w0", "w1", "w2", "b0", "b1", "b2"}) {
    EXPECT_FALSE(graph.value(*graph.FindValue(name)).constant.has_value()) << name;
  }
}

TEST(GemmFusion, FoldsBetaAndEveryRowBiasForm) {
  struct Case {
    const char* what;
    Shape c_shape;  ///< empty = no C
    float beta;
    bool trans_b;
  };
  for (const Case& c : {Case{"C [N], transB 0", {12}, 1.0f, false}, Case{"C [1, N], beta 0.5", {1, 12}, 0.5f, true},
                        Case{"scalar C, beta -2", {}, -2.0f, false}, Case{"C [1]", {1}, 1.0f, true},
                        Case{"no C", {0}, 1.0f, false}, Case{"beta 0", {12}, 0.0f, false}}) {
    SCOPED_TRACE(c.what);
    GraphBuilder b;
    const ir::ValueId a = b.Input("a", {6, 16});
    std::vector<ir::ValueId> inputs = {a, b.Constant("w", RandomTensor(c.trans_b ? Shape{12, 16} : Shape{16, 12}, 8))};
    if (c.c_shape != Shape{0}) {
      inputs.push_back(c.c_shape.empty() ? b.Scalar("c", 0.75f) : b.Constant("c", RandomTensor(c.c_shape, 9)));
    }
    b.Output(b.Op("Gemm", inputs, {{"beta", FloatAttr(c.beta)}, {"transB", IntAttr(c.trans_b ? 1 : 0)}}));
    ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseGemm, 1, {RandomTensor({6, 16}, 10)});
    ASSERT_EQ(fused.nodes().size(), 1u);
    const bool has_bias = c.c_shape != Shape{0} && c.beta != 0.0f;
    EXPECT_EQ(fused.nodes()[0].inputs.size(), has_bias ? 3u : 2u);
  }
}

TEST(GemmFusion, AbsorbsEveryFusableActivation) {
  struct Case {
    const char* op;
    std::map<std::string, ir::Attribute> attributes;
  };
  for (const Case& c : {Case{"Relu", {}}, Case{"LeakyRelu", {{"alpha", FloatAttr(0.1f)}}}, Case{"Sigmoid", {}},
                        Case{"Tanh", {}}, Case{"Gelu", {}}, Case{"Clip", {}}}) {
    for (int64_t rows : {3, 80}) {  // the small GEMM's epilogue, oneDNN's post-op
      SCOPED_TRACE(::testing::Message() << c.op << " rows=" << rows);
      GraphBuilder b;
      const ir::ValueId a = b.Input("a", {rows, 16});
      const ir::ValueId y =
          b.Op("Gemm", {a, b.Constant("w", RandomTensor({16, 20}, 11)), b.Constant("c", RandomTensor({20}, 12))});
      if (std::string(c.op) == "Clip") {
        b.Output(b.Op("Clip", {y, b.Scalar("lo", -0.5f), b.Scalar("hi", 0.5f)}));
      } else {
        b.Output(b.Op(c.op, {y}, c.attributes, std::string(c.op) == "Gelu" ? 20 : 13));
      }
      ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseGemm, 1, {RandomTensor({rows, 16}, 13, -3.0f, 3.0f)});
      ASSERT_EQ(fused.nodes().size(), 1u);
      EXPECT_EQ(fused.nodes()[0].GetString("activation", ""), c.op);
    }
  }
}

TEST(GemmFusion, LeavesGemmsItCannotExpressAsAMatMul) {
  auto expect_left = [](const char* what, GraphBuilder& b, const std::vector<Tensor>& inputs) {
    SCOPED_TRACE(what);
    testing::RunPassAndCompare(b.graph(), FuseGemm, 0, inputs);
  };
  const Tensor a = RandomTensor({4, 8}, 14);
  {
    GraphBuilder b;
    b.Output(
        b.Op("Gemm", {b.Input("a", {4, 8}), b.Constant("w", RandomTensor({8, 5}, 15))}, {{"alpha", FloatAttr(2.0f)}}));
    expect_left("alpha 2", b, {a});
  }
  {
    GraphBuilder b;
    b.Output(b.Op("Gemm", {b.Input("a", {8, 4}), b.Constant("w", RandomTensor({8, 5}, 16))}, {{"transA", IntAttr(1)}}));
    expect_left("transA", b, {RandomTensor({8, 4}, 17)});
  }
  {
    GraphBuilder b;
    b.Output(b.Op("Gemm", {b.Input("a", {4, 8}), b.Constant("w", RandomTensor({8, 5}, 18)),
                           b.Constant("c", RandomTensor({4, 5}, 19))}));
    expect_left("C [M, N]", b, {a});
  }
  {
    GraphBuilder b;
    b.Output(b.Op("Gemm", {b.Input("a", {4, 8}), b.Constant("w", RandomTensor({8, 5}, 20)),
                           b.Constant("c", RandomTensor({4, 1}, 21))}));
    expect_left("C [M, 1]", b, {a});
  }
  {
    GraphBuilder b;
    b.Output(b.Op("Gemm", {b.Input("a", {4, 8}), b.Input("w", {8, 5})}));
    expect_left("run-time B", b, {a, RandomTensor({8, 5}, 22)});
  }
  {
    GraphBuilder b;
    b.Output(b.Op("Gemm", {b.Input("a", {4, 8}), b.Constant("w", RandomTensor({8, 5}, 23)), b.Input("c", {5})}));
    expect_left("run-time C", b, {a, RandomTensor({5}, 24)});
  }
  {
    GraphBuilder b;
    b.Output(b.Op("Gemm", {b.InputOfUnknownShape("a", DType::kFloat32), b.Constant("w", RandomTensor({8, 5}, 25))}));
    expect_left("A of unknown rank", b, {a});
  }
}

TEST(GemmFusion, LeavesTheActivationWhenTheProductIsReadTwice) {
  GraphBuilder b;
  const ir::ValueId y = b.Op("Gemm", {b.Input("a", {4, 8}), b.Constant("w", RandomTensor({8, 5}, 26))});
  b.Output(b.Op("Relu", {y}));
  b.Output(y);
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseGemm, 1, {RandomTensor({4, 8}, 27)});
  ASSERT_EQ(fused.nodes().size(), 2u);
  EXPECT_FALSE(fused.nodes()[0].Has("activation"));
  EXPECT_EQ(fused.nodes()[1].op_type, "Relu");
}

}  // namespace
}  // namespace mlserving::optimizer

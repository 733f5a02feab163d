#include <gtest/gtest.h>

#include <functional>

#include "optimizer/passes.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::GraphBuilder;
using testing::RandomTensor;

// Above the oneDNN eltwise kernel's threshold, so the fused Gelu runs the fast path.
const Shape kX = {2, 2100};

/// Builds the graph `body(b, x)` over one input and checks the pass fuses it into one Gelu with
/// `approximate`, computing the same values.
void ExpectFusedToGelu(const std::function<ir::ValueId(GraphBuilder&, ir::ValueId)>& body,
                       const std::string& approximate) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", kX);
  const ir::ValueId y = body(b, x);
  b.Output(y);
  ir::Graph fused = testing::RunPassAndCompare(b.graph(), FuseGelu, 1, {RandomTensor(kX, 1, -4.0f, 4.0f)});
  ASSERT_EQ(fused.nodes().size(), 1u);
  const ir::Node& node = fused.nodes()[0];
  EXPECT_EQ(node.op_type, "Gelu");
  EXPECT_EQ(node.inputs, std::vector<ir::ValueId>{x});
  EXPECT_EQ(node.outputs, std::vector<ir::ValueId>{y});
  EXPECT_EQ(node.GetString("approximate", "none"), approximate);
}

/// 1 + Erf(x / sqrt(2)) as torch exports it (Div), or with Mul by 1/sqrt(2).
ir::ValueId OnePlusErf(GraphBuilder& b, ir::ValueId x, bool by_mul) {
  const ir::ValueId scaled =
      by_mul ? b.Op("Mul", {x, b.Scalar("inv_sqrt2", 0.70710677f)}) : b.Op("Div", {x, b.Scalar("sqrt2", 1.4142135f)});
  return b.Op("Add", {b.Op("Erf", {scaled}), b.Scalar("one", 1.0f)});
}

TEST(GeluFusion, FusesTorchErfExport) {
  // torch: ((x * (erf(x / 1.4142135) + 1)) * 0.5
  ExpectFusedToGelu(
      [](GraphBuilder& b, ir::ValueId x) {
        return b.Op("Mul", {b.Op("Mul", {x, OnePlusErf(b, x, false)}), b.Scalar("half", 0.5f)});
      },
      "none");
}

TEST(GeluFusion, FusesHalfFirstAndMulByInverseSqrt2) {
  // Hugging Face: (x * 0.5) * (1 + erf(x * 0.70710677))
  ExpectFusedToGelu(
      [](GraphBuilder& b, ir::ValueId x) {
        return b.Op("Mul", {b.Op("Mul", {b.Scalar("half", 0.5f), x}), OnePlusErf(b, x, true)});
      },
      "none");
}

TEST(GeluFusion, FusesHalfTimesTheFactor) {
  // x * (0.5 * (1 + erf(x / sqrt(2))))
  ExpectFusedToGelu(
      [](GraphBuilder& b, ir::ValueId x) {
        return b.Op("Mul", {b.Op("Mul", {b.Scalar("half", 0.5f), OnePlusErf(b, x, false)}), x});
      },
      "none");
}

TEST(GeluFusion, FusesTorchTanhApproximation) {
  // torch approximate='tanh': 0.5 * (x * (1 + tanh(0.79788 * (x + 0.044715 * (x * (x * x))))))
  ExpectFusedToGelu(
      [](GraphBuilder& b, ir::ValueId x) {
        const ir::ValueId cube = b.Op("Mul", {x, b.Op("Mul", {x, x})});
        const ir::ValueId inner =
            b.Op("Mul", {b.Scalar("k", 0.7978846f), b.Op("Add", {x, b.Op("Mul", {b.Scalar("c", 0.044715f), cube})})});
        const ir::ValueId factor = b.Op("Add", {b.Scalar("one", 1.0f), b.Op("Tanh", {inner})});
        return b.Op("Mul", {b.Scalar("half", 0.5f), b.Op("Mul", {x, factor})});
      },
      "tanh");
}

TEST(GeluFusion, FusesGeluNewWithPow) {
  // Hugging Face gelu_new: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * pow(x, 3))))
  ExpectFusedToGelu(
      [](GraphBuilder& b, ir::ValueId x) {
        const ir::ValueId cube = b.Op("Pow", {x, b.Scalar("three", 3.0f)});
        const ir::ValueId inner =
            b.Op("Mul", {b.Op("Add", {b.Op("Mul", {cube, b.Scalar("c", 0.044715f)}), x}), b.Scalar("k", 0.7978846f)});
        const ir::ValueId factor = b.Op("Add", {b.Op("Tanh", {inner}), b.Scalar("one", 1.0f)});
        return b.Op("Mul", {b.Op("Mul", {b.Scalar("half", 0.5f), x}), factor});
      },
      "tanh");
}

TEST(GeluFusion, LeavesOtherConstants) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", kX);
  const ir::ValueId erf = b.Op("Erf", {b.Op("Div", {x, b.Scalar("two", 2.0f)})});
  const ir::ValueId factor = b.Op("Add", {erf, b.Scalar("one", 1.0f)});
  b.Output(b.Op("Mul", {b.Op("Mul", {x, factor}), b.Scalar("half", 0.5f)}));
  testing::RunPassAndCompare(b.graph(), FuseGelu, 0, {RandomTensor(kX, 2)});
}

TEST(GeluFusion, LeavesAnIntermediateReadElsewhere) {
  GraphBuilder b;
  const ir::ValueId x = b.Input("x", kX);
  const ir::ValueId factor = OnePlusErf(b, x, false);
  b.Output(b.Op("Mul", {b.Op("Mul", {x, factor}), b.Scalar("half", 0.5f)}));
  b.Output(b.Op("Relu", {factor}));
  testing::RunPassAndCompare(b.graph(), FuseGelu, 0, {RandomTensor(kX, 3)});
}

}  // namespace
}  // namespace mlserving::optimizer

#include <gtest/gtest.h>

#include <cstdlib>

#include "optimizer/optimizer.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::ExpectSameOutputs;
using testing::GraphBuilder;
using testing::Int64s;
using testing::Iota;

/// x -> Identity -> Add(constant Add(c, c)) -> Reshape(Shape(x)) -> Exp (unused)
ir::Graph SmallModel() {
  GraphBuilder b;
  b.Input("x", {2, 3});
  b.Constant("c", Iota({3}));
  b.Node("Identity", {"x"}, {"i"});
  b.Node("Add", {"c", "c"}, {"cc"});
  b.Node("Add", {"i", "cc"}, {"a"});
  b.Node("Shape", {"x"}, {"s"});
  b.Node("Reshape", {"a", "s"}, {"y"});
  b.Node("Exp", {"y"}, {"unused"});
  b.Output("y");
  return b.graph();
}

TEST(OptimizationLevelTest, ParsesTheEnvironmentVariable) {
  ::unsetenv(kOptimizationLevelEnv);
  EXPECT_EQ(OptimizationLevelFromEnvironment().value(), OptimizationLevel::kAll);
  ::setenv(kOptimizationLevelEnv, "basic", 1);
  EXPECT_EQ(OptimizationLevelFromEnvironment().value(), OptimizationLevel::kBasic);
  ::setenv(kOptimizationLevelEnv, "none", 1);
  EXPECT_EQ(OptimizationLevelFromEnvironment().value(), OptimizationLevel::kNone);
  ::setenv(kOptimizationLevelEnv, "fast", 1);
  Result<OptimizationLevel> bad = OptimizationLevelFromEnvironment();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("MLSERVING_GRAPH_OPTIMIZATION"), std::string::npos);
  EXPECT_NE(bad.status().message().find("none, basic or all"), std::string::npos);
  ::unsetenv(kOptimizationLevelEnv);
}

TEST(OptimizationLevelTest, NoneLeavesTheGraphAndBasicSimplifiesIt) {
  const ir::Graph model = SmallModel();
  ir::Graph untouched = model;
  Result<OptimizationReport> none = Optimize(untouched, kernels::KernelRegistry::Default(), OptimizationLevel::kNone);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(untouched.nodes().size(), model.nodes().size());
  EXPECT_EQ(none.value().Summary(), "");

  ir::Graph basic = model;
  Result<OptimizationReport> report = Optimize(basic, kernels::KernelRegistry::Default(), OptimizationLevel::kBasic);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // Identity and the unused Exp go; Add(c, c) and Shape(x) fold; the Reshape to x's own
  // shape is then a no-op. One Add is left.
  ASSERT_EQ(basic.nodes().size(), 1u) << report.value().Summary();
  EXPECT_EQ(basic.nodes()[0].op_type, "Add");
  EXPECT_NE(report.value().Summary().find("constant_folding=2"), std::string::npos) << report.value().Summary();
  EXPECT_EQ(basic.outputs(), model.outputs());
  ExpectSameOutputs(model, basic, {Iota({2, 3})});
}

}  // namespace
}  // namespace mlserving::optimizer

#include <gtest/gtest.h>

#include "optimizer/passes.h"
#include "optimizer/shape_inference.h"
#include "optimizer/test_graph.h"

namespace mlserving::optimizer {
namespace {

using testing::Floats;
using testing::GraphBuilder;
using testing::Int64s;
using testing::IntAttr;
using testing::IntsAttr;
using testing::Iota;

const ir::ValueType& TypeOf(GraphBuilder& b, const std::string& name) { return b.graph().value(b.Id(name)).type; }

int Infer(ir::Graph& graph) {
  Result<int> n = InferShapes(graph, PassContext{kernels::KernelRegistry::Default()});
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? n.value() : -1;
}

/// Runs `graph` with every node output exposed and checks each inferred type against the tensor
/// the kernels actually produced: dtype, rank and every dim inference claims to know.
void ExpectInferenceMatchesRun(const ir::Graph& graph, const std::vector<Tensor>& inputs) {
  ir::Graph exposed = graph;
  exposed.outputs().clear();
  for (const ir::Node& node : exposed.nodes()) {
    for (ir::ValueId out : node.outputs) exposed.outputs().push_back(out);
  }
  Result<std::vector<Tensor>> values = testing::RunGraph(exposed, inputs);
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  for (size_t i = 0; i < values->size(); ++i) {
    const ir::Value& value = exposed.value(exposed.outputs()[i]);
    const Tensor& actual = (*values)[i];
    SCOPED_TRACE("value '" + value.name + "' = " + actual.DebugString());
    ASSERT_TRUE(value.type.has_dtype);
    EXPECT_EQ(value.type.dtype, actual.dtype());
    ASSERT_TRUE(value.type.has_shape);
    ASSERT_EQ(value.type.shape.size(), actual.shape().size());
    for (size_t d = 0; d < actual.shape().size(); ++d) {
      if (value.type.shape[d] >= 0) {
        EXPECT_EQ(value.type.shape[d], actual.shape()[d]) << "dim " << d;
      }
    }
  }
}

TEST(ShapeInferenceTest, BatchSymbolFlowsThroughACnn) {
  GraphBuilder b;
  b.Input("x", {-1, 3, 8, 8}, DType::kFloat32, {"N", "", "", ""});
  b.Constant("w", Iota({4, 3, 3, 3}));
  b.Constant("fc", Iota({4, 10}));
  b.Node("Conv", {"x", "w"}, {"c"}, {{"pads", IntsAttr({1, 1, 1, 1})}, {"strides", IntsAttr({2, 2})}});
  b.Node("Relu", {"c"}, {"r"});
  b.Node("MaxPool", {"r"}, {"p"}, {{"kernel_shape", IntsAttr({2, 2})}, {"strides", IntsAttr({2, 2})}});
  b.Node("GlobalAveragePool", {"p"}, {"g"});
  b.Node("Flatten", {"g"}, {"f"});
  b.Node("MatMul", {"f", "fc"}, {"m"});
  b.Node("Softmax", {"m"}, {"y"}, {{"axis", IntAttr(-1)}});
  b.Output("y");
  EXPECT_EQ(Infer(b.graph()), 7);
  EXPECT_EQ(TypeOf(b, "c").shape, (Shape{-1, 4, 4, 4}));
  EXPECT_EQ(TypeOf(b, "p").shape, (Shape{-1, 4, 2, 2}));
  EXPECT_EQ(TypeOf(b, "g").shape, (Shape{-1, 4, 1, 1}));
  EXPECT_EQ(TypeOf(b, "f").shape, (Shape{-1, 4}));
  const ir::ValueType& y = TypeOf(b, "y");
  EXPECT_EQ(y.shape, (Shape{-1, 10}));
  EXPECT_EQ(y.dim_names, (std::vector<std::string>{"N", ""}));
  EXPECT_EQ(y.dtype, DType::kFloat32);
  // A second run finds nothing new.
  EXPECT_EQ(Infer(b.graph()), 0);
  ExpectInferenceMatchesRun(b.graph(), {Iota({2, 3, 8, 8})});
}

TEST(ShapeInferenceTest, EqualSymbolsBroadcastAndDifferentOnesStayUnknown) {
  GraphBuilder b;
  b.Input("a", {-1, 3}, DType::kFloat32, {"N", ""});
  b.Input("b", {-1, 1}, DType::kFloat32, {"N", ""});
  b.Input("c", {-1, 3}, DType::kFloat32, {"M", ""});
  b.Input("d", {1, 5});
  b.Node("Add", {"a", "b"}, {"ab"});
  b.Node("Mul", {"a", "c"}, {"ac"});
  b.Node("Sub", {"b", "d"}, {"bd"});
  b.Node("Less", {"a", "b"}, {"lt"});
  b.Output("ab");
  b.Output("ac");
  b.Output("bd");
  b.Output("lt");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "ab").shape, (Shape{-1, 3}));
  EXPECT_EQ(TypeOf(b, "ab").dim_names, (std::vector<std::string>{"N", ""}));
  EXPECT_EQ(TypeOf(b, "ac").shape, (Shape{-1, 3}));
  EXPECT_TRUE(TypeOf(b, "ac").dim_names.empty());  // N or M: either may be 1
  EXPECT_EQ(TypeOf(b, "bd").shape, (Shape{-1, 5}));
  EXPECT_EQ(TypeOf(b, "bd").dim_names, (std::vector<std::string>{"N", ""}));
  EXPECT_EQ(TypeOf(b, "lt").dtype, DType::kBool);
}

TEST(ShapeInferenceTest, ReshapeResolvesZeroAndMinusOneWithSymbols) {
  GraphBuilder b;
  b.Input("x", {-1, 3, 4}, DType::kFloat32, {"N", "", ""});
  b.Constant("keep_flatten", Int64s({0, -1}));
  b.Constant("split_batch", Int64s({-1, 4}));
  b.Constant("back", Int64s({-1, 3, 4}));
  b.Node("Reshape", {"x", "keep_flatten"}, {"flat"});
  b.Node("Reshape", {"x", "split_batch"}, {"rows"});
  b.Node("Reshape", {"flat", "back"}, {"again"});
  b.Output("rows");
  b.Output("again");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "flat").shape, (Shape{-1, 12}));
  EXPECT_EQ(TypeOf(b, "flat").dim_names, (std::vector<std::string>{"N", ""}));
  EXPECT_EQ(TypeOf(b, "rows").shape, (Shape{-1, 4}));  // 3N: no name
  EXPECT_TRUE(TypeOf(b, "rows").dim_names.empty());
  EXPECT_EQ(TypeOf(b, "again").shape, (Shape{-1, 3, 4}));
  EXPECT_EQ(TypeOf(b, "again").dim_names, (std::vector<std::string>{"N", "", ""}));
  ExpectInferenceMatchesRun(b.graph(), {Iota({2, 3, 4})});
}

TEST(ShapeInferenceTest, ShapeOpsMatchWhatTheKernelsCompute) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4});
  b.Constant("axes0", Int64s({0}));
  b.Constant("starts", Int64s({1, -3}));
  b.Constant("ends", Int64s({100, -1}));
  b.Constant("axes", Int64s({1, 2}));
  b.Constant("reduce_axes", Int64s({1}));
  b.Constant("expand", Int64s({3, 1, 1, 4}));
  b.Constant("tile", Int64s({1, 2, 1}));
  b.Constant("split", Int64s({3, 5}));
  b.Constant("indices", Tensor::FromVector<int64_t>({2, 2}, {0, 1, 1, 0}));
  b.Node("Transpose", {"x"}, {"t"}, {{"perm", IntsAttr({2, 0, 1})}});
  b.Node("Unsqueeze", {"x", "axes0"}, {"u"});
  b.Node("Squeeze", {"u", "axes0"}, {"s"});
  b.Node("Slice", {"x", "starts", "ends", "axes"}, {"sl"});
  b.Node("Concat", {"x", "x"}, {"cat"}, {{"axis", IntAttr(-1)}});
  b.Node("Gather", {"x", "indices"}, {"ga"}, {{"axis", IntAttr(1)}});
  b.Node("ReduceSum", {"x", "reduce_axes"}, {"rs"}, {{"keepdims", IntAttr(0)}});
  b.Node("ReduceMean", {"x"}, {"rm"}, {{"axes", IntsAttr({0, 2})}}, 13);
  b.Node("ArgMax", {"x"}, {"am"}, {{"axis", IntAttr(2)}});
  b.Node("Expand", {"x", "expand"}, {"ex"});
  b.Node("Tile", {"x", "tile"}, {"ti"});
  b.Node("Split", {"cat", "split"}, {"sp0", "sp1"}, {{"axis", IntAttr(2)}});
  b.Node("Shape", {"x"}, {"sh"}, {{"start", IntAttr(1)}});
  b.Node("Size", {"x"}, {"sz"});
  b.Node("Cast", {"x"}, {"ca"}, {{"to", IntAttr(7)}});
  b.Constant("ga_a", Iota({3, 2}));
  b.Constant("ga_b", Iota({5, 2}));
  b.Node("Gemm", {"ga_a", "ga_b"}, {"ge"}, {{"transB", IntAttr(1)}});
  b.Node("Flatten", {"x"}, {"fl"}, {{"axis", IntAttr(0)}});
  b.Constant("vec", Iota({4}));
  b.Node("MatMul", {"x", "vec"}, {"mv"});
  b.Constant("cond", Tensor::FromBools({2, 1, 4}, {true, false, true, false, false, true, true, false}));
  b.Constant("other", Iota({3, 1}));
  b.Node("Where", {"cond", "x", "other"}, {"wh"});
  b.Constant("pads", Int64s({0, 1, 0, 0, 2, 1}));
  b.Node("Pad", {"x", "pads"}, {"pa"});
  b.Constant("k", Int64s({2}));
  b.Node("TopK", {"x", "k"}, {"topv", "topi"}, {{"axis", IntAttr(1)}});
  b.Constant("image", Iota({1, 8, 2, 3}));
  b.Node("DepthToSpace", {"image"}, {"d2s"}, {{"blocksize", IntAttr(2)}});
  b.Node("SpaceToDepth", {"d2s"}, {"s2d"}, {{"blocksize", IntAttr(2)}});
  b.Output("s");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "sl").shape, (Shape{2, 2, 2}));
  EXPECT_EQ(TypeOf(b, "sp1").shape, (Shape{2, 3, 5}));
  EXPECT_EQ(TypeOf(b, "ge").shape, (Shape{3, 5}));
  EXPECT_EQ(TypeOf(b, "wh").shape, (Shape{2, 3, 4}));
  EXPECT_EQ(TypeOf(b, "ga").shape, (Shape{2, 2, 2, 4}));
  EXPECT_EQ(TypeOf(b, "ex").shape, (Shape{3, 2, 3, 4}));
  EXPECT_EQ(TypeOf(b, "ca").dtype, DType::kInt64);
  EXPECT_EQ(TypeOf(b, "mv").shape, (Shape{2, 3}));
  EXPECT_EQ(TypeOf(b, "pa").shape, (Shape{2, 6, 5}));
  EXPECT_EQ(TypeOf(b, "topi").shape, (Shape{2, 2, 4}));
  EXPECT_EQ(TypeOf(b, "topi").dtype, DType::kInt64);
  EXPECT_EQ(TypeOf(b, "d2s").shape, (Shape{1, 2, 4, 6}));
  EXPECT_EQ(TypeOf(b, "s2d").shape, (Shape{1, 8, 2, 3}));
  ExpectInferenceMatchesRun(b.graph(), {Iota({2, 3, 4})});
}

TEST(ShapeInferenceTest, KeepsDeclaredTypesThatContradictInference) {
  GraphBuilder b;
  b.Input("x", {2, 3});
  b.Node("Relu", {"x"}, {"wrong"});
  b.Node("Relu", {"x"}, {"partial"});
  b.Output("wrong");
  b.Output("partial");
  ir::ValueType& wrong = b.graph().value(b.Id("wrong")).type;
  wrong.has_shape = true;
  wrong.shape = {5};
  ir::ValueType& partial = b.graph().value(b.Id("partial")).type;
  partial.has_shape = true;
  partial.shape = {-1, 3};
  partial.dim_names = {"rows", ""};
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "wrong").shape, (Shape{5}));
  EXPECT_EQ(TypeOf(b, "partial").shape, (Shape{2, 3}));
  EXPECT_TRUE(TypeOf(b, "partial").dim_names.empty());
  // DeriveTypes ignores declarations of node outputs altogether.
  std::vector<ir::ValueType> derived = DeriveTypes(b.graph());
  EXPECT_EQ(derived[static_cast<size_t>(b.Id("wrong"))].shape, (Shape{2, 3}));
}

TEST(ShapeInferenceTest, UnknownRankAndUnknownOpsLeaveTypesAlone) {
  GraphBuilder b;
  b.InputOfUnknownShape("x", DType::kFloat32);
  b.Input("k", {1}, DType::kInt64);
  b.Node("Relu", {"x"}, {"r"});
  b.Node("TopK", {"r", "k"}, {"v", "i"});
  b.Node("NonZero", {"r"}, {"nz"});
  b.Output("v");
  b.Output("nz");
  Infer(b.graph());
  EXPECT_FALSE(TypeOf(b, "nz").has_dtype);         // int64, whatever its input is
  EXPECT_EQ(TypeOf(b, "i").dtype, DType::kInt64);  // TopK indices, even without a shape
  EXPECT_FALSE(TypeOf(b, "r").has_shape);
  EXPECT_EQ(TypeOf(b, "r").dtype, DType::kFloat32);
  EXPECT_FALSE(TypeOf(b, "v").has_shape);
}

}  // namespace
}  // namespace mlserving::optimizer

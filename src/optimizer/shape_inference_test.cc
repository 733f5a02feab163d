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
using testing::StringAttr;

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

// torch's unflatten / view(B, T, h, -1) exports reshape to Concat(Slice(Shape(x), 0, 2), [4, -1]):
// the target is not constant, but its elements are known (symbols N and S, then 4 and -1), so the
// head dim is 32 / 4 whatever N and S are.
TEST(ShapeInferenceTest, ReshapeReadsTargetsComputedFromShapes) {
  GraphBuilder b;
  b.Input("x", {-1, -1, 32}, DType::kFloat32, {"N", "S", ""});
  b.Input("other", {-1, 2}, DType::kFloat32, {"M", ""});
  b.Constant("zero", Int64s({0}));
  b.Constant("two", Int64s({2}));
  b.Constant("heads", Int64s({4, -1}));
  b.Constant("first", Int64s({0}));
  b.Constant("minus_one", Int64s({-1}));
  b.Node("Shape", {"x"}, {"x_shape"});
  b.Node("Slice", {"x_shape", "zero", "two"}, {"batch_seq"});
  b.Node("Concat", {"batch_seq", "heads"}, {"target"}, {{"axis", IntAttr(0)}});
  b.Node("Reshape", {"x", "target"}, {"split"});
  // Gather + Unsqueeze of a dim of another input (M): not provably x's, so -1 stays unknown.
  b.Node("Shape", {"other"}, {"other_shape"});
  b.Node("Gather", {"other_shape", "first"}, {"m"}, {{"axis", IntAttr(0)}});
  b.Node("Concat", {"m", "minus_one"}, {"m_target"}, {{"axis", IntAttr(0)}});
  b.Node("Reshape", {"x", "m_target"}, {"by_m"});
  b.Output("split");
  b.Output("by_m");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "split").shape, (Shape{-1, -1, 4, 8}));
  EXPECT_EQ(TypeOf(b, "split").dim_names, (std::vector<std::string>{"N", "S", "", ""}));
  EXPECT_EQ(TypeOf(b, "by_m").shape, (Shape{-1, -1}));
  EXPECT_TRUE(TypeOf(b, "by_m").dim_names.empty());
  ExpectInferenceMatchesRun(b.graph(), {Iota({2, 3, 32}), Iota({3, 2})});
  ExpectInferenceMatchesRun(b.graph(), {Iota({1, 5, 32}), Iota({2, 2})});
}

// The com.mlserving ops the fusion passes create are typed as the ops they replace, so that a
// later inference (DeriveTypes in the passes) still sees through them.
TEST(ShapeInferenceTest, FusedOpsAreTypedAsTheOpsTheyReplace) {
  GraphBuilder b;
  b.Input("x", {-1, 4, 8}, DType::kFloat32, {"N", "", ""});
  b.Input("image", {-1, 3, 8, 8}, DType::kFloat32, {"N", "", "", ""});
  b.Input("q", {-1, 2, 5, 8}, DType::kFloat32, {"N", "", "", ""});
  b.Input("k", {-1, 2, 7, 8}, DType::kFloat32, {"N", "", "", ""});
  b.Input("kt", {-1, 2, 8, 7}, DType::kFloat32, {"N", "", "", ""});
  b.Input("v", {-1, 2, 7, 3}, DType::kFloat32, {"N", "", "", ""});
  b.Input("mask", {-1, 1, 1, 7}, DType::kFloat32, {"N", "", "", ""});
  b.Constant("w", Iota({8, 6}));
  b.Constant("bias", Iota({6}));
  b.Constant("filters", Iota({4, 3, 3, 3}));
  const std::vector<size_t> fused = {
      b.Node("FusedMatMul", {"x", "w", "bias"}, {"dense"}, {{"activation", StringAttr("Relu")}}),
      b.Node("FusedConv", {"image", "filters"}, {"conv"},
             {{"pads", IntsAttr({1, 1, 1, 1})}, {"strides", IntsAttr({2, 2})}, {"activation", StringAttr("Relu")}}),
      b.Node("Attention", {"q", "k", "v", "mask"}, {"attended"}, {{"k_transposed", IntAttr(0)}}),
      b.Node("Attention", {"q", "kt", "v"}, {"attended_kt"}, {{"k_transposed", IntAttr(1)}}),
  };
  for (size_t n : fused) b.graph().nodes()[n].domain = "com.mlserving";
  for (const char* out : {"dense", "conv", "attended", "attended_kt"}) b.Output(out);
  EXPECT_EQ(Infer(b.graph()), 4);
  EXPECT_EQ(TypeOf(b, "dense").shape, (Shape{-1, 4, 6}));
  EXPECT_EQ(TypeOf(b, "dense").dim_names, (std::vector<std::string>{"N", "", ""}));
  EXPECT_EQ(TypeOf(b, "conv").shape, (Shape{-1, 4, 4, 4}));
  for (const char* attended : {"attended", "attended_kt"}) {
    EXPECT_EQ(TypeOf(b, attended).shape, (Shape{-1, 2, 5, 3})) << attended;
    EXPECT_EQ(TypeOf(b, attended).dim_names, (std::vector<std::string>{"N", "", "", ""})) << attended;
    EXPECT_EQ(TypeOf(b, attended).dtype, DType::kFloat32);
  }
  ExpectInferenceMatchesRun(b.graph(),
                            {Iota({2, 4, 8}), Iota({2, 3, 8, 8}), testing::RandomTensor({2, 2, 5, 8}, 1),
                             testing::RandomTensor({2, 2, 7, 8}, 2), testing::RandomTensor({2, 2, 8, 7}, 3),
                             testing::RandomTensor({2, 2, 7, 3}, 4), testing::RandomTensor({2, 1, 1, 7}, 5)});
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

TEST(ShapeInferenceTest, ConvTransposeMatchesTheKernel) {
  GraphBuilder b;
  b.Input("x", {-1, 2, 3, 3}, DType::kFloat32, {"N", "", "", ""});
  b.Constant("w", testing::RandomTensor({2, 3, 3, 3}, 1));
  b.Constant("wg", testing::RandomTensor({2, 1, 2, 2}, 2));
  b.Node("ConvTranspose", {"x", "w"}, {"padded"}, {{"strides", IntsAttr({2, 2})}, {"pads", IntsAttr({1, 1, 1, 1})}});
  b.Node("ConvTranspose", {"x", "w"}, {"out_pad"},
         {{"strides", IntsAttr({2, 2})}, {"output_padding", IntsAttr({1, 0})}});
  b.Node("ConvTranspose", {"x", "w"}, {"same"},
         {{"strides", IntsAttr({2, 2})}, {"auto_pad", StringAttr("SAME_UPPER")}});
  b.Node("ConvTranspose", {"x", "w"}, {"shaped"}, {{"strides", IntsAttr({2, 2})}, {"output_shape", IntsAttr({7, 6})}});
  b.Node("ConvTranspose", {"x", "wg"}, {"grouped"}, {{"group", IntAttr(2)}, {"dilations", IntsAttr({2, 1})}});
  b.Output("padded");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "padded").shape, (Shape{-1, 3, 5, 5}));
  EXPECT_EQ(TypeOf(b, "padded").dim_names, (std::vector<std::string>{"N", "", "", ""}));
  EXPECT_EQ(TypeOf(b, "out_pad").shape, (Shape{-1, 3, 8, 7}));
  EXPECT_EQ(TypeOf(b, "same").shape, (Shape{-1, 3, 6, 6}));
  EXPECT_EQ(TypeOf(b, "shaped").shape, (Shape{-1, 3, 7, 6}));
  EXPECT_EQ(TypeOf(b, "grouped").shape, (Shape{-1, 2, 5, 4}));
  ExpectInferenceMatchesRun(b.graph(), {testing::RandomTensor({2, 2, 3, 3}, 3)});
}

TEST(ShapeInferenceTest, ResizeAndUpsampleMatchTheKernel) {
  GraphBuilder b;
  b.Input("x", {-1, 2, 4, 6}, DType::kFloat32, {"N", "", "", ""});
  b.Constant("scales", Floats({4}, {1, 1, 2, 0.5f}));
  b.Constant("odd_scales", Floats({4}, {1, 1, 1.3f, 1.5f}));
  b.Constant("sizes", Int64s({1, 2, 5, 7}));
  b.Constant("axis_sizes", Int64s({3, 3}));
  b.Constant("up", Floats({4}, {1, 1, 2, 2}));
  b.Node("Resize", {"x", "", "scales"}, {"scaled"}, {}, 13);
  b.Node("Resize", {"x", "", "odd_scales"}, {"odd"}, {{"mode", StringAttr("linear")}}, 13);
  b.Node("Resize", {"x", "", "", "sizes"}, {"sized"}, {}, 13);
  b.Node("Resize", {"x", "", "", "axis_sizes"}, {"aspect"},
         {{"axes", IntsAttr({2, 3})}, {"keep_aspect_ratio_policy", StringAttr("not_larger")}}, 18);
  b.Node("Resize", {"x", "scales"}, {"resize10"}, {}, 10);
  b.Node("Upsample", {"x", "up"}, {"upsampled"}, {}, 9);
  b.Output("scaled");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "scaled").shape, (Shape{-1, 2, 8, 3}));
  EXPECT_EQ(TypeOf(b, "scaled").dim_names, (std::vector<std::string>{"N", "", "", ""}));
  EXPECT_EQ(TypeOf(b, "odd").shape, (Shape{-1, 2, 5, 9}));
  EXPECT_EQ(TypeOf(b, "sized").shape, (Shape{1, 2, 5, 7}));
  EXPECT_EQ(TypeOf(b, "aspect").shape, (Shape{-1, 2, 2, 3}));
  EXPECT_EQ(TypeOf(b, "resize10").shape, (Shape{-1, 2, 8, 3}));
  EXPECT_EQ(TypeOf(b, "upsampled").shape, (Shape{-1, 2, 8, 12}));
  ExpectInferenceMatchesRun(b.graph(), {Iota({1, 2, 4, 6})});
}

TEST(ShapeInferenceTest, EinsumMatchesTheKernel) {
  GraphBuilder b;
  b.Input("a", {-1, 3}, DType::kFloat32, {"I", ""});
  b.Constant("m", Iota({3, 4}));
  b.Constant("batch", Iota({5, 2, 3}));
  b.Constant("v", Iota({3}));
  b.Node("Einsum", {"a", "m"}, {"explicit"}, {{"equation", StringAttr("ij,jk->ik")}});
  b.Node("Einsum", {"a", "m"}, {"implicit"}, {{"equation", StringAttr("ij, jk")}});
  b.Node("Einsum", {"batch", "m"}, {"ellipsis"}, {{"equation", StringAttr("...ij,jk->...ik")}});
  b.Node("Einsum", {"a"}, {"transposed"}, {{"equation", StringAttr("ij->ji")}});
  b.Node("Einsum", {"v", "v"}, {"dot"}, {{"equation", StringAttr("i,i")}});
  b.Node("Einsum", {"a", "v"}, {"matvec"}, {{"equation", StringAttr("Ij,j")}});
  b.Output("explicit");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "explicit").shape, (Shape{-1, 4}));
  EXPECT_EQ(TypeOf(b, "explicit").dim_names, (std::vector<std::string>{"I", ""}));
  EXPECT_EQ(TypeOf(b, "implicit").shape, (Shape{-1, 4}));
  EXPECT_EQ(TypeOf(b, "ellipsis").shape, (Shape{5, 2, 4}));
  EXPECT_EQ(TypeOf(b, "transposed").shape, (Shape{3, -1}));
  EXPECT_EQ(TypeOf(b, "dot").shape, (Shape{}));
  EXPECT_EQ(TypeOf(b, "matvec").shape, (Shape{-1}));
  ExpectInferenceMatchesRun(b.graph(), {Iota({2, 3})});
}

TEST(ShapeInferenceTest, RecurrentOpsMatchTheKernels) {
  GraphBuilder b;
  b.Input("x", {4, -1, 3}, DType::kFloat32, {"", "N", ""});
  b.Input("xb", {-1, 4, 3}, DType::kFloat32, {"N", "", ""});
  b.Constant("rnn_w", testing::RandomTensor({1, 5, 3}, 1));
  b.Constant("rnn_r", testing::RandomTensor({1, 5, 5}, 2));
  b.Constant("gru_w", testing::RandomTensor({2, 15, 3}, 3));
  b.Constant("gru_r", testing::RandomTensor({2, 15, 5}, 4));
  b.Constant("lstm_w", testing::RandomTensor({1, 20, 3}, 5));
  b.Constant("lstm_r", testing::RandomTensor({1, 20, 5}, 6));
  b.Node("RNN", {"x", "rnn_w", "rnn_r"}, {"rnn_y", "rnn_h"}, {{"hidden_size", IntAttr(5)}}, 14);
  b.Node("GRU", {"x", "gru_w", "gru_r"}, {"gru_y", "gru_h"}, {{"direction", StringAttr("bidirectional")}}, 14);
  b.Node("LSTM", {"xb", "lstm_w", "lstm_r"}, {"lstm_y", "lstm_h", "lstm_c"},
         {{"hidden_size", IntAttr(5)}, {"layout", IntAttr(1)}}, 14);
  b.Output("rnn_y");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "rnn_y").shape, (Shape{4, 1, -1, 5}));
  EXPECT_EQ(TypeOf(b, "rnn_y").dim_names, (std::vector<std::string>{"", "", "N", ""}));
  EXPECT_EQ(TypeOf(b, "rnn_h").shape, (Shape{1, -1, 5}));
  EXPECT_EQ(TypeOf(b, "gru_y").shape, (Shape{4, 2, -1, 5}));
  EXPECT_EQ(TypeOf(b, "gru_h").shape, (Shape{2, -1, 5}));
  EXPECT_EQ(TypeOf(b, "lstm_y").shape, (Shape{-1, 4, 1, 5}));
  EXPECT_EQ(TypeOf(b, "lstm_c").shape, (Shape{-1, 1, 5}));
  EXPECT_EQ(TypeOf(b, "lstm_c").dtype, DType::kFloat32);
  ExpectInferenceMatchesRun(b.graph(), {testing::RandomTensor({4, 2, 3}, 7), testing::RandomTensor({2, 4, 3}, 8)});
}

TEST(ShapeInferenceTest, TrainingBatchNormalizationOutputsAreTypedLikeTheStatistics) {
  GraphBuilder b;
  b.Input("x", {-1, 3, 4}, DType::kFloat32, {"N", "", ""});
  b.Constant("scale", Floats({3}, {1, 2, 3}));
  b.Constant("bias", Floats({3}, {0, 1, 2}));
  b.Constant("mean", Floats({3}, {0, 0, 0}));
  b.Constant("var", Floats({3}, {1, 1, 1}));
  b.Node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y", "running_mean", "running_var"},
         {{"training_mode", IntAttr(1)}}, 15);
  b.Output("y");
  Infer(b.graph());
  EXPECT_EQ(TypeOf(b, "y").shape, (Shape{-1, 3, 4}));
  EXPECT_EQ(TypeOf(b, "running_mean").shape, (Shape{3}));
  EXPECT_EQ(TypeOf(b, "running_var").shape, (Shape{3}));
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

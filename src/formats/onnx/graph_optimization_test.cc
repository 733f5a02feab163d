// The ONNX loader's use of the graph optimizer: symbolic dims imported from dim_param, the
// MLSERVING_GRAPH_OPTIMIZATION level, and the same results with and without optimization.

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cctype>
#include <cstdlib>

#include "formats/onnx/onnx_model.h"
#include "formats/onnx/onnx_proto_convert.h"
#include "optimizer/optimizer.h"

namespace mlserving::formats::onnx {
namespace {

void AddTensorValue(::onnx::ValueInfoProto* info, const std::string& name, const std::vector<std::string>& dims) {
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(::onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  for (const std::string& d : dims) {
    auto* dim = shape->add_dim();
    if (d.empty()) continue;  // neither value nor name
    if (std::isdigit(static_cast<unsigned char>(d[0]))) {
      dim->set_dim_value(std::stoll(d));
    } else {
      dim->set_dim_param(d);
    }
  }
}

::onnx::NodeProto* AddNode(::onnx::GraphProto* graph, const std::string& op, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs) {
  ::onnx::NodeProto* node = graph->add_node();
  node->set_op_type(op);
  for (const auto& in : inputs) node->add_input(in);
  for (const auto& out : outputs) node->add_output(out);
  return node;
}

/// y = x * (Shape(x)[1] as float) + Constant; also returns the constant alone as `k`, and
/// Identity(x) as `same`. x is [batch, 3].
std::string Model() {
  ::onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  ::onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("g");
  AddTensorValue(graph->add_input(), "x", {"batch", "3"});
  ::onnx::TensorProto* one = graph->add_initializer();
  one->set_name("one");
  one->set_data_type(::onnx::TensorProto::INT64);
  one->add_int64_data(1);
  AddNode(graph, "Shape", {"x"}, {"shape"});
  AddNode(graph, "Gather", {"shape", "one"}, {"width"});
  ::onnx::AttributeProto* to = AddNode(graph, "Cast", {"width"}, {"width_f"})->add_attribute();
  to->set_name("to");
  to->set_type(::onnx::AttributeProto::INT);
  to->set_i(::onnx::TensorProto::FLOAT);
  ::onnx::NodeProto* constant = AddNode(graph, "Constant", {}, {"k"});
  ::onnx::AttributeProto* value = constant->add_attribute();
  value->set_name("value");
  value->set_type(::onnx::AttributeProto::TENSOR);
  value->mutable_t()->set_data_type(::onnx::TensorProto::FLOAT);
  value->mutable_t()->add_dims(3);
  for (float f : {0.5f, -1.0f, 2.0f}) value->mutable_t()->add_float_data(f);
  AddNode(graph, "Mul", {"x", "width_f"}, {"scaled"});
  AddNode(graph, "Add", {"scaled", "k"}, {"y"});
  AddNode(graph, "Identity", {"x"}, {"same"});
  AddTensorValue(graph->add_output(), "y", {"batch", "3"});
  AddTensorValue(graph->add_output(), "k", {"3"});
  AddTensorValue(graph->add_output(), "same", {"batch", "3"});
  return model.SerializeAsString();
}

class GraphOptimizationTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv(optimizer::kOptimizationLevelEnv); }

  Result<TensorMap> LoadAndRun(const char* level, std::string* summary = nullptr) {
    ::setenv(optimizer::kOptimizationLevelEnv, level, 1);
    Result<std::unique_ptr<Evaluator>> model = LoadOnnxBytes(Model(), "m.onnx", ".");
    if (!model.ok()) return model.status();
    if (summary != nullptr) *summary = model.value()->Summary();
    TensorMap inputs;
    inputs["x"] = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
    return model.value()->Evaluate(inputs, EvaluationContext());
  }
};

TEST_F(GraphOptimizationTest, ImportsDimParamsAsSymbolicDims) {
  ::onnx::ValueInfoProto info;
  AddTensorValue(&info, "x", {"batch", "3", ""});
  const ir::ValueType type = ValueTypeFromProto(info.type());
  EXPECT_EQ(type.shape, (Shape{-1, 3, -1}));
  EXPECT_EQ(type.dim_names, (std::vector<std::string>{"batch", "", ""}));
  ::onnx::ValueInfoProto fixed;
  AddTensorValue(&fixed, "fixed", {"2", ""});
  EXPECT_TRUE(ValueTypeFromProto(fixed.type()).dim_names.empty());
}

TEST_F(GraphOptimizationTest, OptimizedAndUnoptimizedModelsAgree) {
  std::string optimized_summary, plain_summary;
  Result<TensorMap> optimized = LoadAndRun("all", &optimized_summary);
  ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
  Result<TensorMap> plain = LoadAndRun("none", &plain_summary);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  for (const char* name : {"y", "k", "same"}) {
    const Tensor& a = optimized.value().at(name);
    const Tensor& b = plain.value().at(name);
    ASSERT_EQ(a.shape(), b.shape()) << name;
    for (int64_t i = 0; i < a.num_elements(); ++i) EXPECT_EQ(a.data<float>()[i], b.data<float>()[i]) << name;
  }
  EXPECT_EQ(optimized.value().at("y").data<float>()[0], 3.5f);  // 1 * 3 + 0.5
  // Gather of Shape (the known width), Cast and Constant fold, the Shape is then dead: 7 nodes
  // become 3 (Mul, Add, and the Identity between a graph input and a graph output).
  EXPECT_NE(optimized_summary.find("7 nodes, 3 after optimization"), std::string::npos) << optimized_summary;
  EXPECT_NE(optimized_summary.find("constant_folding=3"), std::string::npos) << optimized_summary;
  EXPECT_EQ(plain_summary.find("graph optimizations"), std::string::npos) << plain_summary;
}

TEST_F(GraphOptimizationTest, AnInvalidLevelIsAClearLoadError) {
  Result<TensorMap> result = LoadAndRun("fastest");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("MLSERVING_GRAPH_OPTIMIZATION"), std::string::npos);
  EXPECT_NE(result.status().message().find("none, basic or all"), std::string::npos);
}

}  // namespace
}  // namespace mlserving::formats::onnx

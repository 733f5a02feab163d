#pragma once

// Helpers for the ai.onnx.ml kernel unit tests: building nodes by hand and running one kernel.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/registry.h"

namespace mlserving::kernels::reference::ml_test {

/// A node of the ai.onnx.ml domain with `num_inputs` inputs and `num_outputs` outputs.
class NodeBuilder {
 public:
  explicit NodeBuilder(const std::string& op_type, int opset = 3, size_t num_inputs = 1, size_t num_outputs = 1) {
    node_.op_type = op_type;
    node_.domain = kOnnxMlDomain;
    node_.opset = opset;
    node_.name = "test_" + op_type;
    for (size_t i = 0; i < num_inputs; ++i) node_.inputs.push_back(static_cast<ir::ValueId>(i));
    for (size_t i = 0; i < num_outputs; ++i) node_.outputs.push_back(static_cast<ir::ValueId>(num_inputs + i));
  }
  NodeBuilder& Int(const std::string& name, int64_t value) {
    Set(name, ir::Attribute::Kind::kInt).i = value;
    return *this;
  }
  NodeBuilder& Float(const std::string& name, float value) {
    Set(name, ir::Attribute::Kind::kFloat).f = value;
    return *this;
  }
  NodeBuilder& String(const std::string& name, const std::string& value) {
    Set(name, ir::Attribute::Kind::kString).s = value;
    return *this;
  }
  NodeBuilder& Ints(const std::string& name, std::vector<int64_t> values) {
    Set(name, ir::Attribute::Kind::kInts).ints = std::move(values);
    return *this;
  }
  NodeBuilder& Floats(const std::string& name, std::vector<float> values) {
    Set(name, ir::Attribute::Kind::kFloats).floats = std::move(values);
    return *this;
  }
  NodeBuilder& Strings(const std::string& name, std::vector<std::string> values) {
    Set(name, ir::Attribute::Kind::kStrings).strings = std::move(values);
    return *this;
  }
  NodeBuilder& TensorAttr(const std::string& name, Tensor value) {
    Set(name, ir::Attribute::Kind::kTensor).t = std::move(value);
    return *this;
  }
  NodeBuilder& Remove(const std::string& name) {
    node_.attributes.erase(name);
    return *this;
  }
  const ir::Node& node() const { return node_; }

 private:
  ir::Attribute& Set(const std::string& name, ir::Attribute::Kind kind) {
    ir::Attribute& attribute = node_.attributes[name];
    attribute = ir::Attribute();
    attribute.kind = kind;
    return attribute;
  }
  ir::Node node_;
};

/// Prepares the registered kernel for `node`.
inline Result<std::unique_ptr<Kernel>> Prepare(const ir::Node& node) {
  const KernelFactory* factory = KernelRegistry::Default().Find(node.domain, node.op_type);
  if (factory == nullptr) return NotFound("no kernel for " + node.op_type);
  return (*factory)(node);
}

/// Prepares and runs the kernel for `node` on `inputs`; returns its outputs.
inline Result<std::vector<Tensor>> Run(const ir::Node& node, const std::vector<Tensor>& inputs) {
  ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, Prepare(node));
  KernelContext ctx;
  for (const Tensor& input : inputs) ctx.inputs.push_back(&input);
  ctx.outputs.assign(node.outputs.size(), Tensor());
  RETURN_IF_ERROR(kernel->Compute(ctx));
  return ctx.outputs;
}

/// Expects preparing `builder`'s node to fail with kInvalidArgument; `what` names the case.
inline void ExpectInvalid(const NodeBuilder& builder, const std::string& what) {
  Result<std::unique_ptr<Kernel>> kernel = Prepare(builder.node());
  ASSERT_FALSE(kernel.ok()) << what;
  EXPECT_EQ(kernel.status().code(), StatusCode::kInvalidArgument) << what;
}

inline const float kNaN = std::nanf("");

/// Expects `tensor` to be float32 of `shape` holding `expected` (NaN matches NaN) to `tolerance`.
inline void ExpectFloats(const Tensor& tensor, const Shape& shape, const std::vector<float>& expected,
                         float tolerance = 1e-6f) {
  ASSERT_TRUE(tensor.defined());
  ASSERT_EQ(tensor.dtype(), DType::kFloat32);
  ASSERT_EQ(tensor.shape(), shape);
  ASSERT_EQ(static_cast<size_t>(tensor.num_elements()), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const float actual = tensor.data<float>()[i];
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual)) << "element " << i << " is " << actual << ", expected NaN";
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(actual, expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(actual, expected[i], tolerance) << "element " << i;
    }
  }
}

template <typename T>
void ExpectValues(const Tensor& tensor, const Shape& shape, const std::vector<T>& expected) {
  ASSERT_TRUE(tensor.defined());
  ASSERT_EQ(tensor.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(tensor.shape(), shape);
  std::vector<T> actual(tensor.data<T>(), tensor.data<T>() + tensor.num_elements());
  EXPECT_EQ(actual, expected);
}

}  // namespace mlserving::kernels::reference::ml_test

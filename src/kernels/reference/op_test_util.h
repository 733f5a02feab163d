#pragma once

// Test harness for the ai.onnx reference kernel tests (index, select, loss, quantize, string,
// matrix, random and signal ops): builds an ir::Node, prepares it through the default registry and
// runs it once.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/make_attribute.h"
#include "kernels/registry.h"

namespace mlserving::kernels::op_test {

using ir::FloatAttr;
using ir::FloatsAttr;
using ir::IntAttr;
using ir::IntsAttr;
using ir::StringAttr;
using ir::StringsAttr;

using Attrs = std::map<std::string, ir::Attribute>;

/// Prepares `op_type` (ai.onnx, `opset`) and runs it once with `num_outputs` outputs. Undefined
/// input tensors are omitted optional inputs.
inline Result<std::vector<Tensor>> RunOp(const std::string& op_type, int opset, Attrs attrs,
                                         const std::vector<Tensor>& inputs, size_t num_outputs = 1) {
  ir::Node node;
  node.op_type = op_type;
  node.opset = opset;
  node.name = "test_" + op_type;
  node.attributes = std::move(attrs);
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(static_cast<ir::ValueId>(i));
  for (size_t i = 0; i < num_outputs; ++i) node.outputs.push_back(static_cast<ir::ValueId>(100 + i));
  const KernelFactory* factory = KernelRegistry::Default().Find("", op_type);
  if (factory == nullptr) return NotFound("no kernel for " + op_type);
  ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, (*factory)(node));
  KernelContext ctx;
  for (const Tensor& t : inputs) ctx.inputs.push_back(t.defined() ? &t : nullptr);
  ctx.outputs.assign(num_outputs, Tensor());
  RETURN_IF_ERROR(kernel->Compute(ctx));
  for (const Tensor& t : ctx.outputs) {
    if (!t.defined()) return Internal("an output was not assigned");
  }
  return ctx.outputs;
}

/// Runs an op and returns its outputs; fails the test (and returns undefined tensors) on error.
inline std::vector<Tensor> RunN(const std::string& op_type, int opset, Attrs attrs, const std::vector<Tensor>& inputs,
                                size_t num_outputs) {
  Result<std::vector<Tensor>> out = RunOp(op_type, opset, std::move(attrs), inputs, num_outputs);
  EXPECT_TRUE(out.ok()) << op_type << ": " << out.status().ToString();
  return out.ok() ? *out : std::vector<Tensor>(num_outputs);
}

inline Tensor Run1(const std::string& op_type, int opset, Attrs attrs, const std::vector<Tensor>& inputs) {
  return RunN(op_type, opset, std::move(attrs), inputs, 1)[0];
}

/// The status code of running the op (kOk or its error).
inline StatusCode RunCode(const std::string& op_type, int opset, Attrs attrs, const std::vector<Tensor>& inputs,
                          size_t num_outputs = 1) {
  Result<std::vector<Tensor>> out = RunOp(op_type, opset, std::move(attrs), inputs, num_outputs);
  return out.ok() ? StatusCode::kOk : out.status().code();
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  if (!t.defined() || t.dtype() != DTypeOf<T>::value) return {};
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

template <typename T>
Tensor T1(std::vector<T> v) {
  return Tensor::FromVector<T>({static_cast<int64_t>(v.size())}, v);
}

template <typename T>
void ExpectNear(const Tensor& t, const Shape& shape, const std::vector<T>& expected, double tol = 1e-5) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(t.shape(), shape);
  const std::vector<T> got = Values<T>(t);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(static_cast<double>(got[i]), static_cast<double>(expected[i]), tol) << "at " << i;
  }
}

template <typename T>
void ExpectEq(const Tensor& t, const Shape& shape, const std::vector<T>& expected) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(t.shape(), shape);
  EXPECT_EQ(Values<T>(t), expected);
}

}  // namespace mlserving::kernels::op_test

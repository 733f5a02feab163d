#pragma once

// Test harness shared by the reference kernel tests: builds an ir::Node, prepares it through the
// default registry (so fast kernels registered over the reference ones are exercised too) and runs it.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/make_attribute.h"
#include "kernels/registry.h"
#include "tensor/float16.h"

namespace mlserving::kernels::kernel_test {

using ir::FloatAttr;
using ir::FloatsAttr;
using ir::IntAttr;
using ir::IntsAttr;
using ir::StringAttr;
using ir::TensorAttr;

/// Prepares `op_type` (ai.onnx, `opset`) and runs it once. Undefined input tensors are omitted
/// optional inputs.
inline Result<std::vector<Tensor>> RunOp(const std::string& op_type, int opset,
                                         std::map<std::string, ir::Attribute> attrs, const std::vector<Tensor>& inputs,
                                         size_t num_outputs = 1) {
  ir::Node node;
  node.op_type = op_type;
  node.opset = opset;
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

/// Runs a single-output op and returns its output; fails the test when the op fails.
inline Tensor Run1(const std::string& op_type, int opset, std::map<std::string, ir::Attribute> attrs,
                   const std::vector<Tensor>& inputs) {
  Result<std::vector<Tensor>> out = RunOp(op_type, opset, std::move(attrs), inputs);
  EXPECT_TRUE(out.ok()) << op_type << ": " << out.status().ToString();
  return out.ok() ? out->at(0) : Tensor();
}

/// The status of running the op (OK or its error).
inline Status RunStatus(const std::string& op_type, int opset, std::map<std::string, ir::Attribute> attrs,
                        const std::vector<Tensor>& inputs, size_t num_outputs = 1) {
  Result<std::vector<Tensor>> out = RunOp(op_type, opset, std::move(attrs), inputs, num_outputs);
  return out.ok() ? Status::Ok() : out.status();
}

template <typename T>
inline std::vector<T> Values(const Tensor& t) {
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
    if (std::isnan(static_cast<double>(expected[i]))) {
      EXPECT_TRUE(std::isnan(static_cast<double>(got[i]))) << "at " << i;
    } else if (std::isinf(static_cast<double>(expected[i]))) {
      EXPECT_EQ(static_cast<double>(got[i]), static_cast<double>(expected[i])) << "at " << i;
    } else {
      EXPECT_NEAR(static_cast<double>(got[i]), static_cast<double>(expected[i]), tol) << "at " << i;
    }
  }
}

template <typename T>
void ExpectEq(const Tensor& t, const Shape& shape, const std::vector<T>& expected) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(t.shape(), shape);
  EXPECT_EQ(Values<T>(t), expected);
}

inline void ExpectBools(const Tensor& t, const Shape& shape, const std::vector<bool>& expected) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.dtype(), DType::kBool);
  ASSERT_EQ(t.shape(), shape);
  std::vector<bool> got(t.data<bool>(), t.data<bool>() + t.num_elements());
  EXPECT_EQ(got, expected);
}

}  // namespace mlserving::kernels::kernel_test

#pragma once

// Test harness shared by the kernel tests (reference and oneDNN) and the engine tests: builds an
// ir::Node, prepares it through a registry (the default one, so fast kernels registered over the
// reference ones are exercised too) and runs it once; registries of the reference kernels alone and
// with the oneDNN kernels over them; seeded random tensors; expectations on output tensors.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
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
using ir::StringsAttr;
using ir::TensorAttr;

using Attrs = std::map<std::string, ir::Attribute>;

/// A node named "test_<op_type>" of `domain` with inputs 0 .. num_inputs-1 and outputs 100 ..
/// 100+num_outputs-1 (value ids the kernels never look at).
inline ir::Node MakeNode(const std::string& op_type, int opset, Attrs attrs, size_t num_inputs, size_t num_outputs,
                         const std::string& domain = "") {
  ir::Node node;
  node.op_type = op_type;
  node.domain = domain;
  node.opset = opset;
  node.name = "test_" + op_type;
  node.attributes = std::move(attrs);
  for (size_t i = 0; i < num_inputs; ++i) node.inputs.push_back(static_cast<ir::ValueId>(i));
  for (size_t i = 0; i < num_outputs; ++i) node.outputs.push_back(static_cast<ir::ValueId>(100 + i));
  return node;
}

/// Prepares the kernel `registry` holds for `node` (kNotFound when it holds none).
inline Result<std::unique_ptr<Kernel>> PrepareKernel(const ir::Node& node,
                                                     const KernelRegistry& registry = KernelRegistry::Default()) {
  const KernelFactory* factory = registry.Find(node.domain, node.op_type);
  if (factory == nullptr) return NotFound("no kernel for " + node.op_type);
  return (*factory)(node);
}

/// Prepares `node` through `registry` and runs it once on `threads` intra-op threads with one
/// output per node output. Undefined input tensors are omitted optional inputs; an output the
/// kernel leaves unassigned is an error.
inline Result<std::vector<Tensor>> RunNode(const ir::Node& node, const std::vector<Tensor>& inputs,
                                           const KernelRegistry& registry = KernelRegistry::Default(),
                                           int threads = 1) {
  ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, PrepareKernel(node, registry));
  KernelContext ctx;
  for (const Tensor& t : inputs) ctx.inputs.push_back(t.defined() ? &t : nullptr);
  ctx.outputs.assign(node.outputs.size(), Tensor());
  ctx.intra_op_threads = threads;
  RETURN_IF_ERROR(kernel->Compute(ctx));
  for (const Tensor& t : ctx.outputs) {
    if (!t.defined()) return Internal("an output was not assigned");
  }
  return ctx.outputs;
}

/// Prepares `op_type` (ai.onnx, `opset`) through the default registry and runs it once with
/// `num_outputs` outputs (see RunNode).
inline Result<std::vector<Tensor>> RunOp(const std::string& op_type, int opset, Attrs attrs,
                                         const std::vector<Tensor>& inputs, size_t num_outputs = 1) {
  return RunNode(MakeNode(op_type, opset, std::move(attrs), inputs.size(), num_outputs), inputs);
}

/// Runs an op and returns its outputs; fails the test (and returns undefined tensors) on error.
inline std::vector<Tensor> RunN(const std::string& op_type, int opset, Attrs attrs, const std::vector<Tensor>& inputs,
                                size_t num_outputs) {
  Result<std::vector<Tensor>> out = RunOp(op_type, opset, std::move(attrs), inputs, num_outputs);
  EXPECT_TRUE(out.ok()) << op_type << ": " << out.status().ToString();
  return out.ok() ? *out : std::vector<Tensor>(num_outputs);
}

/// Runs a single-output op and returns its output; fails the test when the op fails.
inline Tensor Run1(const std::string& op_type, int opset, Attrs attrs, const std::vector<Tensor>& inputs) {
  return RunN(op_type, opset, std::move(attrs), inputs, 1)[0];
}

/// The status of running the op (OK or its error).
inline Status RunStatus(const std::string& op_type, int opset, Attrs attrs, const std::vector<Tensor>& inputs,
                        size_t num_outputs = 1) {
  Result<std::vector<Tensor>> out = RunOp(op_type, opset, std::move(attrs), inputs, num_outputs);
  return out.ok() ? Status::Ok() : out.status();
}

/// The status code of running the op (kOk or its error).
inline StatusCode RunCode(const std::string& op_type, int opset, Attrs attrs, const std::vector<Tensor>& inputs,
                          size_t num_outputs = 1) {
  return RunStatus(op_type, opset, std::move(attrs), inputs, num_outputs).code();
}

/// The reference kernels alone.
inline const KernelRegistry& ReferenceOnly() {
  static const KernelRegistry* const registry = [] {
    auto* r = new KernelRegistry();
    RegisterReferenceKernels(*r);
    return r;
  }();
  return *registry;
}

/// The reference kernels with the oneDNN kernels registered over them.
inline const KernelRegistry& WithOneDnn() {
  static const KernelRegistry* const registry = [] {
    auto* r = new KernelRegistry();
    RegisterReferenceKernels(*r);
    RegisterOneDnnKernels(*r);
    return r;
  }();
  return *registry;
}

/// A float32 tensor of `shape` with values uniform in [low, high) drawn from std::mt19937(seed).
inline Tensor Random(const Shape& shape, uint32_t seed, float low = -1.0f, float high = 1.0f) {
  Tensor t(DType::kFloat32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

/// The elements of `t` (empty when it is undefined or not of type T).
template <typename T>
inline std::vector<T> Values(const Tensor& t) {
  if (!t.defined() || t.dtype() != DTypeOf<T>::value) return {};
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

/// A 1-D tensor holding `v`.
template <typename T>
Tensor T1(std::vector<T> v) {
  return Tensor::FromVector<T>({static_cast<int64_t>(v.size())}, v);
}

/// Expects `t` of type T and `shape` with elements within `tol` of `expected`; a NaN expected
/// element matches NaN, an infinite one matches exactly.
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

/// Expects float32 `actual` of `expected`'s shape with every element within atol + rtol·|expected|
/// (a NaN expected element matches NaN only when `nan_matches_nan`); reports the first five
/// mismatches, each prefixed with `what`.
inline void ExpectAllClose(const Tensor& actual, const Tensor& expected, double rtol, double atol,
                           const std::string& what, bool nan_matches_nan = false) {
  ASSERT_TRUE(actual.defined()) << what;
  ASSERT_EQ(actual.dtype(), DType::kFloat32) << what;
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  int reported = 0;
  for (int64_t i = 0; i < actual.num_elements() && reported < 5; ++i) {
    const double e = expected.data<float>()[i], a = actual.data<float>()[i];
    const bool ok = nan_matches_nan && std::isnan(e) ? std::isnan(a) : std::fabs(a - e) <= atol + rtol * std::fabs(e);
    if (!ok) {
      ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << e;
      ++reported;
    }
  }
}

/// Expects `t` of type T and `shape` holding exactly `expected`.
template <typename T>
void ExpectEq(const Tensor& t, const Shape& shape, const std::vector<T>& expected) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(t.shape(), shape);
  EXPECT_EQ(Values<T>(t), expected);
}

/// Expects `t` bool of `shape` holding exactly `expected`.
inline void ExpectBools(const Tensor& t, const Shape& shape, const std::vector<bool>& expected) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.dtype(), DType::kBool);
  ASSERT_EQ(t.shape(), shape);
  std::vector<bool> got(t.data<bool>(), t.data<bool>() + t.num_elements());
  EXPECT_EQ(got, expected);
}

}  // namespace mlserving::kernels::kernel_test

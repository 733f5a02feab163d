#pragma once

// Helpers shared by the ai.onnx.ml reference kernels: score post-transforms with the numerics of
// onnxruntime (whose outputs the ONNX-ML converters are validated against), reading numeric inputs
// as [rows, cols] matrices, and reading list attributes that may come as tensors.

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"
#include "kernels/kernel.h"
#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace mlserving::kernels::reference::ml {

/// The `post_transform` attribute of the classifiers and regressors.
enum class PostTransform { kNone, kSoftmax, kLogistic, kSoftmaxZero, kProbit };

/// Parses `post_transform` (default "NONE"); kInvalidArgument names an unknown value.
Result<PostTransform> ParsePostTransform(const ir::Node& node);

/// Numerically stable logistic function, as onnxruntime computes it.
inline float Logistic(float x) {
  float v = 1.0f / (1.0f + std::exp(-std::abs(x)));
  return x < 0 ? 1.0f - v : v;
}

/// The probit function through onnxruntime's approximation of erfinv (Winitzki's formula), so that
/// scores match onnxruntime to float precision. NaN outside (0, 1), -inf/inf at 0/1.
inline float Probit(float p) {
  float x = 2.0f * p - 1.0f;
  float sign = x < 0 ? -1.0f : 1.0f;
  float one_minus_x2 = (1.0f - x) * (1.0f + x);
  float log_term = std::log(one_minus_x2);
  float a = 2.0f / (3.14159f * 0.147f) + 0.5f * log_term;
  float b = 1.0f / 0.147f * log_term;
  return 1.41421356f * sign * std::sqrt(-a + std::sqrt(a * a - b));
}

/// Applies `transform` in place to one row of scores, treating the row as a distribution over
/// classes or targets: SOFTMAX and SOFTMAX_ZERO normalise the row (SOFTMAX_ZERO leaves exact
/// zeros at zero and out of the sum), LOGISTIC and PROBIT map each element.
template <typename T>
void ApplyPostTransform(PostTransform transform, std::span<T> scores) {
  switch (transform) {
    case PostTransform::kNone: return;
    case PostTransform::kLogistic:
      for (T& s : scores) s = static_cast<T>(Logistic(static_cast<float>(s)));
      return;
    case PostTransform::kProbit:
      for (T& s : scores) s = static_cast<T>(Probit(static_cast<float>(s)));
      return;
    case PostTransform::kSoftmax:
    case PostTransform::kSoftmaxZero: {
      const bool skip_zeros = transform == PostTransform::kSoftmaxZero;
      T max_score = -std::numeric_limits<T>::max();
      for (T s : scores) max_score = s > max_score ? s : max_score;
      T sum = 0;
      for (T& s : scores) {
        if (skip_zeros && s > T(-1e-7) && s < T(1e-7)) {
          s = 0;
        } else {
          s = std::exp(s - max_score);
          sum += s;
        }
      }
      for (T& s : scores) s /= sum;
      return;
    }
  }
}

/// Whether `dtype` is a numeric type the ML kernels accept as features (ints, floats, bool).
inline bool IsNumericFeatureType(DType dtype) {
  return dtype != DType::kString && dtype != DType::kFloat16 && dtype != DType::kBFloat16;
}

/// Copies a numeric tensor into `out` converted to T (row-major order). Fails with
/// kInvalidArgument for string and 16-bit float tensors.
template <typename T>
Status ConvertToVector(const Tensor& tensor, std::vector<T>& out) {
  out.resize(static_cast<size_t>(tensor.num_elements()));
  bool converted = DispatchArithmetic(tensor.dtype(), [&](auto tag) {
    using Source = typename decltype(tag)::type;
    const Source* in = tensor.data<Source>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(in[i]);
  });
  if (!converted) {
    return InvalidArgument("expected a numeric input tensor, got " + tensor.DebugString());
  }
  return Status::Ok();
}

/// The [rows, cols] view the ML models take of their input: a 2-D tensor [N, F] as is, a 1-D
/// tensor [F] as one row. Other ranks fail with kInvalidArgument.
struct MatrixShape {
  int64_t rows = 0;
  int64_t cols = 0;
};
Result<MatrixShape> AsMatrix(const Tensor& tensor);

/// Fetches input `index`, failing with kInvalidArgument when it is absent.
Result<const Tensor*> RequireInput(const KernelContext& ctx, size_t index);

/// Assigns output `index` when the node has that output (optional outputs may be omitted).
inline void SetOutput(KernelContext& ctx, size_t index, Tensor tensor) {
  if (index < ctx.outputs.size()) ctx.outputs[index] = std::move(tensor);
}

/// A list attribute of floating-point values that an op may give either as a float list
/// (`name`) or, from ai.onnx.ml opset 3 on, as a tensor (`name + "_as_tensor"`, float or double).
struct FloatListAttribute {
  std::vector<double> values;
  bool present = false;
  bool from_double_tensor = false;  ///< true when given as a float64 tensor
};
Result<FloatListAttribute> GetFloatList(const ir::Node& node, const std::string& name);

/// "<name> has 3 elements but nodes_nodeids has 5" style check used by the factories.
Status CheckSameLength(size_t expected, const std::string& expected_name, size_t actual, const std::string& name);

}  // namespace mlserving::kernels::reference::ml

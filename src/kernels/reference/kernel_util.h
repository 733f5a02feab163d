#pragma once

// Helpers shared by the reference kernels: numpy-style broadcasting and strided iteration, axis
// normalisation, reading shape-like inputs, element-type dispatch and scalar conversions.

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/result.h"
#include "kernels/kernel.h"
#include "tensor/dispatch.h"
#include "tensor/float16.h"
#include "tensor/tensor.h"

namespace mlserving::kernels::reference {

// ---- Kernel construction and context access

/// Wraps a compute function into a prepared kernel, as a factory returns it.
template <typename F>
Result<std::unique_ptr<Kernel>> MakeKernel(F&& compute) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::forward<F>(compute)));
}

/// The i-th input, or kInvalidArgument when it is omitted.
Result<const Tensor*> RequiredInput(const KernelContext& ctx, size_t i);

/// Stores `tensor` as output `i` (growing `ctx.outputs` when a caller sized it too small).
void SetOutput(KernelContext& ctx, size_t i, Tensor tensor);

/// kInvalidArgument "unsupported element type <dtype>", for dtypes an op does not accept.
Status UnsupportedDType(DType dtype);

/// The DType of an ONNX TensorProto.DataType code (the `to`/`dtype` attributes of Cast, EyeLike,
/// the random ops…); nullopt for types the engine does not support.
std::optional<DType> DTypeFromOnnxCode(int64_t code);

// ---- Shapes, strides and axes

/// Row-major strides (in elements) of a contiguous tensor of `shape`.
std::vector<int64_t> ContiguousStrides(const Shape& shape);

/// The numpy broadcast of two shapes; kInvalidArgument when a pair of dims is neither equal nor 1.
Result<Shape> BroadcastShapes(const Shape& a, const Shape& b);

/// Strides for reading a contiguous tensor of shape `in` as if it had the broadcast shape `out`
/// (one entry per dim of `out`; 0 for broadcast dims). Precondition: `in` broadcasts to `out`.
std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out);

/// Maps `axis` in [-rank, rank) onto [0, rank); kInvalidArgument otherwise.
Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank);

/// Normalises every axis (see NormalizeAxis) and rejects duplicates; the order is kept.
Result<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank);

/// The elements of an int32 or int64 tensor (any shape) as int64; kInvalidArgument for other
/// dtypes. `what` names the input in the error ("shape", "axes").
Result<std::vector<int64_t>> ReadInt64s(const Tensor& tensor, const std::string& what);

/// Product of shape[begin, end).
int64_t DimProduct(const Shape& shape, size_t begin, size_t end);

/// Visits every element of a row-major iteration over `shape`, calling f(i, offsets) where `i` is
/// the linear output index and offsets[k] = sum_d index[d] * strides[k][d] + base[k].
/// Each strides[k] has one entry per dim of `shape`; strides may be 0 (broadcast) or negative.
template <size_t N, typename F>
void ForEachStrided(const Shape& shape, const std::array<std::vector<int64_t>, N>& strides, F&& f,
                    std::array<int64_t, N> base = {}) {
  const int64_t total = NumElements(shape);
  if (total == 0) return;
  const std::vector<int64_t> contiguous = ContiguousStrides(shape);
  bool all_contiguous = true;
  for (size_t k = 0; k < N; ++k) {
    if (strides[k] != contiguous || base[k] != 0) all_contiguous = false;
  }
  if (all_contiguous) {
    std::array<int64_t, N> offsets;
    for (int64_t i = 0; i < total; ++i) {
      offsets.fill(i);
      f(i, offsets);
    }
    return;
  }
  const size_t rank = shape.size();
  std::vector<int64_t> index(rank, 0);
  std::array<int64_t, N> offsets = base;
  for (int64_t i = 0; i < total; ++i) {
    f(i, offsets);
    for (size_t d = rank; d-- > 0;) {
      ++index[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
      if (index[d] < shape[d]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * shape[d];
      index[d] = 0;
    }
  }
}

// ---- Element types

template <typename T>
inline constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

/// The type arithmetic on T is done in: float for the 16-bit floats, T otherwise.
template <typename T>
struct ComputeTypeOf {
  using type = T;
};
template <>
struct ComputeTypeOf<Float16> {
  using type = float;
};
template <>
struct ComputeTypeOf<BFloat16> {
  using type = float;
};
template <typename T>
using ComputeType = typename ComputeTypeOf<T>::type;

/// Storage value -> compute value (16-bit floats become float; other types are unchanged).
template <typename T>
ComputeType<T> Widen(const T& v) {
  if constexpr (std::is_same_v<T, Float16>) {
    return HalfToFloat(v.bits);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return BFloat16ToFloat(v.bits);
  } else {
    return v;
  }
}

/// Compute value -> storage value (rounds to nearest even for the 16-bit floats).
template <typename T>
T Narrow(ComputeType<T> v) {
  if constexpr (std::is_same_v<T, Float16>) {
    return Float16{FloatToHalf(v)};
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return BFloat16{FloatToBFloat16(v)};
  } else {
    return v;
  }
}

template <typename T>
bool IsNaNValue(const T& v) {
  if constexpr (std::is_floating_point_v<ComputeType<T>>) {
    return std::isnan(Widen(v));
  } else {
    return false;
  }
}

/// Converts between numeric element types (bool, integers, floats incl. 16-bit) without undefined
/// behaviour: float -> integer truncates toward zero and saturates, NaN becomes 0; integer ->
/// integer wraps; anything -> bool is `value != 0` (NaN is true, as in numpy).
template <typename To, typename From>
To ConvertNumber(const From& value) {
  const auto v = Widen(value);
  using W = std::remove_cv_t<decltype(v)>;
  if constexpr (kIsHalf<To>) {
    return Narrow<To>(ConvertNumber<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != W(0);
  } else if constexpr (std::is_floating_point_v<To> || !std::is_floating_point_v<W>) {
    return static_cast<To>(v);
  } else {
    if (std::isnan(v)) return To(0);
    if (v <= static_cast<W>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (v >= static_cast<W>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  }
}

/// Calls f(TypeTag<T>{}) (which returns Status) for the numeric dtypes: integers, float16,
/// bfloat16, float32, float64. Bool and string give UnsupportedDType.
template <typename F>
Status DispatchNumeric(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kInt8: return f(TypeTag<int8_t>{});
    case DType::kInt16: return f(TypeTag<int16_t>{});
    case DType::kInt32: return f(TypeTag<int32_t>{});
    case DType::kInt64: return f(TypeTag<int64_t>{});
    case DType::kUInt8: return f(TypeTag<uint8_t>{});
    case DType::kUInt16: return f(TypeTag<uint16_t>{});
    case DType::kUInt32: return f(TypeTag<uint32_t>{});
    case DType::kUInt64: return f(TypeTag<uint64_t>{});
    case DType::kFloat16: return f(TypeTag<Float16>{});
    case DType::kBFloat16: return f(TypeTag<BFloat16>{});
    case DType::kFloat32: return f(TypeTag<float>{});
    case DType::kFloat64: return f(TypeTag<double>{});
    default: return UnsupportedDType(dtype);
  }
}

/// Like DispatchNumeric for float16, bfloat16, float32 and float64 only.
template <typename F>
Status DispatchFloating(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat16: return f(TypeTag<Float16>{});
    case DType::kBFloat16: return f(TypeTag<BFloat16>{});
    case DType::kFloat32: return f(TypeTag<float>{});
    case DType::kFloat64: return f(TypeTag<double>{});
    default: return UnsupportedDType(dtype);
  }
}

/// Copies `src` (a contiguous tensor of any dtype) read through `strides` (one per dim of
/// `out_shape`, offsets from `base`) into a new tensor of `out_shape`. The building block of
/// Transpose, Expand and Slice.
Result<Tensor> GatherStrided(const KernelContext& ctx, const Tensor& src, const Shape& out_shape,
                             const std::vector<int64_t>& strides, int64_t base = 0);

// ---- Strings

/// Formats a number as numpy prints it: shortest round-trip digits, "1.0" for integral floats,
/// exponent form outside [1e-4, 1e16); "NaN", "INF", "-INF" for the ONNX special values;
/// "True"/"False" for bools.
template <typename T>
std::string FormatNumber(const T& value);

/// Parses a number as ONNX Cast does (decimal or scientific notation, case-insensitive "INF",
/// "+INF", "-INF", "NaN"; "true"/"false" for bool). kInvalidArgument for anything else.
template <typename T>
Result<T> ParseNumber(const std::string& text);

}  // namespace mlserving::kernels::reference

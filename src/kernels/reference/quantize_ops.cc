// Linear quantization: QuantizeLinear DequantizeLinear DynamicQuantizeLinear MatMulInteger
// QLinearMatMul. Quantized types are int8 and uint8 (int32 too for DequantizeLinear's input).
// Scales and zero points are per-tensor (one element) or per-axis (one per slice along `axis`).
// Rounding is half to even, results saturate to the quantized type's range.

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// Round half to even, independent of the floating-point environment.
double RoundHalfEven(double v) {
  double r = std::round(v);
  if (std::fabs(v - std::trunc(v)) == 0.5) r = 2.0 * std::round(v / 2.0);
  return r;
}

/// Rounds `v` and saturates it into Q's range (NaN becomes 0).
template <typename Q>
Q SaturateRound(double v) {
  if (std::isnan(v)) return Q(0);
  const double r = RoundHalfEven(v);
  const double lo = static_cast<double>(std::numeric_limits<Q>::lowest());
  const double hi = static_cast<double>(std::numeric_limits<Q>::max());
  return static_cast<Q>(std::min(std::max(r, lo), hi));
}

/// The values of a numeric tensor as double.
Result<std::vector<double>> ReadDoubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  RETURN_IF_ERROR(DispatchNumeric(t.dtype(), [&](auto tag) -> Status {
    const auto* p = t.data<typename decltype(tag)::type>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = ConvertNumber<double>(p[i]);
    return Status::Ok();
  }));
  return v;
}

/// Calls f(TypeTag<Q>{}) for the quantized types int8 and uint8 (and int32 when `allow_int32`).
template <typename F>
Status DispatchQuantized(DType dtype, bool allow_int32, F&& f) {
  switch (dtype) {
    case DType::kInt8: return f(TypeTag<int8_t>{});
    case DType::kUInt8: return f(TypeTag<uint8_t>{});
    case DType::kInt32:
      if (allow_int32) return f(TypeTag<int32_t>{});
      [[fallthrough]];
    default: return UnsupportedDType(dtype);
  }
}

/// Per-element parameter lookup: a scale or zero point that is either one value or one value per
/// index along `axis` of a tensor of `shape`.
struct AxisParam {
  std::vector<double> values;
  int64_t dim = 1, inner = 1;  ///< length of the axis and the elements after it
  double At(int64_t i) const { return values.size() == 1 ? values[0] : values[static_cast<size_t>((i / inner) % dim)]; }
};

Result<AxisParam> MakeAxisParam(const Tensor* t, double fallback, const Shape& shape, int64_t axis_attr,
                                const char* what) {
  AxisParam p;
  if (t == nullptr) {
    p.values = {fallback};
    return p;
  }
  ASSIGN_OR_RETURN(p.values, ReadDoubles(*t));
  if (p.values.size() == 1) return p;
  ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, static_cast<int64_t>(shape.size())));
  p.dim = shape[static_cast<size_t>(axis)];
  p.inner = DimProduct(shape, static_cast<size_t>(axis) + 1, shape.size());
  if (t->rank() != 1 || static_cast<int64_t>(p.values.size()) != p.dim) {
    return InvalidArgument(std::string(what) + " " + t->DebugString() + " must be a scalar or have one value per " +
                           "slice along axis " + std::to_string(axis));
  }
  return p;
}

/// QuantizeLinear(x, y_scale, y_zero_point?): y = saturate(round(x / scale) + zero_point), of the
/// zero point's type (uint8 without one).
Status ComputeQuantize(KernelContext& ctx, int64_t axis) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* scale_t, RequiredInput(ctx, 1));
  const Tensor* zp_t = ctx.input(2);
  if (!IsFloating(x->dtype()) && x->dtype() != DType::kInt32) return UnsupportedDType(x->dtype());
  ASSIGN_OR_RETURN(AxisParam scale, MakeAxisParam(scale_t, 1.0, x->shape(), axis, "y_scale"));
  ASSIGN_OR_RETURN(AxisParam zp, MakeAxisParam(zp_t, 0.0, x->shape(), axis, "y_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadDoubles(*x));
  const DType out_dtype = zp_t != nullptr ? zp_t->dtype() : DType::kUInt8;
  return DispatchQuantized(out_dtype, false, [&](auto tag) -> Status {
    using Q = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(out_dtype, x->shape()));
    Q* po = out.data<Q>();
    const bool in_double = x->dtype() == DType::kFloat64;
    for (int64_t i = 0; i < x->num_elements(); ++i) {
      // float32 inputs divide in float32, as the ONNX reference does (ties round the same way).
      const double v = xv[static_cast<size_t>(i)];
      const double q = in_double ? v / scale.At(i) : static_cast<float>(v) / static_cast<float>(scale.At(i));
      po[i] = SaturateRound<Q>(RoundHalfEven(q) + zp.At(i));
    }
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  });
}

/// DequantizeLinear(x, x_scale, x_zero_point?): y = (x - zero_point) * scale, of the scale's type.
Status ComputeDequantize(KernelContext& ctx, int64_t axis) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* scale_t, RequiredInput(ctx, 1));
  RETURN_IF_ERROR(DispatchQuantized(x->dtype(), true, [](auto) { return Status::Ok(); }));
  ASSIGN_OR_RETURN(AxisParam scale, MakeAxisParam(scale_t, 1.0, x->shape(), axis, "x_scale"));
  ASSIGN_OR_RETURN(AxisParam zp, MakeAxisParam(ctx.input(2), 0.0, x->shape(), axis, "x_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadDoubles(*x));
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(scale_t->dtype(), x->shape()));
  RETURN_IF_ERROR(DispatchFloating(scale_t->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* po = out.data<T>();
    for (int64_t i = 0; i < x->num_elements(); ++i) {
      // float32 arithmetic as the ONNX reference does it, so results match bit for bit.
      const auto diff = static_cast<float>(xv[static_cast<size_t>(i)] - zp.At(i));
      po[i] = ConvertNumber<T>(diff * static_cast<float>(scale.At(i)));
    }
    return Status::Ok();
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// DynamicQuantizeLinear(x): uint8 quantization with scale = (max(x, 0) - min(x, 0)) / 255 and
/// zero point = saturate(round(-min(x, 0) / scale)). All-zero input gives scale 0 and y = 0.
Status ComputeDynamicQuantize(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  if (x->dtype() != DType::kFloat32) return UnsupportedDType(x->dtype());
  const float* px = x->data<float>();
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < x->num_elements(); ++i) {
    if (std::isnan(px[i])) return InvalidArgument("DynamicQuantizeLinear input contains NaN");
    lo = std::min(lo, px[i]);
    hi = std::max(hi, px[i]);
  }
  const float scale = (hi - lo) / 255.0f;
  const uint8_t zp = scale == 0 ? uint8_t{0} : SaturateRound<uint8_t>(static_cast<double>(0.0f - lo / scale));
  ASSIGN_OR_RETURN(Tensor y, ctx.Allocate(DType::kUInt8, x->shape()));
  uint8_t* py = y.data<uint8_t>();
  for (int64_t i = 0; i < x->num_elements(); ++i) {
    py[i] = scale == 0 ? uint8_t{0} : SaturateRound<uint8_t>(RoundHalfEven(px[i] / scale) + zp);
  }
  ASSIGN_OR_RETURN(Tensor scale_out, ctx.Allocate(DType::kFloat32, {}));
  scale_out.data<float>()[0] = scale;
  ASSIGN_OR_RETURN(Tensor zp_out, ctx.Allocate(DType::kUInt8, {}));
  zp_out.data<uint8_t>()[0] = zp;
  SetOutput(ctx, 0, std::move(y));
  SetOutput(ctx, 1, std::move(scale_out));
  SetOutput(ctx, 2, std::move(zp_out));
  return Status::Ok();
}

// ---- Integer matrix products

/// numpy matmul of A [..., M, K] and B [..., K, N] (1-D operands promoted and their dim dropped
/// again) on doubles; `a_offset(m)` / `b_offset(n)` are the zero points subtracted per row of A /
/// column of B. Exact for int8/uint8 products (sums stay far below 2^53).
struct MatMulResult {
  Shape shape;
  std::vector<double> values;
};

template <typename OffsetA, typename OffsetB>
Result<MatMulResult> QuantizedMatMul(const Tensor& a, const Tensor& b, int64_t max_elements, OffsetA a_offset,
                                     OffsetB b_offset) {
  if (a.rank() < 1 || b.rank() < 1) return InvalidArgument("MatMul operands must have rank >= 1");
  Shape as = a.shape(), bs = b.shape();
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k) {
    return InvalidArgument("MatMul shapes " + a.DebugString() + " and " + b.DebugString() + " do not match");
  }
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  ASSIGN_OR_RETURN(Shape batch, BroadcastShapes(a_batch, b_batch));
  ASSIGN_OR_RETURN(std::vector<double> av, ReadDoubles(a));
  ASSIGN_OR_RETURN(std::vector<double> bv, ReadDoubles(b));
  MatMulResult r;
  r.shape = batch;
  if (!a_vec) r.shape.push_back(m);
  if (!b_vec) r.shape.push_back(n);
  const std::optional<int64_t> count = CheckedNumElements(r.shape);
  if (!count || *count > max_elements)
    return ResourceExhausted("MatMul result " + ShapeToString(r.shape) + " is too large");
  r.values.assign(static_cast<size_t>(*count), 0.0);
  ForEachStrided<2>(batch, {BroadcastStrides(a_batch, batch), BroadcastStrides(b_batch, batch)},
                    [&](int64_t i, const std::array<int64_t, 2>& off) {
                      const double* pa = av.data() + off[0] * m * k;
                      const double* pb = bv.data() + off[1] * k * n;
                      double* po = r.values.data() + i * m * n;
                      for (int64_t row = 0; row < m; ++row) {
                        for (int64_t col = 0; col < n; ++col) {
                          double sum = 0;
                          for (int64_t j = 0; j < k; ++j) {
                            sum += (pa[row * k + j] - a_offset(row)) * (pb[j * n + col] - b_offset(col));
                          }
                          po[row * n + col] = sum;
                        }
                      }
                    });
  return r;
}

/// A zero point or scale of a matmul operand: one value, or one per row of A (`count` = M) / per
/// column of B (`count` = N).
Result<std::vector<double>> MatMulParam(const Tensor* t, double fallback, int64_t count, const char* what) {
  if (t == nullptr) return std::vector<double>{fallback};
  ASSIGN_OR_RETURN(std::vector<double> v, ReadDoubles(*t));
  if (v.size() != 1 && static_cast<int64_t>(v.size()) != count) {
    return InvalidArgument(std::string(what) + " " + t->DebugString() + " must be a scalar or per row/column");
  }
  return v;
}

double Pick(const std::vector<double>& v, int64_t i) { return v.size() == 1 ? v[0] : v[static_cast<size_t>(i)]; }

int64_t RowsOf(const Tensor& a) { return a.rank() >= 2 ? a.dim(a.rank() - 2) : 1; }
int64_t ColsOf(const Tensor& b) { return b.rank() >= 2 ? b.dim(b.rank() - 1) : 1; }

/// MatMulInteger(A, B, a_zero_point?, b_zero_point?): int32 (A - a_zp) x (B - b_zp).
Status ComputeMatMulInteger(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
  RETURN_IF_ERROR(DispatchQuantized(a->dtype(), false, [](auto) { return Status::Ok(); }));
  RETURN_IF_ERROR(DispatchQuantized(b->dtype(), false, [](auto) { return Status::Ok(); }));
  ASSIGN_OR_RETURN(std::vector<double> azp, MatMulParam(ctx.input(2), 0, RowsOf(*a), "a_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> bzp, MatMulParam(ctx.input(3), 0, ColsOf(*b), "b_zero_point"));
  ASSIGN_OR_RETURN(MatMulResult r, QuantizedMatMul(
                                       *a, *b, ctx.max_tensor_elements, [&](int64_t row) { return Pick(azp, row); },
                                       [&](int64_t col) { return Pick(bzp, col); }));
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kInt32, r.shape));
  int32_t* po = out.data<int32_t>();
  for (size_t i = 0; i < r.values.size(); ++i) po[i] = ConvertNumber<int32_t>(r.values[i]);
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp):
/// y = saturate(round((a - a_zp) x (b - b_zp) * a_scale * b_scale / y_scale) + y_zp), of y_zp's type.
Status ComputeQLinearMatMul(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 3));
  ASSIGN_OR_RETURN(const Tensor* y_zp_t, RequiredInput(ctx, 7));
  RETURN_IF_ERROR(DispatchQuantized(a->dtype(), false, [](auto) { return Status::Ok(); }));
  RETURN_IF_ERROR(DispatchQuantized(b->dtype(), false, [](auto) { return Status::Ok(); }));
  ASSIGN_OR_RETURN(std::vector<double> a_scale, MatMulParam(ctx.input(1), 1, RowsOf(*a), "a_scale"));
  ASSIGN_OR_RETURN(std::vector<double> a_zp, MatMulParam(ctx.input(2), 0, RowsOf(*a), "a_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> b_scale, MatMulParam(ctx.input(4), 1, ColsOf(*b), "b_scale"));
  ASSIGN_OR_RETURN(std::vector<double> b_zp, MatMulParam(ctx.input(5), 0, ColsOf(*b), "b_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> y_scale, MatMulParam(ctx.input(6), 1, 1, "y_scale"));
  ASSIGN_OR_RETURN(std::vector<double> y_zp, MatMulParam(y_zp_t, 0, 1, "y_zero_point"));
  ASSIGN_OR_RETURN(MatMulResult r, QuantizedMatMul(
                                       *a, *b, ctx.max_tensor_elements, [&](int64_t row) { return Pick(a_zp, row); },
                                       [&](int64_t col) { return Pick(b_zp, col); }));
  const int64_t n = b->rank() >= 2 ? b->dim(b->rank() - 1) : 1;
  const int64_t m = a->rank() >= 2 ? a->dim(a->rank() - 2) : 1;
  return DispatchQuantized(y_zp_t->dtype(), false, [&](auto tag) -> Status {
    using Q = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(y_zp_t->dtype(), r.shape));
    Q* po = out.data<Q>();
    for (size_t i = 0; i < r.values.size(); ++i) {
      const auto row = static_cast<int64_t>(i) / n % m;
      const auto col = static_cast<int64_t>(i) % n;
      const double multiplier = Pick(a_scale, row) * Pick(b_scale, col) / y_scale[0];
      po[i] = SaturateRound<Q>(RoundHalfEven(r.values[i] * multiplier) + y_zp[0]);
    }
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  });
}

}  // namespace

void RegisterQuantizeKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "QuantizeLinear", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    if (node.GetInt("block_size", 0) != 0) return Unimplemented("QuantizeLinear block_size is not supported");
    const int64_t axis = node.GetInt("axis", 1);
    return MakeKernel([axis](KernelContext& ctx) { return ComputeQuantize(ctx, axis); });
  });
  registry.Register(kOnnxDomain, "DequantizeLinear", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    if (node.GetInt("block_size", 0) != 0) return Unimplemented("DequantizeLinear block_size is not supported");
    const int64_t axis = node.GetInt("axis", 1);
    return MakeKernel([axis](KernelContext& ctx) { return ComputeDequantize(ctx, axis); });
  });
  registry.Register(kOnnxDomain, "DynamicQuantizeLinear",
                    [](const ir::Node&) { return MakeKernel(ComputeDynamicQuantize); });
  registry.Register(kOnnxDomain, "MatMulInteger", [](const ir::Node&) { return MakeKernel(ComputeMatMulInteger); });
  registry.Register(kOnnxDomain, "QLinearMatMul", [](const ir::Node&) { return MakeKernel(ComputeQLinearMatMul); });
}

}  // namespace mlserving::kernels::reference

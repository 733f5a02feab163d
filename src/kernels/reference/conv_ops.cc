// Convolutions: Conv, ConvTranspose, ConvInteger, QLinearConv. N-d (any number of spatial dims), groups,
// strides, dilations, pads and auto_pad. Conv lowers each (image, group) to im2col + a blocked
// GEMM; ConvTranspose to a GEMM + col2im. Arithmetic is done in float for the 16-bit floats,
// in the element type for float32/float64, and exactly in int64 for ConvInteger.

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"
#include "kernels/reference/window_util.h"

namespace mlserving::kernels::reference {
namespace {

/// The sizes of one convolution: `x` is [batch, in_channels, geo.in...], the output
/// [batch, out_channels, geo.out...]. For ConvTranspose geo.in/geo.out are swapped roles: the
/// grid is the op input and the image the op output (see WindowCoordinateTables).
struct ConvShape {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  WindowGeometry geo;
};

/// Fails with kResourceExhausted when a scratch buffer of rows * cols elements exceeds the
/// per-tensor limit of `ctx`.
Status CheckScratch(const KernelContext& ctx, int64_t rows, int64_t cols) {
  if (rows > 0 && cols > ctx.max_tensor_elements / rows) {
    return ResourceExhausted("the convolution needs a scratch buffer of " + std::to_string(rows) + " x " +
                             std::to_string(cols) + " elements, over the tensor size limit");
  }
  return Status::Ok();
}

/// y[m_size, p_size] += w[m_size, k_size] * col[k_size, p_size], blocked over p so a block of
/// col stays in cache while every row of w passes over it.
template <typename C>
void GemmAccumulate(const C* w, const C* col, int64_t m_size, int64_t k_size, int64_t p_size, C* y) {
  constexpr int64_t kBlock = 256;
  for (int64_t p0 = 0; p0 < p_size; p0 += kBlock) {
    const int64_t pn = std::min(kBlock, p_size - p0);
    for (int64_t m = 0; m < m_size; ++m) {
      C* yrow = y + m * p_size + p0;
      const C* wrow = w + m * k_size;
      for (int64_t k = 0; k < k_size; ++k) {
        const C wv = wrow[k];
        const C* crow = col + k * p_size + p0;
        for (int64_t p = 0; p < pn; ++p) yrow[p] += wv * crow[p];
      }
    }
  }
}

/// Visits, for one kernel offset `kidx` (a multi-index), every grid position p (row-major over
/// `grid`) with the image offset it reads / writes, or -1 when the coordinate is in the padding.
template <typename F>
void ForEachWindowTap(const std::vector<std::vector<int64_t>>& tables, const std::vector<int64_t>& grid,
                      const std::vector<int64_t>& image_strides, const std::vector<int64_t>& kidx, F&& f) {
  const size_t rank = grid.size();
  for (int64_t g : grid) {
    if (g == 0) return;
  }
  const size_t last = rank - 1;
  const int64_t inner = grid[last];
  const int64_t* inner_table = tables[last].data() + kidx[last] * inner;
  std::vector<int64_t> outer_dims(grid.begin(), grid.end() - 1);
  std::vector<int64_t> pos(last, 0);
  int64_t p = 0;
  do {
    int64_t base = 0;
    bool valid = true;
    for (size_t d = 0; d < last; ++d) {
      const int64_t c = tables[d][static_cast<size_t>(kidx[d] * grid[d] + pos[d])];
      if (c < 0) valid = false;
      base += c * image_strides[d];
    }
    for (int64_t i = 0; i < inner; ++i, ++p) {
      const int64_t c = inner_table[i];
      f(p, valid && c >= 0 ? base + c : -1);
    }
  } while (NextIndex(pos, outer_dims));
}

/// Forward convolution on compute-typed buffers: x [N, C, in...], w [M, C/group, k...],
/// optional bias [M], y [N, M, out...] (fully written).
template <typename C>
Status ConvForward(const KernelContext& ctx, const C* x, const C* w, const C* bias, const ConvShape& s, C* y) {
  const WindowGeometry& g = s.geo;
  const int64_t cg = s.in_channels / s.group, mg = s.out_channels / s.group;
  const int64_t kernel_size = Product(g.kernel), out_size = Product(g.out), in_size = Product(g.in);
  const int64_t rows = cg * kernel_size;
  bool direct = kernel_size == 1;  // a 1x1 conv with unit strides and no padding reads x as is
  for (size_t d = 0; d < g.rank(); ++d) {
    if (g.strides[d] != 1 || g.pad_begin[d] != 0 || g.pad_end[d] != 0) direct = false;
  }
  if (!direct) RETURN_IF_ERROR(CheckScratch(ctx, rows, out_size));
  std::vector<C> col(direct ? 0 : static_cast<size_t>(rows * out_size));
  const auto tables = WindowCoordinateTables(g.in, g.out, g.kernel, g.strides, g.dilations, g.pad_begin);
  const std::vector<int64_t> in_strides = ContiguousStrides(g.in);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t grp = 0; grp < s.group; ++grp) {
      const C* xg = x + (n * s.in_channels + grp * cg) * in_size;
      const C* colp = xg;
      if (!direct) {
        std::vector<int64_t> kidx(g.rank(), 0);
        for (int64_t c = 0; c < cg; ++c) {
          const C* src = xg + c * in_size;
          int64_t k = 0;
          std::fill(kidx.begin(), kidx.end(), 0);
          do {
            C* dst = col.data() + (c * kernel_size + k) * out_size;
            ForEachWindowTap(tables, g.out, in_strides, kidx,
                             [&](int64_t p, int64_t off) { dst[p] = off >= 0 ? src[off] : C(0); });
            ++k;
          } while (NextIndex(kidx, g.kernel));
        }
        colp = col.data();
      }
      C* yg = y + (n * s.out_channels + grp * mg) * out_size;
      for (int64_t m = 0; m < mg; ++m) {
        std::fill(yg + m * out_size, yg + (m + 1) * out_size, bias != nullptr ? bias[grp * mg + m] : C(0));
      }
      GemmAccumulate(w + grp * mg * rows, colp, mg, rows, out_size, yg);
    }
  }
  return Status::Ok();
}

/// Transposed convolution on compute-typed buffers: x [N, C, in...], w [C, M/group, k...],
/// optional bias [M], y [N, M, out...] (fully written). Here s.geo.in is the op input (the
/// grid) and s.geo.out the op output (the image).
template <typename C>
Status ConvTransposeForward(const KernelContext& ctx, const C* x, const C* w, const C* bias, const ConvShape& s, C* y) {
  const WindowGeometry& g = s.geo;
  const int64_t cg = s.in_channels / s.group, mg = s.out_channels / s.group;
  const int64_t kernel_size = Product(g.kernel), in_size = Product(g.in), out_size = Product(g.out);
  const int64_t rows = mg * kernel_size;
  RETURN_IF_ERROR(CheckScratch(ctx, rows, in_size));
  std::vector<C> col(static_cast<size_t>(rows * in_size));
  std::vector<C> wt(static_cast<size_t>(rows * cg));  // w of one group transposed to [rows, cg]
  const auto tables = WindowCoordinateTables(g.out, g.in, g.kernel, g.strides, g.dilations, g.pad_begin);
  const std::vector<int64_t> out_strides = ContiguousStrides(g.out);
  for (int64_t grp = 0; grp < s.group; ++grp) {
    const C* wg = w + grp * cg * rows;
    for (int64_t c = 0; c < cg; ++c) {
      for (int64_t r = 0; r < rows; ++r) wt[static_cast<size_t>(r * cg + c)] = wg[c * rows + r];
    }
    for (int64_t n = 0; n < s.batch; ++n) {
      const C* xg = x + (n * s.in_channels + grp * cg) * in_size;
      std::fill(col.begin(), col.end(), C(0));
      GemmAccumulate(wt.data(), xg, rows, cg, in_size, col.data());
      C* yg = y + (n * s.out_channels + grp * mg) * out_size;
      std::vector<int64_t> kidx(g.rank(), 0);
      for (int64_t m = 0; m < mg; ++m) {
        C* dst = yg + m * out_size;
        std::fill(dst, dst + out_size, bias != nullptr ? bias[grp * mg + m] : C(0));
        int64_t k = 0;
        std::fill(kidx.begin(), kidx.end(), 0);
        do {
          const C* src = col.data() + (m * kernel_size + k) * in_size;
          ForEachWindowTap(tables, g.in, out_strides, kidx, [&](int64_t p, int64_t off) {
            if (off >= 0) dst[off] += src[p];
          });
          ++k;
        } while (NextIndex(kidx, g.kernel));
      }
    }
  }
  return Status::Ok();
}

/// The elements of `t` as compute type C (a copy; 16-bit floats widened).
template <typename T, typename C>
std::vector<C> WidenAll(const Tensor& t) {
  const T* p = t.data<T>();
  std::vector<C> out(static_cast<size_t>(t.num_elements()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<C>(Widen(p[i]));
  return out;
}

/// Checks the shapes shared by Conv and ConvTranspose: x [N, C, spatial...] and w of the same
/// rank; a bias of `bias_size` elements when present.
Status CheckConvInputs(const char* op, const Tensor& x, const Tensor& w, const Tensor* b, int64_t bias_size) {
  if (x.rank() < 3 || w.rank() != x.rank()) {
    return InvalidArgument(std::string(op) + " needs X of rank >= 3 and W of the same rank, got " + x.DebugString() +
                           " and " + w.DebugString());
  }
  if (b != nullptr && (b->rank() != 1 || b->dim(0) != bias_size)) {
    return InvalidArgument(std::string(op) + " bias " + b->DebugString() + " must have " + std::to_string(bias_size) +
                           " elements");
  }
  return Status::Ok();
}

std::vector<int64_t> SpatialDims(const Tensor& t) {
  return std::vector<int64_t>(t.shape().begin() + 2, t.shape().end());
}

enum class ConvVariant { kFloat, kInteger, kQLinear };

/// The scalar float value of input `i` (x_scale, y_scale), or one per entry (w_scale).
Result<std::vector<float>> ReadScales(const KernelContext& ctx, size_t i, const char* what) {
  ASSIGN_OR_RETURN(const Tensor* t, RequiredInput(ctx, i));
  if (t->dtype() != DType::kFloat32 || t->num_elements() == 0) {
    return InvalidArgument(std::string("QLinearConv ") + what + " must be a float32 tensor, got " + t->DebugString());
  }
  return std::vector<float>(t->data<float>(), t->data<float>() + t->num_elements());
}

/// Conv (float types), ConvInteger (8-bit integers with zero points, int32 output) and
/// QLinearConv (ConvInteger plus an int32 bias, requantised to the y_zero_point type).
class ConvKernel : public Kernel {
 public:
  ConvKernel(WindowAttrs attrs, int64_t group, ConvVariant variant)
      : attrs_(std::move(attrs)), group_(group), variant_(variant) {}

  Status Compute(KernelContext& ctx) const override {
    const size_t w_index = variant_ == ConvVariant::kQLinear ? 3 : 1;
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* w, RequiredInput(ctx, w_index));
    const Tensor* b = variant_ == ConvVariant::kFloat     ? ctx.input(2)
                      : variant_ == ConvVariant::kQLinear ? ctx.input(8)
                                                          : nullptr;
    RETURN_IF_ERROR(CheckConvInputs("Conv", *x, *w, b, w->rank() >= 1 ? w->dim(0) : 0));
    ConvShape s;
    s.batch = x->dim(0);
    s.in_channels = x->dim(1);
    s.out_channels = w->dim(0);
    s.group = group_;
    if (s.in_channels != w->dim(1) * group_ || s.out_channels % group_ != 0) {
      return InvalidArgument("Conv channels do not match: X " + x->DebugString() + ", W " + w->DebugString() +
                             ", group " + std::to_string(group_));
    }
    ASSIGN_OR_RETURN(s.geo, ResolveWindow(attrs_, SpatialDims(*w), SpatialDims(*x)));
    Shape out_shape = {s.batch, s.out_channels};
    out_shape.insert(out_shape.end(), s.geo.out.begin(), s.geo.out.end());
    if (variant_ != ConvVariant::kFloat) return ComputeQuantized(ctx, *x, *w, b, s, out_shape);

    if (w->dtype() != x->dtype() || (b != nullptr && b->dtype() != x->dtype())) {
      return InvalidArgument("Conv inputs have different element types");
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      if constexpr (std::is_same_v<T, C>) {
        return ConvForward<C>(ctx, x->data<T>(), w->data<T>(), b != nullptr ? b->data<T>() : nullptr, s, out.data<T>());
      } else {
        const std::vector<C> xc = WidenAll<T, C>(*x), wc = WidenAll<T, C>(*w);
        const std::vector<C> bc = b != nullptr ? WidenAll<T, C>(*b) : std::vector<C>();
        std::vector<C> yc(static_cast<size_t>(out.num_elements()));
        RETURN_IF_ERROR(ConvForward<C>(ctx, xc.data(), wc.data(), b != nullptr ? bc.data() : nullptr, s, yc.data()));
        T* po = out.data<T>();
        for (size_t i = 0; i < yc.size(); ++i) po[i] = Narrow<T>(yc[i]);
        return Status::Ok();
      }
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  // acc = conv(x - x_zero_point, w - w_zero_point) (+ bias) exactly in int64; the padding
  // contributes zero after the zero point is subtracted. ConvInteger returns acc as int32
  // (wrapping); QLinearConv returns round_half_even(acc * x_scale * w_scale / y_scale) +
  // y_zero_point, saturated to the y_zero_point type (X's type when absent).
  Status ComputeQuantized(KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* bias, const ConvShape& s,
                          const Shape& out_shape) const {
    const bool qlinear = variant_ == ConvVariant::kQLinear;
    const Tensor* xzp = ctx.input(2);
    const Tensor* wzp = ctx.input(qlinear ? 5 : 3);
    ASSIGN_OR_RETURN(std::vector<int64_t> xs, ReadInt8s(x, "x"));
    ASSIGN_OR_RETURN(std::vector<int64_t> ws, ReadInt8s(w, "w"));
    std::vector<int64_t> xz = {0}, wz = {0};
    if (xzp != nullptr) {
      ASSIGN_OR_RETURN(xz, ReadInt8s(*xzp, "x_zero_point"));
      if (xz.size() != 1 || xzp->dtype() != x.dtype()) {
        return InvalidArgument("x_zero_point must be a scalar of X's type, got " + xzp->DebugString());
      }
    }
    if (wzp != nullptr) {
      ASSIGN_OR_RETURN(wz, ReadInt8s(*wzp, "w_zero_point"));
      if ((wz.size() != 1 && static_cast<int64_t>(wz.size()) != s.out_channels) || wzp->dtype() != w.dtype()) {
        return InvalidArgument("w_zero_point must be a scalar or have one entry per output channel, got " +
                               wzp->DebugString());
      }
    }
    for (int64_t& v : xs) v -= xz[0];
    const int64_t per_channel = w.num_elements() / std::max<int64_t>(1, s.out_channels);
    for (size_t i = 0; i < ws.size(); ++i) ws[i] -= wz.size() == 1 ? wz[0] : wz[i / static_cast<size_t>(per_channel)];
    std::vector<int64_t> bs;
    if (bias != nullptr) {
      ASSIGN_OR_RETURN(bs, ReadInt64s(*bias, "bias"));
    }
    const int64_t out_elements = NumElements(out_shape);
    std::vector<int64_t> acc(static_cast<size_t>(std::max<int64_t>(out_elements, 0)));
    RETURN_IF_ERROR(
        ConvForward<int64_t>(ctx, xs.data(), ws.data(), bias != nullptr ? bs.data() : nullptr, s, acc.data()));
    if (!qlinear) {
      ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kInt32, out_shape));
      int32_t* po = out.data<int32_t>();
      for (size_t i = 0; i < acc.size(); ++i) po[i] = static_cast<int32_t>(static_cast<uint32_t>(acc[i]));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(std::vector<float> x_scale, ReadScales(ctx, 1, "x_scale"));
    ASSIGN_OR_RETURN(std::vector<float> w_scale, ReadScales(ctx, 4, "w_scale"));
    ASSIGN_OR_RETURN(std::vector<float> y_scale, ReadScales(ctx, 6, "y_scale"));
    if (x_scale.size() != 1 || y_scale.size() != 1 ||
        (w_scale.size() != 1 && static_cast<int64_t>(w_scale.size()) != s.out_channels)) {
      return InvalidArgument("QLinearConv x_scale and y_scale must be scalars, w_scale scalar or per output channel");
    }
    const Tensor* yzp = ctx.input(7);
    const DType out_type = yzp != nullptr ? yzp->dtype() : x.dtype();
    std::vector<int64_t> yz = {0};
    if (yzp != nullptr) {
      ASSIGN_OR_RETURN(yz, ReadInt8s(*yzp, "y_zero_point"));
      if (yz.size() != 1) return InvalidArgument("QLinearConv y_zero_point must be a scalar");
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(out_type, out_shape));
    const int64_t spatial = Product(s.geo.out);
    auto requantize = [&](auto* po, int64_t lo, int64_t hi) {
      using Q = std::remove_pointer_t<decltype(po)>;
      for (size_t i = 0; i < acc.size(); ++i) {
        const size_t m =
            static_cast<size_t>((static_cast<int64_t>(i) / std::max<int64_t>(spatial, 1)) % s.out_channels);
        const float multiplier = x_scale[0] * w_scale[w_scale.size() == 1 ? 0 : m] / y_scale[0];
        const double v =
            std::nearbyint(static_cast<double>(acc[i]) * static_cast<double>(multiplier)) + static_cast<double>(yz[0]);
        po[i] = static_cast<Q>(std::clamp(v, static_cast<double>(lo), static_cast<double>(hi)));
      }
    };
    if (out_type == DType::kUInt8) {
      requantize(out.data<uint8_t>(), 0, 255);
    } else {
      requantize(out.data<int8_t>(), -128, 127);
    }
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

  // The elements of an int8 / uint8 tensor as int64.
  static Result<std::vector<int64_t>> ReadInt8s(const Tensor& t, const char* what) {
    std::vector<int64_t> v(static_cast<size_t>(t.num_elements()));
    if (t.dtype() == DType::kUInt8) {
      std::copy_n(t.data<uint8_t>(), v.size(), v.begin());
    } else if (t.dtype() == DType::kInt8) {
      std::copy_n(t.data<int8_t>(), v.size(), v.begin());
    } else {
      return InvalidArgument(std::string(what) + " must be int8 or uint8, got " + t.DebugString());
    }
    return v;
  }

  WindowAttrs attrs_;
  int64_t group_;
  ConvVariant variant_;
};

/// ConvTranspose. The output size is stride * (in - 1) + output_padding + effective kernel -
/// pads, or output_shape (pads then derived, extra padding at the end for SAME_UPPER and at the
/// beginning otherwise, as the ONNX reference does); SAME_* without output_shape targets in * stride.
class ConvTransposeKernel : public Kernel {
 public:
  ConvTransposeKernel(WindowAttrs attrs, int64_t group, std::vector<int64_t> output_padding,
                      std::vector<int64_t> output_shape)
      : attrs_(std::move(attrs)),
        group_(group),
        output_padding_(std::move(output_padding)),
        output_shape_(std::move(output_shape)) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* w, RequiredInput(ctx, 1));
    const Tensor* b = ctx.input(2);
    RETURN_IF_ERROR(CheckConvInputs("ConvTranspose", *x, *w, b, w->rank() >= 2 ? w->dim(1) * group_ : 0));
    if (w->dtype() != x->dtype() || (b != nullptr && b->dtype() != x->dtype())) {
      return InvalidArgument("ConvTranspose inputs have different element types");
    }
    ConvShape s;
    s.batch = x->dim(0);
    s.in_channels = x->dim(1);
    s.out_channels = w->dim(1) * group_;
    s.group = group_;
    if (s.in_channels != w->dim(0) || s.in_channels % group_ != 0) {
      return InvalidArgument("ConvTranspose channels do not match: X " + x->DebugString() + ", W " + w->DebugString() +
                             ", group " + std::to_string(group_));
    }
    ASSIGN_OR_RETURN(s.geo, Geometry(SpatialDims(*x), SpatialDims(*w)));
    Shape out_shape = {s.batch, s.out_channels};
    out_shape.insert(out_shape.end(), s.geo.out.begin(), s.geo.out.end());
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      if constexpr (std::is_same_v<T, C>) {
        return ConvTransposeForward<C>(ctx, x->data<T>(), w->data<T>(), b != nullptr ? b->data<T>() : nullptr, s,
                                       out.data<T>());
      } else {
        const std::vector<C> xc = WidenAll<T, C>(*x), wc = WidenAll<T, C>(*w);
        const std::vector<C> bc = b != nullptr ? WidenAll<T, C>(*b) : std::vector<C>();
        std::vector<C> yc(static_cast<size_t>(out.num_elements()));
        RETURN_IF_ERROR(
            ConvTransposeForward<C>(ctx, xc.data(), wc.data(), b != nullptr ? bc.data() : nullptr, s, yc.data()));
        T* po = out.data<T>();
        for (size_t i = 0; i < yc.size(); ++i) po[i] = Narrow<T>(yc[i]);
        return Status::Ok();
      }
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  // geo.in = the op input dims (the grid), geo.out = the op output dims (the image).
  Result<WindowGeometry> Geometry(const std::vector<int64_t>& in, const std::vector<int64_t>& kernel) const {
    const size_t rank = in.size();
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel) {
      return InvalidArgument("kernel_shape " + IntsToString(attrs_.kernel) + " does not match the weights " +
                             IntsToString(kernel));
    }
    auto fits = [rank](const std::vector<int64_t>& v, size_t per_dim) {
      return v.empty() || v.size() == rank * per_dim;
    };
    // output_shape may also list the batch and channel dims; only the spatial ones matter.
    std::vector<int64_t> output_shape = output_shape_;
    if (output_shape.size() == rank + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
    if (!fits(attrs_.strides, 1) || !fits(attrs_.dilations, 1) || !fits(attrs_.pads, 2) || !fits(output_padding_, 1) ||
        !fits(output_shape, 1)) {
      return InvalidArgument("ConvTranspose attributes do not match the " + std::to_string(rank) +
                             " spatial dims of the input");
    }
    WindowGeometry g;
    g.in = in;
    g.kernel = kernel;
    g.strides = attrs_.strides.empty() ? std::vector<int64_t>(rank, 1) : attrs_.strides;
    g.dilations = attrs_.dilations.empty() ? std::vector<int64_t>(rank, 1) : attrs_.dilations;
    g.pad_begin.assign(rank, 0);
    g.pad_end.assign(rank, 0);
    g.out.assign(rank, 0);
    const bool same = attrs_.auto_pad == AutoPad::kSameUpper || attrs_.auto_pad == AutoPad::kSameLower;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t op = output_padding_.empty() ? 0 : output_padding_[d];
      const int64_t natural = g.strides[d] * (in[d] - 1) + op + (kernel[d] - 1) * g.dilations[d] + 1;
      if (!output_shape.empty() || same) {
        const int64_t target = output_shape.empty() ? in[d] * g.strides[d] : output_shape[d];
        const int64_t total = natural - target;
        const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor(total / 2)
        g.pad_begin[d] = attrs_.auto_pad == AutoPad::kSameUpper ? half : total - half;
        g.pad_end[d] = total - g.pad_begin[d];
      } else if (attrs_.auto_pad == AutoPad::kNotSet && !attrs_.pads.empty()) {
        g.pad_begin[d] = attrs_.pads[d];
        g.pad_end[d] = attrs_.pads[d + rank];
      }
      g.out[d] = natural - g.pad_begin[d] - g.pad_end[d];
      if (g.out[d] < 0) return InvalidArgument("ConvTranspose output would have a negative size");
    }
    return g;
  }

  WindowAttrs attrs_;
  int64_t group_;
  std::vector<int64_t> output_padding_;
  std::vector<int64_t> output_shape_;
};

Result<int64_t> ReadGroup(const ir::Node& node) {
  const int64_t group = node.GetInt("group", 1);
  if (group < 1) return InvalidArgument("group must be positive, got " + std::to_string(group));
  return group;
}

}  // namespace

void RegisterConvKernels(KernelRegistry& registry) {
  const std::pair<const char*, ConvVariant> variants[] = {
      {"Conv", ConvVariant::kFloat}, {"ConvInteger", ConvVariant::kInteger}, {"QLinearConv", ConvVariant::kQLinear}};
  for (const auto& [op, variant] : variants) {
    registry.Register(kOnnxDomain, op, [variant = variant](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
      ASSIGN_OR_RETURN(WindowAttrs attrs, ReadWindowAttrs(node, false));
      ASSIGN_OR_RETURN(int64_t group, ReadGroup(node));
      return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(attrs), group, variant));
    });
  }
  registry.Register(kOnnxDomain, "ConvTranspose", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(WindowAttrs attrs, ReadWindowAttrs(node, false));
    ASSIGN_OR_RETURN(int64_t group, ReadGroup(node));
    std::vector<int64_t> output_padding = node.GetInts("output_padding");
    std::vector<int64_t> output_shape = node.GetInts("output_shape");
    for (int64_t v : output_padding) {
      if (v < 0) return InvalidArgument("output_padding must be non-negative, got " + IntsToString(output_padding));
    }
    for (int64_t v : output_shape) {
      if (v < 0) return InvalidArgument("output_shape must be non-negative, got " + IntsToString(output_shape));
    }
    return std::unique_ptr<Kernel>(std::make_unique<ConvTransposeKernel>(
        std::move(attrs), group, std::move(output_padding), std::move(output_shape)));
  });
}

}  // namespace mlserving::kernels::reference

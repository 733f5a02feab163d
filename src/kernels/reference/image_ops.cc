// Image-like ops: Resize (nearest / linear / cubic, every coordinate_transformation_mode,
// nearest_mode, exclude_outside, antialias, axes, keep_aspect_ratio_policy), Upsample, Pad
// (constant / reflect / edge / wrap), DepthToSpace, SpaceToDepth and GridSample.

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"
#include "kernels/reference/window_util.h"

namespace mlserving::kernels::reference {
namespace {

// ---- Resize and Upsample

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class CoordMode {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
/// kSimple is the rounding of Upsample and Resize-10: ceil when downsampling, floor otherwise.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

/// The validated attributes of a Resize / Upsample node and where its inputs are.
struct ResizeConfig {
  ResizeMode mode = ResizeMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0;
  bool antialias = false;
  std::vector<int64_t> axes;  // empty: all
  AspectPolicy policy = AspectPolicy::kStretch;
  std::vector<float> attr_scales;  // Upsample-7
  int roi_input = -1, scales_input = -1, sizes_input = -1;
};

/// The taps of a 1-D resampling: output o reads sum_t weight[t] * in[index[t]] for t in
/// [begin[o], begin[o + 1]); `outside[o]` marks tf_crop_and_resize extrapolation.
struct AxisTaps {
  std::vector<size_t> begin;
  std::vector<int64_t> index;
  std::vector<double> weight;
  std::vector<bool> outside;
};

double CubicWeight(double d, double a) {
  d = std::abs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

/// The source coordinate of output index `o` along one axis, as the ONNX reference computes it:
/// the formulas use the unrounded output length scale * in_len.
double SourceCoordinate(CoordMode mode, double o, double scale, int64_t in_len, int64_t out_len, double roi_start,
                        double roi_end) {
  const double in_f = static_cast<double>(in_len);
  const double out_f = scale * in_f;
  switch (mode) {
    case CoordMode::kHalfPixel: return (o + 0.5) / scale - 0.5;
    case CoordMode::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out_len) / out_f;
      return in_f / 2 * (1 - adjustment) + (o + 0.5) / scale - 0.5;
    }
    case CoordMode::kPytorchHalfPixel: return out_len > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
    case CoordMode::kAlignCorners: return out_f == 1 ? 0.0 : o * (in_f - 1) / (out_f - 1);
    case CoordMode::kAsymmetric: return o / scale;
    case CoordMode::kTfHalfPixelForNn: return (o + 0.5) / scale;
    case CoordMode::kTfCropAndResize:
      return out_f == 1 ? 0.5 * (roi_start + roi_end) * (in_f - 1)
                        : roi_start * (in_f - 1) + o * (roi_end - roi_start) * (in_f - 1) / (out_f - 1);
  }
  return 0;
}

int64_t RoundNearest(NearestMode mode, double x, double scale) {
  switch (mode) {
    case NearestMode::kRoundPreferFloor: return static_cast<int64_t>(std::ceil(x - 0.5));
    case NearestMode::kRoundPreferCeil: return static_cast<int64_t>(std::floor(x + 0.5));
    case NearestMode::kFloor: return static_cast<int64_t>(std::floor(x));
    case NearestMode::kCeil: return static_cast<int64_t>(std::ceil(x));
    case NearestMode::kSimple: return static_cast<int64_t>(scale < 1 ? std::ceil(x) : std::floor(x));
  }
  return 0;
}

/// The taps of one axis, following the ONNX reference: linear / cubic read the pixels around
/// x (clamped to the edge, or dropped and the weights renormalised with exclude_outside); with
/// antialias and scale < 1 the kernel is stretched by 1 / scale and normalised.
AxisTaps ComputeAxisTaps(const ResizeConfig& c, int64_t in_len, int64_t out_len, double scale, double roi_start,
                         double roi_end) {
  AxisTaps taps;
  taps.begin.reserve(static_cast<size_t>(out_len) + 1);
  taps.outside.assign(static_cast<size_t>(out_len), false);
  for (int64_t o = 0; o < out_len; ++o) {
    taps.begin.push_back(taps.index.size());
    const double x = SourceCoordinate(c.coord, static_cast<double>(o), scale, in_len, out_len, roi_start, roi_end);
    if (c.coord == CoordMode::kTfCropAndResize && (x < 0 || x > static_cast<double>(in_len - 1))) {
      taps.outside[static_cast<size_t>(o)] = true;
      continue;
    }
    if (c.mode == ResizeMode::kNearest) {
      taps.index.push_back(std::clamp<int64_t>(RoundNearest(c.nearest, x, scale), 0, in_len - 1));
      taps.weight.push_back(1);
      continue;
    }
    // b is the pixel left of x and r in (0, 1] the distance to it (the reference prefers the
    // left pixel when x is an integer).
    const double b = std::ceil(x) - 1;
    const double r = x - b;
    const double s = c.antialias ? std::min(scale, 1.0) : 1.0;
    const double support = c.mode == ResizeMode::kLinear ? 1 : 2;
    const int64_t j0 = static_cast<int64_t>(std::floor(-support / s)) + 1;
    const int64_t n = 2 - 2 * j0;
    const size_t first = taps.index.size();
    double sum = 0;
    for (int64_t j = j0; j < j0 + n; ++j) {
      const double d = (static_cast<double>(j) - r) * s;
      const double w = c.mode == ResizeMode::kLinear ? std::max(0.0, 1 - std::abs(d)) : CubicWeight(d, c.cubic_a);
      taps.index.push_back(static_cast<int64_t>(b) + j);
      taps.weight.push_back(w);
      sum += w;
    }
    if (c.antialias && sum != 0) {
      for (size_t t = first; t < taps.weight.size(); ++t) taps.weight[t] /= sum;
    }
    if (c.exclude_outside) {
      double kept = 0;
      for (size_t t = first; t < taps.index.size(); ++t) {
        if (taps.index[t] < 0 || taps.index[t] >= in_len) taps.weight[t] = 0;
        kept += taps.weight[t];
      }
      if (kept != 0) {
        for (size_t t = first; t < taps.weight.size(); ++t) taps.weight[t] /= kept;
      }
    }
    for (size_t t = first; t < taps.index.size(); ++t)
      taps.index[t] = std::clamp<int64_t>(taps.index[t], 0, in_len - 1);
  }
  taps.begin.push_back(taps.index.size());
  return taps;
}

/// Resamples `data` (shape `shape`) along `axis` to `out_len`; returns the new buffer.
std::vector<double> ResampleAxis(const std::vector<double>& data, const Shape& shape, size_t axis, int64_t out_len,
                                 const AxisTaps& taps, double extrapolation_value) {
  const int64_t outer = DimProduct(shape, 0, axis), in_len = shape[axis];
  const int64_t inner = DimProduct(shape, axis + 1, shape.size());
  std::vector<double> out(static_cast<size_t>(outer * out_len * inner));
  for (int64_t a = 0; a < outer; ++a) {
    const double* src = data.data() + a * in_len * inner;
    double* dst = out.data() + a * out_len * inner;
    for (int64_t o = 0; o < out_len; ++o) {
      double* row = dst + o * inner;
      if (taps.outside[static_cast<size_t>(o)]) {
        std::fill(row, row + inner, extrapolation_value);
        continue;
      }
      std::fill(row, row + inner, 0.0);
      for (size_t t = taps.begin[static_cast<size_t>(o)]; t < taps.begin[static_cast<size_t>(o) + 1]; ++t) {
        const double w = taps.weight[t];
        const double* s = src + taps.index[t] * inner;
        for (int64_t i = 0; i < inner; ++i) row[i] += w * s[i];
      }
    }
  }
  return out;
}

/// The values of a float tensor (float16/32/64) as double; empty for an absent tensor.
Result<std::vector<double>> ReadFloatList(const Tensor* t, const char* what) {
  std::vector<double> v;
  if (t == nullptr) return v;
  v.resize(static_cast<size_t>(t->num_elements()));
  Status st = DispatchFloating(t->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t->data<T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(Widen(p[i]));
    return Status::Ok();
  });
  if (!st.ok()) return InvalidArgument(std::string(what) + " must be a float tensor, got " + t->DebugString());
  return v;
}

/// Resize / Upsample over every axis (or `axes`), separably: each axis with a change is
/// resampled in turn, last axis first, in double precision.
class ResizeKernel : public Kernel {
 public:
  explicit ResizeKernel(ResizeConfig config) : c_(std::move(config)) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    const int64_t rank = x->rank();
    std::vector<int64_t> axes(static_cast<size_t>(rank));
    for (int64_t d = 0; d < rank; ++d) axes[static_cast<size_t>(d)] = d;
    if (!c_.axes.empty()) {
      ASSIGN_OR_RETURN(axes, NormalizeAxes(c_.axes, rank));
    }
    const size_t n_axes = axes.size();
    std::vector<double> scales(static_cast<size_t>(rank), 1.0);
    Shape out_shape = x->shape();

    ASSIGN_OR_RETURN(std::vector<double> given_scales,
                     c_.scales_input >= 0 ? ReadFloatList(ctx.input(static_cast<size_t>(c_.scales_input)), "scales")
                                          : Result<std::vector<double>>(
                                                std::vector<double>(c_.attr_scales.begin(), c_.attr_scales.end())));
    std::vector<int64_t> sizes;
    if (c_.sizes_input >= 0 && ctx.input(static_cast<size_t>(c_.sizes_input)) != nullptr) {
      ASSIGN_OR_RETURN(sizes, ReadInt64s(*ctx.input(static_cast<size_t>(c_.sizes_input)), "sizes"));
    }
    if (!sizes.empty() && !given_scales.empty()) return InvalidArgument("Resize takes scales or sizes, not both");
    if (!sizes.empty()) {
      if (sizes.size() != n_axes) {
        return InvalidArgument("Resize sizes has " + std::to_string(sizes.size()) + " entries, expected " +
                               std::to_string(n_axes));
      }
      double chosen = c_.policy == AspectPolicy::kNotLarger ? 1e300 : 0;
      for (size_t i = 0; i < n_axes; ++i) {
        const size_t a = static_cast<size_t>(axes[i]);
        if (sizes[i] < 0) return InvalidArgument("Resize sizes must be non-negative");
        const double r = x->shape()[a] == 0 ? 1.0 : static_cast<double>(sizes[i]) / static_cast<double>(x->shape()[a]);
        chosen = c_.policy == AspectPolicy::kNotLarger ? std::min(chosen, r) : std::max(chosen, r);
        scales[a] = r;
        out_shape[a] = sizes[i];
      }
      if (c_.policy != AspectPolicy::kStretch) {
        for (size_t i = 0; i < n_axes; ++i) {
          const size_t a = static_cast<size_t>(axes[i]);
          scales[a] = chosen;
          out_shape[a] = static_cast<int64_t>(std::floor(chosen * static_cast<double>(x->shape()[a]) + 0.5));
        }
      }
    } else {
      if (given_scales.size() != n_axes) {
        return InvalidArgument("Resize needs " + std::to_string(n_axes) + " scales (or sizes), got " +
                               std::to_string(given_scales.size()));
      }
      for (size_t i = 0; i < n_axes; ++i) {
        const size_t a = static_cast<size_t>(axes[i]);
        if (!(given_scales[i] > 0) || !std::isfinite(given_scales[i])) {
          return InvalidArgument("Resize scales must be positive");
        }
        scales[a] = given_scales[i];
        const double size = given_scales[i] * static_cast<double>(x->shape()[a]);
        if (size > 9.0e18) return InvalidArgument("Resize output is too large");
        out_shape[a] = static_cast<int64_t>(std::floor(size));
      }
    }
    std::vector<double> roi_start(static_cast<size_t>(rank), 0.0), roi_end(static_cast<size_t>(rank), 1.0);
    if (c_.coord == CoordMode::kTfCropAndResize) {
      ASSIGN_OR_RETURN(
          std::vector<double> roi,
          ReadFloatList(c_.roi_input >= 0 ? ctx.input(static_cast<size_t>(c_.roi_input)) : nullptr, "roi"));
      if (roi.size() != 2 * n_axes) {
        return InvalidArgument("Resize tf_crop_and_resize needs an roi of " + std::to_string(2 * n_axes) + " values");
      }
      for (size_t i = 0; i < n_axes; ++i) {
        roi_start[static_cast<size_t>(axes[i])] = roi[i];
        roi_end[static_cast<size_t>(axes[i])] = roi[i + n_axes];
      }
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));

    // Read X as doubles, resample axis by axis, write back.
    std::vector<double> data(static_cast<size_t>(x->num_elements()));
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* p = x->data<T>();
      for (size_t i = 0; i < data.size(); ++i) data[i] = ConvertNumber<double>(p[i]);
      return Status::Ok();
    }));
    Shape shape = x->shape();
    const bool tf_mode = c_.coord == CoordMode::kTfCropAndResize || c_.coord == CoordMode::kTfHalfPixelForNn;
    for (size_t a = static_cast<size_t>(rank); a-- > 0;) {
      if (out_shape[a] == shape[a] && scales[a] == 1.0 && !tf_mode) continue;
      if (shape[a] == 0 && out_shape[a] != 0) return InvalidArgument("Resize cannot grow an empty axis");
      const AxisTaps taps = ComputeAxisTaps(c_, shape[a], out_shape[a], scales[a], roi_start[a], roi_end[a]);
      data = ResampleAxis(data, shape, a, out_shape[a], taps, c_.extrapolation_value);
      shape[a] = out_shape[a];
    }
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      T* p = out.data<T>();
      for (size_t i = 0; i < data.size(); ++i) {
        if constexpr (std::is_integral_v<T>) {
          p[i] = ConvertNumber<T>(std::nearbyint(data[i]));
        } else {
          p[i] = Narrow<T>(static_cast<ComputeType<T>>(data[i]));
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  ResizeConfig c_;
};

Result<ResizeConfig> ReadResizeConfig(const ir::Node& node, bool upsample) {
  ResizeConfig c;
  const std::string mode = node.GetString("mode", "nearest");
  if (mode == "nearest") {
    c.mode = ResizeMode::kNearest;
  } else if (mode == "linear" || mode == "bilinear" || mode == "trilinear") {
    c.mode = ResizeMode::kLinear;
  } else if (mode == "cubic" && !upsample && node.opset >= 11) {
    c.mode = ResizeMode::kCubic;
  } else {
    return Unimplemented("resize mode '" + mode + "' is not supported");
  }
  if (upsample || node.opset < 11) {
    // Upsample and Resize-10: asymmetric coordinates, floor-style nearest.
    c.coord = CoordMode::kAsymmetric;
    c.nearest = NearestMode::kSimple;
    if (upsample && node.opset < 9) {
      c.attr_scales = node.GetFloats("scales");
      if (c.attr_scales.empty()) return InvalidArgument("Upsample needs the scales attribute");
    } else {
      c.scales_input = 1;
    }
    return c;
  }
  c.roi_input = 1;
  c.scales_input = 2;
  c.sizes_input = 3;
  const std::string coord = node.GetString("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel") {
    c.coord = CoordMode::kHalfPixel;
  } else if (coord == "half_pixel_symmetric") {
    c.coord = CoordMode::kHalfPixelSymmetric;
  } else if (coord == "pytorch_half_pixel") {
    c.coord = CoordMode::kPytorchHalfPixel;
  } else if (coord == "align_corners") {
    c.coord = CoordMode::kAlignCorners;
  } else if (coord == "asymmetric") {
    c.coord = CoordMode::kAsymmetric;
  } else if (coord == "tf_half_pixel_for_nn") {
    c.coord = CoordMode::kTfHalfPixelForNn;
  } else if (coord == "tf_crop_and_resize") {
    c.coord = CoordMode::kTfCropAndResize;
  } else {
    return Unimplemented("Resize coordinate_transformation_mode '" + coord + "' is not supported");
  }
  const std::string nearest = node.GetString("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor") {
    c.nearest = NearestMode::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    c.nearest = NearestMode::kRoundPreferCeil;
  } else if (nearest == "floor") {
    c.nearest = NearestMode::kFloor;
  } else if (nearest == "ceil") {
    c.nearest = NearestMode::kCeil;
  } else {
    return Unimplemented("Resize nearest_mode '" + nearest + "' is not supported");
  }
  const std::string policy = node.GetString("keep_aspect_ratio_policy", "stretch");
  if (policy == "stretch") {
    c.policy = AspectPolicy::kStretch;
  } else if (policy == "not_larger") {
    c.policy = AspectPolicy::kNotLarger;
  } else if (policy == "not_smaller") {
    c.policy = AspectPolicy::kNotSmaller;
  } else {
    return Unimplemented("Resize keep_aspect_ratio_policy '" + policy + "' is not supported");
  }
  c.cubic_a = node.GetFloat("cubic_coeff_a", -0.75f);
  c.exclude_outside = node.GetInt("exclude_outside", 0) != 0;
  c.extrapolation_value = node.GetFloat("extrapolation_value", 0.0f);
  c.antialias = node.GetInt("antialias", 0) != 0;
  c.axes = node.GetInts("axes");
  return c;
}

// ---- Pad

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

/// Pad: negative pads crop first; reflect / edge / wrap then extend the cropped data.
/// Before opset 11 the pads (opset 1: paddings) and value are attributes; since 11 they are the
/// inputs pads, constant_value and (opset 18) axes.
class PadKernel : public Kernel {
 public:
  PadKernel(PadMode mode, bool from_inputs, std::vector<int64_t> attr_pads, double attr_value)
      : mode_(mode), from_inputs_(from_inputs), attr_pads_(std::move(attr_pads)), attr_value_(attr_value) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    const int64_t rank = x->rank();
    std::vector<int64_t> pads = attr_pads_;
    const Tensor* value_t = nullptr;
    if (from_inputs_) {
      ASSIGN_OR_RETURN(const Tensor* pads_t, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(std::vector<int64_t> raw, ReadInt64s(*pads_t, "pads"));
      value_t = ctx.input(2);
      if (value_t != nullptr && value_t->num_elements() == 0) value_t = nullptr;
      if (value_t != nullptr && value_t->dtype() != x->dtype()) {
        return InvalidArgument("Pad constant_value " + value_t->DebugString() + " must have X's type");
      }
      const Tensor* axes_t = ctx.input(3);
      if (axes_t != nullptr) {
        ASSIGN_OR_RETURN(std::vector<int64_t> axes_raw, ReadInt64s(*axes_t, "axes"));
        ASSIGN_OR_RETURN(std::vector<int64_t> axes, NormalizeAxes(axes_raw, rank));
        if (raw.size() != 2 * axes.size()) return InvalidArgument("Pad pads must have two entries per axis");
        pads.assign(static_cast<size_t>(2 * rank), 0);
        for (size_t i = 0; i < axes.size(); ++i) {
          pads[static_cast<size_t>(axes[i])] = raw[i];
          pads[static_cast<size_t>(axes[i] + rank)] = raw[i + axes.size()];
        }
      } else {
        pads = std::move(raw);
      }
    }
    if (pads.size() != static_cast<size_t>(2 * rank)) {
      return InvalidArgument("Pad needs " + std::to_string(2 * rank) + " pads for " + x->DebugString());
    }
    Shape out_shape = x->shape();
    // table[d][o]: the source index along d of output index o, or -1 for the constant.
    std::vector<std::vector<int64_t>> table(static_cast<size_t>(rank));
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t n = x->dim(d), pb = pads[static_cast<size_t>(d)], pe = pads[static_cast<size_t>(d + rank)];
      const int64_t out_len = n + pb + pe;
      if (out_len < 0) return InvalidArgument("Pad pads crop more than the input " + x->DebugString());
      const int64_t lo = std::max<int64_t>(0, -pb), m = n - lo - std::max<int64_t>(0, -pe);
      if (m <= 0 && mode_ != PadMode::kConstant && out_len > 0) {
        return InvalidArgument("Pad cannot extend an empty axis in this mode");
      }
      out_shape[static_cast<size_t>(d)] = out_len;
      std::vector<int64_t>& t = table[static_cast<size_t>(d)];
      t.resize(static_cast<size_t>(out_len));
      for (int64_t o = 0; o < out_len; ++o) {
        int64_t q = o - std::max<int64_t>(pb, 0);
        if (q < 0 || q >= m) {
          switch (mode_) {
            case PadMode::kConstant: q = -1; break;
            case PadMode::kEdge: q = std::clamp<int64_t>(q, 0, m - 1); break;
            case PadMode::kWrap: q = ((q % m) + m) % m; break;
            case PadMode::kReflect: {
              if (m == 1) {
                q = 0;
              } else {
                const int64_t period = 2 * (m - 1);
                q = ((q % period) + period) % period;
                if (q >= m) q = period - q;
              }
              break;
            }
          }
        }
        t[static_cast<size_t>(o)] = q < 0 ? -1 : lo + q;
      }
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
    const std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
    DispatchDType(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T value{};
      if (value_t != nullptr) {
        value = value_t->data<T>()[0];
      } else if constexpr (!std::is_same_v<T, std::string>) {
        value = ConvertNumber<T>(attr_value_);
      }
      const T* in = x->data<T>();
      T* po = out.data<T>();
      const int64_t total = out.num_elements();
      std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
      for (int64_t i = 0; i < total; ++i) {
        int64_t off = 0;
        bool constant = false;
        for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
          const int64_t s = table[d][static_cast<size_t>(idx[d])];
          if (s < 0) constant = true;
          off += s * in_strides[d];
        }
        po[i] = constant ? value : in[off];
        NextIndex(idx, out_shape);
      }
    });
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  PadMode mode_;
  bool from_inputs_;
  std::vector<int64_t> attr_pads_;
  double attr_value_;
};

// ---- DepthToSpace and SpaceToDepth

/// DepthToSpace (DCR or CRD) and SpaceToDepth on [N, C, H, W], as a strided gather of a 6-D view.
class BlockKernel : public Kernel {
 public:
  BlockKernel(int64_t block, bool to_space, bool crd) : block_(block), to_space_(to_space), crd_(crd) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    if (x->rank() != 4) return InvalidArgument("needs a 4-D input, got " + x->DebugString());
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), b = block_;
    Shape view, final_shape;
    std::vector<int64_t> strides;
    if (to_space_) {
      if (c % (b * b) != 0) {
        return InvalidArgument("DepthToSpace channels " + std::to_string(c) + " are not a multiple of blocksize^2");
      }
      const int64_t cc = c / (b * b);
      // View dims [N, C', H, b1, W, b2].
      const int64_t s_b1 = crd_ ? b * h * w : b * cc * h * w;
      const int64_t s_b2 = crd_ ? h * w : cc * h * w;
      const int64_t s_c = crd_ ? b * b * h * w : h * w;
      view = {n, cc, h, b, w, b};
      strides = {c * h * w, s_c, w, s_b1, 1, s_b2};
      final_shape = {n, cc, h * b, w * b};
    } else {
      if (h % b != 0 || w % b != 0) {
        return InvalidArgument("SpaceToDepth spatial dims of " + x->DebugString() + " are not multiples of blocksize");
      }
      const int64_t hh = h / b, ww = w / b;
      // View dims [N, b1, b2, C, H', W'].
      view = {n, b, b, c, hh, ww};
      strides = {c * h * w, w, 1, h * w, b * w, b};
      final_shape = {n, c * b * b, hh, ww};
    }
    ASSIGN_OR_RETURN(Tensor gathered, GatherStrided(ctx, *x, view, strides));
    ASSIGN_OR_RETURN(Tensor out, gathered.Reshaped(final_shape));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  int64_t block_;
  bool to_space_, crd_;
};

// ---- GridSample

enum class GridMode { kNearest, kLinear, kCubic };
enum class GridPadding { kZeros, kBorder, kReflection };

/// Reflects x into [lo, hi] (as ONNX Runtime's GridSample).
double Reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x;
    const int64_t n = static_cast<int64_t>(dx / range);
    const double r = dx - static_cast<double>(n) * range;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    const int64_t n = static_cast<int64_t>(dx / range);
    const double r = dx - static_cast<double>(n) * range;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

/// GridSample on X [N, C, H, W] with grid [N, H_out, W_out, 2] of normalised (x, y) in [-1, 1]:
/// bilinear / nearest (round half to even) / bicubic (a = -0.75) sampling with zeros, border or
/// reflection padding, following ONNX Runtime.
class GridSampleKernel : public Kernel {
 public:
  GridSampleKernel(GridMode mode, GridPadding padding, bool align_corners)
      : mode_(mode), padding_(padding), align_corners_(align_corners) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* grid, RequiredInput(ctx, 1));
    if (x->rank() != 4) return Unimplemented("GridSample supports 4-D inputs only, got " + x->DebugString());
    if (grid->rank() != 4 || grid->dim(0) != x->dim(0) || grid->dim(3) != 2) {
      return InvalidArgument("GridSample grid " + grid->DebugString() + " must be [N, H_out, W_out, 2] for X " +
                             x->DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<double> g, ReadFloatList(grid, "grid"));
    const int64_t n_size = x->dim(0), channels = x->dim(1), height = x->dim(2), width = x->dim(3);
    const int64_t oh = grid->dim(1), ow = grid->dim(2);
    if ((height == 0 || width == 0) && channels * oh * ow > 0) {
      return InvalidArgument("GridSample cannot sample an empty image " + x->DebugString());
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), {n_size, channels, oh, ow}));
    const double x_min = align_corners_ ? 0 : -0.5, x_max = align_corners_ ? width - 1 : width - 0.5;
    const double y_min = align_corners_ ? 0 : -0.5, y_max = align_corners_ ? height - 1 : height - 0.5;
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t n = 0; n < n_size; ++n) {
        for (int64_t i = 0; i < oh * ow; ++i) {
          const double gx = g[static_cast<size_t>((n * oh * ow + i) * 2)];
          const double gy = g[static_cast<size_t>((n * oh * ow + i) * 2 + 1)];
          double px = Denormalize(gx, width), py = Denormalize(gy, height);
          if (mode_ == GridMode::kNearest) {
            px = std::nearbyint(px);
            py = std::nearbyint(py);
          }
          if (px < x_min || px > x_max || py < y_min || py > y_max) {
            if (padding_ == GridPadding::kBorder) {
              px = std::clamp(px, 0.0, static_cast<double>(width - 1));
              py = std::clamp(py, 0.0, static_cast<double>(height - 1));
            } else if (padding_ == GridPadding::kReflection) {
              px = Reflect(px, x_min, x_max);
              py = Reflect(py, y_min, y_max);
            }
          }
          for (int64_t c = 0; c < channels; ++c) {
            const T* plane = in + (n * channels + c) * height * width;
            auto pixel = [&](int64_t yy, int64_t xx) -> double {
              if (padding_ == GridPadding::kZeros) {
                if (xx < 0 || xx >= width || yy < 0 || yy >= height) return 0;
              } else if (padding_ == GridPadding::kBorder) {
                xx = std::clamp<int64_t>(xx, 0, width - 1);
                yy = std::clamp<int64_t>(yy, 0, height - 1);
              } else {
                xx = static_cast<int64_t>(Reflect(static_cast<double>(xx), x_min, x_max));
                yy = static_cast<int64_t>(Reflect(static_cast<double>(yy), y_min, y_max));
                xx = std::clamp<int64_t>(xx, 0, width - 1);
                yy = std::clamp<int64_t>(yy, 0, height - 1);
              }
              return static_cast<double>(Widen(plane[yy * width + xx]));
            };
            double v = 0;
            if (mode_ == GridMode::kNearest) {
              v = pixel(static_cast<int64_t>(py), static_cast<int64_t>(px));
            } else if (mode_ == GridMode::kLinear) {
              const double fx = std::floor(px), fy = std::floor(py);
              const int64_t x1 = static_cast<int64_t>(fx), y1 = static_cast<int64_t>(fy);
              const double dx = px - fx, dy = py - fy;
              v = (1 - dy) * ((1 - dx) * pixel(y1, x1) + dx * pixel(y1, x1 + 1)) +
                  dy * ((1 - dx) * pixel(y1 + 1, x1) + dx * pixel(y1 + 1, x1 + 1));
            } else {
              const double fx = std::floor(px), fy = std::floor(py);
              const int64_t x0 = static_cast<int64_t>(fx) - 1, y0 = static_cast<int64_t>(fy) - 1;
              const double dx = px - fx, dy = py - fy;
              double wx[4], wy[4];
              for (int k = 0; k < 4; ++k) {
                wx[k] = CubicWeight(dx + 1 - k, -0.75);
                wy[k] = CubicWeight(dy + 1 - k, -0.75);
              }
              for (int r = 0; r < 4; ++r) {
                double row = 0;
                for (int k = 0; k < 4; ++k) row += wx[k] * pixel(y0 + r, x0 + k);
                v += wy[r] * row;
              }
            }
            po[((n * channels + c) * oh * ow) + i] = Narrow<T>(static_cast<ComputeType<T>>(v));
          }
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  double Denormalize(double v, int64_t len) const {
    return align_corners_ ? (v + 1) / 2 * static_cast<double>(len - 1) : ((v + 1) * static_cast<double>(len) - 1) / 2;
  }

  GridMode mode_;
  GridPadding padding_;
  bool align_corners_;
};

}  // namespace

void RegisterImageKernels(KernelRegistry& registry) {
  for (const char* op : {"Resize", "Upsample"}) {
    const bool upsample = std::string(op) == "Upsample";
    registry.Register(kOnnxDomain, op, [upsample](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
      ASSIGN_OR_RETURN(ResizeConfig config, ReadResizeConfig(node, upsample));
      return std::unique_ptr<Kernel>(std::make_unique<ResizeKernel>(std::move(config)));
    });
  }
  registry.Register(kOnnxDomain, "Pad", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::string mode = node.GetString("mode", "constant");
    PadMode m = PadMode::kConstant;
    if (mode == "reflect") {
      m = PadMode::kReflect;
    } else if (mode == "edge") {
      m = PadMode::kEdge;
    } else if (mode == "wrap") {
      m = PadMode::kWrap;
    } else if (mode != "constant") {
      return Unimplemented("Pad mode '" + mode + "' is not supported");
    }
    const bool from_inputs = node.opset >= 11;
    std::vector<int64_t> pads;
    if (!from_inputs) {
      pads = node.Has("pads") ? node.GetInts("pads") : node.GetInts("paddings");
      if (pads.size() % 2 != 0) return InvalidArgument("Pad pads must have an even number of entries");
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<PadKernel>(m, from_inputs, std::move(pads), node.GetFloat("value", 0.0f)));
  });
  for (const char* op : {"DepthToSpace", "SpaceToDepth"}) {
    const bool to_space = std::string(op) == "DepthToSpace";
    registry.Register(kOnnxDomain, op, [to_space](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
      const int64_t block = node.GetInt("blocksize", 0);
      if (block < 1) return InvalidArgument("blocksize must be positive");
      const std::string mode = node.GetString("mode", "DCR");
      if (mode != "DCR" && mode != "CRD") return Unimplemented("DepthToSpace mode '" + mode + "' is not supported");
      return std::unique_ptr<Kernel>(std::make_unique<BlockKernel>(block, to_space, to_space && mode == "CRD"));
    });
  }
  registry.Register(kOnnxDomain, "GridSample", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::string mode = node.GetString("mode", node.opset >= 20 ? "linear" : "bilinear");
    GridMode m;
    if (mode == "bilinear" || mode == "linear") {
      m = GridMode::kLinear;
    } else if (mode == "nearest") {
      m = GridMode::kNearest;
    } else if (mode == "bicubic" || mode == "cubic") {
      m = GridMode::kCubic;
    } else {
      return Unimplemented("GridSample mode '" + mode + "' is not supported");
    }
    const std::string padding = node.GetString("padding_mode", "zeros");
    GridPadding p;
    if (padding == "zeros") {
      p = GridPadding::kZeros;
    } else if (padding == "border") {
      p = GridPadding::kBorder;
    } else if (padding == "reflection") {
      p = GridPadding::kReflection;
    } else {
      return Unimplemented("GridSample padding_mode '" + padding + "' is not supported");
    }
    return std::unique_ptr<Kernel>(std::make_unique<GridSampleKernel>(m, p, node.GetInt("align_corners", 0) != 0));
  });
}

}  // namespace mlserving::kernels::reference

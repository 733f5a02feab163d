// Pooling: MaxPool (with the Indices output), AveragePool, LpPool, their Global* forms,
// MaxUnpool, MaxRoiPool and RoiAlign. N-d windows with strides, pads, dilations, auto_pad and
// ceil_mode. Arithmetic is done in float for the 16-bit floats.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"
#include "kernels/reference/window_util.h"

namespace mlserving::kernels::reference {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

/// The validated settings of one pooling node.
struct PoolConfig {
  PoolKind kind = PoolKind::kMax;
  bool global = false;
  WindowAttrs window;
  bool count_include_pad = false;     // AveragePool
  double p = 2;                       // LpPool
  bool column_major_indices = false;  // MaxPool storage_order = 1
};

/// MaxPool / AveragePool / LpPool and the Global* variants over x [N, C, spatial...]. The
/// windows skip the padding except for AveragePool with count_include_pad, whose divisor counts
/// the taps inside the padded input. MaxPool's optional second output holds, for each maximum,
/// its flat index into x (row-major over all dims, or column-major over the spatial dims with
/// storage_order = 1); ties keep the first tap.
class PoolKernel : public Kernel {
 public:
  explicit PoolKernel(PoolConfig config) : config_(std::move(config)) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    const int64_t min_rank = config_.global ? 2 : 3;
    if (x->rank() < min_rank) {
      return InvalidArgument("pooling needs an input of rank >= " + std::to_string(min_rank) + ", got " +
                             x->DebugString());
    }
    const std::vector<int64_t> in(x->shape().begin() + 2, x->shape().end());
    WindowGeometry g;
    if (config_.global) {
      g.in = in;
      g.kernel = in;
      g.out.assign(in.size(), 1);
      g.strides.assign(in.size(), 1);
      g.dilations.assign(in.size(), 1);
      g.pad_begin.assign(in.size(), 0);
      g.pad_end.assign(in.size(), 0);
    } else {
      ASSIGN_OR_RETURN(g, ResolveWindow(config_.window, config_.window.kernel, in));
    }
    Shape out_shape = {x->dim(0), x->dim(1)};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
    const bool want_indices = config_.kind == PoolKind::kMax && ctx.outputs.size() > 1;
    Tensor indices;
    if (want_indices) {
      ASSIGN_OR_RETURN(indices, ctx.Allocate(DType::kInt64, out_shape));
    }
    auto run = [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      Pool<T>(*x, g, out.data<T>(), want_indices ? indices.data<int64_t>() : nullptr);
      return Status::Ok();
    };
    if (config_.kind == PoolKind::kMax) {
      RETURN_IF_ERROR(DispatchNumeric(x->dtype(), run));
    } else {
      RETURN_IF_ERROR(DispatchFloating(x->dtype(), run));
    }
    SetOutput(ctx, 0, std::move(out));
    if (want_indices) SetOutput(ctx, 1, std::move(indices));
    return Status::Ok();
  }

 private:
  template <typename T>
  void Pool(const Tensor& x, const WindowGeometry& g, T* out, int64_t* indices) const {
    using C = ComputeType<T>;
    const size_t rank = g.rank();
    const int64_t planes = x.dim(0) * x.dim(1);
    const int64_t in_size = Product(g.in), out_size = Product(g.out);
    const std::vector<int64_t> row_strides = ContiguousStrides(g.in);
    std::vector<int64_t> index_strides = row_strides;
    if (config_.column_major_indices) {
      int64_t s = 1;
      for (size_t d = 0; d < rank; ++d) {
        index_strides[d] = s;
        s *= g.in[d];
      }
    }
    const T* in = x.data<T>();
    std::vector<int64_t> opos(rank, 0), kpos(rank, 0);
    std::vector<int64_t> offsets, index_offsets;  // of the taps of one window inside the input
    for (int64_t o = 0; o < out_size; ++o) {
      // Visit the taps of window `opos` once, for every plane.
      offsets.clear();
      index_offsets.clear();
      int64_t padded_taps = 0;  // taps inside the padded input
      std::fill(kpos.begin(), kpos.end(), 0);
      do {
        bool inside = true, inside_padded = true;
        int64_t off = 0, ioff = 0;
        for (size_t d = 0; d < rank; ++d) {
          const int64_t c = opos[d] * g.strides[d] - g.pad_begin[d] + kpos[d] * g.dilations[d];
          if (c < 0 || c >= g.in[d]) inside = false;
          if (c < -g.pad_begin[d] || c >= g.in[d] + g.pad_end[d]) inside_padded = false;
          off += c * row_strides[d];
          ioff += c * index_strides[d];
        }
        if (inside_padded) ++padded_taps;
        if (inside) {
          offsets.push_back(off);
          index_offsets.push_back(ioff);
        }
      } while (NextIndex(kpos, g.kernel));
      for (int64_t plane = 0; plane < planes; ++plane) {
        const T* src = in + plane * in_size;
        const int64_t dst = plane * out_size + o;
        if (config_.kind == PoolKind::kMax) {
          C best = std::numeric_limits<C>::lowest();
          int64_t best_index = -1;
          for (size_t i = 0; i < offsets.size(); ++i) {
            const C v = Widen(src[offsets[i]]);
            if (best_index < 0 || v > best) {
              best = v;
              best_index = index_offsets[i];
            }
          }
          out[dst] = Narrow<T>(best);
          if (indices != nullptr) indices[dst] = best_index < 0 ? -1 : plane * in_size + best_index;
        } else if constexpr (!std::is_floating_point_v<C>) {
          continue;  // the integer types are dispatched for MaxPool only
        } else if (config_.kind == PoolKind::kAverage) {
          C sum = 0;
          for (int64_t off : offsets) sum += Widen(src[off]);
          const int64_t count = config_.count_include_pad ? padded_taps : static_cast<int64_t>(offsets.size());
          out[dst] = Narrow<T>(count > 0 ? sum / static_cast<C>(count) : C(0));
        } else {
          C sum = 0;
          for (int64_t off : offsets) sum += std::pow(std::abs(Widen(src[off])), static_cast<C>(config_.p));
          out[dst] = Narrow<T>(std::pow(sum, static_cast<C>(1.0 / config_.p)));
        }
      }
      NextIndex(opos, g.out);
    }
  }

  PoolConfig config_;
};

/// MaxUnpool: scatters x into a zero tensor of the inferred shape ((in - 1) * stride + kernel -
/// pads per spatial dim) at the flat positions given by the indices (as MaxPool produced them).
/// The optional output_shape input (no smaller than the inferred shape) pads that at the end of
/// each dim, as the ONNX reference does.
class MaxUnpoolKernel : public Kernel {
 public:
  explicit MaxUnpoolKernel(WindowAttrs attrs) : attrs_(std::move(attrs)) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* ind, RequiredInput(ctx, 1));
    const Tensor* shape_in = ctx.input(2);
    const size_t rank = attrs_.kernel.size();
    if (x->rank() != static_cast<int64_t>(rank) + 2 || ind->shape() != x->shape()) {
      return InvalidArgument("MaxUnpool needs X of rank " + std::to_string(rank + 2) +
                             " and indices of the same shape, got " + x->DebugString() + " and " + ind->DebugString());
    }
    // Unpool into the inferred shape; an explicit output_shape then holds it at its origin
    // (the extra elements at the end of each dim are the auto-generated padding).
    Shape inferred = {x->dim(0), x->dim(1)};
    for (size_t d = 0; d < rank; ++d) {
      const int64_t s = attrs_.strides.empty() ? 1 : attrs_.strides[d];
      const int64_t pads = attrs_.pads.empty() ? 0 : attrs_.pads[d] + attrs_.pads[d + rank];
      inferred.push_back((x->dim(static_cast<int64_t>(d) + 2) - 1) * s + attrs_.kernel[d] - pads);
      if (inferred.back() < 0) return InvalidArgument("MaxUnpool output would have a negative size");
    }
    Shape out_shape = inferred;
    if (shape_in != nullptr) {
      ASSIGN_OR_RETURN(out_shape, ReadInt64s(*shape_in, "output_shape"));
      bool fits = out_shape.size() == inferred.size();
      for (size_t d = 0; fits && d < out_shape.size(); ++d) fits = out_shape[d] >= inferred[d];
      if (!fits) {
        return InvalidArgument("MaxUnpool output_shape " + ShapeToString(out_shape) + " is smaller than the unpooled " +
                               ShapeToString(inferred));
      }
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInt64s(*ind, "indices"));
    const int64_t total = NumElements(inferred);
    for (int64_t i : idx) {
      if (i < 0 || i >= total) {
        return InvalidArgument("MaxUnpool index " + std::to_string(i) + " is outside the output " +
                               ShapeToString(inferred));
      }
    }
    // Flat index in `inferred` -> offset in `out_shape`.
    const std::vector<int64_t> in_strides = ContiguousStrides(inferred), out_strides = ContiguousStrides(out_shape);
    auto relocate = [&](int64_t flat) {
      int64_t off = 0;
      for (size_t d = 0; d < inferred.size(); ++d) {
        off += flat / in_strides[d] * out_strides[d];
        flat %= in_strides[d];
      }
      return off;
    };
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* src = x->data<T>();
      T* dst = out.data<T>();
      for (size_t j = 0; j < idx.size(); ++j) dst[relocate(idx[j])] = src[j];
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  WindowAttrs attrs_;
};

/// The elements of a floating tensor as double.
Result<std::vector<double>> ReadDoubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  RETURN_IF_ERROR(DispatchFloating(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(Widen(p[i]));
    return Status::Ok();
  }));
  return v;
}

/// Rejects non-finite or absurdly large roi coordinates (they size the sampling grids) and rois
/// over an empty image.
Status CheckRois(const std::vector<double>& rois, int64_t height, int64_t width) {
  if (rois.empty()) return Status::Ok();
  if (height == 0 || width == 0) return InvalidArgument("rois cannot pool an empty image");
  for (double v : rois) {
    if (!std::isfinite(v) || std::abs(v) > 1e9) return InvalidArgument("roi coordinates must be finite numbers");
  }
  return Status::Ok();
}

/// MaxRoiPool (Fast R-CNN): rois [R, 5] rows of (batch, x1, y1, x2, y2) in input coordinates
/// times spatial_scale, rounded; each roi is split into pooled_shape bins of the max. Empty bins
/// give 0. Output [R, C, pooled_h, pooled_w].
class MaxRoiPoolKernel : public Kernel {
 public:
  MaxRoiPoolKernel(int64_t pooled_h, int64_t pooled_w, double scale)
      : pooled_h_(pooled_h), pooled_w_(pooled_w), scale_(scale) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* rois_t, RequiredInput(ctx, 1));
    if (x->rank() != 4 || rois_t->rank() != 2 || rois_t->dim(1) != 5) {
      return InvalidArgument("MaxRoiPool needs X [N,C,H,W] and rois [R,5], got " + x->DebugString() + " and " +
                             rois_t->DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<double> rois, ReadDoubles(*rois_t));
    const int64_t num_rois = rois_t->dim(0), channels = x->dim(1), height = x->dim(2), width = x->dim(3);
    RETURN_IF_ERROR(CheckRois(rois, height, width));
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), {num_rois, channels, pooled_h_, pooled_w_}));
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t r = 0; r < num_rois; ++r) {
        const double* roi = &rois[static_cast<size_t>(r * 5)];
        const double batch = roi[0];
        if (!(batch >= 0 && batch < static_cast<double>(x->dim(0)))) {
          return InvalidArgument("MaxRoiPool roi " + std::to_string(r) + " has an invalid batch index");
        }
        const int64_t start_w = std::llround(roi[1] * scale_), start_h = std::llround(roi[2] * scale_);
        const int64_t end_w = std::llround(roi[3] * scale_), end_h = std::llround(roi[4] * scale_);
        const double bin_h = static_cast<double>(std::max<int64_t>(end_h - start_h + 1, 1)) / pooled_h_;
        const double bin_w = static_cast<double>(std::max<int64_t>(end_w - start_w + 1, 1)) / pooled_w_;
        for (int64_t c = 0; c < channels; ++c) {
          const T* plane = in + (static_cast<int64_t>(batch) * channels + c) * height * width;
          for (int64_t ph = 0; ph < pooled_h_; ++ph) {
            const int64_t hs = std::clamp<int64_t>(static_cast<int64_t>(std::floor(ph * bin_h)) + start_h, 0, height);
            const int64_t he =
                std::clamp<int64_t>(static_cast<int64_t>(std::ceil((ph + 1) * bin_h)) + start_h, 0, height);
            for (int64_t pw = 0; pw < pooled_w_; ++pw) {
              const int64_t ws = std::clamp<int64_t>(static_cast<int64_t>(std::floor(pw * bin_w)) + start_w, 0, width);
              const int64_t we =
                  std::clamp<int64_t>(static_cast<int64_t>(std::ceil((pw + 1) * bin_w)) + start_w, 0, width);
              C best = he > hs && we > ws ? std::numeric_limits<C>::lowest() : C(0);
              for (int64_t h = hs; h < he; ++h) {
                for (int64_t w = ws; w < we; ++w) best = std::max(best, Widen(plane[h * width + w]));
              }
              po[((r * channels + c) * pooled_h_ + ph) * pooled_w_ + pw] = Narrow<T>(best);
            }
          }
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  int64_t pooled_h_, pooled_w_;
  double scale_;
};

/// RoiAlign: rois [R, 4] of (x1, y1, x2, y2) times spatial_scale (shifted by -0.5 with
/// half_pixel), batch_indices [R]; each output bin averages (or maxes) a grid of bilinear samples
/// (sampling_ratio per side, or ceil(roi size / bins) when 0). Samples outside [-1, size] count
/// as 0. The max mode follows ONNX Runtime: the max over samples of the largest weighted corner.
class RoiAlignKernel : public Kernel {
 public:
  RoiAlignKernel(bool max_mode, int64_t out_h, int64_t out_w, int64_t sampling_ratio, double scale, bool half_pixel)
      : max_mode_(max_mode),
        out_h_(out_h),
        out_w_(out_w),
        sampling_ratio_(sampling_ratio),
        scale_(scale),
        half_pixel_(half_pixel) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* rois_t, RequiredInput(ctx, 1));
    ASSIGN_OR_RETURN(const Tensor* batch_t, RequiredInput(ctx, 2));
    if (x->rank() != 4 || rois_t->rank() != 2 || rois_t->dim(1) != 4 || batch_t->rank() != 1 ||
        batch_t->dim(0) != rois_t->dim(0)) {
      return InvalidArgument("RoiAlign needs X [N,C,H,W], rois [R,4] and batch_indices [R], got " + x->DebugString() +
                             ", " + rois_t->DebugString() + ", " + batch_t->DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<double> rois, ReadDoubles(*rois_t));
    ASSIGN_OR_RETURN(std::vector<int64_t> batches, ReadInt64s(*batch_t, "batch_indices"));
    const int64_t num_rois = rois_t->dim(0), channels = x->dim(1), height = x->dim(2), width = x->dim(3);
    for (int64_t b : batches) {
      if (b < 0 || b >= x->dim(0)) return InvalidArgument("RoiAlign batch index " + std::to_string(b) + " is invalid");
    }
    RETURN_IF_ERROR(CheckRois(rois, height, width));
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), {num_rois, channels, out_h_, out_w_}));
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      const double offset = half_pixel_ ? 0.5 : 0.0;
      for (int64_t r = 0; r < num_rois; ++r) {
        const double* roi = &rois[static_cast<size_t>(r * 4)];
        const double start_w = roi[0] * scale_ - offset, start_h = roi[1] * scale_ - offset;
        double roi_w = roi[2] * scale_ - offset - start_w, roi_h = roi[3] * scale_ - offset - start_h;
        if (!half_pixel_) {
          roi_w = std::max(roi_w, 1.0);
          roi_h = std::max(roi_h, 1.0);
        }
        const double bin_h = roi_h / static_cast<double>(out_h_), bin_w = roi_w / static_cast<double>(out_w_);
        const int64_t grid_h = sampling_ratio_ > 0
                                   ? sampling_ratio_
                                   : static_cast<int64_t>(std::ceil(roi_h / static_cast<double>(out_h_)));
        const int64_t grid_w = sampling_ratio_ > 0
                                   ? sampling_ratio_
                                   : static_cast<int64_t>(std::ceil(roi_w / static_cast<double>(out_w_)));
        const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
        for (int64_t c = 0; c < channels; ++c) {
          const T* plane = in + (batches[static_cast<size_t>(r)] * channels + c) * height * width;
          auto at = [&](int64_t yy, int64_t xx) { return static_cast<double>(Widen(plane[yy * width + xx])); };
          for (int64_t ph = 0; ph < out_h_; ++ph) {
            for (int64_t pw = 0; pw < out_w_; ++pw) {
              double acc = 0;
              bool first = true;
              for (int64_t iy = 0; iy < grid_h; ++iy) {
                double y = start_h + ph * bin_h + (iy + 0.5) * bin_h / static_cast<double>(grid_h);
                for (int64_t ix = 0; ix < grid_w; ++ix) {
                  double xs = start_w + pw * bin_w + (ix + 0.5) * bin_w / static_cast<double>(grid_w);
                  double v = 0;
                  double yy = y;
                  if (!(yy < -1.0 || yy > static_cast<double>(height) || xs < -1.0 ||
                        xs > static_cast<double>(width))) {
                    yy = std::max(yy, 0.0);
                    xs = std::max(xs, 0.0);
                    int64_t y_lo = static_cast<int64_t>(yy), x_lo = static_cast<int64_t>(xs);
                    int64_t y_hi = y_lo + 1, x_hi = x_lo + 1;
                    if (y_lo >= height - 1) y_hi = y_lo = height - 1, yy = static_cast<double>(y_lo);
                    if (x_lo >= width - 1) x_hi = x_lo = width - 1, xs = static_cast<double>(x_lo);
                    const double ly = yy - static_cast<double>(y_lo), lx = xs - static_cast<double>(x_lo);
                    const double hy = 1 - ly, hx = 1 - lx;
                    const double w1 = hy * hx * at(y_lo, x_lo), w2 = hy * lx * at(y_lo, x_hi);
                    const double w3 = ly * hx * at(y_hi, x_lo), w4 = ly * lx * at(y_hi, x_hi);
                    v = max_mode_ ? std::max(std::max(w1, w2), std::max(w3, w4)) : w1 + w2 + w3 + w4;
                  }
                  if (max_mode_) {
                    acc = first ? v : std::max(acc, v);
                  } else {
                    acc += v;
                  }
                  first = false;
                }
              }
              if (!max_mode_) acc /= count;
              po[((r * channels + c) * out_h_ + ph) * out_w_ + pw] = Narrow<T>(static_cast<ComputeType<T>>(acc));
            }
          }
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  bool max_mode_;
  int64_t out_h_, out_w_, sampling_ratio_;
  double scale_;
  bool half_pixel_;
};

/// The LpPool exponent: a float in opset 1, an int since opset 2.
Result<double> ReadP(const ir::Node& node) {
  const ir::Attribute* a = node.Find("p");
  double p = 2;
  if (a != nullptr) p = a->kind == ir::Attribute::Kind::kFloat ? static_cast<double>(a->f) : static_cast<double>(a->i);
  if (!(p > 0)) return InvalidArgument("p must be positive");
  return p;
}

void RegisterPool(KernelRegistry& registry, const char* op, PoolKind kind, bool global) {
  registry.Register(kOnnxDomain, op, [kind, global](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    PoolConfig config;
    config.kind = kind;
    config.global = global;
    if (!global) {
      ASSIGN_OR_RETURN(config.window, ReadWindowAttrs(node, true));
    }
    if (kind == PoolKind::kLp) {
      ASSIGN_OR_RETURN(config.p, ReadP(node));
    }
    config.count_include_pad = node.GetInt("count_include_pad", 0) != 0;
    const int64_t storage_order = node.GetInt("storage_order", 0);
    if (storage_order != 0 && storage_order != 1) return InvalidArgument("storage_order must be 0 or 1");
    config.column_major_indices = storage_order == 1;
    return std::unique_ptr<Kernel>(std::make_unique<PoolKernel>(std::move(config)));
  });
}

}  // namespace

void RegisterPoolKernels(KernelRegistry& registry) {
  RegisterPool(registry, "MaxPool", PoolKind::kMax, false);
  RegisterPool(registry, "AveragePool", PoolKind::kAverage, false);
  RegisterPool(registry, "LpPool", PoolKind::kLp, false);
  RegisterPool(registry, "GlobalMaxPool", PoolKind::kMax, true);
  RegisterPool(registry, "GlobalAveragePool", PoolKind::kAverage, true);
  RegisterPool(registry, "GlobalLpPool", PoolKind::kLp, true);
  registry.Register(kOnnxDomain, "MaxUnpool", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(WindowAttrs attrs, ReadWindowAttrs(node, true));
    return std::unique_ptr<Kernel>(std::make_unique<MaxUnpoolKernel>(std::move(attrs)));
  });
  registry.Register(kOnnxDomain, "MaxRoiPool", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::vector<int64_t> pooled = node.GetInts("pooled_shape");
    if (pooled.size() != 2 || pooled[0] < 1 || pooled[1] < 1) {
      return InvalidArgument("MaxRoiPool needs a pooled_shape of two positive dims");
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<MaxRoiPoolKernel>(pooled[0], pooled[1], node.GetFloat("spatial_scale", 1.0f)));
  });
  registry.Register(kOnnxDomain, "RoiAlign", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::string mode = node.GetString("mode", "avg");
    if (mode != "avg" && mode != "max") return Unimplemented("RoiAlign mode '" + mode + "' is not supported");
    const std::string ctm =
        node.GetString("coordinate_transformation_mode", node.opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel") {
      return Unimplemented("RoiAlign coordinate_transformation_mode '" + ctm + "' is not supported");
    }
    const int64_t out_h = node.GetInt("output_height", 1), out_w = node.GetInt("output_width", 1);
    const int64_t sampling_ratio = node.GetInt("sampling_ratio", 0);
    if (out_h < 1 || out_w < 1 || sampling_ratio < 0) {
      return InvalidArgument("RoiAlign needs positive output sizes and a non-negative sampling_ratio");
    }
    return std::unique_ptr<Kernel>(std::make_unique<RoiAlignKernel>(
        mode == "max", out_h, out_w, sampling_ratio, node.GetFloat("spatial_scale", 1.0f), ctm == "half_pixel"));
  });
}

}  // namespace mlserving::kernels::reference

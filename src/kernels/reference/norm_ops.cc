// Normalisation: LayerNormalization, InstanceNormalization, GroupNormalization, LRN,
// MeanVarianceNormalization. Statistics are accumulated in double whatever the element type.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// The elements of a floating tensor as double.
Result<std::vector<double>> ToDoubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  RETURN_IF_ERROR(DispatchFloating(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(Widen(p[i]));
    return Status::Ok();
  }));
  return v;
}

/// A new tensor of `dtype` and `shape` holding `values` (converted; 16-bit floats rounded).
Result<Tensor> FromDoubles(const KernelContext& ctx, DType dtype, const Shape& shape,
                           const std::vector<double>& values) {
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, shape));
  RETURN_IF_ERROR(DispatchFloating(dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* p = out.data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = Narrow<T>(static_cast<ComputeType<T>>(values[i]));
    return Status::Ok();
  }));
  return out;
}

/// `param` (scale or bias) broadcast unidirectionally to `shape`, as `count` doubles.
Result<std::vector<double>> BroadcastParam(const Tensor& param, const Shape& shape, const char* what) {
  Result<Shape> b = BroadcastShapes(param.shape(), shape);
  if (!b.ok() || *b != shape) {
    return InvalidArgument(std::string(what) + " of shape " + ShapeToString(param.shape()) + " does not broadcast to " +
                           ShapeToString(shape));
  }
  ASSIGN_OR_RETURN(std::vector<double> values, ToDoubles(param));
  std::vector<double> out(static_cast<size_t>(NumElements(shape)));
  ForEachStrided<1>(shape, {BroadcastStrides(param.shape(), shape)},
                    [&](int64_t i, const std::array<int64_t, 1>& off) { out[i] = values[off[0]]; });
  return out;
}

/// LayerNormalization: normalises over the dims from `axis` on; Scale and B broadcast to those
/// dims. The optional Mean and InvStdDev outputs have X's shape with the normalised dims set to 1
/// and the stash_type element type.
class LayerNormKernel : public Kernel {
 public:
  LayerNormKernel(int64_t axis, double epsilon, DType stash) : axis_(axis), epsilon_(epsilon), stash_(stash) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* scale, RequiredInput(ctx, 1));
    const Tensor* bias = ctx.input(2);
    ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank()));
    const Shape norm_shape(x->shape().begin() + axis, x->shape().end());
    const int64_t outer = DimProduct(x->shape(), 0, static_cast<size_t>(axis));
    const int64_t inner = NumElements(norm_shape);
    ASSIGN_OR_RETURN(std::vector<double> xs, ToDoubles(*x));
    ASSIGN_OR_RETURN(std::vector<double> sc, BroadcastParam(*scale, norm_shape, "LayerNormalization Scale"));
    std::vector<double> bs(sc.size(), 0.0);
    if (bias != nullptr) {
      ASSIGN_OR_RETURN(bs, BroadcastParam(*bias, norm_shape, "LayerNormalization B"));
    }
    std::vector<double> y(xs.size()), means(static_cast<size_t>(outer)), inv_stds(static_cast<size_t>(outer));
    for (int64_t o = 0; o < outer; ++o) {
      const double* row = xs.data() + o * inner;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < inner; ++i) mean += row[i];
      mean /= static_cast<double>(std::max<int64_t>(inner, 1));
      for (int64_t i = 0; i < inner; ++i) var += (row[i] - mean) * (row[i] - mean);
      var /= static_cast<double>(std::max<int64_t>(inner, 1));
      const double inv_std = 1.0 / std::sqrt(var + epsilon_);
      for (int64_t i = 0; i < inner; ++i) {
        y[static_cast<size_t>(o * inner + i)] =
            (row[i] - mean) * inv_std * sc[static_cast<size_t>(i)] + bs[static_cast<size_t>(i)];
      }
      means[static_cast<size_t>(o)] = mean;
      inv_stds[static_cast<size_t>(o)] = inv_std;
    }
    ASSIGN_OR_RETURN(Tensor out, FromDoubles(ctx, x->dtype(), x->shape(), y));
    SetOutput(ctx, 0, std::move(out));
    Shape stat_shape = x->shape();
    for (size_t d = static_cast<size_t>(axis); d < stat_shape.size(); ++d) stat_shape[d] = 1;
    if (ctx.outputs.size() > 1) {
      ASSIGN_OR_RETURN(Tensor m, FromDoubles(ctx, stash_, stat_shape, means));
      SetOutput(ctx, 1, std::move(m));
    }
    if (ctx.outputs.size() > 2) {
      ASSIGN_OR_RETURN(Tensor s, FromDoubles(ctx, stash_, stat_shape, inv_stds));
      SetOutput(ctx, 2, std::move(s));
    }
    return Status::Ok();
  }

 private:
  int64_t axis_;
  double epsilon_;
  DType stash_;
};

/// InstanceNormalization (per image and channel over the spatial dims, scale and B of [C]) and
/// GroupNormalization (per image over groups of C / num_groups channels and the spatial dims;
/// scale and bias of [num_groups] as in opset 18, or of [C] as in opset 21).
class GroupNormKernel : public Kernel {
 public:
  /// num_groups == 0 means one group per channel (InstanceNormalization).
  GroupNormKernel(int64_t num_groups, double epsilon) : num_groups_(num_groups), epsilon_(epsilon) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* scale, RequiredInput(ctx, 1));
    ASSIGN_OR_RETURN(const Tensor* bias, RequiredInput(ctx, 2));
    if (x->rank() < 2) return InvalidArgument("normalisation needs an input of rank >= 2, got " + x->DebugString());
    const int64_t batch = x->dim(0), channels = x->dim(1);
    const int64_t groups = num_groups_ == 0 ? channels : num_groups_;
    if (groups == 0 || channels % groups != 0) {
      return InvalidArgument("the " + std::to_string(channels) + " channels do not split into " +
                             std::to_string(groups) + " groups");
    }
    const int64_t per_group = channels / groups;
    const int64_t spatial = DimProduct(x->shape(), 2, x->shape().size());
    const bool per_channel = scale->num_elements() == channels;
    if ((!per_channel && scale->num_elements() != groups) || bias->num_elements() != scale->num_elements()) {
      return InvalidArgument("scale " + scale->DebugString() + " and bias " + bias->DebugString() +
                             " must both have one entry per channel or per group");
    }
    ASSIGN_OR_RETURN(std::vector<double> xs, ToDoubles(*x));
    ASSIGN_OR_RETURN(std::vector<double> sc, ToDoubles(*scale));
    ASSIGN_OR_RETURN(std::vector<double> bs, ToDoubles(*bias));
    std::vector<double> y(xs.size());
    const int64_t group_size = per_group * spatial;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t g = 0; g < groups; ++g) {
        const size_t base = static_cast<size_t>((n * channels + g * per_group) * spatial);
        double mean = 0, var = 0;
        for (int64_t i = 0; i < group_size; ++i) mean += xs[base + static_cast<size_t>(i)];
        mean /= static_cast<double>(std::max<int64_t>(group_size, 1));
        for (int64_t i = 0; i < group_size; ++i) {
          const double d = xs[base + static_cast<size_t>(i)] - mean;
          var += d * d;
        }
        var /= static_cast<double>(std::max<int64_t>(group_size, 1));
        const double inv_std = 1.0 / std::sqrt(var + epsilon_);
        for (int64_t c = 0; c < per_group; ++c) {
          const size_t p = static_cast<size_t>(per_channel ? g * per_group + c : g);
          for (int64_t s = 0; s < spatial; ++s) {
            const size_t i = base + static_cast<size_t>(c * spatial + s);
            y[i] = (xs[i] - mean) * inv_std * sc[p] + bs[p];
          }
        }
      }
    }
    ASSIGN_OR_RETURN(Tensor out, FromDoubles(ctx, x->dtype(), x->shape(), y));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  int64_t num_groups_;
  double epsilon_;
};

/// LRN across channels: y = x / (bias + alpha / size * sum of x^2 over the channels
/// [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)]) ^ beta.
class LrnKernel : public Kernel {
 public:
  LrnKernel(double alpha, double beta, double bias, int64_t size)
      : alpha_(alpha), beta_(beta), bias_(bias), size_(size) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    if (x->rank() < 2) return InvalidArgument("LRN needs an input of rank >= 2, got " + x->DebugString());
    const int64_t batch = x->dim(0), channels = x->dim(1);
    const int64_t spatial = DimProduct(x->shape(), 2, x->shape().size());
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    ASSIGN_OR_RETURN(std::vector<double> xs, ToDoubles(*x));
    std::vector<double> y(xs.size());
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t lo = std::max<int64_t>(0, c - before), hi = std::min<int64_t>(channels - 1, c + after);
        for (int64_t s = 0; s < spatial; ++s) {
          double sum = 0;
          for (int64_t k = lo; k <= hi; ++k) {
            const double v = xs[static_cast<size_t>((n * channels + k) * spatial + s)];
            sum += v * v;
          }
          const size_t i = static_cast<size_t>((n * channels + c) * spatial + s);
          y[i] = xs[i] / std::pow(bias_ + alpha_ / static_cast<double>(size_) * sum, beta_);
        }
      }
    }
    ASSIGN_OR_RETURN(Tensor out, FromDoubles(ctx, x->dtype(), x->shape(), y));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  double alpha_, beta_, bias_;
  int64_t size_;
};

/// MeanVarianceNormalization: (x - mean) / (sqrt(variance) + 1e-9), the statistics taken over
/// `axes` (default [0, 2, 3]) as the ONNX function body defines.
class MvnKernel : public Kernel {
 public:
  explicit MvnKernel(std::vector<int64_t> axes) : axes_(std::move(axes)) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(std::vector<int64_t> axes, NormalizeAxes(axes_, x->rank()));
    Shape kept = x->shape();
    for (int64_t a : axes) kept[static_cast<size_t>(a)] = 1;
    const int64_t groups = NumElements(kept);
    std::vector<int64_t> group_strides = ContiguousStrides(kept);
    for (int64_t a : axes) group_strides[static_cast<size_t>(a)] = 0;
    ASSIGN_OR_RETURN(std::vector<double> xs, ToDoubles(*x));
    std::vector<double> sum(static_cast<size_t>(groups), 0.0), sq(static_cast<size_t>(groups), 0.0);
    std::vector<int64_t> group_of(xs.size());
    ForEachStrided<1>(x->shape(), {group_strides},
                      [&](int64_t i, const std::array<int64_t, 1>& off) { group_of[i] = off[0]; });
    const double count = static_cast<double>(std::max<int64_t>(1, x->num_elements() / std::max<int64_t>(groups, 1)));
    for (size_t i = 0; i < xs.size(); ++i) sum[group_of[i]] += xs[i];
    for (double& s : sum) s /= count;
    for (size_t i = 0; i < xs.size(); ++i) sq[group_of[i]] += (xs[i] - sum[group_of[i]]) * (xs[i] - sum[group_of[i]]);
    std::vector<double> y(xs.size());
    for (size_t i = 0; i < xs.size(); ++i) {
      const size_t g = static_cast<size_t>(group_of[i]);
      y[i] = (xs[i] - sum[g]) / (std::sqrt(sq[g] / count) + 1e-9);
    }
    ASSIGN_OR_RETURN(Tensor out, FromDoubles(ctx, x->dtype(), x->shape(), y));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  std::vector<int64_t> axes_;
};

}  // namespace

void RegisterNormKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "LayerNormalization", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const int64_t stash_type = node.GetInt("stash_type", 1);
    DType stash = DType::kFloat32;
    if (stash_type == 11) {
      stash = DType::kFloat64;
    } else if (stash_type == 10) {
      stash = DType::kFloat16;
    } else if (stash_type == 16) {
      stash = DType::kBFloat16;
    } else if (stash_type != 1) {
      return Unimplemented("LayerNormalization stash_type " + std::to_string(stash_type) + " is not supported");
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<LayerNormKernel>(node.GetInt("axis", -1), node.GetFloat("epsilon", 1e-5f), stash));
  });
  registry.Register(kOnnxDomain, "InstanceNormalization", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(std::make_unique<GroupNormKernel>(0, node.GetFloat("epsilon", 1e-5f)));
  });
  registry.Register(kOnnxDomain, "GroupNormalization", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const int64_t groups = node.GetInt("num_groups", 0);
    if (groups < 1) return InvalidArgument("GroupNormalization needs a positive num_groups");
    return std::unique_ptr<Kernel>(std::make_unique<GroupNormKernel>(groups, node.GetFloat("epsilon", 1e-5f)));
  });
  registry.Register(kOnnxDomain, "LRN", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const int64_t size = node.GetInt("size", 0);
    if (size < 1) return InvalidArgument("LRN needs a positive size");
    return std::unique_ptr<Kernel>(std::make_unique<LrnKernel>(
        node.GetFloat("alpha", 1e-4f), node.GetFloat("beta", 0.75f), node.GetFloat("bias", 1.0f), size));
  });
  registry.Register(
      kOnnxDomain, "MeanVarianceNormalization", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
        std::vector<int64_t> axes = node.Has("axes") ? node.GetInts("axes") : std::vector<int64_t>{0, 2, 3};
        return std::unique_ptr<Kernel>(std::make_unique<MvnKernel>(std::move(axes)));
      });
}

}  // namespace mlserving::kernels::reference

// Linear algebra and normalisation: MatMul, Gemm, Softmax, LogSoftmax, BatchNormalization.

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// The type products are accumulated in: uint64 for integers (wrapping, no signed overflow),
/// ComputeType<T> for floats.
template <typename T>
using AccType = std::conditional_t<std::is_integral_v<T>, uint64_t, ComputeType<T>>;

template <typename T>
AccType<T> ToAcc(const T& v) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<uint64_t>(v);
  } else {
    return Widen(v);
  }
}

/// c[M,N] = a[M,K] * b[K,N] for row-major contiguous matrices, c as accumulators.
template <typename T>
void MatMulAcc(const T* a, const T* b, int64_t m_size, int64_t k_size, int64_t n_size, AccType<T>* c) {
  for (int64_t m = 0; m < m_size; ++m) {
    AccType<T>* row = c + m * n_size;
    std::fill(row, row + n_size, AccType<T>(0));
    for (int64_t k = 0; k < k_size; ++k) {
      const AccType<T> av = ToAcc(a[m * k_size + k]);
      const T* brow = b + k * n_size;
      for (int64_t n = 0; n < n_size; ++n) row[n] += av * ToAcc(brow[n]);
    }
  }
}

/// MatMul with numpy semantics: 1-D operands are promoted (a to [1,K], b to [K,1]) and the
/// promoted dim removed from the result; leading batch dims broadcast.
Status ComputeMatMul(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
  if (a->dtype() != b->dtype()) {
    return InvalidArgument("MatMul inputs have different element types: " + a->DebugString() + ", " + b->DebugString());
  }
  if (a->rank() == 0 || b->rank() == 0) return InvalidArgument("MatMul inputs must have rank >= 1");
  Shape sa = a->shape(), sb = b->shape();
  if (a->rank() == 1) sa.insert(sa.begin(), 1);
  if (b->rank() == 1) sb.push_back(1);
  const int64_t m_size = sa[sa.size() - 2], k_size = sa.back();
  const int64_t n_size = sb.back();
  if (sb[sb.size() - 2] != k_size) {
    return InvalidArgument("MatMul shapes " + ShapeToString(a->shape()) + " and " + ShapeToString(b->shape()) +
                           " are not aligned");
  }
  const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  ASSIGN_OR_RETURN(Shape batch, BroadcastShapes(batch_a, batch_b));
  Shape out_shape = batch;
  if (a->rank() > 1) out_shape.push_back(m_size);
  if (b->rank() > 1) out_shape.push_back(n_size);
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(a->dtype(), out_shape));

  std::vector<int64_t> strides_a = BroadcastStrides(batch_a, batch);
  std::vector<int64_t> strides_b = BroadcastStrides(batch_b, batch);
  for (int64_t& s : strides_a) s *= m_size * k_size;
  for (int64_t& s : strides_b) s *= k_size * n_size;
  RETURN_IF_ERROR(DispatchNumeric(a->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* pa = a->data<T>();
    const T* pb = b->data<T>();
    T* po = out.data<T>();
    std::vector<AccType<T>> acc(static_cast<size_t>(m_size * n_size));
    ForEachStrided<2>(batch, {strides_a, strides_b}, [&](int64_t i, const std::array<int64_t, 2>& off) {
      MatMulAcc<T>(pa + off[0], pb + off[1], m_size, k_size, n_size, acc.data());
      T* dst = po + i * m_size * n_size;
      for (size_t j = 0; j < acc.size(); ++j) {
        if constexpr (std::is_integral_v<T>) {
          dst[j] = static_cast<T>(acc[j]);
        } else {
          dst[j] = Narrow<T>(acc[j]);
        }
      }
    });
    return Status::Ok();
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (likewise B'); C is optional and
/// broadcasts unidirectionally to [M, N]. Integer Gemm is exact (wrapping) when alpha == 1 and
/// beta is 0 or 1, and goes through double otherwise.
class GemmKernel : public Kernel {
 public:
  GemmKernel(double alpha, double beta, bool trans_a, bool trans_b)
      : alpha_(alpha), beta_(beta), trans_a_(trans_a), trans_b_(trans_b) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
    const Tensor* c = ctx.input(2);
    if (a->rank() != 2 || b->rank() != 2) {
      return InvalidArgument("Gemm needs 2-D A and B, got " + a->DebugString() + " and " + b->DebugString());
    }
    if (a->dtype() != b->dtype() || (c != nullptr && c->dtype() != a->dtype())) {
      return InvalidArgument("Gemm inputs have different element types");
    }
    const int64_t m_size = trans_a_ ? a->dim(1) : a->dim(0);
    const int64_t k_size = trans_a_ ? a->dim(0) : a->dim(1);
    const int64_t k_b = trans_b_ ? b->dim(1) : b->dim(0);
    const int64_t n_size = trans_b_ ? b->dim(0) : b->dim(1);
    if (k_size != k_b) {
      return InvalidArgument("Gemm inner dimensions differ: " + a->DebugString() + " and " + b->DebugString());
    }
    const Shape out_shape = {m_size, n_size};
    std::vector<int64_t> c_strides;
    if (c != nullptr) {
      Result<Shape> broadcast = BroadcastShapes(c->shape(), out_shape);
      if (!broadcast.ok() || *broadcast != out_shape) {
        return InvalidArgument("Gemm C of shape " + ShapeToString(c->shape()) + " does not broadcast to " +
                               ShapeToString(out_shape));
      }
      c_strides = BroadcastStrides(c->shape(), out_shape);
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(a->dtype(), out_shape));
    RETURN_IF_ERROR(DispatchNumeric(a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* pa = a->data<T>();
      const T* pb = b->data<T>();
      const T* pc = c != nullptr ? c->data<T>() : nullptr;
      T* po = out.data<T>();
      const int64_t lda = a->dim(1), ldb = b->dim(1);
      for (int64_t m = 0; m < m_size; ++m) {
        for (int64_t n = 0; n < n_size; ++n) {
          AccType<T> acc(0);
          for (int64_t k = 0; k < k_size; ++k) {
            const T& av = trans_a_ ? pa[k * lda + m] : pa[m * lda + k];
            const T& bv = trans_b_ ? pb[n * ldb + k] : pb[k * ldb + n];
            acc += ToAcc(av) * ToAcc(bv);
          }
          const T* cv = pc != nullptr ? &pc[m * c_strides[0] + n * c_strides[1]] : nullptr;
          po[m * n_size + n] = Combine<T>(acc, cv);
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  // alpha * acc + beta * c (c may be null).
  template <typename T>
  T Combine(AccType<T> acc, const T* c) const {
    if constexpr (std::is_integral_v<T>) {
      if (alpha_ == 1 && (beta_ == 0 || beta_ == 1)) {
        if (c != nullptr && beta_ == 1) acc += static_cast<uint64_t>(*c);
        return static_cast<T>(acc);
      }
      double y = alpha_ * static_cast<double>(static_cast<T>(acc));
      if (c != nullptr) y += beta_ * static_cast<double>(*c);
      return ConvertNumber<T>(y);
    } else {
      using C = ComputeType<T>;
      C y = static_cast<C>(alpha_) * acc;
      if (c != nullptr) y += static_cast<C>(beta_) * Widen(*c);
      return Narrow<T>(y);
    }
  }

  double alpha_, beta_;
  bool trans_a_, trans_b_;
};

/// Softmax / LogSoftmax over `dim` elements spaced `inner` apart, for each of `outer` groups.
/// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and normalised over the
/// flattened trailing dims; since 13 only along `axis` (default -1).
class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(int64_t axis, bool coerce_2d, bool log) : axis_(axis), coerce_2d_(coerce_2d), log_(log) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    const Shape& shape = x->shape();
    int64_t axis = 0;
    if (coerce_2d_) {
      // Axis may equal the rank here (everything is "outer").
      if (axis_ < -x->rank() || axis_ > x->rank()) {
        return InvalidArgument("axis " + std::to_string(axis_) + " is out of range for rank " +
                               std::to_string(x->rank()));
      }
      axis = axis_ < 0 ? axis_ + x->rank() : axis_;
    } else {
      ASSIGN_OR_RETURN(axis, NormalizeAxis(axis_, x->rank()));
    }
    const auto ax = static_cast<size_t>(axis);
    const int64_t outer = DimProduct(shape, 0, ax);
    const int64_t dim = coerce_2d_ ? DimProduct(shape, ax, shape.size()) : shape[ax];
    const int64_t inner = coerce_2d_ ? 1 : DimProduct(shape, ax + 1, shape.size());
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), shape));
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t base = o * dim * inner + i;
          C max = -std::numeric_limits<C>::infinity();
          for (int64_t j = 0; j < dim; ++j) max = std::max(max, Widen(in[base + j * inner]));
          C sum = 0;
          for (int64_t j = 0; j < dim; ++j) sum += std::exp(Widen(in[base + j * inner]) - max);
          const C log_sum = std::log(sum);
          for (int64_t j = 0; j < dim; ++j) {
            const C shifted = Widen(in[base + j * inner]) - max;
            po[base + j * inner] = Narrow<T>(log_ ? shifted - log_sum : std::exp(shifted) / sum);
          }
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool coerce_2d_;
  bool log_;
};

/// The elements of a floating tensor of exactly `count` elements, as double.
Result<std::vector<double>> ReadChannelParams(const Tensor& t, int64_t count, const char* what) {
  if (t.num_elements() != count) {
    return InvalidArgument(std::string("BatchNormalization ") + what + " has shape " + ShapeToString(t.shape()) +
                           ", expected " + std::to_string(count) + " elements");
  }
  std::vector<double> values(static_cast<size_t>(count));
  RETURN_IF_ERROR(DispatchFloating(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < count; ++i) values[static_cast<size_t>(i)] = ConvertNumber<double>(p[i]);
    return Status::Ok();
  }));
  return values;
}

/// Writes `values` (one per channel) into a new tensor shaped and typed like `like`.
Result<Tensor> ChannelTensor(const KernelContext& ctx, const Tensor& like, const std::vector<double>& values) {
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(like.dtype(), like.shape()));
  RETURN_IF_ERROR(DispatchFloating(like.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* po = out.data<T>();
    for (size_t c = 0; c < values.size(); ++c) po[c] = ConvertNumber<T>(values[c]);
    return Status::Ok();
  }));
  return out;
}

/// BatchNormalization: y = scale * (x - mean) / sqrt(var + epsilon) + bias per channel (dim 1).
///
/// Inference mode (training_mode=0, the default) normalises with the input mean and var; extra
/// outputs of old opsets (running and saved mean/var) echo them.
///
/// Training mode (opset 14+, training_mode=1) normalises with the statistics of this batch:
/// current_mean and current_var (the population variance) over every axis but the channel one,
/// and outputs running_mean = input_mean * momentum + current_mean * (1 - momentum) and
/// running_var likewise, typed like the input mean and var (ONNX BatchNormalization-15).
class BatchNormKernel : public Kernel {
 public:
  BatchNormKernel(double epsilon, bool training, double momentum)
      : epsilon_(epsilon), training_(training), momentum_(momentum) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    std::vector<const Tensor*> params(4);
    for (size_t i = 0; i < 4; ++i) {
      ASSIGN_OR_RETURN(params[i], RequiredInput(ctx, i + 1));
    }
    if (x->rank() < 2) return InvalidArgument("BatchNormalization input must have rank >= 2, got " + x->DebugString());
    if (!IsFloating(x->dtype())) {
      return InvalidArgument("BatchNormalization input must be floating point, got " + x->DebugString());
    }
    const int64_t channels = x->dim(1);
    ASSIGN_OR_RETURN(std::vector<double> scale, ReadChannelParams(*params[0], channels, "scale"));
    ASSIGN_OR_RETURN(std::vector<double> bias, ReadChannelParams(*params[1], channels, "B"));
    ASSIGN_OR_RETURN(std::vector<double> mean, ReadChannelParams(*params[2], channels, "mean"));
    ASSIGN_OR_RETURN(std::vector<double> var, ReadChannelParams(*params[3], channels, "var"));
    const int64_t batch = x->dim(0);
    const int64_t spatial = DimProduct(x->shape(), 2, x->shape().size());
    std::vector<double> batch_mean, batch_var;
    if (training_) {
      if (batch * spatial == 0) {
        return InvalidArgument("BatchNormalization in training mode needs a non-empty batch, got " + x->DebugString());
      }
      ComputeBatchStatistics(*x, batch, channels, spatial, batch_mean, batch_var);
    }
    const std::vector<double>& use_mean = training_ ? batch_mean : mean;
    const std::vector<double>& use_var = training_ ? batch_var : var;
    // Fold into y = x * mul + add per channel.
    std::vector<double> mul(scale.size()), add(scale.size());
    for (size_t c = 0; c < scale.size(); ++c) {
      mul[c] = scale[c] / std::sqrt(use_var[c] + epsilon_);
      add[c] = bias[c] - use_mean[c] * mul[c];
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t c = 0; c < channels; ++c) {
          const C m = static_cast<C>(mul[static_cast<size_t>(c)]);
          const C a = static_cast<C>(add[static_cast<size_t>(c)]);
          const int64_t base = (n * channels + c) * spatial;
          for (int64_t s = 0; s < spatial; ++s) po[base + s] = Narrow<T>(Widen(in[base + s]) * m + a);
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    if (!training_) {
      for (size_t o = 1; o < ctx.outputs.size(); ++o) SetOutput(ctx, o, o % 2 == 1 ? *params[2] : *params[3]);
      return Status::Ok();
    }
    for (size_t o = 1; o < ctx.outputs.size() && o < 3; ++o) {
      const std::vector<double>& running = o == 1 ? mean : var;
      const std::vector<double>& current = o == 1 ? batch_mean : batch_var;
      std::vector<double> updated(running.size());
      for (size_t c = 0; c < running.size(); ++c) updated[c] = running[c] * momentum_ + current[c] * (1 - momentum_);
      ASSIGN_OR_RETURN(Tensor t, ChannelTensor(ctx, *params[o + 1], updated));
      SetOutput(ctx, o, std::move(t));
    }
    return Status::Ok();
  }

 private:
  /// Per-channel mean and population variance of `x` ([N, C, spatial...]), two passes in double.
  static void ComputeBatchStatistics(const Tensor& x, int64_t batch, int64_t channels, int64_t spatial,
                                     std::vector<double>& mean, std::vector<double>& var) {
    mean.assign(static_cast<size_t>(channels), 0.0);
    var.assign(static_cast<size_t>(channels), 0.0);
    const double count = static_cast<double>(batch * spatial);
    (void)DispatchFloating(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x.data<T>();
      for (int64_t c = 0; c < channels; ++c) {
        double sum = 0;
        for (int64_t n = 0; n < batch; ++n) {
          const T* row = in + (n * channels + c) * spatial;
          for (int64_t s = 0; s < spatial; ++s) sum += ConvertNumber<double>(row[s]);
        }
        const double m = sum / count;
        double squares = 0;
        for (int64_t n = 0; n < batch; ++n) {
          const T* row = in + (n * channels + c) * spatial;
          for (int64_t s = 0; s < spatial; ++s) {
            const double d = ConvertNumber<double>(row[s]) - m;
            squares += d * d;
          }
        }
        mean[static_cast<size_t>(c)] = m;
        var[static_cast<size_t>(c)] = squares / count;
      }
      return Status::Ok();
    });
  }

  double epsilon_;
  bool training_;
  double momentum_;
};

}  // namespace

void RegisterLinalgKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "MatMul", [](const ir::Node&) { return MakeKernel(ComputeMatMul); });
  registry.Register(kOnnxDomain, "Gemm", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(
        std::make_unique<GemmKernel>(node.GetFloat("alpha", 1.0f), node.GetFloat("beta", 1.0f),
                                     node.GetInt("transA", 0) != 0, node.GetInt("transB", 0) != 0));
  });
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    const bool log = std::string(op) == "LogSoftmax";
    registry.Register(kOnnxDomain, op, [log](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
      const bool coerce_2d = node.opset < 13;
      const int64_t axis = node.GetInt("axis", coerce_2d ? 1 : -1);
      return std::unique_ptr<Kernel>(std::make_unique<SoftmaxKernel>(axis, coerce_2d, log));
    });
  }
  registry.Register(kOnnxDomain, "BatchNormalization", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    if (node.opset < 9 && node.GetInt("spatial", 1) != 1) {
      return Unimplemented("BatchNormalization with spatial=0 is not supported");
    }
    // training_mode exists since opset 14; earlier opsets always normalise with the inputs.
    const bool training = node.opset >= 14 && node.GetInt("training_mode", 0) != 0;
    const float momentum = node.GetFloat("momentum", 0.9f);
    if (training && !(momentum >= 0 && momentum <= 1)) {
      return InvalidArgument("BatchNormalization momentum must be in [0, 1], got " + std::to_string(momentum));
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<BatchNormKernel>(node.GetFloat("epsilon", 1e-5f), training, momentum));
  });
}

}  // namespace mlserving::kernels::reference

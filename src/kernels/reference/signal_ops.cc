// Signal processing: HannWindow HammingWindow BlackmanWindow MelWeightMatrix DFT STFT. Transforms are the direct
// O(n^2) sums in double (a reference, not a fast path). Complex values are a trailing dim of 2
// (real, imaginary); real input may have a trailing dim of 1.

#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

enum class WindowKind { kHann, kHamming, kBlackman };

/// The single integer of a scalar (or one-element) int32/int64 input.
Result<int64_t> ScalarInt(const Tensor& t, const char* what) {
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInt64s(t, what));
  if (v.size() != 1) return InvalidArgument(std::string(what) + " must be a scalar, got " + t.DebugString());
  return v[0];
}

/// Window(size): w[n] for n in [0, size) with period N = size (periodic) or size - 1 (symmetric):
/// Hann 0.5 - 0.5 cos(2 pi n / N), Hamming 25/46 - 21/46 cos(2 pi n / N), Blackman
/// 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N). Output dtype from output_datatype.
Status ComputeWindow(KernelContext& ctx, WindowKind kind, bool periodic, DType dtype) {
  ASSIGN_OR_RETURN(const Tensor* size_t_in, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const int64_t size, ScalarInt(*size_t_in, "size"));
  if (size < 0) return InvalidArgument("window size must not be negative");
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, {size}));
  const double period = periodic ? static_cast<double>(size) : static_cast<double>(size - 1);
  RETURN_IF_ERROR(DispatchNumeric(dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* po = out.data<T>();
    for (int64_t n = 0; n < size; ++n) {
      const double x = period > 0 ? 2 * std::numbers::pi * static_cast<double>(n) / period : 0.0;
      double w = 0;
      switch (kind) {
        case WindowKind::kHann: w = 0.5 - 0.5 * std::cos(x); break;
        case WindowKind::kHamming: w = 25.0 / 46.0 - 21.0 / 46.0 * std::cos(x); break;
        case WindowKind::kBlackman: w = 0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x); break;
      }
      po[n] = ConvertNumber<T>(w);
    }
    return Status::Ok();
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// The values of a floating tensor as double.
Result<std::vector<double>> FloatValues(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  RETURN_IF_ERROR(DispatchFloating(t.dtype(), [&](auto tag) -> Status {
    const auto* p = t.data<typename decltype(tag)::type>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = ConvertNumber<double>(p[i]);
    return Status::Ok();
  }));
  return v;
}

Result<Tensor> FromDoubles(const KernelContext& ctx, DType dtype, const Shape& shape, const std::vector<double>& v) {
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, shape));
  RETURN_IF_ERROR(DispatchFloating(dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* po = out.data<T>();
    for (size_t i = 0; i < v.size(); ++i) po[i] = ConvertNumber<T>(v[i]);
    return Status::Ok();
  }));
  return out;
}

/// out[k] = sum_n in[n] e^(-+2 pi i k n / length) for k < bins, over `count` input points read as
/// (re, im) pairs at `in` with element stride `in_stride` (missing points are zero padding);
/// inverse divides by `length`.
void Transform(const double* in, int64_t in_stride, int64_t count, bool complex_in, int64_t length, int64_t bins,
               bool inverse, double* out, int64_t out_stride) {
  const double sign = inverse ? 1.0 : -1.0;
  for (int64_t k = 0; k < bins; ++k) {
    double re = 0, im = 0;
    for (int64_t n = 0; n < count && n < length; ++n) {
      const double angle =
          sign * 2 * std::numbers::pi * static_cast<double>((k * n) % length) / static_cast<double>(length);
      const double xr = in[n * in_stride];
      const double xi = complex_in ? in[n * in_stride + 1] : 0.0;
      re += xr * std::cos(angle) - xi * std::sin(angle);
      im += xr * std::sin(angle) + xi * std::cos(angle);
    }
    if (inverse) {
      re /= static_cast<double>(length);
      im /= static_cast<double>(length);
    }
    out[k * out_stride] = re;
    out[k * out_stride + 1] = im;
  }
}

/// DFT(input [batch, ..., n, 1|2], dft_length?, axis?): the transform along `axis` (attribute
/// before opset 20, input 2 since), zero-padded or truncated to dft_length; onesided keeps the
/// first length/2 + 1 bins (real input only).
class DftKernel : public Kernel {
 public:
  DftKernel(std::optional<int64_t> axis_attr, bool inverse, bool onesided)
      : axis_attr_(axis_attr), inverse_(inverse), onesided_(onesided) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    const int64_t rank = x->rank();
    if (rank < 2 || (x->dim(rank - 1) != 1 && x->dim(rank - 1) != 2)) {
      return InvalidArgument("DFT input must end in a dim of 1 or 2, got " + x->DebugString());
    }
    const bool complex_in = x->dim(rank - 1) == 2;
    int64_t axis = axis_attr_.value_or(-2);
    if (!axis_attr_ && ctx.input(2) != nullptr) {
      ASSIGN_OR_RETURN(axis, ScalarInt(*ctx.input(2), "axis"));
    }
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank - 1) return InvalidArgument("DFT axis is out of range");
    const int64_t n = x->dim(axis);
    int64_t length = n;
    if (const Tensor* len_t = ctx.input(1); len_t != nullptr && len_t->num_elements() > 0) {
      ASSIGN_OR_RETURN(length, ScalarInt(*len_t, "dft_length"));
    }
    if (length < 1) return InvalidArgument("dft_length must be positive");
    if (onesided_ && complex_in) return InvalidArgument("onesided DFT needs real input");
    const int64_t bins = onesided_ ? length / 2 + 1 : length;
    Shape out_shape = x->shape();
    out_shape[static_cast<size_t>(axis)] = bins;
    out_shape.back() = 2;
    // Validates the output size (against the element limit) before the work buffers.
    ASSIGN_OR_RETURN(Tensor result, ctx.Allocate(x->dtype(), out_shape));
    ASSIGN_OR_RETURN(std::vector<double> in, FloatValues(*x));
    std::vector<double> out(static_cast<size_t>(NumElements(out_shape)));
    const int64_t outer = DimProduct(x->shape(), 0, static_cast<size_t>(axis));
    const int64_t inner_in = DimProduct(x->shape(), static_cast<size_t>(axis) + 1, x->shape().size());
    const int64_t inner_out = DimProduct(out_shape, static_cast<size_t>(axis) + 1, out_shape.size());
    const int64_t points = inner_in / x->dim(rank - 1);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t p = 0; p < points; ++p) {
        const double* src = in.data() + o * n * inner_in + p * x->dim(rank - 1);
        double* dst = out.data() + o * bins * inner_out + p * 2;
        Transform(src, inner_in, n, complex_in, length, bins, inverse_, dst, inner_out);
      }
    }
    ASSIGN_OR_RETURN(result, FromDoubles(ctx, x->dtype(), out_shape, out));
    SetOutput(ctx, 0, std::move(result));
    return Status::Ok();
  }

 private:
  std::optional<int64_t> axis_attr_;
  bool inverse_;
  bool onesided_;
};

/// STFT(signal [batch, length, 1|2], frame_step, window?, frame_length?): frames of frame_length
/// (the window's length by default) every frame_step samples, multiplied by the window, each
/// transformed; output [batch, frames, bins, 2] with bins = frame_length/2 + 1 when onesided.
Status ComputeStft(KernelContext& ctx, bool onesided) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* step_t, RequiredInput(ctx, 1));
  if (x->rank() != 3 || (x->dim(2) != 1 && x->dim(2) != 2)) {
    return InvalidArgument("STFT signal must be [batch, length, 1|2], got " + x->DebugString());
  }
  const bool complex_in = x->dim(2) == 2;
  ASSIGN_OR_RETURN(const int64_t step, ScalarInt(*step_t, "frame_step"));
  std::vector<double> window;
  if (const Tensor* w = ctx.input(2); w != nullptr) {
    ASSIGN_OR_RETURN(window, FloatValues(*w));
  }
  int64_t frame_length = static_cast<int64_t>(window.size());
  if (const Tensor* fl = ctx.input(3); fl != nullptr) {
    ASSIGN_OR_RETURN(frame_length, ScalarInt(*fl, "frame_length"));
  }
  if (!window.empty() && static_cast<int64_t>(window.size()) != frame_length) {
    return InvalidArgument("STFT window length must equal frame_length");
  }
  const int64_t batch = x->dim(0), length = x->dim(1);
  if (step < 1 || frame_length < 1 || frame_length > length) return InvalidArgument("STFT frame settings are invalid");
  if (onesided && complex_in) return InvalidArgument("onesided STFT needs real input");
  const int64_t frames = 1 + (length - frame_length) / step;
  const int64_t bins = onesided ? frame_length / 2 + 1 : frame_length;
  RETURN_IF_ERROR(ctx.Allocate(x->dtype(), {batch, frames, bins, 2}).status());  // size check
  ASSIGN_OR_RETURN(std::vector<double> in, FloatValues(*x));
  const int64_t channels = x->dim(2);
  std::vector<double> out(static_cast<size_t>(batch * frames * bins * 2));
  std::vector<double> frame(static_cast<size_t>(frame_length * 2));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t f = 0; f < frames; ++f) {
      for (int64_t n = 0; n < frame_length; ++n) {
        const double w = window.empty() ? 1.0 : window[static_cast<size_t>(n)];
        const double* s = in.data() + (b * length + f * step + n) * channels;
        frame[static_cast<size_t>(2 * n)] = s[0] * w;
        frame[static_cast<size_t>(2 * n + 1)] = complex_in ? s[1] * w : 0.0;
      }
      Transform(frame.data(), 2, frame_length, true, frame_length, bins, false,
                out.data() + (b * frames + f) * bins * 2, 2);
    }
  }
  ASSIGN_OR_RETURN(Tensor result, FromDoubles(ctx, x->dtype(), {batch, frames, bins, 2}, out));
  SetOutput(ctx, 0, std::move(result));
  return Status::Ok();
}

/// The single number of a one-element numeric input, as double.
Result<double> ScalarNumber(const Tensor& t, const char* what) {
  if (t.num_elements() != 1) return InvalidArgument(std::string(what) + " must be a scalar, got " + t.DebugString());
  double v = 0;
  RETURN_IF_ERROR(DispatchNumeric(t.dtype(), [&](auto tag) -> Status {
    v = ConvertNumber<double>(t.data<typename decltype(tag)::type>()[0]);
    return Status::Ok();
  }));
  return v;
}

/// MelWeightMatrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz):
/// [dft_length/2 + 1, num_mel_bins] triangular filters, as the ONNX reference builds them: the
/// num_mel_bins + 2 band edges are evenly spaced on the mel scale with a step of
/// (high_mel - low_mel) / (num_mel_bins + 2), then mapped to spectrogram bins
/// floor((dft_length + 1) * hz / sample_rate).
Status ComputeMelWeightMatrix(KernelContext& ctx, DType dtype) {
  std::vector<double> args;
  const char* names[] = {"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"};
  for (size_t i = 0; i < 5; ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, RequiredInput(ctx, i));
    ASSIGN_OR_RETURN(const double v, ScalarNumber(*t, names[i]));
    args.push_back(v);
  }
  const auto mel_bins = static_cast<int64_t>(args[0]);
  const auto dft_length = static_cast<int64_t>(args[1]);
  const double sample_rate = args[2];
  if (mel_bins < 1 || dft_length < 1 || !(sample_rate > 0) || mel_bins > (int64_t{1} << 20) ||
      dft_length > (int64_t{1} << 30) || !(args[3] >= 0) || !(args[4] > args[3])) {
    return InvalidArgument("MelWeightMatrix arguments are out of range");
  }
  const int64_t spectrogram_bins = dft_length / 2 + 1;
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, {spectrogram_bins, mel_bins}));
  const auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const double low_mel = to_mel(args[3]);
  const double step = (to_mel(args[4]) - low_mel) / static_cast<double>(mel_bins + 2);
  std::vector<int64_t> edges(static_cast<size_t>(mel_bins + 2));
  for (size_t i = 0; i < edges.size(); ++i) {
    const double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * step + low_mel) / 2595.0) - 1.0);
    const double bin = std::floor(static_cast<double>(dft_length + 1) * hz / sample_rate);
    if (!(bin >= 0 && bin < static_cast<double>(spectrogram_bins))) {
      return InvalidArgument("MelWeightMatrix band edge is beyond the spectrogram");
    }
    edges[i] = static_cast<int64_t>(bin);
  }
  std::vector<double> w(static_cast<size_t>(spectrogram_bins * mel_bins), 0.0);
  auto at = [&](int64_t j, int64_t i) -> double& { return w[static_cast<size_t>(j * mel_bins + i)]; };
  for (int64_t i = 0; i < mel_bins; ++i) {
    const int64_t lo = edges[static_cast<size_t>(i)], mid = edges[static_cast<size_t>(i + 1)];
    const int64_t hi = edges[static_cast<size_t>(i + 2)];
    if (mid == lo) {
      at(mid, i) = 1;
    } else {
      for (int64_t j = lo; j <= mid; ++j) at(j, i) = static_cast<double>(j - lo) / static_cast<double>(mid - lo);
    }
    for (int64_t j = mid; j < hi; ++j) at(j, i) = static_cast<double>(hi - j) / static_cast<double>(hi - mid);
  }
  RETURN_IF_ERROR(DispatchNumeric(dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* po = out.data<T>();
    for (size_t i = 0; i < w.size(); ++i) po[i] = ConvertNumber<T>(w[i]);
    return Status::Ok();
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

void RegisterWindow(KernelRegistry& registry, const char* op_type, WindowKind kind) {
  registry.Register(kOnnxDomain, op_type, [kind](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::optional<DType> dtype = DTypeFromOnnxCode(node.GetInt("output_datatype", 1));
    if (!dtype || *dtype == DType::kString || *dtype == DType::kBool) {
      return Unimplemented("window output_datatype is not supported");
    }
    const bool periodic = node.GetInt("periodic", 1) != 0;
    const DType out = *dtype;
    return MakeKernel([kind, periodic, out](KernelContext& ctx) { return ComputeWindow(ctx, kind, periodic, out); });
  });
}

}  // namespace

void RegisterSignalKernels(KernelRegistry& registry) {
  RegisterWindow(registry, "HannWindow", WindowKind::kHann);
  RegisterWindow(registry, "HammingWindow", WindowKind::kHamming);
  RegisterWindow(registry, "BlackmanWindow", WindowKind::kBlackman);
  registry.Register(kOnnxDomain, "MelWeightMatrix", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::optional<DType> dtype = DTypeFromOnnxCode(node.GetInt("output_datatype", 1));
    if (!dtype || *dtype == DType::kString || *dtype == DType::kBool) {
      return Unimplemented("MelWeightMatrix output_datatype is not supported");
    }
    const DType out = *dtype;
    return MakeKernel([out](KernelContext& ctx) { return ComputeMelWeightMatrix(ctx, out); });
  });
  registry.Register(kOnnxDomain, "DFT", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    std::optional<int64_t> axis;
    if (node.opset < 20) axis = node.GetInt("axis", 1);
    return std::unique_ptr<Kernel>(
        std::make_unique<DftKernel>(axis, node.GetInt("inverse", 0) != 0, node.GetInt("onesided", 0) != 0));
  });
  registry.Register(kOnnxDomain, "STFT", [](const ir::Node& node) {
    const bool onesided = node.GetInt("onesided", 1) != 0;
    return MakeKernel([onesided](KernelContext& ctx) { return ComputeStft(ctx, onesided); });
  });
}

}  // namespace mlserving::kernels::reference

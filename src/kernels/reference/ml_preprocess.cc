// Scaler, Imputer, Normalizer and Binarizer (ai.onnx.ml): element-wise feature preprocessing.
// Per-feature attributes (offset, scale, imputed values) index the last axis of the input and hold
// either one value for every feature or one per feature.

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/reference/ml_common.h"
#include "kernels/reference/ml_ops.h"

namespace mlserving::kernels::reference {
namespace {

/// Size of the last axis (1 for a scalar): the feature axis the per-feature attributes index.
int64_t FeatureCount(const Tensor& tensor) { return tensor.rank() == 0 ? 1 : tensor.dim(tensor.rank() - 1); }

/// Checks that a per-feature list has 1 or `features` values.
Status CheckPerFeature(size_t size, int64_t features, const std::string& name, const Tensor& input) {
  if (size == 1 || static_cast<int64_t>(size) == features) return Status::Ok();
  return InvalidArgument(name + " has " + std::to_string(size) + " values but the input " + input.DebugString() +
                         " has " + std::to_string(features) + " features (expected 1 or " + std::to_string(features) +
                         ")");
}

/// Y = (X - offset) * scale as float, for any numeric X. A missing offset is 0, a missing scale 1.
class ScalerKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<ScalerKernel>();
    kernel->offset_ = node.GetFloats("offset");
    kernel->scale_ = node.GetFloats("scale");
    if (kernel->offset_.empty()) kernel->offset_ = {0.0f};
    if (kernel->scale_.empty()) kernel->scale_ = {1.0f};
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    const int64_t features = FeatureCount(*input);
    RETURN_IF_ERROR(CheckPerFeature(offset_.size(), features, "offset", *input));
    RETURN_IF_ERROR(CheckPerFeature(scale_.size(), features, "scale", *input));
    std::vector<float> x;
    RETURN_IF_ERROR(ml::ConvertToVector(*input, x));
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kFloat32, input->shape()));
    float* out = output.data<float>();
    for (size_t i = 0; i < x.size(); ++i) {
      const auto f = static_cast<size_t>(static_cast<int64_t>(i) % features);
      const float offset = offset_.size() == 1 ? offset_[0] : offset_[f];
      const float scale = scale_.size() == 1 ? scale_[0] : scale_[f];
      out[i] = (x[i] - offset) * scale;
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

 private:
  std::vector<float> offset_;
  std::vector<float> scale_;
};

/// Replaces the elements equal to the replaced value (NaN matches NaN) with the imputed value of
/// their feature. Float and double inputs use imputed_value_floats / replaced_value_float (default
/// 0), int64 and int32 inputs imputed_value_int64s / replaced_value_int64 (default 0); the output
/// has the input's type.
class ImputerKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<ImputerKernel>();
    kernel->imputed_floats_ = node.GetFloats("imputed_value_floats");
    kernel->imputed_ints_ = node.GetInts("imputed_value_int64s");
    if (kernel->imputed_floats_.empty() == kernel->imputed_ints_.empty()) {
      return InvalidArgument("exactly one of imputed_value_floats and imputed_value_int64s must be given");
    }
    kernel->replaced_float_ = node.GetFloat("replaced_value_float", 0.0f);
    kernel->replaced_int_ = node.GetInt("replaced_value_int64", 0);
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    const int64_t features = FeatureCount(*input);
    const DType dtype = input->dtype();
    if (dtype == DType::kFloat32 || dtype == DType::kFloat64) {
      if (imputed_floats_.empty()) return InvalidArgument("a float input needs imputed_value_floats");
      RETURN_IF_ERROR(CheckPerFeature(imputed_floats_.size(), features, "imputed_value_floats", *input));
      return dtype == DType::kFloat32 ? Impute<float>(*input, features, ctx) : Impute<double>(*input, features, ctx);
    }
    if (dtype == DType::kInt64 || dtype == DType::kInt32) {
      if (imputed_ints_.empty()) return InvalidArgument("an integer input needs imputed_value_int64s");
      RETURN_IF_ERROR(CheckPerFeature(imputed_ints_.size(), features, "imputed_value_int64s", *input));
      return dtype == DType::kInt64 ? Impute<int64_t>(*input, features, ctx) : Impute<int32_t>(*input, features, ctx);
    }
    return InvalidArgument("Imputer takes float, double, int64 or int32 inputs, got " + input->DebugString());
  }

 private:
  template <typename T>
  Status Impute(const Tensor& input, int64_t features, KernelContext& ctx) const {
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(input.dtype(), input.shape()));
    const T* in = input.data<T>();
    T* out = output.data<T>();
    for (int64_t i = 0; i < input.num_elements(); ++i) {
      const auto f = static_cast<size_t>(i % features);
      bool replace = false;
      T imputed{};
      if constexpr (std::is_floating_point_v<T>) {
        replace = std::isnan(replaced_float_) ? std::isnan(in[i]) : in[i] == static_cast<T>(replaced_float_);
        imputed = static_cast<T>(imputed_floats_.size() == 1 ? imputed_floats_[0] : imputed_floats_[f]);
      } else {
        replace = static_cast<int64_t>(in[i]) == replaced_int_;
        imputed = static_cast<T>(imputed_ints_.size() == 1 ? imputed_ints_[0] : imputed_ints_[f]);
      }
      out[i] = replace ? imputed : in[i];
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

  std::vector<float> imputed_floats_;
  std::vector<int64_t> imputed_ints_;
  float replaced_float_ = 0;
  int64_t replaced_int_ = 0;
};

/// Normalises each row of a [N, C] (or [C]) input to float: MAX divides by the row maximum (not the
/// largest magnitude, as in onnxruntime), L1 by the sum of absolute values, L2 by the Euclidean
/// norm. A row whose norm is 0 is left as is.
class NormalizerKernel : public Kernel {
 public:
  enum class Norm { kMax, kL1, kL2 };

  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<NormalizerKernel>();
    const std::string norm = node.GetString("norm", "MAX");
    if (norm == "MAX") {
      kernel->norm_ = Norm::kMax;
    } else if (norm == "L1") {
      kernel->norm_ = Norm::kL1;
    } else if (norm == "L2") {
      kernel->norm_ = Norm::kL2;
    } else {
      return InvalidArgument("unknown norm '" + norm + "' (expected MAX, L1 or L2)");
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    ASSIGN_OR_RETURN(ml::MatrixShape shape, ml::AsMatrix(*input));
    std::vector<float> x;
    RETURN_IF_ERROR(ml::ConvertToVector(*input, x));
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kFloat32, input->shape()));
    float* out = output.data<float>();
    for (int64_t r = 0; r < shape.rows; ++r) {
      const float* row = x.data() + r * shape.cols;
      float norm = 0;
      if (norm_ == Norm::kMax) {
        // NaNs never compare greater, so they do not become the maximum (as in onnxruntime).
        norm = std::numeric_limits<float>::lowest();
        for (int64_t c = 0; c < shape.cols; ++c) norm = row[c] > norm ? row[c] : norm;
      } else {
        for (int64_t c = 0; c < shape.cols; ++c) norm += norm_ == Norm::kL1 ? std::abs(row[c]) : row[c] * row[c];
        if (norm_ == Norm::kL2) norm = std::sqrt(norm);
      }
      for (int64_t c = 0; c < shape.cols; ++c) out[r * shape.cols + c] = norm == 0.0f ? row[c] : row[c] / norm;
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

 private:
  Norm norm_ = Norm::kMax;
};

/// Y = X > threshold ? 1 : 0 in the input's type (float, double, int64, int32). NaN inputs fail
/// with kInvalidArgument, as in onnxruntime.
class BinarizerKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<BinarizerKernel>();
    kernel->threshold_ = node.GetFloat("threshold", 0.0f);
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    switch (input->dtype()) {
      case DType::kFloat32: return Binarize<float>(*input, ctx);
      case DType::kFloat64: return Binarize<double>(*input, ctx);
      case DType::kInt64: return Binarize<int64_t>(*input, ctx);
      case DType::kInt32: return Binarize<int32_t>(*input, ctx);
      default:
        return InvalidArgument("Binarizer takes float, double, int64 or int32 inputs, got " + input->DebugString());
    }
  }

 private:
  template <typename T>
  Status Binarize(const Tensor& input, KernelContext& ctx) const {
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(input.dtype(), input.shape()));
    const T* in = input.data<T>();
    T* out = output.data<T>();
    for (int64_t i = 0; i < input.num_elements(); ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(in[i])) return InvalidArgument("input element " + std::to_string(i) + " is NaN");
      }
      out[i] = static_cast<double>(in[i]) > static_cast<double>(threshold_) ? T(1) : T(0);
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

  float threshold_ = 0;
};

}  // namespace

void RegisterMlPreprocessKernels(KernelRegistry& registry) {
  registry.Register(kOnnxMlDomain, "Scaler", ScalerKernel::Create);
  registry.Register(kOnnxMlDomain, "Imputer", ImputerKernel::Create);
  registry.Register(kOnnxMlDomain, "Normalizer", NormalizerKernel::Create);
  registry.Register(kOnnxMlDomain, "Binarizer", BinarizerKernel::Create);
}

}  // namespace mlserving::kernels::reference

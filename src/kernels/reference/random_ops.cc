// Random generators: RandomUniform RandomNormal RandomUniformLike RandomNormalLike Bernoulli, and
// Dropout (random in training mode only).
//
// Each Compute draws from its own std::mt19937: seeded with the `seed` attribute when present (so
// a seeded node returns the same tensor on every run, though not the numbers numpy or another
// runtime would draw), from std::random_device otherwise. No state is shared between runs, which
// keeps Compute const and thread-safe.

#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

enum class Distribution { kUniform, kNormal };

/// A fresh engine for one run (see the file comment).
std::mt19937 MakeEngine(std::optional<int64_t> seed) {
  if (seed) return std::mt19937(static_cast<uint32_t>(*seed));
  std::random_device device;
  return std::mt19937(device());
}

/// The `dtype` attribute as a DType; nullopt when absent.
Result<std::optional<DType>> OptionalDType(const ir::Node& node) {
  if (!node.Has("dtype")) return std::optional<DType>();
  const std::optional<DType> dtype = DTypeFromOnnxCode(node.GetInt("dtype", 1));
  if (!dtype) return Unimplemented("random op dtype " + std::to_string(node.GetInt("dtype", 1)) + " is not supported");
  return dtype;
}

/// RandomUniform/RandomNormal (shape from the `shape` attribute) and their *Like variants (shape,
/// and by default dtype, of input 0). Floating dtypes only. Uniform draws from [low, high); normal
/// from N(mean, scale^2).
class RandomKernel : public Kernel {
 public:
  RandomKernel(Distribution dist, double a, double b, std::optional<int64_t> seed, std::optional<DType> dtype,
               std::optional<Shape> shape)
      : dist_(dist), a_(a), b_(b), seed_(seed), dtype_(dtype), shape_(std::move(shape)) {}

  Status Compute(KernelContext& ctx) const override {
    Shape shape;
    DType dtype = dtype_.value_or(DType::kFloat32);
    if (shape_) {
      shape = *shape_;
    } else {
      ASSIGN_OR_RETURN(const Tensor* like, RequiredInput(ctx, 0));
      shape = like->shape();
      if (!dtype_) dtype = like->dtype();
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, shape));
    std::mt19937 engine = MakeEngine(seed_);
    RETURN_IF_ERROR(DispatchFloating(dtype, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      T* po = out.data<T>();
      std::uniform_real_distribution<double> uniform(a_, b_);
      std::normal_distribution<double> normal(a_, b_);
      for (int64_t i = 0; i < out.num_elements(); ++i) {
        po[i] = ConvertNumber<T>(dist_ == Distribution::kUniform ? uniform(engine) : normal(engine));
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  Distribution dist_;
  double a_, b_;  ///< low/high or mean/scale
  std::optional<int64_t> seed_;
  std::optional<DType> dtype_;
  std::optional<Shape> shape_;  ///< nullopt for the *Like variants
};

/// Bernoulli(input): 1 with probability input[i], else 0, in `dtype` (default: the input's).
/// Probabilities outside [0, 1] are kInvalidArgument.
class BernoulliKernel : public Kernel {
 public:
  BernoulliKernel(std::optional<int64_t> seed, std::optional<DType> dtype) : seed_(seed), dtype_(dtype) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* p, RequiredInput(ctx, 0));
    std::vector<double> probs(static_cast<size_t>(p->num_elements()));
    RETURN_IF_ERROR(DispatchFloating(p->dtype(), [&](auto tag) -> Status {
      const auto* in = p->data<typename decltype(tag)::type>();
      for (size_t i = 0; i < probs.size(); ++i) {
        probs[i] = ConvertNumber<double>(in[i]);
        if (!(probs[i] >= 0 && probs[i] <= 1)) return InvalidArgument("Bernoulli probabilities must be in [0, 1]");
      }
      return Status::Ok();
    }));
    const DType dtype = dtype_.value_or(p->dtype());
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, p->shape()));
    std::mt19937 engine = MakeEngine(seed_);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    RETURN_IF_ERROR(DispatchDType(dtype, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, std::string>) {
        return UnsupportedDType(dtype);
      } else {
        T* po = out.data<T>();
        // p == 1 is tested apart: libstdc++'s uniform_real_distribution can return its upper bound.
        for (size_t i = 0; i < probs.size(); ++i) {
          po[i] = ConvertNumber<T>(probs[i] >= 1 || uniform(engine) < probs[i] ? 1 : 0);
        }
        return Status::Ok();
      }
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  std::optional<int64_t> seed_;
  std::optional<DType> dtype_;
};

/// The float `seed` attribute of the generators, as an integer; nullopt when absent.
std::optional<int64_t> SeedOf(const ir::Node& node) {
  if (!node.Has("seed")) return std::nullopt;
  return ConvertNumber<int64_t>(node.GetFloat("seed", 0));
}

/// Dropout. Inference mode (no training_mode input, or false; every opset before 12) returns the
/// input unchanged (sharing its buffer) and an all-true mask. Training mode (opset 12+,
/// training_mode input true) keeps each element with probability 1 - ratio and scales kept
/// elements by 1 / (1 - ratio): y = x * mask / (1 - ratio), mask true where kept. The integer
/// `seed` attribute makes the mask the same on every run (see the file comment). `ratio` (input
/// 1, default 0.5) must be in [0, 1) in training mode.
class DropoutKernel : public Kernel {
 public:
  DropoutKernel(bool has_mode_inputs, std::optional<int64_t> seed) : has_mode_inputs_(has_mode_inputs), seed_(seed) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(bool training, TrainingMode(ctx));
    const bool want_mask = ctx.outputs.size() > 1;
    if (!training) {
      if (want_mask) {
        ASSIGN_OR_RETURN(Tensor mask, ctx.Allocate(DType::kBool, x->shape()));
        bool* pm = mask.data<bool>();
        for (int64_t i = 0; i < mask.num_elements(); ++i) pm[i] = true;
        SetOutput(ctx, 1, std::move(mask));
      }
      SetOutput(ctx, 0, *x);
      return Status::Ok();
    }
    if (!IsFloating(x->dtype()))
      return InvalidArgument("Dropout input must be floating point, got " + x->DebugString());
    ASSIGN_OR_RETURN(double ratio, Ratio(ctx));
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
    ASSIGN_OR_RETURN(Tensor mask, ctx.Allocate(DType::kBool, x->shape()));
    std::mt19937 engine = MakeEngine(seed_);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const double scale = 1.0 / (1.0 - ratio);
    bool* pm = mask.data<bool>();
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t i = 0; i < x->num_elements(); ++i) {
        pm[i] = uniform(engine) >= ratio;
        po[i] = pm[i] ? ConvertNumber<T>(ConvertNumber<double>(in[i]) * scale) : ConvertNumber<T>(0.0);
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    if (want_mask) SetOutput(ctx, 1, std::move(mask));
    return Status::Ok();
  }

 private:
  /// The training_mode input (a bool scalar); false when absent.
  Result<bool> TrainingMode(const KernelContext& ctx) const {
    const Tensor* mode = has_mode_inputs_ ? ctx.input(2) : nullptr;
    if (mode == nullptr) return false;
    if (mode->dtype() != DType::kBool || mode->num_elements() != 1) {
      return InvalidArgument("Dropout training_mode must be a bool scalar, got " + mode->DebugString());
    }
    return mode->data<bool>()[0];
  }

  /// The ratio input (a floating scalar in [0, 1)); 0.5 when absent.
  static Result<double> Ratio(const KernelContext& ctx) {
    const Tensor* r = ctx.input(1);
    if (r == nullptr) return 0.5;
    if (!IsFloating(r->dtype()) || r->num_elements() != 1) {
      return InvalidArgument("Dropout ratio must be a floating scalar, got " + r->DebugString());
    }
    double ratio = 0;
    RETURN_IF_ERROR(DispatchFloating(r->dtype(), [&](auto tag) -> Status {
      ratio = ConvertNumber<double>(r->data<typename decltype(tag)::type>()[0]);
      return Status::Ok();
    }));
    if (!(ratio >= 0 && ratio < 1)) {
      return InvalidArgument("Dropout ratio must be in [0, 1) in training mode, got " + std::to_string(ratio));
    }
    return ratio;
  }

  bool has_mode_inputs_;  ///< opset 12+: ratio and training_mode are inputs
  std::optional<int64_t> seed_;
};

void RegisterGenerator(KernelRegistry& registry, const char* op_type, Distribution dist, bool like) {
  registry.Register(kOnnxDomain, op_type, [dist, like](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(std::optional<DType> dtype, OptionalDType(node));
    if (dtype && !IsFloating(*dtype)) return Unimplemented("random ops produce floating types only");
    std::optional<Shape> shape;
    if (!like) {
      if (!node.Has("shape")) return InvalidArgument(std::string(node.op_type) + " needs the attribute 'shape'");
      shape = node.GetInts("shape");
      for (int64_t d : *shape) {
        if (d < 0) return InvalidArgument("random op shape must not be negative");
      }
    }
    const bool uniform = dist == Distribution::kUniform;
    const double a = uniform ? node.GetFloat("low", 0.0f) : node.GetFloat("mean", 0.0f);
    const double b = uniform ? node.GetFloat("high", 1.0f) : node.GetFloat("scale", 1.0f);
    if (uniform ? !(a < b) : !(b > 0)) return InvalidArgument("random op bounds/scale are invalid");
    return std::unique_ptr<Kernel>(std::make_unique<RandomKernel>(dist, a, b, SeedOf(node), dtype, shape));
  });
}

}  // namespace

void RegisterRandomKernels(KernelRegistry& registry) {
  RegisterGenerator(registry, "RandomUniform", Distribution::kUniform, /*like=*/false);
  RegisterGenerator(registry, "RandomNormal", Distribution::kNormal, false);
  RegisterGenerator(registry, "RandomUniformLike", Distribution::kUniform, true);
  RegisterGenerator(registry, "RandomNormalLike", Distribution::kNormal, true);
  registry.Register(kOnnxDomain, "Bernoulli", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(std::optional<DType> dtype, OptionalDType(node));
    if (dtype == DType::kString) return Unimplemented("Bernoulli cannot produce strings");
    return std::unique_ptr<Kernel>(std::make_unique<BernoulliKernel>(SeedOf(node), dtype));
  });
  registry.Register(kOnnxDomain, "Dropout", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    std::optional<int64_t> seed;  // an int attribute here, unlike the generators' float
    if (node.Has("seed")) seed = node.GetInt("seed", 0);
    return std::unique_ptr<Kernel>(std::make_unique<DropoutKernel>(node.opset >= 12, seed));
  });
}

}  // namespace mlserving::kernels::reference

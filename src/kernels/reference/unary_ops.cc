// Elementwise unary ops: activations, math and trigonometric functions, bitwise not, Clip,
// Identity, Cast and CastLike.

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// A kernel computing out[i] = fn(x[i]) in ComputeType<T>, output dtype = input dtype.
/// kFloatingOnly selects float16/bfloat16/float32/float64; otherwise every numeric dtype.
template <bool kFloatingOnly, typename Fn>
Result<std::unique_ptr<Kernel>> UnaryKernel(Fn fn) {
  return MakeKernel([fn](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    auto body = [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t i = 0; i < x->num_elements(); ++i) po[i] = Narrow<T>(static_cast<C>(fn(Widen(in[i]))));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    };
    if constexpr (kFloatingOnly) {
      return DispatchFloating(x->dtype(), body);
    } else {
      return DispatchNumeric(x->dtype(), body);
    }
  });
}

/// Registers an op with no attributes computed by `fn`.
template <bool kFloatingOnly, typename Fn>
void RegisterSimple(KernelRegistry& registry, const char* op_type, Fn fn) {
  registry.Register(kOnnxDomain, op_type, [fn](const ir::Node&) { return UnaryKernel<kFloatingOnly>(fn); });
}

/// Two's-complement negation without signed overflow (INT_MIN stays INT_MIN).
template <typename C>
C Negate(C v) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(uint64_t{0} - static_cast<uint64_t>(v));
  } else {
    return -v;
  }
}

/// Round half to even, independent of the floating-point environment.
template <typename C>
C RoundHalfToEven(C v) {
  C r = std::round(v);
  if (std::fabs(v - std::trunc(v)) == C(0.5)) r = C(2) * std::round(v / C(2));
  return r;
}

void RegisterActivations(KernelRegistry& registry) {
  RegisterSimple<false>(registry, "Relu", [](auto v) {
    using C = decltype(v);
    return v > C(0) ? v : C(0);
  });
  RegisterSimple<true>(registry, "Sigmoid", [](auto v) {
    using C = decltype(v);
    if (v >= C(0)) return C(1) / (C(1) + std::exp(-v));
    const C e = std::exp(v);
    return e / (C(1) + e);
  });
  RegisterSimple<true>(registry, "Tanh", [](auto v) { return std::tanh(v); });
  RegisterSimple<true>(registry, "Softplus", [](auto v) {
    using C = decltype(v);
    return v > C(0) ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
  });
  registry.Register(kOnnxDomain, "LeakyRelu", [](const ir::Node& node) {
    const double alpha = node.GetFloat("alpha", 0.01f);
    return UnaryKernel<true>([alpha](auto v) {
      using C = decltype(v);
      return v < C(0) ? static_cast<C>(alpha) * v : v;
    });
  });
  registry.Register(kOnnxDomain, "Elu", [](const ir::Node& node) {
    const double alpha = node.GetFloat("alpha", 1.0f);
    return UnaryKernel<true>([alpha](auto v) {
      using C = decltype(v);
      return v < C(0) ? static_cast<C>(alpha) * (std::exp(v) - C(1)) : v;
    });
  });
  registry.Register(kOnnxDomain, "Selu", [](const ir::Node& node) {
    const double alpha = node.GetFloat("alpha", 1.67326319217681884765625f);
    const double gamma = node.GetFloat("gamma", 1.05070102214813232421875f);
    return UnaryKernel<true>([alpha, gamma](auto v) {
      using C = decltype(v);
      const C a = static_cast<C>(alpha), g = static_cast<C>(gamma);
      return v > C(0) ? g * v : g * (a * std::exp(v) - a);
    });
  });
  registry.Register(kOnnxDomain, "HardSigmoid", [](const ir::Node& node) {
    const double alpha = node.GetFloat("alpha", 0.2f);
    const double beta = node.GetFloat("beta", 0.5f);
    return UnaryKernel<true>([alpha, beta](auto v) {
      using C = decltype(v);
      const C y = static_cast<C>(alpha) * v + static_cast<C>(beta);
      return std::max(C(0), std::min(C(1), y));
    });
  });
}

/// Activations added in later opsets (Softsign, ThresholdedRelu, Shrink, Celu, Mish, HardSwish,
/// Gelu with approximate "none" or "tanh").
void RegisterMoreActivations(KernelRegistry& registry) {
  RegisterSimple<true>(registry, "Softsign", [](auto v) { return v / (decltype(v)(1) + std::fabs(v)); });
  RegisterSimple<true>(registry, "Mish", [](auto v) {
    using C = decltype(v);
    const C softplus = v > C(0) ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
    return v * std::tanh(softplus);
  });
  RegisterSimple<true>(registry, "HardSwish", [](auto v) {
    using C = decltype(v);
    return v * std::max(C(0), std::min(C(1), v / C(6) + C(0.5)));
  });
  registry.Register(kOnnxDomain, "ThresholdedRelu", [](const ir::Node& node) {
    const double alpha = node.GetFloat("alpha", 1.0f);
    return UnaryKernel<true>([alpha](auto v) {
      using C = decltype(v);
      return v > static_cast<C>(alpha) ? v : C(0);
    });
  });
  registry.Register(kOnnxDomain, "Shrink", [](const ir::Node& node) {
    const double lambd = node.GetFloat("lambd", 0.5f);
    const double bias = node.GetFloat("bias", 0.0f);
    return UnaryKernel<false>([lambd, bias](auto v) {
      using C = decltype(v);
      const double d = ConvertNumber<double>(v);
      if (d < -lambd) return ConvertNumber<C>(d + bias);
      if (d > lambd) return ConvertNumber<C>(d - bias);
      return C(0);
    });
  });
  registry.Register(kOnnxDomain, "Celu", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const double alpha = node.GetFloat("alpha", 1.0f);
    if (alpha == 0) return InvalidArgument("Celu alpha must not be 0");
    return UnaryKernel<true>([alpha](auto v) {
      using C = decltype(v);
      const C a = static_cast<C>(alpha);
      return std::max(C(0), v) + std::min(C(0), a * (std::exp(v / a) - C(1)));
    });
  });
  registry.Register(kOnnxDomain, "Gelu", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::string approximate = node.GetString("approximate", "none");
    if (approximate == "tanh") {
      return UnaryKernel<true>([](auto v) {
        using C = decltype(v);
        const C k = static_cast<C>(0.7978845608028654);  // sqrt(2 / pi)
        return C(0.5) * v * (C(1) + std::tanh(k * (v + C(0.044715) * v * v * v)));
      });
    }
    if (approximate != "none") return Unimplemented("Gelu approximate '" + approximate + "' is not supported");
    return UnaryKernel<true>([](auto v) {
      using C = decltype(v);
      return C(0.5) * v * (C(1) + std::erf(v / static_cast<C>(1.4142135623730951)));
    });
  });
}

void RegisterMath(KernelRegistry& registry) {
  RegisterSimple<true>(registry, "Exp", [](auto v) { return std::exp(v); });
  RegisterSimple<true>(registry, "Log", [](auto v) { return std::log(v); });
  RegisterSimple<true>(registry, "Sqrt", [](auto v) { return std::sqrt(v); });
  RegisterSimple<true>(registry, "Erf", [](auto v) { return std::erf(v); });
  RegisterSimple<true>(registry, "Reciprocal", [](auto v) { return decltype(v)(1) / v; });
  RegisterSimple<true>(registry, "Floor", [](auto v) { return std::floor(v); });
  RegisterSimple<true>(registry, "Ceil", [](auto v) { return std::ceil(v); });
  RegisterSimple<true>(registry, "Round", [](auto v) { return RoundHalfToEven(v); });
  RegisterSimple<false>(registry, "Abs", [](auto v) {
    using C = decltype(v);
    if constexpr (std::is_unsigned_v<C>) {
      return v;
    } else {
      return v < C(0) ? Negate(v) : v;
    }
  });
  RegisterSimple<false>(registry, "Neg", [](auto v) { return Negate(v); });
  RegisterSimple<true>(registry, "Sin", [](auto v) { return std::sin(v); });
  RegisterSimple<true>(registry, "Cos", [](auto v) { return std::cos(v); });
  RegisterSimple<true>(registry, "Tan", [](auto v) { return std::tan(v); });
  RegisterSimple<true>(registry, "Asin", [](auto v) { return std::asin(v); });
  RegisterSimple<true>(registry, "Acos", [](auto v) { return std::acos(v); });
  RegisterSimple<true>(registry, "Atan", [](auto v) { return std::atan(v); });
  RegisterSimple<true>(registry, "Sinh", [](auto v) { return std::sinh(v); });
  RegisterSimple<true>(registry, "Cosh", [](auto v) { return std::cosh(v); });
  RegisterSimple<true>(registry, "Asinh", [](auto v) { return std::asinh(v); });
  RegisterSimple<true>(registry, "Acosh", [](auto v) { return std::acosh(v); });
  RegisterSimple<true>(registry, "Atanh", [](auto v) { return std::atanh(v); });
  RegisterSimple<false>(registry, "Sign", [](auto v) {
    using C = decltype(v);
    if (IsNaNValue(v)) return v;
    return v > C(0) ? C(1) : (v < C(0) ? Negate(C(1)) : C(0));
  });
}

/// Maps input 0 (of `in_dtype`) to a bool output with `fn(value)`.
template <typename T, typename Fn>
Status MapToBool(KernelContext& ctx, const Tensor& x, Fn fn) {
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kBool, x.shape()));
  const T* in = x.data<T>();
  bool* po = out.data<bool>();
  for (int64_t i = 0; i < x.num_elements(); ++i) po[i] = fn(in[i]);
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

void RegisterPredicates(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Not", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      if (x->dtype() != DType::kBool) return UnsupportedDType(x->dtype());
      return MapToBool<bool>(ctx, *x, [](bool v) { return !v; });
    });
  });
  registry.Register(kOnnxDomain, "IsInf", [](const ir::Node& node) {
    const bool positive = node.GetInt("detect_positive", 1) != 0;
    const bool negative = node.GetInt("detect_negative", 1) != 0;
    return MakeKernel([positive, negative](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      return DispatchFloating(x->dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        return MapToBool<T>(ctx, *x, [&](const T& v) {
          const auto w = Widen(v);
          return std::isinf(w) && ((w > 0 && positive) || (w < 0 && negative));
        });
      });
    });
  });
  registry.Register(kOnnxDomain, "BitwiseNot", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      if (!IsInteger(x->dtype())) return UnsupportedDType(x->dtype());
      return DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_integral_v<T>) {
          ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
          const T* in = x->data<T>();
          T* po = out.data<T>();
          for (int64_t i = 0; i < x->num_elements(); ++i) po[i] = static_cast<T>(~in[i]);
          SetOutput(ctx, 0, std::move(out));
        }
        return Status::Ok();
      });
    });
  });
  registry.Register(kOnnxDomain, "IsNaN", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      return DispatchFloating(x->dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        return MapToBool<T>(ctx, *x, [](const T& v) { return IsNaNValue(v); });
      });
    });
  });
}

/// Clip: bounds from the attributes `min`/`max` before opset 11, from optional scalar inputs 1
/// and 2 since. Missing bounds are unbounded. NaN inputs stay NaN.
void RegisterClip(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Clip", [](const ir::Node& node) {
    const bool from_inputs = node.opset >= 11;
    std::optional<double> attr_min, attr_max;
    if (!from_inputs && node.Has("min")) attr_min = node.GetFloat("min", 0);
    if (!from_inputs && node.Has("max")) attr_max = node.GetFloat("max", 0);
    return MakeKernel([from_inputs, attr_min, attr_max](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      return DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        using C = ComputeType<T>;
        C lo = std::is_floating_point_v<C> ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::lowest();
        C hi = std::is_floating_point_v<C> ? std::numeric_limits<C>::infinity() : std::numeric_limits<C>::max();
        if (from_inputs) {
          for (size_t i : {size_t{1}, size_t{2}}) {
            const Tensor* bound = ctx.input(i);
            if (bound == nullptr) continue;
            if (bound->dtype() != x->dtype() || bound->num_elements() != 1) {
              return InvalidArgument("Clip bounds must be scalars of the input's type, got " + bound->DebugString());
            }
            (i == 1 ? lo : hi) = Widen(bound->data<T>()[0]);
          }
        } else {
          if (attr_min) lo = ConvertNumber<C>(*attr_min);
          if (attr_max) hi = ConvertNumber<C>(*attr_max);
        }
        ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
        const T* in = x->data<T>();
        T* po = out.data<T>();
        for (int64_t i = 0; i < x->num_elements(); ++i) po[i] = Narrow<T>(std::min(std::max(Widen(in[i]), lo), hi));
        SetOutput(ctx, 0, std::move(out));
        return Status::Ok();
      });
    });
  });
}

/// Identity passes the input through (sharing its buffer). Dropout, which does the same in
/// inference mode, is a random op (random_ops.cc).
void RegisterPassThrough(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Identity", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      SetOutput(ctx, 0, *x);
      return Status::Ok();
    });
  });
}

/// Converts every element of `x` into `out` (same shape, dtype To).
template <typename From, typename To>
Status CastElements(const Tensor& x, Tensor& out) {
  const From* in = x.data<From>();
  To* po = out.data<To>();
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    if constexpr (std::is_same_v<From, std::string> && std::is_same_v<To, std::string>) {
      po[i] = in[i];
    } else if constexpr (std::is_same_v<From, std::string>) {
      ASSIGN_OR_RETURN(po[i], ParseNumber<To>(in[i]));
    } else if constexpr (std::is_same_v<To, std::string>) {
      po[i] = FormatNumber<From>(in[i]);
    } else {
      po[i] = ConvertNumber<To>(in[i]);
    }
  }
  return Status::Ok();
}

/// Converts `x` to `target` into output 0 (sharing the buffer when the dtype already matches).
Status CastInto(KernelContext& ctx, const Tensor& x, DType target) {
  if (x.dtype() == target) {
    SetOutput(ctx, 0, x);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(target, x.shape()));
  RETURN_IF_ERROR(DispatchDType(x.dtype(), [&](auto from_tag) -> Status {
    return DispatchDType(target, [&](auto to_tag) -> Status {
      return CastElements<typename decltype(from_tag)::type, typename decltype(to_tag)::type>(x, out);
    });
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// Cast to the `to` attribute's type: numeric conversions truncate toward zero and saturate
/// (see ConvertNumber); strings parse and format as ONNX specifies (see ParseNumber/FormatNumber).
/// CastLike casts input 0 to the dtype of input 1 with the same rules.
void RegisterCast(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "CastLike", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* like, RequiredInput(ctx, 1));
      return CastInto(ctx, *x, like->dtype());
    });
  });
  registry.Register(kOnnxDomain, "Cast", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    if (!node.Has("to")) return InvalidArgument("Cast needs the attribute 'to'");
    const int64_t code = node.GetInt("to", 0);
    const std::optional<DType> to = DTypeFromOnnxCode(code);
    if (!to) return Unimplemented("Cast to ONNX data type " + std::to_string(code) + " is not supported");
    const DType target = *to;
    return MakeKernel([target](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      return CastInto(ctx, *x, target);
    });
  });
}

}  // namespace

void RegisterUnaryKernels(KernelRegistry& registry) {
  RegisterActivations(registry);
  RegisterMoreActivations(registry);
  RegisterMath(registry);
  RegisterPredicates(registry);
  RegisterClip(registry);
  RegisterPassThrough(registry);
  RegisterCast(registry);
}

}  // namespace mlserving::kernels::reference

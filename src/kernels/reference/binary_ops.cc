// Elementwise binary and variadic ops with numpy multidirectional broadcasting: arithmetic
// (Add Sub Mul Div Pow Mod), variadic folds (Max Min Sum Mean), comparisons, logical and bitwise
// ops (BitShift BitwiseAnd/Or/Xor) and Where.

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// The loop nest of a broadcast binary op: the output shape with size-1 dims dropped and adjacent
/// dims merged wherever both inputs step through them as one (both contiguous, or both repeating),
/// and each input's strides over it. The innermost stride of either input is then 0 or 1.
struct BroadcastLoops {
  Shape shape;
  std::array<std::vector<int64_t>, 2> strides;
};

BroadcastLoops MergeBroadcastDims(const Shape& shape, const std::array<std::vector<int64_t>, 2>& strides) {
  BroadcastLoops loops;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const bool mergeable = !loops.shape.empty() && loops.strides[0].back() == strides[0][d] * shape[d] &&
                           loops.strides[1].back() == strides[1][d] * shape[d];
    if (mergeable) {
      loops.shape.back() *= shape[d];
      loops.strides[0].back() = strides[0][d];
      loops.strides[1].back() = strides[1][d];
    } else {
      loops.shape.push_back(shape[d]);
      loops.strides[0].push_back(strides[0][d]);
      loops.strides[1].push_back(strides[1][d]);
    }
  }
  return loops;
}

/// Elements per block of the inner loops: a fixed trip count the compiler vectorises at -O2.
constexpr int64_t kBlock = 16;

/// out[0, n) = fn over a run where `a` steps by `sa` and `b` by `sb` (each 0 or 1): the four
/// cases are separate contiguous loops without index arithmetic.
template <typename A, typename B, typename Out, typename Fn>
void MapRun(const A* __restrict a, int64_t sa, const B* __restrict b, int64_t sb, Out* __restrict out, int64_t n,
            const Fn& fn) {
  int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + kBlock <= n; i += kBlock) {
      for (int64_t j = 0; j < kBlock; ++j) out[i + j] = fn(a[i + j], b[i + j]);
    }
    for (; i < n; ++i) out[i] = fn(a[i], b[i]);
  } else if (sa == 1) {
    const B y = b[0];
    for (; i + kBlock <= n; i += kBlock) {
      for (int64_t j = 0; j < kBlock; ++j) out[i + j] = fn(a[i + j], y);
    }
    for (; i < n; ++i) out[i] = fn(a[i], y);
  } else if (sb == 1) {
    const A x = a[0];
    for (; i + kBlock <= n; i += kBlock) {
      for (int64_t j = 0; j < kBlock; ++j) out[i + j] = fn(x, b[i + j]);
    }
    for (; i < n; ++i) out[i] = fn(x, b[i]);
  } else {
    const Out v = fn(a[0], b[0]);
    for (; i < n; ++i) out[i] = v;
  }
}

/// out[i] = fn(a[ia], b[ib]) over the broadcast shape of `a` and `b`; A, B and Out are storage
/// types. kInvalidArgument when the shapes do not broadcast. The broadcast dims are merged
/// (MergeBroadcastDims) and the innermost one runs as a contiguous loop (MapRun).
template <typename A, typename B, typename Out, typename Fn>
Result<Tensor> BroadcastMap(const KernelContext& ctx, const Tensor& a, const Tensor& b, Fn fn) {
  ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(a.shape(), b.shape()));
  ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DTypeOf<Out>::value, shape));
  if (out.num_elements() == 0) return out;
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  Out* po = out.data<Out>();
  const BroadcastLoops loops =
      MergeBroadcastDims(shape, {BroadcastStrides(a.shape(), shape), BroadcastStrides(b.shape(), shape)});
  if (loops.shape.empty()) {  // a single element
    po[0] = fn(pa[0], pb[0]);
    return out;
  }
  const size_t inner_dim = loops.shape.size() - 1;
  const int64_t n = loops.shape[inner_dim];
  const int64_t sa = loops.strides[0][inner_dim], sb = loops.strides[1][inner_dim];
  const Shape outer_shape(loops.shape.begin(), loops.shape.end() - 1);
  const std::array<std::vector<int64_t>, 2> outer_strides = {
      std::vector<int64_t>(loops.strides[0].begin(), loops.strides[0].end() - 1),
      std::vector<int64_t>(loops.strides[1].begin(), loops.strides[1].end() - 1)};
  ForEachStrided<2>(outer_shape, outer_strides, [&](int64_t row, const std::array<int64_t, 2>& off) {
    MapRun(pa + off[0], sa, pb + off[1], sb, po + row * n, n, fn);
  });
  return out;
}

Status CheckSameDType(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) {
    return InvalidArgument("inputs have different element types: " + a.DebugString() + " and " + b.DebugString());
  }
  return Status::Ok();
}

// ---- Arithmetic on compute types. Integer arithmetic wraps (computed in uint64) instead of
// overflowing, which would be undefined behaviour.

template <typename C>
C WrapInt(uint64_t v) {
  return static_cast<C>(v);
}

struct AddOp {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      return WrapInt<C>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    } else {
      return a + b;
    }
  }
};

struct SubOp {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      return WrapInt<C>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
    } else {
      return a - b;
    }
  }
};

struct MulOp {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      return WrapInt<C>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    } else {
      return a * b;
    }
  }
};

/// Integer division truncates toward zero (as ONNX/C++); the caller rejects a zero divisor.
struct DivOp {
  static constexpr bool kRejectsIntegerZero = true;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C> && std::is_signed_v<C>) {
      if (b == C(-1)) return WrapInt<C>(uint64_t{0} - static_cast<uint64_t>(a));  // min / -1 wraps
      return static_cast<C>(a / b);
    } else {
      return static_cast<C>(a / b);
    }
  }
};

/// Max and Min propagate NaN, as numpy's maximum/minimum; between equal values (-0 and +0) they
/// return `a`. One select: a NaN `b` is taken, and a NaN `a` stays since no `b` compares greater
/// or less than it. `|` rather than `||` keeps it branch-free, so the float loops vectorise at
/// -O2. x != x is the NaN test (always false for integers).
struct MaxOp {
  template <typename C>
  C operator()(C a, C b) const {
    return ((b != b) | (b > a)) ? b : a;
  }
};

struct MinOp {
  template <typename C>
  C operator()(C a, C b) const {
    return ((b != b) | (b < a)) ? b : a;
  }
};

template <typename Op>
constexpr bool RejectsIntegerZero() {
  if constexpr (requires { Op::kRejectsIntegerZero; }) {
    return Op::kRejectsIntegerZero;
  } else {
    return false;
  }
}

/// out = op(a, b) with broadcasting for any numeric dtype (16-bit floats computed in float32).
template <typename Op>
Result<Tensor> Arithmetic(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  RETURN_IF_ERROR(CheckSameDType(a, b));
  Tensor result;
  Status status = DispatchNumeric(a.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    if constexpr (RejectsIntegerZero<Op>() && std::is_integral_v<T>) {
      const T* pb = b.data<T>();
      for (int64_t i = 0; i < b.num_elements(); ++i) {
        if (pb[i] == T(0)) return InvalidArgument("integer division by zero");
      }
    }
    ASSIGN_OR_RETURN(
        result,
        (BroadcastMap<T, T, T>(ctx, a, b, [](const T& x, const T& y) { return Narrow<T>(Op()(Widen(x), Widen(y))); })));
    return Status::Ok();
  });
  RETURN_IF_ERROR(status);
  return result;
}

template <typename Op>
void RegisterArithmetic(KernelRegistry& registry, const char* op_type) {
  registry.Register(kOnnxDomain, op_type, [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(Tensor out, Arithmetic<Op>(ctx, *a, *b));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

/// Folds every input with Op (broadcasting pairwise); Mean then divides by the input count.
template <typename Op>
void RegisterVariadic(KernelRegistry& registry, const char* op_type, bool mean) {
  registry.Register(kOnnxDomain, op_type, [mean](const ir::Node&) {
    return MakeKernel([mean](KernelContext& ctx) -> Status {
      if (ctx.num_inputs() == 0) return InvalidArgument("expects at least one input");
      ASSIGN_OR_RETURN(const Tensor* first, RequiredInput(ctx, 0));
      Tensor acc = *first;
      for (size_t i = 1; i < ctx.num_inputs(); ++i) {
        ASSIGN_OR_RETURN(const Tensor* next, RequiredInput(ctx, i));
        ASSIGN_OR_RETURN(acc, Arithmetic<Op>(ctx, acc, *next));
      }
      if (mean) {
        const auto count = static_cast<int64_t>(ctx.num_inputs());
        Tensor divided;
        RETURN_IF_ERROR(DispatchNumeric(acc.dtype(), [&](auto tag) -> Status {
          using T = typename decltype(tag)::type;
          ASSIGN_OR_RETURN(divided, ctx.Allocate(acc.dtype(), acc.shape()));
          const T* in = acc.data<T>();
          T* out = divided.data<T>();
          for (int64_t k = 0; k < acc.num_elements(); ++k) {
            // Integers divide in 64 bits (truncating), so the count never wraps to 0.
            if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
              out[k] = static_cast<T>(static_cast<int64_t>(in[k]) / count);
            } else if constexpr (std::is_unsigned_v<T>) {
              out[k] = static_cast<T>(static_cast<uint64_t>(in[k]) / static_cast<uint64_t>(count));
            } else {
              out[k] = Narrow<T>(Widen(in[k]) / static_cast<ComputeType<T>>(count));
            }
          }
          return Status::Ok();
        }));
        acc = std::move(divided);
      } else if (ctx.num_inputs() == 1) {
        // A single input passes through; still reject dtypes the op does not accept.
        RETURN_IF_ERROR(DispatchNumeric(acc.dtype(), [](auto) { return Status::Ok(); }));
      }
      SetOutput(ctx, 0, std::move(acc));
      return Status::Ok();
    });
  });
}

/// Pow(X, Y): X and Y may have different numeric dtypes; the output has X's dtype. Computed in
/// double and converted back (integer results truncate and saturate).
void RegisterPow(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Pow", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* y, RequiredInput(ctx, 1));
      return DispatchNumeric(x->dtype(), [&](auto xtag) -> Status {
        using X = typename decltype(xtag)::type;
        return DispatchNumeric(y->dtype(), [&](auto ytag) -> Status {
          using Y = typename decltype(ytag)::type;
          ASSIGN_OR_RETURN(Tensor out, (BroadcastMap<X, Y, X>(ctx, *x, *y, [](const X& a, const Y& b) {
                             const double base = ConvertNumber<double>(a);
                             const double exponent = ConvertNumber<double>(b);
                             return ConvertNumber<X>(std::pow(base, exponent));
                           })));
          SetOutput(ctx, 0, std::move(out));
          return Status::Ok();
        });
      });
    });
  });
}

/// Mod(A, B): with fmod=0 the result takes the divisor's sign (Python's %), with fmod=1 the
/// dividend's (C fmod). Integer division by zero is kInvalidArgument.
void RegisterMod(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Mod", [](const ir::Node& node) {
    const bool use_fmod = node.GetInt("fmod", 0) != 0;
    return MakeKernel([use_fmod](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
      RETURN_IF_ERROR(CheckSameDType(*a, *b));
      return DispatchNumeric(a->dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        using C = ComputeType<T>;
        if constexpr (std::is_integral_v<T>) {
          const T* pb = b->data<T>();
          for (int64_t i = 0; i < b->num_elements(); ++i) {
            if (pb[i] == T(0)) return InvalidArgument("integer modulo by zero");
          }
        }
        ASSIGN_OR_RETURN(Tensor out, (BroadcastMap<T, T, T>(ctx, *a, *b, [use_fmod](const T& x, const T& y) {
                           static_cast<void>(use_fmod);  // unread for unsigned types
                           const C u = Widen(x), v = Widen(y);
                           if constexpr (std::is_floating_point_v<C>) {
                             C r = std::fmod(u, v);
                             if (!use_fmod && r != C(0) && ((r < C(0)) != (v < C(0)))) r += v;
                             return Narrow<T>(r);
                           } else if constexpr (std::is_signed_v<C>) {
                             if (v == C(-1)) return C(0);  // avoids INT_MIN % -1 overflow
                             C r = static_cast<C>(u % v);
                             if (!use_fmod && r != 0 && ((r < 0) != (v < 0))) r = static_cast<C>(r + v);
                             return r;
                           } else {
                             return static_cast<C>(u % v);
                           }
                         })));
        SetOutput(ctx, 0, std::move(out));
        return Status::Ok();
      });
    });
  });
}

/// Integer-only elementwise op `fn(a, b)` with broadcasting (BitwiseAnd/Or/Xor, BitShift).
/// `unsigned_only` restricts the dtypes to the unsigned integers (BitShift).
template <typename Fn>
Result<std::unique_ptr<Kernel>> IntegerBinaryKernel(bool unsigned_only, Fn fn) {
  return MakeKernel([unsigned_only, fn](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
    RETURN_IF_ERROR(CheckSameDType(*a, *b));
    if (unsigned_only ? !IsUnsignedInteger(a->dtype()) : !IsInteger(a->dtype())) return UnsupportedDType(a->dtype());
    return DispatchNumeric(a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<T>) {
        ASSIGN_OR_RETURN(Tensor out, (BroadcastMap<T, T, T>(ctx, *a, *b, [&](T x, T y) { return fn(x, y); })));
        SetOutput(ctx, 0, std::move(out));
      }
      return Status::Ok();
    });
  });
}

/// BitShift (direction LEFT or RIGHT, unsigned integers; shifting by the bit width or more gives 0)
/// and BitwiseAnd/Or/Xor (any integer type).
void RegisterBitwise(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "BitShift", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::string direction = node.GetString("direction", "");
    if (direction != "LEFT" && direction != "RIGHT") {
      return InvalidArgument("BitShift direction must be LEFT or RIGHT, got '" + direction + "'");
    }
    const bool left = direction == "LEFT";
    return IntegerBinaryKernel(/*unsigned_only=*/true, [left](auto x, auto y) {
      using T = decltype(x);
      const auto bits = static_cast<uint64_t>(sizeof(T) * 8);
      const auto shift = static_cast<uint64_t>(y);
      if (shift >= bits) return T(0);
      const auto wide = static_cast<uint64_t>(x);
      return static_cast<T>(left ? wide << shift : wide >> shift);
    });
  });
  registry.Register(kOnnxDomain, "BitwiseAnd", [](const ir::Node&) {
    return IntegerBinaryKernel(false, [](auto x, auto y) { return static_cast<decltype(x)>(x & y); });
  });
  registry.Register(kOnnxDomain, "BitwiseOr", [](const ir::Node&) {
    return IntegerBinaryKernel(false, [](auto x, auto y) { return static_cast<decltype(x)>(x | y); });
  });
  registry.Register(kOnnxDomain, "BitwiseXor", [](const ir::Node&) {
    return IntegerBinaryKernel(false, [](auto x, auto y) { return static_cast<decltype(x)>(x ^ y); });
  });
}

// ---- Comparisons and logic (bool outputs)

struct EqualOp {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a == b;
  }
};
struct LessOp {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a < b;
  }
};
struct GreaterOp {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a > b;
  }
};
struct LessOrEqualOp {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a <= b;
  }
};
struct GreaterOrEqualOp {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a >= b;
  }
};

/// Comparison ops accept every numeric dtype; Equal also accepts bool and string.
template <typename Op>
void RegisterComparison(KernelRegistry& registry, const char* op_type, bool allow_bool_and_string) {
  registry.Register(kOnnxDomain, op_type, [allow_bool_and_string](const ir::Node&) {
    return MakeKernel([allow_bool_and_string](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
      RETURN_IF_ERROR(CheckSameDType(*a, *b));
      auto compare = [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        ASSIGN_OR_RETURN(Tensor out, (BroadcastMap<T, T, bool>(ctx, *a, *b, [](const T& x, const T& y) {
                           if constexpr (std::is_same_v<T, std::string>) {
                             return Op()(x, y);
                           } else {
                             return Op()(Widen(x), Widen(y));
                           }
                         })));
        SetOutput(ctx, 0, std::move(out));
        return Status::Ok();
      };
      if (allow_bool_and_string && a->dtype() == DType::kBool) return compare(TypeTag<bool>{});
      if (allow_bool_and_string && a->dtype() == DType::kString) return compare(TypeTag<std::string>{});
      return DispatchNumeric(a->dtype(), compare);
    });
  });
}

template <typename Fn>
void RegisterLogical(KernelRegistry& registry, const char* op_type, Fn fn) {
  registry.Register(kOnnxDomain, op_type, [fn](const ir::Node&) {
    return MakeKernel([fn](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* a, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* b, RequiredInput(ctx, 1));
      if (a->dtype() != DType::kBool) return UnsupportedDType(a->dtype());
      if (b->dtype() != DType::kBool) return UnsupportedDType(b->dtype());
      ASSIGN_OR_RETURN(Tensor out, (BroadcastMap<bool, bool, bool>(ctx, *a, *b, fn)));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

/// Where(condition, X, Y): X where condition else Y, broadcasting all three; any X/Y dtype.
Status ComputeWhere(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* cond, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 1));
  ASSIGN_OR_RETURN(const Tensor* y, RequiredInput(ctx, 2));
  if (cond->dtype() != DType::kBool) return InvalidArgument("condition must be bool, got " + cond->DebugString());
  RETURN_IF_ERROR(CheckSameDType(*x, *y));
  ASSIGN_OR_RETURN(Shape xy, BroadcastShapes(x->shape(), y->shape()));
  ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(cond->shape(), xy));
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), shape));
  DispatchDType(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool* pc = cond->data<bool>();
    const T* px = x->data<T>();
    const T* py = y->data<T>();
    T* po = out.data<T>();
    ForEachStrided<3>(
        shape,
        {BroadcastStrides(cond->shape(), shape), BroadcastStrides(x->shape(), shape),
         BroadcastStrides(y->shape(), shape)},
        [&](int64_t i, const std::array<int64_t, 3>& off) { po[i] = pc[off[0]] ? px[off[1]] : py[off[2]]; });
  });
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

}  // namespace

void RegisterBinaryKernels(KernelRegistry& registry) {
  RegisterArithmetic<AddOp>(registry, "Add");
  RegisterArithmetic<SubOp>(registry, "Sub");
  RegisterArithmetic<MulOp>(registry, "Mul");
  RegisterArithmetic<DivOp>(registry, "Div");
  RegisterPow(registry);
  RegisterMod(registry);
  RegisterBitwise(registry);
  RegisterVariadic<MaxOp>(registry, "Max", /*mean=*/false);
  RegisterVariadic<MinOp>(registry, "Min", /*mean=*/false);
  RegisterVariadic<AddOp>(registry, "Sum", /*mean=*/false);
  RegisterVariadic<AddOp>(registry, "Mean", /*mean=*/true);
  RegisterComparison<EqualOp>(registry, "Equal", /*allow_bool_and_string=*/true);
  RegisterComparison<LessOp>(registry, "Less", false);
  RegisterComparison<GreaterOp>(registry, "Greater", false);
  RegisterComparison<LessOrEqualOp>(registry, "LessOrEqual", false);
  RegisterComparison<GreaterOrEqualOp>(registry, "GreaterOrEqual", false);
  RegisterLogical(registry, "And", [](bool a, bool b) { return a && b; });
  RegisterLogical(registry, "Or", [](bool a, bool b) { return a || b; });
  RegisterLogical(registry, "Xor", [](bool a, bool b) { return a != b; });
  registry.Register(kOnnxDomain, "Where", [](const ir::Node&) { return MakeKernel(ComputeWhere); });
}

}  // namespace mlserving::kernels::reference

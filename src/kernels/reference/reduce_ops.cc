// Reductions (ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceLogSum
// ReduceLogSumExp ReduceSumSquare), index ops (ArgMax ArgMin), CumSum and Hardmax.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

/// Integer-safe a + b (wraps instead of overflowing).
template <typename C>
C AddWrap(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  } else {
    return a + b;
  }
}

template <typename C>
C MulWrap(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  } else {
    return a * b;
  }
}

/// Folds `v` into `acc` for one reduction kind. Integer sums and products wrap (computed in
/// uint64, no signed overflow); Max and Min propagate NaN as numpy does.
template <typename T>
void Accumulate(ReduceKind kind, ComputeType<T>& acc, ComputeType<T> v) {
  using C = ComputeType<T>;
  switch (kind) {
    case ReduceKind::kSum:
    case ReduceKind::kMean:
      if constexpr (std::is_integral_v<C>) {
        acc = static_cast<C>(static_cast<uint64_t>(acc) + static_cast<uint64_t>(v));
      } else {
        acc += v;
      }
      break;
    case ReduceKind::kProd:
      if constexpr (std::is_integral_v<C>) {
        acc = static_cast<C>(static_cast<uint64_t>(acc) * static_cast<uint64_t>(v));
      } else {
        acc *= v;
      }
      break;
    case ReduceKind::kL1:
      if constexpr (std::is_unsigned_v<C>) {
        acc = AddWrap(acc, v);
      } else {
        acc = AddWrap(acc, v < C(0) ? MulWrap(v, C(-1)) : v);
      }
      break;
    case ReduceKind::kL2:
    case ReduceKind::kSumSquare: acc = AddWrap(acc, MulWrap(v, v)); break;
    case ReduceKind::kLogSum: acc = AddWrap(acc, v); break;
    case ReduceKind::kLogSumExp: break;  // two passes; see ReduceKernel::Compute
    case ReduceKind::kMax:
      if (IsNaNValue(acc)) break;
      if (IsNaNValue(v) || v > acc) acc = v;
      break;
    case ReduceKind::kMin:
      if (IsNaNValue(acc)) break;
      if (IsNaNValue(v) || v < acc) acc = v;
      break;
  }
}

/// The value a reduction over an empty set yields (and starts from).
template <typename C>
C ReduceIdentity(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::kProd: return C(1);
    case ReduceKind::kMax:
      return std::is_floating_point_v<C> ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::lowest();
    case ReduceKind::kMin:
      return std::is_floating_point_v<C> ? std::numeric_limits<C>::infinity() : std::numeric_limits<C>::max();
    default: return C(0);
  }
}

// ---- The float32 fast path: a reduction whose reduced dims form one block of the contiguous input
// runs as [outer, count, inner] loops without per-element index arithmetic.

/// [outer, count, inner] when the reduced dims of `shape` (size-1 dims aside) are adjacent:
/// element (o, r, i) is at (o * count + r) * inner + i. nullopt otherwise.
std::optional<std::array<int64_t, 3>> ReducedBlock(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<std::pair<bool, int64_t>> groups;  // (reduced, product of its dims), alternating
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!groups.empty() && groups.back().first == reduced[d]) {
      groups.back().second *= shape[d];
    } else {
      groups.emplace_back(reduced[d], shape[d]);
    }
  }
  std::array<int64_t, 3> block = {1, 1, 1};
  size_t g = 0;
  if (g < groups.size() && !groups[g].first) block[0] = groups[g++].second;
  if (g < groups.size() && groups[g].first) block[1] = groups[g++].second;
  if (g < groups.size() && !groups[g].first) block[2] = groups[g++].second;
  if (g != groups.size()) return std::nullopt;
  return block;
}

/// Lanes of the reductions: a fixed trip count (inner loops), and in rows four independent
/// accumulators of a 4-float GCC/Clang vector (the SSE baseline), which compile to SIMD at -O2.
constexpr int64_t kLanes = 16;
using FloatLanes = float __attribute__((vector_size(4 * sizeof(float))));

/// out[o, i] = fold of map(in[o, r, i]) over r with `combine` from `identity`. Rows (inner 1)
/// fold in kLanes interleaved partial results; otherwise the output row accumulates in order.
/// `map` and `combine` are generic: they run on float and on FloatLanes.
template <typename Map, typename Combine>
void ReduceBlockFloat(const float* __restrict in, float* __restrict out, const std::array<int64_t, 3>& block,
                      float identity, Map map, Combine combine) {
  const auto [outer, count, inner] = block;
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      const float* row = in + o * count;
      FloatLanes lanes[4];
      for (FloatLanes& l : lanes) l = FloatLanes{} + identity;
      int64_t r = 0;
      for (; r + kLanes <= count; r += kLanes) {
        for (int k = 0; k < 4; ++k) {
          FloatLanes v;
          std::memcpy(&v, row + r + 4 * k, sizeof(v));
          lanes[k] = combine(lanes[k], map(v));
        }
      }
      float acc = identity;
      for (const FloatLanes& l : lanes) {
        for (int j = 0; j < 4; ++j) acc = combine(acc, l[j]);
      }
      for (; r < count; ++r) acc = combine(acc, map(row[r]));
      out[o] = acc;
    }
    return;
  }
  for (int64_t o = 0; o < outer; ++o) {
    float* __restrict acc = out + o * inner;
    for (int64_t i = 0; i < inner; ++i) acc[i] = identity;
    for (int64_t r = 0; r < count; ++r) {
      const float* row = in + (o * count + r) * inner;
      int64_t i = 0;
      for (; i + kLanes <= inner; i += kLanes) {
        for (int64_t j = 0; j < kLanes; ++j) acc[i + j] = combine(acc[i + j], map(row[i + j]));
      }
      for (; i < inner; ++i) acc[i] = combine(acc[i], map(row[i]));
    }
  }
}

/// GCC vector types of kWidth floats and of their comparison masks (a `vector_size` that depends on
/// a template parameter is ignored by GCC, hence the specialisations).
template <int kWidth>
struct SimdLanes;
template <>
struct SimdLanes<4> {
  using Float = float __attribute__((vector_size(4 * sizeof(float))));
  using Mask = int32_t __attribute__((vector_size(4 * sizeof(int32_t))));
};
template <>
struct SimdLanes<8> {
  using Float = float __attribute__((vector_size(8 * sizeof(float))));
  using Mask = int32_t __attribute__((vector_size(8 * sizeof(int32_t))));
};

/// Max (kMax) or Min of each contiguous row: out[o] over in[o * count, (o + 1) * count), NaN when
/// the row holds a NaN. The extremum is a plain compare-select (maxps/minps), which lets NaNs drop
/// out; a separate mask ORs up `v != v`, so the loop carries no NaN select on its critical path.
/// Four accumulators of kWidth floats hide the compare latency; the tail runs scalar. kWidth must
/// match the target's registers (4: SSE2; 8: AVX2): wider generic vectors than the target's are
/// split badly by GCC (15x slower).
template <bool kMax, int kWidth>
[[gnu::always_inline]] inline void ExtremumRowsFloat(const float* __restrict in, float* __restrict out, int64_t outer,
                                                     int64_t count) {
  using Lanes = typename SimdLanes<kWidth>::Float;
  using MaskLanes = typename SimdLanes<kWidth>::Mask;
  constexpr int64_t kStep = 4 * kWidth;
  const float identity = kMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = in + o * count;
    // Four named accumulators, not an array: GCC at -O2 keeps an array indexed in a loop on the
    // stack, and the store-to-load chain then costs 3x.
    Lanes l0 = Lanes{} + identity, l1 = l0, l2 = l0, l3 = l0;
    MaskLanes nan_seen = {};
    int64_t r = 0;
    for (; r + kStep <= count; r += kStep) {
      Lanes v0, v1, v2, v3;
      std::memcpy(&v0, row + r, sizeof(v0));
      std::memcpy(&v1, row + r + kWidth, sizeof(v1));
      std::memcpy(&v2, row + r + 2 * kWidth, sizeof(v2));
      std::memcpy(&v3, row + r + 3 * kWidth, sizeof(v3));
      if constexpr (kMax) {
        l0 = v0 > l0 ? v0 : l0;
        l1 = v1 > l1 ? v1 : l1;
        l2 = v2 > l2 ? v2 : l2;
        l3 = v3 > l3 ? v3 : l3;
      } else {
        l0 = v0 < l0 ? v0 : l0;
        l1 = v1 < l1 ? v1 : l1;
        l2 = v2 < l2 ? v2 : l2;
        l3 = v3 < l3 ? v3 : l3;
      }
      nan_seen |= (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3);
    }
    float acc = identity;
    bool any_nan = false;
    for (int j = 0; j < kWidth; ++j) {
      for (const float v : {l0[j], l1[j], l2[j], l3[j]}) acc = kMax ? (v > acc ? v : acc) : (v < acc ? v : acc);
      any_nan |= nan_seen[j] != 0;
    }
    for (; r < count; ++r) {
      const float v = row[r];
      acc = kMax ? (v > acc ? v : acc) : (v < acc ? v : acc);
      any_nan |= v != v;
    }
    out[o] = any_nan ? std::numeric_limits<float>::quiet_NaN() : acc;
  }
}

template <bool kMax>
void ExtremumRowsBaseline(const float* in, float* out, int64_t outer, int64_t count) {
  ExtremumRowsFloat<kMax, 4>(in, out, outer, count);
}

#if defined(__x86_64__)
template <bool kMax>
[[gnu::target("avx2")]] void ExtremumRowsAvx2(const float* in, float* out, int64_t outer, int64_t count) {
  ExtremumRowsFloat<kMax, 8>(in, out, outer, count);
}
#endif

/// ExtremumRowsFloat on 8 lanes where the CPU has AVX2 (x86-64, checked once), else on 4.
template <bool kMax>
void ExtremumRows(const float* in, float* out, int64_t outer, int64_t count) {
#if defined(__x86_64__)
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  if (has_avx2) {
    ExtremumRowsAvx2<kMax>(in, out, outer, count);
    return;
  }
#endif
  ExtremumRowsBaseline<kMax>(in, out, outer, count);
}

/// The float32 fast path of every kind but LogSumExp; false when `kind` has none. Same semantics
/// as Accumulate (NaN propagates through Max and Min) and the finishing step of ReduceKernel.
bool ReduceFloat(ReduceKind kind, const float* in, float* out, const std::array<int64_t, 3>& block) {
  const auto identity = [](auto v) { return v; };
  const auto plus = [](auto a, auto b) { return a + b; };
  switch (kind) {
    case ReduceKind::kSum:
    case ReduceKind::kMean:
    case ReduceKind::kLogSum: ReduceBlockFloat(in, out, block, 0.0f, identity, plus); break;
    case ReduceKind::kL1:
      ReduceBlockFloat(
          in, out, block, 0.0f, [](auto v) { return v < 0.0f ? -v : v; }, plus);
      break;
    case ReduceKind::kL2:
    case ReduceKind::kSumSquare:
      ReduceBlockFloat(
          in, out, block, 0.0f, [](auto v) { return v * v; }, plus);
      break;
    case ReduceKind::kProd:
      ReduceBlockFloat(in, out, block, 1.0f, identity, [](auto a, auto b) { return a * b; });
      break;
    // Rows: ExtremumRowsFloat. Otherwise a NaN value replaces the accumulator and a NaN
    // accumulator stays (no value compares greater or less than it); | rather than ||: vectors.
    case ReduceKind::kMax:
      if (block[2] == 1) {
        ExtremumRows<true>(in, out, block[0], block[1]);
        return true;
      }
      ReduceBlockFloat(in, out, block, -std::numeric_limits<float>::infinity(), identity,
                       [](auto a, auto b) { return ((b != b) | (b > a)) ? b : a; });
      break;
    case ReduceKind::kMin:
      if (block[2] == 1) {
        ExtremumRows<false>(in, out, block[0], block[1]);
        return true;
      }
      ReduceBlockFloat(in, out, block, std::numeric_limits<float>::infinity(), identity,
                       [](auto a, auto b) { return ((b != b) | (b < a)) ? b : a; });
      break;
    case ReduceKind::kLogSumExp: return false;
  }
  const int64_t outputs = block[0] * block[2];
  const int64_t count = block[1];
  for (int64_t i = 0; i < outputs; ++i) {
    if (kind == ReduceKind::kMean) out[i] = out[i] / static_cast<float>(count);
    if (kind == ReduceKind::kL2) out[i] = static_cast<float>(std::sqrt(static_cast<double>(out[i])));
    if (kind == ReduceKind::kLogSum) out[i] = static_cast<float>(std::log(static_cast<double>(out[i])));
  }
  return true;
}

/// Reduce*: axes from the attribute (ReduceSum before opset 13, the others before 18) or the
/// optional input 1. No axes reduces every dim, unless noop_with_empty_axes makes it the identity.
/// Mean of integers truncates; the mean of an empty set is NaN for floats and 0 for integers.
class ReduceKernel : public Kernel {
 public:
  ReduceKernel(ReduceKind kind, bool axes_from_input, std::vector<int64_t> attr_axes, bool keepdims, bool noop_empty)
      : kind_(kind),
        axes_from_input_(axes_from_input),
        attr_axes_(std::move(attr_axes)),
        keepdims_(keepdims),
        noop_empty_(noop_empty) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    std::vector<int64_t> axes = attr_axes_;
    if (axes_from_input_ && ctx.input(1) != nullptr) {
      ASSIGN_OR_RETURN(axes, ReadInt64s(*ctx.input(1), "axes"));
    }
    if (axes.empty() && noop_empty_) {
      RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [](auto) { return Status::Ok(); }));
      SetOutput(ctx, 0, *x);
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(axes, NormalizeAxes(axes, x->rank()));
    const Shape& in_shape = x->shape();
    std::vector<bool> reduced(in_shape.size(), axes.empty());
    for (int64_t a : axes) reduced[static_cast<size_t>(a)] = true;
    Shape kept_shape = in_shape, out_shape;
    int64_t count = 1;
    for (size_t d = 0; d < in_shape.size(); ++d) {
      if (reduced[d]) {
        count *= in_shape[d];
        kept_shape[d] = 1;
        if (keepdims_) out_shape.push_back(1);
      } else {
        out_shape.push_back(in_shape[d]);
      }
    }
    // Each input element accumulates into the output element with its non-reduced coordinates.
    std::vector<int64_t> strides = ContiguousStrides(kept_shape);
    for (size_t d = 0; d < strides.size(); ++d) {
      if (reduced[d]) strides[d] = 0;
    }
    if (x->dtype() == DType::kFloat32 && x->num_elements() > 0) {
      if (const std::optional<std::array<int64_t, 3>> block = ReducedBlock(in_shape, reduced)) {
        ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, out_shape));
        if (ReduceFloat(kind_, x->data<float>(), out.data<float>(), *block)) {
          SetOutput(ctx, 0, std::move(out));
          return Status::Ok();
        }
      }
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      std::vector<C> acc(static_cast<size_t>(out.num_elements()), ReduceIdentity<C>(kind_));
      const T* in = x->data<T>();
      if (kind_ == ReduceKind::kLogSumExp) {
        // log(sum(exp(v))) = m + log(sum(exp(v - m))) with m the max, to avoid overflow.
        std::vector<C> peak(acc.size(), ReduceIdentity<C>(ReduceKind::kMax));
        ForEachStrided<1>(in_shape, {strides}, [&](int64_t i, const std::array<int64_t, 1>& off) {
          Accumulate<T>(ReduceKind::kMax, peak[static_cast<size_t>(off[0])], Widen(in[i]));
        });
        std::vector<double> sums(acc.size(), 0.0);
        ForEachStrided<1>(in_shape, {strides}, [&](int64_t i, const std::array<int64_t, 1>& off) {
          const auto o = static_cast<size_t>(off[0]);
          sums[o] += std::exp(ConvertNumber<double>(Widen(in[i])) - ConvertNumber<double>(peak[o]));
        });
        for (size_t i = 0; i < acc.size(); ++i) {
          const double m = ConvertNumber<double>(peak[i]);
          acc[i] = ConvertNumber<C>(std::isinf(m) ? m : m + std::log(sums[i]));
        }
      } else {
        ForEachStrided<1>(in_shape, {strides}, [&](int64_t i, const std::array<int64_t, 1>& off) {
          Accumulate<T>(kind_, acc[static_cast<size_t>(off[0])], Widen(in[i]));
        });
      }
      T* po = out.data<T>();
      for (size_t i = 0; i < acc.size(); ++i) {
        C v = acc[i];
        if (kind_ == ReduceKind::kL2) v = ConvertNumber<C>(std::sqrt(ConvertNumber<double>(v)));
        if (kind_ == ReduceKind::kLogSum) v = ConvertNumber<C>(std::log(ConvertNumber<double>(v)));
        if (kind_ == ReduceKind::kMean) {
          if constexpr (std::is_integral_v<C>) {
            if (count == 0) {
              v = C(0);
            } else if constexpr (std::is_signed_v<C>) {
              v = static_cast<C>(static_cast<int64_t>(v) / count);
            } else {
              v = static_cast<C>(static_cast<uint64_t>(v) / static_cast<uint64_t>(count));
            }
          } else {
            v = v / static_cast<C>(count);
          }
        }
        po[i] = Narrow<T>(v);
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  ReduceKind kind_;
  bool axes_from_input_;
  std::vector<int64_t> attr_axes_;
  bool keepdims_;
  bool noop_empty_;
};

/// ArgMax/ArgMin along `axis` as int64 indices. Ties resolve to the first index, or the last with
/// select_last_index; a NaN wins over numbers (numpy). An empty axis is kInvalidArgument.
class ArgKernel : public Kernel {
 public:
  ArgKernel(bool is_max, int64_t axis, bool keepdims, bool select_last)
      : is_max_(is_max), axis_(axis), keepdims_(keepdims), select_last_(select_last) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, x->rank()));
    const Shape& s = x->shape();
    const auto ax = static_cast<size_t>(axis);
    const int64_t dim = s[ax];
    if (dim == 0) return InvalidArgument("cannot take the arg max/min along an empty axis");
    Shape out_shape = s;
    if (keepdims_) {
      out_shape[ax] = 1;
    } else {
      out_shape.erase(out_shape.begin() + axis);
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kInt64, out_shape));
    const int64_t outer = DimProduct(s, 0, ax);
    const int64_t inner = DimProduct(s, ax + 1, s.size());
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x->data<T>();
      int64_t* po = out.data<int64_t>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const T* base = in + o * dim * inner + i;
          auto best = Widen(base[0]);
          int64_t best_index = 0;
          for (int64_t j = 1; j < dim; ++j) {
            const auto v = Widen(base[j * inner]);
            bool take;
            if (IsNaNValue(v)) {
              take = !IsNaNValue(best) || select_last_;
            } else if (IsNaNValue(best)) {
              take = false;
            } else if (v == best) {
              take = select_last_;
            } else {
              take = is_max_ ? v > best : v < best;
            }
            if (take) {
              best = v;
              best_index = j;
            }
          }
          po[o * inner + i] = best_index;
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  bool is_max_;
  int64_t axis_;
  bool keepdims_;
  bool select_last_;
};

/// CumSum(x, axis): running sums along the scalar `axis` input; `exclusive` leaves out the current
/// element, `reverse` sums from the end. Integer sums wrap.
class CumSumKernel : public Kernel {
 public:
  CumSumKernel(bool exclusive, bool reverse) : exclusive_(exclusive), reverse_(reverse) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* axis_t, RequiredInput(ctx, 1));
    ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, ReadInt64s(*axis_t, "axis"));
    if (axis_v.size() != 1) return InvalidArgument("CumSum axis must be a scalar, got " + axis_t->DebugString());
    ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_v[0], x->rank()));
    const Shape& s = x->shape();
    const auto ax = static_cast<size_t>(axis);
    const int64_t dim = s[ax];
    const int64_t outer = DimProduct(s, 0, ax);
    const int64_t inner = DimProduct(s, ax + 1, s.size());
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), s));
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          C acc = C(0);
          for (int64_t step = 0; step < dim; ++step) {
            const int64_t j = reverse_ ? dim - 1 - step : step;
            const int64_t at = (o * dim + j) * inner + i;
            const C v = Widen(in[at]);
            if (!exclusive_) acc = AddWrap(acc, v);
            po[at] = Narrow<T>(acc);
            if (exclusive_) acc = AddWrap(acc, v);
          }
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  bool exclusive_;
  bool reverse_;
};

/// Hardmax: 1 at the first maximum, 0 elsewhere. Since opset 13 along `axis` (default -1); before,
/// over the input flattened to 2-D at `axis` (default 1).
class HardmaxKernel : public Kernel {
 public:
  HardmaxKernel(int64_t axis, bool flatten) : axis_(axis), flatten_(flatten) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    const Shape& s = x->shape();
    int64_t outer = 0, dim = 0, inner = 0;
    if (flatten_) {
      const int64_t axis = axis_ < 0 ? axis_ + x->rank() : axis_;
      if (axis < 0 || axis > x->rank()) return InvalidArgument("Hardmax axis is out of range");
      outer = DimProduct(s, 0, static_cast<size_t>(axis));
      dim = DimProduct(s, static_cast<size_t>(axis), s.size());
      inner = 1;
    } else {
      ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, x->rank()));
      const auto ax = static_cast<size_t>(axis);
      outer = DimProduct(s, 0, ax);
      dim = s[ax];
      inner = DimProduct(s, ax + 1, s.size());
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), s));
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x->data<T>();
      T* po = out.data<T>();
      for (int64_t k = 0; k < out.num_elements(); ++k) po[k] = Narrow<T>(0);
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner && dim > 0; ++i) {
          int64_t best = 0;
          for (int64_t j = 1; j < dim; ++j) {
            if (Widen(in[(o * dim + j) * inner + i]) > Widen(in[(o * dim + best) * inner + i])) best = j;
          }
          po[(o * dim + best) * inner + i] = Narrow<T>(1);
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool flatten_;
};

void RegisterReduce(KernelRegistry& registry, const char* op_type, ReduceKind kind, int axes_input_opset) {
  registry.Register(
      kOnnxDomain, op_type, [kind, axes_input_opset](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
        const bool axes_from_input = node.opset >= axes_input_opset;
        return std::unique_ptr<Kernel>(std::make_unique<ReduceKernel>(kind, axes_from_input, node.GetInts("axes"),
                                                                      node.GetInt("keepdims", 1) != 0,
                                                                      node.GetInt("noop_with_empty_axes", 0) != 0));
      });
}

}  // namespace

void RegisterReduceKernels(KernelRegistry& registry) {
  RegisterReduce(registry, "ReduceSum", ReduceKind::kSum, 13);
  RegisterReduce(registry, "ReduceMean", ReduceKind::kMean, 18);
  RegisterReduce(registry, "ReduceMax", ReduceKind::kMax, 18);
  RegisterReduce(registry, "ReduceMin", ReduceKind::kMin, 18);
  RegisterReduce(registry, "ReduceProd", ReduceKind::kProd, 18);
  RegisterReduce(registry, "ReduceL1", ReduceKind::kL1, 18);
  RegisterReduce(registry, "ReduceL2", ReduceKind::kL2, 18);
  RegisterReduce(registry, "ReduceLogSum", ReduceKind::kLogSum, 18);
  RegisterReduce(registry, "ReduceLogSumExp", ReduceKind::kLogSumExp, 18);
  RegisterReduce(registry, "ReduceSumSquare", ReduceKind::kSumSquare, 18);
  registry.Register(kOnnxDomain, "CumSum", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(
        std::make_unique<CumSumKernel>(node.GetInt("exclusive", 0) != 0, node.GetInt("reverse", 0) != 0));
  });
  registry.Register(kOnnxDomain, "Hardmax", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const bool flatten = node.opset < 13;
    return std::unique_ptr<Kernel>(std::make_unique<HardmaxKernel>(node.GetInt("axis", flatten ? 1 : -1), flatten));
  });
  for (const char* op : {"ArgMax", "ArgMin"}) {
    const bool is_max = std::string(op) == "ArgMax";
    registry.Register(kOnnxDomain, op, [is_max](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
      return std::unique_ptr<Kernel>(std::make_unique<ArgKernel>(
          is_max, node.GetInt("axis", 0), node.GetInt("keepdims", 1) != 0, node.GetInt("select_last_index", 0) != 0));
    });
  }
}

}  // namespace mlserving::kernels::reference

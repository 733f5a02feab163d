// Index-driven data movement: GatherElements GatherND ScatterElements ScatterND Scatter OneHot
// NonZero Compress Trilu EyeLike ReverseSequence. Data movement works on every dtype (strings
// included); scatter reductions need numeric data. Indices may be negative (counted from the end of
// their axis); an index out of range is kInvalidArgument.

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// `index` wrapped into [0, dim) when negative; kInvalidArgument when out of range.
Result<int64_t> WrapIndex(int64_t index, int64_t dim) {
  const int64_t wrapped = index < 0 ? index + dim : index;
  if (wrapped < 0 || wrapped >= dim) {
    return InvalidArgument("index " + std::to_string(index) + " is out of range for a dim of " + std::to_string(dim));
  }
  return wrapped;
}

/// How ScatterElements/ScatterND combine an update with the existing value.
enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

Result<ScatterReduction> ParseReduction(const ir::Node& node) {
  const std::string r = node.GetString("reduction", "none");
  if (r == "none") return ScatterReduction::kNone;
  if (r == "add") return ScatterReduction::kAdd;
  if (r == "mul") return ScatterReduction::kMul;
  if (r == "max") return ScatterReduction::kMax;
  if (r == "min") return ScatterReduction::kMin;
  return Unimplemented("scatter reduction '" + r + "' is not supported");
}

/// dst = reduce(dst, src). Integer add/mul wrap.
template <typename T>
void Combine(ScatterReduction reduction, T& dst, const T& src) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
    dst = src;
  } else {
    using C = ComputeType<T>;
    const C a = Widen(dst), b = Widen(src);
    switch (reduction) {
      case ScatterReduction::kNone: dst = src; return;
      case ScatterReduction::kAdd:
        if constexpr (std::is_integral_v<C>) {
          dst = static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
        } else {
          dst = Narrow<T>(a + b);
        }
        return;
      case ScatterReduction::kMul:
        if constexpr (std::is_integral_v<C>) {
          dst = static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
        } else {
          dst = Narrow<T>(a * b);
        }
        return;
      case ScatterReduction::kMax: dst = Narrow<T>(std::max(a, b)); return;
      case ScatterReduction::kMin: dst = Narrow<T>(std::min(a, b)); return;
    }
  }
}

/// Rejects reductions on data types that cannot be combined arithmetically.
Status CheckReducible(ScatterReduction reduction, DType dtype) {
  if (reduction != ScatterReduction::kNone && (dtype == DType::kString || dtype == DType::kBool)) {
    return UnsupportedDType(dtype);
  }
  return Status::Ok();
}

// ---- GatherElements, ScatterElements, Scatter

/// Visits every element of `indices` (same rank as `data`, each dim no larger than data's except
/// along `axis`), calling f(i, offset) with the data offset it addresses.
template <typename F>
Status ForEachElementIndex(const Shape& data_shape, const Tensor& indices, int64_t axis, F&& f) {
  if (indices.rank() != static_cast<int64_t>(data_shape.size())) {
    return InvalidArgument("indices must have the rank of data, got " + indices.DebugString() + " for data " +
                           ShapeToString(data_shape));
  }
  const auto ax = static_cast<size_t>(axis);
  for (size_t d = 0; d < data_shape.size(); ++d) {
    if (d != ax && indices.shape()[d] > data_shape[d]) {
      return InvalidArgument("indices " + indices.DebugString() + " exceed data " + ShapeToString(data_shape));
    }
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInt64s(indices, "indices"));
  std::vector<int64_t> strides = ContiguousStrides(data_shape);
  const int64_t axis_stride = strides[ax];
  const int64_t dim = data_shape[ax];
  strides[ax] = 0;
  Status status = Status::Ok();
  ForEachStrided<1>(indices.shape(), {strides}, [&](int64_t i, const std::array<int64_t, 1>& off) {
    if (!status.ok()) return;
    Result<int64_t> k = WrapIndex(idx[static_cast<size_t>(i)], dim);
    if (!k.ok()) {
      status = k.status();
      return;
    }
    f(i, off[0] + *k * axis_stride);
  });
  return status;
}

Status ComputeGatherElements(KernelContext& ctx, int64_t axis_attr) {
  ASSIGN_OR_RETURN(const Tensor* data, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* indices, RequiredInput(ctx, 1));
  ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, data->rank()));
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(data->dtype(), indices->shape()));
  RETURN_IF_ERROR(DispatchDType(data->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* in = data->data<T>();
    T* po = out.data<T>();
    return ForEachElementIndex(data->shape(), *indices, axis, [&](int64_t i, int64_t at) { po[i] = in[at]; });
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

Status ComputeScatterElements(KernelContext& ctx, int64_t axis_attr, ScatterReduction reduction) {
  ASSIGN_OR_RETURN(const Tensor* data, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* indices, RequiredInput(ctx, 1));
  ASSIGN_OR_RETURN(const Tensor* updates, RequiredInput(ctx, 2));
  ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, data->rank()));
  if (updates->shape() != indices->shape() || updates->dtype() != data->dtype()) {
    return InvalidArgument("updates " + updates->DebugString() + " must match indices " + indices->DebugString() +
                           " and the data type");
  }
  RETURN_IF_ERROR(CheckReducible(reduction, data->dtype()));
  Tensor out = data->Clone();
  RETURN_IF_ERROR(DispatchDType(data->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* pu = updates->data<T>();
    T* po = out.data<T>();
    return ForEachElementIndex(data->shape(), *indices, axis,
                               [&](int64_t i, int64_t at) { Combine(reduction, po[at], pu[i]); });
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

// ---- GatherND, ScatterND

/// Computes, for every index tuple of `indices` (shape [..., k]), the offset into data of the slice
/// it addresses; the first `batch_dims` dims of indices and data are batch dims.
struct NdAddressing {
  std::vector<int64_t> offsets;  ///< one per index tuple
  int64_t slice_size = 1;        ///< elements of each addressed slice
  Shape tuple_shape;             ///< indices.shape[:-1]
  Shape slice_shape;             ///< data.shape[batch_dims + k:]
};

Result<NdAddressing> ResolveNd(const Shape& data_shape, const Tensor& indices, int64_t batch_dims) {
  const auto r = static_cast<int64_t>(data_shape.size());
  const int64_t q = indices.rank();
  if (q < 1) return InvalidArgument("indices must have rank >= 1");
  if (batch_dims < 0 || batch_dims >= std::min(q, r)) return InvalidArgument("batch_dims is out of range");
  const int64_t k = indices.shape()[static_cast<size_t>(q - 1)];
  if (k < 1 || k > r - batch_dims) {
    return InvalidArgument("indices " + indices.DebugString() + " do not fit data " + ShapeToString(data_shape));
  }
  const auto b = static_cast<size_t>(batch_dims);
  for (size_t d = 0; d < b; ++d) {
    if (indices.shape()[d] != data_shape[d]) return InvalidArgument("batch dims of indices and data differ");
  }
  NdAddressing nd;
  nd.tuple_shape.assign(indices.shape().begin(), indices.shape().end() - 1);
  nd.slice_shape.assign(data_shape.begin() + batch_dims + k, data_shape.end());
  nd.slice_size = NumElements(nd.slice_shape);
  const std::vector<int64_t> strides = ContiguousStrides(data_shape);
  const int64_t batch_stride = DimProduct(data_shape, b, data_shape.size());
  const int64_t per_batch = DimProduct(nd.tuple_shape, b, nd.tuple_shape.size());
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInt64s(indices, "indices"));
  const int64_t tuples = NumElements(nd.tuple_shape);
  nd.offsets.resize(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = per_batch == 0 ? 0 : (t / per_batch) * batch_stride;
    for (int64_t j = 0; j < k; ++j) {
      const auto d = static_cast<size_t>(batch_dims + j);
      ASSIGN_OR_RETURN(const int64_t at, WrapIndex(idx[static_cast<size_t>(t * k + j)], data_shape[d]));
      offset += at * strides[d];
    }
    nd.offsets[static_cast<size_t>(t)] = offset;
  }
  return nd;
}

Status ComputeGatherNd(KernelContext& ctx, int64_t batch_dims) {
  ASSIGN_OR_RETURN(const Tensor* data, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* indices, RequiredInput(ctx, 1));
  ASSIGN_OR_RETURN(NdAddressing nd, ResolveNd(data->shape(), *indices, batch_dims));
  Shape out_shape = nd.tuple_shape;
  out_shape.insert(out_shape.end(), nd.slice_shape.begin(), nd.slice_shape.end());
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(data->dtype(), out_shape));
  DispatchDType(data->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = data->data<T>();
    T* po = out.data<T>();
    for (size_t t = 0; t < nd.offsets.size(); ++t) {
      std::copy_n(in + nd.offsets[t], nd.slice_size, po + static_cast<int64_t>(t) * nd.slice_size);
    }
  });
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

Status ComputeScatterNd(KernelContext& ctx, ScatterReduction reduction) {
  ASSIGN_OR_RETURN(const Tensor* data, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* indices, RequiredInput(ctx, 1));
  ASSIGN_OR_RETURN(const Tensor* updates, RequiredInput(ctx, 2));
  RETURN_IF_ERROR(CheckReducible(reduction, data->dtype()));
  ASSIGN_OR_RETURN(NdAddressing nd, ResolveNd(data->shape(), *indices, 0));
  Shape want = nd.tuple_shape;
  want.insert(want.end(), nd.slice_shape.begin(), nd.slice_shape.end());
  if (updates->shape() != want || updates->dtype() != data->dtype()) {
    return InvalidArgument("updates must be " + ShapeToString(want) + " of the data type, got " +
                           updates->DebugString());
  }
  Tensor out = data->Clone();
  DispatchDType(data->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pu = updates->data<T>();
    T* po = out.data<T>();
    for (size_t t = 0; t < nd.offsets.size(); ++t) {
      for (int64_t e = 0; e < nd.slice_size; ++e) {
        Combine(reduction, po[nd.offsets[t] + e], pu[static_cast<int64_t>(t) * nd.slice_size + e]);
      }
    }
  });
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

// ---- OneHot, NonZero, Compress

/// The single number of a one-element numeric tensor, as double.
Result<double> ScalarValue(const Tensor& t, const char* what) {
  if (t.num_elements() != 1) return InvalidArgument(std::string(what) + " must hold one value, got " + t.DebugString());
  double value = 0;
  RETURN_IF_ERROR(DispatchNumeric(t.dtype(), [&](auto tag) -> Status {
    value = ConvertNumber<double>(t.data<typename decltype(tag)::type>()[0]);
    return Status::Ok();
  }));
  return value;
}

/// OneHot(indices, depth, values=[off, on]): a new dim of size depth at `axis`; indices are
/// numeric (truncated), negative ones count from depth; out-of-range ones give an all-off row.
Status ComputeOneHot(KernelContext& ctx, int64_t axis_attr) {
  ASSIGN_OR_RETURN(const Tensor* indices, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* depth_t, RequiredInput(ctx, 1));
  ASSIGN_OR_RETURN(const Tensor* values, RequiredInput(ctx, 2));
  ASSIGN_OR_RETURN(const double depth_v, ScalarValue(*depth_t, "depth"));
  if (!(depth_v >= 1) || depth_v > 1e12) return InvalidArgument("OneHot depth must be positive");
  const auto depth = static_cast<int64_t>(depth_v);
  if (values->num_elements() != 2) return InvalidArgument("OneHot values must hold [off, on]");
  ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, indices->rank() + 1));
  Shape out_shape = indices->shape();
  out_shape.insert(out_shape.begin() + axis, depth);
  std::vector<double> idx(static_cast<size_t>(indices->num_elements()));
  RETURN_IF_ERROR(DispatchNumeric(indices->dtype(), [&](auto tag) -> Status {
    const auto* p = indices->data<typename decltype(tag)::type>();
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = ConvertNumber<double>(p[i]);
    return Status::Ok();
  }));
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(values->dtype(), out_shape));
  const int64_t outer = DimProduct(indices->shape(), 0, static_cast<size_t>(axis));
  const int64_t inner = DimProduct(indices->shape(), static_cast<size_t>(axis), indices->shape().size());
  DispatchDType(values->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T off = values->data<T>()[0];
    const T on = values->data<T>()[1];
    T* po = out.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        auto hot = ConvertNumber<int64_t>(idx[static_cast<size_t>(o * inner + i)]);
        if (hot < 0) hot += depth;
        for (int64_t d = 0; d < depth; ++d) po[(o * depth + d) * inner + i] = d == hot ? on : off;
      }
    }
  });
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// Whether element i of `t` is non-zero (numeric or bool; strings are non-empty).
Result<std::vector<bool>> NonZeroMask(const Tensor& t) {
  std::vector<bool> mask(static_cast<size_t>(t.num_elements()));
  DispatchDType(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (size_t i = 0; i < mask.size(); ++i) {
      if constexpr (std::is_same_v<T, std::string>) {
        mask[i] = !p[i].empty();
      } else {
        mask[i] = ConvertNumber<bool>(p[i]);
      }
    }
  });
  return mask;
}

/// NonZero: int64 [rank, count] coordinates of the non-zero elements in row-major order.
Status ComputeNonZero(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(std::vector<bool> mask, NonZeroMask(*x));
  const auto count = static_cast<int64_t>(std::count(mask.begin(), mask.end(), true));
  const int64_t rank = x->rank();
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kInt64, {rank, count}));
  int64_t* po = out.data<int64_t>();
  const Shape& s = x->shape();
  int64_t column = 0;
  for (int64_t i = 0; i < x->num_elements(); ++i) {
    if (!mask[static_cast<size_t>(i)]) continue;
    int64_t rest = i;
    for (int64_t d = rank; d-- > 0;) {
      po[d * count + column] = rest % s[static_cast<size_t>(d)];
      rest /= s[static_cast<size_t>(d)];
    }
    ++column;
  }
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// Compress(input, condition): keeps the slices along `axis` (or the elements of the flattened
/// input without an axis) whose condition is true; a condition shorter than the dim drops the rest.
Status ComputeCompress(KernelContext& ctx, bool has_axis, int64_t axis_attr) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* cond_t, RequiredInput(ctx, 1));
  if (cond_t->rank() != 1) return InvalidArgument("Compress condition must be 1-D, got " + cond_t->DebugString());
  ASSIGN_OR_RETURN(std::vector<bool> cond, NonZeroMask(*cond_t));
  Shape s = has_axis ? x->shape() : Shape{x->num_elements()};
  int64_t axis = 0;
  if (has_axis) {
    ASSIGN_OR_RETURN(axis, NormalizeAxis(axis_attr, x->rank()));
  }
  const auto ax = static_cast<size_t>(axis);
  const int64_t dim = s[ax];
  for (size_t j = static_cast<size_t>(dim); j < cond.size(); ++j) {
    if (cond[j]) return InvalidArgument("Compress condition selects beyond the axis length");
  }
  std::vector<int64_t> kept;
  for (int64_t j = 0; j < dim && j < static_cast<int64_t>(cond.size()); ++j) {
    if (cond[static_cast<size_t>(j)]) kept.push_back(j);
  }
  const int64_t outer = DimProduct(s, 0, ax);
  const int64_t inner = DimProduct(s, ax + 1, s.size());
  Shape out_shape = s;
  out_shape[ax] = static_cast<int64_t>(kept.size());
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
  DispatchDType(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data<T>();
    T* po = out.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (size_t n = 0; n < kept.size(); ++n) {
        std::copy_n(in + (o * dim + kept[n]) * inner, inner,
                    po + (o * static_cast<int64_t>(kept.size()) + static_cast<int64_t>(n)) * inner);
      }
    }
  });
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

// ---- Trilu, EyeLike, ReverseSequence

/// Trilu(input, k=0): keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two
/// dims and zeroes the rest.
Status ComputeTrilu(KernelContext& ctx, bool upper) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  if (x->rank() < 2) return InvalidArgument("Trilu input must have rank >= 2, got " + x->DebugString());
  int64_t k = 0;
  if (const Tensor* kt = ctx.input(1); kt != nullptr) {
    ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInt64s(*kt, "k"));
    if (kv.size() != 1) return InvalidArgument("Trilu k must be a scalar");
    k = kv[0];
  }
  const int64_t rows = x->dim(x->rank() - 2), cols = x->dim(x->rank() - 1);
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
  DispatchDType(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data<T>();
    T* po = out.data<T>();
    const int64_t matrices = rows * cols == 0 ? 0 : x->num_elements() / (rows * cols);
    for (int64_t m = 0; m < matrices; ++m) {
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j) {
          const int64_t at = (m * rows + i) * cols + j;
          const bool keep = upper ? j - i >= k : j - i <= k;
          if (keep) po[at] = in[at];
        }
      }
    }
  });
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// EyeLike(input): a 2-D tensor of the input's shape with ones on diagonal k, of `dtype` (default:
/// the input's type).
Status ComputeEyeLike(KernelContext& ctx, std::optional<DType> dtype, int64_t k) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  if (x->rank() != 2) return InvalidArgument("EyeLike input must be 2-D, got " + x->DebugString());
  const DType out_dtype = dtype.value_or(x->dtype());
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(out_dtype, x->shape()));
  const int64_t rows = x->dim(0), cols = x->dim(1);
  RETURN_IF_ERROR(DispatchDType(out_dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, std::string>) {
      return UnsupportedDType(out_dtype);
    } else {
      T* po = out.data<T>();
      for (int64_t i = 0; i < rows; ++i) {
        const int64_t j = i + k;
        if (j >= 0 && j < cols) po[i * cols + j] = ConvertNumber<T>(1);
      }
      return Status::Ok();
    }
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// ReverseSequence(input, sequence_lens): reverses the first sequence_lens[b] steps along
/// `time_axis` of every batch entry b along `batch_axis`; later steps are copied.
Status ComputeReverseSequence(KernelContext& ctx, int64_t batch_attr, int64_t time_attr) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* lens_t, RequiredInput(ctx, 1));
  if (x->rank() < 2) return InvalidArgument("ReverseSequence input must have rank >= 2");
  ASSIGN_OR_RETURN(const int64_t batch_axis, NormalizeAxis(batch_attr, x->rank()));
  ASSIGN_OR_RETURN(const int64_t time_axis, NormalizeAxis(time_attr, x->rank()));
  if (batch_axis == time_axis || batch_axis > 1 || time_axis > 1) {
    return InvalidArgument("ReverseSequence batch_axis and time_axis must be 0 and 1 in some order");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadInt64s(*lens_t, "sequence_lens"));
  const int64_t batch = x->dim(batch_axis), steps = x->dim(time_axis);
  if (static_cast<int64_t>(lens.size()) != batch) return InvalidArgument("sequence_lens must have one entry per batch");
  for (int64_t len : lens) {
    if (len < 0 || len > steps)
      return InvalidArgument("sequence_lens entry " + std::to_string(len) + " is out of range");
  }
  const std::vector<int64_t> strides = ContiguousStrides(x->shape());
  const int64_t inner = DimProduct(x->shape(), 2, x->shape().size());
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
  DispatchDType(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data<T>();
    T* po = out.data<T>();
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t t = 0; t < steps; ++t) {
        const int64_t src_t = t < lens[static_cast<size_t>(b)] ? lens[static_cast<size_t>(b)] - 1 - t : t;
        const int64_t dst = b * strides[static_cast<size_t>(batch_axis)] + t * strides[static_cast<size_t>(time_axis)];
        const int64_t src =
            b * strides[static_cast<size_t>(batch_axis)] + src_t * strides[static_cast<size_t>(time_axis)];
        std::copy_n(in + src, inner, po + dst);
      }
    }
  });
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

}  // namespace

void RegisterIndexKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "GatherElements", [](const ir::Node& node) {
    const int64_t axis = node.GetInt("axis", 0);
    return MakeKernel([axis](KernelContext& ctx) { return ComputeGatherElements(ctx, axis); });
  });
  for (const char* op : {"ScatterElements", "Scatter"}) {
    registry.Register(kOnnxDomain, op, [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
      ASSIGN_OR_RETURN(const ScatterReduction reduction, ParseReduction(node));
      const int64_t axis = node.GetInt("axis", 0);
      return MakeKernel([axis, reduction](KernelContext& ctx) { return ComputeScatterElements(ctx, axis, reduction); });
    });
  }
  registry.Register(kOnnxDomain, "GatherND", [](const ir::Node& node) {
    const int64_t batch_dims = node.GetInt("batch_dims", 0);
    return MakeKernel([batch_dims](KernelContext& ctx) { return ComputeGatherNd(ctx, batch_dims); });
  });
  registry.Register(kOnnxDomain, "ScatterND", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(const ScatterReduction reduction, ParseReduction(node));
    return MakeKernel([reduction](KernelContext& ctx) { return ComputeScatterNd(ctx, reduction); });
  });
  registry.Register(kOnnxDomain, "OneHot", [](const ir::Node& node) {
    const int64_t axis = node.GetInt("axis", -1);
    return MakeKernel([axis](KernelContext& ctx) { return ComputeOneHot(ctx, axis); });
  });
  registry.Register(kOnnxDomain, "NonZero", [](const ir::Node&) { return MakeKernel(ComputeNonZero); });
  registry.Register(kOnnxDomain, "Compress", [](const ir::Node& node) {
    const bool has_axis = node.Has("axis");
    const int64_t axis = node.GetInt("axis", 0);
    return MakeKernel([has_axis, axis](KernelContext& ctx) { return ComputeCompress(ctx, has_axis, axis); });
  });
  registry.Register(kOnnxDomain, "Trilu", [](const ir::Node& node) {
    const bool upper = node.GetInt("upper", 1) != 0;
    return MakeKernel([upper](KernelContext& ctx) { return ComputeTrilu(ctx, upper); });
  });
  registry.Register(kOnnxDomain, "EyeLike", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    std::optional<DType> dtype;
    if (node.Has("dtype")) {
      dtype = DTypeFromOnnxCode(node.GetInt("dtype", 1));
      if (!dtype || *dtype == DType::kString) return Unimplemented("EyeLike dtype is not supported");
    }
    const int64_t k = node.GetInt("k", 0);
    return MakeKernel([dtype, k](KernelContext& ctx) { return ComputeEyeLike(ctx, dtype, k); });
  });
  registry.Register(kOnnxDomain, "ReverseSequence", [](const ir::Node& node) {
    const int64_t batch_axis = node.GetInt("batch_axis", 1);
    const int64_t time_axis = node.GetInt("time_axis", 0);
    return MakeKernel(
        [batch_axis, time_axis](KernelContext& ctx) { return ComputeReverseSequence(ctx, batch_axis, time_axis); });
  });
}

}  // namespace mlserving::kernels::reference

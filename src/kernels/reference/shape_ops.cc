// Shape manipulation and tensor creation: Reshape Flatten Squeeze Unsqueeze Transpose Concat
// Split Slice Gather Shape Size Expand Tile Constant ConstantOfShape Range. Data movement works
// on every dtype (strings included) through DispatchDType.

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// Copies `count` elements of `src` starting at `src_offset` to `dst` at `dst_offset`;
/// both tensors have the same dtype.
void CopyElements(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset, int64_t count) {
  DispatchDType(src.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* from = src.data<T>() + src_offset;
    std::copy(from, from + count, dst.data<T>() + dst_offset);
  });
}

/// Reads an optional int64 input `i` (nullopt when omitted).
Result<std::optional<std::vector<int64_t>>> OptionalInts(const KernelContext& ctx, size_t i, const char* what) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr) return std::optional<std::vector<int64_t>>();
  ASSIGN_OR_RETURN(std::vector<int64_t> values, ReadInt64s(*t, what));
  return std::optional<std::vector<int64_t>>(std::move(values));
}

// ---- Reshape, Flatten, Squeeze, Unsqueeze (views sharing the input's buffer)

/// The concrete output shape of Reshape: 0 copies the input dim (unless allow_zero), one -1 is
/// inferred from the element count.
Result<Shape> ResolveReshape(const Shape& in, const std::vector<int64_t>& requested, bool allow_zero) {
  Shape out;
  int64_t infer = -1;
  bool has_zero = false;
  for (size_t i = 0; i < requested.size(); ++i) {
    const int64_t d = requested[i];
    if (d == -1) {
      if (infer >= 0) return InvalidArgument("Reshape shape has more than one -1");
      infer = static_cast<int64_t>(i);
      out.push_back(1);
    } else if (d == 0 && !allow_zero) {
      if (i >= in.size())
        return InvalidArgument("Reshape shape copies dim " + std::to_string(i) + " which the input lacks");
      out.push_back(in[i]);
    } else if (d < 0) {
      return InvalidArgument("Reshape shape has a negative dim " + std::to_string(d));
    } else {
      has_zero = has_zero || d == 0;
      out.push_back(d);
    }
  }
  if (allow_zero && has_zero && infer >= 0) return InvalidArgument("Reshape shape with allowzero has both 0 and -1");
  const int64_t total = NumElements(in);
  std::optional<int64_t> known = CheckedNumElements(out);
  if (!known) return InvalidArgument("Reshape shape " + ShapeToString(out) + " is too large");
  if (infer >= 0) {
    if (*known == 0 || total % *known != 0) {
      return InvalidArgument("cannot reshape " + ShapeToString(in) + " to " + ShapeToString(Shape(requested)));
    }
    out[static_cast<size_t>(infer)] = total / *known;
  } else if (*known != total) {
    return InvalidArgument("cannot reshape " + ShapeToString(in) + " to " + ShapeToString(Shape(requested)));
  }
  return out;
}

void RegisterReshape(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Reshape", [](const ir::Node& node) {
    std::optional<std::vector<int64_t>> attr_shape;
    if (node.opset < 5) attr_shape = node.GetInts("shape");
    const bool allow_zero = node.GetInt("allowzero", 0) != 0;
    return MakeKernel([attr_shape, allow_zero](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* data, RequiredInput(ctx, 0));
      std::vector<int64_t> requested;
      if (attr_shape) {
        requested = *attr_shape;
      } else {
        ASSIGN_OR_RETURN(const Tensor* shape, RequiredInput(ctx, 1));
        ASSIGN_OR_RETURN(requested, ReadInt64s(*shape, "shape"));
      }
      ASSIGN_OR_RETURN(Shape out_shape, ResolveReshape(data->shape(), requested, allow_zero));
      ASSIGN_OR_RETURN(Tensor out, data->Reshaped(out_shape));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "Flatten", [](const ir::Node& node) {
    const int64_t axis_attr = node.GetInt("axis", 1);
    return MakeKernel([axis_attr](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      const int64_t rank = x->rank();
      if (axis_attr < -rank || axis_attr > rank) {
        return InvalidArgument("Flatten axis " + std::to_string(axis_attr) + " is out of range for rank " +
                               std::to_string(rank));
      }
      const auto axis = static_cast<size_t>(axis_attr < 0 ? axis_attr + rank : axis_attr);
      const Shape& s = x->shape();
      ASSIGN_OR_RETURN(Tensor out, x->Reshaped({DimProduct(s, 0, axis), DimProduct(s, axis, s.size())}));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
  // Squeeze/Unsqueeze take axes from the attribute before opset 13, from input 1 since.
  registry.Register(kOnnxDomain, "Squeeze", [](const ir::Node& node) {
    const bool axes_from_input = node.opset >= 13;
    const std::vector<int64_t> attr_axes = node.GetInts("axes");
    return MakeKernel([axes_from_input, attr_axes](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      std::vector<int64_t> axes = attr_axes;
      if (axes_from_input) {
        ASSIGN_OR_RETURN(auto input_axes, OptionalInts(ctx, 1, "axes"));
        axes = input_axes.value_or(std::vector<int64_t>{});
      }
      ASSIGN_OR_RETURN(axes, NormalizeAxes(axes, x->rank()));
      std::vector<bool> drop(x->shape().size(), false);
      for (int64_t a : axes) {
        if (x->dim(a) != 1) {
          return InvalidArgument("cannot squeeze axis " + std::to_string(a) + " of shape " + ShapeToString(x->shape()));
        }
        drop[static_cast<size_t>(a)] = true;
      }
      Shape out_shape;
      for (size_t d = 0; d < drop.size(); ++d) {
        const bool squeeze = axes.empty() ? x->shape()[d] == 1 : drop[d];
        if (!squeeze) out_shape.push_back(x->shape()[d]);
      }
      ASSIGN_OR_RETURN(Tensor out, x->Reshaped(out_shape));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "Unsqueeze", [](const ir::Node& node) {
    const bool axes_from_input = node.opset >= 13;
    const std::vector<int64_t> attr_axes = node.GetInts("axes");
    return MakeKernel([axes_from_input, attr_axes](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      std::vector<int64_t> axes = attr_axes;
      if (axes_from_input) {
        ASSIGN_OR_RETURN(const Tensor* axes_input, RequiredInput(ctx, 1));
        ASSIGN_OR_RETURN(axes, ReadInt64s(*axes_input, "axes"));
      }
      const int64_t out_rank = x->rank() + static_cast<int64_t>(axes.size());
      ASSIGN_OR_RETURN(axes, NormalizeAxes(axes, out_rank));
      std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
      for (int64_t a : axes) inserted[static_cast<size_t>(a)] = true;
      Shape out_shape;
      size_t next = 0;
      for (size_t d = 0; d < inserted.size(); ++d) out_shape.push_back(inserted[d] ? 1 : x->shape()[next++]);
      ASSIGN_OR_RETURN(Tensor out, x->Reshaped(out_shape));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

// ---- Transpose, Concat, Split, Slice, Gather

void RegisterTranspose(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Transpose", [](const ir::Node& node) {
    const std::vector<int64_t> perm_attr = node.GetInts("perm");
    const bool has_perm = node.Has("perm");
    return MakeKernel([perm_attr, has_perm](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      const size_t rank = x->shape().size();
      std::vector<int64_t> perm = perm_attr;
      if (!has_perm) {
        for (size_t d = rank; d-- > 0;) perm.push_back(static_cast<int64_t>(d));
      }
      if (perm.size() != rank) {
        return InvalidArgument("Transpose perm has " + std::to_string(perm.size()) + " entries for rank " +
                               std::to_string(rank));
      }
      ASSIGN_OR_RETURN(perm, NormalizeAxes(perm, static_cast<int64_t>(rank)));
      const std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
      Shape out_shape(rank);
      std::vector<int64_t> strides(rank);
      for (size_t d = 0; d < rank; ++d) {
        out_shape[d] = x->shape()[static_cast<size_t>(perm[d])];
        strides[d] = in_strides[static_cast<size_t>(perm[d])];
      }
      ASSIGN_OR_RETURN(Tensor out, GatherStrided(ctx, *x, out_shape, strides));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

void RegisterConcat(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Concat", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    if (!node.Has("axis")) return InvalidArgument("Concat needs the attribute 'axis'");
    const int64_t axis_attr = node.GetInt("axis", 0);
    return MakeKernel([axis_attr](KernelContext& ctx) -> Status {
      if (ctx.num_inputs() == 0) return InvalidArgument("Concat expects at least one input");
      std::vector<const Tensor*> inputs;
      for (size_t i = 0; i < ctx.num_inputs(); ++i) {
        ASSIGN_OR_RETURN(const Tensor* t, RequiredInput(ctx, i));
        inputs.push_back(t);
      }
      const Tensor& first = *inputs[0];
      ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, first.rank()));
      const auto ax = static_cast<size_t>(axis);
      Shape out_shape = first.shape();
      out_shape[ax] = 0;
      for (const Tensor* t : inputs) {
        bool compatible = t->dtype() == first.dtype() && t->rank() == first.rank();
        for (size_t d = 0; compatible && d < out_shape.size(); ++d) {
          compatible = d == ax || t->shape()[d] == first.shape()[d];
        }
        if (!compatible) {
          return InvalidArgument("cannot concatenate " + first.DebugString() + " and " + t->DebugString() +
                                 " along axis " + std::to_string(axis));
        }
        out_shape[ax] += t->shape()[ax];
      }
      ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(first.dtype(), out_shape));
      const int64_t outer = DimProduct(out_shape, 0, ax);
      const int64_t inner = DimProduct(out_shape, ax + 1, out_shape.size());
      const int64_t out_block = out_shape[ax] * inner;
      int64_t position = 0;
      for (const Tensor* t : inputs) {
        const int64_t block = t->shape()[ax] * inner;
        for (int64_t o = 0; o < outer; ++o) CopyElements(*t, o * block, out, o * out_block + position, block);
        position += block;
      }
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

/// Split along `axis` into one piece per output: sizes from the `split` attribute (opset < 13)
/// or input 1 (>= 13); otherwise equal pieces, or with opset 18's num_outputs ceil(dim / n)-sized
/// pieces and a smaller last one.
void RegisterSplit(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Split", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const int64_t axis_attr = node.GetInt("axis", 0);
    const bool split_from_input = node.opset >= 13;
    std::optional<std::vector<int64_t>> attr_split;
    if (!split_from_input && node.Has("split")) attr_split = node.GetInts("split");
    const int64_t num_outputs = node.GetInt("num_outputs", 0);
    if (node.Has("num_outputs") && num_outputs < 1) return InvalidArgument("Split num_outputs must be >= 1");
    return MakeKernel([axis_attr, split_from_input, attr_split, num_outputs](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, x->rank()));
      const auto ax = static_cast<size_t>(axis);
      const int64_t dim = x->shape()[ax];
      const auto pieces = static_cast<int64_t>(ctx.outputs.size());
      if (pieces == 0) return InvalidArgument("Split has no outputs");
      std::optional<std::vector<int64_t>> split = attr_split;
      if (split_from_input) {
        ASSIGN_OR_RETURN(split, OptionalInts(ctx, 1, "split"));
      }
      std::vector<int64_t> sizes;
      if (split) {
        sizes = *split;
      } else if (num_outputs > 0) {
        if (num_outputs != pieces) return InvalidArgument("Split num_outputs does not match the output count");
        const int64_t chunk = (dim + pieces - 1) / pieces;
        for (int64_t i = 0; i < pieces; ++i) sizes.push_back(std::min(chunk, dim - i * chunk));
      } else {
        if (dim % pieces != 0) {
          return InvalidArgument("cannot split dim " + std::to_string(dim) + " into " + std::to_string(pieces) +
                                 " equal pieces");
        }
        sizes.assign(static_cast<size_t>(pieces), dim / pieces);
      }
      int64_t sum = 0;
      bool valid = static_cast<int64_t>(sizes.size()) == pieces;
      for (int64_t s : sizes) {
        valid = valid && s >= 0 && s <= dim;
        sum += valid ? s : 0;
      }
      if (!valid || sum != dim) {
        return InvalidArgument("invalid split " + ShapeToString(Shape(sizes)) + " of dim " + std::to_string(dim) +
                               " into " + std::to_string(pieces) + " outputs");
      }
      const int64_t outer = DimProduct(x->shape(), 0, ax);
      const int64_t inner = DimProduct(x->shape(), ax + 1, x->shape().size());
      int64_t position = 0;
      for (size_t p = 0; p < sizes.size(); ++p) {
        Shape piece_shape = x->shape();
        piece_shape[ax] = sizes[p];
        ASSIGN_OR_RETURN(Tensor piece, ctx.Allocate(x->dtype(), piece_shape));
        const int64_t block = sizes[p] * inner;
        for (int64_t o = 0; o < outer; ++o) CopyElements(*x, o * dim * inner + position, piece, o * block, block);
        position += block;
        SetOutput(ctx, p, std::move(piece));
      }
      return Status::Ok();
    });
  });
}

/// Slice with numpy semantics: negative starts/ends count from the end, out-of-range values are
/// clamped, steps may be negative (never 0). Attributes before opset 10, inputs since.
class SliceKernel : public Kernel {
 public:
  SliceKernel(bool from_inputs, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes)
      : from_inputs_(from_inputs), starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    std::vector<int64_t> starts = starts_, ends = ends_;
    std::optional<std::vector<int64_t>> axes, steps;
    if (!axes_.empty()) axes = axes_;
    if (from_inputs_) {
      ASSIGN_OR_RETURN(const Tensor* s, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(const Tensor* e, RequiredInput(ctx, 2));
      ASSIGN_OR_RETURN(starts, ReadInt64s(*s, "starts"));
      ASSIGN_OR_RETURN(ends, ReadInt64s(*e, "ends"));
      ASSIGN_OR_RETURN(axes, OptionalInts(ctx, 3, "axes"));
      ASSIGN_OR_RETURN(steps, OptionalInts(ctx, 4, "steps"));
    }
    const size_t count = starts.size();
    if (!axes) {
      axes.emplace();
      for (size_t i = 0; i < count; ++i) axes->push_back(static_cast<int64_t>(i));
    }
    if (!steps) steps = std::vector<int64_t>(count, 1);
    if (ends.size() != count || axes->size() != count || steps->size() != count) {
      return InvalidArgument("Slice starts, ends, axes and steps must have the same length");
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> norm_axes, NormalizeAxes(*axes, x->rank()));

    Shape out_shape = x->shape();
    const std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
    std::vector<int64_t> strides = in_strides;
    int64_t base = 0;
    for (size_t i = 0; i < count; ++i) {
      const auto d = static_cast<size_t>(norm_axes[i]);
      const int64_t dim = x->shape()[d];
      // A step of INT64_MIN cannot be negated; it selects at most one element like -INT64_MAX.
      const int64_t step = std::max((*steps)[i], -INT64_MAX);
      if (step == 0) return InvalidArgument("Slice step must not be 0");
      int64_t start = starts[i], end = ends[i];
      if (start < 0) start += dim;
      if (end < 0) end += dim;
      int64_t size = 0;
      if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        end = std::clamp<int64_t>(end, 0, dim);
        size = end > start ? (end - start - 1) / step + 1 : 0;
      } else {
        start = std::clamp<int64_t>(start, 0, dim - 1);
        end = std::clamp<int64_t>(end, -1, dim - 1);
        size = start > end ? (start - end - 1) / -step + 1 : 0;
      }
      out_shape[d] = size;
      if (size > 0) base += start * in_strides[d];
      // With a single element the step is never applied (and may be huge).
      strides[d] = size > 1 ? in_strides[d] * step : 0;
    }
    ASSIGN_OR_RETURN(Tensor out, GatherStrided(ctx, *x, out_shape, strides, NumElements(out_shape) > 0 ? base : 0));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  bool from_inputs_;
  std::vector<int64_t> starts_, ends_, axes_;
};

/// Gather(data, indices, axis): picks slices of `data` along `axis`; negative indices count from
/// the end; out-of-range indices are kInvalidArgument.
void RegisterGather(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Gather", [](const ir::Node& node) {
    const int64_t axis_attr = node.GetInt("axis", 0);
    return MakeKernel([axis_attr](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* data, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* indices, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, data->rank()));
      ASSIGN_OR_RETURN(std::vector<int64_t> index, ReadInt64s(*indices, "indices"));
      const Shape& s = data->shape();
      const auto ax = static_cast<size_t>(axis);
      const int64_t dim = s[ax];
      for (int64_t& i : index) {
        if (i < -dim || i >= dim) {
          return InvalidArgument("Gather index " + std::to_string(i) + " is out of range for dim " +
                                 std::to_string(dim));
        }
        if (i < 0) i += dim;
      }
      Shape out_shape(s.begin(), s.begin() + axis);
      out_shape.insert(out_shape.end(), indices->shape().begin(), indices->shape().end());
      out_shape.insert(out_shape.end(), s.begin() + axis + 1, s.end());
      ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(data->dtype(), out_shape));
      const int64_t outer = DimProduct(s, 0, ax);
      const int64_t inner = DimProduct(s, ax + 1, s.size());
      const auto n = static_cast<int64_t>(index.size());
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t j = 0; j < n; ++j) {
          CopyElements(*data, (o * dim + index[static_cast<size_t>(j)]) * inner, out, (o * n + j) * inner, inner);
        }
      }
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

// ---- Shape, Size, Expand, Tile

void RegisterShapeQueries(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Shape", [](const ir::Node& node) {
    const int64_t start_attr = node.GetInt("start", 0);
    const std::optional<int64_t> end_attr =
        node.Has("end") ? std::optional<int64_t>(node.GetInt("end", 0)) : std::nullopt;
    return MakeKernel([start_attr, end_attr](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      const int64_t rank = x->rank();
      // Opset 15: negative start/end count from the end; both are clamped to [0, rank].
      auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
      const int64_t start = clamp(start_attr);
      const int64_t end = std::max(start, clamp(end_attr.value_or(rank)));
      std::vector<int64_t> dims(x->shape().begin() + start, x->shape().begin() + end);
      SetOutput(ctx, 0, Tensor::FromVector<int64_t>({end - start}, dims));
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "Size", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      SetOutput(ctx, 0, Tensor::Scalar<int64_t>(x->num_elements()));
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "Expand", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* shape_input, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadInt64s(*shape_input, "shape"));
      for (int64_t d : shape) {
        if (d < 0) return InvalidArgument("Expand shape has a negative dim " + std::to_string(d));
      }
      ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(x->shape(), shape));
      ASSIGN_OR_RETURN(Tensor out, GatherStrided(ctx, *x, out_shape, BroadcastStrides(x->shape(), out_shape)));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "Tile", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* repeats_input, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(std::vector<int64_t> repeats, ReadInt64s(*repeats_input, "repeats"));
      const Shape& in = x->shape();
      if (repeats.size() != in.size()) {
        return InvalidArgument("Tile repeats has " + std::to_string(repeats.size()) + " entries for rank " +
                               std::to_string(in.size()));
      }
      Shape out_shape(in.size());
      for (size_t d = 0; d < in.size(); ++d) {
        if (repeats[d] < 0 || (repeats[d] > 0 && in[d] > INT64_MAX / repeats[d])) {
          return InvalidArgument("invalid Tile repeat " + std::to_string(repeats[d]));
        }
        out_shape[d] = in[d] * repeats[d];
      }
      ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
      const std::vector<int64_t> in_strides = ContiguousStrides(in);
      std::vector<int64_t> index(in.size(), 0);
      DispatchDType(x->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* src = x->data<T>();
        T* dst = out.data<T>();
        for (int64_t i = 0; i < out.num_elements(); ++i) {
          int64_t offset = 0;
          for (size_t d = 0; d < in.size(); ++d) offset += (index[d] % in[d]) * in_strides[d];
          dst[i] = src[offset];
          for (size_t d = in.size(); d-- > 0;) {
            if (++index[d] < out_shape[d]) break;
            index[d] = 0;
          }
        }
      });
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

// ---- Constant, ConstantOfShape, Range

/// The tensor a Constant node holds, from whichever value attribute it has.
Result<Tensor> ConstantValue(const ir::Node& node) {
  if (node.Has("value")) {
    Tensor t = node.GetTensor("value");
    if (!t.defined()) return InvalidArgument("Constant attribute 'value' holds no tensor");
    return t;
  }
  if (node.Has("value_float")) return Tensor::Scalar<float>(node.GetFloat("value_float", 0));
  if (node.Has("value_int")) return Tensor::Scalar<int64_t>(node.GetInt("value_int", 0));
  if (node.Has("value_string")) return Tensor::Scalar<std::string>(node.GetString("value_string", ""));
  if (node.Has("value_floats")) {
    std::vector<float> v = node.GetFloats("value_floats");
    return Tensor::FromVector<float>({static_cast<int64_t>(v.size())}, v);
  }
  if (node.Has("value_ints")) {
    std::vector<int64_t> v = node.GetInts("value_ints");
    return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
  }
  if (node.Has("value_strings")) {
    std::vector<std::string> v = node.GetStrings("value_strings");
    return Tensor::FromVector<std::string>({static_cast<int64_t>(v.size())}, v);
  }
  if (node.Has("sparse_value")) return Unimplemented("Constant with a sparse_value is not supported");
  return InvalidArgument("Constant has no value attribute");
}

void RegisterConstants(KernelRegistry& registry) {
  // The constant's buffer is shared with every output it produces (tensors are read-only once
  // produced).
  registry.Register(kOnnxDomain, "Constant", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(Tensor value, ConstantValue(node));
    return MakeKernel([value](KernelContext& ctx) -> Status {
      SetOutput(ctx, 0, value);
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "ConstantOfShape", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    Tensor value = node.Has("value") ? node.GetTensor("value") : Tensor::Scalar<float>(0.0f);
    if (!value.defined() || value.num_elements() != 1) {
      return InvalidArgument("ConstantOfShape 'value' must be a one-element tensor");
    }
    return MakeKernel([value](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* shape_input, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadInt64s(*shape_input, "shape"));
      ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(value.dtype(), shape));
      DispatchDType(value.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::fill_n(out.data<T>(), out.num_elements(), value.data<T>()[0]);
      });
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
  // Range(start, limit, delta): max(ceil((limit - start) / delta), 0) elements start + i * delta.
  registry.Register(kOnnxDomain, "Range", [](const ir::Node&) {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* start_t, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* limit_t, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(const Tensor* delta_t, RequiredInput(ctx, 2));
      for (const Tensor* t : {start_t, limit_t, delta_t}) {
        if (t->num_elements() != 1 || t->dtype() != start_t->dtype()) {
          return InvalidArgument("Range inputs must be scalars of one type, got " + t->DebugString());
        }
      }
      return DispatchNumeric(start_t->dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        using C = ComputeType<T>;
        const C start = Widen(start_t->data<T>()[0]);
        const C limit = Widen(limit_t->data<T>()[0]);
        const C delta = Widen(delta_t->data<T>()[0]);
        if (delta == C(0)) return InvalidArgument("Range delta must not be 0");
        const double n =
            std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
        if (!std::isfinite(n) || n > 9.0e18) return InvalidArgument("Range has no finite element count");
        const int64_t count = n > 0 ? static_cast<int64_t>(n) : 0;
        ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(start_t->dtype(), {count}));
        T* po = out.data<T>();
        for (int64_t i = 0; i < count; ++i) {
          if constexpr (std::is_integral_v<C>) {
            po[i] =
                static_cast<T>(static_cast<uint64_t>(start) + static_cast<uint64_t>(i) * static_cast<uint64_t>(delta));
          } else {
            po[i] = Narrow<T>(start + static_cast<C>(i) * delta);
          }
        }
        SetOutput(ctx, 0, std::move(out));
        return Status::Ok();
      });
    });
  });
}

}  // namespace

void RegisterShapeKernels(KernelRegistry& registry) {
  RegisterReshape(registry);
  RegisterTranspose(registry);
  RegisterConcat(registry);
  RegisterSplit(registry);
  registry.Register(kOnnxDomain, "Slice", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const bool from_inputs = node.opset >= 10;
    if (!from_inputs && (!node.Has("starts") || !node.Has("ends"))) {
      return InvalidArgument("Slice needs the attributes 'starts' and 'ends'");
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<SliceKernel>(from_inputs, node.GetInts("starts"), node.GetInts("ends"), node.GetInts("axes")));
  });
  RegisterGather(registry);
  RegisterShapeQueries(registry);
  RegisterConstants(registry);
}

}  // namespace mlserving::kernels::reference

// Static dtype and shape propagation with symbolic dims (see InferShapes in passes.h).
//
// Each node's output types are computed from its input types (and constant inputs: Reshape's
// shape, Slice's bounds, …) and merged into what the graph already declares: unknown dims and
// dtypes are filled in, known ones are never changed (a declaration that contradicts the
// inference is kept as it is). Symbolic dims (ONNX dim_param, ir::ValueType::dim_names) flow from
// inputs to outputs: two dims with the same name are the same size, so [N,3] + [N,1] is [N,3].
// Small int64 tensors computed from Shapes (Reshape targets) are followed element by element, so
// Reshape(x, Concat(Slice(Shape(x), 0, 2), [4, -1])) of an [N,S,32] x is [N,S,4,8].

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kernels/fused_activation.h"
#include "kernels/reference/kernel_util.h"
#include "optimizer/graph_util.h"
#include "optimizer/passes.h"
#include "optimizer/shape_inference.h"

namespace mlserving::optimizer {
namespace {

/// One dim: a size (kDynamicDim when unknown) and, for unknown sizes, an optional symbol.
struct Dim {
  int64_t size = kDynamicDim;
  std::string name;

  bool known() const { return size >= 0; }
  static Dim Of(int64_t size) { return Dim{size, std::string()}; }
  /// True when both are provably the same size.
  bool SameAs(const Dim& other) const {
    if (known() || other.known()) return size == other.size;
    return !name.empty() && name == other.name;
  }
};
using Dims = std::vector<Dim>;

/// What inference found for one output; `dims` absent when the shape (even its rank) is unknown.
struct OutputType {
  std::optional<DType> dtype;
  std::optional<Dims> dims;
};

/// The product of `dims`: known when all are; a single dim keeps its symbol.
Dim Product(const Dims& dims, size_t begin, size_t end) {
  if (end - begin == 1) return dims[begin];
  int64_t product = 1;
  for (size_t i = begin; i < end; ++i) {
    if (!dims[i].known()) return Dim();
    product *= dims[i].size;
  }
  return Dim::Of(product);
}

/// The numpy broadcast of several shapes; nullopt when two dims provably differ (the kernel will
/// report it at run time).
std::optional<Dims> Broadcast(const std::vector<Dims>& shapes) {
  size_t rank = 0;
  for (const Dims& s : shapes) rank = std::max(rank, s.size());
  Dims out(rank, Dim::Of(1));
  for (const Dims& s : shapes) {
    const size_t offset = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      Dim& o = out[offset + i];
      const Dim& d = s[i];
      if (d.known() && d.size == 1) continue;
      if (o.known() && o.size == 1) {
        o = d;
      } else if (o.known() && d.known()) {
        if (o.size != d.size) return std::nullopt;
      } else if (d.known()) {
        o = d;  // the unknown one must be 1 or the same size
      } else if (!o.known() && !d.SameAs(o)) {
        o = Dim();  // two different unknowns: either may be 1
      }
    }
  }
  return out;
}

/// Output size of one spatial dim of a convolution or pooling window (floor rounding), or
/// unknown.
Dim WindowOutput(const Dim& in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_begin, int64_t pad_end,
                 const std::string& auto_pad) {
  if (!in.known() || stride <= 0 || kernel <= 0 || dilation <= 0) return Dim();
  int64_t out = 0;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    out = (in.size + stride - 1) / stride;
  } else {
    const int64_t span = (kernel - 1) * dilation + 1;
    const int64_t padded = in.size + (auto_pad == "VALID" ? 0 : pad_begin + pad_end);
    if (padded < span) return Dim();
    out = (padded - span) / stride + 1;
  }
  return out >= 1 ? Dim::Of(out) : Dim();
}

bool IsUnaryShapePreserving(const std::string& op) {
  static const std::set<std::string> kOps = {
      "Relu",
      "LeakyRelu",
      "Elu",
      "Selu",
      "Sigmoid",
      "HardSigmoid",
      "Tanh",
      "Softplus",
      "Exp",
      "Log",
      "Sqrt",
      "Abs",
      "Neg",
      "Reciprocal",
      "Floor",
      "Ceil",
      "Round",
      "Sign",
      "Erf",
      "Not",
      "Clip",
      "Identity",
      "Sin",
      "Cos",
      "Tan",
      "Asin",
      "Acos",
      "Atan",
      "Sinh",
      "Cosh",
      "Asinh",
      "Acosh",
      "Atanh",
      "Softsign",
      "ThresholdedRelu",
      "Shrink",
      "Celu",
      "Mish",
      "HardSwish",
      "Gelu",
      "BitwiseNot",
      "Softmax",
      "LogSoftmax",
      "Hardmax",
      "CumSum",
      "LRN",
      "MeanVarianceNormalization",
      "Trilu",
      "InstanceNormalization",
      "LayerNormalization",
      "BatchNormalization",
      "GroupNormalization",
      "PRelu",
  };
  return kOps.count(op) != 0;
}

bool IsBroadcastingBinary(const std::string& op) {
  static const std::set<std::string> kOps = {"Add",       "Sub",        "Mul",  "Div", "Pow",      "Max",
                                             "Min",       "Sum",        "Mean", "Mod", "BitShift", "BitwiseAnd",
                                             "BitwiseOr", "BitwiseXor", "And",  "Or",  "Xor"};
  return kOps.count(op) != 0;
}

bool IsComparison(const std::string& op) {
  static const std::set<std::string> kOps = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
  return kOps.count(op) != 0;
}

/// Computes the output types of the nodes of one graph.
class Inferrer {
 public:
  /// `types` holds the current type of every value of `graph` (constants are read from `graph`).
  Inferrer(const ir::Graph& graph, const std::vector<ir::ValueType>& types)
      : graph_(graph), types_(types), index_(graph) {}

  /// One entry per node output (empty when nothing is known).
  std::vector<OutputType> Infer(const ir::Node& node) const {
    std::vector<OutputType> out(node.outputs.size());
    if (HasSubgraphs(node) || out.empty()) return out;
    for (ir::ValueId in : node.inputs) {
      if (in != ir::kNoValue && types_[static_cast<size_t>(in)].kind != ir::ValueKind::kTensor) return out;
    }
    if (node.domain.empty()) {
      InferOnnx(node, out);
    } else if (node.domain == kernels::kMlServingDomain) {
      InferMlServing(node, out);
    }
    return out;
  }

 private:
  /// One element of a 1-D int64 shape tensor: a literal (which may be 0 or -1, with Reshape's
  /// meanings), or a dim of a Shape's input (possibly symbolic, possibly anonymous).
  struct ShapeElement {
    std::optional<int64_t> literal;
    Dim dim;
  };
  static constexpr int kMaxShapeValueDepth = 16;

  /// The elements of `v`, a small int64 tensor computed from Shape outputs and constants by
  /// Shape, Slice / Gather (axis 0, constant indices), Concat, Unsqueeze / Squeeze (axis 0) and
  /// Cast to int64: torch's `Concat(Slice(Shape(x), 0, 2), [4, -1])` Reshape targets. A scalar
  /// is one element. Nullopt when `v` is computed otherwise (data propagation, as ONNX's shape
  /// inference does it, limited to what Reshape targets need).
  std::optional<std::vector<ShapeElement>> ShapeValue(ir::ValueId v, int depth = 0) const {
    if (v == ir::kNoValue || depth > kMaxShapeValueDepth) return std::nullopt;
    if (const Tensor* t = ConstantOf(graph_, v)) {
      if (t->rank() > 1) return std::nullopt;
      std::optional<std::vector<int64_t>> ints = ConstInts(v);
      if (!ints) return std::nullopt;
      std::vector<ShapeElement> out;
      for (int64_t i : *ints) out.push_back(ShapeElement{i, Dim()});
      return out;
    }
    const int p = index_.producer(v);
    if (p < 0) return std::nullopt;
    const ir::Node& node = graph_.nodes()[static_cast<size_t>(p)];
    if (!node.domain.empty() || node.outputs.size() != 1) return std::nullopt;
    const std::string& op = node.op_type;
    if (op == "Shape") {
      std::optional<Dims> in = DimsOf(Input(node, 0));
      if (!in) return std::nullopt;
      const int64_t rank = static_cast<int64_t>(in->size());
      int64_t start = node.GetInt("start", 0), end = node.GetInt("end", rank);
      if (start < 0) start += rank;
      if (end < 0) end += rank;
      start = std::clamp<int64_t>(start, 0, rank);
      end = std::clamp<int64_t>(end, start, rank);
      std::vector<ShapeElement> out;
      for (int64_t i = start; i < end; ++i) {
        const Dim& d = (*in)[static_cast<size_t>(i)];
        out.push_back(d.known() ? ShapeElement{d.size, Dim()} : ShapeElement{std::nullopt, d});
      }
      return out;
    }
    if (op == "Cast") {
      if (kernels::reference::DTypeFromOnnxCode(node.GetInt("to", -1)) != DType::kInt64) return std::nullopt;
      return ShapeValue(Input(node, 0), depth + 1);
    }
    if (op == "Concat") {
      if (node.GetInt("axis", 0) != 0 && node.GetInt("axis", 0) != -1) return std::nullopt;
      std::vector<ShapeElement> out;
      for (ir::ValueId in : node.inputs) {
        std::optional<std::vector<ShapeElement>> part = ShapeValue(in, depth + 1);
        if (!part) return std::nullopt;
        out.insert(out.end(), part->begin(), part->end());
      }
      return out;
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
      // Between a scalar and a one-element vector only: the elements stay the same.
      std::optional<Dims> in = DimsOf(Input(node, 0));
      const bool scalar_to_vector = op == "Unsqueeze" && in && in->empty();
      const bool vector_to_scalar = op == "Squeeze" && in && in->size() == 1 && (*in)[0].size == 1;
      if (!scalar_to_vector && !vector_to_scalar) return std::nullopt;
      return ShapeValue(Input(node, 0), depth + 1);
    }
    if (op == "Gather" || op == "Slice") {
      std::optional<std::vector<ShapeElement>> data = ShapeValue(Input(node, 0), depth + 1);
      if (!data) return std::nullopt;
      const int64_t length = static_cast<int64_t>(data->size());
      std::vector<ShapeElement> out;
      if (op == "Gather") {
        if (node.GetInt("axis", 0) != 0 && node.GetInt("axis", 0) != -1) return std::nullopt;
        std::optional<std::vector<int64_t>> indices = ConstInts(Input(node, 1));
        if (!indices) return std::nullopt;
        for (int64_t i : *indices) {
          if (i < -length || i >= length) return std::nullopt;
          out.push_back((*data)[static_cast<size_t>(i < 0 ? i + length : i)]);
        }
        return out;
      }
      if (node.opset < 10) return std::nullopt;
      std::optional<std::vector<int64_t>> starts = ConstInts(Input(node, 1)), ends = ConstInts(Input(node, 2));
      if (!starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
      if (Input(node, 3) != ir::kNoValue) {
        std::optional<std::vector<int64_t>> axes = ConstInts(Input(node, 3));
        if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1)) return std::nullopt;
      }
      if (Input(node, 4) != ir::kNoValue) {
        std::optional<std::vector<int64_t>> steps = ConstInts(Input(node, 4));
        if (!steps || steps->size() != 1 || (*steps)[0] != 1) return std::nullopt;
      }
      const int64_t start = std::clamp<int64_t>((*starts)[0] < 0 ? (*starts)[0] + length : (*starts)[0], 0, length);
      const int64_t end = std::clamp<int64_t>((*ends)[0] < 0 ? (*ends)[0] + length : (*ends)[0], 0, length);
      for (int64_t i = start; i < end; ++i) out.push_back((*data)[static_cast<size_t>(i)]);
      return out;
    }
    return std::nullopt;
  }

  std::optional<Dims> DimsOf(ir::ValueId v) const {
    if (v == ir::kNoValue) return std::nullopt;
    const ir::ValueType& type = types_[static_cast<size_t>(v)];
    if (!type.has_shape) return std::nullopt;
    Dims dims(type.shape.size());
    for (size_t i = 0; i < dims.size(); ++i) {
      dims[i].size = type.shape[i] < 0 ? kDynamicDim : type.shape[i];
      if (!dims[i].known() && i < type.dim_names.size()) dims[i].name = type.dim_names[i];
    }
    return dims;
  }
  std::optional<DType> DTypeOfValue(ir::ValueId v) const {
    if (v == ir::kNoValue || !types_[static_cast<size_t>(v)].has_dtype) return std::nullopt;
    return types_[static_cast<size_t>(v)].dtype;
  }
  ir::ValueId Input(const ir::Node& node, size_t i) const {
    return i < node.inputs.size() ? node.inputs[i] : ir::kNoValue;
  }
  /// The elements of a constant int32/int64 input.
  std::optional<std::vector<int64_t>> ConstInts(ir::ValueId v) const {
    const Tensor* t = ConstantOf(graph_, v);
    if (t == nullptr) return std::nullopt;
    Result<std::vector<int64_t>> ints = kernels::reference::ReadInt64s(*t, "value");
    if (!ints.ok()) return std::nullopt;
    return std::move(ints).value();
  }
  /// Axes from the attribute `name` (before `input_since_opset`) or from input `input` (since).
  /// `present` is false when neither gives any.
  std::optional<std::vector<int64_t>> Axes(const ir::Node& node, const char* name, int input_since_opset, size_t input,
                                           bool& present) const {
    if (node.opset < input_since_opset) {
      present = node.Has(name);
      return node.GetInts(name);
    }
    const ir::ValueId v = Input(node, input);
    present = v != ir::kNoValue;
    if (!present) return std::vector<int64_t>();
    return ConstInts(v);
  }
  static std::optional<int64_t> Normalize(int64_t axis, size_t rank) {
    const int64_t r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r) return std::nullopt;
    return axis < 0 ? axis + r : axis;
  }

  /// The fused ops of the graph optimizer, typed as the ops they replace: FusedMatMul as MatMul
  /// (its bias and activation keep the product's shape), FusedConv as Conv, Attention as
  /// MatMul(Softmax(Q·Kᵀ [+ mask]), V) (kernels/reference/attention.h). The channel-blocked ops
  /// are left unknown.
  void InferMlServing(const ir::Node& node, std::vector<OutputType>& out) const {
    const std::string& op = node.op_type;
    const ir::ValueId x = Input(node, 0);
    if (op == "FusedMatMul") {
      out[0] = {DTypeOfValue(x), MatMulDims(DimsOf(x), DimsOf(Input(node, 1)))};
    } else if (op == "FusedConv") {
      InferWindowed(node, DimsOf(x), DTypeOfValue(x), out);
    } else if (op == "Attention") {
      out[0].dtype = DTypeOfValue(x);
      std::optional<Dims> q = DimsOf(x), k = DimsOf(Input(node, 1)), v = DimsOf(Input(node, 2));
      if (!q || !k || !v || q->size() < 2 || k->size() < 2 || v->size() < 2) return;
      if (node.GetInt("k_transposed", 0) == 0) std::swap((*k)[k->size() - 2], (*k)[k->size() - 1]);
      std::optional<Dims> scores = MatMulDims(q, k);
      if (scores && Input(node, 3) != ir::kNoValue) {
        std::optional<Dims> mask = DimsOf(Input(node, 3));
        scores = mask ? Broadcast({*scores, *mask}) : std::nullopt;
      }
      out[0].dims = MatMulDims(scores, v);
    }
  }

  void InferOnnx(const ir::Node& node, std::vector<OutputType>& out) const {
    const std::string& op = node.op_type;
    const ir::ValueId x = Input(node, 0);
    std::optional<Dims> x_dims = DimsOf(x);
    std::optional<DType> x_dtype = DTypeOfValue(x);

    if (IsUnaryShapePreserving(op) || op == "Dropout") {
      out[0] = {x_dtype, x_dims};
      if (op == "Dropout" && out.size() > 1) out[1] = {DType::kBool, x_dims};
      // BatchNormalization's extra outputs (running mean and var in training mode, echoes of
      // the inputs otherwise) are typed like its mean (odd outputs) and var (even ones).
      for (size_t o = 1; op == "BatchNormalization" && o < out.size() && o < 5; ++o) {
        const ir::ValueId like = Input(node, o % 2 == 1 ? 3 : 4);
        out[o] = {DTypeOfValue(like), DimsOf(like)};
      }
      return;
    }
    if (op == "IsNaN" || op == "IsInf") {
      out[0] = {DType::kBool, x_dims};
      return;
    }
    if (op == "Cast" || op == "CastLike") {
      std::optional<DType> to =
          op == "Cast" ? kernels::reference::DTypeFromOnnxCode(node.GetInt("to", -1)) : DTypeOfValue(Input(node, 1));
      out[0] = {to, x_dims};
      return;
    }
    if (IsBroadcastingBinary(op) || IsComparison(op) || op == "Where") {
      std::vector<Dims> shapes;
      for (ir::ValueId in : node.inputs) {
        std::optional<Dims> d = DimsOf(in);
        if (!d) {
          shapes.clear();
          break;
        }
        shapes.push_back(std::move(*d));
      }
      out[0].dtype =
          IsComparison(op) ? std::optional<DType>(DType::kBool) : DTypeOfValue(Input(node, op == "Where" ? 1 : 0));
      if (!shapes.empty() && shapes.size() == node.inputs.size()) out[0].dims = Broadcast(shapes);
      return;
    }
    if (op == "MatMul" || op == "MatMulInteger") {
      out[0].dtype = op == "MatMul" ? x_dtype : std::optional<DType>(DType::kInt32);
      out[0].dims = MatMulDims(x_dims, DimsOf(Input(node, 1)));
      return;
    }
    if (op == "Gemm") {
      out[0].dtype = x_dtype;
      std::optional<Dims> b = DimsOf(Input(node, 1));
      if (x_dims && b && x_dims->size() == 2 && b->size() == 2) {
        const Dim m = node.GetInt("transA", 0) ? (*x_dims)[1] : (*x_dims)[0];
        const Dim n = node.GetInt("transB", 0) ? (*b)[0] : (*b)[1];
        out[0].dims = Dims{m, n};
      }
      return;
    }
    if (op == "Conv" || op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
      InferWindowed(node, x_dims, x_dtype, out);
      return;
    }
    if (op == "ConvTranspose") {
      InferConvTranspose(node, x_dims, x_dtype, out);
      return;
    }
    if (op == "Resize" || op == "Upsample") {
      out[0] = {x_dtype, ResizeDims(node, x_dims)};
      return;
    }
    if (op == "Einsum") {
      out[0] = {x_dtype, EinsumDims(node)};
      return;
    }
    if (op == "RNN" || op == "GRU" || op == "LSTM") {
      InferRecurrent(node, x_dims, x_dtype, out);
      return;
    }
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "GlobalLpPool") {
      out[0].dtype = x_dtype;
      if (x_dims && x_dims->size() >= 2) {
        Dims d = *x_dims;
        for (size_t i = 2; i < d.size(); ++i) d[i] = Dim::Of(1);
        out[0].dims = d;
      }
      return;
    }
    // The ops below keep the dtype of their first input.
    out[0].dtype = x_dtype;
    if (op == "Transpose") {
      if (!x_dims) return;
      std::vector<int64_t> perm = node.GetInts("perm");
      if (perm.empty()) {
        for (size_t i = x_dims->size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
      }
      if (perm.size() != x_dims->size()) return;
      Dims d;
      for (int64_t p : perm) {
        std::optional<int64_t> a = Normalize(p, x_dims->size());
        if (!a) return;
        d.push_back((*x_dims)[static_cast<size_t>(*a)]);
      }
      out[0].dims = d;
    } else if (op == "Reshape") {
      out[0].dims = ReshapeDims(node, x_dims);
    } else if (op == "Flatten") {
      if (!x_dims) return;
      std::optional<int64_t> axis = node.GetInt("axis", 1) == static_cast<int64_t>(x_dims->size())
                                        ? std::optional<int64_t>(static_cast<int64_t>(x_dims->size()))
                                        : Normalize(node.GetInt("axis", 1), x_dims->size());
      if (!axis) return;
      const size_t a = static_cast<size_t>(*axis);
      out[0].dims = Dims{a == 0 ? Dim::Of(1) : Product(*x_dims, 0, a),
                         a == x_dims->size() ? Dim::Of(1) : Product(*x_dims, a, x_dims->size())};
    } else if (op == "Squeeze") {
      out[0].dims = SqueezeDims(node, x_dims);
    } else if (op == "Unsqueeze") {
      out[0].dims = UnsqueezeDims(node, x_dims);
    } else if (op == "Concat") {
      out[0].dims = ConcatDims(node);
    } else if (op == "Gather") {
      std::optional<Dims> indices = DimsOf(Input(node, 1));
      if (!x_dims || !indices) return;
      std::optional<int64_t> axis = Normalize(node.GetInt("axis", 0), x_dims->size());
      if (!axis) return;
      Dims d(x_dims->begin(), x_dims->begin() + *axis);
      d.insert(d.end(), indices->begin(), indices->end());
      d.insert(d.end(), x_dims->begin() + *axis + 1, x_dims->end());
      out[0].dims = d;
    } else if (op == "GatherElements") {
      out[0].dims = DimsOf(Input(node, 1));
    } else if (op == "Slice") {
      out[0].dims = SliceDims(node, x_dims);
    } else if (op.rfind("Reduce", 0) == 0) {
      out[0].dims = ReduceDims(node, x_dims);
    } else if (op == "ArgMax" || op == "ArgMin") {
      out[0].dtype = DType::kInt64;
      if (!x_dims) return;
      std::optional<int64_t> axis = Normalize(node.GetInt("axis", 0), x_dims->size());
      if (!axis) return;
      Dims d = *x_dims;
      if (node.GetInt("keepdims", 1)) {
        d[static_cast<size_t>(*axis)] = Dim::Of(1);
      } else {
        d.erase(d.begin() + *axis);
      }
      out[0].dims = d;
    } else if (op == "Shape") {
      out[0].dtype = DType::kInt64;
      if (!x_dims) return;
      const int64_t rank = static_cast<int64_t>(x_dims->size());
      int64_t start = node.GetInt("start", 0), end = node.GetInt("end", rank);
      if (start < 0) start += rank;
      if (end < 0) end += rank;
      start = std::clamp<int64_t>(start, 0, rank);
      end = std::clamp<int64_t>(end, 0, rank);
      out[0].dims = Dims{Dim::Of(std::max<int64_t>(0, end - start))};
    } else if (op == "Size") {
      out[0] = {DType::kInt64, Dims{}};
    } else if (op == "Constant") {
      out[0] = ConstantNodeType(node);
    } else if (op == "ConstantOfShape") {
      const Tensor value = node.GetTensor("value");
      out[0].dtype = value.defined() ? value.dtype() : DType::kFloat32;
      if (std::optional<std::vector<int64_t>> shape = ConstInts(x)) {
        Dims d;
        for (int64_t s : *shape) d.push_back(s >= 0 ? Dim::Of(s) : Dim());
        out[0].dims = d;
      }
    } else if (op == "Expand") {
      std::optional<std::vector<int64_t>> shape = ConstInts(Input(node, 1));
      if (!x_dims || !shape) return;
      Dims target;
      for (int64_t s : *shape) target.push_back(s >= 0 ? Dim::Of(s) : Dim());
      out[0].dims = Broadcast({*x_dims, target});
    } else if (op == "Tile") {
      std::optional<std::vector<int64_t>> repeats = ConstInts(Input(node, 1));
      if (!x_dims || !repeats || repeats->size() != x_dims->size()) return;
      Dims d = *x_dims;
      for (size_t i = 0; i < d.size(); ++i) {
        const int64_t r = (*repeats)[i];
        if (r == 1) continue;
        d[i] = d[i].known() && r >= 0 ? Dim::Of(d[i].size * r) : Dim();
      }
      out[0].dims = d;
    } else if (op == "Split") {
      InferSplit(node, x_dims, x_dtype, out);
    } else if (op == "Pad") {
      out[0].dims = PadDims(node, x_dims);
    } else if (op == "TopK") {
      if (out.size() > 1) out[1].dtype = DType::kInt64;
      std::optional<std::vector<int64_t>> k =
          node.opset < 10 ? std::optional<std::vector<int64_t>>(std::vector<int64_t>{node.GetInt("k", -1)})
                          : ConstInts(Input(node, 1));
      if (!x_dims || !k || k->size() != 1 || (*k)[0] < 0) return;
      std::optional<int64_t> axis = Normalize(node.GetInt("axis", -1), x_dims->size());
      if (!axis) return;
      Dims d = *x_dims;
      d[static_cast<size_t>(*axis)] = Dim::Of((*k)[0]);
      out[0].dims = d;
      if (out.size() > 1) out[1].dims = d;
    } else if (op == "DepthToSpace" || op == "SpaceToDepth") {
      const int64_t block = node.GetInt("blocksize", 0);
      if (!x_dims || x_dims->size() != 4 || block <= 0) return;
      const bool to_space = op == "DepthToSpace";
      const auto scale = [&](const Dim& d, bool up) {
        if (!d.known()) return Dim();
        if (up) return Dim::Of(d.size * block);
        return d.size % block == 0 ? Dim::Of(d.size / block) : Dim();
      };
      const Dim& c = (*x_dims)[1];
      Dim channels = to_space ? (c.known() && c.size % (block * block) == 0 ? Dim::Of(c.size / (block * block)) : Dim())
                              : (c.known() ? Dim::Of(c.size * block * block) : Dim());
      out[0].dims = Dims{(*x_dims)[0], channels, scale((*x_dims)[2], to_space), scale((*x_dims)[3], to_space)};
    } else {
      out[0] = OutputType();  // an op this file does not know: not even its dtype
    }
  }

  static std::optional<Dims> MatMulDims(std::optional<Dims> a, std::optional<Dims> b) {
    if (!a || !b || a->empty() || b->empty()) return std::nullopt;
    const bool a_vector = a->size() == 1, b_vector = b->size() == 1;
    if (a_vector) a->insert(a->begin(), Dim::Of(1));
    if (b_vector) b->push_back(Dim::Of(1));
    std::optional<Dims> batch = Broadcast({Dims(a->begin(), a->end() - 2), Dims(b->begin(), b->end() - 2)});
    if (!batch) return std::nullopt;
    Dims out = *batch;
    if (!a_vector) out.push_back((*a)[a->size() - 2]);
    if (!b_vector) out.push_back(b->back());
    return out;
  }

  void InferWindowed(const ir::Node& node, const std::optional<Dims>& x_dims, const std::optional<DType>& x_dtype,
                     std::vector<OutputType>& out) const {
    out[0].dtype = x_dtype;
    if (!x_dims || x_dims->size() < 3) return;
    const size_t spatial = x_dims->size() - 2;
    const bool conv = node.op_type == "Conv" || node.op_type == "FusedConv";
    std::vector<int64_t> kernel = node.GetInts("kernel_shape");
    Dim channels = (*x_dims)[1];
    if (conv) {
      std::optional<Dims> w = DimsOf(Input(node, 1));
      if (!w || w->size() != x_dims->size()) return;
      channels = (*w)[0];
      if (kernel.empty()) {
        for (size_t i = 2; i < w->size(); ++i) kernel.push_back((*w)[i].size);
      }
    }
    Dims d{(*x_dims)[0], channels};
    std::vector<int64_t> strides = node.GetInts("strides"), dilations = node.GetInts("dilations"),
                         pads = node.GetInts("pads");
    strides.resize(spatial, 1);
    dilations.resize(spatial, 1);
    pads.resize(2 * spatial, 0);
    const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
    // ceil_mode may drop a last window that starts in the padding: leave those dims to run time.
    const bool ceil_mode = node.GetInt("ceil_mode", 0) != 0;
    for (size_t i = 0; i < spatial; ++i) {
      if (kernel.size() != spatial || ceil_mode) {
        d.push_back(Dim());
        continue;
      }
      d.push_back(
          WindowOutput((*x_dims)[i + 2], kernel[i], strides[i], dilations[i], pads[i], pads[i + spatial], auto_pad));
    }
    out[0].dims = d;
    if (node.op_type == "MaxPool" && out.size() > 1) out[1] = {DType::kInt64, d};
  }

  /// ConvTranspose: [N, W[1] * group, spatial...] with each spatial dim stride * (in - 1) +
  /// output_padding + effective kernel - pads, or output_shape, or in * stride for SAME_*
  /// (conv_ops.cc's ConvTransposeKernel::Geometry).
  void InferConvTranspose(const ir::Node& node, const std::optional<Dims>& x_dims, const std::optional<DType>& x_dtype,
                          std::vector<OutputType>& out) const {
    out[0].dtype = x_dtype;
    std::optional<Dims> w = DimsOf(Input(node, 1));
    if (!x_dims || x_dims->size() < 3 || !w || w->size() != x_dims->size()) return;
    const size_t spatial = x_dims->size() - 2;
    const int64_t group = node.GetInt("group", 1);
    const Dim& per_group = (*w)[1];
    Dims d{(*x_dims)[0], per_group.known() && group > 0 ? Dim::Of(per_group.size * group) : Dim()};
    std::vector<int64_t> kernel = node.GetInts("kernel_shape");
    if (kernel.empty()) {
      for (size_t i = 2; i < w->size(); ++i) kernel.push_back((*w)[i].size);
    }
    std::vector<int64_t> output_shape = node.GetInts("output_shape");
    if (output_shape.size() == spatial + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
    std::vector<int64_t> strides = node.GetInts("strides"), dilations = node.GetInts("dilations"),
                         pads = node.GetInts("pads"), output_padding = node.GetInts("output_padding");
    const auto fits = [spatial](const std::vector<int64_t>& v, size_t per_dim) {
      return v.empty() || v.size() == spatial * per_dim;
    };
    if (kernel.size() != spatial || !fits(strides, 1) || !fits(dilations, 1) || !fits(pads, 2) ||
        !fits(output_padding, 1) || !fits(output_shape, 1)) {
      return;  // the kernel reports the mismatch
    }
    strides.resize(spatial, 1);
    dilations.resize(spatial, 1);
    pads.resize(2 * spatial, 0);
    output_padding.resize(spatial, 0);
    const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    for (size_t i = 0; i < spatial; ++i) {
      const Dim& in = (*x_dims)[i + 2];
      int64_t size = kDynamicDim;
      if (!output_shape.empty()) {
        size = output_shape[i];
      } else if (in.known() && kernel[i] > 0) {
        if (same) {
          size = in.size * strides[i];
        } else {
          size = strides[i] * (in.size - 1) + output_padding[i] + (kernel[i] - 1) * dilations[i] + 1;
          if (auto_pad == "NOTSET") size -= pads[i] + pads[i + spatial];
        }
      }
      d.push_back(size >= 0 ? Dim::Of(size) : Dim());
    }
    out[0].dims = d;
  }

  /// The elements of a constant floating input; nullopt when it is not a constant.
  std::optional<std::vector<double>> ConstFloats(ir::ValueId v) const {
    const Tensor* t = ConstantOf(graph_, v);
    if (t == nullptr || !IsFloating(t->dtype())) return std::nullopt;
    std::vector<double> values(static_cast<size_t>(t->num_elements()));
    Status status = kernels::reference::DispatchFloating(t->dtype(), [&](auto tag) -> Status {
      const auto* p = t->data<typename decltype(tag)::type>();
      for (size_t i = 0; i < values.size(); ++i) values[i] = kernels::reference::ConvertNumber<double>(p[i]);
      return Status::Ok();
    });
    if (!status.ok()) return std::nullopt;
    return values;
  }

  /// Resize (opsets 10-18, `axes` and keep_aspect_ratio_policy included) and Upsample: each
  /// resized dim is `sizes` or floor(scale * dim) (image_ops.cc's ResizeKernel). Needs the scales
  /// or sizes as constants.
  std::optional<Dims> ResizeDims(const ir::Node& node, const std::optional<Dims>& in) const {
    if (!in) return std::nullopt;
    const size_t rank = in->size();
    const bool upsample = node.op_type == "Upsample";
    std::optional<std::vector<double>> scales;
    std::optional<std::vector<int64_t>> sizes;
    if (upsample && node.opset < 9) {
      const std::vector<float> attr = node.GetFloats("scales");
      scales = std::vector<double>(attr.begin(), attr.end());
    } else if (upsample || node.opset < 11) {
      scales = ConstFloats(Input(node, 1));
    } else {
      if (Input(node, 3) != ir::kNoValue) {
        sizes = ConstInts(Input(node, 3));
        if (!sizes) return std::nullopt;  // sizes computed at run time
      }
      if (!sizes || sizes->empty()) {
        sizes.reset();
        if (Input(node, 2) == ir::kNoValue) return std::nullopt;
        scales = ConstFloats(Input(node, 2));
      }
    }
    if (!sizes && !scales) return std::nullopt;
    std::vector<size_t> axes;
    if (!upsample && node.opset >= 18 && node.Has("axes")) {
      for (int64_t a : node.GetInts("axes")) {
        std::optional<int64_t> axis = Normalize(a, rank);
        if (!axis) return std::nullopt;
        axes.push_back(static_cast<size_t>(*axis));
      }
    } else {
      for (size_t a = 0; a < rank; ++a) axes.push_back(a);
    }
    Dims out = *in;
    if (sizes) {
      if (sizes->size() != axes.size()) return std::nullopt;
      const std::string policy = node.GetString("keep_aspect_ratio_policy", "stretch");
      if (node.opset < 18 || policy == "stretch") {
        for (size_t i = 0; i < axes.size(); ++i) {
          if ((*sizes)[i] < 0) return std::nullopt;
          out[axes[i]] = Dim::Of((*sizes)[i]);
        }
        return out;
      }
      // not_larger / not_smaller: one scale for every axis, from the sizes and the input dims.
      double chosen = policy == "not_larger" ? 1e300 : 0;
      for (size_t i = 0; i < axes.size(); ++i) {
        const Dim& d = (*in)[axes[i]];
        if (!d.known()) {
          for (size_t a : axes) out[a] = Dim();
          return out;
        }
        const double r = d.size == 0 ? 1.0 : static_cast<double>((*sizes)[i]) / static_cast<double>(d.size);
        chosen = policy == "not_larger" ? std::min(chosen, r) : std::max(chosen, r);
      }
      for (size_t a : axes) {
        out[a] = Dim::Of(static_cast<int64_t>(std::floor(chosen * static_cast<double>((*in)[a].size) + 0.5)));
      }
      return out;
    }
    if (scales->size() != axes.size()) return std::nullopt;
    for (size_t i = 0; i < axes.size(); ++i) {
      const double scale = (*scales)[i];
      if (!(scale > 0) || !std::isfinite(scale)) return std::nullopt;
      Dim& d = out[axes[i]];
      if (scale == 1.0) continue;  // floor(1 * n) == n, symbol kept
      d = d.known() ? Dim::Of(static_cast<int64_t>(std::floor(scale * static_cast<double>(d.size)))) : Dim();
    }
    return out;
  }

  /// Einsum: the output term's labels (explicit "->", or else the ellipsis then the labels seen
  /// once, in ASCII order), each sized by the inputs; the ellipsis dims broadcast.
  std::optional<Dims> EinsumDims(const ir::Node& node) const {
    std::string eq;
    for (char c : node.GetString("equation", "")) {
      if (c != ' ') eq += c;
    }
    const size_t arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    std::vector<std::string> terms;
    for (size_t start = 0;;) {
      const size_t comma = lhs.find(',', start);
      terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (terms.size() != node.inputs.size()) return std::nullopt;
    const auto is_label = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    // A term is letters with at most one "..." among them.
    const auto split_term = [&](const std::string& term, std::string& letters, bool& ellipsis) {
      ellipsis = false;
      letters.clear();
      for (size_t i = 0; i < term.size(); ++i) {
        if (term.compare(i, 3, "...") == 0 && !ellipsis) {
          ellipsis = true;
          letters += '.';  // marks where the ellipsis is
          i += 2;
        } else if (is_label(term[i])) {
          letters += term[i];
        } else {
          return false;
        }
      }
      return true;
    };
    std::map<char, Dim> label_dims;
    std::map<char, int> label_count;
    std::vector<Dims> ellipsis_parts;
    bool any_ellipsis = false;
    for (size_t t = 0; t < terms.size(); ++t) {
      std::string letters;
      bool ellipsis = false;
      if (!split_term(terms[t], letters, ellipsis)) return std::nullopt;
      std::optional<Dims> dims = DimsOf(node.inputs[t]);
      if (!dims) return std::nullopt;
      const size_t named = letters.size() - (ellipsis ? 1 : 0);
      if (dims->size() < named || (!ellipsis && dims->size() != named)) return std::nullopt;
      const size_t covered = dims->size() - named;
      size_t d = 0;
      for (char c : letters) {
        if (c == '.') {
          any_ellipsis = true;
          ellipsis_parts.emplace_back(dims->begin() + static_cast<std::ptrdiff_t>(d),
                                      dims->begin() + static_cast<std::ptrdiff_t>(d + covered));
          d += covered;
          continue;
        }
        const Dim& dim = (*dims)[d++];
        ++label_count[c];
        auto [it, inserted] = label_dims.emplace(c, dim);
        if (inserted || it->second.SameAs(dim)) continue;
        // Occurrences disagree: a known size wins over an unknown one (they must be equal at run
        // time); two different known sizes or two different symbols stay unknown.
        if (!it->second.known() && dim.known()) {
          it->second = dim;
        } else if (!(it->second.known() && !dim.known())) {
          it->second = Dim();
        }
      }
    }
    std::string output;
    if (arrow != std::string::npos) {
      bool ellipsis = false;
      if (!split_term(eq.substr(arrow + 2), output, ellipsis)) return std::nullopt;
    } else {
      if (any_ellipsis) output += '.';
      for (const auto& [c, count] : label_count) {
        if (count == 1) output += c;  // std::map: ASCII order
      }
    }
    std::optional<Dims> broadcast = ellipsis_parts.empty() ? Dims() : Broadcast(ellipsis_parts);
    Dims out;
    for (char c : output) {
      if (c == '.') {
        if (!broadcast) return std::nullopt;
        out.insert(out.end(), broadcast->begin(), broadcast->end());
        continue;
      }
      auto it = label_dims.find(c);
      if (it == label_dims.end()) return std::nullopt;  // an output label no input has
      out.push_back(it->second);
    }
    return out;
  }

  /// RNN, GRU and LSTM: Y [seq, dirs, batch, hidden] and Y_h (and LSTM's Y_c) [dirs, batch,
  /// hidden], or [batch, seq, dirs, hidden] and [batch, dirs, hidden] with layout=1; hidden from
  /// hidden_size, else from R [dirs, gates * hidden, hidden] (rnn_ops.cc).
  void InferRecurrent(const ir::Node& node, const std::optional<Dims>& x_dims, const std::optional<DType>& x_dtype,
                      std::vector<OutputType>& out) const {
    for (OutputType& o : out) o.dtype = x_dtype;
    const int64_t layout = node.GetInt("layout", 0);
    if (!x_dims || x_dims->size() != 3 || (layout != 0 && layout != 1)) return;
    const Dim seq = layout == 0 ? (*x_dims)[0] : (*x_dims)[1];
    const Dim batch = layout == 0 ? (*x_dims)[1] : (*x_dims)[0];
    const Dim dirs = Dim::Of(node.GetString("direction", "forward") == "bidirectional" ? 2 : 1);
    Dim hidden;
    if (node.Has("hidden_size")) {
      hidden = Dim::Of(node.GetInt("hidden_size", 0));
      if (hidden.size <= 0) return;
    } else if (std::optional<Dims> r = DimsOf(Input(node, 2)); r && r->size() == 3) {
      hidden = (*r)[2];
    }
    out[0].dims = layout == 0 ? Dims{seq, dirs, batch, hidden} : Dims{batch, seq, dirs, hidden};
    for (size_t o = 1; o < out.size() && o < 3; ++o) {
      out[o].dims = layout == 0 ? Dims{dirs, batch, hidden} : Dims{batch, dirs, hidden};
    }
  }

  std::optional<Dims> ReshapeDims(const ir::Node& node, const std::optional<Dims>& in) const {
    const ir::ValueId shape_input = Input(node, 1);
    std::optional<std::vector<ShapeElement>> shape;
    if (node.opset < 5) {
      shape.emplace();
      for (int64_t s : node.GetInts("shape")) shape->push_back(ShapeElement{s, Dim()});
    } else {
      shape = ShapeValue(shape_input);
    }
    if (!shape) {
      // Rank known from the shape input's length.
      std::optional<Dims> s = DimsOf(shape_input);
      if (s && s->size() == 1 && (*s)[0].known()) return Dims(static_cast<size_t>((*s)[0].size), Dim());
      return std::nullopt;
    }
    const bool allow_zero = node.GetInt("allowzero", 0) != 0;
    Dims out(shape->size());
    // What the -1 dim must absorb: the input's dims not matched by an output dim.
    int64_t in_known = 1, out_known = 1;
    std::vector<bool> in_used(in ? in->size() : 0, false);
    int infer_at = -1;
    Dims read_dims;
    for (size_t i = 0; i < shape->size(); ++i) {
      if (!(*shape)[i].literal) {
        // A dim read from a Shape at run time. Unless allowzero, a 0 there copies the input's
        // dim i instead: the output dim is that symbol only where the two provably agree.
        const Dim& d = (*shape)[i].dim;
        if (allow_zero || (in && i < in->size() && (*in)[i].SameAs(d))) out[i] = d;
        read_dims.push_back(d);
        continue;
      }
      const int64_t s = *(*shape)[i].literal;
      if (s == 0 && !allow_zero) {
        if (!in || i >= in->size()) return std::nullopt;
        out[i] = (*in)[i];
        in_used[i] = true;
      } else if (s == -1) {
        if (infer_at >= 0) return std::nullopt;
        infer_at = static_cast<int>(i);
      } else if (s >= 0) {
        out[i] = Dim::Of(s);
        out_known *= s;
      } else {
        return std::nullopt;
      }
    }
    if (infer_at < 0) return out;
    if (!in) return out;  // the -1 dim stays unknown
    // The -1 dim absorbs what no output dim matches: cancel each dim read from a Shape against
    // an input dim (after the 0s took theirs).
    for (const Dim& d : read_dims) {
      bool matched = false;
      for (size_t j = 0; j < in->size() && !matched; ++j) {
        if (!in_used[j] && !(*in)[j].known() && (*in)[j].SameAs(d)) in_used[j] = matched = true;
      }
      if (!matched) return out;
    }
    std::vector<std::string> in_symbols;
    for (size_t i = 0; i < in->size(); ++i) {
      if (in_used[i]) continue;
      if ((*in)[i].known()) {
        in_known *= (*in)[i].size;
      } else if ((*in)[i].name.empty()) {
        return out;  // an anonymous unknown: nothing to say about -1
      } else {
        in_symbols.push_back((*in)[i].name);
      }
    }
    if (in_symbols.empty()) {
      if (out_known > 0 && in_known % out_known == 0)
        out[static_cast<size_t>(infer_at)] = Dim::Of(in_known / out_known);
    } else if (in_symbols.size() == 1 && in_known == out_known) {
      out[static_cast<size_t>(infer_at)] = Dim{kDynamicDim, in_symbols[0]};
    }
    return out;
  }

  std::optional<Dims> SqueezeDims(const ir::Node& node, const std::optional<Dims>& in) const {
    if (!in) return std::nullopt;
    bool present = false;
    std::optional<std::vector<int64_t>> axes = Axes(node, "axes", 13, 1, present);
    if (!axes) return std::nullopt;
    std::vector<bool> drop(in->size(), false);
    if (!present || axes->empty()) {
      for (size_t i = 0; i < in->size(); ++i) {
        if (!(*in)[i].known()) return std::nullopt;  // the rank depends on it
        drop[i] = (*in)[i].size == 1;
      }
    } else {
      for (int64_t a : *axes) {
        std::optional<int64_t> axis = Normalize(a, in->size());
        if (!axis) return std::nullopt;
        drop[static_cast<size_t>(*axis)] = true;
      }
    }
    Dims out;
    for (size_t i = 0; i < in->size(); ++i) {
      if (!drop[i]) out.push_back((*in)[i]);
    }
    return out;
  }

  std::optional<Dims> UnsqueezeDims(const ir::Node& node, const std::optional<Dims>& in) const {
    if (!in) return std::nullopt;
    bool present = false;
    std::optional<std::vector<int64_t>> axes = Axes(node, "axes", 13, 1, present);
    if (!axes || !present) return std::nullopt;
    const size_t rank = in->size() + axes->size();
    std::vector<bool> inserted(rank, false);
    for (int64_t a : *axes) {
      std::optional<int64_t> axis = Normalize(a, rank);
      if (!axis || inserted[static_cast<size_t>(*axis)]) return std::nullopt;
      inserted[static_cast<size_t>(*axis)] = true;
    }
    Dims out;
    size_t next = 0;
    for (size_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? Dim::Of(1) : (*in)[next++]);
    return out;
  }

  std::optional<Dims> ConcatDims(const ir::Node& node) const {
    std::vector<Dims> parts;
    for (ir::ValueId in : node.inputs) {
      std::optional<Dims> d = DimsOf(in);
      if (!d) return std::nullopt;
      if (!parts.empty() && d->size() != parts[0].size()) return std::nullopt;
      parts.push_back(std::move(*d));
    }
    if (parts.empty()) return std::nullopt;
    std::optional<int64_t> axis = Normalize(node.GetInt("axis", 0), parts[0].size());
    if (!axis) return std::nullopt;
    Dims out = parts[0];
    int64_t total = 0;
    for (const Dims& p : parts) {
      for (size_t i = 0; i < out.size(); ++i) {
        if (static_cast<int64_t>(i) == *axis) continue;
        if (!out[i].known() && (p[i].known() || out[i].name.empty())) out[i] = p[i];
      }
      const Dim& a = p[static_cast<size_t>(*axis)];
      total = total >= 0 && a.known() ? total + a.size : -1;
    }
    out[static_cast<size_t>(*axis)] = parts.size() == 1 ? parts[0][static_cast<size_t>(*axis)]
                                      : total >= 0      ? Dim::Of(total)
                                                        : Dim();
    return out;
  }

  std::optional<Dims> SliceDims(const ir::Node& node, const std::optional<Dims>& in) const {
    if (!in) return std::nullopt;
    std::vector<int64_t> starts, ends, axes, steps;
    if (node.opset < 10) {
      starts = node.GetInts("starts");
      ends = node.GetInts("ends");
      axes = node.GetInts("axes");
    } else {
      std::optional<std::vector<int64_t>> s = ConstInts(Input(node, 1)), e = ConstInts(Input(node, 2));
      if (!s || !e) return std::nullopt;
      starts = *s;
      ends = *e;
      if (Input(node, 3) != ir::kNoValue) {
        std::optional<std::vector<int64_t>> a = ConstInts(Input(node, 3));
        if (!a) return std::nullopt;
        axes = *a;
      }
      if (Input(node, 4) != ir::kNoValue) {
        std::optional<std::vector<int64_t>> st = ConstInts(Input(node, 4));
        if (!st) return std::nullopt;
        steps = *st;
      }
    }
    if (axes.empty()) {
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
      return std::nullopt;
    }
    Dims out = *in;
    for (size_t i = 0; i < starts.size(); ++i) {
      std::optional<int64_t> axis = Normalize(axes[i], in->size());
      if (!axis || steps[i] == 0) return std::nullopt;
      Dim& d = out[static_cast<size_t>(*axis)];
      int64_t start = starts[i], end = ends[i];
      const int64_t step = steps[i];
      if (!d.known()) {
        // Only the whole-axis slice keeps an unknown dim.
        if (!(start == 0 && step == 1 && end >= std::numeric_limits<int32_t>::max())) d = Dim();
        continue;
      }
      const int64_t dim = d.size;
      if (start < 0) start = start < -dim ? 0 : start + dim;
      if (end < 0) end = end < -dim ? -1 : end + dim;
      int64_t length = 0;
      if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        end = std::clamp<int64_t>(end, 0, dim);
        length = end > start ? (end - start + step - 1) / step : 0;
      } else {
        start = std::clamp<int64_t>(start, 0, dim - 1);
        end = std::clamp<int64_t>(end, -1, dim - 1);
        length = start > end ? (start - end - step - 1) / -step : 0;
      }
      d = Dim::Of(length);
    }
    return out;
  }

  std::optional<Dims> ReduceDims(const ir::Node& node, const std::optional<Dims>& in) const {
    static const std::set<std::string> kReduce = {"ReduceSum",       "ReduceMean",     "ReduceMax", "ReduceMin",
                                                  "ReduceProd",      "ReduceL1",       "ReduceL2",  "ReduceLogSum",
                                                  "ReduceLogSumExp", "ReduceSumSquare"};
    if (!in || kReduce.count(node.op_type) == 0) return std::nullopt;
    bool present = false;
    const int since = node.op_type == "ReduceSum" ? 13 : 18;
    std::optional<std::vector<int64_t>> axes = Axes(node, "axes", since, 1, present);
    if (!axes) return std::nullopt;
    const bool keep = node.GetInt("keepdims", 1) != 0;
    std::vector<bool> reduced(in->size(), false);
    if (axes->empty()) {
      if (node.GetInt("noop_with_empty_axes", 0) != 0) return in;
      reduced.assign(in->size(), true);
    }
    for (int64_t a : *axes) {
      std::optional<int64_t> axis = Normalize(a, in->size());
      if (!axis) return std::nullopt;
      reduced[static_cast<size_t>(*axis)] = true;
    }
    Dims out;
    for (size_t i = 0; i < in->size(); ++i) {
      if (!reduced[i]) {
        out.push_back((*in)[i]);
      } else if (keep) {
        out.push_back(Dim::Of(1));
      }
    }
    return out;
  }

  std::optional<Dims> PadDims(const ir::Node& node, const std::optional<Dims>& in) const {
    if (!in) return std::nullopt;
    std::optional<std::vector<int64_t>> pads =
        node.opset < 11 ? std::optional<std::vector<int64_t>>(node.GetInts("pads")) : ConstInts(Input(node, 1));
    // Opset 18's axes input restricts the pads to some axes: left to run time.
    if (!pads || pads->size() != 2 * in->size() || Input(node, 3) != ir::kNoValue) return std::nullopt;
    Dims out = *in;
    const size_t rank = in->size();
    for (size_t i = 0; i < rank; ++i) {
      const int64_t added = (*pads)[i] + (*pads)[i + rank];
      if (added == 0) continue;
      out[i] = out[i].known() && out[i].size + added >= 0 ? Dim::Of(out[i].size + added) : Dim();
    }
    return out;
  }

  static OutputType ConstantNodeType(const ir::Node& node) {
    if (const ir::Attribute* a = node.Find("value"); a && a->kind == ir::Attribute::Kind::kTensor && a->t.defined()) {
      Dims d;
      for (int64_t s : a->t.shape()) d.push_back(Dim::Of(s));
      return {a->t.dtype(), d};
    }
    if (node.Has("value_float")) return {DType::kFloat32, Dims{}};
    if (node.Has("value_int")) return {DType::kInt64, Dims{}};
    if (node.Has("value_string")) return {DType::kString, Dims{}};
    const auto size = [](size_t n) { return Dims{Dim::Of(static_cast<int64_t>(n))}; };
    if (node.Has("value_floats")) return {DType::kFloat32, size(node.GetFloats("value_floats").size())};
    if (node.Has("value_ints")) return {DType::kInt64, size(node.GetInts("value_ints").size())};
    if (node.Has("value_strings")) return {DType::kString, size(node.GetStrings("value_strings").size())};
    return {};
  }

  void InferSplit(const ir::Node& node, const std::optional<Dims>& in, const std::optional<DType>& dtype,
                  std::vector<OutputType>& out) const {
    for (OutputType& o : out) o.dtype = dtype;
    if (!in) return;
    std::optional<int64_t> axis = Normalize(node.GetInt("axis", 0), in->size());
    if (!axis) return;
    const Dim whole = (*in)[static_cast<size_t>(*axis)];
    const size_t n = out.size();
    std::vector<Dim> parts(n);
    std::optional<std::vector<int64_t>> split;
    if (node.opset < 13 && node.Has("split")) {
      split = node.GetInts("split");
    } else if (node.opset >= 13 && Input(node, 1) != ir::kNoValue) {
      split = ConstInts(Input(node, 1));
      if (!split) return;
    }
    if (split) {
      if (split->size() != n) return;
      for (size_t i = 0; i < n; ++i) parts[i] = (*split)[i] >= 0 ? Dim::Of((*split)[i]) : Dim();
    } else if (whole.known()) {
      const int64_t count = static_cast<int64_t>(n);
      if (node.opset >= 18) {
        // num_outputs: equal chunks of ceil(dim / n), the last one smaller.
        const int64_t chunk = (whole.size + count - 1) / count;
        for (size_t i = 0; i < n; ++i) {
          parts[i] = Dim::Of(std::max<int64_t>(0, std::min(chunk, whole.size - chunk * static_cast<int64_t>(i))));
        }
      } else if (whole.size % count == 0) {
        for (size_t i = 0; i < n; ++i) parts[i] = Dim::Of(whole.size / count);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      Dims d = *in;
      d[static_cast<size_t>(*axis)] = parts[i];
      out[i].dims = d;
    }
  }

  const ir::Graph& graph_;
  const std::vector<ir::ValueType>& types_;
  const GraphIndex index_;
};

/// Merges `inferred` into `type`; true when `type` became more precise. A contradiction with
/// what `type` already knows (dtype, rank or a known dim) leaves that part as declared.
bool Refine(ir::ValueType& type, const OutputType& inferred) {
  if (type.kind != ir::ValueKind::kTensor) return false;
  bool changed = false;
  if (inferred.dtype) {
    if (!type.has_dtype) {
      type.dtype = *inferred.dtype;
      type.has_dtype = true;
      changed = true;
    } else if (type.dtype != *inferred.dtype) {
      return false;
    }
  }
  if (!inferred.dims) return changed;
  const Dims& dims = *inferred.dims;
  if (type.has_shape) {
    if (type.shape.size() != dims.size()) return changed;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (type.shape[i] >= 0 && dims[i].known() && type.shape[i] != dims[i].size) return changed;
    }
  } else {
    type.has_shape = true;
    type.shape.assign(dims.size(), kDynamicDim);
    type.dim_names.clear();
    changed = true;
  }
  std::vector<std::string> names = type.dim_names;
  names.resize(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (type.shape[i] >= 0) {
      names[i].clear();
      continue;
    }
    if (dims[i].known()) {
      type.shape[i] = dims[i].size;
      names[i].clear();
      changed = true;
    } else if (names[i].empty() && !dims[i].name.empty()) {
      names[i] = dims[i].name;
      changed = true;
    }
  }
  if (std::all_of(names.begin(), names.end(), [](const std::string& n) { return n.empty(); })) names.clear();
  type.dim_names = std::move(names);
  return changed;
}

/// Refines `types` (one per value of `graph`) node by node, in graph order; values marked
/// `frozen` keep their types. Returns how many values became more precise.
int Propagate(const ir::Graph& graph, std::vector<ir::ValueType>& types, const std::vector<bool>& frozen) {
  int refined = 0;
  const Inferrer inferrer(graph, types);
  for (const ir::Node& node : graph.nodes()) {
    std::vector<OutputType> inferred = inferrer.Infer(node);
    for (size_t o = 0; o < inferred.size() && o < node.outputs.size(); ++o) {
      const ir::ValueId v = node.outputs[o];
      if (v == ir::kNoValue || frozen[static_cast<size_t>(v)]) continue;
      if (Refine(types[static_cast<size_t>(v)], inferred[o])) ++refined;
    }
  }
  return refined;
}

/// Graph inputs (whose declared shapes requests are checked against) and constants.
std::vector<bool> SourceValues(const ir::Graph& graph) {
  std::vector<bool> source(graph.num_values(), false);
  for (ir::ValueId in : graph.inputs()) source[static_cast<size_t>(in)] = true;
  for (size_t v = 0; v < graph.num_values(); ++v) {
    if (graph.value(static_cast<ir::ValueId>(v)).constant) source[v] = true;
  }
  return source;
}

}  // namespace

bool IsFullyKnown(const ir::ValueType& type) {
  return type.kind == ir::ValueKind::kTensor && type.has_shape &&
         std::all_of(type.shape.begin(), type.shape.end(), [](int64_t d) { return d >= 0; });
}

std::vector<ir::ValueType> DeriveTypes(const ir::Graph& graph) {
  const std::vector<bool> source = SourceValues(graph);
  std::vector<ir::ValueType> types(graph.num_values());
  for (size_t v = 0; v < graph.num_values(); ++v) {
    const ir::ValueType& declared = graph.value(static_cast<ir::ValueId>(v)).type;
    if (source[v]) {
      types[v] = declared;
    } else {
      types[v].kind = declared.kind;
    }
  }
  // An unnamed dynamic dim of a graph input is still one fixed size per request: give it a
  // private symbol so that what is copied from it is known to be equal to it ([?,3] reshaped to
  // [0,3] or [-1,3] is a no-op).
  for (ir::ValueId in : graph.inputs()) {
    ir::ValueType& type = types[static_cast<size_t>(in)];
    if (!type.has_shape) continue;
    type.dim_names.resize(type.shape.size());
    for (size_t d = 0; d < type.shape.size(); ++d) {
      if (type.shape[d] < 0 && type.dim_names[d].empty()) {
        type.dim_names[d] = "\x1f" + graph.value(in).name + "[" + std::to_string(d) + "]";
      }
    }
  }
  Propagate(graph, types, source);
  return types;
}

Result<int> InferShapes(ir::Graph& graph, const PassContext& /*context*/) {
  std::vector<ir::ValueType> types(graph.num_values());
  for (size_t v = 0; v < graph.num_values(); ++v) types[v] = graph.value(static_cast<ir::ValueId>(v)).type;
  const int refined = Propagate(graph, types, SourceValues(graph));
  for (size_t v = 0; v < graph.num_values(); ++v) graph.value(static_cast<ir::ValueId>(v)).type = std::move(types[v]);
  return refined;
}

}  // namespace mlserving::optimizer

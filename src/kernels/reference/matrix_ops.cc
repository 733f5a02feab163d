// Matrix ops that are not plain products: Einsum (general, by index loops) and Det.

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

// ---- Einsum

/// Labels are 0..51 for the letters a-z, A-Z (ordered as in ASCII: upper case first) and 52+j for
/// the j-th broadcast dim covered by an ellipsis.
constexpr int kEllipsisBase = 52;

int LetterLabel(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

/// One term of the equation: its letters' labels in order, with -1 standing for the ellipsis.
struct Term {
  std::vector<int> items;
  bool has_ellipsis = false;
};

Result<Term> ParseTerm(const std::string& text) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '.') {
      if (term.has_ellipsis || text.compare(i, 3, "...") != 0) return InvalidArgument("bad ellipsis in einsum term");
      term.has_ellipsis = true;
      term.items.push_back(-1);
      i += 2;
      continue;
    }
    const int label = LetterLabel(text[i]);
    if (label < 0) return InvalidArgument(std::string("invalid einsum label '") + text[i] + "'");
    term.items.push_back(label);
  }
  return term;
}

/// The parsed equation: input terms and the output term (nullopt-like `explicit_output` false when
/// the equation has no "->").
struct Equation {
  std::vector<Term> inputs;
  Term output;
  bool explicit_output = false;
};

Result<Equation> ParseEquation(const std::string& raw) {
  std::string eq;
  for (char c : raw) {
    if (c != ' ') eq += c;
  }
  Equation e;
  const size_t arrow = eq.find("->");
  const std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
  if (arrow != std::string::npos) {
    e.explicit_output = true;
    ASSIGN_OR_RETURN(e.output, ParseTerm(eq.substr(arrow + 2)));
  }
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    ASSIGN_OR_RETURN(Term t,
                     ParseTerm(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    e.inputs.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return e;
}

/// Einsum(inputs...): sums the product of the operands over every label that is not in the output.
/// Repeated labels in one operand take its diagonal; ellipses broadcast numpy-style (size-1 dims
/// broadcast for letters too). Without "->" the output is the ellipsis dims followed by the labels
/// used once, in alphabetical order. Floats accumulate in double, integers wrap in 64 bits.
class EinsumKernel : public Kernel {
 public:
  explicit EinsumKernel(Equation eq) : eq_(std::move(eq)) {}

  Status Compute(KernelContext& ctx) const override {
    const size_t n_ops = eq_.inputs.size();
    if (ctx.num_inputs() != n_ops) {
      return InvalidArgument("einsum equation has " + std::to_string(n_ops) + " terms but got " +
                             std::to_string(ctx.num_inputs()) + " inputs");
    }
    std::vector<const Tensor*> ops(n_ops);
    for (size_t k = 0; k < n_ops; ++k) {
      ASSIGN_OR_RETURN(ops[k], RequiredInput(ctx, k));
      if (ops[k]->dtype() != ops[0]->dtype()) return InvalidArgument("einsum inputs must share one element type");
    }
    // Expand each term to one label per dim.
    int64_t ellipsis_rank = 0;
    std::vector<std::vector<int>> dim_labels(n_ops);
    for (size_t k = 0; k < n_ops; ++k) {
      const Term& t = eq_.inputs[k];
      const int64_t letters = static_cast<int64_t>(t.items.size()) - (t.has_ellipsis ? 1 : 0);
      const int64_t covered = ops[k]->rank() - letters;
      if (covered < 0 || (!t.has_ellipsis && covered != 0)) {
        return InvalidArgument("einsum term " + std::to_string(k) + " does not match " + ops[k]->DebugString());
      }
      ellipsis_rank = std::max(ellipsis_rank, covered);
    }
    constexpr int kNumLabels = kEllipsisBase + 64;
    if (ellipsis_rank > 64) return InvalidArgument("einsum ellipsis covers too many dims");
    std::vector<int64_t> label_size(kNumLabels, -1);
    std::vector<int> uses(kNumLabels, 0);
    for (size_t k = 0; k < n_ops; ++k) {
      const Term& t = eq_.inputs[k];
      const int64_t letters = static_cast<int64_t>(t.items.size()) - (t.has_ellipsis ? 1 : 0);
      const int64_t covered = ops[k]->rank() - letters;
      for (int item : t.items) {
        if (item >= 0) {
          dim_labels[k].push_back(item);
          continue;
        }
        for (int64_t j = 0; j < covered; ++j) {
          dim_labels[k].push_back(kEllipsisBase + static_cast<int>(ellipsis_rank - covered + j));
        }
      }
      for (size_t d = 0; d < dim_labels[k].size(); ++d) {
        const int label = dim_labels[k][d];
        const int64_t size = ops[k]->shape()[d];
        ++uses[static_cast<size_t>(label)];
        int64_t& known = label_size[static_cast<size_t>(label)];
        if (known == -1 || known == 1) {
          known = size;
        } else if (size != 1 && size != known) {
          return InvalidArgument("einsum label sizes do not match for input " + std::to_string(k));
        }
      }
    }
    // Output labels.
    std::vector<int> out_labels;
    if (eq_.explicit_output) {
      for (int item : eq_.output.items) {
        if (item >= 0) {
          if (label_size[static_cast<size_t>(item)] == -1) return InvalidArgument("einsum output label is unknown");
          if (std::count(out_labels.begin(), out_labels.end(), item) != 0) {
            return InvalidArgument("einsum output label is repeated");
          }
          out_labels.push_back(item);
        } else {
          for (int64_t j = 0; j < ellipsis_rank; ++j) out_labels.push_back(kEllipsisBase + static_cast<int>(j));
        }
      }
    } else {
      for (int64_t j = 0; j < ellipsis_rank; ++j) out_labels.push_back(kEllipsisBase + static_cast<int>(j));
      for (int label = 0; label < kEllipsisBase; ++label) {
        if (uses[static_cast<size_t>(label)] == 1) out_labels.push_back(label);
      }
    }
    std::vector<int> sum_labels;
    for (int label = 0; label < kNumLabels; ++label) {
      if (label_size[static_cast<size_t>(label)] != -1 &&
          std::find(out_labels.begin(), out_labels.end(), label) == out_labels.end()) {
        sum_labels.push_back(label);
      }
    }
    // Per-operand stride of every label (summed over repeated dims; 0 where it broadcasts).
    std::vector<std::vector<int64_t>> label_stride(n_ops, std::vector<int64_t>(kNumLabels, 0));
    for (size_t k = 0; k < n_ops; ++k) {
      const std::vector<int64_t> strides = ContiguousStrides(ops[k]->shape());
      for (size_t d = 0; d < dim_labels[k].size(); ++d) {
        const auto label = static_cast<size_t>(dim_labels[k][d]);
        if (ops[k]->shape()[d] != 1 || label_size[label] == 1) label_stride[k][label] += strides[d];
      }
    }
    Shape out_shape, sum_shape;
    for (int label : out_labels) out_shape.push_back(label_size[static_cast<size_t>(label)]);
    for (int label : sum_labels) sum_shape.push_back(label_size[static_cast<size_t>(label)]);
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(ops[0]->dtype(), out_shape));
    // The offset tables hold one entry per point of each index space; bound the summed one as an
    // output would be bounded.
    const std::optional<int64_t> sum_points = CheckedNumElements(sum_shape);
    if (!sum_points || *sum_points > ctx.max_tensor_elements) {
      return ResourceExhausted("einsum sums over too many index combinations");
    }
    const std::vector<std::vector<int64_t>> out_offsets = Offsets(out_shape, out_labels, label_stride);
    const std::vector<std::vector<int64_t>> sum_offsets = Offsets(sum_shape, sum_labels, label_stride);
    RETURN_IF_ERROR(DispatchNumeric(ops[0]->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using Acc = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;
      std::vector<const T*> data(n_ops);
      for (size_t k = 0; k < n_ops; ++k) data[k] = ops[k]->data<T>();
      T* po = out.data<T>();
      const size_t n_out = out_offsets.empty() ? 0 : out_offsets[0].size();
      const size_t n_sum = sum_offsets.empty() ? 0 : sum_offsets[0].size();
      for (size_t i = 0; i < n_out; ++i) {
        Acc acc = 0;
        for (size_t j = 0; j < n_sum; ++j) {
          Acc prod = 1;
          for (size_t k = 0; k < n_ops; ++k) {
            const T& v = data[k][out_offsets[k][i] + sum_offsets[k][j]];
            if constexpr (std::is_integral_v<T>) {
              prod *= static_cast<Acc>(v);
            } else {
              prod *= static_cast<double>(Widen(v));
            }
          }
          acc += prod;
        }
        if constexpr (std::is_integral_v<T>) {
          po[i] = static_cast<T>(acc);
        } else {
          po[i] = ConvertNumber<T>(acc);
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  /// For each operand, the element offset contributed by every point of the row-major index space
  /// over `labels` (of `shape`).
  static std::vector<std::vector<int64_t>> Offsets(const Shape& shape, const std::vector<int>& labels,
                                                   const std::vector<std::vector<int64_t>>& label_stride) {
    const int64_t total = NumElements(shape);
    std::vector<std::vector<int64_t>> offsets(label_stride.size());
    for (size_t k = 0; k < label_stride.size(); ++k) {
      offsets[k].reserve(static_cast<size_t>(total));
      std::vector<int64_t> index(shape.size(), 0);
      int64_t offset = 0;
      for (int64_t i = 0; i < total; ++i) {
        offsets[k].push_back(offset);
        for (size_t d = shape.size(); d-- > 0;) {
          const int64_t stride = label_stride[k][static_cast<size_t>(labels[d])];
          ++index[d];
          offset += stride;
          if (index[d] < shape[d]) break;
          offset -= stride * shape[d];
          index[d] = 0;
        }
      }
    }
    return offsets;
  }

  Equation eq_;
};

// ---- Det

/// Det(X [..., M, M]): determinants by LU decomposition with partial pivoting, computed in double.
Status ComputeDet(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
  if (x->rank() < 2 || x->dim(x->rank() - 1) != x->dim(x->rank() - 2)) {
    return InvalidArgument("Det expects [..., M, M], got " + x->DebugString());
  }
  const int64_t m = x->dim(x->rank() - 1);
  const Shape out_shape(x->shape().begin(), x->shape().end() - 2);
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), out_shape));
  RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* in = x->data<T>();
    T* po = out.data<T>();
    std::vector<double> a(static_cast<size_t>(m * m));
    for (int64_t b = 0; b < out.num_elements(); ++b) {
      for (int64_t i = 0; i < m * m; ++i) a[static_cast<size_t>(i)] = ConvertNumber<double>(in[b * m * m + i]);
      auto at = [&](int64_t r, int64_t c) -> double& { return a[static_cast<size_t>(r * m + c)]; };
      double det = 1;
      for (int64_t col = 0; col < m; ++col) {
        int64_t pivot = col;
        for (int64_t r = col + 1; r < m; ++r) {
          if (std::fabs(at(r, col)) > std::fabs(at(pivot, col))) pivot = r;
        }
        if (at(pivot, col) == 0) {
          det = 0;
          break;
        }
        if (pivot != col) {
          for (int64_t c = 0; c < m; ++c) std::swap(at(pivot, c), at(col, c));
          det = -det;
        }
        det *= at(col, col);
        for (int64_t r = col + 1; r < m; ++r) {
          const double f = at(r, col) / at(col, col);
          for (int64_t c = col; c < m; ++c) at(r, c) -= f * at(col, c);
        }
      }
      po[b] = ConvertNumber<T>(det);
    }
    return Status::Ok();
  }));
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

}  // namespace

void RegisterMatrixKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "Einsum", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    if (!node.Has("equation")) return InvalidArgument("Einsum needs the attribute 'equation'");
    ASSIGN_OR_RETURN(Equation eq, ParseEquation(node.GetString("equation", "")));
    return std::unique_ptr<Kernel>(std::make_unique<EinsumKernel>(std::move(eq)));
  });
  registry.Register(kOnnxDomain, "Det", [](const ir::Node&) { return MakeKernel(ComputeDet); });
}

}  // namespace mlserving::kernels::reference

// Selection ops that sort or deduplicate: TopK, Unique and NonMaxSuppression.

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// Strict weak order on element values; NaN sorts above every number (as numpy's sort puts it last).
template <typename T>
bool ValueLess(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
    return a < b;
  } else {
    const auto x = Widen(a), y = Widen(b);
    if (IsNaNValue(x)) return false;
    if (IsNaNValue(y)) return true;
    return x < y;
  }
}

// ---- TopK

/// TopK(X, K): the K largest (or smallest) elements along `axis` and their int64 indices. Equal
/// values keep the lower index first. The result is always sorted, which `sorted=0` permits.
/// Before opset 10, K is the attribute `k`.
class TopKKernel : public Kernel {
 public:
  TopKKernel(int64_t axis, bool largest, std::optional<int64_t> attr_k)
      : axis_(axis), largest_(largest), attr_k_(attr_k) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    int64_t k = attr_k_.value_or(0);
    if (!attr_k_) {
      ASSIGN_OR_RETURN(const Tensor* k_t, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInt64s(*k_t, "K"));
      if (kv.size() != 1) return InvalidArgument("TopK K must hold one value, got " + k_t->DebugString());
      k = kv[0];
    }
    ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, x->rank()));
    const auto ax = static_cast<size_t>(axis);
    const Shape& s = x->shape();
    const int64_t dim = s[ax];
    if (k < 0 || k > dim) {
      return InvalidArgument("TopK K=" + std::to_string(k) + " is out of range for an axis of " + std::to_string(dim));
    }
    Shape out_shape = s;
    out_shape[ax] = k;
    ASSIGN_OR_RETURN(Tensor values, ctx.Allocate(x->dtype(), out_shape));
    ASSIGN_OR_RETURN(Tensor indices, ctx.Allocate(DType::kInt64, out_shape));
    const int64_t outer = DimProduct(s, 0, ax);
    const int64_t inner = DimProduct(s, ax + 1, s.size());
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x->data<T>();
      T* pv = values.data<T>();
      int64_t* pi = indices.data<int64_t>();
      std::vector<int64_t> order(static_cast<size_t>(dim));
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const T* line = in + o * dim * inner + i;
          std::iota(order.begin(), order.end(), 0);
          auto before = [&](int64_t a, int64_t b) {
            const T& va = line[a * inner];
            const T& vb = line[b * inner];
            if (largest_ ? ValueLess(vb, va) : ValueLess(va, vb)) return true;
            if (largest_ ? ValueLess(va, vb) : ValueLess(vb, va)) return false;
            return a < b;
          };
          std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
          for (int64_t j = 0; j < k; ++j) {
            const int64_t at = (o * k + j) * inner + i;
            pv[at] = line[order[static_cast<size_t>(j)] * inner];
            pi[at] = order[static_cast<size_t>(j)];
          }
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(values));
    SetOutput(ctx, 1, std::move(indices));
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool largest_;
  std::optional<int64_t> attr_k_;
};

// ---- Unique

/// Unique(X): the distinct elements of the flattened X, or the distinct slices along `axis`.
/// Outputs Y, indices (first occurrence of each), inverse_indices (for every input element or slice)
/// and counts. With sorted=1 Y is in ascending (lexicographic for slices) order; otherwise in order
/// of first occurrence.
class UniqueKernel : public Kernel {
 public:
  UniqueKernel(bool sorted, std::optional<int64_t> axis) : sorted_(sorted), axis_(axis) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    Shape s = x->shape();
    size_t ax = 0;
    if (axis_) {
      ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(*axis_, x->rank()));
      ax = static_cast<size_t>(axis);
    } else {
      s = {x->num_elements()};
    }
    const int64_t n = s[ax];
    const int64_t outer = DimProduct(s, 0, ax);
    const int64_t inner = DimProduct(s, ax + 1, s.size());
    Tensor y;
    std::vector<int64_t> firsts, inverse(static_cast<size_t>(n)), counts;
    RETURN_IF_ERROR(DispatchDType(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* in = x->data<T>();
      // Slice j holds the elements (o, j, i) in (o, i) row-major order.
      auto slice_less = [&](int64_t a, int64_t b) {
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t i = 0; i < inner; ++i) {
            const T& va = in[(o * n + a) * inner + i];
            const T& vb = in[(o * n + b) * inner + i];
            if (ValueLess(va, vb)) return true;
            if (ValueLess(vb, va)) return false;
          }
        }
        return false;
      };
      std::vector<int64_t> order(static_cast<size_t>(n));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), slice_less);
      // Groups of equal slices in sorted order; the first member of each is its first occurrence.
      std::vector<int64_t> group_of(static_cast<size_t>(n));
      std::vector<int64_t> group_first, group_count;
      for (size_t p = 0; p < order.size(); ++p) {
        if (p == 0 || slice_less(order[p - 1], order[p])) {
          group_first.push_back(order[p]);
          group_count.push_back(0);
        }
        group_of[static_cast<size_t>(order[p])] = static_cast<int64_t>(group_first.size()) - 1;
        ++group_count.back();
      }
      // Output position of each group.
      std::vector<int64_t> groups(group_first.size());
      std::iota(groups.begin(), groups.end(), 0);
      if (!sorted_) {
        std::sort(groups.begin(), groups.end(), [&](int64_t a, int64_t b) {
          return group_first[static_cast<size_t>(a)] < group_first[static_cast<size_t>(b)];
        });
      }
      std::vector<int64_t> position(groups.size());
      for (size_t p = 0; p < groups.size(); ++p) position[static_cast<size_t>(groups[p])] = static_cast<int64_t>(p);
      for (int64_t g : groups) {
        firsts.push_back(group_first[static_cast<size_t>(g)]);
        counts.push_back(group_count[static_cast<size_t>(g)]);
      }
      for (int64_t j = 0; j < n; ++j) {
        inverse[static_cast<size_t>(j)] = position[static_cast<size_t>(group_of[static_cast<size_t>(j)])];
      }
      const auto u = static_cast<int64_t>(firsts.size());
      Shape y_shape = axis_ ? x->shape() : Shape{u};
      y_shape[ax] = u;
      ASSIGN_OR_RETURN(y, ctx.Allocate(x->dtype(), y_shape));
      T* py = y.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t p = 0; p < u; ++p) {
          std::copy_n(in + (o * n + firsts[static_cast<size_t>(p)]) * inner, inner, py + (o * u + p) * inner);
        }
      }
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(y));
    const std::vector<int64_t>* extra[] = {&firsts, &inverse, &counts};
    for (size_t i = 0; i < 3 && i + 1 < ctx.outputs.size(); ++i) {
      const std::vector<int64_t>& v = *extra[i];
      ASSIGN_OR_RETURN(Tensor t, ctx.Allocate(DType::kInt64, {static_cast<int64_t>(v.size())}));
      std::copy(v.begin(), v.end(), t.data<int64_t>());
      SetOutput(ctx, i + 1, std::move(t));
    }
    return Status::Ok();
  }

 private:
  bool sorted_;
  std::optional<int64_t> axis_;
};

// ---- NonMaxSuppression

struct Box {
  float y1, x1, y2, x2;
};

/// Intersection over union of two boxes with ordered corners; 0 when either has no area.
float IntersectionOverUnion(const Box& a, const Box& b) {
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return 0;
  const float inter = ih * iw;
  const float area_a = (a.y2 - a.y1) * (a.x2 - a.x1);
  const float area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  const float uni = area_a + area_b - inter;
  return uni <= 0 ? 0 : inter / uni;
}

/// NonMaxSuppression(boxes [B,N,4], scores [B,C,N], max_output_boxes_per_class=0, iou_threshold=0,
/// score_threshold): per batch and class, greedily keeps boxes in descending score order (ties by
/// lower index) whose score exceeds score_threshold and whose IoU with every kept box is at most
/// iou_threshold. Output int64 [M, 3] rows (batch, class, box).
Status ComputeNonMaxSuppression(KernelContext& ctx, bool center_point_box) {
  ASSIGN_OR_RETURN(const Tensor* boxes_t, RequiredInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* scores_t, RequiredInput(ctx, 1));
  if (boxes_t->dtype() != DType::kFloat32 || scores_t->dtype() != DType::kFloat32) {
    return InvalidArgument("NonMaxSuppression boxes and scores must be float32");
  }
  if (boxes_t->rank() != 3 || boxes_t->dim(2) != 4 || scores_t->rank() != 3 || scores_t->dim(0) != boxes_t->dim(0) ||
      scores_t->dim(2) != boxes_t->dim(1)) {
    return InvalidArgument("NonMaxSuppression expects boxes [B,N,4] and scores [B,C,N], got " + boxes_t->DebugString() +
                           " and " + scores_t->DebugString());
  }
  int64_t max_per_class = 0;
  float iou_threshold = 0;
  std::optional<float> score_threshold;
  if (const Tensor* t = ctx.input(2); t != nullptr && t->num_elements() > 0) {
    ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInt64s(*t, "max_output_boxes_per_class"));
    max_per_class = v[0];
  }
  for (size_t i : {size_t{3}, size_t{4}}) {
    const Tensor* t = ctx.input(i);
    if (t == nullptr || t->num_elements() == 0) continue;
    if (t->dtype() != DType::kFloat32) return InvalidArgument("NonMaxSuppression thresholds must be float32");
    if (i == 3) {
      iou_threshold = t->data<float>()[0];
    } else {
      score_threshold = t->data<float>()[0];
    }
  }
  const int64_t batches = boxes_t->dim(0), n = boxes_t->dim(1), classes = scores_t->dim(1);
  const float* pb = boxes_t->data<float>();
  const float* ps = scores_t->data<float>();
  std::vector<int64_t> selected;
  for (int64_t b = 0; b < batches; ++b) {
    std::vector<Box> boxes(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      const float* c = pb + (b * n + j) * 4;
      Box& box = boxes[static_cast<size_t>(j)];
      if (center_point_box) {
        box = {c[1] - c[3] / 2, c[0] - c[2] / 2, c[1] + c[3] / 2, c[0] + c[2] / 2};
      } else {
        box = {std::min(c[0], c[2]), std::min(c[1], c[3]), std::max(c[0], c[2]), std::max(c[1], c[3])};
      }
    }
    for (int64_t c = 0; c < classes; ++c) {
      const float* score = ps + (b * classes + c) * n;
      std::vector<int64_t> candidates;
      for (int64_t j = 0; j < n; ++j) {
        if (!score_threshold || score[j] > *score_threshold) candidates.push_back(j);
      }
      std::stable_sort(candidates.begin(), candidates.end(), [&](int64_t a, int64_t z) { return score[a] > score[z]; });
      std::vector<int64_t> kept;
      for (int64_t j : candidates) {
        if (static_cast<int64_t>(kept.size()) >= max_per_class) break;
        bool suppressed = false;
        for (int64_t k : kept) {
          if (IntersectionOverUnion(boxes[static_cast<size_t>(j)], boxes[static_cast<size_t>(k)]) > iou_threshold) {
            suppressed = true;
            break;
          }
        }
        if (suppressed) continue;
        kept.push_back(j);
        selected.insert(selected.end(), {b, c, j});
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kInt64, {static_cast<int64_t>(selected.size() / 3), 3}));
  std::copy(selected.begin(), selected.end(), out.data<int64_t>());
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

}  // namespace

void RegisterSelectKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "TopK", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    std::optional<int64_t> attr_k;
    if (node.opset < 10) attr_k = node.GetInt("k", 0);
    return std::unique_ptr<Kernel>(
        std::make_unique<TopKKernel>(node.GetInt("axis", -1), node.GetInt("largest", 1) != 0, attr_k));
  });
  registry.Register(kOnnxDomain, "Unique", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    std::optional<int64_t> axis;
    if (node.Has("axis")) axis = node.GetInt("axis", 0);
    return std::unique_ptr<Kernel>(std::make_unique<UniqueKernel>(node.GetInt("sorted", 1) != 0, axis));
  });
  registry.Register(kOnnxDomain, "NonMaxSuppression", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const int64_t format = node.GetInt("center_point_box", 0);
    if (format != 0 && format != 1) return InvalidArgument("center_point_box must be 0 or 1");
    return MakeKernel([format](KernelContext& ctx) { return ComputeNonMaxSuppression(ctx, format == 1); });
  });
}

}  // namespace mlserving::kernels::reference

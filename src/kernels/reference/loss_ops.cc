// Classification losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
//
// Both take scores [N, C, d1..dk] and int32/int64 targets [N, d1..dk]. The per-element loss is
// -weight[t] * logp[n, t, d] with t = target[n, d]; elements whose target equals ignore_index
// contribute 0 and have weight 0. reduction "none" returns the per-element losses, "sum" their
// sum and "mean" their sum divided by the sum of the weights (the element count without weights
// and ignore_index). Accumulation is in double; outputs have the scores' dtype.

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

enum class LossReduction { kNone, kSum, kMean };

Result<LossReduction> ParseLossReduction(const ir::Node& node) {
  const std::string r = node.GetString("reduction", "mean");
  if (r == "none") return LossReduction::kNone;
  if (r == "sum") return LossReduction::kSum;
  if (r == "mean") return LossReduction::kMean;
  return Unimplemented("loss reduction '" + r + "' is not supported");
}

/// The scores converted to double, laid out [N, C, D] (D = product of the trailing dims).
struct Scores {
  std::vector<double> values;
  int64_t n = 0, c = 0, d = 0;
};

template <typename T>
Scores ReadScores(const Tensor& x) {
  Scores s;
  s.n = x.dim(0);
  s.c = x.dim(1);
  s.d = DimProduct(x.shape(), 2, x.shape().size());
  s.values.resize(static_cast<size_t>(x.num_elements()));
  const T* p = x.data<T>();
  for (size_t i = 0; i < s.values.size(); ++i) s.values[i] = ConvertNumber<double>(p[i]);
  return s;
}

/// Replaces the scores by their log-softmax over the class dim (stable: shifts by the max).
void LogSoftmaxOverClasses(Scores& s) {
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t d = 0; d < s.d; ++d) {
      auto at = [&](int64_t c) -> double& { return s.values[static_cast<size_t>((n * s.c + c) * s.d + d)]; };
      double peak = -INFINITY;
      for (int64_t c = 0; c < s.c; ++c) peak = std::max(peak, at(c));
      double sum = 0;
      for (int64_t c = 0; c < s.c; ++c) sum += std::exp(at(c) - peak);
      const double log_sum = std::log(sum) + peak;
      for (int64_t c = 0; c < s.c; ++c) at(c) -= log_sum;
    }
  }
}

/// Writes `values` (double) into a new tensor of `dtype` and `shape`.
Result<Tensor> MakeOutput(const KernelContext& ctx, DType dtype, const Shape& shape,
                          const std::vector<double>& values) {
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, shape));
  RETURN_IF_ERROR(DispatchFloating(dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* po = out.data<T>();
    for (size_t i = 0; i < values.size(); ++i) po[i] = ConvertNumber<T>(values[i]);
    return Status::Ok();
  }));
  return out;
}

/// Computes the loss over log-probabilities `logp` (see the file comment) into output 0.
Status NllFromLogProbs(KernelContext& ctx, const Scores& logp, DType dtype, const Tensor& target, const Tensor* weight,
                       LossReduction reduction, std::optional<int64_t> ignore_index) {
  if (target.rank() < 1 || target.dim(0) != logp.n || target.num_elements() != logp.n * logp.d) {
    return InvalidArgument("target " + target.DebugString() + " does not match the scores");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> labels, ReadInt64s(target, "target"));
  std::vector<double> class_weight;
  if (weight != nullptr) {
    if (weight->rank() != 1 || weight->dim(0) != logp.c || weight->dtype() != dtype) {
      return InvalidArgument("weight must be [C] of the scores' type, got " + weight->DebugString());
    }
    RETURN_IF_ERROR(DispatchFloating(weight->dtype(), [&](auto tag) -> Status {
      const auto* p = weight->data<typename decltype(tag)::type>();
      for (int64_t c = 0; c < logp.c; ++c) class_weight.push_back(ConvertNumber<double>(p[c]));
      return Status::Ok();
    }));
  }
  std::vector<double> losses(labels.size());
  double loss_sum = 0, weight_sum = 0;
  for (int64_t n = 0; n < logp.n; ++n) {
    for (int64_t d = 0; d < logp.d; ++d) {
      const auto i = static_cast<size_t>(n * logp.d + d);
      const int64_t t = labels[i];
      if (ignore_index && t == *ignore_index) continue;
      if (t < 0 || t >= logp.c) {
        return InvalidArgument("target " + std::to_string(t) + " is out of range for " + std::to_string(logp.c) +
                               " classes");
      }
      const double w = class_weight.empty() ? 1.0 : class_weight[static_cast<size_t>(t)];
      losses[i] = -w * logp.values[static_cast<size_t>((n * logp.c + t) * logp.d + d)];
      loss_sum += losses[i];
      weight_sum += w;
    }
  }
  Tensor out;
  switch (reduction) {
    case LossReduction::kNone: {
      ASSIGN_OR_RETURN(out, MakeOutput(ctx, dtype, target.shape(), losses));
      break;
    }
    case LossReduction::kSum: {
      ASSIGN_OR_RETURN(out, MakeOutput(ctx, dtype, {}, {loss_sum}));
      break;
    }
    case LossReduction::kMean: {
      ASSIGN_OR_RETURN(out, MakeOutput(ctx, dtype, {}, {loss_sum / weight_sum}));
      break;
    }
  }
  SetOutput(ctx, 0, std::move(out));
  return Status::Ok();
}

/// NegativeLogLikelihoodLoss(input, target, weight?): `input` already holds log-probabilities.
/// SoftmaxCrossEntropyLoss(scores, labels, weights?): log-softmax over dim 1 first; the optional
/// second output is that log_prob tensor.
class LossKernel : public Kernel {
 public:
  LossKernel(bool softmax, LossReduction reduction, std::optional<int64_t> ignore_index)
      : softmax_(softmax), reduction_(reduction), ignore_index_(ignore_index) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* target, RequiredInput(ctx, 1));
    if (x->rank() < 2) return InvalidArgument("scores must be [N, C, ...], got " + x->DebugString());
    Scores scores;
    RETURN_IF_ERROR(DispatchFloating(x->dtype(), [&](auto tag) -> Status {
      scores = ReadScores<typename decltype(tag)::type>(*x);
      return Status::Ok();
    }));
    if (softmax_) LogSoftmaxOverClasses(scores);
    RETURN_IF_ERROR(NllFromLogProbs(ctx, scores, x->dtype(), *target, ctx.input(2), reduction_, ignore_index_));
    if (softmax_ && ctx.outputs.size() > 1) {
      ASSIGN_OR_RETURN(Tensor log_prob, MakeOutput(ctx, x->dtype(), x->shape(), scores.values));
      SetOutput(ctx, 1, std::move(log_prob));
    }
    return Status::Ok();
  }

 private:
  bool softmax_;
  LossReduction reduction_;
  std::optional<int64_t> ignore_index_;
};

void RegisterLoss(KernelRegistry& registry, const char* op_type, bool softmax) {
  registry.Register(kOnnxDomain, op_type, [softmax](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(const LossReduction reduction, ParseLossReduction(node));
    std::optional<int64_t> ignore_index;
    if (node.Has("ignore_index")) ignore_index = node.GetInt("ignore_index", 0);
    return std::unique_ptr<Kernel>(std::make_unique<LossKernel>(softmax, reduction, ignore_index));
  });
}

}  // namespace

void RegisterLossKernels(KernelRegistry& registry) {
  RegisterLoss(registry, "NegativeLogLikelihoodLoss", /*softmax=*/false);
  RegisterLoss(registry, "SoftmaxCrossEntropyLoss", /*softmax=*/true);
}

}  // namespace mlserving::kernels::reference

#pragma once

#include <string>
#include <vector>

#include "formats/pmml/expression.h"
#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <NaiveBayesModel>: P(k | x) ∝ count(k) · Π_i P(x_i | k) over the BayesInputs whose value is
/// present, normalized over the BayesOutput categories.
///  - discrete inputs (PairCounts, optionally through the BayesInput's DerivedField):
///    P(x | k) = count(x, k) / Σ_x' count(x', k); a value without PairCounts is ignored;
///  - continuous inputs (TargetValueStats): the Gaussian density or the Poisson probability.
/// A conditional probability of zero (or below `threshold`) is replaced by `threshold`.
class NaiveBayesModel final : public Model {
 public:
  struct Input {
    Slot slot = kNoSlot;
    const Expression* transform = nullptr;  ///< the BayesInput's DerivedField, or null
    bool continuous = false;
    /// Discrete: one row per PairCounts value: P(value | k) per class (before the threshold rule).
    std::vector<Value> levels;
    std::vector<double> table;  ///< levels × classes, row-major
    /// Continuous: per class (mean, variance) for Gaussian; (λ, NaN) for Poisson.
    std::vector<std::pair<double, double>> stats;
  };

  NaiveBayesModel(ModelInfo info, std::vector<Input> inputs, std::vector<double> priors, double threshold);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  std::vector<Input> inputs_;
  std::vector<double> priors_;  ///< per class: the BayesOutput counts
  double threshold_;
};

/// Compiles a <NaiveBayesModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileNaiveBayesModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

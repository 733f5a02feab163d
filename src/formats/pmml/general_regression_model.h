#pragma once

#include <string>
#include <vector>

#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <GeneralRegressionModel>: a linear predictor η = Σ β_p · x_p over the ParameterList, where each
/// parameter's x_p is the product of its PPMatrix cells (factor: 1 when the field equals the cell
/// value, or the contrast-matrix entry; covariate: field^value); a parameter without cells is an
/// intercept (x = 1).
///
/// modelType:
///  - regression, generalLinear: η + offset;
///  - generalizedLinear: g⁻¹(η + offset) · trials for linkFunction identity, log, logit, probit,
///    cloglog, loglog, logc, cauchit, power, oddspower, negbin; for classification the value is the
///    probability of the first (non-reference) category and the other one gets 1 - p;
///  - multinomialLogistic: softmax over the categories, η = 0 for targetReferenceCategory;
///  - ordinalMultinomial: cumulative link (cumulativeLink) with per-category thresholds from the
///    PCells that carry targetCategory; P(k) = F(θ_k + η) - F(θ_{k-1} + η);
///  - CoxRegression: cumulative hazard H0(t) · exp(Σ β_p (x_p - referencePoint_p)) at
///    t = endTimeVariable, from the BaselineStratum of baselineStrataVariable (H0 = 0 before the
///    first time, no prediction after maxTime or for an unknown stratum).
/// A missing input that a term needs gives no prediction.
class GeneralRegressionModel final : public Model {
 public:
  enum class Type : uint8_t { kRegression, kGeneralLinear, kGeneralizedLinear, kMultinomial, kOrdinal, kCox };
  enum class Link : uint8_t {
    kIdentity,
    kLog,
    kLogit,
    kProbit,
    kCloglog,
    kLoglog,
    kLogc,
    kCauchit,
    kPower,
    kOddsPower,
    kNegbin
  };

  /// One PPCell: a factor level test (or contrast row lookup) or a covariate power.
  struct Cell {
    Slot slot = kNoSlot;
    bool factor = true;
    Value level;               ///< factor: the level this cell tests
    double exponent = 1;       ///< covariate
    int contrast = -1;         ///< factor with a contrast matrix: index into contrasts_
    int contrast_column = -1;  ///< the column of `level` in that matrix
  };
  struct Parameter {
    int32_t cell_begin = 0;
    int32_t cell_count = 0;
    double reference_point = 0;
  };
  /// One β: parameter index and coefficient.
  struct Beta {
    int32_t parameter;
    double beta;
  };
  /// A factor's contrast matrix: rows follow `levels`.
  struct Contrast {
    std::vector<Value> levels;
    std::vector<std::vector<double>> rows;
  };
  struct BaselineCell {
    double time;
    double cum_hazard;
  };
  struct Stratum {
    Value value;
    double max_time = HUGE_VAL;
    std::vector<BaselineCell> cells;  ///< sorted by time
  };

  struct Spec {
    Type type = Type::kRegression;
    Link link = Link::kIdentity;
    double link_parameter = 1;
    double distribution_parameter = 1;
    Link cumulative_link = Link::kLogit;
    std::vector<Parameter> parameters;
    std::vector<Cell> cells;
    std::vector<Contrast> contrasts;
    /// Per class (aligned with ModelInfo::classes) for classification, one entry otherwise.
    std::vector<std::vector<Beta>> equations;
    std::vector<Beta> shared;        ///< ordinal: the PCells without targetCategory
    std::vector<double> thresholds;  ///< ordinal: θ per class (NaN for the last category)
    int reference_class = -1;        ///< multinomial / binary generalizedLinear
    double offset_value = 0;
    Slot offset_slot = kNoSlot;
    double trials_value = 1;
    Slot trials_slot = kNoSlot;
    Slot end_time_slot = kNoSlot;  ///< Cox
    Slot strata_slot = kNoSlot;    ///< Cox
    std::vector<Stratum> strata;   ///< Cox (one unnamed stratum without baselineStrataVariable)
  };

  GeneralRegressionModel(ModelInfo info, Spec spec);
  Status Score(EvalContext& ctx, Prediction& out) const override;

  /// g⁻¹(η) of `link` (power/oddspower take `parameter`, negbin the distribution parameter).
  static double InverseLink(Link link, double eta, double parameter);

 private:
  /// x_p of parameter `p` for the current row; nullopt when an input it needs is missing.
  std::optional<double> ParameterValue(const Parameter& p, EvalContext& ctx) const;
  /// Σ β x over `betas`, with x centred on the reference points when `centred`.
  std::optional<double> Dot(const std::vector<Beta>& betas, EvalContext& ctx, bool centred) const;
  std::optional<double> Offset(EvalContext& ctx) const;
  Status ScoreCox(EvalContext& ctx, Prediction& out) const;

  Spec spec_;
};

/// Compiles a <GeneralRegressionModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileGeneralRegressionModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

#pragma once

#include <string>
#include <vector>

#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// RegressionModel@normalizationMethod (also used by GeneralRegression-like link functions).
enum class Normalization : uint8_t { kNone, kSimplemax, kSoftmax, kLogit, kProbit, kCloglog, kExp, kLoglog, kCauchit };

/// Parses a normalizationMethod attribute; nullopt when unknown.
std::optional<Normalization> ParseNormalization(std::string_view text);
/// The inverse link of a single value (logit: 1/(1+e^-y), probit: Φ(y), …; none/simplemax/softmax: y).
double InverseLink(Normalization method, double y);
/// Normalizes classification scores in place into probabilities: softmax/simplemax over all;
/// with two classes the second is 1 - the first; otherwise each by InverseLink.
void NormalizeScores(Normalization method, std::vector<double>& scores);

/// <RegressionModel>: one RegressionTable (regression) or one per category (classification) of
/// NumericPredictor (coefficient * x^exponent), CategoricalPredictor (coefficient when equal) and
/// PredictorTerm (coefficient * product of fields) terms.
class RegressionModel final : public Model {
 public:
  struct Term {
    enum class Kind : uint8_t { kNumeric, kCategorical, kProduct };
    Kind kind = Kind::kNumeric;
    Slot slot = kNoSlot;
    double exponent = 1;
    Value category;
    std::vector<Slot> factors;
    double coefficient = 0;
  };
  struct Table {
    double intercept = 0;
    int class_index = -1;
    std::vector<Term> terms;
  };

  RegressionModel(ModelInfo info, std::vector<Table> tables, Normalization normalization);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  /// The table's linear predictor; nullopt when an input it needs is missing.
  std::optional<double> Evaluate(const Table& table, EvalContext& ctx) const;

  std::vector<Table> tables_;
  Normalization normalization_;
};

}  // namespace mlserving::formats::pmml

#pragma once

#include <string>
#include <vector>

#include "formats/pmml/expression.h"
#include "formats/pmml/model.h"
#include "formats/pmml/predicate.h"

namespace mlserving::formats::pmml {

/// <Scorecard>: score = initialScore + Σ over Characteristics of the partial score of the first
/// Attribute whose predicate is true (partialScore, or its ComplexPartialScore expression). A
/// Characteristic without a matching Attribute, or a missing complex score, gives no prediction.
///
/// With useReasonCodes (the default), each Characteristic contributes the difference to its
/// baselineScore (else the model's): baseline - partial for pointsBelow (the default),
/// partial - baseline for pointsAbove, under the Attribute's reasonCode (else the
/// Characteristic's). Differences are summed per reason code and ranked in decreasing order
/// (ties keep document order); codes with a negative sum are no reason and left out (as jpmml
/// does). Prediction::reason_codes holds the ranking; reasonCode outputs past its end are missing.
class Scorecard final : public Model {
 public:
  struct Attribute {
    Predicate predicate;
    double partial_score = 0;
    const Expression* complex = nullptr;  ///< ComplexPartialScore, or null
    int reason_code = -1;                 ///< index into reason_codes_
  };
  struct Characteristic {
    double baseline = 0;
    int32_t begin = 0, count = 0;  ///< attributes
  };

  Scorecard(ModelInfo info, std::vector<Characteristic> characteristics, std::vector<Attribute> attributes,
            std::vector<std::string> reason_codes, double initial_score, bool use_reason_codes, bool points_above);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  std::vector<Characteristic> characteristics_;
  std::vector<Attribute> attributes_;
  std::vector<std::string> reason_codes_;
  double initial_score_;
  bool use_reason_codes_;
  bool points_above_;
};

/// Compiles a <Scorecard> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileScorecard(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

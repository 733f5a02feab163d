#pragma once

#include <string>
#include <vector>

#include "formats/pmml/model.h"
#include "formats/pmml/predicate.h"

namespace mlserving::formats::pmml {

/// <RuleSetModel>: SimpleRules fire when their predicate is true (unknown counts as false);
/// CompoundRules gate their nested rules. The first RuleSelectionMethod decides:
///  - firstHit: the first firing rule (document order) gives score and confidence;
///  - weightedSum: per category the sum of the firing rules' weights; the largest sum wins and
///    confidence(c) = sum(c) / number of firing rules;
///  - weightedMax: the firing rule with the largest weight (the first on ties).
/// Without a firing rule: RuleSet@defaultScore with defaultConfidence (no prediction when absent).
/// The winning rule's ScoreDistribution (when present) gives the probabilities; entity_id is the
/// rule id (its 1-based position among SimpleRules when it has none).
class RuleSetModel final : public Model {
 public:
  enum class Criterion : uint8_t { kFirstHit, kWeightedSum, kWeightedMax };

  /// A SimpleRule or CompoundRule; the children of a compound are nodes [first, first + count).
  struct Rule {
    Predicate predicate;
    bool compound = false;
    int32_t first = 0, count = 0;
    std::string id;
    int class_index = -1;
    double weight = 1;
    double confidence = 1;
    std::vector<double> distribution;  ///< per class probabilities; empty when none
  };

  RuleSetModel(ModelInfo info, std::vector<Rule> rules, int32_t top_count, Criterion criterion, int default_class,
               double default_confidence);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  /// Visits the firing simple rules under [first, first + count) in document order; `visit`
  /// returns false to stop. Returns false when stopped.
  template <typename Visit>
  bool ForEachFiring(EvalContext& ctx, int32_t first, int32_t count, Visit& visit) const;
  void Fill(const Rule& rule, double confidence, Prediction& out) const;

  std::vector<Rule> rules_;
  int32_t top_count_;
  Criterion criterion_;
  int default_class_;
  double default_confidence_;
};

/// Compiles a <RuleSetModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileRuleSetModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

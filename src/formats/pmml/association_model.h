#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <AssociationModel> (association rules): the input is one transaction, the set of values its
/// rows give the model's active (item) field; rows are grouped into transactions by the group
/// MiningField (PmmlDocument::group()). Items unknown to the model are ignored.
///
/// Each ruleValue / entityId / affinity OutputField selects rules with its `algorithm`:
///  - recommendation: the antecedent is a subset of the transaction;
///  - exclusiveRecommendation (the PMML default): that, and the consequent is not;
///  - ruleAssociation: antecedent and consequent are both subsets;
/// ranks them by `rankBasis` (confidence, support, lift, leverage, affinity) in `rankOrder`
/// (ties keep document order) and reports the `rank`-th one's `ruleFeature`: antecedent or
/// consequent ("{a,b}"), rule ("{a}->{b}"), ruleId (AssociationRule@id, else its 1-based position),
/// support, confidence, lift, leverage, affinity. No such rule: a missing value. isMultiValued is
/// not supported (one value per field). The model makes no prediction of its own.
class AssociationModel final : public Model {
 public:
  struct Rule {
    std::vector<int> antecedent;  ///< item indices, sorted
    std::vector<int> consequent;
    double support = 0, confidence = 0;
    double lift = std::nan(""), leverage = std::nan(""), affinity = std::nan("");
    std::string id;
  };
  struct Spec {
    Slot item_slot = kNoSlot;                         ///< the model's view of the item field (one item per row)
    Slot item_source = kNoSlot;                       ///< the input slot a transaction's item collection is set on
    std::vector<std::string> items;                   ///< Item values by index
    std::unordered_map<std::string, int> item_index;  ///< Item value -> index
    std::vector<Rule> rules;
  };

  AssociationModel(ModelInfo info, Spec spec);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  Value RuleFeature(const Rule& rule, const std::string& feature) const;
  std::string Itemset(const std::vector<int>& items) const;

  Spec spec_;
};

/// Compiles an <AssociationModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileAssociationModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

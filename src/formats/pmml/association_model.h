#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <AssociationModel> (association rules): the input is one transaction, in one of two styles
/// (as jpmml-evaluator reads them):
///  - transactional: the set of values its rows give the model's one active (item) field; rows are
///    grouped into transactions by the group MiningField (PmmlDocument::group()), or the active
///    field is a multiset (an Aggregate function="multiset" derived field). An Item matches its
///    `value` (its `category` when it names a `field`). Items unknown to the model are ignored.
///  - one row per transaction, item per field (no group field): an Item with `field` and
///    `category` attributes, or whose value is "field=category", is in the transaction when that
///    field's value equals the category; an Item whose value names a field is a flag, in the
///    transaction when the field is true (true/1; false/0 leave it out, other values fail the
///    row). With a single active field, other Item values are values of that field.
///
/// Each ruleValue / entityId / affinity OutputField selects rules with its `algorithm`:
///  - recommendation: the antecedent is a subset of the transaction;
///  - exclusiveRecommendation (the PMML default): that, and the consequent is not;
///  - ruleAssociation: antecedent and consequent are both subsets;
/// ranks them by `rankBasis` (confidence, support, lift, leverage, affinity) in `rankOrder`
/// (ties keep document order) and reports the `rank`-th one's `ruleFeature`: antecedent or
/// consequent ("{a,b}"), rule ("{a}->{b}"), ruleId (AssociationRule@id, else its 1-based position),
/// support, confidence, lift, leverage, affinity. No such rule: a missing value. A field with
/// isMultiValued="1" gets ranks 1..rank (OutputFieldDef::element_slots, output_values named
/// `name[k]`). The model makes no prediction of its own.
class AssociationModel final : public Model {
 public:
  struct Rule {
    std::vector<int> antecedent;  ///< item indices, sorted
    std::vector<int> consequent;
    double support = 0, confidence = 0;
    double lift = std::nan(""), leverage = std::nan(""), affinity = std::nan("");
    std::string id;
  };
  /// An item of the item-per-field style: `category` of the field in `slot`, or the field as a flag.
  struct FieldItem {
    int item = -1;
    Slot slot = kNoSlot;
    std::string field;  ///< for messages
    std::string category;
    bool flag = false;
  };
  struct Spec {
    Slot item_slot = kNoSlot;                         ///< the model's view of the item field (one item per row)
    Slot item_source = kNoSlot;                       ///< the input slot a transaction's item collection is set on
    std::vector<FieldItem> field_items;               ///< item-per-field style items
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

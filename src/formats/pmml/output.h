#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/field_table.h"
#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

class Expression;
class Scope;
struct ModelInfo;

/// OutputField@feature.
enum class ResultFeature : uint8_t {
  kPredictedValue,
  kPredictedDisplayValue,
  kProbability,
  kConfidence,
  kAffinity,  ///< affinity, entityAffinity, clusterAffinity
  kEntityId,
  kClusterId,
  kReasonCode,
  kTransformedValue,
  kDecision,
  kRuleValue,
  kStandardError,
  kResidual,
  kWarning,
};

/// OutputField@algorithm (AssociationModel rule selection).
enum class RuleAlgorithm : uint8_t { kRecommendation, kExclusiveRecommendation, kRuleAssociation };
/// OutputField@rankBasis (AssociationModel rule ranking).
enum class RuleRankBasis : uint8_t { kConfidence, kSupport, kLift, kLeverage, kAffinity };

/// A compiled <OutputField>.
struct OutputFieldDef {
  std::string name;
  ResultFeature feature = ResultFeature::kPredictedValue;
  bool has_type = false;  ///< dataType declared
  DataType data_type = DataType::kString;
  OpType op_type = OpType::kCategorical;
  std::string target_field;
  Value value;           ///< the category of probability/confidence/affinity; missing when absent
  int class_index = -1;  ///< `value` resolved against ModelInfo::classes
  int rank = 1;          ///< reasonCode rank
  std::string rule_feature = "consequent";
  RuleAlgorithm algorithm = RuleAlgorithm::kExclusiveRecommendation;
  RuleRankBasis rank_basis = RuleRankBasis::kConfidence;
  bool rank_ascending = false;  ///< rankOrder="ascending"
  bool final_result = true;
  const Expression* expression = nullptr;  ///< transformedValue / decision
  /// OutputField@segmentId: the feature is read from that segment's prediction (its model info);
  /// nullptr: from the model that owns the field.
  const ModelInfo* segment = nullptr;
  Slot slot = kNoSlot;
  /// isMultiValued="1" on an AssociationModel's ruleValue/entityId/affinity field: the values of
  /// ranks 1..rank, in the kOutput slots `name[1]`..`name[rank]` (the model sets them by those
  /// names in Prediction::output_values); `slot` holds rank 1.
  std::vector<Slot> element_slots;
};

/// Compiles the <Output> of a model: defines one kOutput slot per field in `model_scope` (so later
/// fields, and later segments of a model chain, can refer to them) and resolves categories against
/// `info.classes` (adding unknown ones).
Status CompileOutput(pugi::xml_node output, Scope& model_scope, ModelInfo& info);

/// The dataType an output field exposes: its declared type, else what its feature produces.
DataType OutputDataType(const OutputFieldDef& field, const ModelInfo& info);

/// The predicted value of `target` (multi-target models), else the prediction's value.
const Value& PredictedValueOf(const Prediction& p, std::string_view target);

/// Computes every output field of `info` from the prediction and stores it in its slot.
void ComputeOutputs(const ModelInfo& info, const Prediction& prediction, EvalContext& ctx);

}  // namespace mlserving::formats::pmml

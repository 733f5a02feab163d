#include "formats/pmml/output.h"

#include "formats/pmml/compiler.h"
#include "formats/pmml/expression.h"
#include "formats/pmml/model.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {
namespace {

std::optional<ResultFeature> ParseFeature(std::string_view f) {
  if (f == "predictedValue") return ResultFeature::kPredictedValue;
  if (f == "predictedDisplayValue") return ResultFeature::kPredictedDisplayValue;
  if (f == "probability") return ResultFeature::kProbability;
  if (f == "confidence") return ResultFeature::kConfidence;
  if (f == "affinity" || f == "entityAffinity" || f == "clusterAffinity") return ResultFeature::kAffinity;
  if (f == "entityId") return ResultFeature::kEntityId;
  if (f == "clusterId") return ResultFeature::kClusterId;
  if (f == "reasonCode") return ResultFeature::kReasonCode;
  if (f == "transformedValue") return ResultFeature::kTransformedValue;
  if (f == "decision") return ResultFeature::kDecision;
  if (f == "ruleValue") return ResultFeature::kRuleValue;
  if (f == "standardError") return ResultFeature::kStandardError;
  if (f == "residual") return ResultFeature::kResidual;
  if (f == "warning") return ResultFeature::kWarning;
  return std::nullopt;
}

double At(const std::vector<double>& v, int i) {
  return i >= 0 && static_cast<size_t>(i) < v.size() ? v[static_cast<size_t>(i)] : std::nan("");
}

}  // namespace

const Value& PredictedValueOf(const Prediction& p, std::string_view target) {
  if (!target.empty()) {
    for (const auto& [name, value] : p.target_values) {
      if (name == target) return value;
    }
  }
  return p.value;
}

Status CompileOutput(pugi::xml_node output, Scope& model_scope, ModelInfo& info) {
  FieldTable& table = model_scope.compiler().table();
  std::vector<pugi::xml_node> nodes = Children(output, "OutputField");
  // Define all slots first: expressions may refer to any output field of the model.
  for (pugi::xml_node n : nodes) {
    OutputFieldDef def;
    ASSIGN_OR_RETURN(def.name, RequiredAttr(n, "name"));
    std::string_view feature = Attr(n, "feature", "predictedValue");
    std::optional<ResultFeature> f = ParseFeature(feature);
    if (!f)
      return InvalidArgument("OutputField '" + def.name + "' has the unknown feature '" + std::string(feature) + "'");
    def.feature = *f;
    if (HasAttr(n, "dataType")) {
      std::optional<DataType> t = ParseDataType(Attr(n, "dataType"));
      if (!t) return InvalidArgument("OutputField '" + def.name + "' has an unknown dataType");
      def.has_type = true;
      def.data_type = *t;
    }
    def.target_field = std::string(Attr(n, "targetField"));
    if (HasAttr(n, "segmentId")) {
      std::string_view id = Attr(n, "segmentId");
      for (const auto& [segment_id, segment_info] : info.segments) {
        if (segment_id == id) def.segment = segment_info;
      }
      if (!def.segment) {
        return InvalidArgument("OutputField '" + def.name + "' refers to the segmentId '" + std::string(id) +
                               "', which is not a Segment of this model");
      }
    }
    if (HasAttr(n, "value")) {
      def.value = Value::String(std::string(Attr(n, "value")));
      if (def.feature == ResultFeature::kProbability || def.feature == ResultFeature::kConfidence ||
          def.feature == ResultFeature::kAffinity || def.feature == ResultFeature::kResidual) {
        def.class_index = def.segment ? def.segment->ClassIndex(def.value.string()) : info.AddClass(def.value.string());
      }
    }
    ASSIGN_OR_RETURN(double rank, NumberAttr(n, "rank", 1));
    def.rank = rank < 1 || rank > 1000 ? 1 : static_cast<int>(rank);
    def.rule_feature = std::string(Attr(n, "ruleFeature", "consequent"));
    std::string_view algorithm = Attr(n, "algorithm", "exclusiveRecommendation");
    if (algorithm == "recommendation") {
      def.algorithm = RuleAlgorithm::kRecommendation;
    } else if (algorithm == "exclusiveRecommendation") {
      def.algorithm = RuleAlgorithm::kExclusiveRecommendation;
    } else if (algorithm == "ruleAssociation") {
      def.algorithm = RuleAlgorithm::kRuleAssociation;
    } else {
      return InvalidArgument("OutputField '" + def.name + "' has the unknown algorithm '" + std::string(algorithm) +
                             "'");
    }
    std::string_view basis = Attr(n, "rankBasis", "confidence");
    if (basis == "confidence") {
      def.rank_basis = RuleRankBasis::kConfidence;
    } else if (basis == "support") {
      def.rank_basis = RuleRankBasis::kSupport;
    } else if (basis == "lift") {
      def.rank_basis = RuleRankBasis::kLift;
    } else if (basis == "leverage") {
      def.rank_basis = RuleRankBasis::kLeverage;
    } else if (basis == "affinity") {
      def.rank_basis = RuleRankBasis::kAffinity;
    } else {
      return InvalidArgument("OutputField '" + def.name + "' has the unknown rankBasis '" + std::string(basis) + "'");
    }
    def.rank_ascending = Attr(n, "rankOrder", "descending") == "ascending";
    def.final_result = Attr(n, "isFinalResult", "true") != "false";
    SlotDef slot;
    slot.name = def.name;
    slot.kind = SlotKind::kOutput;
    slot.data_type = OutputDataType(def, info);
    slot.op_type = IsNumeric(slot.data_type) ? OpType::kContinuous : OpType::kCategorical;
    std::string_view multi = Attr(n, "isMultiValued", "0");
    const bool multi_valued = (multi == "1" || multi == "true") && info.function == MiningFunction::kAssociationRules &&
                              (def.feature == ResultFeature::kRuleValue || def.feature == ResultFeature::kEntityId ||
                               def.feature == ResultFeature::kAffinity);
    if (multi_valued) {
      for (int k = 1; k <= def.rank; ++k) {
        SlotDef element = slot;
        element.name = def.name + "[" + std::to_string(k) + "]";
        def.element_slots.push_back(table.Add(std::move(element)));
      }
    }
    def.slot = table.Add(std::move(slot));
    model_scope.Define(def.name, def.slot);
    info.outputs.push_back(std::move(def));
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    OutputFieldDef& def = info.outputs[info.outputs.size() - nodes.size() + i];
    if (def.feature != ResultFeature::kTransformedValue && def.feature != ResultFeature::kDecision) continue;
    bool has_expression = false;
    for (pugi::xml_node c = nodes[i].first_child(); c; c = c.next_sibling()) has_expression |= IsExpressionElement(c);
    if (!has_expression) continue;
    Result<std::unique_ptr<Expression>> e = CompileExpressionChild(nodes[i], model_scope);
    if (!e.ok()) return e.status().WithContext("OutputField '" + def.name + "'");
    def.expression = model_scope.compiler().Own(std::move(e).value());
  }
  return Status::Ok();
}

DataType OutputDataType(const OutputFieldDef& field, const ModelInfo& info) {
  if (field.has_type) return field.data_type;
  switch (field.feature) {
    case ResultFeature::kPredictedValue:
      if (info.has_target) return info.target_type;
      return info.function == MiningFunction::kRegression ? DataType::kDouble : DataType::kString;
    case ResultFeature::kProbability:
    case ResultFeature::kConfidence:
    case ResultFeature::kAffinity:
    case ResultFeature::kStandardError:
    case ResultFeature::kResidual:
    case ResultFeature::kTransformedValue:
    case ResultFeature::kDecision: return DataType::kDouble;
    case ResultFeature::kRuleValue:
      return field.rule_feature == "support" || field.rule_feature == "confidence" || field.rule_feature == "lift" ||
                     field.rule_feature == "leverage" || field.rule_feature == "affinity"
                 ? DataType::kDouble
                 : DataType::kString;
    default: return DataType::kString;
  }
}

void ComputeOutputs(const ModelInfo& owner, const Prediction& owner_prediction, EvalContext& ctx) {
  for (const OutputFieldDef& f : owner.outputs) {
    Value v;
    const Value* own = nullptr;
    for (const auto& [name, value] : owner_prediction.output_values) {
      if (name == f.name) own = &value;
    }
    // segmentId: the feature of that segment's prediction (cleared when the segment did not run).
    const ModelInfo& info = f.segment ? *f.segment : owner;
    const Prediction& p = f.segment ? ctx.prediction(f.segment->id) : owner_prediction;
    if (own) {
      v = *own;
    } else {
      switch (f.feature) {
        case ResultFeature::kPredictedValue: v = PredictedValueOf(p, f.target_field); break;
        case ResultFeature::kPredictedDisplayValue: {
          const TargetValue* tv = info.target && !p.value.missing() ? info.target->Find(p.value) : nullptr;
          if (tv && !tv->display_value.empty()) {
            v = Value::String(tv->display_value);
          } else if (!p.value.missing()) {
            v = Value::String(p.value.AsString());
          }
          break;
        }
        case ResultFeature::kProbability:
        case ResultFeature::kConfidence: {
          const std::vector<double>& probs =
              f.feature == ResultFeature::kConfidence && !p.confidences.empty() ? p.confidences : p.probabilities;
          int index = f.class_index;
          if (f.value.missing() && !p.value.missing()) index = info.ClassIndex(p.value.AsString());
          double x = At(probs, index);
          if (!std::isnan(x)) v = Value::Number(x);
          break;
        }
        case ResultFeature::kAffinity: {
          double x = f.class_index >= 0             ? At(p.entity_affinities, f.class_index)
                     : !p.ranked_affinities.empty() ? At(p.ranked_affinities, f.rank - 1)
                                                    : p.affinity;
          if (!std::isnan(x)) v = Value::Number(x);
          break;
        }
        case ResultFeature::kEntityId:
        case ResultFeature::kClusterId:
          if (!p.ranked_entity_ids.empty()) {
            if (static_cast<size_t>(f.rank) <= p.ranked_entity_ids.size())
              v = Value::String(p.ranked_entity_ids[static_cast<size_t>(f.rank - 1)]);
          } else if (!p.entity_id.empty()) {
            v = Value::String(p.entity_id);
          }
          break;
        case ResultFeature::kReasonCode:
          if (static_cast<size_t>(f.rank) <= p.reason_codes.size())
            v = Value::String(p.reason_codes[static_cast<size_t>(f.rank - 1)]);
          break;
        case ResultFeature::kTransformedValue:
        case ResultFeature::kDecision: v = f.expression ? f.expression->Eval(ctx) : p.value; break;
        case ResultFeature::kRuleValue:
          for (const auto& [key, value] : p.rule_values) {
            if (key == f.rule_feature) v = value;
          }
          break;
        case ResultFeature::kResidual: {
          // Needs the actual target value among the inputs: regression actual - predicted;
          // classification (actual == category ? 1 : 0) - probability(category).
          if (info.target_slot == kNoSlot) break;
          const Value& actual = ctx.Get(info.target_slot);
          if (actual.missing()) break;
          if (info.function == MiningFunction::kRegression) {
            std::optional<double> a = actual.AsNumber(), e = p.value.AsNumber();
            if (a && e) v = Value::Number(*a - *e);
            break;
          }
          int index = f.class_index >= 0 ? f.class_index : info.ClassIndex(p.value.AsString());
          double prob = At(p.probabilities, index);
          if (std::isnan(prob) || index < 0) break;
          bool is = actual.AsString() == info.classes[static_cast<size_t>(index)];
          v = Value::Number((is ? 1.0 : 0.0) - prob);
          break;
        }
        case ResultFeature::kStandardError:
        case ResultFeature::kWarning: break;
      }
    }
    if (!v.missing() && f.has_type) {
      std::optional<Value> cast = CastValue(v, f.data_type);
      if (cast) v = std::move(*cast);
    }
    ctx.Set(f.slot, std::move(v));
    for (size_t k = 0; k < f.element_slots.size(); ++k) {
      // Multi-valued fields: the model's values named `name[k]` (missing when it has fewer).
      std::string element = f.name + "[" + std::to_string(k + 1) + "]";
      Value e;
      for (const auto& [name, value] : owner_prediction.output_values) {
        if (name == element) e = value;
      }
      if (!e.missing() && f.has_type) {
        std::optional<Value> cast = CastValue(e, f.data_type);
        if (cast) e = std::move(*cast);
      }
      ctx.Set(f.element_slots[k], std::move(e));
    }
  }
}

}  // namespace mlserving::formats::pmml

#include "formats/pmml/mining_schema.h"

#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

Value MiningField::Apply(const Value& raw, bool* invalid, EvalContext& ctx) const {
  *invalid = false;
  Value typed;
  Validity validity;
  if (data_field) {
    validity = data_field->Classify(raw, &typed);
  } else {
    bool is_missing = raw.missing() || (raw.is_number() && std::isnan(raw.number()));
    validity = is_missing ? Validity::kMissing : Validity::kValid;
    typed = raw;
  }
  if (validity == Validity::kInvalid) {
    switch (this->invalid) {
      case InvalidTreatment::kReturnInvalid:
        ctx.Fail(InvalidArgument("the field '" + name + "' has the invalid value '" + raw.AsString() +
                                 "' (outside the values declared in the DataDictionary; the model's "
                                 "invalidValueTreatment is returnInvalid)"));
        return Value::Missing();
      case InvalidTreatment::kAsIs: *invalid = true; return typed;
      case InvalidTreatment::kAsMissing: validity = Validity::kMissing; break;
      case InvalidTreatment::kAsValue: return invalid_replacement;
    }
  }
  if (validity == Validity::kMissing) return missing_replacement;
  if (outliers != OutlierTreatment::kAsIs && typed.is_number()) {
    double v = typed.number();
    if (v < low || v > high) {
      if (outliers == OutlierTreatment::kAsMissingValues) return missing_replacement;
      return Value::Number(v < low ? low : high);
    }
  }
  return typed;
}

namespace {

bool IsNaN(const Value& v) { return v.is_number() && std::isnan(v.number()); }

/// What Apply makes of a non-NaN number (SlotDef::numeric). Without a DataField the number is
/// valid as is; with one, Classify casts it to the field's type and, when the field declares no
/// missing, invalid or valid values and no intervals, calls it valid.
NumericTreatment NumericTreatmentOf(const MiningField& field) {
  const DataField* df = field.data_field;
  if (!df) return NumericTreatment::kNumber;
  if (!df->missing_values.empty() || !df->invalid_values.empty() || !df->valid_values.empty() ||
      !df->intervals.empty()) {
    return NumericTreatment::kGeneric;
  }
  switch (df->data_type) {
    case DataType::kDouble: return NumericTreatment::kNumber;
    case DataType::kFloat: return NumericTreatment::kFloat;
    case DataType::kInteger: return NumericTreatment::kInteger;
    default: return NumericTreatment::kGeneric;
  }
}

/// True when `field`, whose source slot is `source`, would hand every value of the source through
/// unchanged (same value, not flagged invalid, same optype), so it can share the source's slot.
/// Apply without a DataField only replaces missing values (incl. NaN) and outliers; the source,
/// an enclosing model's active field without NaN replacements or bounds, never holds NaN (a
/// DataField classifies NaN as missing) nor an invalid value kept as is.
bool PassesThrough(const MiningField& field, OpType op_type, const SlotDef& source) {
  if (field.usage != UsageType::kActive || field.data_field != nullptr) return false;
  if (!field.missing_replacement.missing() || field.outliers != OutlierTreatment::kAsIs) return false;
  if (source.kind != SlotKind::kMiningField || source.op_type != op_type) return false;
  const MiningField& from = *source.mining;
  return from.usage == UsageType::kActive && from.invalid != InvalidTreatment::kAsIs &&
         !IsNaN(from.missing_replacement) && !IsNaN(from.invalid_replacement) && !std::isnan(from.low) &&
         !std::isnan(from.high);
}

}  // namespace

Result<MiningSchema> CompileMiningSchema(pugi::xml_node node, Scope& parent, Scope& model_scope) {
  if (!node) return InvalidArgument("the model has no <MiningSchema>; every PMML model needs one");
  MiningSchema schema;
  Compiler& compiler = parent.compiler();
  FieldTable& table = compiler.table();
  for (pugi::xml_node f : Children(node, "MiningField")) {
    auto field = std::make_unique<MiningField>();
    ASSIGN_OR_RETURN(field->name, RequiredAttr(f, "name"));
    const std::string& name = field->name;
    std::string_view usage = Attr(f, "usageType", "active");
    if (usage == "active") {
      field->usage = UsageType::kActive;
    } else if (usage == "target" || usage == "predicted") {
      field->usage = UsageType::kTarget;
    } else if (usage == "supplementary") {
      field->usage = UsageType::kSupplementary;
    } else if (usage == "group") {
      field->usage = UsageType::kGroup;
    } else if (usage == "order") {
      field->usage = UsageType::kOrder;
    } else if (usage == "frequencyWeight") {
      field->usage = UsageType::kFrequencyWeight;
    } else if (usage == "analysisWeight") {
      field->usage = UsageType::kAnalysisWeight;
    } else {
      return InvalidArgument("MiningField '" + name + "' has the unknown usageType '" + std::string(usage) + "'");
    }
    int df = compiler.dictionary().Find(name);
    Result<Slot> source = parent.Resolve(name);
    if (!source.ok()) {
      // A target need not be computable (it is what the model predicts).
      if (field->usage == UsageType::kTarget) {
        field->data_field = df >= 0 ? &compiler.dictionary().fields[static_cast<size_t>(df)] : nullptr;
        schema.targets.push_back(field.get());
        schema.fields.push_back(field.get());
        schema.slots.push_back(kNoSlot);
        table.mining_fields.push_back(std::move(field));
        continue;
      }
      return source.status().WithContext("MiningField '" + name + "'");
    }
    const SlotDef& source_def = table.slots[static_cast<size_t>(*source)];
    if (source_def.kind == SlotKind::kInput && df >= 0) {
      field->data_field = &compiler.dictionary().fields[static_cast<size_t>(df)];
    }
    DataType type = source_def.data_type;
    if (HasAttr(f, "missingValueReplacement")) {
      Value raw = Value::String(std::string(Attr(f, "missingValueReplacement")));
      std::optional<Value> cast = CastValue(raw, type);
      field->missing_replacement = cast ? *cast : raw;
    }
    std::string_view treatment = Attr(f, "invalidValueTreatment", "returnInvalid");
    if (treatment == "returnInvalid") {
      field->invalid = InvalidTreatment::kReturnInvalid;
    } else if (treatment == "asIs") {
      field->invalid = InvalidTreatment::kAsIs;
    } else if (treatment == "asMissing") {
      field->invalid = InvalidTreatment::kAsMissing;
    } else if (treatment == "asValue") {
      field->invalid = InvalidTreatment::kAsValue;
      Value raw = Value::String(std::string(Attr(f, "invalidValueReplacement")));
      std::optional<Value> cast = CastValue(raw, type);
      field->invalid_replacement = cast ? *cast : raw;
    } else {
      return InvalidArgument("MiningField '" + name + "' has the unknown invalidValueTreatment '" +
                             std::string(treatment) + "'");
    }
    std::string_view outliers = Attr(f, "outliers", "asIs");
    if (outliers == "asMissingValues" || outliers == "asExtremeValues") {
      field->outliers =
          outliers == "asMissingValues" ? OutlierTreatment::kAsMissingValues : OutlierTreatment::kAsExtremeValues;
      ASSIGN_OR_RETURN(field->low, NumberAttr(f, "lowValue", -HUGE_VAL));
      ASSIGN_OR_RETURN(field->high, NumberAttr(f, "highValue", HUGE_VAL));
    } else if (outliers != "asIs") {
      return InvalidArgument("MiningField '" + name + "' has the unknown outliers treatment '" + std::string(outliers) +
                             "'");
    }
    OpType op_type = source_def.op_type;
    if (std::optional<OpType> ot = ParseOpType(Attr(f, "optype"))) op_type = *ot;
    Slot slot = *source;
    if (!PassesThrough(*field, op_type, source_def)) {
      SlotDef def;
      def.name = name;
      def.kind = SlotKind::kMiningField;
      def.data_type = type;
      def.op_type = op_type;
      def.mining = field.get();
      def.source = *source;
      def.numeric = NumericTreatmentOf(*field);
      slot = table.Add(std::move(def));
      if (field->usage == UsageType::kActive) schema.treated.push_back(slot);
    }
    model_scope.Define(name, slot);
    if (field->usage == UsageType::kTarget) schema.targets.push_back(field.get());
    schema.fields.push_back(field.get());
    schema.slots.push_back(slot);
    table.mining_fields.push_back(std::move(field));
  }
  return schema;
}

}  // namespace mlserving::formats::pmml

#pragma once

#include <pugixml.hpp>

#include <string>
#include <vector>

#include "core/result.h"
#include "formats/pmml/data_dictionary.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/field_table.h"

namespace mlserving::formats::pmml {

class Scope;

enum class UsageType : uint8_t { kActive, kTarget, kSupplementary, kGroup, kOrder, kFrequencyWeight, kAnalysisWeight };
enum class InvalidTreatment : uint8_t { kReturnInvalid, kAsIs, kAsMissing, kAsValue };
enum class OutlierTreatment : uint8_t { kAsIs, kAsMissingValues, kAsExtremeValues };

/// One <MiningField>: how a model sees a field. Each model gets its own slot per mining field
/// (SlotKind::kMiningField) whose value is the source field after these treatments, in order:
/// missing -> missingValueReplacement; invalid (per the DataField's domain) -> invalidValueTreatment;
/// valid continuous values -> outliers.
struct MiningField {
  std::string name;
  UsageType usage = UsageType::kActive;
  const DataField* data_field = nullptr;  ///< null when the source is a derived or output field
  Value missing_replacement;              ///< missing when absent
  InvalidTreatment invalid = InvalidTreatment::kReturnInvalid;
  Value invalid_replacement;
  OutlierTreatment outliers = OutlierTreatment::kAsIs;
  double low = 0, high = 0;

  /// Applies the treatments to `raw`; `*invalid` tells whether the result is an invalid value kept
  /// as is. For returnInvalid, records a kInvalidArgument error naming the field and value in `ctx`.
  Value Apply(const Value& raw, bool* invalid, EvalContext& ctx) const;
};

/// The compiled <MiningSchema> of one model.
struct MiningSchema {
  std::vector<const MiningField*> fields;  ///< owned by the FieldTable
  /// The model's slot of each field. A field that provably passes its source through unchanged
  /// (a nested model's active field without treatments of its own, reading an enclosing model's
  /// treated active field) shares the source's slot instead of getting its own.
  std::vector<Slot> slots;
  /// The slots of the active fields that have a treatment slot of their own: RunModel computes
  /// them before scoring (shared slots were computed by the enclosing model).
  std::vector<Slot> treated;
  /// The target fields (usageType target or predicted), in document order.
  std::vector<const MiningField*> targets;
};

/// Reads <MiningSchema>: resolves each field in `parent` (the enclosing scope) and defines the
/// model's treated view of it in `model_scope`.
Result<MiningSchema> CompileMiningSchema(pugi::xml_node node, Scope& parent, Scope& model_scope);

}  // namespace mlserving::formats::pmml

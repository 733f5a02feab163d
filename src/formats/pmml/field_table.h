#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

class Expression;
struct MiningField;
struct FunctionDef;
struct WindowSpec;

/// Index of a field in the flat per-row value array. Every name a document can refer to (data
/// fields, derived fields, each model's view of its mining fields, output fields) gets its own
/// slot at load time, so evaluation never looks names up.
using Slot = int32_t;
inline constexpr Slot kNoSlot = -1;

/// How a slot gets its value during a row's evaluation.
enum class SlotKind : uint8_t {
  kInput,        ///< a DataField value, set from the request before scoring
  kDerived,      ///< a DerivedField: `expression` evaluated on first use, cast to data_type
  kMiningField,  ///< a model's MiningField: the `source` slot after missing/invalid/outlier treatment
  kOutput,       ///< an OutputField, written by the model that owns it after scoring
};

/// kMiningField: what the treatments (MiningField::Apply) make of a source value that is a
/// non-NaN number, decided at load when the answer does not depend on lists of values:
/// kGeneric: run Apply; kNumber: the number itself; kFloat: rounded to single precision;
/// kInteger: the number when integral (else Apply: an invalid value). Outliers still apply.
enum class NumericTreatment : uint8_t { kGeneric, kNumber, kFloat, kInteger };

/// The load-time definition of one slot.
struct SlotDef {
  std::string name;
  SlotKind kind = SlotKind::kInput;
  DataType data_type = DataType::kDouble;
  OpType op_type = OpType::kContinuous;
  const Expression* expression = nullptr;                 ///< kDerived
  const MiningField* mining = nullptr;                    ///< kMiningField
  Slot source = kNoSlot;                                  ///< kMiningField
  int data_field = -1;                                    ///< kInput: index in the DataDictionary
  bool cast = true;                                       ///< kDerived: cast the result to data_type
  NumericTreatment numeric = NumericTreatment::kGeneric;  ///< kMiningField
};

/// All slots of a compiled document, plus ownership of the expressions and mining fields they
/// point at. Immutable after load.
struct FieldTable {
  std::vector<SlotDef> slots;
  std::vector<std::unique_ptr<Expression>> expressions;
  std::vector<std::unique_ptr<MiningField>> mining_fields;
  std::vector<std::unique_ptr<FunctionDef>> functions;  ///< compiled DefineFunctions
  /// Request-level expressions (Aggregate, Lag; window_expression.h), in dependency order.
  std::vector<std::shared_ptr<const WindowSpec>> windows;

  FieldTable();
  ~FieldTable();
  FieldTable(const FieldTable&) = delete;
  FieldTable& operator=(const FieldTable&) = delete;

  Slot Add(SlotDef def) {
    slots.push_back(std::move(def));
    return static_cast<Slot>(slots.size() - 1);
  }
};

}  // namespace mlserving::formats::pmml

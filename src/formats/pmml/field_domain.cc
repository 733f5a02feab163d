#include "formats/pmml/field_domain.h"

#include "formats/pmml/compiler.h"
#include "formats/pmml/mining_schema.h"

namespace mlserving::formats::pmml {

const DataField* DeclaredDataField(Compiler& compiler, Slot slot) {
  const FieldTable& table = compiler.table();
  for (int hops = 0; slot != kNoSlot && hops < 64; ++hops) {
    const SlotDef& def = table.slots[static_cast<size_t>(slot)];
    if (def.kind == SlotKind::kInput) {
      if (def.data_field < 0) return nullptr;
      return &compiler.dictionary().fields[static_cast<size_t>(def.data_field)];
    }
    if (def.kind != SlotKind::kMiningField) return nullptr;
    if (def.mining && def.mining->data_field) return def.mining->data_field;
    slot = def.source;
  }
  return nullptr;
}

size_t DomainSize(const DataField& field) {
  return field.valid_values.empty() ? field.intervals.size() : field.valid_values.size();
}

std::optional<size_t> DomainIndex(const DataField& field, const Value& v) {
  if (v.missing()) return std::nullopt;
  if (!field.valid_values.empty()) {
    for (size_t i = 0; i < field.valid_values.size(); ++i) {
      if (v.Equals(field.valid_values[i])) return i;
    }
    return std::nullopt;
  }
  std::optional<double> n = v.AsNumber();
  if (!n) return std::nullopt;
  for (size_t i = 0; i < field.intervals.size(); ++i) {
    if (field.intervals[i].Contains(*n)) return i;
  }
  return std::nullopt;
}

}  // namespace mlserving::formats::pmml

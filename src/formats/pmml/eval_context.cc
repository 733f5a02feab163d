#include "formats/pmml/eval_context.h"

#include <cmath>

#include "formats/pmml/expression.h"
#include "formats/pmml/mining_schema.h"

namespace mlserving::formats::pmml {

EvalContext::EvalContext(const FieldTable& table, int num_models)
    : table_(&table),
      values_(table.slots.size()),
      state_(table.slots.size(), kPending),
      invalid_(table.slots.size(), 0),
      predictions_(static_cast<size_t>(num_models)),
      scratch_(static_cast<size_t>(num_models)),
      number_scratch_(static_cast<size_t>(num_models)) {}

void EvalContext::BeginRow() {
  std::fill(state_.begin(), state_.end(), static_cast<uint8_t>(kPending));
  std::fill(invalid_.begin(), invalid_.end(), static_cast<uint8_t>(0));
  error_ = Status::Ok();
  frame_.clear();
  frame_base_ = 0;
  call_depth = 0;
  num_collections_ = 0;
}

void EvalContext::SetCollection(Slot slot, std::vector<Value> values) {
  for (size_t i = 0; i < num_collections_; ++i) {
    if (collections_[i].first == slot) {
      collections_[i].second = std::move(values);
      return;
    }
  }
  if (num_collections_ == collections_.size()) collections_.emplace_back();
  collections_[num_collections_++] = {slot, std::move(values)};
}

const std::vector<Value>* EvalContext::Collection(Slot slot) const {
  for (size_t i = 0; i < num_collections_; ++i) {
    if (collections_[i].first == slot) return &collections_[i].second;
  }
  return nullptr;
}

void EvalContext::Set(Slot slot, Value value, bool invalid) {
  size_t s = static_cast<size_t>(slot);
  values_[s] = std::move(value);
  invalid_[s] = invalid;
  state_[s] = kDone;
}

const Value& EvalContext::Compute(Slot slot) {
  size_t s = static_cast<size_t>(slot);
  if (state_[s] == kBusy) {
    // Unreachable for compiled documents (cycles are refused at load); answer missing regardless.
    static const Value kMissing;
    return kMissing;
  }
  const SlotDef& def = table_->slots[s];
  state_[s] = kBusy;
  switch (def.kind) {
    case SlotKind::kInput:
    case SlotKind::kOutput: values_[s] = Value::Missing(); break;
    case SlotKind::kDerived: {
      Value v = def.expression->Eval(*this);
      if (def.cast && !v.missing()) {
        std::optional<Value> cast = CastValue(v, def.data_type);
        if (cast) v = std::move(*cast);
      }
      if (v.is_number() && std::isnan(v.number())) v = Value::Missing();
      values_[s] = std::move(v);
      break;
    }
    case SlotKind::kMiningField: {
      const Value& raw = Get(def.source);
      if (def.numeric != NumericTreatment::kGeneric && raw.is_number() && !std::isnan(raw.number())) {
        // What MiningField::Apply computes for this number (decided at load), without its copies.
        double x = raw.number();
        if (def.numeric != NumericTreatment::kInteger || x == std::trunc(x) || !std::isfinite(x)) {
          if (def.numeric == NumericTreatment::kFloat) x = static_cast<double>(static_cast<float>(x));
          const MiningField& m = *def.mining;
          invalid_[s] = 0;
          if (m.outliers != OutlierTreatment::kAsIs && (x < m.low || x > m.high)) {
            if (m.outliers == OutlierTreatment::kAsMissingValues) {
              values_[s] = m.missing_replacement;
              break;
            }
            x = x < m.low ? m.low : m.high;
          }
          values_[s] = Value::Number(x);
          break;
        }
      }
      bool invalid = false;
      Value v = def.mining->Apply(Get(def.source), &invalid, *this);
      values_[s] = std::move(v);
      invalid_[s] = invalid;
      break;
    }
  }
  state_[s] = kDone;
  return values_[s];
}

bool EvalContext::IsInvalid(Slot slot) {
  Get(slot);
  return invalid_[static_cast<size_t>(slot)] != 0;
}

size_t EvalContext::PushFrame(std::vector<Value>&& args) {
  size_t previous = frame_base_;
  frame_base_ = frame_.size();
  for (Value& v : args) frame_.push_back(std::move(v));
  return previous;
}

void EvalContext::PopFrame(size_t previous_base) {
  frame_.resize(frame_base_);
  frame_base_ = previous_base;
}

}  // namespace mlserving::formats::pmml

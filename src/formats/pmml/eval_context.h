#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/pmml/field_table.h"
#include "formats/pmml/prediction.h"
#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

/// The mutable state of scoring rows with one compiled document. One context per thread (or per
/// request); reuse it across rows: BeginRow() resets it without freeing memory.
///
/// Slots are computed lazily: derived fields and mining-field treatments run the first time a
/// row reads them, at most once per row.
class EvalContext {
 public:
  EvalContext(const FieldTable& table, int num_models);

  /// Forgets the previous row's values and error.
  void BeginRow();
  /// Sets a kInput slot (or overrides any slot) for the current row.
  void Set(Slot slot, Value value, bool invalid = false);
  /// Set(slot, Value::Number(x)) without the copies.
  void SetNumber(Slot slot, double x) {
    size_t s = static_cast<size_t>(slot);
    values_[s] = Value::Number(x);
    invalid_[s] = 0;
    state_[s] = kDone;
  }
  /// The slot's value for the current row (computed on first use). The reference stays valid
  /// until the next BeginRow().
  const Value& Get(Slot slot) {
    size_t s = static_cast<size_t>(slot);
    return state_[s] == kDone ? values_[s] : Compute(slot);
  }
  /// True when the slot's value for the current row is known (set or computed): Get() then has
  /// no side effect (no treatment runs, no error is recorded).
  bool Computed(Slot slot) const { return state_[static_cast<size_t>(slot)] == kDone; }
  /// True when the slot's value was classified invalid (and kept with invalidValueTreatment=asIs).
  bool IsInvalid(Slot slot);

  /// Multi-valued inputs (the items of one transaction for an AssociationModel): sets all values
  /// of a kInput slot for the current row. Collection() is nullptr for slots not set this way.
  void SetCollection(Slot slot, std::vector<Value> values);
  const std::vector<Value>* Collection(Slot slot) const;

  /// The prediction scratch of the model with that id (ModelInfo::id).
  Prediction& prediction(int model_id) { return predictions_[static_cast<size_t>(model_id)]; }

  /// Per-model scratch list of the current row (MiningModel: indices of the scored segments);
  /// keeps its capacity across rows.
  std::vector<int>& ModelScratch(int model_id) { return scratch_[static_cast<size_t>(model_id)]; }
  /// Per-model scratch numbers of the current row (a tree ensemble's feature values); keeps its
  /// capacity across rows.
  std::vector<double>& NumberScratch(int model_id) { return number_scratch_[static_cast<size_t>(model_id)]; }

  /// Records an error that fails the row (the first one wins); evaluation continues with missing values.
  void Fail(Status status) {
    if (error_.ok()) error_ = std::move(status);
  }
  const Status& error() const { return error_; }

  /// Argument frames of user-defined functions (DefineFunction).
  size_t PushFrame(std::vector<Value>&& args);
  void PopFrame(size_t previous_base);
  const Value& Param(int index) const { return frame_[frame_base_ + static_cast<size_t>(index)]; }
  /// Guards recursion through user-defined functions.
  int call_depth = 0;

 private:
  enum State : uint8_t { kPending, kBusy, kDone };
  const Value& Compute(Slot slot);
  const FieldTable* table_;
  std::vector<Value> values_;
  std::vector<uint8_t> state_;
  std::vector<uint8_t> invalid_;
  std::vector<Prediction> predictions_;
  std::vector<std::vector<int>> scratch_;
  std::vector<std::vector<double>> number_scratch_;
  std::vector<Value> frame_;
  size_t frame_base_ = 0;
  std::vector<std::pair<Slot, std::vector<Value>>> collections_;
  size_t num_collections_ = 0;  ///< entries of collections_ set this row (the rest keep capacity)
  Status error_;
};

}  // namespace mlserving::formats::pmml

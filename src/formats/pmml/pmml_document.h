#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "formats/pmml/data_dictionary.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/field_table.h"
#include "formats/pmml/model.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

/// A PMML document compiled once at load: data dictionary, transformations, the model tree and
/// every field resolved to a slot. Immutable and shareable across threads; each thread scores
/// with its own EvalContext (NewContext()).
class PmmlDocument {
 public:
  /// A field the caller provides per row (an active MiningField of the top-level model).
  struct Input {
    std::string name;
    DataType data_type;
    Slot slot;  ///< the kInput slot to Set
  };
  /// A field the document returns per row: a target (the top model's predicted value) or an OutputField.
  struct Result {
    std::string name;
    DataType data_type;
    bool is_target = false;
    bool final_result = true;
    Slot slot = kNoSlot;  ///< output fields
    /// selectAll segment targets: read the predicted value of `target` from this model's
    /// prediction (-1: not such a result).
    int model_id = -1;
    std::string target;
  };

  /// Parses and compiles a document. kInvalidArgument for malformed or invalid PMML,
  /// kUnimplemented naming unsupported model types, functions or elements.
  static mlserving::Result<std::unique_ptr<PmmlDocument>> Load(std::string_view bytes, const XmlLimits& limits = {});

  const DataDictionary& dictionary() const { return dictionary_; }
  /// Request inputs, in MiningSchema order.
  const std::vector<Input>& inputs() const { return inputs_; }
  /// The top model's group field (MiningField usageType="group": an AssociationModel's
  /// transaction id), or nullptr. Callers group rows by its value (in order of first appearance)
  /// and score each group once, setting every input's values of the group with
  /// EvalContext::SetCollection (and the first value with Set).
  const Input* group() const { return has_group_ ? &group_ : nullptr; }
  /// Request-level expressions (Aggregate, Lag), in dependency order: callers compute them over
  /// a request's rows with RequestWindows (window_expression.h) and Apply them to each row.
  const std::vector<std::shared_ptr<const WindowSpec>>& windows() const { return table_.windows; }
  /// The slot of every DataField (index = DataDictionary index).
  const std::vector<Slot>& data_field_slots() const { return data_field_slots_; }
  /// Targets then OutputFields (all, including isFinalResult="false" ones, flagged).
  const std::vector<Result>& results() const { return results_; }
  const Model& model() const { return *model_; }
  const std::string& version() const { return version_; }

  std::unique_ptr<EvalContext> NewContext() const;
  /// Scores the row whose inputs were Set in `ctx` (after ctx.BeginRow()).
  Status ScoreRow(EvalContext& ctx) const;
  /// A result's value for the row just scored.
  Value ResultValue(EvalContext& ctx, const Result& result) const;

 private:
  PmmlDocument() = default;

  std::string version_;
  DataDictionary dictionary_;
  FieldTable table_;
  std::vector<Slot> data_field_slots_;
  std::unique_ptr<Model> model_;
  int num_models_ = 0;
  std::vector<Input> inputs_;
  Input group_{};
  bool has_group_ = false;
  std::vector<Result> results_;
};

}  // namespace mlserving::formats::pmml

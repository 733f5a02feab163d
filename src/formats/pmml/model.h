#pragma once

#include <pugixml.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/mining_schema.h"
#include "formats/pmml/output.h"
#include "formats/pmml/prediction.h"
#include "formats/pmml/targets.h"

namespace mlserving::formats::pmml {

class Compiler;
class Scope;

/// MODEL-ELEMENT@functionName.
enum class MiningFunction : uint8_t {
  kRegression,
  kClassification,
  kClustering,
  kAssociationRules,
  kSequences,
  kTimeSeries,
  kMixed
};

/// What every model type has in common, filled at load time by CompileModel before and after the
/// type-specific compile function runs.
struct ModelInfo {
  int id = -1;             ///< index of this model's Prediction scratch in the EvalContext
  std::string type;        ///< the element name: "TreeModel", "RegressionModel", …
  std::string model_name;  ///< modelName attribute (may be empty)
  MiningFunction function = MiningFunction::kRegression;
  MiningSchema schema;
  bool has_target = false;
  std::string target_name;     ///< the first target MiningField (or empty)
  Slot target_slot = kNoSlot;  ///< the model view of the target field (the actual value, for residuals)
  DataType target_type = DataType::kDouble;
  /// Classification (and clustering) categories in a fixed order; Prediction::probabilities follows
  /// it. Seeded from the target DataField's values and Targets, extended by the model type.
  std::vector<std::string> classes;
  Targets targets;
  const Target* target = nullptr;  ///< the Target that applies to target_name, or nullptr
  std::vector<OutputFieldDef> outputs;
  /// MiningModel: the segments' ids and model infos, in document order (OutputField@segmentId,
  /// selectAll results). Empty for other types.
  std::vector<std::pair<std::string, const ModelInfo*>> segments;
  /// MiningModel with multipleModelMethod="selectAll": every segment's result is a result of
  /// the document (PmmlDocument names them `<field>[<segment id>]`).
  bool select_all = false;
  /// MiningModel with multipleModelMethod="modelChain": the last segment's model, whose final
  /// output fields are the document's results when the chain is the top model and has no Output
  /// of its own (as jpmml-evaluator and pypmml return them). nullptr otherwise.
  const ModelInfo* chain_last = nullptr;

  /// Index of category `label` in classes, or -1.
  int ClassIndex(std::string_view label) const;
  /// Index of `label`, appending it when new.
  int AddClass(std::string_view label);
};

/// A compiled model: immutable after load, shared by all requests.
///
/// To add a model type:
///  1. Subclass Model (my_model.h/.cc in this folder) and implement Score(): read inputs through
///     `ctx.Get(slot)` (slots resolved at load time by `ctx.scope.Resolve(name)`), fill `out`:
///     `value` (a number for regression, the class label for classification), `probabilities`
///     aligned with info().classes when the type has them, `entity_id`/`affinity`/`reason_codes`…
///     as the type supports. Do not apply Targets or Output: RunModel does that for every type.
///  2. Write `Result<std::unique_ptr<Model>> CompileMyModel(ModelCompileContext& ctx)` that reads
///     the element, registers classes with `ctx.info.AddClass()`, and returns
///     `std::make_unique<MyModel>(std::move(ctx.info), …)`.
///  3. Point the element's entry in kModelTypes (model_types.cc) at that function.
/// Score() must be thread-compatible: all mutable state lives in the EvalContext and `out`.
class Model {
 public:
  explicit Model(ModelInfo info) : info_(std::move(info)) {}
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const { return info_; }
  /// Load-time only: CompileModel adds the output fields after the type compiled the model.
  ModelInfo& mutable_info() { return info_; }

  /// Scores the current row into `out` (cleared by the caller). A missing `out.value` means "no
  /// prediction" (Targets defaults then apply). Errors fail the row (kInvalidArgument for bad input).
  virtual Status Score(EvalContext& ctx, Prediction& out) const = 0;

  /// Load-time: called by CompileModel once the model's info() is final (after its Output
  /// compiled), for preparation that depends on it.
  virtual void Prepare() {}

 protected:
  ModelInfo info_;
};

/// Scores `model` for the current row into ctx.prediction(model.info().id): Score(), Targets
/// post-processing (rescaling, castInteger, default values and prior probabilities), then the
/// output fields into their slots. Returns the row's error (an invalid value with returnInvalid, …).
Status RunModel(const Model& model, EvalContext& ctx);

/// Copies `src` (scored by a model described by `from`) into `dst` for a model described by `to`,
/// remapping probabilities by class label.
void CopyPrediction(const ModelInfo& from, const Prediction& src, const ModelInfo& to, Prediction& dst);

/// What a model type's compile function receives.
struct ModelCompileContext {
  pugi::xml_node node;  ///< the model element
  Scope& scope;         ///< the model's scope: mining fields and LocalTransformations
  ModelInfo& info;      ///< common facts (target, classes, targets), to move into the Model
  Compiler& compiler;
};

using ModelCompileFn = Result<std::unique_ptr<Model>> (*)(ModelCompileContext& ctx);

/// True when `node` is a PMML model element (supported or not).
bool IsModelElement(pugi::xml_node node);

/// Compiles a model element in `parent` (the document scope, or a Segmentation's scope): mining
/// schema, LocalTransformations, Targets, the type-specific part, then Output. kUnimplemented
/// naming the element for model types this runtime does not support yet.
Result<std::unique_ptr<Model>> CompileModel(pugi::xml_node node, Scope& parent);

/// Compile functions of the supported types (one file each).
Result<std::unique_ptr<Model>> CompileTreeModel(ModelCompileContext& ctx);
Result<std::unique_ptr<Model>> CompileRegressionModel(ModelCompileContext& ctx);
Result<std::unique_ptr<Model>> CompileMiningModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

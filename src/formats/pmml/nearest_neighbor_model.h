#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/pmml/comparison_measure.h"
#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <NearestNeighborModel> (k-NN): the row is compared with every training instance of the
/// <TrainingInstances> InlineTable over the KNNInputs (ComparisonMeasure, per-input compareFunction
/// and fieldWeight; missing values skipped and adjusted as in ClusteringModel), the k best
/// (smallest distance / largest similarity; ties keep the table order) are the neighbours, and
/// every target field is predicted from their target values:
///  - continuous targets (regression, or optype continuous in a "mixed" model): average, median
///    or weightedAverage (continuousScoringMethod);
///  - categorical targets: majorityVote or weightedMajorityVote (categoricalScoringMethod); ties
///    go to the label reached first in neighbour order.
/// Weighted methods weigh a neighbour by 1 / (measure + threshold).
///
/// With isTransformed="false" (the default) instance values are raw fields: the model's
/// transformations (LocalTransformations, TransformationDictionary) run over every instance once
/// at load to get its KNNInput values. Categorical (string) inputs compare by equality (delta /
/// equal compare functions).
///
/// The prediction: value = the first target's prediction, target_values = every target's,
/// probabilities = vote shares (classification), ranked_entity_ids = the neighbours' ids
/// (instanceIdVariable column, else the 1-based instance position), ranked_affinities = their
/// measures; entityId/affinity outputs with rank r read the r-th neighbour.
class NearestNeighborModel final : public Model {
 public:
  enum class ContinuousMethod : uint8_t { kAverage, kWeightedAverage, kMedian };
  enum class CategoricalMethod : uint8_t { kMajorityVote, kWeightedMajorityVote };

  struct Input {
    Slot slot = kNoSlot;
    /// String-valued input: values are replaced by codes (index in `codes`) so that the numeric
    /// comparison of delta/equal applies.
    bool symbolic = false;
    std::unordered_map<std::string, double> codes;
  };
  struct TargetSpec {
    std::string name;
    bool continuous = true;
    std::vector<Value> values;  ///< per instance; missing when the cell is empty
  };
  struct Spec {
    ComparisonMeasure measure;
    std::vector<Input> inputs;
    std::vector<ComparisonMeasure::Field> fields;  ///< aligned with inputs
    size_t k = 1;
    ContinuousMethod continuous = ContinuousMethod::kAverage;
    CategoricalMethod categorical = CategoricalMethod::kMajorityVote;
    double threshold = 0.001;
    std::vector<std::string> ids;     ///< per instance
    std::vector<double> instances;    ///< row-major: instances × inputs, NaN = missing
    std::vector<TargetSpec> targets;  ///< in MiningSchema order
  };

  NearestNeighborModel(ModelInfo info, Spec spec);
  Status Score(EvalContext& ctx, Prediction& out) const override;

  /// Load-time only: the instance matrix is filled by a Compiler finisher.
  Spec& mutable_spec() { return spec_; }

 private:
  Spec spec_;
};

/// Compiles a <NearestNeighborModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileNearestNeighborModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

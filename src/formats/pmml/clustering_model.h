#pragma once

#include <string>
#include <vector>

#include "formats/pmml/comparison_measure.h"
#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <ClusteringModel modelClass="centerBased">: the row is compared with every Cluster center over
/// the ClusteringFields (isCenterField="true"), each field through its compareFunction (absDiff,
/// gaussSim, delta, equal) and fieldWeight, aggregated by the ComparisonMeasure: distances
/// euclidean, squaredEuclidean, chebychev, cityBlock, minkowski (the nearest cluster wins) or
/// similarities simpleMatching, jaccard, tanimoto, binarySimilarity over 0/1 values (the most
/// similar wins; ties go to the first cluster).
///
/// Missing inputs are skipped; distances are then scaled by Σ q / Σ q(non-missing) with q the
/// MissingValueWeights (1 each by default). All inputs missing gives no prediction.
///
/// The prediction: value and entity_id = Cluster@id (else its 1-based position), affinity = the
/// winner's measure, entity_affinities = every cluster's measure aligned with ModelInfo::classes
/// (the cluster ids). predictedDisplayValue yields the cluster name (through a synthesized
/// Target whose TargetValues carry the names as display values).
class ClusteringModel final : public Model {
 public:
  struct Spec {
    ComparisonMeasure measure;
    std::vector<Slot> slots;                       ///< the center fields
    std::vector<ComparisonMeasure::Field> fields;  ///< aligned with slots
    std::vector<double> centers;                   ///< row-major: clusters × fields
  };

  ClusteringModel(ModelInfo info, Spec spec);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  Spec spec_;
};

/// Compiles a <ClusteringModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileClusteringModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

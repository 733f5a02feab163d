#pragma once

#include <string>
#include <vector>

#include "formats/pmml/comparison_measure.h"
#include "formats/pmml/data_dictionary.h"
#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <ClusteringModel modelClass="centerBased">: the row is compared with every Cluster center over
/// the ClusteringFields (isCenterField="true"), each field through its compareFunction (absDiff,
/// gaussSim, delta, equal, table) and fieldWeight, aggregated by the ComparisonMeasure: distances
/// euclidean, squaredEuclidean, chebychev, cityBlock, minkowski (the nearest cluster wins) or
/// similarities simpleMatching, jaccard, tanimoto, binarySimilarity over 0/1 values (the most
/// similar wins; ties go to the first cluster).
///
/// compareFunction="table" (distance measures only): c(x, y) is the cell of the ClusteringField's
/// <Comparisons><Matrix> whose row is x's position and whose column is y's position in the
/// field's declared domain (the DataField's valid Values in document order, or its Intervals);
/// the center coordinate y is such a value. A row value outside the domain counts as missing.
///
/// modelClass="distributionBased" is refused at load: PMML defines no scoring procedure for
/// clusters described by statistics (Partition, Covariances), only for center vectors.
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
    /// Aligned with fields: index into `domains` for compareFunction="table", else -1. Table
    /// fields hold domain positions (in x and in centers) instead of the values themselves.
    std::vector<int> domain_of;
    std::vector<DataField> domains;
  };

  ClusteringModel(ModelInfo info, Spec spec);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  Spec spec_;
};

/// Compiles a <ClusteringModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileClusteringModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

#pragma once

#include <string>
#include <vector>

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
  enum class Measure : uint8_t {
    kEuclidean,
    kSquaredEuclidean,
    kChebychev,
    kCityBlock,
    kMinkowski,
    kSimpleMatching,
    kJaccard,
    kTanimoto,
    kBinarySimilarity
  };
  enum class Compare : uint8_t { kAbsDiff, kGaussSim, kDelta, kEqual };

  struct Field {
    Slot slot = kNoSlot;
    Compare compare = Compare::kAbsDiff;
    double weight = 1;
    double similarity_scale = 1;
    double missing_weight = 1;
  };
  struct Spec {
    Measure measure = Measure::kSquaredEuclidean;
    double p = 2;                                                                   ///< minkowski
    double c00 = 0, c01 = 0, c10 = 0, c11 = 0, d00 = 0, d01 = 0, d10 = 0, d11 = 0;  ///< binarySimilarity
    std::vector<Field> fields;
    std::vector<double> centers;  ///< row-major: clusters × fields
  };

  ClusteringModel(ModelInfo info, Spec spec);
  Status Score(EvalContext& ctx, Prediction& out) const override;

  static bool IsSimilarity(Measure m) { return m >= Measure::kSimpleMatching; }

 private:
  Spec spec_;
};

/// Compiles a <ClusteringModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileClusteringModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

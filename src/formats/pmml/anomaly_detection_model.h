#pragma once

#include <memory>
#include <vector>

#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <AnomalyDetectionModel>: wraps one inner model (compiled in this model's scope) and turns its
/// result into an anomaly score, the prediction:
///  - iforest: 2^(-E(h) / c(n)) with E(h) the inner model's predicted average path length and
///    c(n) = 2 H(n - 1) - 2 (n - 1) / n, n = sampleDataSize, H(i) = ln(i) + γ;
///  - ocsvm, other: the inner model's predicted value;
///  - clusterMeanDist: the inner ClusteringModel's distance to the winning cluster divided by that
///    cluster's MeanClusterDistances entry.
/// No inner prediction means no anomaly score.
class AnomalyDetectionModel final : public Model {
 public:
  enum class Algorithm : uint8_t { kIsolationForest, kOneClassSvm, kClusterMeanDistance, kOther };

  AnomalyDetectionModel(ModelInfo info, std::unique_ptr<Model> inner, Algorithm algorithm, double sample_size,
                        std::vector<double> mean_distances);
  Status Score(EvalContext& ctx, Prediction& out) const override;

  /// c(n): the average path length of an unsuccessful search in a binary search tree of n nodes.
  static double AveragePathLength(double n);

 private:
  std::unique_ptr<Model> inner_;
  Algorithm algorithm_;
  double sample_size_;
  std::vector<double> mean_distances_;  ///< clusterMeanDist: per inner class (cluster)
};

/// Compiles an <AnomalyDetectionModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileAnomalyDetectionModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

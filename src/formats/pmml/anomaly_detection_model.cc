#include "formats/pmml/anomaly_detection_model.h"

#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

AnomalyDetectionModel::AnomalyDetectionModel(ModelInfo info, std::unique_ptr<Model> inner, Algorithm algorithm,
                                             double sample_size, std::vector<double> mean_distances)
    : Model(std::move(info)),
      inner_(std::move(inner)),
      algorithm_(algorithm),
      sample_size_(sample_size),
      mean_distances_(std::move(mean_distances)) {}

double AnomalyDetectionModel::AveragePathLength(double n) {
  if (n <= 1) return 0;
  if (n == 2) return 1;
  constexpr double kEulerGamma = 0.5772156649015329;
  return 2.0 * (std::log(n - 1) + kEulerGamma) - 2.0 * (n - 1) / n;
}

Status AnomalyDetectionModel::Score(EvalContext& ctx, Prediction& out) const {
  RETURN_IF_ERROR(RunModel(*inner_, ctx));
  const Prediction& p = ctx.prediction(inner_->info().id);
  if (algorithm_ == Algorithm::kClusterMeanDistance) {
    int cluster = inner_->info().ClassIndex(p.entity_id);
    if (cluster < 0 || std::isnan(p.affinity)) return Status::Ok();
    out.value = Value::Number(p.affinity / mean_distances_[static_cast<size_t>(cluster)]);
    return Status::Ok();
  }
  std::optional<double> v = p.value.AsNumber();
  if (!v) return Status::Ok();
  if (algorithm_ == Algorithm::kIsolationForest) {
    out.value = Value::Number(std::pow(2.0, -*v / AveragePathLength(sample_size_)));
  } else {
    out.value = Value::Number(*v);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Model>> CompileAnomalyDetectionModel(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kRegression) {
    return InvalidArgument("an AnomalyDetectionModel needs functionName=\"regression\"");
  }
  std::string_view type = Attr(ctx.node, "algorithmType");
  AnomalyDetectionModel::Algorithm algorithm;
  if (type == "iforest") {
    algorithm = AnomalyDetectionModel::Algorithm::kIsolationForest;
  } else if (type == "ocsvm") {
    algorithm = AnomalyDetectionModel::Algorithm::kOneClassSvm;
  } else if (type == "clusterMeanDist") {
    algorithm = AnomalyDetectionModel::Algorithm::kClusterMeanDistance;
  } else if (type == "other") {
    algorithm = AnomalyDetectionModel::Algorithm::kOther;
  } else {
    return InvalidArgument("unknown algorithmType '" + std::string(type) + "'");
  }
  ASSIGN_OR_RETURN(double sample_size, NumberAttr(ctx.node, "sampleDataSize", std::nan("")));
  if (algorithm == AnomalyDetectionModel::Algorithm::kIsolationForest && !(sample_size > 1)) {
    return InvalidArgument("an iforest AnomalyDetectionModel needs sampleDataSize > 1");
  }
  pugi::xml_node inner_node;
  for (pugi::xml_node c = ctx.node.first_child(); c; c = c.next_sibling()) {
    if (IsModelElement(c)) {
      inner_node = c;
      break;
    }
  }
  if (!inner_node) return InvalidArgument("the AnomalyDetectionModel has no inner model");
  ASSIGN_OR_RETURN(std::unique_ptr<Model> inner, CompileModel(inner_node, ctx.scope));
  std::vector<double> mean_distances;
  if (algorithm == AnomalyDetectionModel::Algorithm::kClusterMeanDistance) {
    if (inner->info().type != "ClusteringModel") {
      return InvalidArgument("clusterMeanDist needs an inner ClusteringModel, not " + inner->info().type);
    }
    ASSIGN_OR_RETURN(mean_distances, NumberArray(Child(Child(ctx.node, "MeanClusterDistances"), "Array")));
    if (mean_distances.size() != inner->info().classes.size()) {
      return InvalidArgument("MeanClusterDistances needs one distance per cluster");
    }
  }
  return std::unique_ptr<Model>(new AnomalyDetectionModel(std::move(ctx.info), std::move(inner), algorithm, sample_size,
                                                          std::move(mean_distances)));
}

}  // namespace mlserving::formats::pmml

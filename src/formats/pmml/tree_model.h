#pragma once

#include <string>
#include <vector>

#include "formats/pmml/model.h"
#include "formats/pmml/predicate.h"

namespace mlserving::formats::pmml {

/// <TreeModel>: a decision tree stored as a flat node array (children of a node are contiguous).
///
/// missingValueStrategy (what happens when a child's predicate is unknown): none (treat as false),
/// nullPrediction, lastPrediction, defaultChild (missingValuePenalty per missing level on the
/// confidences), aggregateNodes (sum the record counts of every leaf reachable through unknown
/// branches), weightedConfidence (confidences weighted by reached leaf record counts).
/// noTrueChildStrategy: returnNullPrediction or returnLastPrediction.
class TreeModel final : public Model {
 public:
  enum class MissingStrategy : uint8_t {
    kNone,
    kNullPrediction,
    kLastPrediction,
    kDefaultChild,
    kAggregateNodes,
    kWeightedConfidence
  };

  /// One ScoreDistribution.
  struct Distribution {
    int class_index;
    double record_count;
    double probability;  ///< NaN when absent
    double confidence;   ///< NaN when absent
  };

  struct Node {
    Predicate predicate;
    std::string id;
    int32_t first_child = -1;
    int32_t num_children = 0;
    int32_t default_child = -1;  ///< node index
    bool has_score = false;
    Value score;  ///< number (regression) or class label (classification)
    double record_count = std::nan("");
    int32_t dist_begin = 0;
    int32_t dist_count = 0;
  };

  TreeModel(ModelInfo info, std::vector<Node> nodes, std::vector<Distribution> distributions,
            MissingStrategy missing_strategy, bool return_last_prediction, double missing_penalty);

  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  void FillFromNode(int node, int missing_levels, Prediction& out) const;
  void Aggregate(EvalContext& ctx, int start, Prediction& out) const;
  void Visit(EvalContext& ctx, int node, double start_count, std::vector<double>& acc, double& reg_sum,
             double& reg_weight) const;

  std::vector<Node> nodes_;
  std::vector<Distribution> distributions_;
  MissingStrategy missing_strategy_;
  bool return_last_prediction_;
  double missing_penalty_;
};

}  // namespace mlserving::formats::pmml

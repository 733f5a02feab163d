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

  /// Where a row's walk ends: no prediction (kNone), a node whose score/distribution is the
  /// prediction (kNode, after `missing_levels` defaultChild steps), or the aggregation of the
  /// leaves under `node` (kAggregate: aggregateNodes/weightedConfidence met a missing value).
  struct Walk {
    enum Kind : uint8_t { kNone, kNode, kAggregate };
    Kind kind = kNone;
    int node = -1;
    int missing_levels = 0;
  };
  Walk WalkTree(EvalContext& ctx) const;
  /// Regression trees: the numeric score of `node` (false when it has none, i.e. no prediction).
  bool NodeScore(int node, double* score) const;
  /// Classification trees: the probabilities Score() gives for a walk ending at `node`, one per
  /// class known when the tree compiled (num_leaf_classes(); later classes: 0), or nullptr when
  /// the node has no ScoreDistribution (no probabilities).
  const double* NodeProbabilities(int node) const;
  size_t num_leaf_classes() const { return num_leaf_classes_; }

  /// The compiled form of a node's predicate and links, 24 bytes, walked instead of `Node` on
  /// the hot path. A SimplePredicate comparing a field with a number is tested on doubles when
  /// the row's value is a (non-NaN) number; anything else (other predicates, missing, strings)
  /// goes through Predicate::Evaluate, so every strategy behaves exactly as the generic walk.
  struct Test {
    enum Op : uint8_t { kTrue, kFalse, kLess, kLessOrEqual, kGreater, kGreaterOrEqual, kEqual, kNotEqual, kGeneric };
    double threshold = 0;
    Slot slot = kNoSlot;
    int32_t first_child = -1;
    int32_t num_children = 0;
    Op op = kGeneric;
  };
  /// Read-only views for compilers of the tree (FlatTreeEnsemble).
  size_t num_nodes() const { return nodes_.size(); }
  const Node& node(int i) const { return nodes_[static_cast<size_t>(i)]; }
  const Test& test(int i) const { return tests_[static_cast<size_t>(i)]; }
  bool return_last_prediction() const { return return_last_prediction_; }

 private:
  Tri Evaluate(int node, EvalContext& ctx) const;
  [[gnu::noinline]] Tri EvaluateGeneric(int node, EvalContext& ctx) const;

  void FillFromNode(int node, int missing_levels, Prediction& out) const;
  void Aggregate(EvalContext& ctx, int start, Prediction& out) const;
  void Visit(EvalContext& ctx, int node, double start_count, std::vector<double>& acc, double& reg_sum,
             double& reg_weight) const;

  std::vector<Node> nodes_;
  std::vector<Test> tests_;  ///< one per node
  std::vector<Distribution> distributions_;
  /// Classification: per node, the probabilities and confidences FillFromNode writes before the
  /// missing-value penalty (node * num_leaf_classes_ + class), computed at load; classes added to
  /// the model after the tree compiled (by Output) have none, i.e. 0.
  std::vector<double> leaf_probabilities_;
  std::vector<double> leaf_confidences_;
  size_t num_leaf_classes_ = 0;
  MissingStrategy missing_strategy_;
  bool return_last_prediction_;
  double missing_penalty_;
};

}  // namespace mlserving::formats::pmml

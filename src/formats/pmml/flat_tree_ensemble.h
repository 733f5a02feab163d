#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "formats/pmml/field_table.h"

namespace mlserving::formats::pmml {

class TreeModel;

/// Trees of an ensemble compiled to one flat array of numeric comparisons, for the rows on which
/// every field the trees test holds a (non-NaN) number.
///
/// On such a row every predicate a TreeModel can hand here (True, False, and SimplePredicates
/// comparing a field with a number: lessThan … notEqual) is decided, so no missingValueStrategy
/// applies and each tree's walk (TreeModel::WalkTree) is a chain of double comparisons. A node of
/// the flat form is one child predicate: "if the field's value compares true with the threshold,
/// go to that child's subtree, else try the next sibling"; True and False children are resolved
/// at build time, the last sibling's "else" is the parent's noTrueChildStrategy outcome (its own
/// prediction with returnLastPrediction, else none). Each comparison is `x <= t` (lessThan uses
/// the next double below the threshold, greater* swap the branches), or `x == t` for equal and
/// notEqual, so the walk is one load, one compare and one indexed load per level. Leaves are
/// nodes that lead to themselves, so Accumulate() walks 16 trees in lockstep without a branch per
/// tree until all 16 reached their leaves.
///
/// A walk ends in a leaf: the TreeModel node whose prediction the generic walk would return, or
/// none. Leaves carry the value an ensemble adds per tree: the node's score (regression) or its
/// class probabilities mapped onto the ensemble's classes (classification); a leaf without one
/// (no score, no ScoreDistribution, no prediction) makes Accumulate() return false, and the
/// caller scores the row through the generic path. Rows with a missing, NaN or non-numeric field
/// never come here (the caller checks them), so the result is bit for bit the generic one.
class FlatTreeEnsemble {
 public:
  /// One tree of the ensemble, with the weight its leaf values are multiplied by. Classification:
  /// `class_map[j]` is the ensemble class index of the tree's class j (-1: none, never added; no
  /// two alike), `num_classes` the ensemble's classes.
  struct Member {
    const TreeModel* tree = nullptr;
    double weight = 1.0;
    std::vector<int> class_map;
  };

  /// Builds the flat form; nullptr when a tree has a predicate other than True, False or a
  /// SimplePredicate comparing a field with a number, or a class mapping/weight/probability
  /// that per-class dense accumulation would not reproduce exactly (negative or NaN values).
  /// `classification`: leaves carry `num_classes` probabilities, else one score.
  static std::unique_ptr<FlatTreeEnsemble> Build(const std::vector<Member>& members, bool classification,
                                                 size_t num_classes);

  /// The slots the trees read, in feature order: Accumulate's `x[f]` is slot feature_slots()[f].
  const std::vector<Slot>& feature_slots() const { return feature_slots_; }
  size_t num_trees() const { return num_trees_; }
  /// Values per leaf: 1 (regression) or the ensemble's number of classes.
  size_t width() const { return width_; }
  /// The sum of the members' weights, added in tree order.
  double total_weight() const { return total_weight_; }

  /// Walks every tree on the row `x` (one non-NaN double per feature, at least one value) and adds, tree by tree in
  /// order, weight * leaf value into acc[0 .. width()). False (acc partly updated) when some walk
  /// ends without a value; the caller then scores the row the generic way.
  bool Accumulate(const double* x, double* acc) const;

  /// The TreeModel node index where tree `t`'s walk on `x` ends, or -1 for no prediction: what
  /// TreeModel::WalkTree returns (kNode / kNone) on a row without missing values (tests). `x` as
  /// for Accumulate.
  int WalkToNode(size_t t, const double* x) const;

 private:
  /// One comparison: next[1] when it holds, next[0] otherwise. Leaf l is node leaf_base_ + l,
  /// whose next[] are itself. (While building, a negative next is leaf ~next.)
  struct Node {
    double threshold;
    int32_t next[2];
    uint32_t feature;
    uint32_t equal;  ///< 1: x == threshold, 0: x <= threshold
  };
  struct Leaf {
    int32_t tree_node;  ///< the TreeModel node, -1: no prediction
    bool has_value;
  };
  class Builder;

  static constexpr size_t kLanes = 16;  ///< walks in lockstep
  /// Walks the kLanes trees whose current nodes are at[] until each reached its leaf.
  template <bool kEqual>
  void WalkLanes(const double* x, int32_t* at) const;
  template <bool kEqual, size_t kWidth>
  bool AccumulateImpl(const double* x, double* acc) const;

  std::vector<Node> nodes_;
  /// Per tree its first node (a leaf's node when it has no comparison), padded with the
  /// no-prediction leaf to a multiple of kLanes.
  std::vector<int32_t> roots_;
  size_t num_trees_ = 0;
  int32_t leaf_base_ = 0;
  bool has_equal_ = false;  ///< some comparison is x == t
  std::vector<Leaf> leaves_;
  std::vector<double> leaf_values_;  ///< width_ per leaf
  std::vector<double> weights_;      ///< per tree
  std::vector<Slot> feature_slots_;
  size_t width_ = 1;
  double total_weight_ = 0;
};

}  // namespace mlserving::formats::pmml

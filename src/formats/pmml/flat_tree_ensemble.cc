#include "formats/pmml/flat_tree_ensemble.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "formats/pmml/tree_model.h"

namespace mlserving::formats::pmml {

/// Compiles one tree after another into the ensemble's arrays.
class FlatTreeEnsemble::Builder {
 public:
  Builder(FlatTreeEnsemble& out, bool classification, size_t num_classes)
      : out_(out), classification_(classification), num_classes_(num_classes) {}

  /// Appends `member`'s tree; false when it cannot be expressed exactly.
  bool Add(const Member& member) {
    tree_ = member.tree;
    if (tree_->num_nodes() == 0) return false;
    if (classification_ && !MapClasses(member)) return false;
    if (!classification_ && !member.class_map.empty()) return false;
    const TreeModel::Test& root = tree_->test(0);
    int32_t start = 0;
    // The walk starts by testing the root's own predicate: false or unknown -> no prediction.
    switch (root.op) {
      case TreeModel::Test::kTrue: start = Enter(0); break;
      case TreeModel::Test::kFalse: start = ~NullLeaf(); break;
      case TreeModel::Test::kGeneric: return false;
      default: {
        int32_t at = static_cast<int32_t>(out_.nodes_.size());
        out_.nodes_.emplace_back();
        int32_t yes = Enter(0);
        if (!ok_) return false;
        if (!SetComparison(at, root, yes, ~NullLeaf())) return false;
        start = at;
      }
    }
    if (!ok_) return false;
    out_.roots_.push_back(start);
    out_.weights_.push_back(member.weight);
    out_.total_weight_ += member.weight;
    return true;
  }

 private:
  /// Where the walk goes once node `n`'s predicate held: its leaf, or its children's chain.
  int32_t Enter(int n) {
    const TreeModel::Node& node = tree_->node(n);
    if (node.num_children == 0) return ~LeafOf(n);
    // The children tested in order up to the first True one (later ones are unreachable);
    // False children are never taken.
    std::vector<int> tested;
    int always = -1;
    for (int c = node.first_child; c < node.first_child + node.num_children; ++c) {
      TreeModel::Test::Op op = tree_->test(c).op;
      if (op == TreeModel::Test::kGeneric) {
        ok_ = false;
        return 0;
      }
      if (op == TreeModel::Test::kFalse) continue;
      if (op == TreeModel::Test::kTrue) {
        always = c;
        break;
      }
      tested.push_back(c);
    }
    // Siblings are laid out contiguously: "else" of one is the next one.
    int32_t base = static_cast<int32_t>(out_.nodes_.size());
    out_.nodes_.resize(out_.nodes_.size() + tested.size());
    for (size_t i = 0; i < tested.size(); ++i) {
      int32_t yes = Enter(tested[i]);
      if (!ok_) return 0;
      int32_t at = base + static_cast<int32_t>(i);
      int32_t otherwise = i + 1 < tested.size() ? at + 1 : 0;
      if (i + 1 == tested.size()) otherwise = always >= 0 ? Enter(always) : ~NoTrueChild(n);
      if (!ok_) return 0;
      if (!SetComparison(at, tree_->test(tested[i]), yes, otherwise)) {
        ok_ = false;
        return 0;
      }
    }
    if (!tested.empty()) return base;
    return always >= 0 ? Enter(always) : ~NoTrueChild(n);
  }

  /// Fills node `at` with `test` (a numeric comparison): `yes` when it holds, else `otherwise`.
  bool SetComparison(int32_t at, const TreeModel::Test& test, int32_t yes, int32_t otherwise) {
    using T = TreeModel::Test;
    Node& node = out_.nodes_[static_cast<size_t>(at)];
    node.feature = Feature(test.slot);
    double t = test.threshold;
    if (std::isnan(t)) return false;
    bool negate = false;
    node.equal = 0;
    switch (test.op) {
      case T::kLessOrEqual: break;
      case T::kGreater: negate = true; break;  // x > t  <=>  !(x <= t) for non-NaN x
      case T::kLess:
      case T::kGreaterOrEqual:
        // x < t  <=>  x <= (the double below t); x < -inf never holds.
        if (t == -HUGE_VAL) {
          t = HUGE_VAL;  // x <= +inf always holds: the branches swap below
          negate = true;
        } else {
          t = std::nextafter(t, -HUGE_VAL);
        }
        if (test.op == T::kGreaterOrEqual) negate = !negate;
        break;
      case T::kEqual: node.equal = 1; break;
      case T::kNotEqual:
        node.equal = 1;
        negate = true;
        break;
      default: return false;
    }
    node.threshold = t;
    node.next[negate ? 0 : 1] = yes;
    node.next[negate ? 1 : 0] = otherwise;
    return true;
  }

  uint32_t Feature(Slot slot) {
    auto [it, added] = features_.emplace(slot, static_cast<uint32_t>(out_.feature_slots_.size()));
    if (added) out_.feature_slots_.push_back(slot);
    return it->second;
  }

  /// No child's predicate held at node `n` (noTrueChildStrategy).
  int32_t NoTrueChild(int n) {
    if (tree_->return_last_prediction() && tree_->node(n).has_score) return LeafOf(n);
    return NullLeaf();
  }

 public:
  /// The shared leaf "no prediction".
  int32_t NullLeaf() {
    if (null_leaf_ < 0) null_leaf_ = NewLeaf(-1, false);
    return null_leaf_;
  }

 private:
  /// A leaf with the prediction the generic walk gives when it ends at node `n`.
  int32_t LeafOf(int n) {
    if (!classification_) {
      double score = 0;
      bool has = tree_->NodeScore(n, &score);
      int32_t leaf = NewLeaf(n, has);
      out_.leaf_values_.back() = has ? score : 0.0;
      return leaf;
    }
    const double* probabilities = tree_->NodeProbabilities(n);
    int32_t leaf = NewLeaf(n, probabilities != nullptr);
    if (!probabilities) return leaf;
    double* values = out_.leaf_values_.data() + static_cast<size_t>(leaf) * out_.width_;
    for (size_t j = 0; j < class_map_.size() && j < tree_->num_leaf_classes(); ++j) {
      double p = probabilities[j];
      // Dense accumulation adds +0.0 for the classes a tree lacks: exact only for p >= +0.0.
      if (std::isnan(p) || std::signbit(p)) ok_ = false;
      if (class_map_[j] >= 0) values[class_map_[j]] = p;
    }
    return leaf;
  }

  int32_t NewLeaf(int tree_node, bool has_value) {
    out_.leaves_.push_back({tree_node, has_value});
    out_.leaf_values_.resize(out_.leaf_values_.size() + out_.width_, 0.0);
    return static_cast<int32_t>(out_.leaves_.size() - 1);
  }

  /// Classification: the member's class map must be injective into the ensemble's classes,
  /// its weight finite and not negative (so weight * 0 is +0.0 for the classes it lacks).
  bool MapClasses(const Member& member) {
    if (!std::isfinite(member.weight) || std::signbit(member.weight)) return false;
    if (member.class_map.size() != tree_->info().classes.size()) return false;
    std::vector<bool> seen(num_classes_, false);
    for (int c : member.class_map) {
      if (c < 0) continue;  // a class the ensemble does not know: never added
      if (static_cast<size_t>(c) >= num_classes_ || seen[static_cast<size_t>(c)]) return false;
      seen[static_cast<size_t>(c)] = true;
    }
    class_map_ = member.class_map;
    return true;
  }

  FlatTreeEnsemble& out_;
  bool classification_;
  size_t num_classes_;
  const TreeModel* tree_ = nullptr;
  std::vector<int> class_map_;
  std::unordered_map<Slot, uint32_t> features_;
  int32_t null_leaf_ = -1;
  bool ok_ = true;
};

std::unique_ptr<FlatTreeEnsemble> FlatTreeEnsemble::Build(const std::vector<Member>& members, bool classification,
                                                          size_t num_classes) {
  if (members.empty() || (classification && num_classes == 0)) return nullptr;
  auto out = std::unique_ptr<FlatTreeEnsemble>(new FlatTreeEnsemble());
  out->width_ = classification ? num_classes : 1;
  Builder builder(*out, classification, num_classes);
  for (const Member& m : members) {
    if (!builder.Add(m)) return nullptr;
  }
  const int32_t null_leaf = builder.NullLeaf();  // pads the last group of lanes
  if (out->nodes_.size() + out->leaves_.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  // Leaves become nodes that loop onto themselves, after the comparisons: a walk that reached one
  // stays there, and leaf l is node leaf_base_ + l.
  out->leaf_base_ = static_cast<int32_t>(out->nodes_.size());
  auto resolve = [&](int32_t ref) { return ref >= 0 ? ref : out->leaf_base_ + ~ref; };
  for (Node& n : out->nodes_) {
    n.next[0] = resolve(n.next[0]);
    n.next[1] = resolve(n.next[1]);
    out->has_equal_ |= n.equal != 0;
  }
  for (size_t l = 0; l < out->leaves_.size(); ++l) {
    int32_t self = out->leaf_base_ + static_cast<int32_t>(l);
    out->nodes_.push_back(Node{0.0, {self, self}, 0, 0});
  }
  for (int32_t& root : out->roots_) root = resolve(root);
  out->num_trees_ = out->roots_.size();
  out->roots_.resize((out->num_trees_ + kLanes - 1) / kLanes * kLanes, resolve(~null_leaf));
  out->nodes_.shrink_to_fit();
  out->leaf_values_.shrink_to_fit();
  return out;
}

template <bool kEqual>
inline void FlatTreeEnsemble::WalkLanes(const double* x, int32_t* at) const {
  // kLanes walks in lockstep: one walk is a chain of dependent loads (node, field value, next
  // index); independent chains keep the core busy. A walk that reached its leaf stays there.
  const Node* nodes = nodes_.data();
  bool moved = true;
  while (moved) {
    moved = false;
    for (size_t k = 0; k < kLanes; ++k) {
      int32_t i = at[k];
      const Node& n = nodes[i];
      double v = x[n.feature];
      bool holds = v <= n.threshold;
      if constexpr (kEqual) holds &= (n.equal == 0) | (v >= n.threshold);
      int32_t next = n.next[holds];
      moved |= next != i;
      at[k] = next;
    }
  }
}

template <bool kEqual, size_t kWidth>
bool FlatTreeEnsemble::AccumulateImpl(const double* x, double* acc) const {
  const size_t width = kWidth ? kWidth : width_;
  const double* values = leaf_values_.data();
  int32_t at[kLanes];
  for (size_t t = 0; t < num_trees_; t += kLanes) {
    std::copy_n(roots_.data() + t, kLanes, at);
    WalkLanes<kEqual>(x, at);
    // The sums in tree order, as the generic path adds them.
    const size_t lanes = std::min(kLanes, num_trees_ - t);
    for (size_t k = 0; k < lanes; ++k) {
      size_t leaf = static_cast<size_t>(at[k] - leaf_base_);
      if (!leaves_[leaf].has_value) return false;
      double w = weights_[t + k];
      const double* v = values + leaf * width;
      for (size_t c = 0; c < width; ++c) acc[c] += w * v[c];
    }
  }
  return true;
}

bool FlatTreeEnsemble::Accumulate(const double* x, double* acc) const {
  if (has_equal_) return AccumulateImpl<true, 0>(x, acc);
  switch (width_) {
    case 1: return AccumulateImpl<false, 1>(x, acc);
    case 2: return AccumulateImpl<false, 2>(x, acc);
    default: return AccumulateImpl<false, 0>(x, acc);
  }
}

int FlatTreeEnsemble::WalkToNode(size_t t, const double* x) const {
  int32_t at[kLanes];
  std::fill_n(at, kLanes, roots_[t]);
  WalkLanes<true>(x, at);
  return leaves_[static_cast<size_t>(at[0] - leaf_base_)].tree_node;
}

}  // namespace mlserving::formats::pmml

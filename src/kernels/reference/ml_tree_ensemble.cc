// TreeEnsembleClassifier and TreeEnsembleRegressor (ai.onnx.ml).
//
// The factories compile the nodes_* / class_* / target_* attribute arrays into flat trees (child
// indices instead of (tree id, node id) pairs, leaf weights grouped per leaf), validating them once:
// every id resolves, every tree is a tree (no cycle, no shared subtree), weights sit on leaves.
// Compute() then only walks arrays.
//
// Numerics follow onnxruntime, the runtime the ONNX-ML converters are validated against: inputs
// are compared with thresholds in float (double when the input or an *_as_tensor attribute is
// double), scores accumulate in that type, and the special cases below match its outputs.
// Known differences, all on attribute combinations no converter emits:
//   * a two-class classifier whose weights fill both class columns gets the argmax label
//     (onnxruntime returns literal 1/0 there, not a class label);
//   * a binary single-column classifier with two base_values adds base_values[0] (column 0) or
//     both (column 1) instead of onnxruntime's inconsistent handling;
//   * a one-class classifier returns that class as its label;
//   * PROBIT on a binary single-column classifier is rejected (onnxruntime writes a NaN column).

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/parallel_for.h"
#include "kernels/reference/ml_common.h"
#include "kernels/reference/ml_ops.h"

namespace mlserving::kernels::reference {
namespace {

using ml::PostTransform;

enum class NodeMode : uint8_t { kLeq, kLt, kGte, kGt, kEq, kNeq, kLeaf };

Result<NodeMode> ParseNodeMode(const std::string& name) {
  if (name == "BRANCH_LEQ") return NodeMode::kLeq;
  if (name == "BRANCH_LT") return NodeMode::kLt;
  if (name == "BRANCH_GTE") return NodeMode::kGte;
  if (name == "BRANCH_GT") return NodeMode::kGt;
  if (name == "BRANCH_EQ") return NodeMode::kEq;
  if (name == "BRANCH_NEQ") return NodeMode::kNeq;
  if (name == "LEAF") return NodeMode::kLeaf;
  return InvalidArgument("unknown node mode '" + name + "'");
}

enum class Aggregate { kSum, kAverage, kMin, kMax };

Result<Aggregate> ParseAggregate(const std::string& name) {
  if (name == "SUM") return Aggregate::kSum;
  if (name == "AVERAGE") return Aggregate::kAverage;
  if (name == "MIN") return Aggregate::kMin;
  if (name == "MAX") return Aggregate::kMax;
  return InvalidArgument("unknown aggregate_function '" + name + "' (expected SUM, AVERAGE, MIN or MAX)");
}

/// An ensemble of validated trees in flat arrays. Thresholds and weights are kept as double,
/// which holds float attributes exactly; evaluation narrows them back to its compute type.
struct CompiledTrees {
  struct TreeNode {
    double threshold = 0;
    int32_t feature = 0;
    int32_t true_child = -1;
    int32_t false_child = -1;
    NodeMode mode = NodeMode::kLeaf;
    bool missing_tracks_true = false;
    /// A leaf's weights are weights[weights_begin, weights_end).
    int32_t weights_begin = 0;
    int32_t weights_end = 0;
  };
  struct LeafWeight {
    int32_t output = 0;  ///< class or target index
    double value = 0;
  };

  std::vector<TreeNode> nodes;
  std::vector<int32_t> roots;  ///< one per tree, in order of first appearance
  std::vector<LeafWeight> weights;
  int64_t features_needed = 0;  ///< 1 + the largest feature id a branch reads
  bool has_double_attributes = false;
  bool weights_all_non_negative = true;
  std::set<int32_t> outputs_with_weights;

  /// Walks the tree at `root` for one input row; terminates because the trees are validated.
  template <typename T>
  const TreeNode& FindLeaf(const T* row, int32_t root) const {
    const TreeNode* node = &nodes[static_cast<size_t>(root)];
    while (node->mode != NodeMode::kLeaf) {
      const T x = row[node->feature];
      const T threshold = static_cast<T>(node->threshold);
      bool go_true = false;
      switch (node->mode) {
        case NodeMode::kLeq: go_true = x <= threshold; break;
        case NodeMode::kLt: go_true = x < threshold; break;
        case NodeMode::kGte: go_true = x >= threshold; break;
        case NodeMode::kGt: go_true = x > threshold; break;
        case NodeMode::kEq: go_true = x == threshold; break;
        case NodeMode::kNeq: go_true = x != threshold; break;
        case NodeMode::kLeaf: break;
      }
      if (node->missing_tracks_true && std::isnan(x)) go_true = true;
      node = &nodes[static_cast<size_t>(go_true ? node->true_child : node->false_child)];
    }
    return *node;
  }

  // ---- Branch-free evaluation (float compute, one branch mode for the whole ensemble: what
  // every converter emits). `flat` is parallel to `nodes`; a leaf points to itself, so a tree
  // of depth d is evaluated by exactly d steps for every row, in lockstep over a block of rows
  // (independent loads instead of mispredicted branches). Same comparisons as FindLeaf, so the
  // same leaves.
  struct FlatNode {
    float threshold = 0;
    int32_t feature = 0;
    int32_t next[2] = {0, 0};  ///< [false child, true child]
  };
  std::vector<FlatNode> flat;              ///< empty when the fast path does not apply
  std::vector<int32_t> depths;             ///< max depth (edges) of each tree, parallel to roots
  std::vector<uint8_t> missing_true;       ///< parallel to nodes, only when any node has it
  NodeMode uniform_mode = NodeMode::kLeq;  ///< the mode of every branch when `flat` is set

  /// Trees deeper than this are walked row by row (lockstep would waste steps on short paths).
  static constexpr int32_t kMaxLockstepDepth = 16;
  /// Rows evaluated together per tree.
  static constexpr int64_t kBlockRows = 8;

  /// Builds the branch-free layout when every branch uses one mode and thresholds are float.
  void PrepareFastPath() {
    flat.clear();
    if (has_double_attributes) return;
    bool mode_set = false;
    bool any_missing_true = false;
    for (const TreeNode& node : nodes) {
      if (node.mode == NodeMode::kLeaf) continue;
      if (mode_set && node.mode != uniform_mode) return;
      uniform_mode = node.mode;
      mode_set = true;
      any_missing_true = any_missing_true || node.missing_tracks_true;
    }
    flat.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      const TreeNode& node = nodes[i];
      FlatNode& f = flat[i];
      if (node.mode == NodeMode::kLeaf) {
        f.next[0] = f.next[1] = static_cast<int32_t>(i);
      } else {
        f.threshold = static_cast<float>(node.threshold);
        f.feature = node.feature;
        f.next[0] = node.false_child;
        f.next[1] = node.true_child;
      }
    }
    missing_true.clear();
    if (any_missing_true) {
      for (const TreeNode& node : nodes) missing_true.push_back(node.missing_tracks_true ? 1 : 0);
    }
    depths.clear();
    std::vector<std::pair<int32_t, int32_t>> stack;
    for (int32_t root : roots) {
      int32_t depth = 0;
      stack.assign(1, {root, 0});
      while (!stack.empty()) {
        auto [index, d] = stack.back();
        stack.pop_back();
        depth = std::max(depth, d);
        const TreeNode& node = nodes[static_cast<size_t>(index)];
        if (node.mode == NodeMode::kLeaf) continue;
        stack.push_back({node.true_child, d + 1});
        stack.push_back({node.false_child, d + 1});
      }
      depths.push_back(depth);
    }
  }

  /// Calls visit(row, leaf) for every row of the [num_rows, cols] matrix and every tree: for
  /// each row the trees come in ensemble order (so scores accumulate in the same order as a
  /// row-by-row walk), rows are processed in blocks, tree by tree.
  template <typename T, typename Visit>
  void VisitLeaves(const T* rows, int64_t num_rows, int64_t cols, Visit&& visit) const {
    if constexpr (std::is_same_v<T, float>) {
      if (!flat.empty()) {
        const bool mt = !missing_true.empty();
        // One instantiation per (comparison, missing-tracks-true) pair: the mode is a template
        // argument so the inner walk has no per-node switch.
        const auto walk = [&]<NodeMode kMode>() {
          return mt ? VisitFlat<kMode, true>(rows, num_rows, cols, visit)
                    : VisitFlat<kMode, false>(rows, num_rows, cols, visit);
        };
        switch (uniform_mode) {
          case NodeMode::kLeq: return walk.template operator()<NodeMode::kLeq>();
          case NodeMode::kLt: return walk.template operator()<NodeMode::kLt>();
          case NodeMode::kGte: return walk.template operator()<NodeMode::kGte>();
          case NodeMode::kGt: return walk.template operator()<NodeMode::kGt>();
          case NodeMode::kEq: return walk.template operator()<NodeMode::kEq>();
          case NodeMode::kNeq: return walk.template operator()<NodeMode::kNeq>();
          case NodeMode::kLeaf: break;
        }
      }
    }
    for (int64_t begin = 0; begin < num_rows; begin += kBlockRows) {
      const int64_t end = std::min(num_rows, begin + kBlockRows);
      for (int32_t root : roots) {
        for (int64_t r = begin; r < end; ++r) visit(r, FindLeaf(rows + r * cols, root));
      }
    }
  }

 private:
  template <NodeMode kMode>
  static bool Compare(float x, float threshold) {
    if constexpr (kMode == NodeMode::kLeq) return x <= threshold;
    if constexpr (kMode == NodeMode::kLt) return x < threshold;
    if constexpr (kMode == NodeMode::kGte) return x >= threshold;
    if constexpr (kMode == NodeMode::kGt) return x > threshold;
    if constexpr (kMode == NodeMode::kEq) return x == threshold;
    return x != threshold;
  }

  template <NodeMode kMode, bool kMissingTrue, typename Visit>
  void VisitFlat(const float* rows, int64_t num_rows, int64_t cols, Visit& visit) const {
    const FlatNode* base = flat.data();
    int32_t index[kBlockRows];
    const float* row[kBlockRows];
    for (int64_t begin = 0; begin < num_rows; begin += kBlockRows) {
      const int64_t count = std::min(kBlockRows, num_rows - begin);
      for (int64_t b = 0; b < count; ++b) row[b] = rows + (begin + b) * cols;
      for (size_t t = 0; t < roots.size(); ++t) {
        const int32_t root = roots[t];
        const int32_t depth = depths[t];
        if (depth > kMaxLockstepDepth) {
          for (int64_t b = 0; b < count; ++b) visit(begin + b, FindLeaf(row[b], root));
          continue;
        }
        for (int64_t b = 0; b < count; ++b) index[b] = root;
        for (int32_t step = 0; step < depth; ++step) {
          for (int64_t b = 0; b < count; ++b) {
            const FlatNode& node = base[index[b]];
            const float x = row[b][node.feature];
            bool go_true = Compare<kMode>(x, node.threshold);
            if constexpr (kMissingTrue)
              go_true = go_true || (missing_true[static_cast<size_t>(index[b])] && std::isnan(x));
            index[b] = node.next[go_true ? 1 : 0];
          }
        }
        for (int64_t b = 0; b < count; ++b) visit(begin + b, nodes[static_cast<size_t>(index[b])]);
      }
    }
  }
};

std::string NodeName(int64_t tree_id, int64_t node_id) {
  return "node " + std::to_string(node_id) + " of tree " + std::to_string(tree_id);
}

/// Reads and validates nodes_* and the `prefix`_* leaf weights ("class" or "target") for an
/// ensemble with `num_outputs` classes or targets.
Result<CompiledTrees> CompileTrees(const ir::Node& node, const std::string& prefix, int64_t num_outputs) {
  const std::vector<int64_t> tree_ids = node.GetInts("nodes_treeids");
  const std::vector<int64_t> node_ids = node.GetInts("nodes_nodeids");
  const std::vector<int64_t> feature_ids = node.GetInts("nodes_featureids");
  const std::vector<std::string> modes = node.GetStrings("nodes_modes");
  const std::vector<int64_t> true_ids = node.GetInts("nodes_truenodeids");
  const std::vector<int64_t> false_ids = node.GetInts("nodes_falsenodeids");
  const std::vector<int64_t> missing_tracks_true = node.GetInts("nodes_missing_value_tracks_true");
  ASSIGN_OR_RETURN(ml::FloatListAttribute thresholds, ml::GetFloatList(node, "nodes_values"));

  const size_t n = node_ids.size();
  if (n == 0) return InvalidArgument("the ensemble has no nodes (nodes_nodeids is empty)");
  if (n >= static_cast<size_t>(INT32_MAX)) return InvalidArgument("the ensemble has too many nodes");
  RETURN_IF_ERROR(ml::CheckSameLength(n, "nodes_nodeids", tree_ids.size(), "nodes_treeids"));
  RETURN_IF_ERROR(ml::CheckSameLength(n, "nodes_nodeids", feature_ids.size(), "nodes_featureids"));
  RETURN_IF_ERROR(ml::CheckSameLength(n, "nodes_nodeids", modes.size(), "nodes_modes"));
  RETURN_IF_ERROR(ml::CheckSameLength(n, "nodes_nodeids", true_ids.size(), "nodes_truenodeids"));
  RETURN_IF_ERROR(ml::CheckSameLength(n, "nodes_nodeids", false_ids.size(), "nodes_falsenodeids"));
  if (thresholds.present) {
    RETURN_IF_ERROR(ml::CheckSameLength(n, "nodes_nodeids", thresholds.values.size(), "nodes_values"));
  }
  if (!missing_tracks_true.empty()) {
    RETURN_IF_ERROR(
        ml::CheckSameLength(n, "nodes_nodeids", missing_tracks_true.size(), "nodes_missing_value_tracks_true"));
  }

  CompiledTrees trees;
  trees.has_double_attributes = thresholds.from_double_tensor;
  trees.nodes.resize(n);
  std::map<std::pair<int64_t, int64_t>, int32_t> index_of;
  std::set<int64_t> seen_trees;
  for (size_t i = 0; i < n; ++i) {
    if (!index_of.emplace(std::make_pair(tree_ids[i], node_ids[i]), static_cast<int32_t>(i)).second) {
      return InvalidArgument(NodeName(tree_ids[i], node_ids[i]) + " is defined twice");
    }
    if (seen_trees.insert(tree_ids[i]).second) trees.roots.push_back(static_cast<int32_t>(i));
  }
  for (size_t i = 0; i < n; ++i) {
    CompiledTrees::TreeNode& compiled = trees.nodes[i];
    ASSIGN_OR_RETURN(compiled.mode, ParseNodeMode(modes[i]));
    compiled.threshold = thresholds.present ? thresholds.values[i] : 0.0;
    compiled.missing_tracks_true = !missing_tracks_true.empty() && missing_tracks_true[i] != 0;
    if (compiled.mode == NodeMode::kLeaf) continue;
    if (feature_ids[i] < 0 || feature_ids[i] >= INT32_MAX) {
      return InvalidArgument(NodeName(tree_ids[i], node_ids[i]) + " reads invalid feature " +
                             std::to_string(feature_ids[i]));
    }
    compiled.feature = static_cast<int32_t>(feature_ids[i]);
    trees.features_needed = std::max<int64_t>(trees.features_needed, feature_ids[i] + 1);
    auto true_child = index_of.find({tree_ids[i], true_ids[i]});
    auto false_child = index_of.find({tree_ids[i], false_ids[i]});
    if (true_child == index_of.end() || false_child == index_of.end()) {
      const int64_t missing = true_child == index_of.end() ? true_ids[i] : false_ids[i];
      return InvalidArgument(NodeName(tree_ids[i], node_ids[i]) + " branches to node " + std::to_string(missing) +
                             ", which its tree does not define");
    }
    compiled.true_child = true_child->second;
    compiled.false_child = false_child->second;
  }

  // Each node may be reached once: that rules out cycles (which would make FindLeaf loop) and
  // subtrees shared between branches.
  std::vector<uint8_t> visited(n, 0);
  std::vector<int32_t> stack;
  for (int32_t root : trees.roots) {
    stack.assign(1, root);
    while (!stack.empty()) {
      const auto index = static_cast<size_t>(stack.back());
      stack.pop_back();
      if (visited[index]) {
        return InvalidArgument("tree " + std::to_string(tree_ids[index]) + " is not a tree: " +
                               NodeName(tree_ids[index], node_ids[index]) + " is reached twice (a cycle?)");
      }
      visited[index] = 1;
      const CompiledTrees::TreeNode& compiled = trees.nodes[index];
      if (compiled.mode == NodeMode::kLeaf) continue;
      stack.push_back(compiled.true_child);
      stack.push_back(compiled.false_child);
    }
  }

  const std::vector<int64_t> weight_tree_ids = node.GetInts(prefix + "_treeids");
  const std::vector<int64_t> weight_node_ids = node.GetInts(prefix + "_nodeids");
  const std::vector<int64_t> weight_outputs = node.GetInts(prefix + "_ids");
  ASSIGN_OR_RETURN(ml::FloatListAttribute weight_values, ml::GetFloatList(node, prefix + "_weights"));
  const size_t num_weights = weight_node_ids.size();
  const std::string weight_ids_name = prefix + "_nodeids";
  RETURN_IF_ERROR(ml::CheckSameLength(num_weights, weight_ids_name, weight_tree_ids.size(), prefix + "_treeids"));
  RETURN_IF_ERROR(ml::CheckSameLength(num_weights, weight_ids_name, weight_outputs.size(), prefix + "_ids"));
  RETURN_IF_ERROR(ml::CheckSameLength(num_weights, weight_ids_name, weight_values.values.size(), prefix + "_weights"));
  trees.has_double_attributes = trees.has_double_attributes || weight_values.from_double_tensor;

  std::vector<std::pair<int32_t, CompiledTrees::LeafWeight>> by_leaf;
  by_leaf.reserve(num_weights);
  for (size_t k = 0; k < num_weights; ++k) {
    auto leaf = index_of.find({weight_tree_ids[k], weight_node_ids[k]});
    if (leaf == index_of.end()) {
      return InvalidArgument(prefix + " weight " + std::to_string(k) + " refers to " +
                             NodeName(weight_tree_ids[k], weight_node_ids[k]) + ", which does not exist");
    }
    if (trees.nodes[static_cast<size_t>(leaf->second)].mode != NodeMode::kLeaf) {
      return InvalidArgument(prefix + " weight " + std::to_string(k) + " is attached to " +
                             NodeName(weight_tree_ids[k], weight_node_ids[k]) + ", which is not a leaf");
    }
    if (weight_outputs[k] < 0 || weight_outputs[k] >= num_outputs) {
      return InvalidArgument(prefix + "_ids[" + std::to_string(k) + "] = " + std::to_string(weight_outputs[k]) +
                             " is out of range [0, " + std::to_string(num_outputs) + ")");
    }
    const auto output = static_cast<int32_t>(weight_outputs[k]);
    by_leaf.push_back({leaf->second, {output, weight_values.values[k]}});
    trees.outputs_with_weights.insert(output);
    if (weight_values.values[k] < 0) trees.weights_all_non_negative = false;
  }
  std::stable_sort(by_leaf.begin(), by_leaf.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  trees.weights.reserve(by_leaf.size());
  for (size_t k = 0; k < by_leaf.size(); ++k) {
    CompiledTrees::TreeNode& leaf = trees.nodes[static_cast<size_t>(by_leaf[k].first)];
    if (leaf.weights_end == 0) leaf.weights_begin = static_cast<int32_t>(k);
    leaf.weights_end = static_cast<int32_t>(k + 1);
    trees.weights.push_back(by_leaf[k].second);
  }
  trees.PrepareFastPath();
  return trees;
}

/// The ensemble input as a row-major [rows, cols] matrix of T, checking that every feature a
/// branch reads exists. Points into the input when it already holds T, else into `converted`.
template <typename T>
Result<const T*> ReadFeatures(const Tensor& input, const CompiledTrees& trees, ml::MatrixShape& shape,
                              std::vector<T>& converted) {
  ASSIGN_OR_RETURN(shape, ml::AsMatrix(input));
  if (shape.cols < trees.features_needed) {
    return InvalidArgument("the trees read feature " + std::to_string(trees.features_needed - 1) + " but the input " +
                           input.DebugString() + " has " + std::to_string(shape.cols) + " features");
  }
  if (input.dtype() == DTypeOf<T>::value) return input.data<T>();
  RETURN_IF_ERROR(ml::ConvertToVector(input, converted));
  return static_cast<const T*>(converted.data());
}

/// Rows scored together: bounds the per-call score buffers while keeping blocks long.
constexpr int64_t kChunkRows = 1024;
/// Tree walks (rows x trees) below which a call stays on one thread: waking a helper costs
/// about as much as a few thousand walks.
constexpr int64_t kMinParallelWalks = 4096;

/// Splits `rows` into ParallelFor tasks of whole row blocks: one chunk on one thread, about four
/// tasks per thread otherwise (so the caller keeps working while helpers wake up).
struct RowTasks {
  int64_t rows_per_task = kChunkRows;
  int64_t count = 0;
  int threads = 1;
};
RowTasks SplitRows(int64_t rows, size_t trees, int intra_op_threads) {
  RowTasks tasks;
  if (intra_op_threads > 1 && rows * static_cast<int64_t>(trees) >= kMinParallelWalks) {
    tasks.threads = intra_op_threads;
    const int64_t per = (rows + 4 * intra_op_threads - 1) / (4 * intra_op_threads);
    tasks.rows_per_task = std::clamp<int64_t>((per + 7) / 8 * 8, 8, kChunkRows);
  }
  tasks.count = (rows + tasks.rows_per_task - 1) / tasks.rows_per_task;
  return tasks;
}

/// Whether evaluation runs in double: for double inputs and for double (*_as_tensor) attributes.
bool ComputesInDouble(const Tensor& input, bool has_double_attributes) {
  return input.dtype() == DType::kFloat64 || has_double_attributes;
}

class TreeEnsembleClassifierKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<TreeEnsembleClassifierKernel>();
    kernel->int_labels_ = node.GetInts("classlabels_int64s");
    kernel->string_labels_ = node.GetStrings("classlabels_strings");
    if (kernel->int_labels_.empty() == kernel->string_labels_.empty()) {
      return InvalidArgument("exactly one of classlabels_int64s and classlabels_strings must be given");
    }
    kernel->num_classes_ = static_cast<int64_t>(kernel->string_labels_.empty() ? kernel->int_labels_.size()
                                                                               : kernel->string_labels_.size());
    ASSIGN_OR_RETURN(kernel->post_transform_, ml::ParsePostTransform(node));
    ASSIGN_OR_RETURN(kernel->trees_, CompileTrees(node, "class", kernel->num_classes_));
    ASSIGN_OR_RETURN(ml::FloatListAttribute base_values, ml::GetFloatList(node, "base_values"));
    kernel->base_values_ = std::move(base_values.values);
    kernel->trees_.has_double_attributes = kernel->trees_.has_double_attributes || base_values.from_double_tensor;

    const CompiledTrees& trees = kernel->trees_;
    kernel->binary_single_column_ = kernel->num_classes_ == 2 && trees.outputs_with_weights.size() == 1;
    if (kernel->binary_single_column_) kernel->binary_column_ = *trees.outputs_with_weights.begin();
    const size_t num_base = kernel->base_values_.size();
    if (num_base != 0 && num_base != static_cast<size_t>(kernel->num_classes_) &&
        !(num_base == 1 && kernel->binary_single_column_)) {
      return InvalidArgument("base_values has " + std::to_string(num_base) + " elements for " +
                             std::to_string(kernel->num_classes_) + " classes");
    }
    if (kernel->binary_single_column_ && kernel->binary_column_ == 0 &&
        kernel->post_transform_ == PostTransform::kProbit) {
      return Unimplemented("post_transform PROBIT on a binary classifier with a single score column");
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    if (ComputesInDouble(*input, trees_.has_double_attributes)) return Run<double>(*input, ctx);
    return Run<float>(*input, ctx);
  }

 private:
  template <typename T>
  Status Run(const Tensor& input, KernelContext& ctx) const {
    ml::MatrixShape shape;
    std::vector<T> converted;
    ASSIGN_OR_RETURN(const T* features, ReadFeatures(input, trees_, shape, converted));
    ASSIGN_OR_RETURN(Tensor labels,
                     ctx.Allocate(string_labels_.empty() ? DType::kInt64 : DType::kString, {shape.rows}));
    ASSIGN_OR_RETURN(Tensor scores_out, ctx.Allocate(DType::kFloat32, {shape.rows, num_classes_}));
    float* scores_data = scores_out.data<float>();
    const auto num_classes = static_cast<size_t>(num_classes_);
    const RowTasks tasks = SplitRows(shape.rows, trees_.roots.size(), ctx.intra_op_threads);
    ParallelFor(tasks.count, tasks.threads, [&](int64_t task) {
      const int64_t begin = task * tasks.rows_per_task;
      const int64_t count = std::min(tasks.rows_per_task, shape.rows - begin);
      std::vector<T> chunk_scores;
      std::vector<uint8_t> chunk_has_score;
      std::vector<T> scores(num_classes);
      std::vector<uint8_t> has_score(num_classes);
      chunk_scores.assign(static_cast<size_t>(count) * num_classes, T(0));
      chunk_has_score.assign(static_cast<size_t>(count) * num_classes, uint8_t{0});
      trees_.VisitLeaves(features + begin * shape.cols, count, shape.cols,
                         [&](int64_t r, const CompiledTrees::TreeNode& leaf) {
                           T* row_scores = chunk_scores.data() + static_cast<size_t>(r) * num_classes;
                           uint8_t* row_has = chunk_has_score.data() + static_cast<size_t>(r) * num_classes;
                           for (int32_t w = leaf.weights_begin; w < leaf.weights_end; ++w) {
                             const CompiledTrees::LeafWeight& weight = trees_.weights[static_cast<size_t>(w)];
                             row_scores[weight.output] += static_cast<T>(weight.value);
                             row_has[weight.output] = 1;
                           }
                         });
      for (int64_t i = 0; i < count; ++i) {
        const size_t offset = static_cast<size_t>(i) * num_classes;
        std::copy_n(chunk_scores.begin() + static_cast<std::ptrdiff_t>(offset), num_classes, scores.begin());
        std::copy_n(chunk_has_score.begin() + static_cast<std::ptrdiff_t>(offset), num_classes, has_score.begin());
        const size_t label_index = binary_single_column_ ? FinishBinary(scores) : FinishMulticlass(scores, has_score);
        const int64_t r = begin + i;
        if (string_labels_.empty()) {
          labels.data<int64_t>()[r] = int_labels_[label_index];
        } else {
          labels.data<std::string>()[r] = string_labels_[label_index];
        }
        for (size_t c = 0; c < num_classes; ++c)
          scores_data[static_cast<size_t>(r) * num_classes + c] = static_cast<float>(scores[c]);
      }
    });
    ml::SetOutput(ctx, 0, std::move(labels));
    ml::SetOutput(ctx, 1, std::move(scores_out));
    return Status::Ok();
  }

  /// Two classes, weights in one column only (what converters emit for binary models): the
  /// column holds the positive class's score s. The label is positive when s > 0.5 (all weights
  /// non-negative: s is a probability) or s > 0 (a margin); the scores become [1-s, s] or [-s, s],
  /// or [logistic(-s), logistic(s)] under LOGISTIC. SOFTMAX variants leave them untransformed, as
  /// onnxruntime does. Weights in column 1 only keep both columns and transform them as usual.
  template <typename T>
  size_t FinishBinary(std::vector<T>& scores) const {
    T positive = 0;
    if (binary_column_ == 0) {
      positive = scores[0] + (base_values_.empty() ? T(0) : static_cast<T>(base_values_[0]));
      if (post_transform_ == PostTransform::kLogistic) {
        scores[0] = static_cast<T>(ml::Logistic(static_cast<float>(-positive)));
        scores[1] = static_cast<T>(ml::Logistic(static_cast<float>(positive)));
      } else {
        scores[0] = trees_.weights_all_non_negative ? T(1) - positive : -positive;
        scores[1] = positive;
      }
    } else {
      if (base_values_.size() == 2) {
        scores[0] = static_cast<T>(base_values_[0]);
        scores[1] += static_cast<T>(base_values_[1]);
      } else if (base_values_.size() == 1) {
        scores[1] += static_cast<T>(base_values_[0]);
      }
      positive = scores[1];
      ml::ApplyPostTransform(post_transform_, std::span<T>(scores));
    }
    const T threshold = trees_.weights_all_non_negative ? T(0.5) : T(0);
    return positive > threshold ? 1 : 0;
  }

  /// The label is the first class with the highest score among those some leaf or base value
  /// scored (class 0 when none is); then the post-transform applies to the whole row.
  template <typename T>
  size_t FinishMulticlass(std::vector<T>& scores, std::vector<uint8_t>& has_score) const {
    if (base_values_.size() == scores.size()) {
      for (size_t c = 0; c < scores.size(); ++c) {
        scores[c] += static_cast<T>(base_values_[c]);
        has_score[c] = 1;
      }
    }
    size_t best = 0;
    bool found = false;
    for (size_t c = 0; c < scores.size(); ++c) {
      if (has_score[c] && (!found || scores[c] > scores[best])) {
        best = c;
        found = true;
      }
    }
    ml::ApplyPostTransform(post_transform_, std::span<T>(scores));
    return best;
  }

  std::vector<int64_t> int_labels_;
  std::vector<std::string> string_labels_;
  int64_t num_classes_ = 0;
  PostTransform post_transform_ = PostTransform::kNone;
  CompiledTrees trees_;
  std::vector<double> base_values_;
  bool binary_single_column_ = false;
  int32_t binary_column_ = 0;
};

class TreeEnsembleRegressorKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<TreeEnsembleRegressorKernel>();
    int64_t num_targets = node.GetInt("n_targets", 0);
    if (!node.Has("n_targets")) {
      for (int64_t id : node.GetInts("target_ids")) num_targets = std::max(num_targets, id + 1);
      num_targets = std::max<int64_t>(num_targets, 1);
    }
    if (num_targets < 1 || num_targets > INT32_MAX) {
      return InvalidArgument("n_targets must be positive, got " + std::to_string(num_targets));
    }
    kernel->num_targets_ = num_targets;
    ASSIGN_OR_RETURN(kernel->post_transform_, ml::ParsePostTransform(node));
    ASSIGN_OR_RETURN(kernel->aggregate_, ParseAggregate(node.GetString("aggregate_function", "SUM")));
    ASSIGN_OR_RETURN(kernel->trees_, CompileTrees(node, "target", num_targets));
    ASSIGN_OR_RETURN(ml::FloatListAttribute base_values, ml::GetFloatList(node, "base_values"));
    kernel->base_values_ = std::move(base_values.values);
    kernel->trees_.has_double_attributes = kernel->trees_.has_double_attributes || base_values.from_double_tensor;
    if (!kernel->base_values_.empty() && kernel->base_values_.size() != static_cast<size_t>(num_targets)) {
      return InvalidArgument("base_values has " + std::to_string(kernel->base_values_.size()) + " elements for " +
                             std::to_string(num_targets) + " targets");
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    if (ComputesInDouble(*input, trees_.has_double_attributes)) return Run<double>(*input, ctx);
    return Run<float>(*input, ctx);
  }

 private:
  template <typename T>
  void Combine(T value, T& score, uint8_t& has_score) const {
    switch (aggregate_) {
      case Aggregate::kSum:
      case Aggregate::kAverage: score += value; break;
      case Aggregate::kMin: score = (!has_score || value < score) ? value : score; break;
      case Aggregate::kMax: score = (!has_score || value > score) ? value : score; break;
    }
    has_score = 1;
  }

  /// Adds one tree's leaf to a row's scores. With one target every leaf counts (a leaf without
  /// weights contributes 0); with several, a target only when the leaf weighs it.
  template <typename T>
  void AddLeaf(const CompiledTrees::TreeNode& leaf, T* scores, uint8_t* has_score) const {
    if (num_targets_ == 1) {
      T value = 0;
      for (int32_t w = leaf.weights_begin; w < leaf.weights_end; ++w) {
        value += static_cast<T>(trees_.weights[static_cast<size_t>(w)].value);
      }
      Combine(value, scores[0], has_score[0]);
      return;
    }
    for (int32_t w = leaf.weights_begin; w < leaf.weights_end; ++w) {
      const CompiledTrees::LeafWeight& weight = trees_.weights[static_cast<size_t>(w)];
      Combine(static_cast<T>(weight.value), scores[weight.output], has_score[weight.output]);
    }
  }

  /// Turns a row's combined leaves into its output. With one target the base value is always
  /// added, and of the post-transforms only PROBIT applies; with several targets a target no
  /// leaf scored is 0 (its base value is not added) and the post-transform applies to the row.
  /// Both as onnxruntime computes them.
  template <typename T>
  void FinishRow(std::span<T> scores, const uint8_t* has_score) const {
    const T num_trees = static_cast<T>(trees_.roots.size());
    if (num_targets_ == 1) {
      if (aggregate_ == Aggregate::kAverage) scores[0] /= num_trees;
      if (!base_values_.empty()) scores[0] += static_cast<T>(base_values_[0]);
      if (post_transform_ == PostTransform::kProbit)
        scores[0] = static_cast<T>(ml::Probit(static_cast<float>(scores[0])));
      return;
    }
    for (size_t t = 0; t < scores.size(); ++t) {
      if (!has_score[t]) continue;
      if (aggregate_ == Aggregate::kAverage) scores[t] /= num_trees;
      if (!base_values_.empty()) scores[t] += static_cast<T>(base_values_[t]);
    }
    ml::ApplyPostTransform(post_transform_, scores);
  }

  template <typename T>
  Status Run(const Tensor& input, KernelContext& ctx) const {
    ml::MatrixShape shape;
    std::vector<T> converted;
    ASSIGN_OR_RETURN(const T* features, ReadFeatures(input, trees_, shape, converted));
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kFloat32, {shape.rows, num_targets_}));
    float* out = output.data<float>();
    const auto num_targets = static_cast<size_t>(num_targets_);
    const RowTasks tasks = SplitRows(shape.rows, trees_.roots.size(), ctx.intra_op_threads);
    ParallelFor(tasks.count, tasks.threads, [&](int64_t task) {
      const int64_t begin = task * tasks.rows_per_task;
      const int64_t count = std::min(tasks.rows_per_task, shape.rows - begin);
      std::vector<T> scores;
      std::vector<uint8_t> has_score;
      scores.assign(static_cast<size_t>(count) * num_targets, T(0));
      has_score.assign(static_cast<size_t>(count) * num_targets, uint8_t{0});
      trees_.VisitLeaves(features + begin * shape.cols, count, shape.cols,
                         [&](int64_t r, const CompiledTrees::TreeNode& leaf) {
                           const size_t offset = static_cast<size_t>(r) * num_targets;
                           AddLeaf(leaf, scores.data() + offset, has_score.data() + offset);
                         });
      for (int64_t i = 0; i < count; ++i) {
        const size_t offset = static_cast<size_t>(i) * num_targets;
        FinishRow(std::span<T>(scores.data() + offset, num_targets), has_score.data() + offset);
        for (size_t t = 0; t < num_targets; ++t)
          out[static_cast<size_t>(begin + i) * num_targets + t] = static_cast<float>(scores[offset + t]);
      }
    });
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

  int64_t num_targets_ = 1;
  PostTransform post_transform_ = PostTransform::kNone;
  Aggregate aggregate_ = Aggregate::kSum;
  CompiledTrees trees_;
  std::vector<double> base_values_;
};

}  // namespace

void RegisterMlTreeEnsembleKernels(KernelRegistry& registry) {
  registry.Register(kOnnxMlDomain, "TreeEnsembleClassifier", TreeEnsembleClassifierKernel::Create);
  registry.Register(kOnnxMlDomain, "TreeEnsembleRegressor", TreeEnsembleRegressorKernel::Create);
}

}  // namespace mlserving::kernels::reference

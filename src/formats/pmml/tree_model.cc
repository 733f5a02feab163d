#include "formats/pmml/tree_model.h"

#include <algorithm>
#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

TreeModel::TreeModel(ModelInfo info, std::vector<Node> nodes, std::vector<Distribution> distributions,
                     MissingStrategy missing_strategy, bool return_last_prediction, double missing_penalty)
    : Model(std::move(info)),
      nodes_(std::move(nodes)),
      distributions_(std::move(distributions)),
      missing_strategy_(missing_strategy),
      return_last_prediction_(return_last_prediction),
      missing_penalty_(missing_penalty) {
  tests_.resize(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    Test& t = tests_[i];
    t.first_child = n.first_child;
    t.num_children = n.num_children;
    const Predicate& p = n.predicate;
    if (p.kind == Predicate::Kind::kTrue) {
      t.op = Test::kTrue;
    } else if (p.kind == Predicate::Kind::kFalse) {
      t.op = Test::kFalse;
    } else if (p.kind == Predicate::Kind::kSimple && p.value.is_number() && !std::isnan(p.value.number())) {
      t.slot = p.slot;
      t.threshold = p.value.number();
      switch (p.op) {
        case Predicate::Op::kLess: t.op = Test::kLess; break;
        case Predicate::Op::kLessOrEqual: t.op = Test::kLessOrEqual; break;
        case Predicate::Op::kGreater: t.op = Test::kGreater; break;
        case Predicate::Op::kGreaterOrEqual: t.op = Test::kGreaterOrEqual; break;
        case Predicate::Op::kEqual: t.op = Test::kEqual; break;
        case Predicate::Op::kNotEqual: t.op = Test::kNotEqual; break;
        default: t.op = Test::kGeneric; break;
      }
    }
  }
  if (info_.function == MiningFunction::kRegression) return;
  // The same arithmetic, in the same order, as FillFromNode did per row.
  num_leaf_classes_ = info_.classes.size();
  leaf_probabilities_.assign(nodes_.size() * num_leaf_classes_, 0.0);
  leaf_confidences_.assign(nodes_.size() * num_leaf_classes_, 0.0);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    double total = 0;
    bool explicit_probability = false;
    for (int d = n.dist_begin; d < n.dist_begin + n.dist_count; ++d) {
      const Distribution& dist = distributions_[static_cast<size_t>(d)];
      total += dist.record_count;
      explicit_probability |= !std::isnan(dist.probability);
    }
    for (int d = n.dist_begin; d < n.dist_begin + n.dist_count; ++d) {
      const Distribution& dist = distributions_[static_cast<size_t>(d)];
      size_t c = i * num_leaf_classes_ + static_cast<size_t>(dist.class_index);
      double p = explicit_probability ? (std::isnan(dist.probability) ? 0.0 : dist.probability)
                                      : (total > 0 ? dist.record_count / total : 0.0);
      leaf_probabilities_[c] = p;
      leaf_confidences_[c] = std::isnan(dist.confidence) ? p : dist.confidence;
    }
  }
}

Tri TreeModel::EvaluateGeneric(int node, EvalContext& ctx) const {
  const Test& t = tests_[static_cast<size_t>(node)];
  if (t.op == Test::kFalse) return Tri::kFalse;
  return nodes_[static_cast<size_t>(node)].predicate.Evaluate(ctx);
}

inline Tri TreeModel::Evaluate(int node, EvalContext& ctx) const {
  const Test& t = tests_[static_cast<size_t>(node)];
  if (t.op == Test::kTrue) return Tri::kTrue;
  if (t.op >= Test::kLess && t.op <= Test::kNotEqual) {
    const Value& v = ctx.Get(t.slot);
    if (v.is_number() && !std::isnan(v.number())) {
      double x = v.number();
      bool r = false;
      switch (t.op) {
        case Test::kLess: r = x < t.threshold; break;
        case Test::kLessOrEqual: r = x <= t.threshold; break;
        case Test::kGreater: r = x > t.threshold; break;
        case Test::kGreaterOrEqual: r = x >= t.threshold; break;
        case Test::kEqual: r = x == t.threshold; break;
        default: r = x != t.threshold; break;
      }
      return r ? Tri::kTrue : Tri::kFalse;
    }
  }
  // False, other predicates, and values a double comparison does not decide (missing, strings).
  return EvaluateGeneric(node, ctx);
}

TreeModel::Walk TreeModel::WalkTree(EvalContext& ctx) const {
  Tri root = Evaluate(0, ctx);
  if (root == Tri::kFalse) return {};
  if (root == Tri::kUnknown) {
    if (missing_strategy_ == MissingStrategy::kAggregateNodes ||
        missing_strategy_ == MissingStrategy::kWeightedConfidence) {
      return {Walk::kAggregate, 0, 0};
    }
    return {};
  }
  int current = 0;
  int missing_levels = 0;
  while (true) {
    const Test& n = tests_[static_cast<size_t>(current)];
    if (n.num_children == 0) break;
    int next = -1;
    bool stop_here = false;
    for (int c = n.first_child; c < n.first_child + n.num_children; ++c) {
      Tri t = Evaluate(c, ctx);
      if (t == Tri::kTrue) {
        next = c;
        break;
      }
      if (t == Tri::kFalse) continue;
      switch (missing_strategy_) {
        case MissingStrategy::kNone: continue;
        case MissingStrategy::kNullPrediction: return {};
        case MissingStrategy::kLastPrediction: stop_here = true; break;
        case MissingStrategy::kDefaultChild:
          if (nodes_[static_cast<size_t>(current)].default_child >= 0) {
            next = nodes_[static_cast<size_t>(current)].default_child;
            ++missing_levels;
          } else {
            stop_here = true;
          }
          break;
        case MissingStrategy::kAggregateNodes:
        case MissingStrategy::kWeightedConfidence: return {Walk::kAggregate, current, 0};
      }
      break;
    }
    if (stop_here) break;
    if (next < 0) {
      // No child is true.
      if (!return_last_prediction_ || !nodes_[static_cast<size_t>(current)].has_score) return {};
      break;
    }
    current = next;
  }
  return {Walk::kNode, current, missing_levels};
}

Status TreeModel::Score(EvalContext& ctx, Prediction& out) const {
  Walk w = WalkTree(ctx);
  if (w.kind == Walk::kNode) {
    FillFromNode(w.node, w.missing_levels, out);
  } else if (w.kind == Walk::kAggregate) {
    Aggregate(ctx, w.node, out);
  }
  return Status::Ok();
}

bool TreeModel::NodeScore(int node, double* score) const {
  const Node& n = nodes_[static_cast<size_t>(node)];
  if (!n.has_score || !n.score.is_number()) return false;
  *score = n.score.number();
  return true;
}

const double* TreeModel::NodeProbabilities(int node) const {
  const Node& n = nodes_[static_cast<size_t>(node)];
  if (n.dist_count == 0) return nullptr;
  return leaf_probabilities_.data() + static_cast<size_t>(node) * num_leaf_classes_;
}

void TreeModel::FillFromNode(int index, int missing_levels, Prediction& out) const {
  const Node& n = nodes_[static_cast<size_t>(index)];
  out.entity_id = n.id;
  if (info_.function == MiningFunction::kRegression) {
    if (n.has_score) out.value = n.score;
    return;
  }
  if (n.dist_count > 0) {
    size_t k = info_.classes.size();
    out.probabilities.assign(k, 0.0);
    out.confidences.assign(k, 0.0);
    size_t base = static_cast<size_t>(index) * num_leaf_classes_;
    std::copy_n(leaf_probabilities_.begin() + static_cast<ptrdiff_t>(base), num_leaf_classes_,
                out.probabilities.begin());
    std::copy_n(leaf_confidences_.begin() + static_cast<ptrdiff_t>(base), num_leaf_classes_, out.confidences.begin());
    if (missing_levels > 0) {
      double penalty = std::pow(missing_penalty_, missing_levels);
      for (double& c : out.confidences) c *= penalty;
    }
  }
  if (n.has_score) {
    out.value = n.score;
  } else if (!out.probabilities.empty()) {
    size_t best = 0;
    for (size_t i = 1; i < out.probabilities.size(); ++i) {
      if (out.probabilities[i] > out.probabilities[best]) best = i;
    }
    out.value = Value::String(info_.classes[best]);
  }
}

void TreeModel::Visit(EvalContext& ctx, int index, double start_count, std::vector<double>& acc, double& reg_sum,
                      double& reg_weight) const {
  const Node& n = nodes_[static_cast<size_t>(index)];
  bool any = false;
  for (int c = n.first_child; c < n.first_child + n.num_children; ++c) {
    Tri t = Evaluate(c, ctx);
    if (t == Tri::kFalse) continue;
    any = true;
    Visit(ctx, c, start_count, acc, reg_sum, reg_weight);
    if (t == Tri::kTrue) break;
  }
  if (any) return;
  // A leaf (or a node without a true child) reached: accumulate it.
  double count = std::isnan(n.record_count) ? 0.0 : n.record_count;
  if (n.has_score && n.score.is_number()) {
    reg_sum += count * n.score.number();
    reg_weight += count;
  }
  double node_total = 0;
  for (int d = n.dist_begin; d < n.dist_begin + n.dist_count; ++d)
    node_total += distributions_[static_cast<size_t>(d)].record_count;
  for (int d = n.dist_begin; d < n.dist_begin + n.dist_count; ++d) {
    const Distribution& dist = distributions_[static_cast<size_t>(d)];
    double contribution;
    if (missing_strategy_ == MissingStrategy::kAggregateNodes) {
      contribution = dist.record_count;
    } else {
      double confidence = !std::isnan(dist.confidence)    ? dist.confidence
                          : !std::isnan(dist.probability) ? dist.probability
                          : node_total > 0                ? dist.record_count / node_total
                                                          : 0.0;
      contribution = start_count > 0 ? count / start_count * confidence : 0.0;
    }
    acc[static_cast<size_t>(dist.class_index)] += contribution;
  }
}

void TreeModel::Aggregate(EvalContext& ctx, int start, Prediction& out) const {
  std::vector<double> acc(info_.classes.size(), 0.0);
  double reg_sum = 0, reg_weight = 0;
  const Node& s = nodes_[static_cast<size_t>(start)];
  Visit(ctx, start, std::isnan(s.record_count) ? 0.0 : s.record_count, acc, reg_sum, reg_weight);
  if (info_.function == MiningFunction::kRegression) {
    if (reg_weight > 0) out.value = Value::Number(reg_sum / reg_weight);
    return;
  }
  if (missing_strategy_ == MissingStrategy::kAggregateNodes) {
    double total = 0;
    for (double a : acc) total += a;
    if (total > 0) {
      for (double& a : acc) a /= total;
    }
  }
  if (acc.empty()) return;
  size_t best = 0;
  for (size_t i = 1; i < acc.size(); ++i) {
    if (acc[i] > acc[best]) best = i;
  }
  out.value = Value::String(info_.classes[best]);
  out.probabilities = acc;
  out.confidences = std::move(acc);
}

namespace {

struct TreeBuilder {
  ModelCompileContext& ctx;
  std::vector<TreeModel::Node> nodes;
  std::vector<TreeModel::Distribution> dists;
  bool classification;

  Status Fill(size_t index, pugi::xml_node xml) {
    TreeModel::Node& n = nodes[index];
    n.id = std::string(Attr(xml, "id"));
    ASSIGN_OR_RETURN(n.predicate, CompilePredicateChild(xml, ctx.scope));
    ASSIGN_OR_RETURN(n.record_count, NumberAttr(xml, "recordCount", std::nan("")));
    if (HasAttr(xml, "score")) {
      std::string score(Attr(xml, "score"));
      n.has_score = true;
      if (classification) {
        n.score = Value::String(score);
        ctx.info.AddClass(score);
      } else {
        std::optional<double> v = ParseNumber(score);
        if (!v)
          return InvalidArgument("Node '" + n.id + "' of a regression tree has the non-numeric score '" + score + "'");
        n.score = Value::Number(*v);
      }
    }
    n.dist_begin = static_cast<int32_t>(dists.size());
    for (pugi::xml_node d : pmml::Children(xml, "ScoreDistribution")) {
      TreeModel::Distribution dist;
      ASSIGN_OR_RETURN(std::string value, RequiredAttr(d, "value"));
      dist.class_index = ctx.info.AddClass(value);
      ASSIGN_OR_RETURN(dist.record_count, NumberAttr(d, "recordCount", 0));
      ASSIGN_OR_RETURN(dist.probability, NumberAttr(d, "probability", std::nan("")));
      ASSIGN_OR_RETURN(dist.confidence, NumberAttr(d, "confidence", std::nan("")));
      dists.push_back(dist);
    }
    nodes[index].dist_count = static_cast<int32_t>(dists.size()) - nodes[index].dist_begin;
    for (std::string_view embedded : {"Regression", "DecisionTree"}) {
      if (Child(xml, embedded)) {
        return Unimplemented("Node '" + nodes[index].id + "' embeds a <" + std::string(embedded) +
                             "> model, which is not supported");
      }
    }
    return Status::Ok();
  }

  /// Lays out the children of `xml` (node `index`) contiguously, then recurses into each.
  Status Children(size_t index, pugi::xml_node xml) {
    std::vector<pugi::xml_node> kids = pmml::Children(xml, "Node");
    if (kids.empty()) return Status::Ok();
    size_t first = nodes.size();
    nodes.resize(first + kids.size());
    nodes[index].first_child = static_cast<int32_t>(first);
    nodes[index].num_children = static_cast<int32_t>(kids.size());
    std::string_view default_child = Attr(xml, "defaultChild");
    for (size_t i = 0; i < kids.size(); ++i) {
      RETURN_IF_ERROR(Fill(first + i, kids[i]));
      if (!default_child.empty() && nodes[first + i].id == default_child) {
        nodes[index].default_child = static_cast<int32_t>(first + i);
      }
    }
    for (size_t i = 0; i < kids.size(); ++i) RETURN_IF_ERROR(Children(first + i, kids[i]));
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<Model>> CompileTreeModel(ModelCompileContext& ctx) {
  pugi::xml_node root = Child(ctx.node, "Node");
  if (!root) return InvalidArgument("the TreeModel has no root <Node>");
  using MS = TreeModel::MissingStrategy;
  std::string_view ms = Attr(ctx.node, "missingValueStrategy", "none");
  MS strategy;
  if (ms == "none") {
    strategy = MS::kNone;
  } else if (ms == "nullPrediction") {
    strategy = MS::kNullPrediction;
  } else if (ms == "lastPrediction") {
    strategy = MS::kLastPrediction;
  } else if (ms == "defaultChild") {
    strategy = MS::kDefaultChild;
  } else if (ms == "aggregateNodes") {
    strategy = MS::kAggregateNodes;
  } else if (ms == "weightedConfidence") {
    strategy = MS::kWeightedConfidence;
  } else {
    return InvalidArgument("unknown missingValueStrategy '" + std::string(ms) + "'");
  }
  std::string_view ntc = Attr(ctx.node, "noTrueChildStrategy", "returnNullPrediction");
  if (ntc != "returnNullPrediction" && ntc != "returnLastPrediction") {
    return InvalidArgument("unknown noTrueChildStrategy '" + std::string(ntc) + "'");
  }
  std::string_view split = Attr(ctx.node, "splitCharacteristic", "multiSplit");
  if (split != "multiSplit" && split != "binarySplit") {
    return InvalidArgument("unknown splitCharacteristic '" + std::string(split) + "'");
  }
  ASSIGN_OR_RETURN(double penalty, NumberAttr(ctx.node, "missingValuePenalty", 1.0));
  if (ctx.info.function != MiningFunction::kRegression && ctx.info.function != MiningFunction::kClassification) {
    return Unimplemented("TreeModel with functionName other than regression or classification");
  }
  TreeBuilder builder{ctx, {}, {}, ctx.info.function == MiningFunction::kClassification};
  builder.nodes.resize(1);
  RETURN_IF_ERROR(builder.Fill(0, root));
  RETURN_IF_ERROR(builder.Children(0, root));
  return std::unique_ptr<Model>(new TreeModel(std::move(ctx.info), std::move(builder.nodes), std::move(builder.dists),
                                              strategy, ntc == "returnLastPrediction", penalty));
}

}  // namespace mlserving::formats::pmml

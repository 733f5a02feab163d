#include "formats/pmml/mining_model.h"

#include <algorithm>
#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/flat_tree_ensemble.h"
#include "formats/pmml/tree_model.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {
namespace {

double WeightedMedian(std::vector<std::pair<double, double>> values) {
  std::sort(values.begin(), values.end());
  double total = 0;
  for (const auto& [v, w] : values) total += w;
  double acc = 0;
  for (const auto& [v, w] : values) {
    acc += w;
    if (acc >= total / 2) return v;
  }
  return values.back().first;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

}  // namespace

MiningModel::MiningModel(ModelInfo info, std::vector<Segment> segments, MultipleModelMethod method)
    : Model(std::move(info)), segments_(std::move(segments)), method_(method) {}

MiningModel::~MiningModel() = default;

void MiningModel::Prepare() {
  using M = MultipleModelMethod;
  trees_.clear();
  flat_.reset();
  if (method_ != M::kAverage && method_ != M::kWeightedAverage && method_ != M::kSum && method_ != M::kWeightedSum)
    return;
  if (info_.function != MiningFunction::kRegression && info_.function != MiningFunction::kClassification) return;
  // The segments' predictions must be unobservable: no OutputField@segmentId reads them.
  for (const OutputFieldDef& f : info_.outputs) {
    if (f.segment) return;
  }
  std::vector<const TreeModel*> trees;
  for (const Segment& s : segments_) {
    const auto* tree = dynamic_cast<const TreeModel*>(s.model.get());
    if (!tree || s.predicate.kind != Predicate::Kind::kTrue || s.weight_slot != kNoSlot) return;
    // RunModel would do nothing beyond Score: no treated fields, no Targets, no Output.
    const ModelInfo& info = tree->info();
    if (info.function != info_.function || !info.schema.treated.empty() || info.target || !info.outputs.empty()) return;
    trees.push_back(tree);
  }
  trees_ = std::move(trees);
  // The weights ScoreTrees applies, and each tree's classes in ours (final now: Prepare runs
  // once this model's info, Output included, is complete).
  const bool classification = info_.function == MiningFunction::kClassification;
  std::vector<FlatTreeEnsemble::Member> members;
  for (size_t i = 0; i < trees_.size(); ++i) {
    FlatTreeEnsemble::Member m;
    m.tree = trees_[i];
    const bool weighted =
        classification ? method_ == M::kWeightedAverage : method_ == M::kWeightedAverage || method_ == M::kWeightedSum;
    m.weight = weighted ? segments_[i].weight : 1.0;
    if (classification) {
      for (size_t j = 0; j < trees_[i]->info().classes.size(); ++j) m.class_map.push_back(MapClass(segments_[i], j));
    }
    members.push_back(std::move(m));
  }
  flat_ = FlatTreeEnsemble::Build(members, classification, info_.classes.size());
}

bool MiningModel::ScoreFlat(EvalContext& ctx, Prediction& out) const {
  using M = MultipleModelMethod;
  // The row qualifies when every field the trees test is already known (reading it has no
  // side effect) and a number: then every predicate is decided on doubles.
  const std::vector<Slot>& slots = flat_->feature_slots();
  std::vector<double>& x = ctx.NumberScratch(info_.id);
  x.resize(std::max<size_t>(1, slots.size()));  // a leaf reads x[0]
  for (size_t f = 0; f < slots.size(); ++f) {
    if (!ctx.Computed(slots[f])) return false;
    const Value& v = ctx.Get(slots[f]);
    if (!v.is_number() || std::isnan(v.number())) return false;
    x[f] = v.number();
  }
  if (info_.function == MiningFunction::kRegression) {
    double result = 0;
    if (!flat_->Accumulate(x.data(), &result)) return false;
    if (method_ == M::kAverage) result /= static_cast<double>(trees_.size());
    if (method_ == M::kWeightedAverage) result /= flat_->total_weight();
    out.value = Value::Number(result);
    return true;
  }
  size_t k = info_.classes.size();
  std::vector<double>& acc = out.probabilities;
  acc.assign(k, 0.0);
  if (!flat_->Accumulate(x.data(), acc.data())) return false;
  double total_weight = flat_->total_weight();
  if (method_ != M::kSum && method_ != M::kWeightedSum && total_weight > 0) {
    for (double& a : acc) a /= total_weight;
  }
  if (total_weight == 0) {
    acc.clear();
    return true;
  }
  size_t best = 0;
  for (size_t c = 1; c < k; ++c) {
    if (acc[c] > acc[best]) best = c;
  }
  if (k > 0) out.value = Value::String(info_.classes[best]);
  return true;
}

Status MiningModel::ScoreTrees(EvalContext& ctx, Prediction& out) const {
  using M = MultipleModelMethod;
  using Walk = TreeModel::Walk;
  if (flat_ && ScoreFlat(ctx, out)) return Status::Ok();
  if (info_.function == MiningFunction::kRegression) {
    const bool weighted = method_ == M::kWeightedAverage || method_ == M::kWeightedSum;
    bool missing = false;  // a missing tree result makes the result missing (every tree still runs)
    double result = 0, weights = 0;
    for (size_t i = 0; i < trees_.size(); ++i) {
      if (!ctx.error().ok()) return ctx.error();
      const TreeModel& tree = *trees_[i];
      Walk w = tree.WalkTree(ctx);
      double v = 0;
      bool has = false;
      if (w.kind == Walk::kNode) {
        has = tree.NodeScore(w.node, &v);
      } else if (w.kind == Walk::kAggregate) {
        RETURN_IF_ERROR(RunModel(tree, ctx));
        std::optional<double> x = ctx.prediction(tree.info().id).value.AsNumber();
        has = x.has_value();
        v = has ? *x : 0.0;
      }
      if (!ctx.error().ok()) return ctx.error();
      if (!has) missing = true;
      if (missing) continue;
      double weight = segments_[i].weight;
      if (weighted) {
        result += v * weight;
        weights += weight;
      } else {
        result += v;
      }
    }
    if (missing) return Status::Ok();
    if (method_ == M::kAverage) result /= static_cast<double>(trees_.size());
    if (method_ == M::kWeightedAverage) result /= weights;
    out.value = Value::Number(result);
    return Status::Ok();
  }
  size_t k = info_.classes.size();
  std::vector<double>& acc = out.probabilities;
  acc.assign(k, 0.0);
  double total_weight = 0;
  bool stopped = false;  // Combine stops at the first tree without probabilities, leaving acc as is
  for (size_t i = 0; i < trees_.size(); ++i) {
    if (!ctx.error().ok()) return ctx.error();
    const TreeModel& tree = *trees_[i];
    Walk w = tree.WalkTree(ctx);
    const double* probs = nullptr;
    size_t num_probs = 0;
    if (w.kind == Walk::kNode) {
      probs = tree.NodeProbabilities(w.node);
      num_probs = tree.num_leaf_classes();
    } else if (w.kind == Walk::kAggregate) {
      RETURN_IF_ERROR(RunModel(tree, ctx));
      const std::vector<double>& p = ctx.prediction(tree.info().id).probabilities;
      if (!p.empty()) {
        probs = p.data();
        num_probs = p.size();
      }
    }
    if (!ctx.error().ok()) return ctx.error();
    if (stopped) continue;
    if (!probs) {
      stopped = true;
      continue;
    }
    const Segment& segment = segments_[i];
    double weight = method_ == M::kWeightedAverage ? segment.weight : 1.0;
    total_weight += weight;
    // Score() would give one probability per class of the tree (those past num_probs: 0).
    size_t num_classes = tree.info().classes.size();
    for (size_t j = 0; j < num_classes; ++j) {
      int c = MapClass(segment, j);
      if (c < 0) continue;
      double x = j < num_probs ? probs[j] : 0.0;
      acc[static_cast<size_t>(c)] += weight * x;
    }
  }
  if (stopped) return Status::Ok();
  if (method_ != M::kSum && method_ != M::kWeightedSum && total_weight > 0) {
    for (double& a : acc) a /= total_weight;
  }
  if (total_weight == 0) {
    acc.clear();
    return Status::Ok();
  }
  size_t best = 0;
  for (size_t c = 1; c < k; ++c) {
    if (acc[c] > acc[best]) best = c;
  }
  if (k > 0) out.value = Value::String(info_.classes[best]);
  return Status::Ok();
}

Status MiningModel::Score(EvalContext& ctx, Prediction& out) const {
  if (!trees_.empty()) return ScoreTrees(ctx, out);
  // Indices of scored segments (per-model scratch of the context: no allocation once warm).
  std::vector<int>& scored = ctx.ModelScratch(info_.id);
  scored.clear();
  size_t i = 0;
  for (; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    if (s.predicate.Evaluate(ctx) != Tri::kTrue) {
      // Segment results stay readable (selectAll, OutputField@segmentId): none for this row.
      ctx.prediction(s.model->info().id).Clear();
      continue;
    }
    RETURN_IF_ERROR(RunModel(*s.model, ctx));
    scored.push_back(static_cast<int>(i));
    if (method_ == MultipleModelMethod::kSelectFirst) break;
  }
  for (++i; i < segments_.size(); ++i) ctx.prediction(segments_[i].model->info().id).Clear();
  if (scored.empty()) return Status::Ok();
  return Combine(ctx, scored, out);
}

Status MiningModel::Combine(EvalContext& ctx, std::vector<int>& scored, Prediction& out) const {
  auto weight_of = [&](int i) {
    const Segment& s = segments_[static_cast<size_t>(i)];
    if (s.weight_slot == kNoSlot) return s.weight;
    std::optional<double> w = ctx.Get(s.weight_slot).AsNumber();
    return w ? *w : s.weight;
  };
  auto prediction_of = [&](int i) -> const Prediction& {
    return ctx.prediction(segments_[static_cast<size_t>(i)].model->info().id);
  };
  auto info_of = [&](int i) -> const ModelInfo& { return segments_[static_cast<size_t>(i)].model->info(); };
  using M = MultipleModelMethod;
  switch (method_) {
    case M::kSelectFirst:
    case M::kSelectAll:
      CopyPrediction(info_of(scored.front()), prediction_of(scored.front()), info_, out);
      return Status::Ok();
    case M::kModelChain:
      CopyPrediction(info_of(scored.back()), prediction_of(scored.back()), info_, out);
      return Status::Ok();
    default: break;
  }
  if (info_.function == MiningFunction::kRegression) {
    for (int i : scored) {
      // A missing segment result makes the ensemble result missing.
      if (!prediction_of(i).value.AsNumber()) return Status::Ok();
      weight_of(i);  // a VariableWeight field is computed even where the method ignores it
    }
    if (method_ == M::kMajorityVote || method_ == M::kWeightedMajorityVote) {
      return InvalidArgument("multipleModelMethod majorityVote/weightedMajorityVote does not apply to regression");
    }
    auto value_of = [&](int i) { return *prediction_of(i).value.AsNumber(); };
    double result = 0, weights = 0;
    switch (method_) {
      case M::kAverage:
        for (int i : scored) result += value_of(i);
        result /= static_cast<double>(scored.size());
        break;
      case M::kWeightedAverage:
        for (int i : scored) {
          double w = weight_of(i);
          result += value_of(i) * w;
          weights += w;
        }
        result /= weights;
        break;
      case M::kSum:
        for (int i : scored) result += value_of(i);
        break;
      case M::kWeightedSum:
        for (int i : scored) result += value_of(i) * weight_of(i);
        break;
      case M::kMedian: {
        std::vector<double> v;
        for (int i : scored) v.push_back(value_of(i));
        result = Median(std::move(v));
        break;
      }
      case M::kWeightedMedian: {
        std::vector<std::pair<double, double>> values;
        for (int i : scored) values.emplace_back(value_of(i), weight_of(i));
        result = WeightedMedian(std::move(values));
        break;
      }
      case M::kMax:
        result = value_of(scored.front());
        for (int i : scored) result = std::max(result, value_of(i));
        break;
      default: break;
    }
    out.value = Value::Number(result);
    return Status::Ok();
  }
  // Classification and clustering: combine per-class scores.
  size_t k = info_.classes.size();
  std::vector<double>& acc = out.probabilities;
  acc.assign(k, 0.0);
  // Rank of the first vote per class (majority votes break ties by it); scratch after `scored`.
  scored.resize(scored.size() + k, INT32_MAX);
  int* first_seen = scored.data() + (scored.size() - k);
  const size_t num_scored = scored.size() - k;
  double total_weight = 0;
  int rank = 0;
  for (size_t n = 0; n < num_scored; ++n) {
    int i = scored[n];
    const Prediction& p = prediction_of(i);
    const Segment& segment = segments_[static_cast<size_t>(i)];
    double w = weight_of(i);
    ++rank;
    if (method_ == M::kMajorityVote || method_ == M::kWeightedMajorityVote) {
      if (p.value.missing()) continue;
      int c = p.value.is_string() ? info_.ClassIndex(p.value.string()) : info_.ClassIndex(p.value.AsString());
      if (c < 0) continue;
      double vote = method_ == M::kMajorityVote ? 1.0 : w;
      acc[static_cast<size_t>(c)] += vote;
      total_weight += vote;
      first_seen[static_cast<size_t>(c)] = std::min(first_seen[static_cast<size_t>(c)], rank);
      continue;
    }
    if (p.probabilities.empty()) {
      scored.resize(num_scored);
      return Status::Ok();
    }
    double weight = method_ == M::kWeightedAverage ? w : 1.0;
    total_weight += weight;
    size_t num_classes = segment.model->info().classes.size();
    for (size_t j = 0; j < num_classes && j < p.probabilities.size(); ++j) {
      int c = MapClass(segment, j);
      if (c < 0) continue;
      double x = p.probabilities[j];
      size_t cc = static_cast<size_t>(c);
      if (method_ == M::kMax) {
        acc[cc] = std::max(acc[cc], x);
      } else {
        acc[cc] += weight * x;
      }
    }
  }
  if (method_ == M::kMedian) {
    for (size_t c = 0; c < k; ++c) {
      std::vector<double> values;
      for (size_t n = 0; n < num_scored; ++n) {
        int i = scored[n];
        const Prediction& p = prediction_of(i);
        int j = info_of(i).ClassIndex(info_.classes[c]);
        values.push_back(
            j >= 0 && static_cast<size_t>(j) < p.probabilities.size() ? p.probabilities[static_cast<size_t>(j)] : 0.0);
      }
      acc[c] = Median(std::move(values));
    }
  } else if (method_ == M::kMax) {
    double sum = 0;
    for (double a : acc) sum += a;
    if (sum > 0) {
      for (double& a : acc) a /= sum;
    }
  } else if (method_ != M::kSum && method_ != M::kWeightedSum && total_weight > 0) {
    for (double& a : acc) a /= total_weight;
  }
  if (total_weight == 0 && method_ != M::kMedian && method_ != M::kMax) {
    acc.clear();
    return Status::Ok();
  }
  size_t best = 0;
  for (size_t c = 1; c < k; ++c) {
    if (acc[c] > acc[best] || (acc[c] == acc[best] && first_seen[c] < first_seen[best])) best = c;
  }
  if (k > 0) out.value = Value::String(info_.classes[best]);
  return Status::Ok();
}

Result<std::unique_ptr<Model>> CompileMiningModel(ModelCompileContext& ctx) {
  pugi::xml_node segmentation = Child(ctx.node, "Segmentation");
  if (!segmentation) {
    return Unimplemented("a MiningModel without a Segmentation (embedded PMML 3 models) is not supported");
  }
  std::string_view m = Attr(segmentation, "multipleModelMethod");
  using M = MultipleModelMethod;
  M method;
  if (m == "majorityVote") {
    method = M::kMajorityVote;
  } else if (m == "weightedMajorityVote") {
    method = M::kWeightedMajorityVote;
  } else if (m == "average") {
    method = M::kAverage;
  } else if (m == "weightedAverage") {
    method = M::kWeightedAverage;
  } else if (m == "median") {
    method = M::kMedian;
  } else if (m == "weightedMedian") {
    method = M::kWeightedMedian;
  } else if (m == "max") {
    method = M::kMax;
  } else if (m == "sum") {
    method = M::kSum;
  } else if (m == "weightedSum") {
    method = M::kWeightedSum;
  } else if (m == "selectFirst") {
    method = M::kSelectFirst;
  } else if (m == "selectAll") {
    method = M::kSelectAll;
  } else if (m == "modelChain") {
    method = M::kModelChain;
  } else {
    return InvalidArgument("unknown multipleModelMethod '" + std::string(m) + "'");
  }
  // Segments see the MiningModel's fields; output fields of earlier segments are added as they compile.
  Scope segment_scope(ctx.compiler, &ctx.scope);
  std::vector<MiningModel::Segment> segments;
  for (pugi::xml_node s : Children(segmentation, "Segment")) {
    MiningModel::Segment segment;
    segment.id = std::string(Attr(s, "id", std::to_string(segments.size() + 1)));
    ASSIGN_OR_RETURN(segment.weight, NumberAttr(s, "weight", 1.0));
    ASSIGN_OR_RETURN(segment.predicate, CompilePredicateChild(s, segment_scope));
    pugi::xml_node model_node;
    for (pugi::xml_node c = s.first_child(); c; c = c.next_sibling()) {
      if (IsModelElement(c)) {
        model_node = c;
        break;
      }
    }
    if (!model_node) return InvalidArgument("Segment '" + segment.id + "' contains no model");
    Result<std::unique_ptr<Model>> model = CompileModel(model_node, segment_scope);
    if (!model.ok()) return model.status().WithContext("Segment '" + segment.id + "'");
    segment.model = std::move(model).value();
    const ModelInfo& info = segment.model->info();
    for (const OutputFieldDef& f : info.outputs) segment_scope.Define(f.name, f.slot);
    if (pugi::xml_node vw = Child(s, "VariableWeight")) {
      ASSIGN_OR_RETURN(std::string field, RequiredAttr(vw, "field"));
      ASSIGN_OR_RETURN(segment.weight_slot, segment_scope.Resolve(field));
    }
    if (ctx.info.function == MiningFunction::kClassification || ctx.info.function == MiningFunction::kClustering) {
      for (const std::string& c : info.classes) ctx.info.AddClass(c);
    }
    segments.push_back(std::move(segment));
  }
  if (segments.empty()) return InvalidArgument("the Segmentation has no Segment");
  for (MiningModel::Segment& s : segments) {
    // Only exact matches are final: classes are appended later (Output), and a numeric spelling
    // ("1.0" for "1") defers to an exact match added after it, so those are looked up per row.
    for (const std::string& c : s.model->info().classes) {
      int index = -1;
      for (size_t j = 0; j < ctx.info.classes.size() && index < 0; ++j) {
        if (ctx.info.classes[j] == c) index = static_cast<int>(j);
      }
      s.class_map.push_back(index);
    }
  }
  for (const MiningModel::Segment& s : segments) {
    bool seen = false;  // a repeated id refers to its first segment
    for (const auto& [id, info] : ctx.info.segments) seen |= id == s.id;
    if (!seen) ctx.info.segments.emplace_back(s.id, &s.model->info());
  }
  ctx.info.select_all = method == M::kSelectAll;
  if (method == M::kModelChain) ctx.info.chain_last = &segments.back().model->info();
  return std::unique_ptr<Model>(new MiningModel(std::move(ctx.info), std::move(segments), method));
}

}  // namespace mlserving::formats::pmml

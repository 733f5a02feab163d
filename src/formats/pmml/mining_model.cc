#include "formats/pmml/mining_model.h"

#include <algorithm>
#include <cmath>

#include "formats/pmml/compiler.h"
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

Status MiningModel::Score(EvalContext& ctx, Prediction& out) const {
  // Indices of scored segments; small and per row. Reserve avoids regrowth for typical ensembles.
  std::vector<int> scored;
  scored.reserve(segments_.size());
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

Status MiningModel::Combine(EvalContext& ctx, const std::vector<int>& scored, Prediction& out) const {
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
    std::vector<std::pair<double, double>> values;
    for (int i : scored) {
      const Value& v = prediction_of(i).value;
      std::optional<double> x = v.AsNumber();
      if (!x) return Status::Ok();  // a missing segment result makes the ensemble result missing
      values.emplace_back(*x, weight_of(i));
    }
    double result = 0, weights = 0;
    switch (method_) {
      case M::kAverage:
        for (const auto& [v, w] : values) result += v;
        result /= static_cast<double>(values.size());
        break;
      case M::kWeightedAverage:
        for (const auto& [v, w] : values) {
          result += v * w;
          weights += w;
        }
        result /= weights;
        break;
      case M::kSum:
        for (const auto& [v, w] : values) result += v;
        break;
      case M::kWeightedSum:
        for (const auto& [v, w] : values) result += v * w;
        break;
      case M::kMedian: {
        std::vector<double> v;
        for (const auto& [x, w] : values) v.push_back(x);
        result = Median(std::move(v));
        break;
      }
      case M::kWeightedMedian: result = WeightedMedian(std::move(values)); break;
      case M::kMax:
        result = values[0].first;
        for (const auto& [v, w] : values) result = std::max(result, v);
        break;
      default:
        return InvalidArgument("multipleModelMethod majorityVote/weightedMajorityVote does not apply to regression");
    }
    out.value = Value::Number(result);
    return Status::Ok();
  }
  // Classification and clustering: combine per-class scores.
  size_t k = info_.classes.size();
  std::vector<double>& acc = out.probabilities;
  acc.assign(k, 0.0);
  std::vector<int> first_seen(k, INT32_MAX);
  double total_weight = 0;
  int rank = 0;
  for (int i : scored) {
    const Prediction& p = prediction_of(i);
    const ModelInfo& from = info_of(i);
    double w = weight_of(i);
    ++rank;
    if (method_ == M::kMajorityVote || method_ == M::kWeightedMajorityVote) {
      if (p.value.missing()) continue;
      int c = info_.ClassIndex(p.value.AsString());
      if (c < 0) continue;
      double vote = method_ == M::kMajorityVote ? 1.0 : w;
      acc[static_cast<size_t>(c)] += vote;
      total_weight += vote;
      first_seen[static_cast<size_t>(c)] = std::min(first_seen[static_cast<size_t>(c)], rank);
      continue;
    }
    if (p.probabilities.empty()) return Status::Ok();
    double weight = method_ == M::kWeightedAverage ? w : 1.0;
    total_weight += weight;
    for (size_t j = 0; j < from.classes.size() && j < p.probabilities.size(); ++j) {
      int c = info_.ClassIndex(from.classes[j]);
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
      for (int i : scored) {
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
  for (const MiningModel::Segment& s : segments) {
    bool seen = false;  // a repeated id refers to its first segment
    for (const auto& [id, info] : ctx.info.segments) seen |= id == s.id;
    if (!seen) ctx.info.segments.emplace_back(s.id, &s.model->info());
  }
  ctx.info.select_all = method == M::kSelectAll;
  return std::unique_ptr<Model>(new MiningModel(std::move(ctx.info), std::move(segments), method));
}

}  // namespace mlserving::formats::pmml

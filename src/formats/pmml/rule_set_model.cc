#include "formats/pmml/rule_set_model.h"

#include "formats/pmml/compiler.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

RuleSetModel::RuleSetModel(ModelInfo info, std::vector<Rule> rules, int32_t top_count, Criterion criterion,
                           int default_class, double default_confidence)
    : Model(std::move(info)),
      rules_(std::move(rules)),
      top_count_(top_count),
      criterion_(criterion),
      default_class_(default_class),
      default_confidence_(default_confidence) {}

template <typename Visit>
bool RuleSetModel::ForEachFiring(EvalContext& ctx, int32_t first, int32_t count, Visit& visit) const {
  for (int32_t i = first; i < first + count; ++i) {
    const Rule& r = rules_[static_cast<size_t>(i)];
    if (r.predicate.Evaluate(ctx) != Tri::kTrue) continue;
    if (r.compound) {
      if (!ForEachFiring(ctx, r.first, r.count, visit)) return false;
    } else if (!visit(r)) {
      return false;
    }
  }
  return true;
}

void RuleSetModel::Fill(const Rule& rule, double confidence, Prediction& out) const {
  out.value = Value::String(info_.classes[static_cast<size_t>(rule.class_index)]);
  out.entity_id = rule.id;
  out.confidences.assign(info_.classes.size(), 0.0);
  out.confidences[static_cast<size_t>(rule.class_index)] = confidence;
  if (!rule.distribution.empty()) out.probabilities = rule.distribution;
}

Status RuleSetModel::Score(EvalContext& ctx, Prediction& out) const {
  const Rule* chosen = nullptr;
  switch (criterion_) {
    case Criterion::kFirstHit: {
      auto visit = [&](const Rule& r) {
        chosen = &r;
        return false;
      };
      ForEachFiring(ctx, 0, top_count_, visit);
      if (chosen) Fill(*chosen, chosen->confidence, out);
      break;
    }
    case Criterion::kWeightedMax: {
      auto visit = [&](const Rule& r) {
        if (!chosen || r.weight > chosen->weight) chosen = &r;
        return true;
      };
      ForEachFiring(ctx, 0, top_count_, visit);
      if (chosen) Fill(*chosen, chosen->confidence, out);
      break;
    }
    case Criterion::kWeightedSum: {
      std::vector<double>& sums = out.confidences;
      sums.assign(info_.classes.size(), 0.0);
      int fired = 0;
      auto visit = [&](const Rule& r) {
        sums[static_cast<size_t>(r.class_index)] += r.weight;
        ++fired;
        return true;
      };
      ForEachFiring(ctx, 0, top_count_, visit);
      if (fired == 0) {
        sums.clear();
        break;
      }
      for (double& s : sums) s /= fired;
      size_t best = ArgMax(sums);
      out.value = Value::String(info_.classes[best]);
      // The first firing rule of the winning category names the entity.
      auto name = [&](const Rule& r) {
        if (static_cast<size_t>(r.class_index) != best) return true;
        out.entity_id = r.id;
        return false;
      };
      ForEachFiring(ctx, 0, top_count_, name);
      return Status::Ok();
    }
  }
  if (!chosen && default_class_ >= 0) {
    out.value = Value::String(info_.classes[static_cast<size_t>(default_class_)]);
    out.confidences.assign(info_.classes.size(), 0.0);
    out.confidences[static_cast<size_t>(default_class_)] = default_confidence_;
  }
  return Status::Ok();
}

namespace {

using RS = RuleSetModel;

struct RuleBuilder {
  ModelCompileContext& ctx;
  std::vector<RS::Rule>& rules;
  int simple_rules = 0;

  /// Compiles the rule children of `parent` into consecutive nodes; returns [first, count).
  Result<std::pair<int32_t, int32_t>> Children(pugi::xml_node parent) {
    std::vector<pugi::xml_node> nodes;
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      std::string_view name = LocalName(c);
      if (name == "SimpleRule" || name == "CompoundRule") nodes.push_back(c);
    }
    int32_t first = static_cast<int32_t>(rules.size());
    rules.resize(rules.size() + nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      ASSIGN_OR_RETURN(RS::Rule r, One(nodes[i]));
      rules[static_cast<size_t>(first) + i] = std::move(r);
    }
    return std::pair{first, static_cast<int32_t>(nodes.size())};
  }

  Result<RS::Rule> One(pugi::xml_node node) {
    RS::Rule r;
    ASSIGN_OR_RETURN(r.predicate, CompilePredicateChild(node, ctx.scope));
    if (LocalName(node) == "CompoundRule") {
      RETURN_IF_ERROR(ctx.compiler.Enter());
      Result<std::pair<int32_t, int32_t>> range = Children(node);
      ctx.compiler.Leave();
      if (!range.ok()) return range.status();
      r.compound = true;
      r.first = range->first;
      r.count = range->second;
      return r;
    }
    ++simple_rules;
    r.id = HasAttr(node, "id") ? std::string(Attr(node, "id")) : std::to_string(simple_rules);
    ASSIGN_OR_RETURN(std::string score, RequiredAttr(node, "score"));
    r.class_index = ctx.info.AddClass(score);
    ASSIGN_OR_RETURN(r.weight, NumberAttr(node, "weight", 1));
    ASSIGN_OR_RETURN(r.confidence, NumberAttr(node, "confidence", 1));
    std::vector<pugi::xml_node> dist = pmml::Children(node, "ScoreDistribution");
    if (!dist.empty()) {
      std::vector<std::pair<int, double>> counts;
      double total = 0;
      for (pugi::xml_node d : dist) {
        ASSIGN_OR_RETURN(double count, RequiredNumberAttr(d, "recordCount"));
        counts.emplace_back(ctx.info.AddClass(Attr(d, "value")), count);
        total += count;
      }
      // Classes may still grow; store sparse pairs now and densify at the end.
      r.distribution.reserve(counts.size() * 2);
      for (const auto& [c, n] : counts) {
        r.distribution.push_back(c);
        r.distribution.push_back(total > 0 ? n / total : 0.0);
      }
    }
    return r;
  }
};

}  // namespace

Result<std::unique_ptr<Model>> CompileRuleSetModel(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kClassification) {
    return Unimplemented("RuleSetModel with functionName other than classification");
  }
  pugi::xml_node set = Child(ctx.node, "RuleSet");
  if (!set) return InvalidArgument("the RuleSetModel has no RuleSet");
  RS::Criterion criterion = RS::Criterion::kFirstHit;
  pugi::xml_node method = Child(set, "RuleSelectionMethod");
  std::string_view c = Attr(method, "criterion", "firstHit");
  if (c == "weightedSum") {
    criterion = RS::Criterion::kWeightedSum;
  } else if (c == "weightedMax") {
    criterion = RS::Criterion::kWeightedMax;
  } else if (c != "firstHit") {
    return InvalidArgument("unknown RuleSelectionMethod criterion '" + std::string(c) + "'");
  }
  std::vector<RS::Rule> rules;
  RuleBuilder builder{ctx, rules};
  ASSIGN_OR_RETURN(auto top, builder.Children(set));
  int default_class = HasAttr(set, "defaultScore") ? ctx.info.AddClass(Attr(set, "defaultScore")) : -1;
  ASSIGN_OR_RETURN(double default_confidence, NumberAttr(set, "defaultConfidence", 0));
  const size_t k = ctx.info.classes.size();
  for (RS::Rule& r : rules) {
    if (r.distribution.empty()) continue;
    std::vector<double> dense(k, 0.0);
    for (size_t i = 0; i + 1 < r.distribution.size(); i += 2) {
      dense[static_cast<size_t>(r.distribution[i])] = r.distribution[i + 1];
    }
    r.distribution = std::move(dense);
  }
  return std::unique_ptr<Model>(new RuleSetModel(std::move(ctx.info), std::move(rules), top.second, criterion,
                                                 default_class, default_confidence));
}

}  // namespace mlserving::formats::pmml

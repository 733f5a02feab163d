#include "formats/pmml/naive_bayes_model.h"

#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

NaiveBayesModel::NaiveBayesModel(ModelInfo info, std::vector<Input> inputs, std::vector<double> priors,
                                 double threshold)
    : Model(std::move(info)), inputs_(std::move(inputs)), priors_(std::move(priors)), threshold_(threshold) {}

Status NaiveBayesModel::Score(EvalContext& ctx, Prediction& out) const {
  const size_t k = info_.classes.size();
  std::vector<double>& p = out.probabilities;
  p.assign(priors_.begin(), priors_.end());
  for (const Input& in : inputs_) {
    Value transformed;
    const Value* v = &ctx.Get(in.slot);
    if (in.transform) {
      transformed = in.transform->Eval(ctx);
      v = &transformed;
    }
    if (v->missing()) continue;
    if (in.continuous) {
      std::optional<double> x = v->AsNumber();
      if (!x) continue;
      for (size_t c = 0; c < k; ++c) {
        const auto& [a, b] = in.stats[c];
        double likelihood;
        if (std::isnan(b)) {  // Poisson(λ = a)
          likelihood = *x < 0 ? 0.0 : std::exp(*x * std::log(a) - a - std::lgamma(*x + 1));
        } else {
          double z = *x - a;
          likelihood = std::exp(-z * z / (2 * b)) / std::sqrt(2 * M_PI * b);
        }
        p[c] *= likelihood > threshold_ ? likelihood : threshold_;
      }
      continue;
    }
    size_t level = 0;
    while (level < in.levels.size() && !v->Equals(in.levels[level])) ++level;
    if (level == in.levels.size()) continue;
    for (size_t c = 0; c < k; ++c) {
      double likelihood = in.table[level * k + c];
      p[c] *= likelihood > threshold_ ? likelihood : threshold_;
    }
  }
  double sum = 0;
  for (double v : p) sum += v;
  if (!(sum > 0)) {
    p.clear();
    return Status::Ok();
  }
  for (double& v : p) v /= sum;
  out.value = Value::String(info_.classes[ArgMax(p)]);
  return Status::Ok();
}

namespace {

using NB = NaiveBayesModel;

/// Reads TargetValueCounts into per-class counts.
Status ReadCounts(pugi::xml_node counts, const ModelInfo& info, std::vector<double>& row) {
  for (pugi::xml_node c : Children(counts, "TargetValueCount")) {
    int i = info.ClassIndex(Attr(c, "value"));
    if (i < 0)
      return InvalidArgument("TargetValueCount names the unknown target value '" + std::string(Attr(c, "value")) + "'");
    ASSIGN_OR_RETURN(double count, RequiredNumberAttr(c, "count"));
    row[static_cast<size_t>(i)] += count;
  }
  return Status::Ok();
}

Result<NB::Input> CompileInput(pugi::xml_node node, ModelCompileContext& ctx) {
  NB::Input in;
  ASSIGN_OR_RETURN(std::string field, RequiredAttr(node, "fieldName"));
  ASSIGN_OR_RETURN(in.slot, ctx.scope.Resolve(field));
  const size_t k = ctx.info.classes.size();
  if (pugi::xml_node stats = Child(node, "TargetValueStats")) {
    in.continuous = true;
    in.stats.assign(k, {std::nan(""), std::nan("")});
    for (pugi::xml_node s : Children(stats, "TargetValueStat")) {
      int c = ctx.info.ClassIndex(Attr(s, "value"));
      if (c < 0)
        return InvalidArgument("TargetValueStat names the unknown target value '" + std::string(Attr(s, "value")) +
                               "'");
      auto& [a, b] = in.stats[static_cast<size_t>(c)];
      if (pugi::xml_node g = Child(s, "GaussianDistribution")) {
        ASSIGN_OR_RETURN(a, RequiredNumberAttr(g, "mean"));
        ASSIGN_OR_RETURN(b, RequiredNumberAttr(g, "variance"));
        if (!(b > 0)) return InvalidArgument("a GaussianDistribution of '" + field + "' has a non-positive variance");
      } else if (pugi::xml_node po = Child(s, "PoissonDistribution")) {
        ASSIGN_OR_RETURN(a, RequiredNumberAttr(po, "mean"));
        b = std::nan("");
        if (!(a > 0)) return InvalidArgument("a PoissonDistribution of '" + field + "' has a non-positive mean");
      } else {
        return Unimplemented("TargetValueStat of '" + field + "' uses a distribution other than Gaussian or Poisson");
      }
    }
    for (size_t c = 0; c < k; ++c) {
      if (std::isnan(in.stats[c].first)) {
        return InvalidArgument("the TargetValueStats of '" + field + "' miss the category '" + ctx.info.classes[c] +
                               "'");
      }
    }
    return in;
  }
  if (pugi::xml_node derived = Child(node, "DerivedField")) {
    Result<std::unique_ptr<Expression>> e = CompileExpressionChild(derived, ctx.scope);
    if (!e.ok()) return e.status().WithContext("BayesInput '" + field + "'");
    in.transform = ctx.compiler.Own(std::move(e).value());
  }
  std::vector<double> sums(k, 0.0);
  for (pugi::xml_node pc : Children(node, "PairCounts")) {
    in.levels.push_back(in.transform ? Value::String(std::string(Attr(pc, "value")))
                                     : ConstantLike(ctx.compiler, in.slot, Attr(pc, "value")));
    std::vector<double> row(k, 0.0);
    RETURN_IF_ERROR(ReadCounts(Child(pc, "TargetValueCounts"), ctx.info, row));
    for (size_t c = 0; c < k; ++c) sums[c] += row[c];
    in.table.insert(in.table.end(), row.begin(), row.end());
  }
  for (size_t r = 0; r < in.levels.size(); ++r) {
    for (size_t c = 0; c < k; ++c) {
      double& v = in.table[r * k + c];
      v = sums[c] > 0 ? v / sums[c] : 0.0;
    }
  }
  return in;
}

}  // namespace

Result<std::unique_ptr<Model>> CompileNaiveBayesModel(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kClassification) {
    return InvalidArgument("a NaiveBayesModel needs functionName=\"classification\"");
  }
  ASSIGN_OR_RETURN(double threshold, RequiredNumberAttr(ctx.node, "threshold"));
  pugi::xml_node output = Child(ctx.node, "BayesOutput");
  if (!output) return InvalidArgument("the NaiveBayesModel has no BayesOutput");
  pugi::xml_node counts = Child(output, "TargetValueCounts");
  for (pugi::xml_node c : Children(counts, "TargetValueCount")) ctx.info.AddClass(Attr(c, "value"));
  if (ctx.info.classes.empty()) return InvalidArgument("the BayesOutput has no TargetValueCount");
  std::vector<double> priors(ctx.info.classes.size(), 0.0);
  RETURN_IF_ERROR(ReadCounts(counts, ctx.info, priors));
  std::vector<NB::Input> inputs;
  for (pugi::xml_node b : Children(Child(ctx.node, "BayesInputs"), "BayesInput")) {
    ASSIGN_OR_RETURN(NB::Input in, CompileInput(b, ctx));
    inputs.push_back(std::move(in));
  }
  return std::unique_ptr<Model>(
      new NaiveBayesModel(std::move(ctx.info), std::move(inputs), std::move(priors), threshold));
}

}  // namespace mlserving::formats::pmml

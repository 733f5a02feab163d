#include "formats/pmml/regression_model.h"

#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

std::optional<Normalization> ParseNormalization(std::string_view t) {
  if (t == "none") return Normalization::kNone;
  if (t == "simplemax") return Normalization::kSimplemax;
  if (t == "softmax") return Normalization::kSoftmax;
  if (t == "logit") return Normalization::kLogit;
  if (t == "probit") return Normalization::kProbit;
  if (t == "cloglog") return Normalization::kCloglog;
  if (t == "exp") return Normalization::kExp;
  if (t == "loglog") return Normalization::kLoglog;
  if (t == "cauchit") return Normalization::kCauchit;
  return std::nullopt;
}

double InverseLink(Normalization method, double y) {
  switch (method) {
    case Normalization::kNone:
    case Normalization::kSimplemax: return y;
    case Normalization::kSoftmax:
    case Normalization::kLogit: return 1.0 / (1.0 + std::exp(-y));
    case Normalization::kProbit: return 0.5 * std::erfc(-y / std::sqrt(2.0));
    case Normalization::kCloglog: return 1.0 - std::exp(-std::exp(y));
    case Normalization::kExp: return std::exp(y);
    case Normalization::kLoglog: return std::exp(-std::exp(-y));
    case Normalization::kCauchit: return 0.5 + std::atan(y) / M_PI;
  }
  return y;
}

void NormalizeScores(Normalization method, std::vector<double>& s) {
  if (s.empty()) return;
  if (method == Normalization::kSoftmax) {
    if (s.size() == 1) {
      s[0] = InverseLink(method, s[0]);
      return;
    }
    double max = s[0];
    for (double v : s) max = std::max(max, v);
    double sum = 0;
    for (double& v : s) sum += (v = std::exp(v - max));
    for (double& v : s) v /= sum;
    return;
  }
  if (method == Normalization::kSimplemax) {
    double sum = 0;
    for (double v : s) sum += v;
    for (double& v : s) v /= sum;
    return;
  }
  if (s.size() == 2) {
    s[0] = InverseLink(method, s[0]);
    s[1] = 1.0 - s[0];
    return;
  }
  for (double& v : s) v = InverseLink(method, v);
}

RegressionModel::RegressionModel(ModelInfo info, std::vector<Table> tables, Normalization normalization)
    : Model(std::move(info)), tables_(std::move(tables)), normalization_(normalization) {}

std::optional<double> RegressionModel::Evaluate(const Table& table, EvalContext& ctx) const {
  double y = table.intercept;
  for (const Term& t : table.terms) {
    switch (t.kind) {
      case Term::Kind::kNumeric: {
        const Value& v = ctx.Get(t.slot);
        std::optional<double> x = v.is_number() ? std::optional<double>(v.number()) : v.AsNumber();
        if (!x) return std::nullopt;
        y += t.coefficient * (t.exponent == 1 ? *x : std::pow(*x, t.exponent));
        break;
      }
      case Term::Kind::kCategorical: {
        const Value& v = ctx.Get(t.slot);
        if (v.missing()) return std::nullopt;
        if (v.Equals(t.category)) y += t.coefficient;
        break;
      }
      case Term::Kind::kProduct: {
        double product = t.coefficient;
        for (Slot s : t.factors) {
          std::optional<double> x = ctx.Get(s).AsNumber();
          if (!x) return std::nullopt;
          product *= *x;
        }
        y += product;
        break;
      }
    }
  }
  return y;
}

Status RegressionModel::Score(EvalContext& ctx, Prediction& out) const {
  if (info_.function == MiningFunction::kRegression) {
    std::optional<double> y = Evaluate(tables_[0], ctx);
    if (!y) return Status::Ok();
    double v = InverseLink(normalization_ == Normalization::kSoftmax ? Normalization::kLogit : normalization_, *y);
    if (normalization_ == Normalization::kSimplemax) v = *y;
    out.value = Value::Number(v);
    return Status::Ok();
  }
  std::vector<double>& scores = out.confidences;  // scratch, cleared below
  scores.clear();
  for (const Table& t : tables_) {
    std::optional<double> y = Evaluate(t, ctx);
    if (!y) {
      scores.clear();
      return Status::Ok();
    }
    scores.push_back(*y);
  }
  NormalizeScores(normalization_, scores);
  out.probabilities.assign(info_.classes.size(), 0.0);
  for (size_t i = 0; i < tables_.size(); ++i)
    out.probabilities[static_cast<size_t>(tables_[i].class_index)] = scores[i];
  scores.clear();
  size_t best = 0;
  for (size_t i = 1; i < out.probabilities.size(); ++i) {
    if (out.probabilities[i] > out.probabilities[best]) best = i;
  }
  if (!out.probabilities.empty()) out.value = Value::String(info_.classes[best]);
  return Status::Ok();
}

namespace {

Result<RegressionModel::Table> CompileTable(pugi::xml_node node, ModelCompileContext& ctx) {
  RegressionModel::Table table;
  ASSIGN_OR_RETURN(table.intercept, NumberAttr(node, "intercept", 0.0));
  for (pugi::xml_node p : Children(node, "NumericPredictor")) {
    RegressionModel::Term t;
    t.kind = RegressionModel::Term::Kind::kNumeric;
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(p, "name"));
    ASSIGN_OR_RETURN(t.slot, ctx.scope.Resolve(name));
    ASSIGN_OR_RETURN(t.exponent, NumberAttr(p, "exponent", 1.0));
    ASSIGN_OR_RETURN(t.coefficient, RequiredNumberAttr(p, "coefficient"));
    table.terms.push_back(std::move(t));
  }
  for (pugi::xml_node p : Children(node, "CategoricalPredictor")) {
    RegressionModel::Term t;
    t.kind = RegressionModel::Term::Kind::kCategorical;
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(p, "name"));
    ASSIGN_OR_RETURN(t.slot, ctx.scope.Resolve(name));
    Value raw = Value::String(std::string(Attr(p, "value")));
    DataType type = ctx.compiler.table().slots[static_cast<size_t>(t.slot)].data_type;
    std::optional<Value> cast = CastValue(raw, type);
    t.category = cast ? *cast : raw;
    ASSIGN_OR_RETURN(t.coefficient, RequiredNumberAttr(p, "coefficient"));
    table.terms.push_back(std::move(t));
  }
  for (pugi::xml_node p : Children(node, "PredictorTerm")) {
    RegressionModel::Term t;
    t.kind = RegressionModel::Term::Kind::kProduct;
    ASSIGN_OR_RETURN(t.coefficient, RequiredNumberAttr(p, "coefficient"));
    for (pugi::xml_node f : Children(p, "FieldRef")) {
      ASSIGN_OR_RETURN(std::string name, RequiredAttr(f, "field"));
      ASSIGN_OR_RETURN(Slot s, ctx.scope.Resolve(name));
      t.factors.push_back(s);
    }
    if (t.factors.empty()) return InvalidArgument("a PredictorTerm has no FieldRef");
    table.terms.push_back(std::move(t));
  }
  return table;
}

}  // namespace

Result<std::unique_ptr<Model>> CompileRegressionModel(ModelCompileContext& ctx) {
  std::string_view nm = Attr(ctx.node, "normalizationMethod", "none");
  std::optional<Normalization> normalization = ParseNormalization(nm);
  if (!normalization) return InvalidArgument("unknown normalizationMethod '" + std::string(nm) + "'");
  std::vector<pugi::xml_node> nodes = Children(ctx.node, "RegressionTable");
  if (nodes.empty()) return InvalidArgument("the RegressionModel has no RegressionTable");
  std::vector<RegressionModel::Table> tables;
  bool classification = ctx.info.function == MiningFunction::kClassification;
  if (!classification && ctx.info.function != MiningFunction::kRegression) {
    return Unimplemented("RegressionModel with functionName other than regression or classification");
  }
  if (!classification && nodes.size() != 1) {
    return InvalidArgument("a regression RegressionModel needs exactly one RegressionTable, not " +
                           std::to_string(nodes.size()));
  }
  for (pugi::xml_node n : nodes) {
    ASSIGN_OR_RETURN(RegressionModel::Table table, CompileTable(n, ctx));
    if (classification) {
      if (!HasAttr(n, "targetCategory"))
        return InvalidArgument("a classification RegressionTable lacks targetCategory");
      table.class_index = ctx.info.AddClass(Attr(n, "targetCategory"));
    }
    tables.push_back(std::move(table));
  }
  return std::unique_ptr<Model>(new RegressionModel(std::move(ctx.info), std::move(tables), *normalization));
}

}  // namespace mlserving::formats::pmml

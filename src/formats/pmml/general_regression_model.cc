#include "formats/pmml/general_regression_model.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "formats/pmml/compiler.h"
#include "formats/pmml/field_domain.h"
#include "formats/pmml/matrix.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

using Link = GeneralRegressionModel::Link;

double GeneralRegressionModel::InverseLink(Link link, double eta, double parameter) {
  switch (link) {
    case Link::kIdentity: return eta;
    case Link::kLog: return std::exp(eta);
    case Link::kLogit: return 1.0 / (1.0 + std::exp(-eta));
    case Link::kProbit: return 0.5 * std::erfc(-eta / std::sqrt(2.0));
    case Link::kCloglog: return 1.0 - std::exp(-std::exp(eta));
    case Link::kLoglog: return std::exp(-std::exp(-eta));
    case Link::kLogc: return 1.0 - std::exp(eta);
    case Link::kCauchit: return 0.5 + std::atan(eta) / M_PI;
    case Link::kPower: return parameter == 0 ? std::exp(eta) : std::pow(eta, 1.0 / parameter);
    case Link::kOddsPower:
      return parameter == 0 ? 1.0 / (1.0 + std::exp(-eta))
                            : 1.0 / (1.0 + std::pow(1.0 + parameter * eta, -1.0 / parameter));
    case Link::kNegbin: return 1.0 / (parameter * (std::exp(-eta) - 1.0));
  }
  return eta;
}

GeneralRegressionModel::GeneralRegressionModel(ModelInfo info, Spec spec)
    : Model(std::move(info)), spec_(std::move(spec)) {}

std::optional<double> GeneralRegressionModel::ParameterValue(const Parameter& p, EvalContext& ctx) const {
  double x = 1;
  for (int32_t i = p.cell_begin; i < p.cell_begin + p.cell_count; ++i) {
    const Cell& c = spec_.cells[static_cast<size_t>(i)];
    const Value& v = ctx.Get(c.slot);
    if (v.missing()) return std::nullopt;
    if (!c.factor) {
      std::optional<double> n = v.AsNumber();
      if (!n) return std::nullopt;
      x *= c.exponent == 1 ? *n : std::pow(*n, c.exponent);
    } else if (c.contrast >= 0) {
      const Contrast& m = spec_.contrasts[static_cast<size_t>(c.contrast)];
      double entry = 0;
      for (size_t r = 0; r < m.levels.size(); ++r) {
        if (v.Equals(m.levels[r])) {
          entry = m.rows[r][static_cast<size_t>(c.contrast_column)];
          break;
        }
      }
      x *= entry;
    } else if (!v.Equals(c.level)) {
      return 0.0;
    }
  }
  return x;
}

std::optional<double> GeneralRegressionModel::Dot(const std::vector<Beta>& betas, EvalContext& ctx,
                                                  bool centred) const {
  double sum = 0;
  for (const Beta& b : betas) {
    const Parameter& p = spec_.parameters[static_cast<size_t>(b.parameter)];
    std::optional<double> x = ParameterValue(p, ctx);
    if (!x) return std::nullopt;
    sum += b.beta * (centred ? *x - p.reference_point : *x);
  }
  return sum;
}

std::optional<double> GeneralRegressionModel::Offset(EvalContext& ctx) const {
  if (spec_.offset_slot == kNoSlot) return spec_.offset_value;
  return ctx.Get(spec_.offset_slot).AsNumber();
}

Status GeneralRegressionModel::ScoreCox(EvalContext& ctx, Prediction& out) const {
  const Stratum* stratum = nullptr;
  if (spec_.strata_slot == kNoSlot) {
    if (!spec_.strata.empty()) stratum = &spec_.strata[0];
  } else {
    const Value& s = ctx.Get(spec_.strata_slot);
    for (const Stratum& candidate : spec_.strata) {
      if (s.Equals(candidate.value)) stratum = &candidate;
    }
  }
  if (!stratum) return Status::Ok();
  std::optional<double> t = ctx.Get(spec_.end_time_slot).AsNumber();
  if (!t || *t > stratum->max_time) return Status::Ok();
  double h0 = 0;
  for (const BaselineCell& c : stratum->cells) {
    if (c.time > *t) break;
    h0 = c.cum_hazard;
  }
  std::optional<double> eta = Dot(spec_.equations[0], ctx, /*centred=*/true);
  if (!eta) return Status::Ok();
  out.value = Value::Number(h0 * std::exp(*eta));
  return Status::Ok();
}

Status GeneralRegressionModel::Score(EvalContext& ctx, Prediction& out) const {
  if (spec_.type == Type::kCox) return ScoreCox(ctx, out);
  std::optional<double> offset = Offset(ctx);
  if (!offset) return Status::Ok();
  if (info_.function == MiningFunction::kRegression) {
    std::optional<double> eta = Dot(spec_.equations[0], ctx, false);
    if (!eta) return Status::Ok();
    double y = *eta + *offset;
    if (spec_.type == Type::kGeneralizedLinear) {
      double trials = spec_.trials_value;
      if (spec_.trials_slot != kNoSlot) {
        std::optional<double> tv = ctx.Get(spec_.trials_slot).AsNumber();
        if (!tv) return Status::Ok();
        trials = *tv;
      }
      double parameter = spec_.link == Link::kNegbin ? spec_.distribution_parameter : spec_.link_parameter;
      y = InverseLink(spec_.link, y, parameter) * trials;
    }
    out.value = Value::Number(y);
    return Status::Ok();
  }
  size_t k = info_.classes.size();
  std::vector<double>& p = out.probabilities;
  p.assign(k, 0.0);
  switch (spec_.type) {
    case Type::kOrdinal: {
      std::optional<double> eta = Dot(spec_.shared, ctx, false);
      if (!eta) return p.clear(), Status::Ok();
      double previous = 0;
      for (size_t i = 0; i < k; ++i) {
        double cumulative = std::isnan(spec_.thresholds[i])
                                ? 1.0
                                : InverseLink(spec_.cumulative_link, spec_.thresholds[i] + *eta + *offset, 1);
        p[i] = std::max(0.0, cumulative - previous);
        previous = std::max(previous, cumulative);
      }
      break;
    }
    case Type::kGeneralizedLinear: {
      // Binary: the equation of the non-reference class gives its probability.
      int target = spec_.reference_class == 0 ? 1 : 0;
      std::optional<double> eta = Dot(spec_.equations[static_cast<size_t>(target)], ctx, false);
      if (!eta) return p.clear(), Status::Ok();
      double prob = InverseLink(spec_.link, *eta + *offset, spec_.link_parameter);
      p[static_cast<size_t>(target)] = prob;
      p[static_cast<size_t>(spec_.reference_class)] = 1.0 - prob;
      break;
    }
    default: {
      // Multinomial logistic (also regression/generalLinear types used for classification).
      double max = -HUGE_VAL;
      for (size_t i = 0; i < k; ++i) {
        std::optional<double> eta = Dot(spec_.equations[i], ctx, false);
        if (!eta) return p.clear(), Status::Ok();
        p[i] = static_cast<int>(i) == spec_.reference_class ? 0.0 : *eta + *offset;
        max = std::max(max, p[i]);
      }
      double sum = 0;
      for (double& v : p) sum += (v = std::exp(v - max));
      for (double& v : p) v /= sum;
      break;
    }
  }
  out.value = Value::String(info_.classes[ArgMax(p)]);
  return Status::Ok();
}

namespace {

using GRM = GeneralRegressionModel;

std::optional<Link> ParseLink(std::string_view t) {
  if (t == "identity") return Link::kIdentity;
  if (t == "log") return Link::kLog;
  if (t == "logit") return Link::kLogit;
  if (t == "probit") return Link::kProbit;
  if (t == "cloglog") return Link::kCloglog;
  if (t == "loglog") return Link::kLoglog;
  if (t == "logc") return Link::kLogc;
  if (t == "cauchit") return Link::kCauchit;
  if (t == "power") return Link::kPower;
  if (t == "oddspower") return Link::kOddsPower;
  if (t == "negbin") return Link::kNegbin;
  return std::nullopt;
}

std::optional<GRM::Type> ParseType(std::string_view t) {
  if (t == "regression") return GRM::Type::kRegression;
  if (t == "generalLinear") return GRM::Type::kGeneralLinear;
  if (t == "generalizedLinear") return GRM::Type::kGeneralizedLinear;
  if (t == "multinomialLogistic") return GRM::Type::kMultinomial;
  if (t == "ordinalMultinomial") return GRM::Type::kOrdinal;
  if (t == "CoxRegression") return GRM::Type::kCox;
  return std::nullopt;
}

Result<Slot> OptionalField(ModelCompileContext& ctx, std::string_view attribute) {
  if (!HasAttr(ctx.node, attribute)) return kNoSlot;
  return ctx.scope.Resolve(Attr(ctx.node, attribute));
}

/// Reads the contrast matrices of the FactorList predictors; `contrast_of` maps a predictor name
/// to its index in spec.contrasts.
Status ReadContrasts(ModelCompileContext& ctx, GRM::Spec& spec, std::map<std::string, int>& contrast_of,
                     std::map<std::string, bool>& is_factor) {
  for (pugi::xml_node p : Children(Child(ctx.node, "FactorList"), "Predictor")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(p, "name"));
    is_factor[name] = true;
    pugi::xml_node matrix = Child(p, "Matrix");
    if (!matrix) continue;
    ASSIGN_OR_RETURN(Slot slot, ctx.scope.Resolve(name));
    // Rows (and columns) follow the Categories when given, else the field's declared values.
    GRM::Contrast c;
    if (pugi::xml_node categories = Child(p, "Categories")) {
      for (pugi::xml_node cat : Children(categories, "Category")) {
        c.levels.push_back(ConstantLike(ctx.compiler, slot, Attr(cat, "value")));
      }
    } else if (const DataField* declared = DeclaredDataField(ctx.compiler, slot)) {
      c.levels = declared->valid_values;
    }
    if (c.levels.empty()) {
      return InvalidArgument("the contrast matrix of factor '" + name +
                             "' has no categories to label its rows: give the Predictor a <Categories> list or "
                             "its DataField valid <Value>s");
    }
    ASSIGN_OR_RETURN(DenseMatrix m, ParseMatrix(matrix, "the contrast matrix of factor '" + name + "'"));
    if (m.rows != c.levels.size()) {
      return InvalidArgument("the contrast matrix of factor '" + name + "' has " + std::to_string(m.rows) +
                             " rows for " + std::to_string(c.levels.size()) + " categories");
    }
    for (size_t r = 0; r < m.rows; ++r) {
      c.rows.emplace_back(m.values.begin() + static_cast<std::ptrdiff_t>(r * m.cols),
                          m.values.begin() + static_cast<std::ptrdiff_t>((r + 1) * m.cols));
    }
    contrast_of[name] = static_cast<int>(spec.contrasts.size());
    spec.contrasts.push_back(std::move(c));
  }
  for (pugi::xml_node p : Children(Child(ctx.node, "CovariateList"), "Predictor")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(p, "name"));
    is_factor[name] = false;
  }
  return Status::Ok();
}

Status ReadBaseline(ModelCompileContext& ctx, GRM::Spec& spec) {
  pugi::xml_node tables = Child(ctx.node, "BaseCumHazardTables");
  if (!tables) return InvalidArgument("a CoxRegression model needs BaseCumHazardTables");
  auto read_cells = [](pugi::xml_node parent, GRM::Stratum& s) -> Status {
    for (pugi::xml_node c : Children(parent, "BaselineCell")) {
      GRM::BaselineCell cell{};
      ASSIGN_OR_RETURN(cell.time, RequiredNumberAttr(c, "time"));
      ASSIGN_OR_RETURN(cell.cum_hazard, RequiredNumberAttr(c, "cumHazard"));
      s.cells.push_back(cell);
    }
    std::stable_sort(s.cells.begin(), s.cells.end(),
                     [](const GRM::BaselineCell& a, const GRM::BaselineCell& b) { return a.time < b.time; });
    return Status::Ok();
  };
  if (spec.strata_slot == kNoSlot) {
    GRM::Stratum s;
    ASSIGN_OR_RETURN(s.max_time, NumberAttr(tables, "maxTime", HUGE_VAL));
    RETURN_IF_ERROR(read_cells(tables, s));
    spec.strata.push_back(std::move(s));
    return Status::Ok();
  }
  for (pugi::xml_node n : Children(tables, "BaselineStratum")) {
    GRM::Stratum s;
    s.value = ConstantLike(ctx.compiler, spec.strata_slot, Attr(n, "value"));
    ASSIGN_OR_RETURN(s.max_time, NumberAttr(n, "maxTime", HUGE_VAL));
    RETURN_IF_ERROR(read_cells(n, s));
    spec.strata.push_back(std::move(s));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Model>> CompileGeneralRegressionModel(ModelCompileContext& ctx) {
  GRM::Spec spec;
  std::string_view type_name = Attr(ctx.node, "modelType");
  std::optional<GRM::Type> type = ParseType(type_name);
  if (!type) return InvalidArgument("unknown modelType '" + std::string(type_name) + "'");
  spec.type = *type;
  bool classification = ctx.info.function == MiningFunction::kClassification;
  if (!classification && ctx.info.function != MiningFunction::kRegression) {
    return Unimplemented("GeneralRegressionModel with functionName other than regression or classification");
  }
  if ((spec.type == GRM::Type::kMultinomial || spec.type == GRM::Type::kOrdinal) && !classification) {
    return InvalidArgument("modelType " + std::string(type_name) + " needs functionName=\"classification\"");
  }
  if (spec.type == GRM::Type::kCox && classification) {
    return InvalidArgument("a CoxRegression model must have functionName=\"regression\"");
  }
  std::string_view link = Attr(ctx.node, "linkFunction", "identity");
  std::optional<Link> l = ParseLink(link);
  if (!l) return InvalidArgument("unknown linkFunction '" + std::string(link) + "'");
  spec.link = *l;
  std::string_view cumulative = Attr(ctx.node, "cumulativeLink", "logit");
  std::optional<Link> cl = ParseLink(cumulative);
  if (!cl) return InvalidArgument("unknown cumulativeLink '" + std::string(cumulative) + "'");
  spec.cumulative_link = *cl;
  ASSIGN_OR_RETURN(spec.link_parameter, NumberAttr(ctx.node, "linkParameter", 1));
  ASSIGN_OR_RETURN(spec.distribution_parameter, NumberAttr(ctx.node, "distParameter", 1));
  ASSIGN_OR_RETURN(spec.offset_value, NumberAttr(ctx.node, "offsetValue", 0));
  ASSIGN_OR_RETURN(spec.trials_value, NumberAttr(ctx.node, "trialsValue", 1));
  ASSIGN_OR_RETURN(spec.offset_slot, OptionalField(ctx, "offsetVariable"));
  ASSIGN_OR_RETURN(spec.trials_slot, OptionalField(ctx, "trialsVariable"));

  // Parameters, in ParameterList order (PCells may also name parameters the list omits).
  std::map<std::string, int32_t> parameter_index;
  auto parameter = [&](const std::string& name) {
    auto [it, inserted] = parameter_index.emplace(name, static_cast<int32_t>(spec.parameters.size()));
    if (inserted) spec.parameters.emplace_back();
    return it->second;
  };
  for (pugi::xml_node p : Children(Child(ctx.node, "ParameterList"), "Parameter")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(p, "name"));
    int32_t i = parameter(name);
    ASSIGN_OR_RETURN(spec.parameters[static_cast<size_t>(i)].reference_point, NumberAttr(p, "referencePoint", 0));
  }

  std::map<std::string, int> contrast_of;
  std::map<std::string, bool> is_factor;
  RETURN_IF_ERROR(ReadContrasts(ctx, spec, contrast_of, is_factor));

  // PPMatrix cells grouped by parameter.
  std::vector<std::vector<GRM::Cell>> cells_of;
  for (pugi::xml_node c : Children(Child(ctx.node, "PPMatrix"), "PPCell")) {
    ASSIGN_OR_RETURN(std::string predictor, RequiredAttr(c, "predictorName"));
    ASSIGN_OR_RETURN(std::string parameter_name, RequiredAttr(c, "parameterName"));
    GRM::Cell cell;
    ASSIGN_OR_RETURN(cell.slot, ctx.scope.Resolve(predictor));
    auto f = is_factor.find(predictor);
    cell.factor = f != is_factor.end()
                      ? f->second
                      : ctx.compiler.table().slots[static_cast<size_t>(cell.slot)].op_type != OpType::kContinuous;
    std::string_view value = Attr(c, "value");
    if (cell.factor) {
      cell.level = ConstantLike(ctx.compiler, cell.slot, value);
      auto m = contrast_of.find(predictor);
      if (m != contrast_of.end()) {
        const GRM::Contrast& contrast = spec.contrasts[static_cast<size_t>(m->second)];
        cell.contrast = m->second;
        for (size_t i = 0; i < contrast.levels.size(); ++i) {
          if (contrast.levels[i].Equals(cell.level)) cell.contrast_column = static_cast<int>(i);
        }
        if (cell.contrast_column < 0 || static_cast<size_t>(cell.contrast_column) >= contrast.rows[0].size()) {
          return InvalidArgument("PPCell value '" + std::string(value) + "' of '" + predictor +
                                 "' has no column in its contrast matrix");
        }
      }
    } else {
      std::optional<double> e = ParseNumber(value);
      if (!e) return InvalidArgument("the covariate PPCell of '" + predictor + "' has a non-numeric value");
      cell.exponent = *e;
    }
    size_t p = static_cast<size_t>(parameter(parameter_name));
    if (cells_of.size() <= p) cells_of.resize(spec.parameters.size());
    cells_of[p].push_back(std::move(cell));
  }

  // ParamMatrix: which class (or none) each β belongs to.
  struct PCell {
    std::string category;
    bool has_category;
    GRM::Beta beta;
  };
  std::vector<PCell> pcells;
  // A parameter neither listed nor used by a PPCell would silently act as a second intercept:
  // with a ParameterList present, that is a broken document (BigML's LogisticregressionIris
  // numbers its betas p0, p2, … p8 against a list of p0 … p4).
  const size_t declared = spec.parameters.size();
  const bool has_list = Child(ctx.node, "ParameterList") && declared > 0;
  for (pugi::xml_node c : Children(Child(ctx.node, "ParamMatrix"), "PCell")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(c, "parameterName"));
    if (has_list && !parameter_index.count(name)) {
      return InvalidArgument("the PCell parameter '" + name +
                             "' is neither in the ParameterList nor in the PPMatrix; the document is inconsistent");
    }
    PCell pc{std::string(Attr(c, "targetCategory")), HasAttr(c, "targetCategory"), {parameter(name), 0}};
    ASSIGN_OR_RETURN(pc.beta.beta, RequiredNumberAttr(c, "beta"));
    pcells.push_back(std::move(pc));
  }
  cells_of.resize(spec.parameters.size());
  for (size_t p = 0; p < spec.parameters.size(); ++p) {
    spec.parameters[p].cell_begin = static_cast<int32_t>(spec.cells.size());
    spec.parameters[p].cell_count = static_cast<int32_t>(cells_of[p].size());
    for (GRM::Cell& c : cells_of[p]) spec.cells.push_back(std::move(c));
  }

  if (!classification) {
    spec.equations.emplace_back();
    for (const PCell& pc : pcells) spec.equations[0].push_back(pc.beta);
    if (spec.type == GRM::Type::kCox) {
      if (!HasAttr(ctx.node, "endTimeVariable")) return InvalidArgument("a CoxRegression model needs endTimeVariable");
      ASSIGN_OR_RETURN(spec.end_time_slot, OptionalField(ctx, "endTimeVariable"));
      ASSIGN_OR_RETURN(spec.strata_slot, OptionalField(ctx, "baselineStrataVariable"));
      RETURN_IF_ERROR(ReadBaseline(ctx, spec));
    }
    return std::unique_ptr<Model>(new GeneralRegressionModel(std::move(ctx.info), std::move(spec)));
  }

  for (const PCell& pc : pcells) {
    if (pc.has_category) ctx.info.AddClass(pc.category);
  }
  if (HasAttr(ctx.node, "targetReferenceCategory")) {
    spec.reference_class = ctx.info.AddClass(Attr(ctx.node, "targetReferenceCategory"));
  }
  size_t k = ctx.info.classes.size();
  if (k < 2) return InvalidArgument("a classification GeneralRegressionModel needs at least two target categories");
  spec.equations.assign(k, {});
  switch (spec.type) {
    case GRM::Type::kOrdinal:
      spec.thresholds.assign(k, std::nan(""));
      for (const PCell& pc : pcells) {
        if (!pc.has_category) {
          spec.shared.push_back(pc.beta);
          continue;
        }
        // A threshold parameter is an intercept: its β is θ_k.
        if (spec.parameters[static_cast<size_t>(pc.beta.parameter)].cell_count != 0) {
          return Unimplemented("ordinalMultinomial with category-specific slopes");
        }
        spec.thresholds[static_cast<size_t>(ctx.info.ClassIndex(pc.category))] = pc.beta.beta;
      }
      if (!std::isnan(spec.thresholds[k - 1])) {
        return InvalidArgument("ordinalMultinomial: the last target category must not have a threshold");
      }
      break;
    case GRM::Type::kGeneralizedLinear: {
      if (k != 2) {
        // PMML's generalizedLinear scoring gives one mean μ = g⁻¹(η): for a categorical target
        // that is the binomial probability of one of two categories. It defines nothing for more.
        return InvalidArgument("a generalizedLinear classification model has " + std::to_string(k) +
                               " target categories: PMML defines generalizedLinear classification for a binary "
                               "target only (multinomialLogistic or ordinalMultinomial model more categories)");
      }
      // Without targetReferenceCategory the first category is the reference (R's glm models the
      // probability of the second level).
      if (spec.reference_class < 0) spec.reference_class = 0;
      int target = spec.reference_class == 0 ? 1 : 0;
      for (const PCell& pc : pcells) {
        if (!pc.has_category || ctx.info.ClassIndex(pc.category) == target) {
          spec.equations[static_cast<size_t>(target)].push_back(pc.beta);
        }
      }
      break;
    }
    default:
      for (const PCell& pc : pcells) {
        if (!pc.has_category) return InvalidArgument("a multinomial PCell lacks targetCategory");
        spec.equations[static_cast<size_t>(ctx.info.ClassIndex(pc.category))].push_back(pc.beta);
      }
      break;
  }
  return std::unique_ptr<Model>(new GeneralRegressionModel(std::move(ctx.info), std::move(spec)));
}

}  // namespace mlserving::formats::pmml

#include "formats/pmml/clustering_model.h"

#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

using CM = ClusteringModel;

ClusteringModel::ClusteringModel(ModelInfo info, Spec spec) : Model(std::move(info)), spec_(std::move(spec)) {}

namespace {

double CompareValues(const CM::Field& f, double x, double y) {
  switch (f.compare) {
    case CM::Compare::kAbsDiff: return std::fabs(x - y);
    case CM::Compare::kGaussSim: {
      double z = x - y;
      return std::exp(-std::log(2.0) * z * z / (f.similarity_scale * f.similarity_scale));
    }
    case CM::Compare::kDelta: return x == y ? 0.0 : 1.0;
    case CM::Compare::kEqual: return x == y ? 1.0 : 0.0;
  }
  return 0;
}

}  // namespace

Status ClusteringModel::Score(EvalContext& ctx, Prediction& out) const {
  // Per-thread scratch for the row's values; missing entries are NaN.
  thread_local std::vector<double> x;
  const size_t n = spec_.fields.size();
  x.resize(n);
  double all_q = 0, present_q = 0;
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    const Field& f = spec_.fields[i];
    std::optional<double> v = ctx.Get(f.slot).AsNumber();
    x[i] = v ? *v : std::nan("");
    all_q += f.missing_weight;
    if (v) {
      present_q += f.missing_weight;
      any = true;
    }
  }
  if (!any) return Status::Ok();
  const size_t k = info_.classes.size();
  out.entity_affinities.assign(k, 0.0);
  const bool similarity = IsSimilarity(spec_.measure);
  for (size_t c = 0; c < k; ++c) {
    const double* center = spec_.centers.data() + c * n;
    double m = 0;
    if (similarity) {
      double a11 = 0, a10 = 0, a01 = 0, a00 = 0;
      for (size_t i = 0; i < n; ++i) {
        if (std::isnan(x[i])) continue;
        bool xi = x[i] != 0, yi = center[i] != 0;
        (xi ? (yi ? a11 : a10) : (yi ? a01 : a00)) += 1;
      }
      switch (spec_.measure) {
        case Measure::kSimpleMatching: m = (a11 + a00) / (a11 + a10 + a01 + a00); break;
        case Measure::kJaccard: m = a11 / (a11 + a10 + a01); break;
        case Measure::kTanimoto: m = (a11 + a00) / (a11 + 2 * (a10 + a01) + a00); break;
        default:
          m = (spec_.c11 * a11 + spec_.c10 * a10 + spec_.c01 * a01 + spec_.c00 * a00) /
              (spec_.d11 * a11 + spec_.d10 * a10 + spec_.d01 * a01 + spec_.d00 * a00);
          break;
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (std::isnan(x[i])) continue;
        const Field& f = spec_.fields[i];
        double d = CompareValues(f, x[i], center[i]);
        switch (spec_.measure) {
          case Measure::kEuclidean:
          case Measure::kSquaredEuclidean: m += f.weight * d * d; break;
          case Measure::kChebychev: m = std::max(m, f.weight * d); break;
          case Measure::kCityBlock: m += f.weight * d; break;
          case Measure::kMinkowski: m += f.weight * std::pow(d, spec_.p); break;
          default: break;
        }
      }
      double adjust = present_q > 0 ? all_q / present_q : 1.0;
      switch (spec_.measure) {
        case Measure::kEuclidean: m = std::sqrt(m * adjust); break;
        case Measure::kMinkowski: m = std::pow(m * adjust, 1.0 / spec_.p); break;
        default: m *= adjust; break;
      }
    }
    out.entity_affinities[c] = m;
  }
  size_t best = 0;
  for (size_t c = 1; c < k; ++c) {
    double m = out.entity_affinities[c], b = out.entity_affinities[best];
    if (similarity ? m > b : m < b) best = c;
  }
  out.affinity = out.entity_affinities[best];
  out.entity_id = info_.classes[best];
  out.value = Value::String(info_.classes[best]);
  return Status::Ok();
}

namespace {

std::optional<CM::Compare> ParseCompare(std::string_view t) {
  if (t == "absDiff") return CM::Compare::kAbsDiff;
  if (t == "gaussSim") return CM::Compare::kGaussSim;
  if (t == "delta") return CM::Compare::kDelta;
  if (t == "equal") return CM::Compare::kEqual;
  return std::nullopt;
}

Status ReadMeasure(pugi::xml_node comparison, CM::Spec& spec) {
  for (pugi::xml_node c = comparison.first_child(); c; c = c.next_sibling()) {
    std::string_view name = LocalName(c);
    if (name == "euclidean") {
      spec.measure = CM::Measure::kEuclidean;
    } else if (name == "squaredEuclidean") {
      spec.measure = CM::Measure::kSquaredEuclidean;
    } else if (name == "chebychev") {
      spec.measure = CM::Measure::kChebychev;
    } else if (name == "cityBlock") {
      spec.measure = CM::Measure::kCityBlock;
    } else if (name == "minkowski") {
      spec.measure = CM::Measure::kMinkowski;
      ASSIGN_OR_RETURN(spec.p, NumberAttr(c, "p-parameter", 2));
      if (!(spec.p > 0)) return InvalidArgument("minkowski needs a positive p-parameter");
    } else if (name == "simpleMatching") {
      spec.measure = CM::Measure::kSimpleMatching;
    } else if (name == "jaccard") {
      spec.measure = CM::Measure::kJaccard;
    } else if (name == "tanimoto") {
      spec.measure = CM::Measure::kTanimoto;
    } else if (name == "binarySimilarity") {
      spec.measure = CM::Measure::kBinarySimilarity;
      for (auto [attr, field] : {std::pair{"c00-parameter", &spec.c00}, std::pair{"c01-parameter", &spec.c01},
                                 std::pair{"c10-parameter", &spec.c10}, std::pair{"c11-parameter", &spec.c11},
                                 std::pair{"d00-parameter", &spec.d00}, std::pair{"d01-parameter", &spec.d01},
                                 std::pair{"d10-parameter", &spec.d10}, std::pair{"d11-parameter", &spec.d11}}) {
        ASSIGN_OR_RETURN(*field, RequiredNumberAttr(c, attr));
      }
    } else {
      continue;
    }
    return Status::Ok();
  }
  return InvalidArgument("the ComparisonMeasure names no measure");
}

}  // namespace

Result<std::unique_ptr<Model>> CompileClusteringModel(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kClustering) {
    return InvalidArgument("a ClusteringModel needs functionName=\"clustering\"");
  }
  std::string_view model_class = Attr(ctx.node, "modelClass", "centerBased");
  if (model_class != "centerBased") {
    return Unimplemented("ClusteringModel modelClass='" + std::string(model_class) + "' (only centerBased)");
  }
  CM::Spec spec;
  pugi::xml_node comparison = Child(ctx.node, "ComparisonMeasure");
  if (!comparison) return InvalidArgument("the ClusteringModel has no ComparisonMeasure");
  RETURN_IF_ERROR(ReadMeasure(comparison, spec));
  std::string_view kind = Attr(comparison, "kind", "distance");
  if ((kind == "similarity") != CM::IsSimilarity(spec.measure)) {
    return InvalidArgument("ComparisonMeasure kind='" + std::string(kind) + "' does not match its measure");
  }
  std::string_view default_compare = Attr(comparison, "compareFunction", "absDiff");
  std::vector<bool> center_field;
  for (pugi::xml_node f : Children(ctx.node, "ClusteringField")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(f, "field"));
    bool is_center = Attr(f, "isCenterField", "true") != "false";
    center_field.push_back(is_center);
    if (!is_center) continue;
    CM::Field field;
    ASSIGN_OR_RETURN(field.slot, ctx.scope.Resolve(name));
    std::string_view compare = Attr(f, "compareFunction", default_compare);
    std::optional<CM::Compare> c = ParseCompare(compare);
    if (!c) {
      return compare == "table" ? Unimplemented("compareFunction='table'")
                                : InvalidArgument("unknown compareFunction '" + std::string(compare) + "'");
    }
    field.compare = *c;
    ASSIGN_OR_RETURN(field.weight, NumberAttr(f, "fieldWeight", 1));
    ASSIGN_OR_RETURN(field.similarity_scale, NumberAttr(f, "similarityScale", 1));
    if (field.compare == CM::Compare::kGaussSim && field.similarity_scale == 0) {
      return InvalidArgument("gaussSim needs a non-zero similarityScale on '" + name + "'");
    }
    spec.fields.push_back(field);
  }
  if (spec.fields.empty()) return InvalidArgument("the ClusteringModel has no center ClusteringField");
  if (pugi::xml_node weights = Child(ctx.node, "MissingValueWeights")) {
    ASSIGN_OR_RETURN(std::vector<double> q, NumberArray(Child(weights, "Array")));
    if (q.size() != center_field.size())
      return InvalidArgument("MissingValueWeights needs one weight per ClusteringField");
    size_t j = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      if (center_field[i]) spec.fields[j++].missing_weight = q[i];
    }
  }

  // Cluster ids become the classes (entity order); names become display values.
  Target names;
  int position = 0;
  ctx.info.classes.clear();
  for (pugi::xml_node c : Children(ctx.node, "Cluster")) {
    ++position;
    std::string id = HasAttr(c, "id") ? std::string(Attr(c, "id")) : std::to_string(position);
    if (ctx.info.ClassIndex(id) >= 0) return InvalidArgument("the cluster id '" + id + "' is used twice");
    ctx.info.AddClass(id);
    ASSIGN_OR_RETURN(std::vector<double> center, NumberArray(Child(c, "Array")));
    if (center.size() != center_field.size() && center.size() != spec.fields.size()) {
      return InvalidArgument("cluster '" + id + "' has " + std::to_string(center.size()) + " coordinates for " +
                             std::to_string(spec.fields.size()) + " fields");
    }
    for (size_t i = 0; i < center.size(); ++i) {
      if (center.size() == spec.fields.size() || center_field[i]) spec.centers.push_back(center[i]);
    }
    TargetValue tv;
    tv.value = Value::String(id);
    tv.display_value = HasAttr(c, "name") ? std::string(Attr(c, "name")) : id;
    names.values.push_back(std::move(tv));
  }
  if (position == 0) return InvalidArgument("the ClusteringModel has no Cluster");
  if (ctx.info.target_name.empty() && !ctx.info.targets.Find(ctx.info.target_name)) {
    ctx.info.targets.targets.push_back(std::move(names));
  }
  return std::unique_ptr<Model>(new ClusteringModel(std::move(ctx.info), std::move(spec)));
}

}  // namespace mlserving::formats::pmml

#include "formats/pmml/clustering_model.h"

#include <cmath>

#include "formats/pmml/compiler.h"
#include "formats/pmml/field_domain.h"
#include "formats/pmml/matrix.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

ClusteringModel::ClusteringModel(ModelInfo info, Spec spec) : Model(std::move(info)), spec_(std::move(spec)) {}

Status ClusteringModel::Score(EvalContext& ctx, Prediction& out) const {
  // Per-thread scratch for the row's values; missing entries are NaN.
  thread_local std::vector<double> x;
  const size_t n = spec_.fields.size();
  x.resize(n);
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    const Value& value = ctx.Get(spec_.slots[i]);
    std::optional<double> v;
    if (int d = spec_.domain_of[i]; d >= 0) {
      std::optional<size_t> position = DomainIndex(spec_.domains[static_cast<size_t>(d)], value);
      if (position) v = static_cast<double>(*position);
    } else {
      v = value.AsNumber();
    }
    x[i] = v ? *v : std::nan("");
    any |= v.has_value();
  }
  if (!any) return Status::Ok();
  const size_t k = info_.classes.size();
  out.entity_affinities.assign(k, 0.0);
  for (size_t c = 0; c < k; ++c) {
    out.entity_affinities[c] = spec_.measure.Evaluate(spec_.fields, x.data(), spec_.centers.data() + c * n);
  }
  size_t best = 0;
  for (size_t c = 1; c < k; ++c) {
    if (spec_.measure.Better(out.entity_affinities[c], out.entity_affinities[best])) best = c;
  }
  out.affinity = out.entity_affinities[best];
  out.entity_id = info_.classes[best];
  out.value = Value::String(info_.classes[best]);
  return Status::Ok();
}

Result<std::unique_ptr<Model>> CompileClusteringModel(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kClustering) {
    return InvalidArgument("a ClusteringModel needs functionName=\"clustering\"");
  }
  std::string_view model_class = Attr(ctx.node, "modelClass", "centerBased");
  if (model_class == "distributionBased") {
    return Unimplemented(
        "ClusteringModel modelClass='distributionBased': PMML defines no scoring procedure for clusters described by "
        "statistics (Partition, Covariances), only for centerBased clusters");
  }
  if (model_class != "centerBased") {
    return InvalidArgument("unknown ClusteringModel modelClass='" + std::string(model_class) + "'");
  }
  ClusteringModel::Spec spec;
  pugi::xml_node comparison = Child(ctx.node, "ComparisonMeasure");
  ASSIGN_OR_RETURN(spec.measure, ParseComparisonMeasure(comparison));
  std::string_view default_compare = Attr(comparison, "compareFunction", "absDiff");
  std::vector<bool> center_field;
  for (pugi::xml_node f : Children(ctx.node, "ClusteringField")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(f, "field"));
    bool is_center = Attr(f, "isCenterField", "true") != "false";
    center_field.push_back(is_center);
    if (!is_center) continue;
    ComparisonMeasure::Field field;
    ASSIGN_OR_RETURN(Slot slot, ctx.scope.Resolve(name));
    spec.slots.push_back(slot);
    ASSIGN_OR_RETURN(field.compare, ParseCompareFunction(Attr(f, "compareFunction", default_compare)));
    ASSIGN_OR_RETURN(field.weight, NumberAttr(f, "fieldWeight", 1));
    ASSIGN_OR_RETURN(field.similarity_scale, NumberAttr(f, "similarityScale", 1));
    if (field.compare == ComparisonMeasure::Compare::kGaussSim && field.similarity_scale == 0) {
      return InvalidArgument("gaussSim needs a non-zero similarityScale on '" + name + "'");
    }
    int domain = -1;
    if (field.compare == ComparisonMeasure::Compare::kTable) {
      const std::string what = "<ClusteringField field='" + name + "' compareFunction='table'>";
      if (spec.measure.is_similarity()) {
        return InvalidArgument(what +
                               " needs a distance measure: similarity measures count 0/1 values and use no "
                               "compareFunction");
      }
      pugi::xml_node comparisons = Child(f, "Comparisons");
      if (!comparisons) return InvalidArgument(what + " needs a <Comparisons> matrix");
      const DataField* declared = DeclaredDataField(ctx.compiler, slot);
      if (!declared || DomainSize(*declared) == 0) {
        return InvalidArgument(what +
                               " needs the field's values (Value or Interval elements of its DataField) to "
                               "index the rows and columns of its Comparisons matrix");
      }
      ASSIGN_OR_RETURN(DenseMatrix m, ParseMatrix(Child(comparisons, "Matrix"), "the Comparisons of '" + name + "'"));
      const size_t size = DomainSize(*declared);
      if (m.rows != size || m.cols != size) {
        return InvalidArgument("the Comparisons matrix of '" + name + "' is " + std::to_string(m.rows) + "x" +
                               std::to_string(m.cols) + " but the field declares " + std::to_string(size) + " values");
      }
      field.table_size = size;
      field.table = std::move(m.values);
      domain = static_cast<int>(spec.domains.size());
      spec.domains.push_back(*declared);
    }
    spec.domain_of.push_back(domain);
    spec.fields.push_back(std::move(field));
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
    pugi::xml_node array = Child(c, "Array");
    if (!array) return InvalidArgument("cluster '" + id + "' has no center <Array>");
    std::vector<std::string> center = SplitArray(array.child_value());
    ASSIGN_OR_RETURN(double declared_n, NumberAttr(array, "n", static_cast<double>(center.size())));
    if (declared_n != static_cast<double>(center.size())) {
      return InvalidArgument("the center <Array> of cluster '" + id + "' declares n=" + std::string(Attr(array, "n")) +
                             " but holds " + std::to_string(center.size()) + " items");
    }
    if (center.size() != center_field.size() && center.size() != spec.fields.size()) {
      return InvalidArgument("cluster '" + id + "' has " + std::to_string(center.size()) + " coordinates for " +
                             std::to_string(spec.fields.size()) + " fields");
    }
    size_t j = 0;  // the center field coordinate i belongs to
    for (size_t i = 0; i < center.size(); ++i) {
      if (center.size() != spec.fields.size() && !center_field[i]) continue;
      if (int d = spec.domain_of[j]; d >= 0) {
        const DataField& domain = spec.domains[static_cast<size_t>(d)];
        std::optional<size_t> position = DomainIndex(domain, ConstantLike(ctx.compiler, spec.slots[j], center[i]));
        if (!position) {
          return InvalidArgument("cluster '" + id + "': the center value '" + center[i] + "' of '" + domain.name +
                                 "' is not one of the field's values, so it has no column in its Comparisons matrix");
        }
        spec.centers.push_back(static_cast<double>(*position));
      } else {
        std::optional<double> v = ParseNumber(center[i]);
        if (!v) return InvalidArgument("cluster '" + id + "': the center item '" + center[i] + "' is not a number");
        spec.centers.push_back(*v);
      }
      ++j;
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

#include "formats/pmml/nearest_neighbor_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "formats/pmml/compiler.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

using KNN = NearestNeighborModel;

namespace {

/// A value read for comparison: numbers as is, strings of symbolic inputs as their code (an
/// unknown string gets a code no instance has), NaN when missing or unreadable.
double Encode(const KNN::Input& input, const Value& v) {
  if (v.missing()) return std::nan("");
  if (input.symbolic) {
    auto it = input.codes.find(v.AsString());
    return it == input.codes.end() ? -1.0 : it->second;
  }
  std::optional<double> x = v.AsNumber();
  return x ? *x : std::nan("");
}

/// Sorts `v` in place.
double Median(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

}  // namespace

NearestNeighborModel::NearestNeighborModel(ModelInfo info, Spec spec)
    : Model(std::move(info)), spec_(std::move(spec)) {}

Status NearestNeighborModel::Score(EvalContext& ctx, Prediction& out) const {
  // Per-thread scratch (no allocation per row once warmed up): the row's encoded inputs,
  // (measure, instance) pairs, neighbour target values and weights, label votes.
  thread_local std::vector<double> x;
  thread_local std::vector<std::pair<double, size_t>> scored;
  thread_local std::vector<double> values, weights;
  thread_local std::vector<std::pair<std::string, double>> votes;
  const size_t m = spec_.inputs.size();
  x.resize(m);
  bool any = false;
  for (size_t i = 0; i < m; ++i) {
    x[i] = Encode(spec_.inputs[i], ctx.Get(spec_.inputs[i].slot));
    any |= !std::isnan(x[i]);
  }
  if (!any) return Status::Ok();
  scored.clear();
  const size_t n = spec_.ids.size();
  for (size_t j = 0; j < n; ++j) {
    double d = spec_.measure.Evaluate(spec_.fields, x.data(), spec_.instances.data() + j * m);
    if (!std::isnan(d)) scored.emplace_back(d, j);
  }
  if (scored.empty()) return Status::Ok();
  const size_t k = std::min(spec_.k, scored.size());
  const ComparisonMeasure& measure = spec_.measure;
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(),
                    [&](const auto& a, const auto& b) {
                      if (a.first != b.first) return measure.Better(a.first, b.first);
                      return a.second < b.second;
                    });
  for (size_t r = 0; r < k; ++r) {
    out.ranked_entity_ids.push_back(spec_.ids[scored[r].second]);
    out.ranked_affinities.push_back(scored[r].first);
  }
  out.entity_id = out.ranked_entity_ids.front();
  out.affinity = out.ranked_affinities.front();
  auto weight = [&](size_t r) { return 1.0 / (scored[r].first + spec_.threshold); };

  for (size_t t = 0; t < spec_.targets.size(); ++t) {
    const TargetSpec& target = spec_.targets[t];
    Value result;
    if (target.continuous) {
      values.clear();
      weights.clear();
      for (size_t r = 0; r < k; ++r) {
        std::optional<double> v = target.values[scored[r].second].AsNumber();
        if (!v) continue;
        values.push_back(*v);
        weights.push_back(weight(r));
      }
      if (!values.empty()) {
        double y = 0;
        switch (spec_.continuous) {
          case ContinuousMethod::kAverage:
            for (double v : values) y += v;
            y /= static_cast<double>(values.size());
            break;
          case ContinuousMethod::kWeightedAverage: {
            double w_sum = 0;
            for (size_t i = 0; i < values.size(); ++i) {
              y += weights[i] * values[i];
              w_sum += weights[i];
            }
            y /= w_sum;
            break;
          }
          case ContinuousMethod::kMedian: y = Median(values); break;
        }
        result = Value::Number(y);
      }
    } else {
      // Votes per label in the order labels are first met (nearest first), for the tie rule.
      votes.clear();
      double total = 0;
      for (size_t r = 0; r < k; ++r) {
        const Value& v = target.values[scored[r].second];
        if (v.missing()) continue;
        std::string label = v.AsString();
        double w = spec_.categorical == CategoricalMethod::kWeightedMajorityVote ? weight(r) : 1.0;
        auto it = std::find_if(votes.begin(), votes.end(), [&](const auto& e) { return e.first == label; });
        if (it == votes.end()) {
          votes.emplace_back(std::move(label), w);
        } else {
          it->second += w;
        }
        total += w;
      }
      if (!votes.empty()) {
        size_t best = 0;
        for (size_t i = 1; i < votes.size(); ++i) {
          if (votes[i].second > votes[best].second) best = i;
        }
        result = Value::String(votes[best].first);
        if (t == 0 && info_.function == MiningFunction::kClassification) {
          out.probabilities.assign(info_.classes.size(), 0.0);
          for (const auto& [label, w] : votes) {
            int c = info_.ClassIndex(label);
            if (c >= 0) out.probabilities[static_cast<size_t>(c)] = w / total;
          }
        }
      }
    }
    if (t == 0) out.value = result;
    if (spec_.targets.size() > 1) out.target_values.emplace_back(target.name, std::move(result));
  }
  return Status::Ok();
}

namespace {

/// The InlineTable as text cells: one map column -> text per <row>.
std::vector<std::unordered_map<std::string, std::string>> ReadInlineTable(pugi::xml_node table) {
  std::vector<std::unordered_map<std::string, std::string>> rows;
  for (pugi::xml_node row : Children(table, "row")) {
    std::unordered_map<std::string, std::string>& cells = rows.emplace_back();
    for (pugi::xml_node c = row.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element) cells[std::string(LocalName(c))] = c.child_value();
    }
  }
  return rows;
}

const std::string* Cell(const std::unordered_map<std::string, std::string>& row, const std::string& column) {
  auto it = row.find(column);
  return it == row.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

Result<std::unique_ptr<Model>> CompileNearestNeighborModel(ModelCompileContext& ctx) {
  MiningFunction function = ctx.info.function;
  if (function != MiningFunction::kRegression && function != MiningFunction::kClassification &&
      function != MiningFunction::kMixed) {
    return InvalidArgument("a NearestNeighborModel needs functionName regression, classification or mixed");
  }
  KNN::Spec spec;
  ASSIGN_OR_RETURN(double k, NumberAttr(ctx.node, "numberOfNeighbors", std::nan("")));
  if (!(k >= 1) || k > 1e6) return InvalidArgument("numberOfNeighbors must be a positive integer");
  spec.k = static_cast<size_t>(k);
  std::string_view continuous = Attr(ctx.node, "continuousScoringMethod", "average");
  if (continuous == "average") {
    spec.continuous = KNN::ContinuousMethod::kAverage;
  } else if (continuous == "weightedAverage") {
    spec.continuous = KNN::ContinuousMethod::kWeightedAverage;
  } else if (continuous == "median") {
    spec.continuous = KNN::ContinuousMethod::kMedian;
  } else {
    return InvalidArgument("unknown continuousScoringMethod '" + std::string(continuous) + "'");
  }
  std::string_view categorical = Attr(ctx.node, "categoricalScoringMethod", "majorityVote");
  if (categorical == "majorityVote") {
    spec.categorical = KNN::CategoricalMethod::kMajorityVote;
  } else if (categorical == "weightedMajorityVote") {
    spec.categorical = KNN::CategoricalMethod::kWeightedMajorityVote;
  } else {
    return InvalidArgument("unknown categoricalScoringMethod '" + std::string(categorical) + "'");
  }
  ASSIGN_OR_RETURN(spec.threshold, NumberAttr(ctx.node, "threshold", 0.001));
  ASSIGN_OR_RETURN(spec.measure, ParseComparisonMeasure(Child(ctx.node, "ComparisonMeasure")));
  std::string_view default_compare = Attr(Child(ctx.node, "ComparisonMeasure"), "compareFunction", "absDiff");

  std::vector<std::string> input_names;
  for (pugi::xml_node in : Children(Child(ctx.node, "KNNInputs"), "KNNInput")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(in, "field"));
    KNN::Input input;
    ASSIGN_OR_RETURN(input.slot, ctx.scope.Resolve(name));
    input.symbolic = !IsNumeric(ctx.compiler.table().slots[static_cast<size_t>(input.slot)].data_type);
    ComparisonMeasure::Field field;
    std::string_view compare = Attr(in, "compareFunction", default_compare);
    if (compare == "table") {
      return InvalidArgument("<KNNInput field='" + name +
                             "' compareFunction='table'>: 'table' looks values up in a ClusteringField's "
                             "<Comparisons> matrix, which the k-NN schema does not give a KNNInput");
    }
    ASSIGN_OR_RETURN(field.compare, ParseCompareFunction(compare));
    ASSIGN_OR_RETURN(field.weight, NumberAttr(in, "fieldWeight", 1));
    if (field.compare == ComparisonMeasure::Compare::kGaussSim) {
      // The KNNInput schema has no similarityScale (only ClusteringField does): gaussSim needs the
      // document to give one on the KNNInput, and has no meaning otherwise.
      if (!HasAttr(in, "similarityScale")) {
        return InvalidArgument("<KNNInput field='" + name +
                               "' compareFunction='gaussSim'> needs a similarityScale attribute (the scale s of "
                               "exp(-ln 2 * (x - y)^2 / s^2)); the k-NN schema defines none");
      }
      ASSIGN_OR_RETURN(field.similarity_scale, NumberAttr(in, "similarityScale", 1));
      if (!(field.similarity_scale != 0) || !std::isfinite(field.similarity_scale)) {
        return InvalidArgument("<KNNInput field='" + name + "'>: gaussSim needs a finite, non-zero similarityScale");
      }
    }

    if (input.symbolic && field.compare == ComparisonMeasure::Compare::kAbsDiff) {
      // Strings cannot be subtracted: a categorical input compares by (in)equality.
      field.compare =
          spec.measure.is_similarity() ? ComparisonMeasure::Compare::kEqual : ComparisonMeasure::Compare::kDelta;
    }
    spec.inputs.push_back(std::move(input));
    spec.fields.push_back(field);
    input_names.push_back(std::move(name));
  }
  if (spec.inputs.empty()) return InvalidArgument("the NearestNeighborModel has no KNNInput");

  pugi::xml_node training = Child(ctx.node, "TrainingInstances");
  if (!training) return InvalidArgument("the NearestNeighborModel has no TrainingInstances");
  if (Child(training, "TableLocator")) {
    return Unimplemented("TrainingInstances with a TableLocator (only an InlineTable can be read)");
  }
  pugi::xml_node inline_table = Child(training, "InlineTable");
  if (!inline_table) return InvalidArgument("the TrainingInstances have no InlineTable");
  std::vector<std::unordered_map<std::string, std::string>> rows = ReadInlineTable(inline_table);
  if (rows.empty()) return InvalidArgument("the TrainingInstances hold no instance");

  // InstanceField: field name -> column (defaults to the field name).
  std::vector<std::pair<std::string, std::string>> instance_fields;
  for (pugi::xml_node f : Children(Child(training, "InstanceFields"), "InstanceField")) {
    ASSIGN_OR_RETURN(std::string field, RequiredAttr(f, "field"));
    std::string column(Attr(f, "column", field));
    instance_fields.emplace_back(std::move(field), std::move(column));
  }
  auto column_of = [&](const std::string& field) -> const std::string* {
    for (const auto& [f, c] : instance_fields) {
      if (f == field) return &c;
    }
    return nullptr;
  };

  // Ids.
  const std::string* id_column = nullptr;
  if (HasAttr(ctx.node, "instanceIdVariable")) {
    id_column = column_of(std::string(Attr(ctx.node, "instanceIdVariable")));
    if (!id_column) return InvalidArgument("the instanceIdVariable is not an InstanceField");
  }
  for (size_t j = 0; j < rows.size(); ++j) {
    const std::string* id = id_column ? Cell(rows[j], *id_column) : nullptr;
    spec.ids.push_back(id ? *id : std::to_string(j + 1));
  }

  // Targets: typed like their fields; continuous by function (regression) or optype (mixed).
  for (size_t i = 0; i < ctx.info.schema.fields.size(); ++i) {
    const MiningField* mf = ctx.info.schema.fields[i];
    if (mf->usage != UsageType::kTarget) continue;
    KNN::TargetSpec target;
    target.name = mf->name;
    int df = ctx.compiler.dictionary().Find(mf->name);
    OpType op = df >= 0 ? ctx.compiler.dictionary().fields[static_cast<size_t>(df)].op_type : OpType::kContinuous;
    target.continuous =
        function == MiningFunction::kRegression || (function == MiningFunction::kMixed && op == OpType::kContinuous);
    const std::string* column = column_of(mf->name);
    if (!column) return InvalidArgument("the target '" + mf->name + "' is not an InstanceField");
    for (const auto& row : rows) {
      const std::string* cell = Cell(row, *column);
      Value v = cell ? ConstantLike(ctx.compiler, ctx.info.schema.slots[i], *cell) : Value::Missing();
      if (!target.continuous && !v.missing()) ctx.info.AddClass(v.AsString());
      target.values.push_back(std::move(v));
    }
    spec.targets.push_back(std::move(target));
  }
  if (spec.targets.empty()) return InvalidArgument("the NearestNeighborModel has no target field");

  // Instance fields that name a field in the model's scope are set per instance at load; the
  // KNNInputs are then read through the model's transformations.
  std::vector<std::pair<Slot, std::string>> settable;
  for (const auto& [field, column] : instance_fields) {
    Result<Slot> slot = ctx.scope.Resolve(field);
    if (slot.ok()) settable.emplace_back(*slot, column);
  }
  std::vector<std::vector<Value>> cells(rows.size());
  for (size_t j = 0; j < rows.size(); ++j) {
    for (const auto& [slot, column] : settable) {
      const std::string* cell = Cell(rows[j], column);
      cells[j].push_back(cell ? ConstantLike(ctx.compiler, slot, *cell) : Value::Missing());
    }
  }

  auto model = std::make_unique<NearestNeighborModel>(std::move(ctx.info), std::move(spec));
  NearestNeighborModel* knn = model.get();
  ctx.compiler.AddFinisher([knn, settable = std::move(settable), cells = std::move(cells),
                            input_names = std::move(input_names)](EvalContext& ectx) -> Status {
    KNN::Spec& s = knn->mutable_spec();
    const size_t m = s.inputs.size();
    // Codes of symbolic inputs: the distinct instance values in order of appearance.
    std::vector<std::vector<Value>> raw(cells.size(), std::vector<Value>(m));
    for (size_t j = 0; j < cells.size(); ++j) {
      ectx.BeginRow();
      for (size_t c = 0; c < settable.size(); ++c) ectx.Set(settable[c].first, cells[j][c]);
      for (size_t i = 0; i < m; ++i) raw[j][i] = ectx.Get(s.inputs[i].slot);
      if (!ectx.error().ok()) return ectx.error().WithContext("training instance " + std::to_string(j + 1));
    }
    s.instances.assign(cells.size() * m, std::nan(""));
    for (size_t i = 0; i < m; ++i) {
      KNN::Input& input = s.inputs[i];
      for (size_t j = 0; j < cells.size(); ++j) {
        const Value& v = raw[j][i];
        if (v.missing()) continue;
        if (input.symbolic) {
          auto [it, added] = input.codes.emplace(v.AsString(), static_cast<double>(input.codes.size()));
          s.instances[j * m + i] = it->second;
        } else {
          std::optional<double> x = v.AsNumber();
          if (!x) {
            return InvalidArgument("training instance " + std::to_string(j + 1) + ": the KNNInput '" + input_names[i] +
                                   "' is not a number ('" + v.AsString() + "')");
          }
          s.instances[j * m + i] = *x;
        }
      }
    }
    return Status::Ok();
  });
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace mlserving::formats::pmml

#include "formats/pmml/model.h"

#include <algorithm>
#include <array>

#include "formats/pmml/anomaly_detection_model.h"
#include "formats/pmml/association_model.h"
#include "formats/pmml/clustering_model.h"
#include "formats/pmml/compiler.h"
#include "formats/pmml/general_regression_model.h"
#include "formats/pmml/naive_bayes_model.h"
#include "formats/pmml/nearest_neighbor_model.h"
#include "formats/pmml/neural_network.h"
#include "formats/pmml/rule_set_model.h"
#include "formats/pmml/scorecard.h"
#include "formats/pmml/support_vector_machine_model.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {
namespace {

/// One entry of the model type table: the element and how to compile it (nullptr: recognised,
/// not supported yet).
struct ModelType {
  std::string_view element;
  ModelCompileFn compile;
};

/// The PMML 4.4 model elements. Unsupported ones fail at load with kUnimplemented naming them.
constexpr std::array<ModelType, 16> kModelTypes = {{
    {"TreeModel", &CompileTreeModel},
    {"RegressionModel", &CompileRegressionModel},
    {"MiningModel", &CompileMiningModel},
    {"GeneralRegressionModel", &CompileGeneralRegressionModel},
    {"NeuralNetwork", &CompileNeuralNetwork},
    {"NaiveBayesModel", &CompileNaiveBayesModel},
    {"SupportVectorMachineModel", &CompileSupportVectorMachineModel},
    {"ClusteringModel", &CompileClusteringModel},
    {"Scorecard", &CompileScorecard},
    {"NearestNeighborModel", &CompileNearestNeighborModel},
    {"RuleSetModel", &CompileRuleSetModel},
    {"AssociationModel", &CompileAssociationModel},
    {"AnomalyDetectionModel", &CompileAnomalyDetectionModel},
    {"SequenceModel", nullptr},
    {"TextModel", nullptr},
    {"TimeSeriesModel", nullptr},
}};

const ModelType* FindModelType(std::string_view element) {
  for (const ModelType& t : kModelTypes) {
    if (t.element == element) return &t;
  }
  return nullptr;
}

std::string SupportedTypes() {
  std::string out;
  for (const ModelType& t : kModelTypes) {
    if (t.compile) out += std::string(out.empty() ? "" : ", ") + std::string(t.element);
  }
  return out;
}

std::optional<MiningFunction> ParseFunction(std::string_view f) {
  if (f == "regression") return MiningFunction::kRegression;
  if (f == "classification") return MiningFunction::kClassification;
  if (f == "clustering") return MiningFunction::kClustering;
  if (f == "associationRules") return MiningFunction::kAssociationRules;
  if (f == "sequences") return MiningFunction::kSequences;
  if (f == "timeSeries") return MiningFunction::kTimeSeries;
  if (f == "mixed") return MiningFunction::kMixed;
  return std::nullopt;
}

void PostProcess(const ModelInfo& info, Prediction& p) {
  if (info.function == MiningFunction::kRegression) {
    if (p.value.missing()) {
      if (info.target) p.value = info.target->DefaultValue();
      return;
    }
    if (info.target && p.value.is_number()) p.value = Value::Number(info.target->Apply(p.value.number()));
    return;
  }
  if (info.function == MiningFunction::kClassification && p.value.missing() && info.target &&
      info.target->has_priors()) {
    p.probabilities.assign(info.classes.size(), 0.0);
    int best = -1;
    for (const TargetValue& tv : info.target->values) {
      if (std::isnan(tv.prior_probability)) continue;
      int i = info.ClassIndex(tv.value.AsString());
      if (i < 0) continue;
      p.probabilities[static_cast<size_t>(i)] = tv.prior_probability;
      if (best < 0 || tv.prior_probability > p.probabilities[static_cast<size_t>(best)]) best = i;
    }
    if (best >= 0) p.value = Value::String(info.classes[static_cast<size_t>(best)]);
  }
}

}  // namespace

int ModelInfo::ClassIndex(std::string_view label) const {
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] == label) return static_cast<int>(i);
  }
  // Numeric labels may be spelled differently ("1" vs "1.0").
  std::optional<double> n = ParseNumber(label);
  if (n) {
    for (size_t i = 0; i < classes.size(); ++i) {
      std::optional<double> c = ParseNumber(classes[i]);
      if (c && *c == *n) return static_cast<int>(i);
    }
  }
  return -1;
}

int ModelInfo::AddClass(std::string_view label) {
  int i = ClassIndex(label);
  if (i >= 0) return i;
  classes.emplace_back(label);
  return static_cast<int>(classes.size() - 1);
}

void CopyPrediction(const ModelInfo& from, const Prediction& src, const ModelInfo& to, Prediction& dst) {
  dst.value = src.value;
  dst.entity_id = src.entity_id;
  dst.affinity = src.affinity;
  dst.entity_affinities = src.entity_affinities;
  dst.ranked_entity_ids = src.ranked_entity_ids;
  dst.ranked_affinities = src.ranked_affinities;
  dst.target_values = src.target_values;
  dst.output_values.clear();  // keyed by the source model's own output names
  dst.reason_codes = src.reason_codes;
  dst.rule_values = src.rule_values;
  auto remap = [&](const std::vector<double>& in, std::vector<double>& out) {
    out.clear();
    if (in.empty()) return;
    out.assign(to.classes.size(), 0.0);
    for (size_t i = 0; i < from.classes.size() && i < in.size(); ++i) {
      int j = to.ClassIndex(from.classes[i]);
      if (j >= 0) out[static_cast<size_t>(j)] = in[i];
    }
  };
  remap(src.probabilities, dst.probabilities);
  remap(src.confidences, dst.confidences);
}

Status RunModel(const Model& model, EvalContext& ctx) {
  const ModelInfo& info = model.info();
  Prediction& p = ctx.prediction(info.id);
  p.Clear();
  // Treat every active field up front, as the PMML evaluation order prescribes: an invalid value
  // with invalidValueTreatment=returnInvalid fails the row even if the model would not read it.
  for (Slot slot : info.schema.treated) ctx.Get(slot);
  if (!ctx.error().ok()) return ctx.error();
  RETURN_IF_ERROR(model.Score(ctx, p));
  if (!ctx.error().ok()) return ctx.error();
  PostProcess(info, p);
  ComputeOutputs(info, p, ctx);
  return ctx.error();
}

bool IsModelElement(pugi::xml_node node) {
  return node.type() == pugi::node_element && FindModelType(LocalName(node)) != nullptr;
}

Result<std::unique_ptr<Model>> CompileModel(pugi::xml_node node, Scope& parent) {
  std::string element(LocalName(node));
  const ModelType* type = FindModelType(element);
  if (!type) return InvalidArgument("<" + element + "> is not a PMML model element");
  if (!type->compile) {
    return Unimplemented("the model type " + element + " is not supported yet (supported: " + SupportedTypes() + ")");
  }
  if (Attr(node, "isScorable", "true") == "false") {
    return InvalidArgument("the " + element + " is marked isScorable=\"false\"; its producer says it cannot be scored");
  }
  Compiler& compiler = parent.compiler();
  RETURN_IF_ERROR(compiler.Enter());
  struct LeaveGuard {
    Compiler& c;
    ~LeaveGuard() { c.Leave(); }
  } guard{compiler};

  ModelInfo info;
  info.id = compiler.NewModelId();
  info.type = element;
  info.model_name = std::string(Attr(node, "modelName"));
  std::string_view function = Attr(node, "functionName");
  std::optional<MiningFunction> f = ParseFunction(function);
  if (!f)
    return InvalidArgument(element + ": functionName '" + std::string(function) + "' is not a PMML mining function");
  info.function = *f;

  Scope scope(compiler, &parent);
  ASSIGN_OR_RETURN(info.schema, CompileMiningSchema(Child(node, "MiningSchema"), parent, scope));
  for (pugi::xml_node d : Children(Child(node, "LocalTransformations"), "DerivedField")) {
    RETURN_IF_ERROR(scope.DefineDerived(d));
  }
  // The target: the first target MiningField, else the targetFieldName attribute (RegressionModel).
  if (!info.schema.targets.empty()) {
    info.target_name = info.schema.targets.front()->name;
    for (size_t i = 0; i < info.schema.fields.size(); ++i) {
      if (info.schema.fields[i] == info.schema.targets.front()) info.target_slot = info.schema.slots[i];
    }
  } else if (HasAttr(node, "targetFieldName")) {
    info.target_name = std::string(Attr(node, "targetFieldName"));
  }
  info.has_target = !info.target_name.empty();
  info.target_type = info.function == MiningFunction::kRegression ? DataType::kDouble : DataType::kString;
  if (info.has_target) {
    int df = compiler.dictionary().Find(info.target_name);
    if (df >= 0) {
      const DataField& field = compiler.dictionary().fields[static_cast<size_t>(df)];
      info.target_type = field.data_type;
      if (info.function != MiningFunction::kRegression) {
        for (const Value& v : field.valid_values) info.AddClass(v.AsString());
      }
    }
  }
  ASSIGN_OR_RETURN(info.targets, ParseTargets(Child(node, "Targets")));
  if (info.function != MiningFunction::kRegression) {
    for (const Target& t : info.targets.targets) {
      if (!t.field.empty() && t.field != info.target_name) continue;
      for (const TargetValue& tv : t.values) {
        if (!tv.value.missing()) info.AddClass(tv.value.AsString());
      }
    }
  }
  ModelCompileContext ctx{node, scope, info, compiler};
  Result<std::unique_ptr<Model>> model = type->compile(ctx);
  if (!model.ok())
    return model.status().WithContext(element + (info.model_name.empty() ? "" : " '" + info.model_name + "'"));
  ModelInfo& final_info = (*model)->mutable_info();
  final_info.target = final_info.targets.Find(final_info.target_name);
  RETURN_IF_ERROR(CompileOutput(Child(node, "Output"), scope, final_info).WithContext(element + " Output"));
  (*model)->Prepare();
  return model;
}

}  // namespace mlserving::formats::pmml

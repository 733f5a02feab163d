#include "formats/pmml/support_vector_machine_model.h"

#include <cmath>
#include <unordered_map>

#include "formats/pmml/compiler.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

using SVM = SupportVectorMachineModel;

SupportVectorMachineModel::SupportVectorMachineModel(ModelInfo info, Spec spec)
    : Model(std::move(info)), spec_(std::move(spec)) {
  num_vectors_ = spec_.fields.empty() ? 0 : spec_.vectors.size() / spec_.fields.size();
}

double SupportVectorMachineModel::KernelValue(const double* x, const double* v) const {
  const size_t n = spec_.fields.size();
  if (spec_.kernel == Kernel::kRadialBasis) {
    double d = 0;
    for (size_t i = 0; i < n; ++i) d += (x[i] - v[i]) * (x[i] - v[i]);
    return std::exp(-spec_.gamma * d);
  }
  double dot = 0;
  for (size_t i = 0; i < n; ++i) dot += x[i] * v[i];
  switch (spec_.kernel) {
    case Kernel::kLinear: return dot;
    case Kernel::kPolynomial: return std::pow(spec_.gamma * dot + spec_.coef0, spec_.degree);
    case Kernel::kSigmoid: return std::tanh(spec_.gamma * dot + spec_.coef0);
    case Kernel::kRadialBasis: break;
  }
  return dot;
}

Status SupportVectorMachineModel::Score(EvalContext& ctx, Prediction& out) const {
  // Per-thread scratch (input vector, kernel values, machine values): allocated once per thread.
  thread_local std::vector<double> x, k, f;
  const size_t n = spec_.fields.size();
  x.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Field& field = spec_.fields[i];
    const Value& v = ctx.Get(field.slot);
    if (v.missing()) return Status::Ok();
    if (field.categorical) {
      x[i] = v.Equals(field.category) ? field.coefficient : 0.0;
    } else {
      std::optional<double> d = v.AsNumber();
      if (!d) return Status::Ok();
      x[i] = *d;
    }
  }
  if (spec_.support_vectors) {
    k.resize(num_vectors_);
    for (size_t j = 0; j < num_vectors_; ++j) k[j] = KernelValue(x.data(), spec_.vectors.data() + j * n);
  }
  f.resize(spec_.machines.size());
  for (size_t m = 0; m < spec_.machines.size(); ++m) {
    const Machine& machine = spec_.machines[m];
    double sum = machine.intercept;
    if (spec_.support_vectors) {
      for (size_t j = 0; j < machine.vectors.size(); ++j) {
        sum += machine.coefficients[j] * k[static_cast<size_t>(machine.vectors[j])];
      }
    } else if (spec_.kernel == Kernel::kLinear) {
      for (size_t j = 0; j < n; ++j) sum += machine.coefficients[j] * x[j];
    } else {
      // Coefficients representation with a non-linear kernel: each coefficient weighs K(x, e_j).
      thread_local std::vector<double> unit;
      unit.assign(n, 0.0);
      for (size_t j = 0; j < n; ++j) {
        unit[j] = 1;
        sum += machine.coefficients[j] * KernelValue(x.data(), unit.data());
        unit[j] = 0;
      }
    }
    f[m] = sum;
  }
  if (info_.function == MiningFunction::kRegression) {
    out.value = Value::Number(f[0]);
    return Status::Ok();
  }
  std::vector<double>& votes = out.probabilities;
  votes.assign(info_.classes.size(), 0.0);
  if (spec_.method == Method::kOneAgainstOne) {
    for (size_t m = 0; m < spec_.machines.size(); ++m) {
      const Machine& machine = spec_.machines[m];
      bool target_wins = spec_.max_wins ? f[m] > machine.threshold : f[m] < machine.threshold;
      votes[static_cast<size_t>(target_wins ? machine.target : machine.alternate)] += 1;
    }
    size_t best = ArgMax(votes);
    for (double& v : votes) v /= static_cast<double>(spec_.machines.size());
    out.value = Value::String(info_.classes[best]);
    return Status::Ok();
  }
  size_t best = 0;
  for (size_t m = 1; m < spec_.machines.size(); ++m) {
    if (spec_.max_wins ? f[m] > f[best] : f[m] < f[best]) best = m;
  }
  votes.clear();
  out.value = Value::String(info_.classes[static_cast<size_t>(spec_.machines[best].target)]);
  return Status::Ok();
}

namespace {

Status ReadKernel(pugi::xml_node node, SVM::Spec& spec) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    std::string_view name = LocalName(c);
    if (name == "LinearKernelType") {
      spec.kernel = SVM::Kernel::kLinear;
    } else if (name == "PolynomialKernelType") {
      spec.kernel = SVM::Kernel::kPolynomial;
      ASSIGN_OR_RETURN(spec.gamma, NumberAttr(c, "gamma", 1));
      ASSIGN_OR_RETURN(spec.coef0, NumberAttr(c, "coef0", 1));
      ASSIGN_OR_RETURN(spec.degree, NumberAttr(c, "degree", 1));
    } else if (name == "RadialBasisKernelType") {
      spec.kernel = SVM::Kernel::kRadialBasis;
      ASSIGN_OR_RETURN(spec.gamma, NumberAttr(c, "gamma", 1));
    } else if (name == "SigmoidKernelType") {
      spec.kernel = SVM::Kernel::kSigmoid;
      ASSIGN_OR_RETURN(spec.gamma, NumberAttr(c, "gamma", 1));
      ASSIGN_OR_RETURN(spec.coef0, NumberAttr(c, "coef0", 1));
    } else {
      continue;
    }
    return Status::Ok();
  }
  return InvalidArgument("the SupportVectorMachineModel has no kernel type element");
}

/// Reads one VectorInstance (dense Array or REAL-SparseArray/INT-SparseArray) into `row`.
Status ReadInstance(pugi::xml_node instance, std::vector<double>& row) {
  for (pugi::xml_node c = instance.first_child(); c; c = c.next_sibling()) {
    std::string_view name = LocalName(c);
    if (name == "Array") {
      ASSIGN_OR_RETURN(std::vector<double> values, NumberArray(c));
      if (values.size() != row.size()) {
        return InvalidArgument("a VectorInstance has " + std::to_string(values.size()) + " values for " +
                               std::to_string(row.size()) + " fields");
      }
      row = std::move(values);
      return Status::Ok();
    }
    if (name == "REAL-SparseArray" || name == "INT-SparseArray") {
      std::vector<double> indices, entries;
      pugi::xml_node idx = Child(c, "Indices");
      pugi::xml_node ent = Child(c, name == "REAL-SparseArray" ? "REAL-Entries" : "INT-Entries");
      for (const std::string& s : SplitArray(idx.child_value())) {
        std::optional<double> v = ParseNumber(s);
        if (!v) return InvalidArgument("a sparse array index '" + s + "' is not a number");
        indices.push_back(*v);
      }
      for (const std::string& s : SplitArray(ent.child_value())) {
        std::optional<double> v = ParseNumber(s);
        if (!v) return InvalidArgument("a sparse array entry '" + s + "' is not a number");
        entries.push_back(*v);
      }
      if (indices.size() != entries.size()) return InvalidArgument("a sparse array has unequal Indices and Entries");
      for (size_t i = 0; i < indices.size(); ++i) {
        if (!(indices[i] >= 1 && indices[i] <= static_cast<double>(row.size()))) {
          return InvalidArgument("a sparse array index is out of range 1.." + std::to_string(row.size()));
        }
        row[static_cast<size_t>(indices[i]) - 1] = entries[i];
      }
      return Status::Ok();
    }
  }
  return InvalidArgument("a VectorInstance has no Array or SparseArray");
}

}  // namespace

Result<std::unique_ptr<Model>> CompileSupportVectorMachineModel(ModelCompileContext& ctx) {
  bool classification = ctx.info.function == MiningFunction::kClassification;
  if (!classification && ctx.info.function != MiningFunction::kRegression) {
    return Unimplemented("SupportVectorMachineModel with functionName other than regression or classification");
  }
  SVM::Spec spec;
  RETURN_IF_ERROR(ReadKernel(ctx.node, spec));
  std::string_view method = Attr(ctx.node, "classificationMethod", "OneAgainstAll");
  if (method == "OneAgainstOne") {
    spec.method = SVM::Method::kOneAgainstOne;
  } else if (method != "OneAgainstAll") {
    return InvalidArgument("unknown classificationMethod '" + std::string(method) + "'");
  }
  spec.max_wins = Attr(ctx.node, "maxWins", "false") == "true";
  std::string_view representation = Attr(ctx.node, "svmRepresentation", "SupportVectors");
  spec.support_vectors = representation != "Coefficients";
  ASSIGN_OR_RETURN(double threshold, NumberAttr(ctx.node, "threshold", 0));

  pugi::xml_node dictionary = Child(ctx.node, "VectorDictionary");
  for (pugi::xml_node c = Child(dictionary, "VectorFields").first_child(); c; c = c.next_sibling()) {
    std::string_view name = LocalName(c);
    SVM::Field field;
    if (name == "FieldRef") {
      ASSIGN_OR_RETURN(std::string f, RequiredAttr(c, "field"));
      ASSIGN_OR_RETURN(field.slot, ctx.scope.Resolve(f));
    } else if (name == "CategoricalPredictor") {
      ASSIGN_OR_RETURN(std::string f, RequiredAttr(c, "name"));
      ASSIGN_OR_RETURN(field.slot, ctx.scope.Resolve(f));
      field.categorical = true;
      field.category = ConstantLike(ctx.compiler, field.slot, Attr(c, "value"));
      ASSIGN_OR_RETURN(field.coefficient, NumberAttr(c, "coefficient", 1));
    } else {
      continue;
    }
    spec.fields.push_back(std::move(field));
  }
  if (spec.fields.empty()) return InvalidArgument("the VectorDictionary has no VectorFields");
  std::unordered_map<std::string, int32_t> vector_index;
  for (pugi::xml_node v : Children(dictionary, "VectorInstance")) {
    ASSIGN_OR_RETURN(std::string id, RequiredAttr(v, "id"));
    std::vector<double> row(spec.fields.size(), 0.0);
    Status s = ReadInstance(v, row);
    if (!s.ok()) return s.WithContext("VectorInstance '" + id + "'");
    if (!vector_index.emplace(id, static_cast<int32_t>(vector_index.size())).second) {
      return InvalidArgument("the VectorInstance id '" + id + "' is used twice");
    }
    spec.vectors.insert(spec.vectors.end(), row.begin(), row.end());
  }

  std::string_view alternate_binary = Attr(ctx.node, "alternateBinaryTargetCategory");
  for (pugi::xml_node m : Children(ctx.node, "SupportVectorMachine")) {
    SVM::Machine machine;
    ASSIGN_OR_RETURN(machine.threshold, NumberAttr(m, "threshold", threshold));
    if (classification) {
      if (!HasAttr(m, "targetCategory"))
        return InvalidArgument("a classification SupportVectorMachine lacks targetCategory");
      machine.target = ctx.info.AddClass(Attr(m, "targetCategory"));
      if (HasAttr(m, "alternateTargetCategory")) {
        machine.alternate = ctx.info.AddClass(Attr(m, "alternateTargetCategory"));
      } else if (!alternate_binary.empty()) {
        machine.alternate = ctx.info.AddClass(alternate_binary);
      }
    }
    pugi::xml_node coefficients = Child(m, "Coefficients");
    ASSIGN_OR_RETURN(machine.intercept, NumberAttr(coefficients, "absoluteValue", 0));
    for (pugi::xml_node c : Children(coefficients, "Coefficient")) {
      ASSIGN_OR_RETURN(double v, NumberAttr(c, "value", 0));
      machine.coefficients.push_back(v);
    }
    if (spec.support_vectors) {
      for (pugi::xml_node sv : Children(Child(m, "SupportVectors"), "SupportVector")) {
        ASSIGN_OR_RETURN(std::string id, RequiredAttr(sv, "vectorId"));
        auto it = vector_index.find(id);
        if (it == vector_index.end()) return InvalidArgument("SupportVector names the unknown vector '" + id + "'");
        machine.vectors.push_back(it->second);
      }
      if (machine.vectors.size() != machine.coefficients.size()) {
        return InvalidArgument("a SupportVectorMachine has " + std::to_string(machine.vectors.size()) +
                               " support vectors but " + std::to_string(machine.coefficients.size()) + " coefficients");
      }
    } else if (machine.coefficients.size() != spec.fields.size()) {
      return InvalidArgument("a Coefficients-represented SupportVectorMachine needs one coefficient per vector field");
    }
    spec.machines.push_back(std::move(machine));
  }
  if (spec.machines.empty()) return InvalidArgument("the model has no SupportVectorMachine");
  if (classification) {
    // A single machine with an alternate category is a binary decision, whatever the method says.
    if (spec.machines.size() == 1 && spec.machines[0].alternate >= 0) spec.method = SVM::Method::kOneAgainstOne;
    for (const SVM::Machine& m : spec.machines) {
      if (spec.method == SVM::Method::kOneAgainstOne && m.alternate < 0) {
        return InvalidArgument("OneAgainstOne needs alternateTargetCategory on every SupportVectorMachine");
      }
    }
  }
  return std::unique_ptr<Model>(new SupportVectorMachineModel(std::move(ctx.info), std::move(spec)));
}

}  // namespace mlserving::formats::pmml

#include "formats/pmml/neural_network.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "formats/pmml/compiler.h"
#include "formats/pmml/model_util.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

using Activation = NeuralNetwork::Activation;

NeuralNetwork::NeuralNetwork(ModelInfo info, std::vector<const Expression*> inputs, std::vector<Layer> layers,
                             std::vector<Neuron> neurons, std::vector<Connection> connections,
                             std::vector<Output> outputs)
    : Model(std::move(info)),
      inputs_(std::move(inputs)),
      layers_(std::move(layers)),
      neurons_(std::move(neurons)),
      connections_(std::move(connections)),
      outputs_(std::move(outputs)) {}

double NeuralNetwork::Activate(Activation f, double z, double threshold) {
  switch (f) {
    case Activation::kThreshold: return z > threshold ? 1.0 : 0.0;
    case Activation::kLogistic: return 1.0 / (1.0 + std::exp(-z));
    case Activation::kTanh: return std::tanh(z);
    case Activation::kIdentity: return z;
    case Activation::kExponential: return std::exp(z);
    case Activation::kReciprocal: return 1.0 / z;
    case Activation::kSquare: return z * z;
    case Activation::kGauss: return std::exp(-(z * z));
    case Activation::kSine: return std::sin(z);
    case Activation::kCosine: return std::cos(z);
    case Activation::kElliott: return z / (1.0 + std::fabs(z));
    case Activation::kArctan: return 2.0 * std::atan(z) / M_PI;
    case Activation::kRectifier: return std::max(0.0, z);
    case Activation::kRadialBasis: return z;  // handled by the caller (needs fan-in and altitude)
  }
  return z;
}

namespace {

/// The inverse of a NormContinuous map: the original value whose normalized value is `y`.
double Denormalize(const std::vector<std::pair<double, double>>& points, double y) {
  size_t i = 1;
  while (i + 1 < points.size() && y > points[i].second) ++i;
  const auto& [x0, y0] = points[i - 1];
  const auto& [x1, y1] = points[i];
  return x0 + (y - y0) * (x1 - x0) / (y1 - y0);
}

}  // namespace

Status NeuralNetwork::Score(EvalContext& ctx, Prediction& out) const {
  // Per-thread scratch: grows to the network's size once, then scoring allocates nothing.
  thread_local std::vector<double> a;
  a.resize(inputs_.size() + neurons_.size());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    std::optional<double> x = inputs_[i]->Eval(ctx).AsNumber();
    if (!x) return Status::Ok();
    a[i] = *x;
  }
  const size_t base = inputs_.size();
  for (const Layer& layer : layers_) {
    for (int32_t n = layer.neuron_begin; n < layer.neuron_begin + layer.neuron_count; ++n) {
      const Neuron& neuron = neurons_[static_cast<size_t>(n)];
      double z;
      if (layer.activation == Activation::kRadialBasis) {
        double sum = 0;
        for (int32_t c = neuron.con_begin; c < neuron.con_begin + neuron.con_count; ++c) {
          const Connection& con = connections_[static_cast<size_t>(c)];
          double d = a[static_cast<size_t>(con.from)] - con.weight;
          sum += d * d;
        }
        z = sum / (2.0 * neuron.width * neuron.width);
        a[base + static_cast<size_t>(n)] = std::exp(neuron.con_count * std::log(neuron.altitude) - z);
        continue;
      }
      // Σ weight · input, then the bias (the summation order of the reference evaluators).
      z = 0;
      for (int32_t c = neuron.con_begin; c < neuron.con_begin + neuron.con_count; ++c) {
        const Connection& con = connections_[static_cast<size_t>(c)];
        z += con.weight * a[static_cast<size_t>(con.from)];
      }
      z += neuron.bias;
      a[base + static_cast<size_t>(n)] = Activate(layer.activation, z, layer.threshold);
    }
    if (layer.normalization == LayerNorm::kNone) continue;
    double* first = a.data() + base + layer.neuron_begin;
    double* last = first + layer.neuron_count;
    double sum = 0;
    if (layer.normalization == LayerNorm::kSoftmax) {
      double max = *std::max_element(first, last);
      for (double* v = first; v != last; ++v) sum += (*v = std::exp(*v - max));
    } else {
      for (double* v = first; v != last; ++v) sum += *v;
    }
    for (double* v = first; v != last; ++v) *v /= sum;
  }
  if (info_.function == MiningFunction::kRegression) {
    const Output& o = outputs_[0];
    double y = a[static_cast<size_t>(o.neuron)];
    out.value = Value::Number(o.denorm.empty() ? y : Denormalize(o.denorm, y));
    return Status::Ok();
  }
  out.probabilities.assign(info_.classes.size(), 0.0);
  for (const Output& o : outputs_)
    out.probabilities[static_cast<size_t>(o.class_index)] = a[static_cast<size_t>(o.neuron)];
  out.value = Value::String(info_.classes[ArgMax(out.probabilities)]);
  return Status::Ok();
}

namespace {

using NN = NeuralNetwork;

std::optional<Activation> ParseActivation(std::string_view t) {
  if (t == "threshold") return Activation::kThreshold;
  if (t == "logistic") return Activation::kLogistic;
  if (t == "tanh") return Activation::kTanh;
  if (t == "identity") return Activation::kIdentity;
  if (t == "exponential") return Activation::kExponential;
  if (t == "reciprocal") return Activation::kReciprocal;
  if (t == "square") return Activation::kSquare;
  if (t == "Gauss") return Activation::kGauss;
  if (t == "sine") return Activation::kSine;
  if (t == "cosine") return Activation::kCosine;
  if (t == "Elliott") return Activation::kElliott;
  if (t == "arctan") return Activation::kArctan;
  if (t == "rectifier") return Activation::kRectifier;
  if (t == "radialBasis") return Activation::kRadialBasis;
  return std::nullopt;
}

std::optional<NN::LayerNorm> ParseLayerNorm(std::string_view t) {
  if (t == "none") return NN::LayerNorm::kNone;
  if (t == "softmax") return NN::LayerNorm::kSoftmax;
  if (t == "simplemax") return NN::LayerNorm::kSimplemax;
  return std::nullopt;
}

/// Network-level defaults overridden by layers (and, for width/altitude, by neurons).
struct Defaults {
  Activation activation = Activation::kLogistic;
  NN::LayerNorm normalization = NN::LayerNorm::kNone;
  double threshold = 0;
  double width = std::nan("");
  double altitude = 1;
};

Result<Defaults> ReadDefaults(pugi::xml_node node, const Defaults& parent) {
  Defaults d = parent;
  if (HasAttr(node, "activationFunction")) {
    std::optional<Activation> a = ParseActivation(Attr(node, "activationFunction"));
    if (!a)
      return InvalidArgument("unknown activationFunction '" + std::string(Attr(node, "activationFunction")) + "'");
    d.activation = *a;
  }
  if (HasAttr(node, "normalizationMethod")) {
    std::optional<NN::LayerNorm> n = ParseLayerNorm(Attr(node, "normalizationMethod"));
    if (!n)
      return InvalidArgument("unknown normalizationMethod '" + std::string(Attr(node, "normalizationMethod")) + "'");
    d.normalization = *n;
  }
  ASSIGN_OR_RETURN(d.threshold, NumberAttr(node, "threshold", d.threshold));
  ASSIGN_OR_RETURN(d.width, NumberAttr(node, "width", d.width));
  ASSIGN_OR_RETURN(d.altitude, NumberAttr(node, "altitude", d.altitude));
  return d;
}

/// The expression element of a NeuralInput/NeuralOutput's DerivedField.
pugi::xml_node ExpressionOf(pugi::xml_node derived) {
  for (pugi::xml_node c = derived.first_child(); c; c = c.next_sibling()) {
    if (IsExpressionElement(c)) return c;
  }
  return {};
}

Result<NN::Output> CompileOutput(pugi::xml_node node, int32_t neuron, ModelCompileContext& ctx) {
  NN::Output o;
  o.neuron = neuron;
  pugi::xml_node e = ExpressionOf(Child(node, "DerivedField"));
  std::string_view kind = LocalName(e);
  bool classification = ctx.info.function == MiningFunction::kClassification;
  if (classification) {
    if (kind != "NormDiscrete") {
      return Unimplemented("a classification NeuralOutput maps through <" + std::string(kind) +
                           "> (only NormDiscrete is supported)");
    }
    o.class_index = ctx.info.AddClass(Attr(e, "value"));
    return o;
  }
  if (kind == "FieldRef") return o;
  if (kind != "NormContinuous") {
    return Unimplemented("a regression NeuralOutput maps through <" + std::string(kind) +
                         "> (only FieldRef and NormContinuous are supported)");
  }
  for (pugi::xml_node p : Children(e, "LinearNorm")) {
    ASSIGN_OR_RETURN(double orig, RequiredNumberAttr(p, "orig"));
    ASSIGN_OR_RETURN(double norm, RequiredNumberAttr(p, "norm"));
    o.denorm.emplace_back(orig, norm);
  }
  if (o.denorm.size() < 2) return InvalidArgument("a NormContinuous needs at least two LinearNorm points");
  std::sort(o.denorm.begin(), o.denorm.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
  for (size_t i = 1; i < o.denorm.size(); ++i) {
    if (o.denorm[i].second == o.denorm[i - 1].second) {
      return InvalidArgument("a NeuralOutput NormContinuous is not invertible (two points share norm=" +
                             FormatNumber(o.denorm[i].second) + ")");
    }
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<Model>> CompileNeuralNetwork(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kClassification && ctx.info.function != MiningFunction::kRegression) {
    return Unimplemented("NeuralNetwork with functionName other than regression or classification");
  }
  ASSIGN_OR_RETURN(Defaults network, ReadDefaults(ctx.node, Defaults{}));
  std::unordered_map<std::string, int32_t> index;  // neuron/input id -> activation index
  std::vector<const Expression*> inputs;
  for (pugi::xml_node in : Children(Child(ctx.node, "NeuralInputs"), "NeuralInput")) {
    ASSIGN_OR_RETURN(std::string id, RequiredAttr(in, "id"));
    pugi::xml_node derived = Child(in, "DerivedField");
    if (!derived) return InvalidArgument("NeuralInput '" + id + "' has no DerivedField");
    Result<std::unique_ptr<Expression>> e = CompileExpressionChild(derived, ctx.scope);
    if (!e.ok()) return e.status().WithContext("NeuralInput '" + id + "'");
    if (!index.emplace(id, static_cast<int32_t>(inputs.size())).second) {
      return InvalidArgument("the neuron id '" + id + "' is used twice");
    }
    inputs.push_back(ctx.compiler.Own(std::move(e).value()));
  }
  if (inputs.empty()) return InvalidArgument("the NeuralNetwork has no NeuralInput");
  const int32_t base = static_cast<int32_t>(inputs.size());

  std::vector<NN::Layer> layers;
  std::vector<NN::Neuron> neurons;
  std::vector<NN::Connection> connections;
  for (pugi::xml_node l : Children(ctx.node, "NeuralLayer")) {
    ASSIGN_OR_RETURN(Defaults d, ReadDefaults(l, network));
    NN::Layer layer;
    layer.activation = d.activation;
    layer.normalization = d.normalization;
    layer.threshold = d.threshold;
    layer.neuron_begin = static_cast<int32_t>(neurons.size());
    // Neurons of a layer read only earlier layers: register ids after the whole layer compiled.
    std::vector<std::string> ids;
    for (pugi::xml_node n : Children(l, "Neuron")) {
      ASSIGN_OR_RETURN(std::string id, RequiredAttr(n, "id"));
      NN::Neuron neuron;
      ASSIGN_OR_RETURN(neuron.bias, NumberAttr(n, "bias", 0));
      ASSIGN_OR_RETURN(neuron.width, NumberAttr(n, "width", d.width));
      ASSIGN_OR_RETURN(neuron.altitude, NumberAttr(n, "altitude", d.altitude));
      if (layer.activation == Activation::kRadialBasis && !(neuron.width > 0)) {
        return InvalidArgument("radialBasis neuron '" + id + "' needs a positive width");
      }
      neuron.con_begin = static_cast<int32_t>(connections.size());
      for (pugi::xml_node c : Children(n, "Con")) {
        ASSIGN_OR_RETURN(std::string from, RequiredAttr(c, "from"));
        auto it = index.find(from);
        if (it == index.end()) {
          return InvalidArgument("neuron '" + id + "' connects from '" + from +
                                 "', which is no earlier neuron or input");
        }
        ASSIGN_OR_RETURN(double w, RequiredNumberAttr(c, "weight"));
        connections.push_back({it->second, w});
      }
      neuron.con_count = static_cast<int32_t>(connections.size()) - neuron.con_begin;
      neurons.push_back(neuron);
      ids.push_back(std::move(id));
    }
    layer.neuron_count = static_cast<int32_t>(neurons.size()) - layer.neuron_begin;
    if (layer.neuron_count == 0) return InvalidArgument("a NeuralLayer has no Neuron");
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!index.emplace(ids[i], base + layer.neuron_begin + static_cast<int32_t>(i)).second) {
        return InvalidArgument("the neuron id '" + ids[i] + "' is used twice");
      }
    }
    layers.push_back(layer);
  }
  if (layers.empty()) return InvalidArgument("the NeuralNetwork has no NeuralLayer");

  std::vector<NN::Output> outputs;
  for (pugi::xml_node o : Children(Child(ctx.node, "NeuralOutputs"), "NeuralOutput")) {
    ASSIGN_OR_RETURN(std::string id, RequiredAttr(o, "outputNeuron"));
    auto it = index.find(id);
    if (it == index.end()) return InvalidArgument("NeuralOutput names the unknown neuron '" + id + "'");
    Result<NN::Output> out = CompileOutput(o, it->second, ctx);
    if (!out.ok()) return out.status().WithContext("NeuralOutput '" + id + "'");
    outputs.push_back(std::move(out).value());
  }
  if (outputs.empty()) return InvalidArgument("the NeuralNetwork has no NeuralOutput");
  return std::unique_ptr<Model>(new NeuralNetwork(std::move(ctx.info), std::move(inputs), std::move(layers),
                                                  std::move(neurons), std::move(connections), std::move(outputs)));
}

}  // namespace mlserving::formats::pmml

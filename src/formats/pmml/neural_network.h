#pragma once

#include <string>
#include <vector>

#include "formats/pmml/expression.h"
#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <NeuralNetwork>: a feed-forward network. NeuralInputs are expressions (their DerivedField
/// children); each NeuralLayer computes Z = bias + Σ weight · input for its neurons (radialBasis:
/// Z = Σ (input - weight)² / (2 width²)), applies its activationFunction (threshold, logistic,
/// tanh, identity, exponential, reciprocal, square, Gauss, sine, cosine, Elliott, arctan,
/// rectifier, radialBasis) and its normalizationMethod (none, softmax, simplemax); layer and
/// neuron attributes override the network's.
///
/// NeuralOutputs map output neurons back to the target: regression through FieldRef (the value
/// itself) or NormContinuous (the inverse of its piecewise-linear map, extrapolating the end
/// segments); classification through NormDiscrete (the neuron's value is the probability of that
/// category). A missing input gives no prediction.
class NeuralNetwork final : public Model {
 public:
  enum class Activation : uint8_t {
    kThreshold,
    kLogistic,
    kTanh,
    kIdentity,
    kExponential,
    kReciprocal,
    kSquare,
    kGauss,
    kSine,
    kCosine,
    kElliott,
    kArctan,
    kRectifier,
    kRadialBasis
  };
  enum class LayerNorm : uint8_t { kNone, kSoftmax, kSimplemax };

  struct Neuron {
    double bias = 0;
    double width = 0;     ///< radialBasis
    double altitude = 1;  ///< radialBasis
    int32_t con_begin = 0;
    int32_t con_count = 0;
  };
  struct Connection {
    int32_t from;  ///< index into the activation array (inputs first, then neurons in order)
    double weight;
  };
  struct Layer {
    Activation activation = Activation::kLogistic;
    LayerNorm normalization = LayerNorm::kNone;
    double threshold = 0;
    int32_t neuron_begin = 0;  ///< index into neurons_ (activation index = inputs + this)
    int32_t neuron_count = 0;
  };
  /// How one output neuron maps back to the target.
  struct Output {
    int32_t neuron;        ///< activation index
    int class_index = -1;  ///< classification (NormDiscrete)
    /// Regression NormContinuous points (orig, norm) sorted by norm; empty for FieldRef.
    std::vector<std::pair<double, double>> denorm;
  };

  NeuralNetwork(ModelInfo info, std::vector<const Expression*> inputs, std::vector<Layer> layers,
                std::vector<Neuron> neurons, std::vector<Connection> connections, std::vector<Output> outputs);
  Status Score(EvalContext& ctx, Prediction& out) const override;

  static double Activate(Activation f, double z, double threshold);

 private:
  std::vector<const Expression*> inputs_;  ///< owned by the FieldTable
  std::vector<Layer> layers_;
  std::vector<Neuron> neurons_;
  std::vector<Connection> connections_;
  std::vector<Output> outputs_;
};

/// Compiles a <NeuralNetwork> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileNeuralNetwork(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

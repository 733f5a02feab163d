#include "kernels/fused_activation.h"

#include <cmath>
#include <vector>
#include "ir/make_attribute.h"

namespace mlserving::kernels {
namespace {

struct ActivationName {
  const char* op;
  FusedActivation::Kind kind;
  size_t params;
};

constexpr ActivationName kActivations[] = {
    {"Relu", FusedActivation::Kind::kRelu, 0}, {"LeakyRelu", FusedActivation::Kind::kLeakyRelu, 1},
    {"Clip", FusedActivation::Kind::kClip, 2}, {"Sigmoid", FusedActivation::Kind::kSigmoid, 0},
    {"Tanh", FusedActivation::Kind::kTanh, 0}, {"Gelu", FusedActivation::Kind::kGelu, 0},
};

template <typename T>
void Apply(const FusedActivation& a, T* data, int64_t n) {
  const T alpha = static_cast<T>(a.alpha), beta = static_cast<T>(a.beta);
  switch (a.kind) {
    case FusedActivation::Kind::kNone: return;
    case FusedActivation::Kind::kRelu:
      for (int64_t i = 0; i < n; ++i) data[i] = data[i] > T(0) ? data[i] : T(0);
      return;
    case FusedActivation::Kind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) data[i] = data[i] >= T(0) ? data[i] : alpha * data[i];
      return;
    case FusedActivation::Kind::kClip:
      for (int64_t i = 0; i < n; ++i)
        data[i] = data[i] < alpha ? alpha : (data[i] > beta ? beta : data[i]);  // NaN stays
      return;
    case FusedActivation::Kind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) data[i] = T(1) / (T(1) + std::exp(-data[i]));
      return;
    case FusedActivation::Kind::kTanh:
      for (int64_t i = 0; i < n; ++i) data[i] = std::tanh(data[i]);
      return;
    case FusedActivation::Kind::kGelu:
      for (int64_t i = 0; i < n; ++i) {
        data[i] = T(0.5) * data[i] * (T(1) + std::erf(data[i] / static_cast<T>(1.4142135623730951)));
      }
      return;
  }
}

}  // namespace

std::string FusedActivation::OpType() const {
  for (const ActivationName& a : kActivations) {
    if (a.kind == kind) return a.op;
  }
  return "";
}

Result<FusedActivation> ReadFusedActivation(const ir::Node& node) {
  FusedActivation activation;
  if (!node.Has("activation")) return activation;
  const std::string op = node.GetString("activation", "");
  const std::vector<float> params = node.GetFloats("activation_params");
  for (const ActivationName& a : kActivations) {
    if (op != a.op) continue;
    if (params.size() != a.params) {
      return InvalidArgument(node.Describe() + ": activation " + op + " takes " + std::to_string(a.params) +
                             " activation_params, got " + std::to_string(params.size()));
    }
    activation.kind = a.kind;
    if (!params.empty()) activation.alpha = params[0];
    if (params.size() > 1) activation.beta = params[1];
    if (activation.kind == FusedActivation::Kind::kClip && !(activation.alpha <= activation.beta)) {
      return InvalidArgument(node.Describe() + ": Clip activation needs min <= max");
    }
    return activation;
  }
  return InvalidArgument(node.Describe() + ": unknown activation '" + op +
                         "' (expected Relu, LeakyRelu, Clip, Sigmoid, Tanh or Gelu)");
}

void WriteFusedActivation(const FusedActivation& activation, ir::Node& node) {
  if (activation.kind == FusedActivation::Kind::kNone) return;
  node.attributes["activation"] = ir::StringAttr(activation.OpType());
  if (activation.kind == FusedActivation::Kind::kLeakyRelu) {
    node.attributes["activation_params"] = ir::FloatsAttr({activation.alpha});
  } else if (activation.kind == FusedActivation::Kind::kClip) {
    node.attributes["activation_params"] = ir::FloatsAttr({activation.alpha, activation.beta});
  }
}

Status ApplyFusedActivation(const FusedActivation& activation, Tensor& tensor) {
  if (activation.kind == FusedActivation::Kind::kNone) return Status::Ok();
  switch (tensor.dtype()) {
    case DType::kFloat32: Apply(activation, tensor.data<float>(), tensor.num_elements()); return Status::Ok();
    case DType::kFloat64: Apply(activation, tensor.data<double>(), tensor.num_elements()); return Status::Ok();
    default:
      return InvalidArgument("fused " + activation.OpType() + " activation supports float and double only, got " +
                             tensor.DebugString());
  }
}

}  // namespace mlserving::kernels

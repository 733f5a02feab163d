#include "runtime/evaluator.h"

namespace mlserving {

Result<ValueMap> Evaluator::EvaluateValues(const ValueMap& inputs, const EvaluationContext& ctx) const {
  TensorMap tensors;
  for (const auto& [name, value] : inputs) {
    if (value.is_sequence()) return InvalidArgument("input '" + name + "' is a sequence; this model takes tensors");
    if (value.is_tensor()) tensors.emplace(name, value.tensor());
  }
  ASSIGN_OR_RETURN(TensorMap outputs, Evaluate(tensors, ctx));
  ValueMap values;
  for (auto& [name, tensor] : outputs) values.emplace(name, std::move(tensor));
  return values;
}

}  // namespace mlserving

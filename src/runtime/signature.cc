#include "runtime/signature.h"

namespace mlserving {
namespace {
const TensorSpec* Find(const std::vector<TensorSpec>& specs, const std::string& name) {
  for (const auto& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}
}  // namespace

const TensorSpec* Signature::FindInput(const std::string& name) const { return Find(inputs, name); }
const TensorSpec* Signature::FindOutput(const std::string& name) const { return Find(outputs, name); }

}  // namespace mlserving

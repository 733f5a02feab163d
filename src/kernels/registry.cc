#include "kernels/registry.h"

namespace mlserving::kernels {

void KernelRegistry::Register(const std::string& domain, const std::string& op_type, KernelFactory factory) {
  factories_[{domain, op_type}] = std::move(factory);
}

const KernelFactory* KernelRegistry::Find(const std::string& domain, const std::string& op_type) const {
  // "ai.onnx" is an alias of the default domain.
  const std::string& d = domain == "ai.onnx" ? std::string() : domain;
  auto it = factories_.find({d, op_type});
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::string>> KernelRegistry::Ops() const {
  std::vector<std::pair<std::string, std::string>> ops;
  for (const auto& [key, factory] : factories_) ops.push_back(key);
  return ops;
}

}  // namespace mlserving::kernels

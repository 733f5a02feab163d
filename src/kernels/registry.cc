#include "kernels/registry.h"

namespace mlserving::kernels {

void KernelRegistry::Register(const std::string& domain, const std::string& op_type, KernelFactory factory) {
  KernelFactoryWithConstants with_constants = [factory](const ir::Node& node, const KernelCreateContext&) {
    return factory(node);
  };
  factories_[{domain, op_type}] = Entry{std::move(factory), std::move(with_constants)};
}

void KernelRegistry::RegisterWithConstants(const std::string& domain, const std::string& op_type,
                                           KernelFactoryWithConstants factory) {
  KernelFactory node_only = [factory](const ir::Node& node) { return factory(node, KernelCreateContext{}); };
  factories_[{domain, op_type}] = Entry{std::move(node_only), std::move(factory)};
}

const KernelRegistry::Entry* KernelRegistry::FindEntry(const std::string& domain, const std::string& op_type) const {
  // "ai.onnx" is an alias of the default domain.
  const std::string& d = domain == "ai.onnx" ? std::string() : domain;
  auto it = factories_.find({d, op_type});
  return it == factories_.end() ? nullptr : &it->second;
}

const KernelFactory* KernelRegistry::Find(const std::string& domain, const std::string& op_type) const {
  const Entry* entry = FindEntry(domain, op_type);
  return entry == nullptr ? nullptr : &entry->node_only;
}

const KernelFactoryWithConstants* KernelRegistry::FindWithConstants(const std::string& domain,
                                                                    const std::string& op_type) const {
  const Entry* entry = FindEntry(domain, op_type);
  return entry == nullptr ? nullptr : &entry->with_constants;
}

std::vector<std::pair<std::string, std::string>> KernelRegistry::Ops() const {
  std::vector<std::pair<std::string, std::string>> ops;
  for (const auto& [key, entry] : factories_) ops.push_back(key);
  return ops;
}

}  // namespace mlserving::kernels

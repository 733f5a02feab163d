#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernel.h"

namespace mlserving::kernels {

inline constexpr const char* kOnnxDomain = "";
inline constexpr const char* kOnnxMlDomain = "ai.onnx.ml";

/// Maps (domain, op_type) to the factory that prepares its kernel. Filled explicitly at start-up
/// by the Register*Kernels functions (no static-initialiser self-registration); read-only after.
class KernelRegistry {
 public:
  /// Registers `factory`; a later registration of the same op replaces the earlier one (fast
  /// backends register after the reference one).
  void Register(const std::string& domain, const std::string& op_type, KernelFactory factory);
  const KernelFactory* Find(const std::string& domain, const std::string& op_type) const;
  std::vector<std::pair<std::string, std::string>> Ops() const;

  /// The registry with every backend's kernels, built once. Defined in the engine module
  /// (engine/default_registry.cc) because it includes the control-flow kernels, which run
  /// nested graphs: link mlserving_engine to use it.
  static const KernelRegistry& Default();

 private:
  std::map<std::pair<std::string, std::string>, KernelFactory> factories_;
};

/// The reference kernels: every op of ir/ops.def, straightforward and always correct, except the
/// ones that run subgraphs (If, Loop, Scan, SequenceMap: engine::RegisterControlFlowKernels).
void RegisterReferenceKernels(KernelRegistry& registry);

}  // namespace mlserving::kernels

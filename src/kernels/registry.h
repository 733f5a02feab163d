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
  /// Registers a factory that receives the node's constant inputs (see KernelCreateContext);
  /// replaces an earlier registration of the op like Register().
  void RegisterWithConstants(const std::string& domain, const std::string& op_type, KernelFactoryWithConstants factory);
  /// The node-only form of the op's factory, null when none is registered. For an op registered
  /// with constants it calls that factory with an empty KernelCreateContext.
  const KernelFactory* Find(const std::string& domain, const std::string& op_type) const;
  /// The op's factory taking constant inputs, null when none is registered. For an op registered
  /// node-only it ignores the context. The graph evaluator creates kernels through this form.
  const KernelFactoryWithConstants* FindWithConstants(const std::string& domain, const std::string& op_type) const;
  std::vector<std::pair<std::string, std::string>> Ops() const;

  /// The registry with every backend's kernels, built once. Defined in the engine module
  /// (engine/default_registry.cc) because it includes the control-flow kernels, which run
  /// nested graphs: link mlserving_engine to use it.
  static const KernelRegistry& Default();

 private:
  /// Every op holds both forms of its factory; one of them wraps the other.
  struct Entry {
    KernelFactory node_only;
    KernelFactoryWithConstants with_constants;
  };
  const Entry* FindEntry(const std::string& domain, const std::string& op_type) const;

  std::map<std::pair<std::string, std::string>, Entry> factories_;
};

/// The reference kernels: every op of ir/ops.def, straightforward and always correct, except the
/// ones that run subgraphs (If, Loop, Scan, SequenceMap: engine::RegisterControlFlowKernels).
void RegisterReferenceKernels(KernelRegistry& registry);

/// The oneDNN kernels (kernels/onednn/): fast float32 paths for the compute-heavy ops, each
/// falling back to the kernel registered before it (the reference one) for every dtype and
/// attribute it does not accelerate. Register after RegisterReferenceKernels.
void RegisterOneDnnKernels(KernelRegistry& registry);

}  // namespace mlserving::kernels

// The default kernel registry lives in the engine module rather than in kernels/: it includes
// the control-flow kernels, which run nested GraphEvaluators. Declared in kernels/registry.h.
#include "engine/control_flow_kernels.h"
#include "kernels/registry.h"

namespace mlserving::kernels {

const KernelRegistry& KernelRegistry::Default() {
  // Built in place and never destroyed: the control-flow factories keep its address.
  static const KernelRegistry* const registry = [] {
    auto* r = new KernelRegistry();
    RegisterReferenceKernels(*r);
    RegisterOneDnnKernels(*r);  // after the reference kernels, which it keeps as fallbacks
    engine::RegisterControlFlowKernels(*r);
    return r;
  }();
  return *registry;
}

}  // namespace mlserving::kernels

#include "kernels/reference/families.h"

namespace mlserving::kernels {

void RegisterReferenceKernels(KernelRegistry& registry) {
  reference::RegisterBinaryKernels(registry);
  reference::RegisterUnaryKernels(registry);
  reference::RegisterLinalgKernels(registry);
  reference::RegisterShapeKernels(registry);
  reference::RegisterReduceKernels(registry);
  reference::RegisterMlKernels(registry);
}

}  // namespace mlserving::kernels

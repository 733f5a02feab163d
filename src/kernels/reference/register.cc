#include "kernels/reference/families.h"

namespace mlserving::kernels {

void RegisterReferenceKernels(KernelRegistry& registry) {
  reference::RegisterBinaryKernels(registry);
  reference::RegisterUnaryKernels(registry);
  reference::RegisterLinalgKernels(registry);
  reference::RegisterShapeKernels(registry);
  reference::RegisterReduceKernels(registry);
  reference::RegisterMlKernels(registry);
  reference::RegisterIndexKernels(registry);
  reference::RegisterSelectKernels(registry);
  reference::RegisterLossKernels(registry);
  reference::RegisterQuantizeKernels(registry);
  reference::RegisterStringKernels(registry);
  reference::RegisterMatrixKernels(registry);
  reference::RegisterRandomKernels(registry);
  reference::RegisterSignalKernels(registry);
  reference::RegisterSequenceKernels(registry);
  reference::RegisterRnnKernels(registry);
  reference::RegisterConvKernels(registry);
  reference::RegisterPoolKernels(registry);
  reference::RegisterNormKernels(registry);
  reference::RegisterImageKernels(registry);
  reference::RegisterActivationKernels(registry);
  reference::RegisterFusedKernels(registry);
  reference::RegisterBlockedKernels(registry);
  reference::RegisterAttentionKernels(registry);
}

}  // namespace mlserving::kernels

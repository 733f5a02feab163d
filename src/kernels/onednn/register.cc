#include "kernels/onednn/families.h"

namespace mlserving::kernels {

void RegisterOneDnnKernels(KernelRegistry& registry) {
  onednn::RegisterMatMulKernels(registry);
  onednn::RegisterConvKernels(registry);
  onednn::RegisterPoolKernels(registry);
  onednn::RegisterNormKernels(registry);
  onednn::RegisterEltwiseKernels(registry);
  onednn::RegisterAttentionKernels(registry);
  onednn::RegisterBlockedLayoutKernels(registry);
  onednn::RegisterReduceKernels(registry);
}

}  // namespace mlserving::kernels

#include "kernels/reference/families.h"
#include "kernels/reference/ml_ops.h"

namespace mlserving::kernels::reference {

void RegisterMlKernels(KernelRegistry& registry) {
  RegisterMlTreeEnsembleKernels(registry);
  RegisterMlLinearKernels(registry);
  RegisterMlPreprocessKernels(registry);
  RegisterMlEncoderKernels(registry);
  RegisterMlFeatureKernels(registry);
  RegisterMlZipMapKernels(registry);
  RegisterMlSvmKernels(registry);
}

}  // namespace mlserving::kernels::reference

#include "kernels/reference/families.h"

namespace mlserving::kernels::reference {

void RegisterShapeKernels(KernelRegistry& registry) { (void)registry; }

}  // namespace mlserving::kernels::reference

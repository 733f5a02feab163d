#include "kernels/reference/families.h"

namespace mlserving::kernels::reference {

void RegisterUnaryKernels(KernelRegistry& registry) { (void)registry; }

}  // namespace mlserving::kernels::reference

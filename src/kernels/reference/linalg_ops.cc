#include "kernels/reference/families.h"

namespace mlserving::kernels::reference {

void RegisterLinalgKernels(KernelRegistry& registry) { (void)registry; }

}  // namespace mlserving::kernels::reference

#include "kernels/reference/families.h"

namespace mlserving::kernels::reference {

void RegisterReduceKernels(KernelRegistry& registry) { (void)registry; }

}  // namespace mlserving::kernels::reference

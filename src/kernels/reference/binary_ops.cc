#include "kernels/reference/families.h"

namespace mlserving::kernels::reference {

void RegisterBinaryKernels(KernelRegistry& registry) { (void)registry; }

}  // namespace mlserving::kernels::reference

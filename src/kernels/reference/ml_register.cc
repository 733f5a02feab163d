#include "kernels/reference/families.h"

namespace mlserving::kernels::reference {

void RegisterMlKernels(KernelRegistry& registry) { (void)registry; }

}  // namespace mlserving::kernels::reference

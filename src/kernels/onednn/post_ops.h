#pragma once

// Fused activations (kernels/fused_activation.h) as oneDNN eltwise post-ops, which the
// convolution and matmul primitives apply to each output block while it is still in cache.

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/fused_activation.h"

namespace mlserving::kernels::onednn {

/// DefaultAttr() with `activation` appended as an eltwise post-op (none for kNone).
dnnl::primitive_attr AttrWithActivation(const FusedActivation& activation);

}  // namespace mlserving::kernels::onednn

#include "kernels/onednn/post_ops.h"

#include "kernels/onednn/onednn_util.h"

namespace mlserving::kernels::onednn {

dnnl::primitive_attr AttrWithActivation(const FusedActivation& activation) {
  dnnl::primitive_attr attr = DefaultAttr();
  dnnl::algorithm algorithm = dnnl::algorithm::eltwise_relu;
  float alpha = 0, beta = 0;
  switch (activation.kind) {
    case FusedActivation::Kind::kNone: return attr;
    case FusedActivation::Kind::kRelu: break;
    case FusedActivation::Kind::kLeakyRelu: alpha = activation.alpha; break;
    case FusedActivation::Kind::kClip:
      algorithm = dnnl::algorithm::eltwise_clip;
      alpha = activation.alpha;
      beta = activation.beta;
      break;
    case FusedActivation::Kind::kSigmoid: algorithm = dnnl::algorithm::eltwise_logistic; break;
    case FusedActivation::Kind::kTanh: algorithm = dnnl::algorithm::eltwise_tanh; break;
    case FusedActivation::Kind::kGelu: algorithm = dnnl::algorithm::eltwise_gelu_erf; break;
  }
  dnnl::post_ops post_ops;
  post_ops.append_eltwise(1.0f, algorithm, alpha, beta);
  attr.set_post_ops(post_ops);
  return attr;
}

}  // namespace mlserving::kernels::onednn

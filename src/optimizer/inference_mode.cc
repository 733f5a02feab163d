#include "optimizer/inference_mode.h"

#include "optimizer/graph_util.h"

namespace mlserving::optimizer {

bool IsTrainingDropout(const ir::Graph& graph, const ir::Node& node) {
  if (node.op_type != "Dropout" || !node.domain.empty() || node.inputs.size() < 3) return false;
  if (node.inputs[2] == ir::kNoValue) return false;
  const Tensor* training = ConstantOf(graph, node.inputs[2]);
  return training == nullptr || training->dtype() != DType::kBool || training->num_elements() != 1 ||
         training->data<bool>()[0];
}

}  // namespace mlserving::optimizer

#include "engine/graph_evaluator.h"

#include <set>

namespace mlserving::engine {

Result<std::unique_ptr<GraphEvaluator>> GraphEvaluator::Create(ir::Graph graph,
                                                               const kernels::KernelRegistry& registry) {
  std::unique_ptr<GraphEvaluator> evaluator(new GraphEvaluator());
  std::set<std::string> unsupported;
  std::vector<std::string> invalid;
  for (const ir::Node& node : graph.nodes()) {
    const kernels::KernelFactory* factory = registry.Find(node.domain, node.op_type);
    if (factory == nullptr) {
      unsupported.insert(node.domain.empty() ? node.op_type : node.domain + "." + node.op_type);
      evaluator->kernels_.push_back(nullptr);
      continue;
    }
    Result<std::unique_ptr<kernels::Kernel>> kernel = (*factory)(node);
    if (!kernel.ok()) {
      if (kernel.status().code() == StatusCode::kUnimplemented) {
        unsupported.insert(node.Describe() + ": " + kernel.status().message());
      } else {
        invalid.push_back(node.Describe() + ": " + kernel.status().message());
      }
      evaluator->kernels_.push_back(nullptr);
      continue;
    }
    evaluator->kernels_.push_back(std::move(kernel).value());
  }
  if (!unsupported.empty()) {
    std::string message = "the model uses " + std::to_string(unsupported.size()) + " unsupported operator";
    message += unsupported.size() == 1 ? "" : "s";
    message += ":";
    for (const auto& op : unsupported) message += " " + op + ";";
    message.pop_back();
    return Unimplemented(message);
  }
  if (!invalid.empty()) {
    std::string message = "invalid node";
    for (const auto& m : invalid) message += "; " + m;
    return InvalidArgument(message);
  }

  // Last use of each value: values produced and consumed inside the graph are released after
  // their last consumer; graph outputs and constants are never released.
  const auto& nodes = graph.nodes();
  std::vector<int> last_use(graph.num_values(), -1);
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (ir::ValueId in : nodes[n].inputs) {
      if (in != ir::kNoValue) last_use[static_cast<size_t>(in)] = static_cast<int>(n);
    }
  }
  for (ir::ValueId out : graph.outputs()) last_use[static_cast<size_t>(out)] = -1;
  evaluator->release_after_.resize(nodes.size());
  for (size_t v = 0; v < last_use.size(); ++v) {
    if (last_use[v] >= 0 && !graph.value(static_cast<ir::ValueId>(v)).constant) {
      evaluator->release_after_[static_cast<size_t>(last_use[v])].push_back(static_cast<ir::ValueId>(v));
    }
  }
  evaluator->graph_ = std::move(graph);
  return evaluator;
}

Result<std::vector<Tensor>> GraphEvaluator::Run(const std::vector<Tensor>& inputs,
                                                const EvaluationContext& ctx) const {
  return RunWithScope(inputs, {}, ctx);
}

Result<std::vector<Tensor>> GraphEvaluator::RunWithScope(const std::vector<Tensor>& inputs,
                                                         const std::vector<std::pair<ir::ValueId, Tensor>>& scope,
                                                         const EvaluationContext& ctx) const {
  if (inputs.size() != graph_.inputs().size()) {
    return InvalidArgument("expected " + std::to_string(graph_.inputs().size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  }
  std::vector<Tensor> values(graph_.num_values());
  for (size_t v = 0; v < values.size(); ++v) {
    const ir::Value& value = graph_.value(static_cast<ir::ValueId>(v));
    if (value.constant) values[v] = *value.constant;
  }
  for (const auto& [id, tensor] : scope) values[static_cast<size_t>(id)] = tensor;
  for (size_t i = 0; i < inputs.size(); ++i) values[static_cast<size_t>(graph_.inputs()[i])] = inputs[i];

  const auto& nodes = graph_.nodes();
  kernels::KernelContext kctx;
  kctx.max_tensor_elements = ctx.max_tensor_elements;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (ctx.Expired()) return DeadlineExceeded("the evaluation ran past the request timeout");
    const ir::Node& node = nodes[n];
    kctx.inputs.clear();
    for (ir::ValueId in : node.inputs) {
      const Tensor* t = in == ir::kNoValue ? nullptr : &values[static_cast<size_t>(in)];
      kctx.inputs.push_back(t != nullptr && t->defined() ? t : nullptr);
    }
    kctx.outputs.assign(node.outputs.size(), Tensor());
    Status status = kernels_[n]->Compute(kctx);
    if (!status.ok()) return status.WithContext(node.Describe());
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o] != ir::kNoValue) values[static_cast<size_t>(node.outputs[o])] = std::move(kctx.outputs[o]);
    }
    for (ir::ValueId v : release_after_[n]) values[static_cast<size_t>(v)] = Tensor();
  }
  std::vector<Tensor> outputs;
  outputs.reserve(graph_.outputs().size());
  for (ir::ValueId out : graph_.outputs()) {
    const Tensor& t = values[static_cast<size_t>(out)];
    if (!t.defined()) return Internal("graph output '" + graph_.value(out).name + "' was not computed");
    outputs.push_back(t);
  }
  return outputs;
}

}  // namespace mlserving::engine

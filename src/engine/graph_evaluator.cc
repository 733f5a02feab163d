#include "engine/graph_evaluator.h"

#include <algorithm>
#include <set>

#include "kernels/constant_owner.h"
#include "tensor/buffer_pool.h"

namespace mlserving::engine {
namespace {

/// Empties `value`; a tensor's buffer goes to `pool`, which keeps it when nothing else holds it.
void Release(Value& value, BufferPool& pool) {
  if (const Tensor* t = value.tensor_if()) {
    Tensor tensor = *t;
    value = Value();
    pool.Recycle(std::move(tensor));
  } else {
    value = Value();
  }
}

}  // namespace

/// The mutable state of one run, kept between runs: the value table (constants stay in it, every
/// other slot is empty between runs), the kernel context's vectors, and the buffer pool.
struct GraphEvaluator::RunArena {
  std::vector<Value> values;
  kernels::KernelContext kctx;
  BufferPool buffers;
};

/// Returns the arena to its evaluator when the run ends, whichever way it ends; empties the
/// run's slots first (their buffers go to the pool when nothing else holds them).
struct GraphEvaluator::ArenaLease {
  const GraphEvaluator& owner;
  std::unique_ptr<RunArena> arena;
  /// Constants this run overrode (a graph input or a scope value that is also a constant).
  std::vector<ir::ValueId> overridden_constants = {};

  /// Sets value `id` for this run.
  void Set(ir::ValueId id, Value value) {
    if (owner.graph_.value(id).constant) overridden_constants.push_back(id);
    arena->values[static_cast<size_t>(id)] = std::move(value);
  }

  ~ArenaLease() {
    for (ir::ValueId v : overridden_constants) {
      arena->values[static_cast<size_t>(v)] = *owner.graph_.value(v).constant;
    }
    for (ir::ValueId v : owner.transient_values_) Release(arena->values[static_cast<size_t>(v)], arena->buffers);
    owner.ReturnArena(std::move(arena));
  }
};

GraphEvaluator::~GraphEvaluator() = default;

std::unique_ptr<GraphEvaluator::RunArena> GraphEvaluator::CheckOutArena() const {
  {
    std::lock_guard<std::mutex> lock(arenas_mu_);
    if (!idle_arenas_.empty()) {
      std::unique_ptr<RunArena> arena = std::move(idle_arenas_.back());
      idle_arenas_.pop_back();
      return arena;
    }
  }
  auto arena = std::make_unique<RunArena>();
  arena->values.resize(graph_.num_values());
  for (size_t v = 0; v < arena->values.size(); ++v) {
    const ir::Value& value = graph_.value(static_cast<ir::ValueId>(v));
    if (value.constant && value.constant->defined()) arena->values[v] = *value.constant;
  }
  arena->kctx.buffer_pool = &arena->buffers;
  return arena;
}

GraphEvaluator::PoolStats GraphEvaluator::pool_stats() const {
  std::lock_guard<std::mutex> lock(arenas_mu_);
  PoolStats stats;
  for (const auto& arena : idle_arenas_) {
    stats.reused += arena->buffers.reused();
    stats.fresh += arena->buffers.fresh();
    stats.kept_bytes += arena->buffers.kept_bytes();
  }
  stats.arenas = idle_arenas_.size();
  return stats;
}

GraphEvaluator::ConstantStats GraphEvaluator::constant_stats() const {
  ConstantStats stats;
  for (size_t v = 0; v < graph_.num_values(); ++v) {
    const std::optional<Tensor>& constant = graph_.value(static_cast<ir::ValueId>(v)).constant;
    if (!constant || !constant->defined()) continue;
    ++stats.held;
    stats.held_bytes += constant->byte_size();
  }
  stats.taken_over = taken_over_constants_;
  return stats;
}

void GraphEvaluator::HandOverConstants(ir::Graph& graph) {
  const auto& nodes = graph.nodes();
  const auto is_constant = [&graph](ir::ValueId id) {
    return id != ir::kNoValue && graph.value(id).constant && graph.value(id).constant->defined();
  };
  // keep[v]: something other than a kernel that takes v over may read it.
  std::vector<bool> keep(graph.num_values(), false), read(graph.num_values(), false);
  for (ir::ValueId id : graph.outputs()) keep[static_cast<size_t>(id)] = true;
  for (ir::ValueId id : graph.inputs()) keep[static_cast<size_t>(id)] = true;
  for (const auto& implicit : implicit_inputs_) {
    for (ir::ValueId id : implicit) keep[static_cast<size_t>(id)] = true;
  }
  std::vector<kernels::ConstantInputOwner*> owners(nodes.size(), nullptr);
  std::vector<std::vector<size_t>> offered(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    owners[n] = dynamic_cast<kernels::ConstantInputOwner*>(kernels_[n].get());
    if (owners[n] != nullptr) offered[n] = owners[n]->OwnableConstantInputs();
    for (size_t i = 0; i < nodes[n].inputs.size(); ++i) {
      const ir::ValueId in = nodes[n].inputs[i];
      if (!is_constant(in)) continue;
      read[static_cast<size_t>(in)] = true;
      if (std::find(offered[n].begin(), offered[n].end(), i) == offered[n].end()) keep[static_cast<size_t>(in)] = true;
    }
  }
  for (size_t n = 0; n < nodes.size(); ++n) {
    std::vector<size_t> handed;
    for (size_t i : offered[n]) {
      if (i >= nodes[n].inputs.size()) continue;
      const ir::ValueId in = nodes[n].inputs[i];
      if (is_constant(in) && !keep[static_cast<size_t>(in)]) handed.push_back(i);
    }
    if (!handed.empty()) owners[n]->TakeOverConstantInputs(handed);
  }
  for (size_t v = 0; v < graph.num_values(); ++v) {
    const ir::ValueId id = static_cast<ir::ValueId>(v);
    if (!is_constant(id) || keep[v] || !read[v]) continue;
    // Still a constant (never a transient value), now undefined: its slot in every run's value
    // table stays empty, so its readers receive null.
    graph.value(id).constant = Tensor();
    ++taken_over_constants_;
  }
}

void GraphEvaluator::ReturnArena(std::unique_ptr<RunArena> arena) const {
  std::lock_guard<std::mutex> lock(arenas_mu_);
  if (idle_arenas_.size() < kMaxIdleArenas) idle_arenas_.push_back(std::move(arena));
}

Result<std::unique_ptr<GraphEvaluator>> GraphEvaluator::Create(ir::Graph graph,
                                                               const kernels::KernelRegistry& registry) {
  std::unique_ptr<GraphEvaluator> evaluator(new GraphEvaluator());
  std::set<std::string> unsupported;
  std::vector<std::string> invalid;
  for (const ir::Node& node : graph.nodes()) {
    std::vector<ir::ValueId>& implicit = evaluator->implicit_inputs_.emplace_back();
    for (const std::string& name : ir::ImplicitInputs(node)) {
      std::optional<ir::ValueId> id = graph.FindValue(name);
      if (!id) {
        invalid.push_back(node.Describe() + ": a subgraph reads '" + name + "', which this graph does not define");
        continue;
      }
      implicit.push_back(*id);
    }
    const kernels::KernelFactoryWithConstants* factory = registry.FindWithConstants(node.domain, node.op_type);
    if (factory == nullptr) {
      unsupported.insert(node.domain.empty() ? node.op_type : node.domain + "." + node.op_type);
      evaluator->kernels_.push_back(nullptr);
      continue;
    }
    // Constant inputs let fast kernels pack their weights once, here.
    kernels::KernelCreateContext create;
    for (ir::ValueId in : node.inputs) {
      const Tensor* constant = nullptr;
      if (in != ir::kNoValue && graph.value(in).constant) constant = &*graph.value(in).constant;
      create.constant_inputs.push_back(constant);
    }
    Result<std::unique_ptr<kernels::Kernel>> kernel = (*factory)(node, create);
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
    for (ir::ValueId in : evaluator->implicit_inputs_[n]) last_use[static_cast<size_t>(in)] = static_cast<int>(n);
  }
  for (ir::ValueId out : graph.outputs()) last_use[static_cast<size_t>(out)] = -1;
  evaluator->release_after_.resize(nodes.size());
  for (size_t v = 0; v < last_use.size(); ++v) {
    if (last_use[v] >= 0 && !graph.value(static_cast<ir::ValueId>(v)).constant) {
      evaluator->release_after_[static_cast<size_t>(last_use[v])].push_back(static_cast<ir::ValueId>(v));
    }
  }
  for (size_t v = 0; v < graph.num_values(); ++v) {
    if (!graph.value(static_cast<ir::ValueId>(v)).constant) {
      evaluator->transient_values_.push_back(static_cast<ir::ValueId>(v));
    }
  }
  evaluator->HandOverConstants(graph);
  evaluator->graph_ = std::move(graph);
  return evaluator;
}

Result<std::vector<Tensor>> GraphEvaluator::Run(const std::vector<Tensor>& inputs, const EvaluationContext& ctx) const {
  return RunWithScope(inputs, {}, ctx);
}

Result<std::vector<Tensor>> GraphEvaluator::RunWithScope(const std::vector<Tensor>& inputs,
                                                         const std::vector<std::pair<ir::ValueId, Tensor>>& scope,
                                                         const EvaluationContext& ctx) const {
  std::vector<std::pair<ir::ValueId, Value>> scope_values(scope.begin(), scope.end());
  ASSIGN_OR_RETURN(std::vector<Value> values,
                   RunValues(std::vector<Value>(inputs.begin(), inputs.end()), scope_values, ctx));
  std::vector<Tensor> outputs;
  outputs.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& name = graph_.value(graph_.outputs()[i]).name;
    if (values[i].is_sequence()) {
      return InvalidArgument("graph output '" + name + "' is a sequence; this interface returns tensors only");
    }
    if (values[i].is_none()) {
      return InvalidArgument("graph output '" + name + "' is empty (an optional without a value)");
    }
    outputs.push_back(values[i].tensor());
  }
  return outputs;
}

Result<std::vector<Value>> GraphEvaluator::RunValues(std::vector<Value> inputs,
                                                     const std::vector<std::pair<ir::ValueId, Value>>& scope,
                                                     const EvaluationContext& ctx) const {
  if (inputs.size() != graph_.inputs().size()) {
    return InvalidArgument("expected " + std::to_string(graph_.inputs().size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  }
  ArenaLease lease{*this, CheckOutArena()};
  std::vector<Value>& values = lease.arena->values;
  for (const auto& [id, value] : scope) {
    if (id < 0 || static_cast<size_t>(id) >= values.size()) return Internal("scope value id out of range");
    lease.Set(id, value);
  }
  for (size_t i = 0; i < inputs.size(); ++i) lease.Set(graph_.inputs()[i], std::move(inputs[i]));

  const auto& nodes = graph_.nodes();
  kernels::KernelContext& kctx = lease.arena->kctx;
  kctx.max_tensor_elements = ctx.max_tensor_elements;
  kctx.intra_op_threads = std::max(1, ctx.intra_op_threads);
  kctx.evaluation = &ctx;
  const bool has_deadline = ctx.deadline != std::chrono::steady_clock::time_point::max();
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (has_deadline && ctx.Expired()) return DeadlineExceeded("the evaluation ran past the request timeout");
    const ir::Node& node = nodes[n];
    kctx.inputs.clear();
    kctx.sequence_inputs.clear();
    for (ir::ValueId in : node.inputs) {
      const Value* v = in == ir::kNoValue ? nullptr : &values[static_cast<size_t>(in)];
      kctx.inputs.push_back(v != nullptr ? v->tensor_if() : nullptr);
      kctx.sequence_inputs.push_back(v != nullptr ? v->sequence_if() : nullptr);
    }
    kctx.implicit_inputs.clear();
    for (ir::ValueId in : implicit_inputs_[n]) kctx.implicit_inputs.push_back(&values[static_cast<size_t>(in)]);
    kctx.outputs.assign(node.outputs.size(), Tensor());
    kctx.sequence_outputs.assign(node.outputs.size(), std::nullopt);
    Status status = kernels_[n]->Compute(kctx);
    if (!status.ok()) return status.WithContext(node.Describe());
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o] == ir::kNoValue) continue;
      Value& out = values[static_cast<size_t>(node.outputs[o])];
      if (o < kctx.sequence_outputs.size() && kctx.sequence_outputs[o]) {
        out = std::move(*kctx.sequence_outputs[o]);
      } else {
        out = o < kctx.outputs.size() ? std::move(kctx.outputs[o]) : Tensor();
      }
    }
    for (ir::ValueId v : release_after_[n]) Release(values[static_cast<size_t>(v)], lease.arena->buffers);
  }
  std::vector<Value> outputs;
  outputs.reserve(graph_.outputs().size());
  for (ir::ValueId out : graph_.outputs()) outputs.push_back(values[static_cast<size_t>(out)]);
  return outputs;
}

}  // namespace mlserving::engine

#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"
#include "kernels/registry.h"
#include "runtime/evaluator.h"
#include "tensor/value.h"

namespace mlserving::engine {

/// Runs an ir::Graph with prepared kernels.
///
/// Create() prepares every node once (attribute validation, weight preparation) and reports
/// every op without a kernel in one error. Run() is const and thread-safe: each call works in its
/// own RunArena (a value table with one Value per graph value — a tensor, a sequence, or none —
/// and a BufferPool), checked out of the evaluator for the call and returned after it, so
/// concurrent calls never share one and later calls reuse its buffers and vectors.
///
/// Memory planning: each intermediate value is released after its last consumer ran; its buffer
/// goes to the run's BufferPool when nothing else holds it (tensor/buffer_pool.h), and kernels
/// allocating through KernelContext::Allocate take their outputs from there. At most
/// kMaxIdleArenas arenas are kept between calls, each bounded by BufferPool::kDefaultMaxBytes.
///
/// Constant ownership: a kernel may hold some constant inputs itself (packed weights,
/// kernels/constant_owner.h). Create() hands a constant over to its readers when every reader
/// offers to take it and nothing else can read it (a graph output, a subgraph's outer-scope
/// read, a graph input with a default), then drops the graph's tensor; those readers receive
/// null for it at run time. Otherwise the graph keeps the constant and passes it as usual.
///
/// A node whose subgraphs read values of this graph (ir::ImplicitInputs) counts as a consumer of
/// them and receives them as KernelContext::implicit_inputs.
class GraphEvaluator {
 public:
  /// Arenas kept for later calls (one per concurrent call is created as needed).
  static constexpr size_t kMaxIdleArenas = 8;

  ~GraphEvaluator();
  static Result<std::unique_ptr<GraphEvaluator>> Create(ir::Graph graph, const kernels::KernelRegistry& registry);

  /// `inputs` are the graph inputs in graph order (undefined tensors for omitted optional
  /// ones); returns the graph outputs in graph order. For graphs whose outputs are tensors: an
  /// output that is a sequence or none fails with kInvalidArgument (use RunValues()).
  Result<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs, const EvaluationContext& ctx) const;
  /// Like Run(), with extra named values visible to the graph (a subgraph reading outer scope).
  Result<std::vector<Tensor>> RunWithScope(const std::vector<Tensor>& inputs,
                                           const std::vector<std::pair<ir::ValueId, Tensor>>& scope,
                                           const EvaluationContext& ctx) const;
  /// The general form: inputs, scope values and outputs may be tensors, sequences or none
  /// (omitted inputs, empty optionals). `scope` sets values of this graph that its enclosing
  /// graphs define (a subgraph's outer-scope reads); inputs are applied after it.
  Result<std::vector<Value>> RunValues(std::vector<Value> inputs,
                                       const std::vector<std::pair<ir::ValueId, Value>>& scope,
                                       const EvaluationContext& ctx) const;

  const ir::Graph& graph() const { return graph_; }

  /// Memory-planner counters, summed over the arenas kept between calls (calls in flight hold
  /// theirs): allocations served from a released buffer, fresh allocations, bytes kept.
  struct PoolStats {
    int64_t reused = 0;
    int64_t fresh = 0;
    size_t kept_bytes = 0;
    size_t arenas = 0;
  };
  PoolStats pool_stats() const;

  /// The graph's constants: those it holds (count, bytes) and those it released because the
  /// kernels reading them hold them in their own form (kernels/constant_owner.h).
  struct ConstantStats {
    size_t held = 0;
    size_t held_bytes = 0;
    size_t taken_over = 0;
  };
  ConstantStats constant_stats() const;

 private:
  struct RunArena;
  /// Returns `arena` to the idle list on destruction (or frees it when the list is full).
  struct ArenaLease;

  GraphEvaluator() = default;
  std::unique_ptr<RunArena> CheckOutArena() const;
  void ReturnArena(std::unique_ptr<RunArena> arena) const;
  /// Hands constants over to the kernels that offer to hold them (see the class comment) and
  /// releases them from `graph`. Needs kernels_ and implicit_inputs_.
  void HandOverConstants(ir::Graph& graph);

  ir::Graph graph_;
  std::vector<std::unique_ptr<kernels::Kernel>> kernels_;  ///< one per node, in node order
  /// For each node, the values of this graph its subgraphs read, in ir::ImplicitInputs order.
  std::vector<std::vector<ir::ValueId>> implicit_inputs_;
  /// For each node, the values whose last reader it is (freed once it ran).
  std::vector<std::vector<ir::ValueId>> release_after_;
  /// The values that are not constants (reset at the end of every run).
  std::vector<ir::ValueId> transient_values_;
  /// Constants released from graph_ (left as undefined tensors) because their readers hold them.
  size_t taken_over_constants_ = 0;

  mutable std::mutex arenas_mu_;
  mutable std::vector<std::unique_ptr<RunArena>> idle_arenas_;
};

}  // namespace mlserving::engine

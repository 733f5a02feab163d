// Kernels that run subgraphs: If, Loop, Scan (opset 8 and 9+), SequenceMap.
//
// Each factory prepares a nested GraphEvaluator per subgraph attribute once; Compute() runs it
// with the node's inputs and the enclosing-graph values the subgraph reads (handed over by the
// engine as KernelContext::implicit_inputs). Loops check the caller's deadline and the
// EvaluationContext::max_loop_iterations bound on every iteration.
#include "engine/control_flow_kernels.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/graph_evaluator.h"
#include "kernels/reference/axis_util.h"
#include "kernels/reference/kernel_util.h"
#include "runtime/evaluator.h"

namespace mlserving::engine {
namespace {

using kernels::Kernel;
using kernels::KernelContext;
using kernels::KernelRegistry;
using kernels::reference::ConcatAlongAxis;
using kernels::reference::NormalizeAxis;
using kernels::reference::RequiredInput;
using kernels::reference::SliceAlongAxis;

using Scope = std::vector<std::pair<ir::ValueId, Value>>;

/// The context nested graphs run under: the caller's, or (outside an engine run) a default one
/// with the kernel's element limit.
class NestedContext {
 public:
  explicit NestedContext(const KernelContext& ctx) {
    fallback_.max_tensor_elements = ctx.max_tensor_elements;
    ctx_ = ctx.evaluation != nullptr ? ctx.evaluation : &fallback_;
  }
  NestedContext(const NestedContext&) = delete;
  NestedContext& operator=(const NestedContext&) = delete;
  const EvaluationContext& get() const { return *ctx_; }

 private:
  EvaluationContext fallback_;
  const EvaluationContext* ctx_;
};

/// One graph attribute of a node, prepared for repeated runs.
class Subgraph {
 public:
  static Result<Subgraph> Prepare(const ir::Node& node, const std::string& attribute, const KernelRegistry& registry) {
    const ir::Attribute* a = node.Find(attribute);
    if (a == nullptr || a->kind != ir::Attribute::Kind::kGraph || a->g == nullptr) {
      return InvalidArgument(node.op_type + " needs the graph attribute '" + attribute + "'");
    }
    Subgraph sub;
    const std::vector<std::string> implicit = ir::ImplicitInputs(node);
    const std::vector<std::string> reads = ir::OuterScopeReads(*a->g);
    for (size_t k = 0; k < implicit.size(); ++k) {
      if (!std::binary_search(reads.begin(), reads.end(), implicit[k])) continue;
      std::optional<ir::ValueId> id = a->g->FindValue(implicit[k]);
      if (id) sub.scope_.emplace_back(k, *id);
    }
    Result<std::unique_ptr<GraphEvaluator>> evaluator = GraphEvaluator::Create(*a->g, registry);
    if (!evaluator.ok()) return evaluator.status().WithContext("subgraph '" + attribute + "'");
    sub.evaluator_ = std::move(evaluator).value();
    return sub;
  }

  size_t num_inputs() const { return evaluator_->graph().inputs().size(); }
  size_t num_outputs() const { return evaluator_->graph().outputs().size(); }
  const ir::ValueType& output_type(size_t i) const {
    return evaluator_->graph().value(evaluator_->graph().outputs()[i]).type;
  }

  /// The outer-scope values this subgraph reads, taken from the kernel's implicit inputs; built
  /// once per Compute() and reused for every iteration.
  Scope ScopeOf(const KernelContext& ctx) const {
    Scope scope;
    for (const auto& [k, id] : scope_) {
      if (k < ctx.implicit_inputs.size() && ctx.implicit_inputs[k] != nullptr) {
        scope.emplace_back(id, *ctx.implicit_inputs[k]);
      }
    }
    return scope;
  }

  Result<std::vector<Value>> Run(std::vector<Value> inputs, const Scope& scope, const EvaluationContext& ctx) const {
    return evaluator_->RunValues(std::move(inputs), scope, ctx);
  }

 private:
  std::unique_ptr<GraphEvaluator> evaluator_;
  /// (index into KernelContext::implicit_inputs, the same value's id in the subgraph).
  std::vector<std::pair<size_t, ir::ValueId>> scope_;
};

/// A scalar-like tensor (one element) as bool; `what` names it in errors.
Result<bool> ReadBool(const Tensor& t, const std::string& what) {
  if (t.num_elements() != 1) return InvalidArgument(what + " must hold one element, got " + t.DebugString());
  if (t.dtype() == DType::kString) return InvalidArgument(what + " must be a bool, got " + t.DebugString());
  return DispatchDType(t.dtype(), [&](auto tag) -> bool {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, std::string>) {
      return false;
    } else {
      return kernels::reference::ConvertNumber<bool>(t.data<T>()[0]);
    }
  });
}

Tensor BoolScalar(bool value) { return Tensor::FromBools({}, {value}); }

Status CheckDeadline(const EvaluationContext& ctx) {
  if (ctx.Expired()) return DeadlineExceeded("the evaluation ran past the request timeout");
  return Status::Ok();
}

/// The tensor a scan output with no iterations is: [0] inserted at `axis` into the body's
/// declared output shape when fully known, else [0].
Result<Tensor> EmptyScanOutput(const KernelContext& ctx, const ir::ValueType& type, int64_t axis) {
  Shape shape;
  bool known = type.has_shape;
  for (int64_t d : type.shape) known = known && d >= 0;
  if (known) shape = type.shape;
  const int64_t rank = static_cast<int64_t>(shape.size()) + 1;
  if (axis < 0) axis += rank;
  axis = std::clamp<int64_t>(axis, 0, rank - 1);
  shape.insert(shape.begin() + axis, 0);
  return ctx.Allocate(type.has_dtype ? type.dtype : DType::kFloat32, shape);
}

/// Stacks the per-iteration tensors of one scan output along a new `axis` (negative counts
/// from the end of the output rank).
Result<Tensor> StackScanOutput(const KernelContext& ctx, const std::vector<Tensor>& parts, const ir::ValueType& type,
                               int64_t axis) {
  if (parts.empty()) return EmptyScanOutput(ctx, type, axis);
  ASSIGN_OR_RETURN(int64_t normalized, NormalizeAxis(axis, parts.front().rank() + 1));
  return ConcatAlongAxis(ctx, parts, normalized, /*new_axis=*/true);
}

/// The body output `index` as a tensor; `what` names it in errors.
Result<Tensor> TensorOutput(const Value& value, const std::string& what) {
  if (!value.is_tensor()) return InvalidArgument(what + " must be a tensor, got " + value.DebugString());
  return value.tensor();
}

// ---- If

class IfKernel : public Kernel {
 public:
  IfKernel(Subgraph then_branch, Subgraph else_branch) : then_(std::move(then_branch)), else_(std::move(else_branch)) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* cond_tensor, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(bool cond, ReadBool(*cond_tensor, "the condition"));
    const Subgraph& branch = cond ? then_ : else_;
    NestedContext nested(ctx);
    ASSIGN_OR_RETURN(std::vector<Value> outputs, branch.Run({}, branch.ScopeOf(ctx), nested.get()));
    for (size_t o = 0; o < outputs.size(); ++o) ctx.SetOutputValue(o, outputs[o]);
    return Status::Ok();
  }

 private:
  Subgraph then_;
  Subgraph else_;
};

Result<std::unique_ptr<Kernel>> MakeIf(const ir::Node& node, const KernelRegistry& registry) {
  ASSIGN_OR_RETURN(Subgraph then_branch, Subgraph::Prepare(node, "then_branch", registry));
  ASSIGN_OR_RETURN(Subgraph else_branch, Subgraph::Prepare(node, "else_branch", registry));
  for (const Subgraph* branch : {&then_branch, &else_branch}) {
    if (branch->num_inputs() != 0) return InvalidArgument("If branches take no inputs");
    if (branch->num_outputs() != node.outputs.size()) {
      return InvalidArgument("the If node has " + std::to_string(node.outputs.size()) + " outputs but a branch has " +
                             std::to_string(branch->num_outputs()));
    }
  }
  return std::unique_ptr<Kernel>(std::make_unique<IfKernel>(std::move(then_branch), std::move(else_branch)));
}

// ---- Loop

class LoopKernel : public Kernel {
 public:
  LoopKernel(Subgraph body, size_t num_carried, size_t num_scan)
      : body_(std::move(body)), num_carried_(num_carried), num_scan_(num_scan) {}

  Status Compute(KernelContext& ctx) const override {
    NestedContext nested(ctx);
    const EvaluationContext& ectx = nested.get();
    bool has_trip_count = false;
    int64_t trip_count = 0;
    if (const Tensor* m = ctx.input(0)) {
      if (m->num_elements() != 1 || (m->dtype() != DType::kInt64 && m->dtype() != DType::kInt32)) {
        return InvalidArgument("the trip count M must be one int64, got " + m->DebugString());
      }
      ASSIGN_OR_RETURN(std::vector<int64_t> values, kernels::reference::ReadInt64s(*m, "M"));
      has_trip_count = true;
      trip_count = values[0];
    }
    bool cond = true;
    if (const Tensor* c = ctx.input(1)) {
      ASSIGN_OR_RETURN(cond, ReadBool(*c, "the loop condition"));
    }
    std::vector<Value> carried;
    carried.reserve(num_carried_);
    for (size_t i = 0; i < num_carried_; ++i) carried.push_back(ctx.input_value(2 + i));

    const Scope scope = body_.ScopeOf(ctx);
    std::vector<std::vector<Tensor>> scans(num_scan_);
    int64_t scan_elements = 0;
    for (int64_t i = 0; (!has_trip_count || i < trip_count) && cond; ++i) {
      if (i >= ectx.max_loop_iterations) {
        return ResourceExhausted("the Loop ran more than " + std::to_string(ectx.max_loop_iterations) +
                                 " iterations (the limit for one Loop)");
      }
      RETURN_IF_ERROR(CheckDeadline(ectx));
      std::vector<Value> inputs;
      inputs.reserve(2 + num_carried_);
      inputs.emplace_back(Tensor::Scalar<int64_t>(i));
      inputs.emplace_back(BoolScalar(cond));
      for (Value& v : carried) inputs.push_back(std::move(v));
      Result<std::vector<Value>> outputs = body_.Run(std::move(inputs), scope, ectx);
      if (!outputs.ok()) return outputs.status().WithContext("iteration " + std::to_string(i));
      ASSIGN_OR_RETURN(Tensor cond_out, TensorOutput((*outputs)[0], "the body's condition output"));
      ASSIGN_OR_RETURN(cond, ReadBool(cond_out, "the body's condition output"));
      for (size_t c = 0; c < num_carried_; ++c) carried[c] = std::move((*outputs)[1 + c]);
      for (size_t k = 0; k < num_scan_; ++k) {
        ASSIGN_OR_RETURN(Tensor t, TensorOutput((*outputs)[1 + num_carried_ + k], "scan output " + std::to_string(k)));
        scan_elements += t.num_elements();
        if (scan_elements > ctx.max_tensor_elements) {
          return ResourceExhausted("the Loop's scan outputs exceed " + std::to_string(ctx.max_tensor_elements) +
                                   " elements");
        }
        scans[k].push_back(std::move(t));
      }
    }
    for (size_t c = 0; c < num_carried_; ++c) ctx.SetOutputValue(c, carried[c]);
    for (size_t k = 0; k < num_scan_; ++k) {
      ASSIGN_OR_RETURN(Tensor stacked, StackScanOutput(ctx, scans[k], body_.output_type(1 + num_carried_ + k), 0));
      ctx.SetOutputValue(num_carried_ + k, std::move(stacked));
    }
    return Status::Ok();
  }

 private:
  Subgraph body_;
  size_t num_carried_;
  size_t num_scan_;
};

Result<std::unique_ptr<Kernel>> MakeLoop(const ir::Node& node, const KernelRegistry& registry) {
  if (node.inputs.size() < 2) return InvalidArgument("Loop takes the inputs M, cond and the loop-carried values");
  ASSIGN_OR_RETURN(Subgraph body, Subgraph::Prepare(node, "body", registry));
  const size_t num_carried = node.inputs.size() - 2;
  if (node.outputs.size() < num_carried) {
    return InvalidArgument("Loop has fewer outputs than loop-carried values");
  }
  const size_t num_scan = node.outputs.size() - num_carried;
  if (body.num_inputs() != 2 + num_carried || body.num_outputs() != 1 + num_carried + num_scan) {
    return InvalidArgument("the Loop body must take 2 + " + std::to_string(num_carried) + " inputs and return 1 + " +
                           std::to_string(num_carried) + " + " + std::to_string(num_scan) + " outputs");
  }
  return std::unique_ptr<Kernel>(std::make_unique<LoopKernel>(std::move(body), num_carried, num_scan));
}

// ---- Scan

/// How one Scan node iterates; shared by the opset 8 (batched) and 9+ forms.
struct ScanSpec {
  size_t num_states = 0;
  size_t num_scan_inputs = 0;
  size_t num_scan_outputs = 0;
  std::vector<int64_t> input_axes;      ///< one per scan input (may be negative)
  std::vector<int64_t> input_reverse;   ///< one per scan input: 1 = last to first
  std::vector<int64_t> output_axes;     ///< one per scan output (may be negative)
  std::vector<int64_t> output_reverse;  ///< one per scan output
};

class ScanKernel : public Kernel {
 public:
  ScanKernel(Subgraph body, ScanSpec spec, bool batched)
      : body_(std::move(body)), spec_(std::move(spec)), batched_(batched) {}

  Status Compute(KernelContext& ctx) const override {
    NestedContext nested(ctx);
    const Scope scope = body_.ScopeOf(ctx);
    const size_t first = batched_ ? 1 : 0;  // opset 8 has sequence_lens first
    std::vector<Tensor> states;
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < spec_.num_states + spec_.num_scan_inputs; ++i) {
      ASSIGN_OR_RETURN(const Tensor* t, RequiredInput(ctx, first + i));
      (i < spec_.num_states ? states : inputs).push_back(*t);
    }
    std::vector<Tensor> outputs;
    if (batched_) {
      ASSIGN_OR_RETURN(outputs, RunBatched(ctx, states, inputs, scope, nested.get()));
    } else {
      ASSIGN_OR_RETURN(outputs, RunOne(ctx, states, inputs, spec_.input_axes, -1, scope, nested.get()));
    }
    for (size_t o = 0; o < outputs.size(); ++o) ctx.SetOutputValue(o, std::move(outputs[o]));
    return Status::Ok();
  }

 private:
  /// Scans `inputs` along `axes`; `length` < 0 means the whole (common) length. Returns the final
  /// states followed by the stacked scan outputs.
  Result<std::vector<Tensor>> RunOne(const KernelContext& ctx, std::vector<Tensor> states,
                                     const std::vector<Tensor>& inputs, const std::vector<int64_t>& axes,
                                     int64_t length, const Scope& scope, const EvaluationContext& ectx) const {
    std::vector<int64_t> norm_axes(inputs.size());
    int64_t common = -1;
    for (size_t j = 0; j < inputs.size(); ++j) {
      ASSIGN_OR_RETURN(norm_axes[j], NormalizeAxis(axes[j], inputs[j].rank()));
      const int64_t dim = inputs[j].dim(norm_axes[j]);
      if (common >= 0 && dim != common) {
        return InvalidArgument("scan inputs have different sequence lengths (" + std::to_string(common) + " and " +
                               std::to_string(dim) + ")");
      }
      common = dim;
    }
    if (length < 0) length = std::max<int64_t>(common, 0);
    if (length > common && common >= 0) return InvalidArgument("a sequence length exceeds the scanned dim");
    std::vector<std::vector<Tensor>> scans(spec_.num_scan_outputs);
    int64_t scan_elements = 0;
    for (int64_t t = 0; t < length; ++t) {
      RETURN_IF_ERROR(CheckDeadline(ectx));
      std::vector<Value> body_inputs;
      body_inputs.reserve(states.size() + inputs.size());
      for (Tensor& s : states) body_inputs.emplace_back(std::move(s));
      for (size_t j = 0; j < inputs.size(); ++j) {
        const int64_t index = spec_.input_reverse[j] ? length - 1 - t : t;
        ASSIGN_OR_RETURN(Tensor slice, SliceAlongAxis(ctx, inputs[j], norm_axes[j], index, 1, false));
        body_inputs.emplace_back(std::move(slice));
      }
      Result<std::vector<Value>> outputs = body_.Run(std::move(body_inputs), scope, ectx);
      if (!outputs.ok()) return outputs.status().WithContext("iteration " + std::to_string(t));
      for (size_t s = 0; s < states.size(); ++s) {
        ASSIGN_OR_RETURN(states[s], TensorOutput((*outputs)[s], "state output " + std::to_string(s)));
      }
      for (size_t k = 0; k < spec_.num_scan_outputs; ++k) {
        ASSIGN_OR_RETURN(Tensor out, TensorOutput((*outputs)[states.size() + k], "scan output " + std::to_string(k)));
        scan_elements += out.num_elements();
        if (scan_elements > ctx.max_tensor_elements) {
          return ResourceExhausted("the Scan outputs exceed " + std::to_string(ctx.max_tensor_elements) + " elements");
        }
        scans[k].push_back(std::move(out));
      }
    }
    std::vector<Tensor> results = std::move(states);
    for (size_t k = 0; k < spec_.num_scan_outputs; ++k) {
      if (spec_.output_reverse[k]) std::reverse(scans[k].begin(), scans[k].end());
      ASSIGN_OR_RETURN(Tensor stacked,
                       StackScanOutput(ctx, scans[k], body_.output_type(spec_.num_states + k), spec_.output_axes[k]));
      results.push_back(std::move(stacked));
    }
    return results;
  }

  /// Opset 8: every state and scan input has a leading batch dim; scan inputs are scanned along
  /// dim 1, each batch entry for its sequence_lens[b] steps, scan outputs padded with zeros.
  Result<std::vector<Tensor>> RunBatched(const KernelContext& ctx, const std::vector<Tensor>& states,
                                         const std::vector<Tensor>& inputs, const Scope& scope,
                                         const EvaluationContext& ectx) const {
    int64_t batch = -1;
    int64_t max_length = 0;
    for (const Tensor* t : {states.empty() ? nullptr : &states[0], inputs.empty() ? nullptr : &inputs[0]}) {
      if (t != nullptr && t->rank() >= 1) batch = t->dim(0);
    }
    for (const Tensor& t : inputs) {
      if (t.rank() < 2 || t.dim(0) != batch) return InvalidArgument("Scan-8 inputs need a common batch dim");
      max_length = t.dim(1);
    }
    for (const Tensor& t : states) {
      if (t.rank() < 1 || t.dim(0) != batch) return InvalidArgument("Scan-8 states need a common batch dim");
    }
    if (batch < 0) return InvalidArgument("Scan-8 needs a batch dim");
    std::vector<int64_t> lengths(static_cast<size_t>(batch), max_length);
    if (const Tensor* lens = ctx.input(0)) {
      ASSIGN_OR_RETURN(lengths, kernels::reference::ReadInt64s(*lens, "sequence_lens"));
      if (static_cast<int64_t>(lengths.size()) != batch) {
        return InvalidArgument("sequence_lens needs one entry per batch");
      }
      for (int64_t l : lengths) {
        if (l < 0 || l > max_length) {
          return InvalidArgument("sequence_lens entry " + std::to_string(l) + " is out of range");
        }
      }
    }
    const std::vector<int64_t> axes(inputs.size(), 0);
    std::vector<std::vector<Tensor>> per_output(spec_.num_states + spec_.num_scan_outputs);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Tensor> states_b;
      std::vector<Tensor> inputs_b;
      for (const Tensor& s : states) {
        ASSIGN_OR_RETURN(Tensor slice, SliceAlongAxis(ctx, s, 0, b, 1, false));
        states_b.push_back(std::move(slice));
      }
      for (const Tensor& x : inputs) {
        ASSIGN_OR_RETURN(Tensor slice, SliceAlongAxis(ctx, x, 0, b, 1, false));
        inputs_b.push_back(std::move(slice));
      }
      const int64_t length = lengths[static_cast<size_t>(b)];
      ASSIGN_OR_RETURN(std::vector<Tensor> results,
                       RunOne(ctx, std::move(states_b), inputs_b, axes, length, scope, ectx));
      for (size_t k = 0; k < spec_.num_scan_outputs; ++k) {
        Tensor& out = results[spec_.num_states + k];
        if (length < max_length && out.rank() >= 1) {
          Shape pad_shape = out.shape();
          pad_shape[0] = max_length - length;
          ASSIGN_OR_RETURN(Tensor pad, ctx.Allocate(out.dtype(), pad_shape));
          ASSIGN_OR_RETURN(out, ConcatAlongAxis(ctx, {out, pad}, 0, false));
        }
      }
      for (size_t o = 0; o < results.size(); ++o) per_output[o].push_back(std::move(results[o]));
    }
    std::vector<Tensor> outputs;
    for (size_t o = 0; o < per_output.size(); ++o) {
      ASSIGN_OR_RETURN(Tensor stacked, StackScanOutput(ctx, per_output[o], body_.output_type(o), 0));
      outputs.push_back(std::move(stacked));
    }
    return outputs;
  }

  Subgraph body_;
  ScanSpec spec_;
  bool batched_;
};

/// `values` when given (checked to have `n` entries), else `n` copies of `fallback`.
Result<std::vector<int64_t>> PerEntry(const ir::Node& node, const std::string& key, size_t n, int64_t fallback) {
  if (!node.Has(key)) return std::vector<int64_t>(n, fallback);
  std::vector<int64_t> values = node.GetInts(key);
  if (values.size() != n) {
    return InvalidArgument("Scan attribute '" + key + "' needs " + std::to_string(n) + " entries, got " +
                           std::to_string(values.size()));
  }
  return values;
}

Result<std::unique_ptr<Kernel>> MakeScan(const ir::Node& node, const KernelRegistry& registry) {
  if (!node.Has("num_scan_inputs")) return InvalidArgument("Scan needs the attribute 'num_scan_inputs'");
  const bool batched = node.opset > 0 && node.opset < 9;
  const int64_t m = node.GetInt("num_scan_inputs", 0);
  const size_t first = batched ? 1 : 0;
  if (m < 1 || node.inputs.size() < first + static_cast<size_t>(m)) {
    return InvalidArgument("Scan has fewer inputs than num_scan_inputs");
  }
  ScanSpec spec;
  spec.num_scan_inputs = static_cast<size_t>(m);
  spec.num_states = node.inputs.size() - first - spec.num_scan_inputs;
  if (node.outputs.size() < spec.num_states) return InvalidArgument("Scan has fewer outputs than states");
  spec.num_scan_outputs = node.outputs.size() - spec.num_states;
  ASSIGN_OR_RETURN(Subgraph body, Subgraph::Prepare(node, "body", registry));
  if (body.num_inputs() != spec.num_states + spec.num_scan_inputs ||
      body.num_outputs() != spec.num_states + spec.num_scan_outputs) {
    return InvalidArgument("the Scan body's inputs and outputs do not match the node's states and scan values");
  }
  if (batched) {
    ASSIGN_OR_RETURN(spec.input_reverse, PerEntry(node, "directions", spec.num_scan_inputs, 0));
    spec.input_axes.assign(spec.num_scan_inputs, 0);
    spec.output_axes.assign(spec.num_scan_outputs, 0);
    spec.output_reverse.assign(spec.num_scan_outputs, 0);
  } else {
    ASSIGN_OR_RETURN(spec.input_axes, PerEntry(node, "scan_input_axes", spec.num_scan_inputs, 0));
    ASSIGN_OR_RETURN(spec.input_reverse, PerEntry(node, "scan_input_directions", spec.num_scan_inputs, 0));
    ASSIGN_OR_RETURN(spec.output_axes, PerEntry(node, "scan_output_axes", spec.num_scan_outputs, 0));
    ASSIGN_OR_RETURN(spec.output_reverse, PerEntry(node, "scan_output_directions", spec.num_scan_outputs, 0));
  }
  return std::unique_ptr<Kernel>(std::make_unique<ScanKernel>(std::move(body), std::move(spec), batched));
}

// ---- SequenceMap

class SequenceMapKernel : public Kernel {
 public:
  explicit SequenceMapKernel(Subgraph body) : body_(std::move(body)) {}

  Status Compute(KernelContext& ctx) const override {
    const TensorSequence* sequence = ctx.sequence_input(0);
    if (sequence == nullptr) return InvalidArgument("input 0 of SequenceMap must be a sequence");
    const size_t n = sequence->size();
    for (size_t j = 1; j < ctx.num_inputs(); ++j) {
      const TensorSequence* s = ctx.sequence_input(j);
      if (s != nullptr && s->size() != n) {
        return InvalidArgument("sequence input " + std::to_string(j) + " has " + std::to_string(s->size()) +
                               " elements, input 0 has " + std::to_string(n));
      }
    }
    NestedContext nested(ctx);
    const Scope scope = body_.ScopeOf(ctx);
    std::vector<TensorSequence> results(body_.num_outputs());
    for (size_t k = 0; k < results.size(); ++k) {
      const ir::ValueType& type = body_.output_type(k);
      results[k].dtype = type.has_dtype ? type.dtype : DType::kFloat32;
    }
    for (size_t i = 0; i < n; ++i) {
      RETURN_IF_ERROR(CheckDeadline(nested.get()));
      std::vector<Value> inputs;
      inputs.emplace_back(sequence->tensors[i]);
      for (size_t j = 1; j < ctx.num_inputs(); ++j) {
        const TensorSequence* s = ctx.sequence_input(j);
        inputs.push_back(s != nullptr ? Value(s->tensors[i]) : ctx.input_value(j));
      }
      Result<std::vector<Value>> outputs = body_.Run(std::move(inputs), scope, nested.get());
      if (!outputs.ok()) return outputs.status().WithContext("element " + std::to_string(i));
      for (size_t k = 0; k < results.size(); ++k) {
        ASSIGN_OR_RETURN(Tensor t, TensorOutput((*outputs)[k], "body output " + std::to_string(k)));
        if (i == 0) results[k].dtype = t.dtype();
        if (t.dtype() != results[k].dtype) return InvalidArgument("body output " + std::to_string(k) + " changes type");
        results[k].tensors.push_back(std::move(t));
      }
    }
    for (size_t k = 0; k < results.size(); ++k) ctx.SetSequenceOutput(k, std::move(results[k]));
    return Status::Ok();
  }

 private:
  Subgraph body_;
};

Result<std::unique_ptr<Kernel>> MakeSequenceMap(const ir::Node& node, const KernelRegistry& registry) {
  if (node.inputs.empty()) return InvalidArgument("SequenceMap needs an input sequence");
  ASSIGN_OR_RETURN(Subgraph body, Subgraph::Prepare(node, "body", registry));
  if (body.num_inputs() != node.inputs.size() || body.num_outputs() != node.outputs.size()) {
    return InvalidArgument(
        "the SequenceMap body must take one input per node input and return one output per node "
        "output");
  }
  return std::unique_ptr<Kernel>(std::make_unique<SequenceMapKernel>(std::move(body)));
}

}  // namespace

void RegisterControlFlowKernels(KernelRegistry& registry) {
  const KernelRegistry* self = &registry;
  registry.Register(kernels::kOnnxDomain, "If", [self](const ir::Node& node) { return MakeIf(node, *self); });
  registry.Register(kernels::kOnnxDomain, "Loop", [self](const ir::Node& node) { return MakeLoop(node, *self); });
  registry.Register(kernels::kOnnxDomain, "Scan", [self](const ir::Node& node) { return MakeScan(node, *self); });
  registry.Register(kernels::kOnnxDomain, "SequenceMap",
                    [self](const ir::Node& node) { return MakeSequenceMap(node, *self); });
}

}  // namespace mlserving::engine

// Sequence and optional ops: SequenceEmpty SequenceConstruct SequenceAt SequenceInsert SequenceErase
// SequenceLength ConcatFromSequence SplitToSequence Optional OptionalHasElement OptionalGetElement,
// and Identity over sequences and optionals. SequenceMap runs a subgraph and lives in the engine
// (engine/control_flow_kernels.cc).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/reference/axis_util.h"
#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

Result<const TensorSequence*> RequiredSequence(const KernelContext& ctx, size_t i) {
  const TensorSequence* s = ctx.sequence_input(i);
  if (s == nullptr) return InvalidArgument("input " + std::to_string(i) + " must be a sequence");
  return s;
}

/// Reads a position input (a scalar int32/int64) and maps it into [0, size) — or [0, size] when
/// `allow_end` (an insertion point). Negative positions count from the back.
Result<size_t> ReadPosition(const Tensor& position, size_t size, bool allow_end) {
  if (position.num_elements() != 1) {
    return InvalidArgument("the position must be a scalar, got " + position.DebugString());
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> values, ReadInt64s(position, "position"));
  const auto n = static_cast<int64_t>(size);
  int64_t p = values[0];
  if (p < -n || p > (allow_end ? n : n - 1)) {
    return InvalidArgument("position " + std::to_string(p) + " is out of range for a sequence of " +
                           std::to_string(size) + " elements");
  }
  if (p < 0) p += n;
  return static_cast<size_t>(p);
}

void RegisterSequenceEmpty(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "SequenceEmpty", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    std::optional<DType> dtype = DTypeFromOnnxCode(node.GetInt("dtype", 1));
    if (!dtype) return Unimplemented("SequenceEmpty dtype " + std::to_string(node.GetInt("dtype", 1)));
    return MakeKernel([dtype = *dtype](KernelContext& ctx) -> Status {
      ctx.SetSequenceOutput(0, TensorSequence{dtype, {}});
      return Status::Ok();
    });
  });
}

void RegisterSequenceConstruct(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "SequenceConstruct", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      if (ctx.num_inputs() == 0) return InvalidArgument("SequenceConstruct needs at least one input");
      TensorSequence sequence;
      for (size_t i = 0; i < ctx.num_inputs(); ++i) {
        ASSIGN_OR_RETURN(const Tensor* t, RequiredInput(ctx, i));
        if (i == 0) sequence.dtype = t->dtype();
        if (t->dtype() != sequence.dtype) {
          return InvalidArgument("SequenceConstruct inputs must share one element type: input " + std::to_string(i) +
                                 " is " + t->DebugString());
        }
        sequence.tensors.push_back(*t);
      }
      ctx.SetSequenceOutput(0, std::move(sequence));
      return Status::Ok();
    });
  });
}

void RegisterSequenceAt(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "SequenceAt", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const TensorSequence* sequence, RequiredSequence(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* position, RequiredInput(ctx, 1));
      ASSIGN_OR_RETURN(size_t p, ReadPosition(*position, sequence->size(), false));
      SetOutput(ctx, 0, sequence->tensors[p]);
      return Status::Ok();
    });
  });
}

void RegisterSequenceInsert(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "SequenceInsert", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const TensorSequence* sequence, RequiredSequence(ctx, 0));
      ASSIGN_OR_RETURN(const Tensor* tensor, RequiredInput(ctx, 1));
      if (tensor->dtype() != sequence->dtype) {
        return InvalidArgument("cannot insert a " + tensor->DebugString() + " into a sequence of " +
                               std::string(DTypeName(sequence->dtype)));
      }
      size_t p = sequence->size();
      if (const Tensor* position = ctx.input(2)) {
        ASSIGN_OR_RETURN(p, ReadPosition(*position, sequence->size(), true));
      }
      TensorSequence out = *sequence;
      out.tensors.insert(out.tensors.begin() + static_cast<std::ptrdiff_t>(p), *tensor);
      ctx.SetSequenceOutput(0, std::move(out));
      return Status::Ok();
    });
  });
}

void RegisterSequenceErase(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "SequenceErase", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const TensorSequence* sequence, RequiredSequence(ctx, 0));
      if (sequence->size() == 0) return InvalidArgument("cannot erase from an empty sequence");
      size_t p = sequence->size() - 1;
      if (const Tensor* position = ctx.input(1)) {
        ASSIGN_OR_RETURN(p, ReadPosition(*position, sequence->size(), false));
      }
      TensorSequence out = *sequence;
      out.tensors.erase(out.tensors.begin() + static_cast<std::ptrdiff_t>(p));
      ctx.SetSequenceOutput(0, std::move(out));
      return Status::Ok();
    });
  });
}

void RegisterSequenceLength(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "SequenceLength", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const TensorSequence* sequence, RequiredSequence(ctx, 0));
      SetOutput(ctx, 0, Tensor::Scalar<int64_t>(static_cast<int64_t>(sequence->size())));
      return Status::Ok();
    });
  });
}

void RegisterConcatFromSequence(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "ConcatFromSequence", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    if (!node.Has("axis")) return InvalidArgument("ConcatFromSequence needs the attribute 'axis'");
    const int64_t axis = node.GetInt("axis", 0);
    const bool new_axis = node.GetInt("new_axis", 0) != 0;
    return MakeKernel([axis, new_axis](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const TensorSequence* sequence, RequiredSequence(ctx, 0));
      if (sequence->size() == 0) return InvalidArgument("ConcatFromSequence of an empty sequence");
      const int64_t rank = sequence->tensors[0].rank();
      ASSIGN_OR_RETURN(int64_t normalized, NormalizeAxis(axis, new_axis ? rank + 1 : rank));
      ASSIGN_OR_RETURN(Tensor out, ConcatAlongAxis(ctx, sequence->tensors, normalized, new_axis));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  });
}

void RegisterSplitToSequence(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "SplitToSequence", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const int64_t axis = node.GetInt("axis", 0);
    const bool keepdims = node.GetInt("keepdims", 1) != 0;
    return MakeKernel([axis, keepdims](KernelContext& ctx) -> Status {
      ASSIGN_OR_RETURN(const Tensor* input, RequiredInput(ctx, 0));
      ASSIGN_OR_RETURN(int64_t a, NormalizeAxis(axis, input->rank()));
      const int64_t dim = input->dim(a);
      std::vector<int64_t> lengths;
      bool drop_axis = false;
      if (const Tensor* split = ctx.input(1)) {
        ASSIGN_OR_RETURN(lengths, ReadInt64s(*split, "split"));
        if (split->rank() == 0) {
          const int64_t chunk = lengths[0];
          if (chunk <= 0) return InvalidArgument("the split size must be positive, got " + std::to_string(chunk));
          lengths.clear();
          for (int64_t begin = 0; begin < dim; begin += chunk) lengths.push_back(std::min(chunk, dim - begin));
        } else {
          int64_t total = 0;
          for (int64_t l : lengths) {
            if (l < 0) return InvalidArgument("split lengths must not be negative");
            total += l;
          }
          if (total != dim) {
            return InvalidArgument("split lengths sum to " + std::to_string(total) + ", the axis has " +
                                   std::to_string(dim));
          }
        }
      } else {
        lengths.assign(static_cast<size_t>(dim), 1);
        drop_axis = !keepdims;
      }
      TensorSequence out{input->dtype(), {}};
      int64_t begin = 0;
      for (int64_t length : lengths) {
        ASSIGN_OR_RETURN(Tensor part, SliceAlongAxis(ctx, *input, a, begin, length, !drop_axis));
        out.tensors.push_back(std::move(part));
        begin += length;
      }
      ctx.SetSequenceOutput(0, std::move(out));
      return Status::Ok();
    });
  });
}

void RegisterOptionalOps(KernelRegistry& registry) {
  // Optional(x) is x itself (an optional that holds an element is carried as the element);
  // Optional() with only the 'type' attribute is none.
  registry.Register(kOnnxDomain, "Optional", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      ctx.SetOutputValue(0, ctx.input_value(0));
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "OptionalHasElement", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      SetOutput(ctx, 0, Tensor::FromBools({}, {!ctx.input_value(0).is_none()}));
      return Status::Ok();
    });
  });
  registry.Register(kOnnxDomain, "OptionalGetElement", [](const ir::Node&) -> Result<std::unique_ptr<Kernel>> {
    return MakeKernel([](KernelContext& ctx) -> Status {
      Value value = ctx.input_value(0);
      if (value.is_none()) return InvalidArgument("OptionalGetElement of an empty optional");
      ctx.SetOutputValue(0, value);
      return Status::Ok();
    });
  });
}

/// Identity over sequences and optionals (ai.onnx 14+ and 16+); tensors go to the Identity kernel
/// registered before this one, so its behaviour for tensors is unchanged.
void RegisterIdentityOverSequences(KernelRegistry& registry) {
  const KernelFactory* tensor_factory = registry.Find(kOnnxDomain, "Identity");
  if (tensor_factory == nullptr) return;
  registry.Register(kOnnxDomain, "Identity",
                    [tensor_factory = *tensor_factory](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
                      ASSIGN_OR_RETURN(std::shared_ptr<const Kernel> tensor_kernel, tensor_factory(node));
                      return MakeKernel([tensor_kernel](KernelContext& ctx) -> Status {
                        if (ctx.input(0) != nullptr) return tensor_kernel->Compute(ctx);
                        ctx.SetOutputValue(0, ctx.input_value(0));
                        return Status::Ok();
                      });
                    });
}

}  // namespace

void RegisterSequenceKernels(KernelRegistry& registry) {
  RegisterSequenceEmpty(registry);
  RegisterSequenceConstruct(registry);
  RegisterSequenceAt(registry);
  RegisterSequenceInsert(registry);
  RegisterSequenceErase(registry);
  RegisterSequenceLength(registry);
  RegisterConcatFromSequence(registry);
  RegisterSplitToSequence(registry);
  RegisterOptionalOps(registry);
  RegisterIdentityOverSequences(registry);
}

}  // namespace mlserving::kernels::reference

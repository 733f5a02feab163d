// FeatureVectorizer, ArrayFeatureExtractor and DictVectorizer (ai.onnx.ml): assembling and selecting feature
// columns.

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/reference/ml_common.h"
#include "kernels/reference/ml_ops.h"
#include "runtime/signature.h"  // kMissingInt64: how missing integers are carried

namespace mlserving::kernels::reference {
namespace {

/// Concatenates its inputs, in order, into one float tensor [N, sum(inputdimensions)]. Input i is
/// read as [N, Ci] (a 1-D input [Ci] as one row; higher ranks flatten after the first axis) and
/// fills inputdimensions[i] columns: extra columns are dropped, missing ones are zero, as in
/// onnxruntime. All inputs must agree on N.
class FeatureVectorizerKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<FeatureVectorizerKernel>();
    kernel->dimensions_ = node.GetInts("inputdimensions");
    if (kernel->dimensions_.size() != node.inputs.size()) {
      return InvalidArgument("inputdimensions has " + std::to_string(kernel->dimensions_.size()) + " entries for " +
                             std::to_string(node.inputs.size()) + " inputs");
    }
    for (int64_t d : kernel->dimensions_) {
      if (d < 0 || d > INT32_MAX) return InvalidArgument("inputdimensions holds an invalid size " + std::to_string(d));
      kernel->total_ += d;
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    if (ctx.num_inputs() != dimensions_.size()) {
      return InvalidArgument("expected " + std::to_string(dimensions_.size()) + " inputs, got " +
                             std::to_string(ctx.num_inputs()));
    }
    int64_t rows = -1;
    for (size_t i = 0; i < dimensions_.size(); ++i) {
      ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, i));
      const int64_t input_rows = input->rank() <= 1 ? 1 : input->dim(0);
      if (rows >= 0 && input_rows != rows) {
        return InvalidArgument("input " + std::to_string(i) + " " + input->DebugString() + " has " +
                               std::to_string(input_rows) + " rows, input 0 has " + std::to_string(rows));
      }
      rows = input_rows;
    }
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kFloat32, {rows, total_}));
    float* out = output.data<float>();
    int64_t offset = 0;
    std::vector<float> values;
    for (size_t i = 0; i < dimensions_.size(); ++i) {
      const Tensor& input = *ctx.inputs[i];
      RETURN_IF_ERROR(ml::ConvertToVector(input, values));
      const int64_t cols = rows == 0 ? 0 : input.num_elements() / rows;
      const int64_t copied = std::min(cols, dimensions_[i]);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < copied; ++c) out[r * total_ + offset + c] = values[static_cast<size_t>(r * cols + c)];
      }
      offset += dimensions_[i];
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

 private:
  std::vector<int64_t> dimensions_;
  int64_t total_ = 0;
};

/// Selects the elements at the int64 (or int32) indices Y along the last axis of X: output
/// X.shape[:-1] + [len(Y)] (a 1-D X gives [1, len(Y)]) of X's type. Indices outside [0, last dim)
/// fail with kInvalidArgument.
class ArrayFeatureExtractorKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node&) {
    return std::unique_ptr<Kernel>(std::make_unique<ArrayFeatureExtractorKernel>());
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* data, ml::RequireInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* indices_tensor, ml::RequireInput(ctx, 1));
    if (data->rank() == 0) return InvalidArgument("X must have at least one axis, got " + data->DebugString());
    if (indices_tensor->dtype() != DType::kInt64 && indices_tensor->dtype() != DType::kInt32) {
      return InvalidArgument("the indices must be int64 or int32, got " + indices_tensor->DebugString());
    }
    std::vector<int64_t> indices;
    RETURN_IF_ERROR(ml::ConvertToVector(*indices_tensor, indices));
    const int64_t stride = data->dim(data->rank() - 1);
    for (size_t i = 0; i < indices.size(); ++i) {
      if (indices[i] < 0 || indices[i] >= stride) {
        return InvalidArgument("index " + std::to_string(indices[i]) + " (Y[" + std::to_string(i) +
                               "]) is out of range [0, " + std::to_string(stride) + ")");
      }
    }
    Shape shape = data->shape();
    if (shape.size() == 1) shape.insert(shape.begin(), 1);
    shape.back() = static_cast<int64_t>(indices.size());
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(data->dtype(), shape));
    const int64_t rows = stride == 0 ? 0 : data->num_elements() / stride;
    DispatchDType(data->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = data->data<T>();
      T* out = output.data<T>();
      for (int64_t r = 0; r < rows; ++r) {
        for (size_t k = 0; k < indices.size(); ++k) {
          out[static_cast<size_t>(r) * indices.size() + k] = in[r * stride + indices[k]];
        }
      }
    });
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }
};

/// DictVectorizer over a densified map. The runtime carries an ONNX map<key, value> graph input
/// as a [rows, V] tensor with one column per vocabulary entry, in vocabulary order, missing
/// values where a map lacks the key (see TensorSpec::map; the ONNX loader lowers map inputs
/// so). The op then only turns missing values into the zeros (empty strings) DictVectorizer
/// gives absent keys; a [V] tensor is one map. Input and output share the map's value type.
class DictVectorizerKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<DictVectorizerKernel>();
    const size_t strings = node.GetStrings("string_vocabulary").size();
    const size_t ints = node.GetInts("int64_vocabulary").size();
    if ((strings == 0) == (ints == 0)) {
      return InvalidArgument("exactly one of string_vocabulary and int64_vocabulary must be given");
    }
    kernel->vocabulary_size_ = static_cast<int64_t>(strings + ints);
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    if (input->rank() < 1 || input->rank() > 2 || input->dim(input->rank() - 1) != vocabulary_size_) {
      return InvalidArgument("expected the map as a [rows, " + std::to_string(vocabulary_size_) +
                             "] tensor (one column per vocabulary entry), got " + input->DebugString());
    }
    const int64_t rows = input->rank() == 2 ? input->dim(0) : 1;
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(input->dtype(), {rows, vocabulary_size_}));
    const int64_t count = rows * vocabulary_size_;
    DispatchDType(input->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = input->data<T>();
      T* out = output.data<T>();
      for (int64_t i = 0; i < count; ++i) {
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          out[i] = std::isnan(in[i]) ? T(0) : in[i];
        } else if constexpr (std::is_same_v<T, int64_t>) {
          out[i] = in[i] == kMissingInt64 ? 0 : in[i];
        } else {
          out[i] = in[i];
        }
      }
    });
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

 private:
  int64_t vocabulary_size_ = 0;
};

}  // namespace

void RegisterMlFeatureKernels(KernelRegistry& registry) {
  registry.Register(kOnnxMlDomain, "FeatureVectorizer", FeatureVectorizerKernel::Create);
  registry.Register(kOnnxMlDomain, "ArrayFeatureExtractor", ArrayFeatureExtractorKernel::Create);
  registry.Register(kOnnxMlDomain, "DictVectorizer", DictVectorizerKernel::Create);
}

}  // namespace mlserving::kernels::reference

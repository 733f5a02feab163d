// LinearClassifier and LinearRegressor (ai.onnx.ml): scores = X * coefficients^T + intercepts in
// float, followed by the post-transform, with onnxruntime's conventions for the special cases.

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernels/reference/ml_common.h"
#include "kernels/reference/ml_ops.h"

namespace mlserving::kernels::reference {
namespace {

using ml::PostTransform;

/// Coefficients [outputs, features] and intercepts [outputs] of a linear model. The feature count
/// is coefficients / outputs and must match the input at run time.
struct LinearModel {
  std::vector<float> coefficients;
  std::vector<float> intercepts;  ///< empty: all zero
  int64_t num_outputs = 0;
  int64_t num_features = 0;

  static Result<LinearModel> Create(const ir::Node& node, int64_t num_outputs) {
    LinearModel model;
    model.coefficients = node.GetFloats("coefficients");
    model.intercepts = node.GetFloats("intercepts");
    model.num_outputs = num_outputs;
    if (num_outputs < 1) return InvalidArgument("the model has no outputs");
    const auto size = static_cast<int64_t>(model.coefficients.size());
    if (size == 0 || size % num_outputs != 0) {
      return InvalidArgument("coefficients has " + std::to_string(size) + " elements, not a positive multiple of " +
                             std::to_string(num_outputs) + " outputs");
    }
    if (!model.intercepts.empty() && static_cast<int64_t>(model.intercepts.size()) != num_outputs) {
      return InvalidArgument("intercepts has " + std::to_string(model.intercepts.size()) + " elements for " +
                             std::to_string(num_outputs) + " outputs");
    }
    model.num_features = size / num_outputs;
    return model;
  }

  /// Computes the raw scores, a float tensor [rows, num_outputs] allocated through `ctx`, of
  /// `input` ([N, F] or [F], any numeric type).
  Result<Tensor> Scores(const Tensor& input, const KernelContext& ctx) const {
    ASSIGN_OR_RETURN(ml::MatrixShape shape, ml::AsMatrix(input));
    if (shape.cols != num_features) {
      return InvalidArgument("the model has " + std::to_string(num_features) + " features but the input " +
                             input.DebugString() + " has " + std::to_string(shape.cols));
    }
    ASSIGN_OR_RETURN(Tensor scores, ctx.Allocate(DType::kFloat32, {shape.rows, num_outputs}));
    std::vector<float> x;
    RETURN_IF_ERROR(ml::ConvertToVector(input, x));
    float* out = scores.data<float>();
    for (int64_t r = 0; r < shape.rows; ++r) {
      const float* row = x.data() + r * num_features;
      for (int64_t o = 0; o < num_outputs; ++o) {
        const float* weights = coefficients.data() + o * num_features;
        float sum = intercepts.empty() ? 0.0f : intercepts[static_cast<size_t>(o)];
        for (int64_t f = 0; f < num_features; ++f) sum += row[f] * weights[f];
        out[r * num_outputs + o] = sum;
      }
    }
    return scores;
  }
};

class LinearClassifierKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<LinearClassifierKernel>();
    kernel->int_labels_ = node.GetInts("classlabels_ints");
    kernel->string_labels_ = node.GetStrings("classlabels_strings");
    if (kernel->int_labels_.empty() == kernel->string_labels_.empty()) {
      return InvalidArgument("exactly one of classlabels_ints and classlabels_strings must be given");
    }
    const size_t num_labels =
        kernel->string_labels_.empty() ? kernel->int_labels_.size() : kernel->string_labels_.size();
    const size_t num_score_sets = node.GetFloats("intercepts").size();
    if (num_score_sets == 0) return InvalidArgument("intercepts must not be empty (it sets the number of classes)");
    ASSIGN_OR_RETURN(kernel->model_, LinearModel::Create(node, static_cast<int64_t>(num_score_sets)));
    ASSIGN_OR_RETURN(kernel->post_transform_, ml::ParsePostTransform(node));
    kernel->binary_ = num_score_sets == 1;
    if (kernel->binary_ && num_labels != 2) {
      return InvalidArgument("a single set of coefficients needs exactly 2 class labels, got " +
                             std::to_string(num_labels));
    }
    if (!kernel->binary_ && num_labels != num_score_sets) {
      return InvalidArgument(std::to_string(num_score_sets) + " sets of coefficients but " +
                             std::to_string(num_labels) + " class labels");
    }
    if (kernel->binary_ && kernel->post_transform_ == PostTransform::kProbit) {
      return Unimplemented("post_transform PROBIT on a binary classifier with a single set of coefficients");
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  /// Labels [N] and scores [N, C]. With one set of coefficients (binary) the score s picks the
  /// second label when s > 0 and the scores are [1 - s, s], [1 - logistic(s), logistic(s)] under
  /// LOGISTIC (SOFTMAX variants leave them as is, as onnxruntime does). Otherwise the label is the
  /// first highest raw score and the post-transform applies to each row.
  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    ASSIGN_OR_RETURN(Tensor raw, model_.Scores(*input, ctx));
    const int64_t rows = raw.dim(0);
    const int64_t num_classes = binary_ ? 2 : model_.num_outputs;
    ASSIGN_OR_RETURN(Tensor labels, ctx.Allocate(string_labels_.empty() ? DType::kInt64 : DType::kString, {rows}));
    Tensor scores = raw;
    if (binary_) {
      ASSIGN_OR_RETURN(scores, ctx.Allocate(DType::kFloat32, {rows, 2}));
    }
    const float* raw_data = raw.data<float>();
    float* out = scores.data<float>();
    for (int64_t r = 0; r < rows; ++r) {
      size_t label = 0;
      float* out_row = out + r * num_classes;
      if (binary_) {
        const float s = raw_data[r];
        label = s > 0 ? 1 : 0;
        const float positive = post_transform_ == PostTransform::kLogistic ? ml::Logistic(s) : s;
        out_row[0] = 1.0f - positive;
        out_row[1] = positive;
      } else {
        // `scores` shares `raw`'s buffer: pick the label before transforming the row in place.
        for (int64_t c = 1; c < num_classes; ++c) {
          if (out_row[c] > out_row[label]) label = static_cast<size_t>(c);
        }
        ml::ApplyPostTransform(post_transform_, std::span<float>(out_row, static_cast<size_t>(num_classes)));
      }
      if (string_labels_.empty()) {
        labels.data<int64_t>()[r] = int_labels_[label];
      } else {
        labels.data<std::string>()[r] = string_labels_[label];
      }
    }
    ml::SetOutput(ctx, 0, std::move(labels));
    ml::SetOutput(ctx, 1, std::move(scores));
    return Status::Ok();
  }

 private:
  std::vector<int64_t> int_labels_;
  std::vector<std::string> string_labels_;
  LinearModel model_;
  PostTransform post_transform_ = PostTransform::kNone;
  bool binary_ = false;
};

class LinearRegressorKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<LinearRegressorKernel>();
    const int64_t targets = node.GetInt("targets", 1);
    if (targets < 1) return InvalidArgument("targets must be positive, got " + std::to_string(targets));
    ASSIGN_OR_RETURN(kernel->model_, LinearModel::Create(node, targets));
    ASSIGN_OR_RETURN(kernel->post_transform_, ml::ParsePostTransform(node));
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  /// Output [N, targets]. With one target only PROBIT applies (onnxruntime ignores the other
  /// post-transforms there); with several the post-transform applies to each row.
  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    ASSIGN_OR_RETURN(Tensor output, model_.Scores(*input, ctx));
    const int64_t targets = model_.num_outputs;
    float* out = output.data<float>();
    for (int64_t r = 0; r < output.dim(0); ++r) {
      std::span<float> row(out + r * targets, static_cast<size_t>(targets));
      if (targets > 1 || post_transform_ == PostTransform::kProbit) ml::ApplyPostTransform(post_transform_, row);
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

 private:
  LinearModel model_;
  PostTransform post_transform_ = PostTransform::kNone;
};

}  // namespace

void RegisterMlLinearKernels(KernelRegistry& registry) {
  registry.Register(kOnnxMlDomain, "LinearClassifier", LinearClassifierKernel::Create);
  registry.Register(kOnnxMlDomain, "LinearRegressor", LinearRegressorKernel::Create);
}

}  // namespace mlserving::kernels::reference

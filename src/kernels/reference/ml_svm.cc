// SVMClassifier and SVMRegressor (ai.onnx.ml), with the conventions of onnxruntime, whose outputs
// the converters (skl2onnx) are validated against: the shape of the scores, the binary special
// cases, the one-vs-one votes that pick the label, and libsvm's pairwise-coupling probabilities.
//
// Both ops have two modes. With support vectors ("SVC" mode) a row x is first mapped to the kernel
// values K(x, sv) of every support vector, which the coefficients then combine. Without them
// ("linear" mode) the coefficients are per-class weight vectors dotted with x directly.

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernels/reference/ml_common.h"
#include "kernels/reference/ml_ops.h"

namespace mlserving::kernels::reference {
namespace {

using ml::PostTransform;

/// `kernel_type` with `kernel_params` = [gamma, coef0, degree]: LINEAR x.v, POLY
/// (gamma x.v + coef0)^degree, RBF exp(-gamma |x - v|^2), SIGMOID tanh(gamma x.v + coef0).
struct SvmKernelFunction {
  enum class Type { kLinear, kPoly, kRbf, kSigmoid };
  Type type = Type::kLinear;
  float gamma = 0;
  float coef0 = 0;
  float degree = 0;

  static Result<SvmKernelFunction> Parse(const ir::Node& node) {
    SvmKernelFunction function;
    const std::string name = node.GetString("kernel_type", "LINEAR");
    if (name == "LINEAR") {
      function.type = Type::kLinear;
    } else if (name == "POLY") {
      function.type = Type::kPoly;
    } else if (name == "RBF") {
      function.type = Type::kRbf;
    } else if (name == "SIGMOID") {
      function.type = Type::kSigmoid;
    } else {
      return InvalidArgument("unknown kernel_type '" + name + "' (expected LINEAR, POLY, RBF or SIGMOID)");
    }
    const std::vector<float> params = node.GetFloats("kernel_params");
    if (!params.empty()) {
      if (params.size() != 3) {
        return InvalidArgument("kernel_params has " + std::to_string(params.size()) +
                               " elements, expected 3 (gamma, coef0, degree)");
      }
      function.gamma = params[0];
      function.coef0 = params[1];
      function.degree = params[2];
    }
    return function;
  }

  /// K(x, v) over `n` features, in float as onnxruntime computes it: RBF sums the squared
  /// differences in order; the dot products (a GEMM there) are fused multiply-adds in feature
  /// order, as its x86-64 GEMM kernels do, which makes LINEAR and POLY bit-identical in practice.
  float operator()(const float* x, const float* v, int64_t n) const {
    if (type == Type::kRbf) {
      float sum = 0;
      for (int64_t f = 0; f < n; ++f) {
        const float d = x[f] - v[f];
        sum += d * d;
      }
      return std::exp(-gamma * sum);
    }
    float dot = 0;
    for (int64_t f = 0; f < n; ++f) dot = std::fma(x[f], v[f], dot);
    if (type == Type::kLinear) return dot;
    const float base = std::fma(gamma, dot, coef0);
    if (type == Type::kSigmoid) return std::tanh(base);
    if (degree == 2) return base * base;
    if (degree == 3) return base * base * base;
    return std::pow(base, degree);
  }
};

/// Reads the input as a float matrix [rows, num_features] into `x`; kInvalidArgument when the
/// feature count differs or the input is not numeric.
Result<int64_t> ReadFeatures(const Tensor& input, int64_t num_features, std::vector<float>& x) {
  ASSIGN_OR_RETURN(ml::MatrixShape shape, ml::AsMatrix(input));
  if (shape.cols != num_features) {
    return InvalidArgument("the model has " + std::to_string(num_features) + " features but the input " +
                           input.DebugString() + " has " + std::to_string(shape.cols));
  }
  RETURN_IF_ERROR(ml::ConvertToVector(input, x));
  return shape.rows;
}

/// Pairwise coupling of Wu, Lin and Weng (libsvm's multiclass_probability) in float, with
/// onnxruntime's stopping rule: `r[i * k + j]` is the estimated P(class i | class i or j);
/// writes the k class probabilities to `p`.
void MulticlassProbability(size_t k, const std::vector<float>& r, std::span<float> p) {
  std::vector<float> q(k * k, 0.0f);
  std::vector<float> qp(k, 0.0f);
  const float eps = 0.005f / static_cast<float>(k);
  for (size_t i = 0; i < k; ++i) {
    p[i] = 1.0f / static_cast<float>(k);
    for (size_t j = 0; j < i; ++j) {
      q[i * k + i] += r[j * k + i] * r[j * k + i];
      q[i * k + j] = q[j * k + i];
    }
    for (size_t j = i + 1; j < k; ++j) {
      q[i * k + i] += r[j * k + i] * r[j * k + i];
      q[i * k + j] = -r[j * k + i] * r[i * k + j];
    }
  }
  for (int iteration = 0; iteration < 100; ++iteration) {
    float pqp = 0;
    for (size_t i = 0; i < k; ++i) {
      qp[i] = 0;
      for (size_t j = 0; j < k; ++j) qp[i] += q[i * k + j] * p[j];
      pqp += p[i] * qp[i];
    }
    float max_error = 0;
    for (size_t i = 0; i < k; ++i) max_error = std::max(max_error, std::fabs(qp[i] - pqp));
    if (max_error < eps) break;
    for (size_t i = 0; i < k; ++i) {
      const float diff = (-qp[i] + pqp) / q[i * k + i];
      p[i] += diff;
      pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff);
      for (size_t j = 0; j < k; ++j) {
        qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

/// The support vectors [num_vectors, num_features] of SVC mode; num_vectors == 0 in linear mode.
Status ReadSupportVectors(const ir::Node& node, int64_t num_vectors, std::vector<float>& vectors,
                          int64_t& num_features) {
  vectors = node.GetFloats("support_vectors");
  const auto size = static_cast<int64_t>(vectors.size());
  if (num_vectors == 0) {
    if (size != 0) return InvalidArgument("support_vectors is given but the model declares no support vectors");
    return Status::Ok();
  }
  if (size == 0 || size % num_vectors != 0) {
    return InvalidArgument("support_vectors has " + std::to_string(size) + " elements, not a positive multiple of " +
                           std::to_string(num_vectors) + " support vectors");
  }
  num_features = size / num_vectors;
  return Status::Ok();
}

class SvmClassifierKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<SvmClassifierKernel>();
    SvmClassifierKernel& k = *kernel;
    k.int_labels_ = node.GetInts("classlabels_ints");
    k.string_labels_ = node.GetStrings("classlabels_strings");
    if (k.int_labels_.empty() == k.string_labels_.empty()) {
      return InvalidArgument("exactly one of classlabels_ints and classlabels_strings must be given");
    }
    k.num_classes_ = k.string_labels_.empty() ? k.int_labels_.size() : k.string_labels_.size();
    ASSIGN_OR_RETURN(k.kernel_, SvmKernelFunction::Parse(node));
    ASSIGN_OR_RETURN(k.post_transform_, ml::ParsePostTransform(node));
    k.coefficients_ = node.GetFloats("coefficients");
    k.rho_ = node.GetFloats("rho");
    k.prob_a_ = node.GetFloats("prob_a");
    k.prob_b_ = node.GetFloats("prob_b");
    if (k.coefficients_.empty()) return InvalidArgument("coefficients must not be empty");
    RETURN_IF_ERROR(ml::CheckSameLength(k.prob_a_.size(), "prob_a", k.prob_b_.size(), "prob_b"));

    // Support vectors per class; their total decides the mode.
    const std::vector<int64_t> vectors_per_class = node.GetInts("vectors_per_class");
    const size_t max_vectors = node.GetFloats("support_vectors").size();
    int64_t num_vectors = 0;
    for (int64_t count : vectors_per_class) {
      if (count < 0 || static_cast<uint64_t>(count) > max_vectors) {
        return InvalidArgument("vectors_per_class holds " + std::to_string(count) +
                               ", beyond the support vectors given");
      }
      k.first_vector_.push_back(num_vectors);
      num_vectors += count;
    }
    k.vectors_per_class_ = vectors_per_class;
    k.num_vectors_ = num_vectors;
    RETURN_IF_ERROR(ReadSupportVectors(node, num_vectors, k.support_vectors_, k.num_features_));
    const size_t num_pairs = k.num_classes_ * (k.num_classes_ - 1) / 2;
    if (num_vectors > 0) {
      if (k.num_classes_ < 2) return InvalidArgument("an SVM with support vectors needs at least 2 classes");
      RETURN_IF_ERROR(
          ml::CheckSameLength(k.num_classes_, "the class labels", vectors_per_class.size(), "vectors_per_class"));
      RETURN_IF_ERROR(ml::CheckSameLength((k.num_classes_ - 1) * static_cast<size_t>(num_vectors),
                                          "(classes - 1) * support vectors", k.coefficients_.size(), "coefficients"));
      RETURN_IF_ERROR(ml::CheckSameLength(num_pairs, "the class pairs", k.rho_.size(), "rho"));
      if (!k.prob_a_.empty()) {
        RETURN_IF_ERROR(ml::CheckSameLength(num_pairs, "the class pairs", k.prob_a_.size(), "prob_a"));
      }
      if (k.num_classes_ == 2 && k.prob_a_.empty() && k.post_transform_ == PostTransform::kProbit) {
        // onnxruntime transforms the one decision value and leaves the second score unwritten.
        return Unimplemented("post_transform PROBIT on a binary SVMClassifier without probabilities");
      }
    } else {
      // Linear mode: one weight vector per class, sharing rho[0] as intercept (onnxruntime's linear SVM).
      const size_t size = k.coefficients_.size();
      if (size % k.num_classes_ != 0) {
        return InvalidArgument("coefficients has " + std::to_string(size) + " elements, not a multiple of " +
                               std::to_string(k.num_classes_) + " classes");
      }
      k.num_features_ = static_cast<int64_t>(size / k.num_classes_);
      k.kernel_.type = SvmKernelFunction::Type::kLinear;
      RETURN_IF_ERROR(ml::CheckSameLength(1, "a linear SVM's intercept", k.rho_.size(), "rho"));
    }
    k.weights_all_positive_ =
        std::all_of(k.coefficients_.begin(), k.coefficients_.end(), [](float w) { return w >= 0; });
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  /// Labels [N] and scores [N, S]:
  /// - linear mode: S = classes, the scores x.w_c + rho[0]; the label is the first highest score
  ///   (for 2 classes without prob_a, the second label whenever that score is > 0 with mixed-sign
  ///   weights, or >= 0.5 with non-negative weights, as onnxruntime decides).
  /// - SVC mode: each class pair (i, j), i < j, in order, has decision value d_ij, a vote for i
  ///   when d_ij > 0 and for j otherwise; the label is the first class with the most votes.
  ///   With prob_a/prob_b, S = classes: Platt probabilities 1 - logistic(A d + B), clipped to
  ///   [1e-7, 1 - 1e-7], coupled into class probabilities. Without, S = class pairs holding d_ij for
  ///   more than 2 classes, and for 2 classes S = 2 holding [-d, d] (post_transform NONE),
  ///   [logistic(-d), logistic(d)] (LOGISTIC) or [1 - d, d] (SOFTMAX, SOFTMAX_ZERO), as
  ///   onnxruntime 1.32 writes them.
  /// The post-transform then applies to each row of more than one score.
  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    std::vector<float> x;
    ASSIGN_OR_RETURN(const int64_t rows, ReadFeatures(*input, num_features_, x));
    const bool svc = num_vectors_ > 0;
    const bool have_proba = !prob_a_.empty();
    const size_t num_pairs = num_classes_ * (num_classes_ - 1) / 2;
    size_t num_scores = num_classes_;
    if (svc && !have_proba) num_scores = num_classes_ > 2 ? num_pairs : 2;

    ASSIGN_OR_RETURN(Tensor labels, ctx.Allocate(string_labels_.empty() ? DType::kInt64 : DType::kString, {rows}));
    ASSIGN_OR_RETURN(Tensor scores, ctx.Allocate(DType::kFloat32, {rows, static_cast<int64_t>(num_scores)}));
    std::vector<float> kernel_values(static_cast<size_t>(num_vectors_));
    std::vector<float> decisions(num_pairs);
    std::vector<int64_t> votes(num_classes_);
    std::vector<float> pairwise(have_proba ? num_classes_ * num_classes_ : 0);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = x.data() + r * num_features_;
      std::span<float> out(scores.data<float>() + r * static_cast<int64_t>(num_scores), num_scores);
      size_t label = 0;
      if (!svc) {
        label = ScoreLinear(row, out);
      } else {
        Decide(row, kernel_values, decisions, votes);
        label = static_cast<size_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
        if (have_proba) {
          Probabilities(decisions, pairwise, out);
        } else if (num_classes_ == 2) {
          const float d = decisions[0];
          if (post_transform_ == PostTransform::kLogistic) {
            out[0] = ml::Logistic(-d);
            out[1] = ml::Logistic(d);
          } else {
            out[0] = post_transform_ == PostTransform::kNone ? -d : 1.0f - d;
            out[1] = d;
          }
        } else {
          std::copy(decisions.begin(), decisions.end(), out.begin());
        }
      }
      if (num_scores > 1 && !(svc && !have_proba && num_classes_ == 2)) {
        ml::ApplyPostTransform(post_transform_, out);
      } else if (num_scores == 1 && post_transform_ == PostTransform::kProbit) {
        out[0] = ml::Probit(out[0]);
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
  /// Linear mode: writes the raw class scores of `row` to `out`; returns the label index.
  size_t ScoreLinear(const float* row, std::span<float> out) const {
    for (size_t c = 0; c < num_classes_; ++c) {
      out[c] = kernel_(row, coefficients_.data() + c * static_cast<size_t>(num_features_), num_features_) + rho_[0];
    }
    const size_t best = static_cast<size_t>(std::max_element(out.begin(), out.end()) - out.begin());
    if (num_classes_ != 2 || !prob_a_.empty()) return best;
    const float max_score = out[best];
    if (weights_all_positive_ ? max_score >= 0.5f : max_score > 0) return 1;
    return best;
  }

  /// SVC mode: the decision value of every class pair and the votes they cast.
  void Decide(const float* row, std::vector<float>& kernel_values, std::vector<float>& decisions,
              std::vector<int64_t>& votes) const {
    for (int64_t v = 0; v < num_vectors_; ++v) {
      kernel_values[static_cast<size_t>(v)] = kernel_(row, support_vectors_.data() + v * num_features_, num_features_);
    }
    std::fill(votes.begin(), votes.end(), 0);
    const auto num_vectors = static_cast<size_t>(num_vectors_);
    size_t pair = 0;
    for (size_t i = 0; i + 1 < num_classes_; ++i) {
      for (size_t j = i + 1; j < num_classes_; ++j, ++pair) {
        // Class i's vectors weigh in with coefficient row j - 1, class j's with row i; products
        // in float summed in double, as onnxruntime does.
        double sum = 0;
        const auto first_i = static_cast<size_t>(first_vector_[i]);
        const auto first_j = static_cast<size_t>(first_vector_[j]);
        for (size_t m = 0; m < static_cast<size_t>(vectors_per_class_[i]); ++m) {
          sum += coefficients_[(j - 1) * num_vectors + first_i + m] * kernel_values[first_i + m];
        }
        for (size_t m = 0; m < static_cast<size_t>(vectors_per_class_[j]); ++m) {
          sum += coefficients_[i * num_vectors + first_j + m] * kernel_values[first_j + m];
        }
        sum += rho_[pair];
        decisions[pair] = static_cast<float>(sum);
        ++votes[sum > 0 ? i : j];
      }
    }
  }

  /// SVC mode with prob_a/prob_b: the class probabilities from the pairwise decision values.
  void Probabilities(const std::vector<float>& decisions, std::vector<float>& pairwise, std::span<float> out) const {
    std::fill(pairwise.begin(), pairwise.end(), 0.0f);
    size_t pair = 0;
    for (size_t i = 0; i + 1 < num_classes_; ++i) {
      for (size_t j = i + 1; j < num_classes_; ++j, ++pair) {
        const float p = 1.0f - ml::Logistic(decisions[pair] * prob_a_[pair] + prob_b_[pair]);
        const float clipped = std::min(std::max(p, 1.0e-7f), 1.0f - 1.0e-7f);
        pairwise[i * num_classes_ + j] = clipped;
        pairwise[j * num_classes_ + i] = 1.0f - clipped;
      }
    }
    MulticlassProbability(num_classes_, pairwise, out);
  }

  std::vector<int64_t> int_labels_;
  std::vector<std::string> string_labels_;
  size_t num_classes_ = 0;
  SvmKernelFunction kernel_;
  PostTransform post_transform_ = PostTransform::kNone;
  int64_t num_features_ = 0;
  int64_t num_vectors_ = 0;                 ///< 0: linear mode
  std::vector<float> support_vectors_;      ///< [num_vectors, num_features]
  std::vector<int64_t> vectors_per_class_;  ///< SVC mode: support vectors of each class, in order
  std::vector<int64_t> first_vector_;       ///< index of each class's first support vector
  std::vector<float> coefficients_;         ///< SVC: [classes - 1, num_vectors]; linear: [classes, features]
  std::vector<float> rho_;                  ///< SVC: one per class pair; linear: one
  std::vector<float> prob_a_;               ///< empty, or one per class pair (SVC mode)
  std::vector<float> prob_b_;
  bool weights_all_positive_ = false;
};

class SvmRegressorKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<SvmRegressorKernel>();
    SvmRegressorKernel& k = *kernel;
    ASSIGN_OR_RETURN(k.kernel_, SvmKernelFunction::Parse(node));
    // Validated, then ignored: onnxruntime applies no post_transform to SVMRegressor's output.
    RETURN_IF_ERROR(ml::ParsePostTransform(node).status());
    k.num_vectors_ = node.GetInt("n_supports", 0);
    if (k.num_vectors_ < 0) return InvalidArgument("n_supports must not be negative");
    k.coefficients_ = node.GetFloats("coefficients");
    if (k.coefficients_.empty()) return InvalidArgument("coefficients must not be empty");
    const std::vector<float> rho = node.GetFloats("rho");
    RETURN_IF_ERROR(ml::CheckSameLength(1, "the single target", rho.size(), "rho"));
    k.rho_ = rho[0];
    k.one_class_ = node.GetInt("one_class", 0) != 0;
    if (static_cast<uint64_t>(k.num_vectors_) > node.GetFloats("support_vectors").size()) {
      return InvalidArgument("n_supports is " + std::to_string(k.num_vectors_) + ", beyond the support vectors given");
    }
    RETURN_IF_ERROR(ReadSupportVectors(node, k.num_vectors_, k.support_vectors_, k.num_features_));
    if (k.num_vectors_ > 0) {
      RETURN_IF_ERROR(ml::CheckSameLength(static_cast<size_t>(k.num_vectors_), "n_supports", k.coefficients_.size(),
                                          "coefficients"));
    } else {
      // Linear mode: the coefficients are the weight vector, with a plain dot product.
      k.num_features_ = static_cast<int64_t>(k.coefficients_.size());
      k.kernel_.type = SvmKernelFunction::Type::kLinear;
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  /// Output [N, 1]: sum_v coefficients[v] K(x, sv_v) + rho (SVC mode) or x.coefficients + rho
  /// (linear mode); with one_class, 1 where that is > 0 and -1 elsewhere.
  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    std::vector<float> x;
    ASSIGN_OR_RETURN(const int64_t rows, ReadFeatures(*input, num_features_, x));
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kFloat32, {rows, 1}));
    float* out = output.data<float>();
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = x.data() + r * num_features_;
      float value = 0;
      if (num_vectors_ > 0) {
        // Fused multiply-adds in support-vector order, as onnxruntime's GEMM over the kernel values.
        float sum = 0;
        for (int64_t v = 0; v < num_vectors_; ++v) {
          const float k = kernel_(row, support_vectors_.data() + v * num_features_, num_features_);
          sum = std::fma(k, coefficients_[static_cast<size_t>(v)], sum);
        }
        value = sum + rho_;
      } else {
        value = kernel_(row, coefficients_.data(), num_features_) + rho_;
      }
      out[r] = one_class_ ? (value > 0 ? 1.0f : -1.0f) : value;
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

 private:
  SvmKernelFunction kernel_;
  int64_t num_vectors_ = 0;  ///< 0: linear mode
  int64_t num_features_ = 0;
  std::vector<float> support_vectors_;  ///< [num_vectors, num_features]
  std::vector<float> coefficients_;     ///< SVC: one per support vector; linear: one per feature
  float rho_ = 0;
  bool one_class_ = false;
};

}  // namespace

void RegisterMlSvmKernels(KernelRegistry& registry) {
  registry.Register(kOnnxMlDomain, "SVMClassifier", SvmClassifierKernel::Create);
  registry.Register(kOnnxMlDomain, "SVMRegressor", SvmRegressorKernel::Create);
}

}  // namespace mlserving::kernels::reference

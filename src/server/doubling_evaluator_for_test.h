#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "runtime/evaluator.h"
#include "serving/model_loader.h"

namespace mlserving::server::testing {

inline TensorSpec Spec(std::string name, DType dtype, Shape shape) {
  TensorSpec spec;
  spec.name = std::move(name);
  spec.dtype = dtype;
  spec.shape = std::move(shape);
  return spec;
}

/// A test model: input "x" float32[-1,2], output "y" = 2 * x. Optionally sleeps before answering
/// (then honours the deadline), and counts evaluations.
class DoublingEvaluator : public Evaluator {
 public:
  explicit DoublingEvaluator(std::chrono::milliseconds delay = std::chrono::milliseconds(0)) : delay_(delay) {
    signature_.inputs.push_back(Spec("x", DType::kFloat32, {-1, 2}));
    signature_.outputs.push_back(Spec("y", DType::kFloat32, {-1, 2}));
  }

  const Signature& Describe() const override { return signature_; }

  Result<TensorMap> Evaluate(const TensorMap& inputs, const EvaluationContext& ctx) const override {
    evaluations_.fetch_add(1);
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    if (ctx.Expired()) return DeadlineExceeded("the evaluation passed its deadline");
    const Tensor& x = inputs.at("x");
    Tensor y(DType::kFloat32, x.shape());
    for (int64_t i = 0; i < x.num_elements(); ++i) y.data<float>()[i] = 2 * x.data<float>()[i];
    return TensorMap{{"y", y}};
  }

  std::string Summary() const override { return "doubling test model"; }

  int evaluations() const { return evaluations_.load(); }

 private:
  Signature signature_;
  std::chrono::milliseconds delay_;
  mutable std::atomic<int> evaluations_{0};
};

/// A LoadedModel around `evaluator`.
inline serving::LoadedModel TestModel(std::shared_ptr<const Evaluator> evaluator) {
  serving::LoadedModel model;
  model.evaluator = std::move(evaluator);
  model.path = "/models/doubling.onnx";
  model.format = "onnx";
  model.load_time = std::chrono::duration<double>(0.25);
  return model;
}

}  // namespace mlserving::server::testing

#pragma once

#include <string>
#include <vector>

#include "formats/pmml/model.h"

namespace mlserving::formats::pmml {

/// <SupportVectorMachineModel>: each SupportVectorMachine computes f(x) = Σ α_i K(x, v_i) + b
/// (svmRepresentation SupportVectors; kernels linear, polynomial, radialBasis, sigmoid) or
/// f(x) = Σ c_j x_j + b (Coefficients), with b = Coefficients@absoluteValue. The input vector x
/// follows VectorFields: FieldRef (the number) or CategoricalPredictor (coefficient when equal).
///
/// regression: f(x) of the first machine. Classification:
///  - OneAgainstOne: each machine votes targetCategory when f(x) < threshold, else its alternate
///    (the reverse with maxWins); the most votes win (ties: the earliest category in class
///    order), probabilities are vote fractions;
///  - OneAgainstAll: the machine with the smallest f(x) (largest with maxWins) wins.
/// A binary machine without alternateTargetCategory uses the model's alternateBinaryTargetCategory.
/// A missing input gives no prediction.
class SupportVectorMachineModel final : public Model {
 public:
  enum class Kernel : uint8_t { kLinear, kPolynomial, kRadialBasis, kSigmoid };
  enum class Method : uint8_t { kOneAgainstAll, kOneAgainstOne };

  /// One VectorFields entry.
  struct Field {
    Slot slot = kNoSlot;
    bool categorical = false;
    Value category;
    double coefficient = 1;
  };
  struct Machine {
    int target = -1;     ///< class index (classification)
    int alternate = -1;  ///< class index, OneAgainstOne
    double intercept = 0;
    double threshold = 0;
    std::vector<int32_t> vectors;  ///< support vector indices (SupportVectors representation)
    std::vector<double> coefficients;
  };
  struct Spec {
    Kernel kernel = Kernel::kLinear;
    double gamma = 1, coef0 = 1, degree = 1;
    Method method = Method::kOneAgainstAll;
    bool max_wins = false;
    bool support_vectors = true;  ///< representation
    std::vector<Field> fields;
    std::vector<double> vectors;  ///< row-major: numberOfVectors × fields.size()
    std::vector<Machine> machines;
  };

  SupportVectorMachineModel(ModelInfo info, Spec spec);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  double KernelValue(const double* x, const double* v) const;

  Spec spec_;
  size_t num_vectors_ = 0;
};

/// Compiles a <SupportVectorMachineModel> (registered in kModelTypes).
Result<std::unique_ptr<Model>> CompileSupportVectorMachineModel(ModelCompileContext& ctx);

}  // namespace mlserving::formats::pmml

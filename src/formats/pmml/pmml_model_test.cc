#include "formats/pmml/pmml_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

/// y = 1 + 2*b + 10*a + 100*c: each input has its own weight, so a mismatched column shows.
std::unique_ptr<Evaluator> LinearModel() {
  std::string text = testing::Doc(
      "<DataField name=\"b\" optype=\"continuous\" dataType=\"double\"/>"
      "<DataField name=\"a\" optype=\"continuous\" dataType=\"double\"/>"
      "<DataField name=\"c\" optype=\"continuous\" dataType=\"float\"/>"
      "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>",
      "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"b\"/>"
      "<MiningField name=\"a\"/><MiningField name=\"c\"/><MiningField name=\"y\" usageType=\"target\"/>"
      "</MiningSchema><RegressionTable intercept=\"1\"><NumericPredictor name=\"b\" coefficient=\"2\"/>"
      "<NumericPredictor name=\"a\" coefficient=\"10\"/><NumericPredictor name=\"c\" coefficient=\"100\"/>"
      "</RegressionTable></RegressionModel>");
  Result<std::unique_ptr<Evaluator>> model = LoadPmmlBytes(text, "linear");
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model.ok() ? std::move(model).value() : nullptr;
}

// Inputs are matched to fields by name whatever the signature's order, with or without extra
// tensors in the request; a missing one is named.
TEST(PmmlEvaluatorTest, MatchesInputsByName) {
  std::unique_ptr<Evaluator> model = LinearModel();
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->Describe().inputs.size(), 3u);
  EXPECT_EQ(model->Describe().inputs[0].name, "b");  // MiningSchema order, not sorted
  TensorMap inputs;
  inputs["a"] = Tensor::FromVector<double>({2}, {1, 2});
  inputs["b"] = Tensor::FromVector<double>({2}, {3, 4});
  inputs["c"] = Tensor::FromVector<double>({2}, {0.5, std::nan("")});
  EvaluationContext ctx;
  Result<TensorMap> out = model->Evaluate(inputs, ctx);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const Tensor& y = out->at("y");
  EXPECT_EQ(y.data<double>()[0], 1 + 2 * 3 + 10 * 1 + 100 * 0.5);
  EXPECT_TRUE(std::isnan(y.data<double>()[1]));  // c missing: no prediction

  inputs["zzz"] = Tensor::FromVector<double>({2}, {7, 7});  // not an input: ignored
  inputs["0"] = Tensor::FromVector<double>({2}, {7, 7});
  out = model->Evaluate(inputs, ctx);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").data<double>()[0], 67.0);

  inputs.erase("a");
  out = model->Evaluate(inputs, ctx);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("missing input 'a'"), std::string::npos) << out.status().message();

  inputs.erase("zzz");
  inputs.erase("0");
  inputs["x"] = Tensor::FromVector<double>({2}, {1, 2});  // as many tensors as inputs, one misnamed
  out = model->Evaluate(inputs, ctx);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("missing input 'a'"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace mlserving::formats::pmml

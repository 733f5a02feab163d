#include "formats/pmml/regression_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;
using testing::S;

const char* kFields =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"u\"/><Value "
    "value=\"v\"/></DataField>"
    "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"yes\"/><Value "
    "value=\"no\"/></DataField>"
    "<DataField name=\"r\" optype=\"continuous\" dataType=\"double\"/>";

std::string Classifier(const std::string& method) {
  return Doc(kFields,
             "<RegressionModel functionName=\"classification\" normalizationMethod=\"" + method +
                 "\"><MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/>"
                 "<MiningField name=\"y\" usageType=\"target\"/></MiningSchema><Output>"
                 "<OutputField name=\"p_yes\" feature=\"probability\" value=\"yes\"/>"
                 "<OutputField name=\"p_no\" feature=\"probability\" value=\"no\"/>"
                 "<OutputField name=\"pred\" feature=\"predictedValue\"/></Output>"
                 "<RegressionTable intercept=\"0.5\" targetCategory=\"yes\"><NumericPredictor name=\"x\" "
                 "coefficient=\"1\"/><CategoricalPredictor name=\"c\" value=\"u\" coefficient=\"0.25\"/>"
                 "</RegressionTable><RegressionTable intercept=\"0\" targetCategory=\"no\"/></RegressionModel>");
}

TEST(PmmlRegressionTest, BinaryNormalizations) {
  const double y = 0.5 + 1.0 + 0.25;  // x = 1, c = u
  struct Case {
    const char* method;
    double p_yes;
  } cases[] = {
      {"softmax", std::exp(y) / (std::exp(y) + 1)},
      {"logit", 1 / (1 + std::exp(-y))},
      {"probit", 0.5 * std::erfc(-y / std::sqrt(2.0))},
      {"cloglog", 1 - std::exp(-std::exp(y))},
      {"loglog", std::exp(-std::exp(-y))},
      {"cauchit", 0.5 + std::atan(y) / M_PI},
      {"exp", std::exp(y)},
      {"none", y},
  };
  for (const Case& c : cases) {
    auto doc = testing::MustLoad(Classifier(c.method));
    ASSERT_NE(doc, nullptr) << c.method;
    auto r = testing::ScoreOne(*doc, {{"x", N(1)}, {"c", S("u")}});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_NEAR(r.Get("p_yes").number(), c.p_yes, 1e-12) << c.method;
    if (std::string(c.method) != "softmax") {
      EXPECT_NEAR(r.Get("p_no").number(), 1 - c.p_yes, 1e-12) << c.method;
    }
  }
  auto simplemax = testing::MustLoad(Classifier("simplemax"));
  auto r = testing::ScoreOne(*simplemax, {{"x", N(1)}, {"c", S("v")}});
  EXPECT_NEAR(r.Get("p_yes").number(), 1.0, 1e-12);  // 1.5 / (1.5 + 0)
  EXPECT_EQ(r.Get("pred").string(), "yes");
}

TEST(PmmlRegressionTest, RegressionTermsAndTargets) {
  std::string text =
      Doc(kFields,
          "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
          "<MiningField name=\"c\"/><MiningField name=\"r\" usageType=\"target\"/></MiningSchema>"
          "<Targets><Target field=\"r\" rescaleFactor=\"2\" rescaleConstant=\"1\" max=\"100\">"
          "<TargetValue defaultValue=\"-5\"/></Target></Targets>"
          "<RegressionTable intercept=\"1\"><NumericPredictor name=\"x\" exponent=\"2\" coefficient=\"3\"/>"
          "<CategoricalPredictor name=\"c\" value=\"v\" coefficient=\"10\"/><PredictorTerm coefficient=\"0.5\">"
          "<FieldRef field=\"x\"/><FieldRef field=\"x\"/></PredictorTerm></RegressionTable></RegressionModel>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"x", N(2)}, {"c", S("v")}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_DOUBLE_EQ(r.Get("r").number(), (1 + 12 + 10 + 2) * 2 + 1);
  // A missing input gives no prediction: the Target default value.
  EXPECT_DOUBLE_EQ(testing::ScoreOne(*doc, {{"c", S("v")}}).Get("r").number(), -5);
  // Invalid values fail with returnInvalid (the default), naming the field and value.
  auto bad = testing::ScoreOne(*doc, {{"x", N(2)}, {"c", S("w")}});
  ASSERT_FALSE(bad.status.ok());
  EXPECT_NE(bad.status.message().find("'c'"), std::string::npos);
  EXPECT_NE(bad.status.message().find("'w'"), std::string::npos);
}

TEST(PmmlRegressionTest, NormalizeScoresMulticlass) {
  std::vector<double> s = {1, 2, 3};
  NormalizeScores(Normalization::kSoftmax, s);
  EXPECT_NEAR(s[0] + s[1] + s[2], 1, 1e-12);
  EXPECT_GT(s[2], s[1]);
  std::vector<double> t = {1, 1, 2};
  NormalizeScores(Normalization::kSimplemax, t);
  EXPECT_DOUBLE_EQ(t[2], 0.5);
}

}  // namespace
}  // namespace mlserving::formats::pmml

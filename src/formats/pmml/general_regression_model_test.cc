#include "formats/pmml/general_regression_model.h"

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
    "<DataField name=\"t\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"s\" optype=\"categorical\" dataType=\"integer\"><Value value=\"1\"/><Value "
    "value=\"2\"/></DataField>"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"k\" optype=\"categorical\" dataType=\"string\"><Value value=\"lo\"/><Value value=\"mid\"/>"
    "<Value value=\"hi\"/></DataField>";

/// Intercept p0, covariate p1 = x², factor p2 = [c=v], interaction p3 = x·[c=v].
const char* kTerms =
    "<ParameterList><Parameter name=\"p0\"/><Parameter name=\"p1\"/><Parameter name=\"p2\"/><Parameter name=\"p3\"/>"
    "</ParameterList><FactorList><Predictor name=\"c\"/></FactorList><CovariateList><Predictor name=\"x\"/>"
    "</CovariateList><PPMatrix><PPCell value=\"2\" predictorName=\"x\" parameterName=\"p1\"/>"
    "<PPCell value=\"v\" predictorName=\"c\" parameterName=\"p2\"/><PPCell value=\"1\" predictorName=\"x\" "
    "parameterName=\"p3\"/><PPCell value=\"v\" predictorName=\"c\" parameterName=\"p3\"/></PPMatrix>";

std::string Regression(const std::string& attributes) {
  return Doc(kFields, "<GeneralRegressionModel functionName=\"regression\" " + attributes +
                          "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/>"
                          "<MiningField name=\"y\" usageType=\"target\"/></MiningSchema>" +
                          kTerms +
                          "<ParamMatrix><PCell parameterName=\"p0\" beta=\"1\"/><PCell parameterName=\"p1\" "
                          "beta=\"0.5\"/><PCell parameterName=\"p2\" beta=\"2\"/><PCell parameterName=\"p3\" "
                          "beta=\"-1\"/></ParamMatrix></GeneralRegressionModel>");
}

TEST(PmmlGeneralRegressionTest, LinearPredictor) {
  auto doc = testing::MustLoad(Regression("modelType=\"regression\""));
  ASSERT_NE(doc, nullptr);
  // x = 3, c = v: 1 + 0.5·9 + 2 - 3 = 4.5; c = u: 1 + 4.5 = 5.5.
  EXPECT_DOUBLE_EQ(testing::ScoreOne(*doc, {{"x", N(3)}, {"c", S("v")}}).Get("y").number(), 4.5);
  EXPECT_DOUBLE_EQ(testing::ScoreOne(*doc, {{"x", N(3)}, {"c", S("u")}}).Get("y").number(), 5.5);
  // A missing input gives no prediction.
  EXPECT_TRUE(testing::ScoreOne(*doc, {{"c", S("u")}}).Get("y").missing());
}

TEST(PmmlGeneralRegressionTest, GeneralizedLinearLinks) {
  // η = 5.5 (x = 3, c = u), plus the offset.
  struct Case {
    std::string attributes;
    double expected;
  } cases[] = {
      {"linkFunction=\"log\"", std::exp(5.5)},
      {"linkFunction=\"identity\" offsetValue=\"1\" trialsValue=\"2\"", 13},
      {"linkFunction=\"power\" linkParameter=\"-1\" offsetValue=\"0.5\"", 1.0 / 6},
      {"linkFunction=\"power\" linkParameter=\"0\"", std::exp(5.5)},
      {"linkFunction=\"logit\"", 1 / (1 + std::exp(-5.5))},
      {"linkFunction=\"cloglog\"", 1 - std::exp(-std::exp(5.5))},
      {"linkFunction=\"oddspower\" linkParameter=\"2\"", 1 / (1 + std::pow(1 + 2 * 5.5, -0.5))},
      {"linkFunction=\"negbin\" distParameter=\"2\"", 1 / (2 * (std::exp(-5.5) - 1))},
  };
  for (const Case& c : cases) {
    auto doc = testing::MustLoad(Regression("modelType=\"generalizedLinear\" " + c.attributes));
    ASSERT_NE(doc, nullptr) << c.attributes;
    EXPECT_NEAR(testing::ScoreOne(*doc, {{"x", N(3)}, {"c", S("u")}}).Get("y").number(), c.expected, 1e-12)
        << c.attributes;
  }
  EXPECT_EQ(testing::MustLoad(Regression("modelType=\"generalizedLinear\" linkFunction=\"bogus\"")), nullptr);
  EXPECT_EQ(testing::MustLoad(Regression("modelType=\"bogus\"")), nullptr);
}

std::string Classifier(const std::string& attributes, const std::string& pcells) {
  return Doc(kFields, "<GeneralRegressionModel functionName=\"classification\" " + attributes +
                          "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/>"
                          "<MiningField name=\"k\" usageType=\"target\"/></MiningSchema><Output>"
                          "<OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
                          "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/>"
                          "<OutputField name=\"p_hi\" feature=\"probability\" value=\"hi\"/></Output>" +
                          kTerms + "<ParamMatrix>" + pcells + "</ParamMatrix></GeneralRegressionModel>");
}

TEST(PmmlGeneralRegressionTest, MultinomialLogistic) {
  auto doc = testing::MustLoad(Classifier("modelType=\"multinomialLogistic\" targetReferenceCategory=\"hi\"",
                                          "<PCell targetCategory=\"lo\" parameterName=\"p0\" beta=\"1\"/>"
                                          "<PCell targetCategory=\"mid\" parameterName=\"p2\" beta=\"2\"/>"));
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"x", N(1)}, {"c", S("v")}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  double z = std::exp(1) + std::exp(2) + 1;  // η: lo 1, mid 2, hi 0
  EXPECT_NEAR(r.Get("p_lo").number(), std::exp(1) / z, 1e-12);
  EXPECT_NEAR(r.Get("p_mid").number(), std::exp(2) / z, 1e-12);
  EXPECT_NEAR(r.Get("p_hi").number(), 1 / z, 1e-12);
  EXPECT_EQ(r.Get("k").string(), "mid");
}

TEST(PmmlGeneralRegressionTest, OrdinalCumulativeLogit) {
  auto doc = testing::MustLoad(Classifier("modelType=\"ordinalMultinomial\" cumulativeLink=\"logit\"",
                                          "<PCell targetCategory=\"lo\" parameterName=\"p0\" beta=\"-1\"/>"
                                          "<PCell targetCategory=\"mid\" parameterName=\"p0\" beta=\"1\"/>"
                                          "<PCell parameterName=\"p2\" beta=\"0.5\"/>"));
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"x", N(1)}, {"c", S("v")}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  auto f = [](double v) { return 1 / (1 + std::exp(-v)); };
  EXPECT_NEAR(r.Get("p_lo").number(), f(-0.5), 1e-12);
  EXPECT_NEAR(r.Get("p_mid").number(), f(1.5) - f(-0.5), 1e-12);
  EXPECT_NEAR(r.Get("p_hi").number(), 1 - f(1.5), 1e-12);
}

TEST(PmmlGeneralRegressionTest, BinaryGeneralizedLinearUsesTheSecondCategory) {
  const char* fields =
      "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
      "<DataField name=\"b\" optype=\"categorical\" dataType=\"string\"><Value value=\"0\"/><Value value=\"1\"/>"
      "</DataField>";
  auto doc = testing::MustLoad(Doc(
      fields,
      "<GeneralRegressionModel functionName=\"classification\" modelType=\"generalizedLinear\" linkFunction=\"probit\">"
      "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"b\" usageType=\"target\"/></MiningSchema><Output>"
      "<OutputField name=\"p1\" feature=\"probability\" value=\"1\"/></Output><ParameterList><Parameter name=\"a\"/>"
      "</ParameterList><CovariateList><Predictor name=\"x\"/></CovariateList><PPMatrix><PPCell value=\"1\" "
      "predictorName=\"x\" parameterName=\"a\"/></PPMatrix><ParamMatrix><PCell parameterName=\"a\" beta=\"0.5\"/>"
      "</ParamMatrix></GeneralRegressionModel>"));
  ASSERT_NE(doc, nullptr);
  EXPECT_NEAR(testing::ScoreOne(*doc, {{"x", N(1)}}).Get("p1").number(), 0.5 * std::erfc(-0.5 / std::sqrt(2.0)), 1e-12);
}

TEST(PmmlGeneralRegressionTest, CoxBaselineHazardWithStrata) {
  std::string text = Doc(
      kFields,
      "<GeneralRegressionModel functionName=\"regression\" modelType=\"CoxRegression\" endTimeVariable=\"t\" "
      "baselineStrataVariable=\"s\"><MiningSchema><MiningField name=\"x\"/><MiningField name=\"t\"/>"
      "<MiningField name=\"s\"/><MiningField name=\"y\" usageType=\"target\"/></MiningSchema><Output>"
      "<OutputField name=\"hazard\" feature=\"predictedValue\"/></Output><ParameterList><Parameter name=\"p\" "
      "referencePoint=\"2\"/></ParameterList><CovariateList><Predictor name=\"x\"/></CovariateList><PPMatrix>"
      "<PPCell value=\"1\" predictorName=\"x\" parameterName=\"p\"/></PPMatrix><ParamMatrix><PCell parameterName=\"p\" "
      "beta=\"0.5\"/></ParamMatrix><BaseCumHazardTables><BaselineStratum value=\"1\" maxTime=\"10\">"
      "<BaselineCell time=\"2\" cumHazard=\"0.1\"/><BaselineCell time=\"5\" cumHazard=\"0.3\"/></BaselineStratum>"
      "<BaselineStratum value=\"2\" maxTime=\"4\"><BaselineCell time=\"1\" cumHazard=\"0.7\"/></BaselineStratum>"
      "</BaseCumHazardTables></GeneralRegressionModel>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  auto hazard = [&](double x, double t, double s) {
    return testing::ScoreOne(*doc, {{"x", N(x)}, {"t", N(t)}, {"s", N(s)}}).Get("hazard");
  };
  EXPECT_NEAR(hazard(4, 6, 1).number(), 0.3 * std::exp(1.0), 1e-12);  // exp(0.5 · (4 - 2))
  EXPECT_NEAR(hazard(4, 3, 1).number(), 0.1 * std::exp(1.0), 1e-12);
  EXPECT_DOUBLE_EQ(hazard(4, 1, 1).number(), 0);  // before the first event time
  EXPECT_TRUE(hazard(4, 11, 1).missing());        // after maxTime
  EXPECT_NEAR(hazard(2, 3, 2).number(), 0.7, 1e-12);
}

TEST(PmmlGeneralRegressionTest, BetaOfAnUndeclaredParameterIsRefused) {
  // BigML's LogisticregressionIris shape: the ParamMatrix names p1, which neither the
  // ParameterList nor the PPMatrix defines (it would silently act as a second intercept).
  auto doc = PmmlDocument::Load(
      "<PMML version=\"4.3\"><DataDictionary><DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
      "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/></DataDictionary>"
      "<GeneralRegressionModel modelType=\"regression\" functionName=\"regression\"><MiningSchema>"
      "<MiningField name=\"x\"/><MiningField name=\"y\" usageType=\"target\"/></MiningSchema>"
      "<ParameterList><Parameter name=\"p0\"/></ParameterList><CovariateList><Predictor name=\"x\"/>"
      "</CovariateList><PPMatrix><PPCell value=\"1\" predictorName=\"x\" parameterName=\"p0\"/></PPMatrix>"
      "<ParamMatrix><PCell parameterName=\"p0\" beta=\"2\"/><PCell parameterName=\"p1\" beta=\"3\"/>"
      "</ParamMatrix></GeneralRegressionModel></PMML>");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find("'p1'"), std::string::npos) << doc.status().message();
}

/// A regression over the factor k (declared values lo, mid, hi) coded by the contrast matrix
/// `matrix` (rows = categories): y = 10 + 2·M[k][0] + 3·M[k][1] (PPCell value lo -> column 0,
/// mid -> column 1: the columns follow the categories' order).
std::string ContrastModel(const std::string& predictor) {
  return Doc(kFields,
             "<GeneralRegressionModel functionName=\"regression\" modelType=\"generalLinear\"><MiningSchema>"
             "<MiningField name=\"k\"/><MiningField name=\"y\" usageType=\"target\"/></MiningSchema>"
             "<ParameterList><Parameter name=\"p0\"/><Parameter name=\"p1\"/><Parameter name=\"p2\"/></ParameterList>"
             "<FactorList>" +
                 predictor +
                 "</FactorList><PPMatrix><PPCell value=\"lo\" predictorName=\"k\" parameterName=\"p1\"/>"
                 "<PPCell value=\"mid\" predictorName=\"k\" parameterName=\"p2\"/></PPMatrix>"
                 "<ParamMatrix><PCell parameterName=\"p0\" beta=\"10\"/><PCell parameterName=\"p1\" beta=\"2\"/>"
                 "<PCell parameterName=\"p2\" beta=\"3\"/></ParamMatrix></GeneralRegressionModel>");
}

TEST(PmmlGeneralRegressionTest, SparseContrastMatrix) {
  // Deviation (sum-to-zero) coding given as MatCells (1-based, unlisted cells 0); no Categories,
  // so the rows follow the DataField's values lo, mid, hi:
  //   lo: (-1, -1), mid: (1, 0), hi: (0, 1).
  // y(lo) = 10 - 2 - 3 = 5, y(mid) = 10 + 2 = 12, y(hi) = 10 + 3 = 13.
  const std::string sparse =
      "<Predictor name=\"k\" contrastMatrixType=\"deviation\"><Matrix nbRows=\"3\" nbCols=\"2\">"
      "<MatCell row=\"1\" col=\"1\">-1</MatCell><MatCell row=\"1\" col=\"2\">-1</MatCell>"
      "<MatCell row=\"2\" col=\"1\">1</MatCell><MatCell row=\"3\" col=\"2\">1</MatCell></Matrix></Predictor>";
  // The same coding, dense, with Categories in another order (mid, lo, hi): rows and columns
  // follow it, so PPCell lo reads column 2 and mid column 1: mid: (0, 1), lo: (-1, -1), hi: (1, 0).
  const std::string dense =
      "<Predictor name=\"k\"><Categories><Category value=\"mid\"/><Category value=\"lo\"/><Category "
      "value=\"hi\"/></Categories><Matrix><Array>0 1</Array><Array>-1 -1</Array><Array>1 0</Array></Matrix>"
      "</Predictor>";
  // The sparse form as jpmml_evaluator scores it (it needs Categories and explicit defaults):
  // jpmml gives y = 5, 12, 13 for lo, mid, hi. (pypmml fails on it: it reads MatCell indices
  // as 0-based, "Column index out of range [0, 2): 2".)
  const std::string sparse_as_jpmml =
      "<Predictor name=\"k\"><Categories><Category value=\"lo\"/><Category value=\"mid\"/><Category "
      "value=\"hi\"/></Categories><Matrix nbRows=\"3\" nbCols=\"2\" diagDefault=\"0\" offDiagDefault=\"0\">"
      "<MatCell row=\"1\" col=\"1\">-1</MatCell><MatCell row=\"1\" col=\"2\">-1</MatCell>"
      "<MatCell row=\"2\" col=\"1\">1</MatCell><MatCell row=\"3\" col=\"2\">1</MatCell></Matrix></Predictor>";
  for (const std::string& predictor : {sparse, dense, sparse_as_jpmml}) {
    auto doc = testing::MustLoad(ContrastModel(predictor));
    ASSERT_NE(doc, nullptr) << PmmlDocument::Load(ContrastModel(predictor)).status().message();
    for (auto [level, expected] : {std::pair{"lo", 5.0}, std::pair{"mid", 12.0}, std::pair{"hi", 13.0}}) {
      auto r = testing::ScoreOne(*doc, {{"k", S(level)}});
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      EXPECT_DOUBLE_EQ(r.Get("y").number(), expected) << level;
    }
  }
}

TEST(PmmlGeneralRegressionTest, ContrastMatrixErrorsNameTheFactor) {
  struct Case {
    std::string predictor;
    const char* message;
  } cases[] = {
      {"<Predictor name=\"k\"><Matrix nbRows=\"2\" nbCols=\"2\"><MatCell row=\"1\" col=\"1\">1</MatCell></Matrix>"
       "</Predictor>",
       "the contrast matrix of factor 'k' has 2 rows for 3 categories"},
      {"<Predictor name=\"k\"><Matrix nbRows=\"3\" nbCols=\"2\"><MatCell row=\"4\" col=\"1\">1</MatCell></Matrix>"
       "</Predictor>",
       "the contrast matrix of factor 'k': MatCell row='4'"},
      // One column only: PPCell 'mid' (the second category) has no column.
      {"<Predictor name=\"k\"><Matrix nbRows=\"3\" nbCols=\"1\"><MatCell row=\"1\" col=\"1\">1</MatCell></Matrix>"
       "</Predictor>",
       "'mid' of 'k' has no column"},
  };
  for (const Case& c : cases) {
    auto doc = PmmlDocument::Load(ContrastModel(c.predictor));
    ASSERT_FALSE(doc.ok()) << c.message;
    EXPECT_NE(doc.status().message().find(c.message), std::string::npos) << doc.status().message();
  }
}

TEST(PmmlGeneralRegressionTest, MultiClassGeneralizedLinearIsRefused) {
  // generalizedLinear scores one mean g⁻¹(η): PMML defines it for a binary categorical target only.
  auto doc = PmmlDocument::Load(Doc(
      kFields,
      "<GeneralRegressionModel functionName=\"classification\" modelType=\"generalizedLinear\" linkFunction=\"logit\">"
      "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"k\" usageType=\"target\"/></MiningSchema>"
      "<ParameterList><Parameter name=\"a\"/></ParameterList><CovariateList><Predictor name=\"x\"/></CovariateList>"
      "<PPMatrix><PPCell value=\"1\" predictorName=\"x\" parameterName=\"a\"/></PPMatrix><ParamMatrix>"
      "<PCell parameterName=\"a\" targetCategory=\"lo\" beta=\"0.5\"/>"
      "<PCell parameterName=\"a\" targetCategory=\"mid\" beta=\"0.2\"/></ParamMatrix></GeneralRegressionModel>"));
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("binary target only"), std::string::npos) << doc.status().message();
}

}  // namespace
}  // namespace mlserving::formats::pmml

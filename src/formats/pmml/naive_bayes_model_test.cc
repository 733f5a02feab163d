#include "formats/pmml/naive_bayes_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;
using testing::S;

const char* kDoc =
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"u\"/><Value value=\"v\"/>"
    "<Value value=\"w\"/></DataField><DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"n\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"k\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value value=\"q\"/>"
    "</DataField>";

std::string Model() {
  return Doc(
      kDoc,
      "<NaiveBayesModel functionName=\"classification\" threshold=\"0.01\"><MiningSchema><MiningField name=\"c\"/>"
      "<MiningField name=\"x\"/><MiningField name=\"n\"/><MiningField name=\"k\" usageType=\"target\"/>"
      "</MiningSchema><Output><OutputField name=\"pp\" feature=\"probability\" value=\"p\"/></Output>"
      "<BayesInputs><BayesInput fieldName=\"c\"><PairCounts value=\"u\"><TargetValueCounts><TargetValueCount "
      "value=\"p\" count=\"3\"/><TargetValueCount value=\"q\" count=\"0\"/></TargetValueCounts></PairCounts>"
      "<PairCounts value=\"v\"><TargetValueCounts><TargetValueCount value=\"p\" count=\"1\"/><TargetValueCount "
      "value=\"q\" count=\"4\"/></TargetValueCounts></PairCounts></BayesInput><BayesInput fieldName=\"x\">"
      "<TargetValueStats><TargetValueStat value=\"p\"><GaussianDistribution mean=\"0\" variance=\"1\"/>"
      "</TargetValueStat><TargetValueStat value=\"q\"><GaussianDistribution mean=\"1\" variance=\"4\"/>"
      "</TargetValueStat></TargetValueStats></BayesInput><BayesInput fieldName=\"n\"><TargetValueStats>"
      "<TargetValueStat value=\"p\"><PoissonDistribution mean=\"2\"/></TargetValueStat><TargetValueStat "
      "value=\"q\"><PoissonDistribution mean=\"3\"/></TargetValueStat></TargetValueStats></BayesInput>"
      "</BayesInputs><BayesOutput fieldName=\"k\"><TargetValueCounts><TargetValueCount value=\"p\" count=\"4\"/>"
      "<TargetValueCount value=\"q\" count=\"6\"/></TargetValueCounts></BayesOutput></NaiveBayesModel>");
}

double Gauss(double x, double mean, double var) {
  return std::exp(-(x - mean) * (x - mean) / (2 * var)) / std::sqrt(2 * M_PI * var);
}

TEST(PmmlNaiveBayesTest, DiscreteGaussianPoisson) {
  auto doc = testing::MustLoad(Model());
  ASSERT_NE(doc, nullptr);
  // c = v: P(v|p) = 1/4, P(v|q) = 4/4; x = 0.5: Gaussian densities; n = 1: Poisson 2e^-2, 3e^-3.
  double lp = 4 * 0.25 * Gauss(0.5, 0, 1) * 2 * std::exp(-2.0);
  double lq = 6 * 1.0 * Gauss(0.5, 1, 4) * 3 * std::exp(-3.0);
  auto r = testing::ScoreOne(*doc, {{"c", S("v")}, {"x", N(0.5)}, {"n", N(1)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NEAR(r.Get("pp").number(), lp / (lp + lq), 1e-12);
  EXPECT_EQ(r.Get("k").string(), lp > lq ? "p" : "q");
}

TEST(PmmlNaiveBayesTest, ZeroCountsUseTheThresholdAndMissingInputsAreSkipped) {
  auto doc = testing::MustLoad(Model());
  ASSERT_NE(doc, nullptr);
  // c = u: P(u|p) = 3/4, P(u|q) = 0 → threshold 0.01; x and n missing.
  auto r = testing::ScoreOne(*doc, {{"c", S("u")}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  double lp = 4 * 0.75, lq = 6 * 0.01;
  EXPECT_NEAR(r.Get("pp").number(), lp / (lp + lq), 1e-12);
  // A value without PairCounts is ignored: only the priors remain.
  EXPECT_NEAR(testing::ScoreOne(*doc, {{"c", S("w")}}).Get("pp").number(), 0.4, 1e-12);
}

}  // namespace
}  // namespace mlserving::formats::pmml

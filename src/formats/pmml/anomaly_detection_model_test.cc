#include "formats/pmml/anomaly_detection_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;

const char* kFields = "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>";

std::string Model(const std::string& attributes, const std::string& inner, const std::string& extra = "") {
  return Doc(kFields, "<AnomalyDetectionModel functionName=\"regression\" " + attributes +
                          "><MiningSchema><MiningField name=\"x\"/></MiningSchema><Output><OutputField name=\"score\" "
                          "feature=\"predictedValue\" dataType=\"double\"/></Output>" +
                          inner + extra + "</AnomalyDetectionModel>");
}

const char* kPathLength =
    "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
    "<RegressionTable intercept=\"1\"><NumericPredictor name=\"x\" coefficient=\"1\"/></RegressionTable>"
    "</RegressionModel>";

TEST(PmmlAnomalyDetectionTest, IsolationForestScore) {
  auto doc = testing::MustLoad(Model("algorithmType=\"iforest\" sampleDataSize=\"256\"", kPathLength));
  ASSERT_NE(doc, nullptr);
  double c = 2 * (std::log(255.0) + 0.5772156649015329) - 2.0 * 255 / 256;
  EXPECT_NEAR(testing::ScoreOne(*doc, {{"x", N(3)}}).Get("score").number(), std::pow(2.0, -4 / c), 1e-12);
  EXPECT_TRUE(testing::ScoreOne(*doc, {}).Get("score").missing());
  EXPECT_EQ(testing::MustLoad(Model("algorithmType=\"iforest\"", kPathLength)), nullptr);  // no sampleDataSize
  EXPECT_EQ(testing::MustLoad(Model("algorithmType=\"other\"", "")), nullptr);             // no inner model
}

TEST(PmmlAnomalyDetectionTest, OtherAndClusterMeanDistance) {
  auto other = testing::MustLoad(Model("algorithmType=\"other\"", kPathLength));
  ASSERT_NE(other, nullptr);
  EXPECT_DOUBLE_EQ(testing::ScoreOne(*other, {{"x", N(3)}}).Get("score").number(), 4);
  const char* clusters =
      "<ClusteringModel functionName=\"clustering\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
      "<ComparisonMeasure kind=\"distance\"><euclidean/></ComparisonMeasure><ClusteringField field=\"x\"/>"
      "<Cluster><Array n=\"1\" type=\"real\">0</Array></Cluster><Cluster><Array n=\"1\" type=\"real\">10</Array>"
      "</Cluster></ClusteringModel>";
  auto doc = testing::MustLoad(Model("algorithmType=\"clusterMeanDist\"", clusters,
                                     "<MeanClusterDistances><Array n=\"2\" type=\"real\">2 4</Array>"
                                     "</MeanClusterDistances>"));
  ASSERT_NE(doc, nullptr);
  EXPECT_DOUBLE_EQ(testing::ScoreOne(*doc, {{"x", N(1)}}).Get("score").number(), 0.5);
  EXPECT_DOUBLE_EQ(testing::ScoreOne(*doc, {{"x", N(12)}}).Get("score").number(), 0.5);
}

TEST(PmmlAnomalyDetectionTest, FloatDeclaredOutputIsRoundedToSinglePrecision) {
  // The DMG anomaly examples declare anomalyScore dataType="float": like the Java evaluators we
  // round it to float32 (and the decision reads the rounded value).
  std::string text = Model("algorithmType=\"other\"", kPathLength);
  text.replace(text.find("dataType=\"double\"/></Output>"), 28, "dataType=\"float\"/></Output>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  double score = testing::ScoreOne(*doc, {{"x", N(0.1)}}).Get("score").number();
  EXPECT_EQ(score, static_cast<double>(static_cast<float>(1.1)));
  EXPECT_NE(score, 1.1);
}

}  // namespace
}  // namespace mlserving::formats::pmml

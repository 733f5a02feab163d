#include "formats/pmml/mining_model.h"

#include <gtest/gtest.h>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;

const char* kFields =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"r\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value "
    "value=\"b\"/></DataField>";

/// A regression segment predicting `value` (x * 0 + value) with `weight`, optionally guarded by x > guard.
std::string RegSegment(double value, double weight = 1, const std::string& predicate = "<True/>") {
  return "<Segment weight=\"" + std::to_string(weight) + "\">" + predicate +
         "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
         "</MiningSchema><RegressionTable intercept=\"" +
         std::to_string(value) + "\"/></RegressionModel></Segment>";
}

/// A classification segment: a one-node tree voting `label` with P(label) = p.
std::string ClassSegment(const std::string& label, double p, double weight = 1) {
  std::string other = label == "a" ? "b" : "a";
  return "<Segment weight=\"" + std::to_string(weight) +
         "\"><True/><TreeModel functionName=\"classification\"><MiningSchema><MiningField name=\"x\"/>"
         "<MiningField name=\"c\" usageType=\"target\"/></MiningSchema><Node score=\"" +
         label + "\"><True/><ScoreDistribution value=\"" + label + "\" recordCount=\"" + std::to_string(p * 100) +
         "\"/><ScoreDistribution value=\"" + other + "\" recordCount=\"" + std::to_string((1 - p) * 100) +
         "\"/></Node></TreeModel></Segment>";
}

testing::Scored RunMining(const std::string& function, const std::string& method, const std::string& segments,
                          double x = 1) {
  std::string target = function == "regression" ? "r" : "c";
  std::string text = Doc(kFields, "<MiningModel functionName=\"" + function +
                                      "\"><MiningSchema><MiningField name=\"x\"/>"
                                      "<MiningField name=\"" +
                                      target +
                                      "\" usageType=\"target\"/></MiningSchema>"
                                      "<Output><OutputField name=\"pa\" feature=\"probability\" value=\"a\"/>"
                                      "<OutputField name=\"pred\" feature=\"predictedValue\"/></Output>"
                                      "<Segmentation multipleModelMethod=\"" +
                                      method + "\">" + segments + "</Segmentation></MiningModel>");
  auto doc = PmmlDocument::Load(text);
  EXPECT_TRUE(doc.ok()) << doc.status().message();
  if (!doc.ok()) return {};
  return testing::ScoreOne(**doc, {{"x", N(x)}});
}

TEST(PmmlMiningTest, RegressionMethods) {
  std::string segs = RegSegment(1, 1) + RegSegment(2, 3) + RegSegment(6, 0);
  EXPECT_DOUBLE_EQ(RunMining("regression", "average", segs).Get("pred").number(), 3);
  EXPECT_DOUBLE_EQ(RunMining("regression", "weightedAverage", segs).Get("pred").number(), 7.0 / 4.0);
  EXPECT_DOUBLE_EQ(RunMining("regression", "sum", segs).Get("pred").number(), 9);
  EXPECT_DOUBLE_EQ(RunMining("regression", "median", segs).Get("pred").number(), 2);
  EXPECT_DOUBLE_EQ(RunMining("regression", "max", segs).Get("pred").number(), 6);
  EXPECT_DOUBLE_EQ(RunMining("regression", "selectFirst", segs).Get("pred").number(), 1);
  std::string guarded =
      RegSegment(1, 1, "<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"5\"/>") + RegSegment(2);
  EXPECT_DOUBLE_EQ(RunMining("regression", "selectFirst", guarded, 1).Get("pred").number(), 2);
  EXPECT_DOUBLE_EQ(RunMining("regression", "selectFirst", guarded, 9).Get("pred").number(), 1);
}

TEST(PmmlMiningTest, ClassificationMethods) {
  std::string segs = ClassSegment("a", 0.6) + ClassSegment("b", 0.9, 0.5) + ClassSegment("a", 0.7);
  auto vote = RunMining("classification", "majorityVote", segs);
  EXPECT_EQ(vote.Get("pred").string(), "a");
  EXPECT_NEAR(vote.Get("pa").number(), 2.0 / 3.0, 1e-12);
  auto weighted_vote =
      RunMining("classification", "weightedMajorityVote", ClassSegment("a", 0.6) + ClassSegment("b", 0.9, 3));
  EXPECT_EQ(weighted_vote.Get("pred").string(), "b");
  EXPECT_NEAR(weighted_vote.Get("pa").number(), 0.25, 1e-12);
  auto average = RunMining("classification", "average", segs);
  EXPECT_NEAR(average.Get("pa").number(), (0.6 + 0.1 + 0.7) / 3, 1e-9);
  auto weighted_average = RunMining("classification", "weightedAverage", segs);
  EXPECT_NEAR(weighted_average.Get("pa").number(), (0.6 + 0.05 + 0.7) / 2.5, 1e-9);
  auto median = RunMining("classification", "median", segs);
  EXPECT_NEAR(median.Get("pa").number(), 0.6, 1e-9);
}

TEST(PmmlMiningTest, ModelChainPassesOutputs) {
  std::string segs =
      "<Segment><True/><RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
      "</MiningSchema><Output><OutputField name=\"first\" feature=\"predictedValue\"/></Output>"
      "<RegressionTable intercept=\"1\"><NumericPredictor name=\"x\" coefficient=\"2\"/></RegressionTable>"
      "</RegressionModel></Segment>"
      "<Segment><True/><RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"first\"/>"
      "</MiningSchema><RegressionTable intercept=\"0\"><NumericPredictor name=\"first\" coefficient=\"10\"/>"
      "</RegressionTable></RegressionModel></Segment>";
  EXPECT_DOUBLE_EQ(RunMining("regression", "modelChain", segs, 2).Get("pred").number(), 50);
}

TEST(PmmlMiningTest, SelectAllReturnsEverySegment) {
  // Segments 1 and 3 always run; segment 2 only for x > 5. Results: <field>[<segment id>].
  std::string text =
      Doc(kFields,
          "<MiningModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
          "<MiningField name=\"r\" usageType=\"target\"/></MiningSchema>"
          "<Output><OutputField name=\"from_third\" segmentId=\"3\" feature=\"predictedValue\"/></Output>"
          "<Segmentation multipleModelMethod=\"selectAll\">" +
              RegSegment(1) + RegSegment(2, 1, "<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"5\"/>") +
              "<Segment id=\"3\"><True/><RegressionModel functionName=\"regression\"><MiningSchema>"
              "<MiningField name=\"x\"/></MiningSchema><Output><OutputField name=\"twice\" "
              "feature=\"predictedValue\"/></Output><RegressionTable intercept=\"0\"><NumericPredictor "
              "name=\"x\" coefficient=\"2\"/></RegressionTable></RegressionModel></Segment>"
              "</Segmentation></MiningModel>");
  auto doc = PmmlDocument::Load(text);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  testing::Scored low = testing::ScoreOne(**doc, {{"x", N(1)}});
  ASSERT_TRUE(low.status.ok()) << low.status.message();
  EXPECT_DOUBLE_EQ(low.Get("r[1]").number(), 1);
  EXPECT_TRUE(low.Get("r[2]").missing());  // its predicate is false
  EXPECT_DOUBLE_EQ(low.Get("r[3]").number(), 2);
  EXPECT_DOUBLE_EQ(low.Get("twice[3]").number(), 2);
  EXPECT_DOUBLE_EQ(low.Get("from_third").number(), 2);
  testing::Scored high = testing::ScoreOne(**doc, {{"x", N(9)}});
  EXPECT_DOUBLE_EQ(high.Get("r[2]").number(), 2);
  EXPECT_DOUBLE_EQ(high.Get("twice[3]").number(), 18);

  std::string bad = text;
  bad.replace(bad.find("segmentId=\"3\""), 13, "segmentId=\"9\"");
  auto unknown = PmmlDocument::Load(bad);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("segmentId '9'"), std::string::npos) << unknown.status().message();
}

TEST(PmmlMiningTest, NestedUnsupportedSegmentIsNamed) {
  auto doc = PmmlDocument::Load(Doc(kFields,
                                    "<MiningModel functionName=\"regression\"><MiningSchema/>"
                                    "<Segmentation multipleModelMethod=\"sum\"><Segment><True/>"
                                    "<TimeSeriesModel functionName=\"timeSeries\"/></Segment>"
                                    "</Segmentation></MiningModel>"));
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(doc.status().message().find("TimeSeriesModel"), std::string::npos);
}

/// A regression tree on x: x <= 0 scores `low` (recordCount 1), x > 0 scores `high` (recordCount 3).
std::string TreeSegment(const std::string& strategy, double low, double high, const std::string& mining_extra = "") {
  return "<Segment><True/><TreeModel functionName=\"regression\" missingValueStrategy=\"" + strategy +
         "\"><MiningSchema><MiningField name=\"x\"" + mining_extra +
         "/></MiningSchema><Node recordCount=\"4\" defaultChild=\"hi\"><True/>"
         "<Node id=\"lo\" recordCount=\"1\" score=\"" +
         std::to_string(low) +
         "\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"0\"/></Node>"
         "<Node id=\"hi\" recordCount=\"3\" score=\"" +
         std::to_string(high) +
         "\"><SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"0\"/></Node></Node></TreeModel></Segment>";
}

testing::Scored SumOfTrees(const std::string& segments, const std::map<std::string, Value>& row) {
  auto doc = PmmlDocument::Load(Doc(kFields,
                                    "<MiningModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
                                    "<MiningField name=\"r\" usageType=\"target\"/></MiningSchema>"
                                    "<Segmentation multipleModelMethod=\"sum\">" +
                                        segments + "</Segmentation></MiningModel>"));
  EXPECT_TRUE(doc.ok()) << doc.status().message();
  if (!doc.ok()) return {};
  return testing::ScoreOne(**doc, row);
}

// Tree ensembles are walked without scoring each segment as a model; missing values must still
// follow each tree's missingValueStrategy and each segment's own MiningField treatment.
TEST(PmmlMiningTest, TreeSumFollowsMissingValueStrategies) {
  std::string segs = TreeSegment("defaultChild", 1, 2) + TreeSegment("aggregateNodes", 10, 20);
  EXPECT_DOUBLE_EQ(SumOfTrees(segs, {{"x", N(-1)}}).Get("r").number(), 11);
  EXPECT_DOUBLE_EQ(SumOfTrees(segs, {{"x", N(1)}}).Get("r").number(), 22);
  // x missing: the default child (2) + the record-weighted mean of both leaves ((10 + 3 * 20) / 4).
  EXPECT_DOUBLE_EQ(SumOfTrees(segs, {}).Get("r").number(), 19.5);
  // Text that reads as NaN is missing too, in every segment.
  EXPECT_DOUBLE_EQ(SumOfTrees(segs, {{"x", testing::S("NaN")}}).Get("r").number(), 19.5);
  // A segment's own missingValueReplacement applies (x = -5 in the first tree only).
  std::string replaced =
      TreeSegment("defaultChild", 1, 2, " missingValueReplacement=\"-5\"") + TreeSegment("aggregateNodes", 10, 20);
  EXPECT_DOUBLE_EQ(SumOfTrees(replaced, {}).Get("r").number(), 18.5);
  // One tree without a prediction makes the sum missing.
  EXPECT_TRUE(SumOfTrees(segs + TreeSegment("nullPrediction", 1, 2), {}).Get("r").missing());
  EXPECT_DOUBLE_EQ(SumOfTrees(segs + TreeSegment("nullPrediction", 1, 2), {{"x", N(1)}}).Get("r").number(), 24);
}

// sklearn2pmml's GradientBoostingClassifier: a top-level modelChain without an Output of its own
// returns the final output fields of its last segment (as jpmml-evaluator and pypmml do).
TEST(PmmlMiningTest, ModelChainWithoutOutputReturnsLastSegmentOutputs) {
  std::string text = Doc(
      kFields,
      "<MiningModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
      "<MiningField name=\"r\" usageType=\"target\"/></MiningSchema><Segmentation multipleModelMethod=\"modelChain\">"
      "<Segment><True/><RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
      "</MiningSchema><Output><OutputField name=\"twice\" dataType=\"double\" isFinalResult=\"false\"/></Output>"
      "<RegressionTable intercept=\"0\"><NumericPredictor name=\"x\" coefficient=\"2\"/></RegressionTable>"
      "</RegressionModel></Segment>"
      "<Segment><True/><RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"twice\"/>"
      "</MiningSchema><Output><OutputField name=\"plus_one\" dataType=\"double\"/>"
      "<OutputField name=\"hidden\" dataType=\"double\" isFinalResult=\"false\"/></Output>"
      "<RegressionTable intercept=\"1\"><NumericPredictor name=\"twice\" coefficient=\"1\"/></RegressionTable>"
      "</RegressionModel></Segment></Segmentation></MiningModel>");
  auto doc = PmmlDocument::Load(text);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  std::vector<std::string> outputs;
  for (const PmmlDocument::Result& r : (*doc)->results()) {
    if (!r.is_target) outputs.push_back(r.name);
  }
  EXPECT_EQ(outputs, std::vector<std::string>{"plus_one"});
  testing::Scored s = testing::ScoreOne(**doc, {{"x", N(3)}});
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_DOUBLE_EQ(s.Get("plus_one").number(), 7);
  EXPECT_DOUBLE_EQ(s.Get("r").number(), 7);
}

}  // namespace
}  // namespace mlserving::formats::pmml

#include "formats/pmml/tree_model.h"

#include <gtest/gtest.h>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;
using testing::S;

/// The DMG golfing tree with confidences (PMML spec, TreeModel missing value handling).
std::string Golf(const std::string& attributes) {
  return Doc(
      "<DataField name=\"temperature\" optype=\"continuous\" dataType=\"double\"/>"
      "<DataField name=\"humidity\" optype=\"continuous\" dataType=\"double\"/>"
      "<DataField name=\"outlook\" optype=\"categorical\" dataType=\"string\"><Value value=\"sunny\"/>"
      "<Value value=\"overcast\"/><Value value=\"rain\"/></DataField>"
      "<DataField name=\"whatIdo\" optype=\"categorical\" dataType=\"string\"><Value value=\"will play\"/>"
      "<Value value=\"may play\"/><Value value=\"no play\"/></DataField>",
      "<TreeModel functionName=\"classification\" " + attributes +
          "><MiningSchema><MiningField name=\"temperature\"/><MiningField name=\"humidity\"/>"
          "<MiningField name=\"outlook\"/><MiningField name=\"whatIdo\" usageType=\"target\"/></MiningSchema>"
          "<Output><OutputField name=\"confidence\" feature=\"confidence\"/><OutputField name=\"node\" "
          "feature=\"entityId\"/></Output>"
          "<Node id=\"1\" score=\"will play\" recordCount=\"100\" defaultChild=\"2\"><True/>"
          "<ScoreDistribution value=\"will play\" recordCount=\"60\" confidence=\"0.6\"/>"
          "<ScoreDistribution value=\"may play\" recordCount=\"30\" confidence=\"0.3\"/>"
          "<ScoreDistribution value=\"no play\" recordCount=\"10\" confidence=\"0.1\"/>"
          "<Node id=\"2\" score=\"will play\" recordCount=\"50\" defaultChild=\"3\">"
          "<SimplePredicate field=\"outlook\" operator=\"equal\" value=\"sunny\"/>"
          "<ScoreDistribution value=\"will play\" recordCount=\"40\" confidence=\"0.8\"/>"
          "<ScoreDistribution value=\"may play\" recordCount=\"2\" confidence=\"0.04\"/>"
          "<ScoreDistribution value=\"no play\" recordCount=\"8\" confidence=\"0.16\"/>"
          "<Node id=\"3\" score=\"will play\" recordCount=\"40\"><CompoundPredicate booleanOperator=\"surrogate\">"
          "<SimplePredicate field=\"temperature\" operator=\"greaterOrEqual\" value=\"50\"/>"
          "<SimplePredicate field=\"humidity\" operator=\"lessThan\" value=\"80\"/></CompoundPredicate>"
          "<ScoreDistribution value=\"will play\" recordCount=\"36\" confidence=\"0.9\"/>"
          "<ScoreDistribution value=\"may play\" recordCount=\"2\" confidence=\"0.05\"/>"
          "<ScoreDistribution value=\"no play\" recordCount=\"2\" confidence=\"0.05\"/></Node>"
          "<Node id=\"4\" score=\"no play\" recordCount=\"10\"><CompoundPredicate booleanOperator=\"surrogate\">"
          "<SimplePredicate field=\"temperature\" operator=\"lessThan\" value=\"50\"/>"
          "<SimplePredicate field=\"humidity\" operator=\"greaterOrEqual\" value=\"80\"/></CompoundPredicate>"
          "<ScoreDistribution value=\"will play\" recordCount=\"4\" confidence=\"0.4\"/>"
          "<ScoreDistribution value=\"may play\" recordCount=\"0\" confidence=\"0.0\"/>"
          "<ScoreDistribution value=\"no play\" recordCount=\"6\" confidence=\"0.6\"/></Node></Node>"
          "<Node id=\"5\" score=\"may play\" recordCount=\"50\"><CompoundPredicate booleanOperator=\"or\">"
          "<SimplePredicate field=\"outlook\" operator=\"equal\" value=\"overcast\"/>"
          "<SimplePredicate field=\"outlook\" operator=\"equal\" value=\"rain\"/></CompoundPredicate>"
          "<ScoreDistribution value=\"will play\" recordCount=\"20\" confidence=\"0.4\"/>"
          "<ScoreDistribution value=\"may play\" recordCount=\"28\" confidence=\"0.56\"/>"
          "<ScoreDistribution value=\"no play\" recordCount=\"2\" confidence=\"0.04\"/></Node></Node></TreeModel>");
}

testing::Scored Score(const std::string& attributes, const std::map<std::string, Value>& row) {
  auto doc = testing::MustLoad(Golf(attributes));
  EXPECT_NE(doc, nullptr);
  if (!doc) return {};
  return testing::ScoreOne(*doc, row);
}

TEST(PmmlTreeTest, CompleteInputFollowsTrueChildren) {
  auto r = Score("", {{"temperature", N(45)}, {"humidity", N(60)}, {"outlook", S("sunny")}});
  EXPECT_EQ(r.Get("whatIdo").string(), "no play");
  EXPECT_DOUBLE_EQ(r.Get("confidence").number(), 0.6);
  EXPECT_EQ(r.Get("node").string(), "4");
}

TEST(PmmlTreeTest, MissingValueStrategies) {
  std::map<std::string, Value> sunny{{"outlook", S("sunny")}};
  auto last = Score("missingValueStrategy=\"lastPrediction\"", sunny);
  EXPECT_EQ(last.Get("whatIdo").string(), "will play");
  EXPECT_DOUBLE_EQ(last.Get("confidence").number(), 0.8);
  EXPECT_TRUE(Score("missingValueStrategy=\"nullPrediction\"", sunny).Get("whatIdo").missing());
  auto weighted = Score("missingValueStrategy=\"weightedConfidence\"", sunny);
  EXPECT_EQ(weighted.Get("whatIdo").string(), "will play");
  EXPECT_NEAR(weighted.Get("confidence").number(), 0.8, 1e-12);
  auto weighted_empty = Score("missingValueStrategy=\"weightedConfidence\"", {});
  EXPECT_NEAR(weighted_empty.Get("confidence").number(), 0.6, 1e-12);
  auto aggregate = Score("missingValueStrategy=\"aggregateNodes\"", {{"temperature", N(45)}, {"humidity", N(90)}});
  EXPECT_EQ(aggregate.Get("whatIdo").string(), "may play");
  EXPECT_NEAR(aggregate.Get("confidence").number(), 28.0 / 60.0, 1e-12);
  auto def = Score("missingValueStrategy=\"defaultChild\" missingValuePenalty=\"0.8\"",
                   {{"temperature", N(40)}, {"humidity", N(70)}});
  EXPECT_EQ(def.Get("whatIdo").string(), "no play");
  EXPECT_NEAR(def.Get("confidence").number(), 0.48, 1e-12);
  // none: unknown predicates count as false; no true child -> null prediction by default.
  EXPECT_TRUE(Score("missingValueStrategy=\"none\"", {}).Get("whatIdo").missing());
  EXPECT_EQ(
      Score("missingValueStrategy=\"none\" noTrueChildStrategy=\"returnLastPrediction\"", {}).Get("whatIdo").string(),
      "will play");
}

TEST(PmmlTreeTest, RegressionTreeAndErrors) {
  std::string text =
      Doc("<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
          "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>",
          "<TreeModel functionName=\"regression\" splitCharacteristic=\"binarySplit\"><MiningSchema>"
          "<MiningField name=\"x\"/><MiningField name=\"y\" usageType=\"target\"/></MiningSchema>"
          "<Node score=\"0\"><True/><Node score=\"1.5\"><SimplePredicate field=\"x\" operator=\"lessThan\" "
          "value=\"3\"/></Node><Node score=\"2.5\"><SimpleSetPredicate field=\"x\" booleanOperator=\"isIn\">"
          "<Array type=\"real\">3 4 5</Array></SimpleSetPredicate></Node></Node></TreeModel>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(testing::ScoreOne(*doc, {{"x", N(1)}}).Get("y").number(), 1.5);
  EXPECT_EQ(testing::ScoreOne(*doc, {{"x", N(4)}}).Get("y").number(), 2.5);
  EXPECT_TRUE(testing::ScoreOne(*doc, {{"x", N(9)}}).Get("y").missing());
  auto bad = PmmlDocument::Load(Doc("",
                                    "<TreeModel functionName=\"regression\"><MiningSchema/>"
                                    "<Node score=\"abc\"><True/></Node></TreeModel>"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("abc"), std::string::npos);
}

}  // namespace
}  // namespace mlserving::formats::pmml

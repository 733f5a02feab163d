#include "formats/pmml/scorecard.h"

#include <gtest/gtest.h>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;
using testing::S;

const char* kFields =
    "<DataField name=\"dept\" optype=\"categorical\" dataType=\"string\"/>"
    "<DataField name=\"income\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"score\" optype=\"continuous\" dataType=\"double\"/>";

std::string Model(const std::string& attributes) {
  return Doc(kFields,
             "<Scorecard functionName=\"regression\" initialScore=\"10\" " + attributes +
                 "><MiningSchema><MiningField name=\"dept\"/><MiningField name=\"income\"/><MiningField name=\"score\" "
                 "usageType=\"target\"/></MiningSchema><Output><OutputField name=\"s\" feature=\"predictedValue\"/>"
                 "<OutputField name=\"rc1\" feature=\"reasonCode\" rank=\"1\"/><OutputField name=\"rc2\" "
                 "feature=\"reasonCode\" rank=\"2\"/></Output><Characteristics><Characteristic name=\"d\" "
                 "reasonCode=\"RD\" baselineScore=\"5\"><Attribute partialScore=\"-1\"><SimplePredicate field=\"dept\" "
                 "operator=\"isMissing\"/></Attribute><Attribute partialScore=\"2\" reasonCode=\"RS\"><SimplePredicate "
                 "field=\"dept\" operator=\"equal\" value=\"sales\"/></Attribute><Attribute partialScore=\"4\"><True/>"
                 "</Attribute></Characteristic><Characteristic name=\"i\" reasonCode=\"RI\" baselineScore=\"20\">"
                 "<Attribute><SimplePredicate field=\"income\" operator=\"greaterThan\" value=\"0\"/>"
                 "<ComplexPartialScore><Apply function=\"*\"><Constant>0.01</Constant><FieldRef field=\"income\"/>"
                 "</Apply></ComplexPartialScore></Attribute></Characteristic></Characteristics></Scorecard>");
}

TEST(PmmlScorecardTest, ScoreAndReasonCodes) {
  auto doc = testing::MustLoad(Model(""));
  ASSERT_NE(doc, nullptr);
  // sales: 2 (RS: 5 - 2 = 3); income 1000: 10 (RI: 20 - 10 = 10).
  auto r = testing::ScoreOne(*doc, {{"dept", S("sales")}, {"income", N(1000)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_DOUBLE_EQ(r.Get("s").number(), 22);
  EXPECT_EQ(r.Get("rc1").string(), "RI");
  EXPECT_EQ(r.Get("rc2").string(), "RS");
  // pointsAbove: income 3000 gives RI 30 - 20 = 10; RS 2 - 5 = -3 is negative, so no reason, and
  // RD (no matched attribute carries it) is none either: rank 2 is missing (jpmml's ranking).
  auto above = testing::MustLoad(Model("reasonCodeAlgorithm=\"pointsAbove\""));
  r = testing::ScoreOne(*above, {{"dept", S("sales")}, {"income", N(3000)}});
  EXPECT_EQ(r.Get("rc1").string(), "RI");
  EXPECT_TRUE(r.Get("rc2").missing());
  // pointsBelow with income 3000: RS 3 and RI -10 -> only RS.
  r = testing::ScoreOne(*doc, {{"dept", S("sales")}, {"income", N(3000)}});
  EXPECT_EQ(r.Get("rc1").string(), "RS");
  EXPECT_TRUE(r.Get("rc2").missing());
  // No matching attribute (income <= 0): no score.
  EXPECT_TRUE(testing::ScoreOne(*doc, {{"dept", S("x")}, {"income", N(-1)}}).Get("s").missing());
}

TEST(PmmlScorecardTest, WithoutReasonCodes) {
  auto doc = testing::MustLoad(Model("useReasonCodes=\"false\""));
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"income", N(100)}});
  EXPECT_DOUBLE_EQ(r.Get("s").number(), 10 - 1 + 1);
  EXPECT_TRUE(r.Get("rc1").missing());
}

}  // namespace
}  // namespace mlserving::formats::pmml

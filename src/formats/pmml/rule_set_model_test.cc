#include "formats/pmml/rule_set_model.h"

#include <gtest/gtest.h>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;

const char* kFields =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"k\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value value=\"b\"/>"
    "</DataField>";

/// R1 (x > 0): a, weight 0.3; compound (x > 1) { R2 (x > 2): b, weight 0.9; R3 (True): a, weight 0.4 }.
std::string Model(const std::string& criterion, const std::string& defaults = "") {
  return Doc(kFields,
             "<RuleSetModel functionName=\"classification\"><MiningSchema><MiningField name=\"x\"/><MiningField "
             "name=\"k\" usageType=\"target\"/></MiningSchema><Output><OutputField name=\"conf\" "
             "feature=\"confidence\"/><OutputField name=\"rule\" feature=\"entityId\"/><OutputField name=\"pb\" "
             "feature=\"probability\" value=\"b\"/></Output><RuleSet " +
                 defaults + "><RuleSelectionMethod criterion=\"" + criterion +
                 "\"/><SimpleRule id=\"R1\" score=\"a\" weight=\"0.3\" confidence=\"0.6\"><SimplePredicate "
                 "field=\"x\" operator=\"greaterThan\" value=\"0\"/></SimpleRule><CompoundRule><SimplePredicate "
                 "field=\"x\" operator=\"greaterThan\" value=\"1\"/><SimpleRule id=\"R2\" score=\"b\" weight=\"0.9\" "
                 "confidence=\"0.8\"><SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"2\"/>"
                 "<ScoreDistribution value=\"a\" recordCount=\"1\"/><ScoreDistribution value=\"b\" recordCount=\"3\"/>"
                 "</SimpleRule><SimpleRule id=\"R3\" score=\"a\" weight=\"0.4\" confidence=\"0.5\"><True/></SimpleRule>"
                 "</CompoundRule></RuleSet></RuleSetModel>");
}

TEST(PmmlRuleSetTest, SelectionMethods) {
  auto first = testing::MustLoad(Model("firstHit"));
  ASSERT_NE(first, nullptr);
  auto r = testing::ScoreOne(*first, {{"x", N(3)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.Get("k").string(), "a");
  EXPECT_EQ(r.Get("rule").string(), "R1");
  EXPECT_DOUBLE_EQ(r.Get("conf").number(), 0.6);

  auto max = testing::MustLoad(Model("weightedMax"));
  r = testing::ScoreOne(*max, {{"x", N(3)}});
  EXPECT_EQ(r.Get("k").string(), "b");
  EXPECT_EQ(r.Get("rule").string(), "R2");
  EXPECT_DOUBLE_EQ(r.Get("conf").number(), 0.8);
  EXPECT_DOUBLE_EQ(r.Get("pb").number(), 0.75);

  // weightedSum, x = 3: a = 0.3 + 0.4, b = 0.9 over 3 firing rules.
  auto sum = testing::MustLoad(Model("weightedSum"));
  r = testing::ScoreOne(*sum, {{"x", N(3)}});
  EXPECT_EQ(r.Get("k").string(), "b");
  EXPECT_NEAR(r.Get("conf").number(), 0.3, 1e-12);
  // x = 1.5: R1 and R3 fire, both a.
  r = testing::ScoreOne(*sum, {{"x", N(1.5)}});
  EXPECT_EQ(r.Get("k").string(), "a");
  EXPECT_NEAR(r.Get("conf").number(), 0.35, 1e-12);
}

TEST(PmmlRuleSetTest, DefaultScore) {
  auto none = testing::MustLoad(Model("firstHit"));
  EXPECT_TRUE(testing::ScoreOne(*none, {{"x", N(-1)}}).Get("k").missing());
  auto with = testing::MustLoad(Model("firstHit", "defaultScore=\"b\" defaultConfidence=\"0.1\""));
  ASSERT_NE(with, nullptr);
  auto r = testing::ScoreOne(*with, {{"x", N(-1)}});
  EXPECT_EQ(r.Get("k").string(), "b");
  EXPECT_DOUBLE_EQ(r.Get("conf").number(), 0.1);
  EXPECT_EQ(testing::MustLoad(Model("bogus")), nullptr);
}

}  // namespace
}  // namespace mlserving::formats::pmml

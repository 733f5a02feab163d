#include "formats/pmml/association_model.h"

#include <gtest/gtest.h>

#include "formats/pmml/pmml_model.h"
#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::S;

const char* kFields =
    "<DataField name=\"basket\" optype=\"categorical\" dataType=\"string\"/>"
    "<DataField name=\"item\" optype=\"categorical\" dataType=\"string\"/>";

/// Items beer, chips, wine; rules: 1 {beer}->{chips} (support .3, confidence .9, lift 2),
/// 2 {beer}->{wine} (.4, .6, 3), 3 {beer,chips}->{wine} (.2, .95, 1.5).
std::string Rules(const std::string& outputs) {
  return Doc(kFields,
             "<AssociationModel functionName=\"associationRules\" numberOfTransactions=\"10\" minimumSupport=\"0.1\" "
             "minimumConfidence=\"0.5\" numberOfItems=\"3\" numberOfItemsets=\"5\" numberOfRules=\"3\">"
             "<MiningSchema><MiningField name=\"basket\" usageType=\"group\"/><MiningField name=\"item\"/>"
             "</MiningSchema><Output>" +
                 outputs +
                 "</Output>"
                 "<Item id=\"1\" value=\"beer\"/><Item id=\"2\" value=\"chips\"/><Item id=\"3\" value=\"wine\"/>"
                 "<Itemset id=\"A\"><ItemRef itemRef=\"1\"/></Itemset>"
                 "<Itemset id=\"B\"><ItemRef itemRef=\"2\"/></Itemset>"
                 "<Itemset id=\"C\"><ItemRef itemRef=\"3\"/></Itemset>"
                 "<Itemset id=\"AB\"><ItemRef itemRef=\"1\"/><ItemRef itemRef=\"2\"/></Itemset>"
                 "<AssociationRule support=\"0.3\" confidence=\"0.9\" lift=\"2\" antecedent=\"A\" consequent=\"B\"/>"
                 "<AssociationRule support=\"0.4\" confidence=\"0.6\" lift=\"3\" antecedent=\"A\" consequent=\"C\"/>"
                 "<AssociationRule support=\"0.2\" confidence=\"0.95\" lift=\"1.5\" antecedent=\"AB\" "
                 "consequent=\"C\"/>"
                 "</AssociationModel>");
}

/// Scores one transaction given as its items.
testing::Scored ScoreBasket(const PmmlDocument& doc, const std::vector<std::string>& items) {
  auto ctx = doc.NewContext();
  ctx->BeginRow();
  std::vector<Value> values;
  for (const std::string& i : items) values.push_back(S(i));
  const PmmlDocument::Input& in = doc.inputs().front();
  if (!values.empty()) ctx->Set(in.slot, values.front());
  ctx->SetCollection(in.slot, std::move(values));
  testing::Scored out;
  out.status = doc.ScoreRow(*ctx);
  for (const auto& r : doc.results()) out.results[r.name] = doc.ResultValue(*ctx, r);
  return out;
}

TEST(PmmlAssociationTest, AlgorithmsRanksAndFeatures) {
  std::string outputs =
      // exclusiveRecommendation (default), by confidence: {beer} -> rules 1 (.9), 2 (.6).
      "<OutputField name=\"rec1\" feature=\"ruleValue\" ruleFeature=\"consequent\"/>"
      "<OutputField name=\"rec2\" feature=\"ruleValue\" ruleFeature=\"consequent\" rank=\"2\"/>"
      "<OutputField name=\"rec3\" feature=\"ruleValue\" ruleFeature=\"consequent\" rank=\"3\"/>"
      "<OutputField name=\"id_by_lift\" feature=\"ruleValue\" ruleFeature=\"ruleId\" rankBasis=\"lift\"/>"
      "<OutputField name=\"support_low\" feature=\"ruleValue\" ruleFeature=\"support\" rankBasis=\"support\" "
      "rankOrder=\"ascending\"/>"
      "<OutputField name=\"rule\" feature=\"ruleValue\" ruleFeature=\"rule\" algorithm=\"recommendation\"/>"
      "<OutputField name=\"assoc\" feature=\"ruleValue\" ruleFeature=\"antecedent\" algorithm=\"ruleAssociation\"/>"
      "<OutputField name=\"entity\" feature=\"entityId\" algorithm=\"recommendation\"/>";
  auto doc = testing::MustLoad(Rules(outputs));
  ASSERT_NE(doc, nullptr);
  ASSERT_NE(doc->group(), nullptr);
  EXPECT_EQ(doc->group()->name, "basket");

  testing::Scored beer = ScoreBasket(*doc, {"beer"});
  ASSERT_TRUE(beer.status.ok()) << beer.status.message();
  EXPECT_EQ(beer.Get("rec1").AsString(), "{chips}");
  EXPECT_EQ(beer.Get("rec2").AsString(), "{wine}");
  EXPECT_TRUE(beer.Get("rec3").missing());
  EXPECT_EQ(beer.Get("id_by_lift").AsString(), "2");
  EXPECT_DOUBLE_EQ(beer.Get("support_low").number(), 0.3);
  EXPECT_EQ(beer.Get("rule").AsString(), "{beer}->{chips}");
  EXPECT_TRUE(beer.Get("assoc").missing());

  // {beer, chips, unknown}: exclusive drops rule 1 (chips already bought); rule 3 fires (.95).
  testing::Scored both = ScoreBasket(*doc, {"chips", "beer", "unknown"});
  EXPECT_EQ(both.Get("rec1").AsString(), "{wine}");
  EXPECT_EQ(both.Get("entity").AsString(), "3");      // recommendation, by confidence: rule 3
  EXPECT_EQ(both.Get("assoc").AsString(), "{beer}");  // ruleAssociation: only rule 1 is contained

  testing::Scored empty = ScoreBasket(*doc, {});
  EXPECT_TRUE(empty.Get("rec1").missing());
}

TEST(PmmlAssociationTest, ServedModelGroupsRowsIntoTransactions) {
  auto evaluator =
      LoadPmmlBytes(Rules("<OutputField name=\"rec\" feature=\"ruleValue\" ruleFeature=\"consequent\"/>"), "r.pmml");
  ASSERT_TRUE(evaluator.ok()) << evaluator.status().message();
  const Signature& sig = (*evaluator)->Describe();
  ASSERT_EQ(sig.inputs.size(), 2u);
  EXPECT_EQ(sig.inputs[0].name, "basket");
  EXPECT_EQ(sig.inputs[1].name, "item");
  ASSERT_EQ(sig.outputs.size(), 2u);
  EXPECT_EQ(sig.outputs[0].name, "basket");
  EXPECT_EQ(sig.outputs[1].name, "rec");
  // Three rows, two transactions (t1 = {beer, chips} in rows 0 and 2, t2 = {beer}).
  TensorMap inputs;
  inputs.emplace("basket", Tensor::FromVector<std::string>({3}, {"t1", "t2", "t1"}));
  inputs.emplace("item", Tensor::FromVector<std::string>({3}, {"beer", "beer", "chips"}));
  auto out = (*evaluator)->Evaluate(inputs, EvaluationContext{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const Tensor& baskets = out->at("basket");
  const Tensor& recs = out->at("rec");
  ASSERT_EQ(recs.num_elements(), 2);
  EXPECT_EQ(baskets.data<std::string>()[0], "t1");
  EXPECT_EQ(recs.data<std::string>()[0], "{wine}");
  EXPECT_EQ(baskets.data<std::string>()[1], "t2");
  EXPECT_EQ(recs.data<std::string>()[1], "{chips}");
  // A row without a transaction id cannot be grouped.
  TensorMap missing;
  missing.emplace("basket", Tensor::FromVector<std::string>({1}, {""}));
  missing.emplace("item", Tensor::FromVector<std::string>({1}, {"beer"}));
  auto bad = (*evaluator)->Evaluate(missing, EvaluationContext{});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(PmmlAssociationTest, BadReferencesFailAtLoad) {
  std::string text = Rules("");
  size_t at = text.find("consequent=\"B\"");
  text.replace(at, 14, "consequent=\"Z\"");
  auto r = PmmlDocument::Load(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown Itemset 'Z'"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace mlserving::formats::pmml

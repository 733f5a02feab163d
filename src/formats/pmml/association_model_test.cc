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

TEST(PmmlAssociationTest, ItemPerFieldInput) {
  // One row per transaction (no group field); items are field=value pairs, a field/category
  // Item and a true/false flag field:
  //   1 color=red, 2 size=L, 3 organic (flag), 4 field color category blue.
  // Rules (id: antecedent -> consequent, confidence): 1: {1}->{2} .8, 2: {1}->{3} .7,
  // 3: {4}->{2} .6, 4: {1,3}->{2} .9. jpmml-evaluator 1.7.7 (tools/.venv-pmml) gives the same
  // answers on this document: 4 / 1 / {color=red,organic}->{size=L}, then - / - / {blue}->{size=L}.
  std::string text =
      Doc("<DataField name=\"color\" optype=\"categorical\" dataType=\"string\"/>"
          "<DataField name=\"size\" optype=\"categorical\" dataType=\"string\"/>"
          "<DataField name=\"organic\" optype=\"categorical\" dataType=\"string\"/>",
          "<AssociationModel functionName=\"associationRules\" numberOfTransactions=\"10\" minimumSupport=\"0.1\" "
          "minimumConfidence=\"0.5\" numberOfItems=\"4\" numberOfItemsets=\"5\" numberOfRules=\"4\">"
          "<MiningSchema><MiningField name=\"color\"/><MiningField name=\"size\"/><MiningField name=\"organic\"/>"
          "</MiningSchema><Output>"
          "<OutputField name=\"best\" feature=\"ruleValue\" ruleFeature=\"ruleId\"/>"
          "<OutputField name=\"second\" feature=\"ruleValue\" ruleFeature=\"ruleId\" rank=\"2\"/>"
          "<OutputField name=\"any\" feature=\"ruleValue\" ruleFeature=\"rule\" algorithm=\"recommendation\"/>"
          "</Output>"
          "<Item id=\"1\" value=\"color=red\"/><Item id=\"2\" value=\"size=L\"/><Item id=\"3\" value=\"organic\"/>"
          "<Item id=\"4\" value=\"blue\" field=\"color\" category=\"blue\"/>"
          "<Itemset id=\"A\"><ItemRef itemRef=\"1\"/></Itemset><Itemset id=\"B\"><ItemRef itemRef=\"2\"/></Itemset>"
          "<Itemset id=\"C\"><ItemRef itemRef=\"3\"/></Itemset><Itemset id=\"D\"><ItemRef itemRef=\"4\"/></Itemset>"
          "<Itemset id=\"AC\"><ItemRef itemRef=\"1\"/><ItemRef itemRef=\"3\"/></Itemset>"
          "<AssociationRule id=\"1\" support=\"0.3\" confidence=\"0.8\" antecedent=\"A\" consequent=\"B\"/>"
          "<AssociationRule id=\"2\" support=\"0.3\" confidence=\"0.7\" antecedent=\"A\" consequent=\"C\"/>"
          "<AssociationRule id=\"3\" support=\"0.3\" confidence=\"0.6\" antecedent=\"D\" consequent=\"B\"/>"
          "<AssociationRule id=\"4\" support=\"0.2\" confidence=\"0.9\" antecedent=\"AC\" consequent=\"B\"/>"
          "</AssociationModel>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->group(), nullptr);
  ASSERT_EQ(doc->inputs().size(), 3u);
  // red, S, organic: items {1, 3}. Exclusive recommendation keeps rules whose antecedent is in
  // and consequent is not: rule 1 (.8) and rule 4 (.9); rule 2's consequent {3} is in.
  testing::Scored red = testing::ScoreOne(*doc, {{"color", S("red")}, {"size", S("S")}, {"organic", S("true")}});
  ASSERT_TRUE(red.status.ok()) << red.status.message();
  EXPECT_EQ(red.Get("best").AsString(), "4");
  EXPECT_EQ(red.Get("second").AsString(), "1");
  // blue, L, not organic: items {4, 2}: rule 3's consequent is already in (no exclusive
  // recommendation); plain recommendation reports it.
  testing::Scored blue = testing::ScoreOne(*doc, {{"color", S("blue")}, {"size", S("L")}, {"organic", S("0")}});
  ASSERT_TRUE(blue.status.ok()) << blue.status.message();
  EXPECT_TRUE(blue.Get("best").missing());
  EXPECT_EQ(blue.Get("any").AsString(), "{blue}->{size=L}");
  // A flag field must be true or false.
  testing::Scored bad = testing::ScoreOne(*doc, {{"color", S("red")}, {"organic", S("maybe")}});
  ASSERT_FALSE(bad.status.ok());
  EXPECT_NE(bad.status.message().find("organic"), std::string::npos) << bad.status.message();

  // An Item value that names no field, with several active fields: a load error naming it.
  std::string unknown = text;
  unknown.replace(unknown.find("value=\"size=L\""), 14, "value=\"sizeL\"");
  auto r = PmmlDocument::Load(unknown);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("<Item id='2' value='sizeL'>"), std::string::npos) << r.status().message();
}

TEST(PmmlAssociationTest, MultisetAggregateFormsTransactionsWithoutAGroupField) {
  // The item field is a derived multiset of the request's rows grouped by basket: every row is
  // scored with its basket's items (t1 = {beer, chips}, t2 = {beer}).
  std::string text = Rules("<OutputField name=\"rec\" feature=\"ruleValue\" ruleFeature=\"consequent\"/>");
  text.replace(text.find("<MiningField name=\"basket\" usageType=\"group\"/><MiningField name=\"item\"/>"),
               std::string("<MiningField name=\"basket\" usageType=\"group\"/><MiningField name=\"item\"/>").size(),
               "<MiningField name=\"items\"/>");
  text.replace(text.find("<AssociationModel"), 0,
               "<TransformationDictionary><DerivedField name=\"items\" optype=\"categorical\" dataType=\"string\">"
               "<Aggregate field=\"item\" function=\"multiset\" groupField=\"basket\"/></DerivedField>"
               "</TransformationDictionary>");
  auto evaluator = LoadPmmlBytes(text, "r.pmml");
  ASSERT_TRUE(evaluator.ok()) << evaluator.status().message();
  TensorMap inputs;
  inputs.emplace("basket", Tensor::FromVector<std::string>({3}, {"t1", "t2", "t1"}));
  inputs.emplace("item", Tensor::FromVector<std::string>({3}, {"beer", "beer", "chips"}));
  auto out = (*evaluator)->Evaluate(inputs, EvaluationContext{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const Tensor& recs = out->at("rec");
  ASSERT_EQ(recs.num_elements(), 3);
  // t1: rule 1 (beer -> chips) is excluded (chips bought), rule 3 ({beer, chips} -> wine, .95)
  // beats rule 2 (.6); t2: rule 1 (.9).
  EXPECT_EQ(recs.data<std::string>()[0], "{wine}");
  EXPECT_EQ(recs.data<std::string>()[1], "{chips}");
  EXPECT_EQ(recs.data<std::string>()[2], "{wine}");
}

TEST(PmmlAssociationTest, MultiValuedOutputsListTheTopRanks) {
  // isMultiValued="1" with rank 3: the consequents of the 3 best rules, as recs[1..3].
  // {beer}, exclusive recommendation by confidence: rule 1 {chips} (.9), rule 2 {wine} (.6).
  auto doc = testing::MustLoad(
      Rules("<OutputField name=\"recs\" feature=\"ruleValue\" ruleFeature=\"consequent\" rank=\"3\" "
            "isMultiValued=\"1\"/><OutputField name=\"ids\" feature=\"entityId\" rank=\"2\" isMultiValued=\"1\"/>"));
  ASSERT_NE(doc, nullptr);
  std::vector<std::string> names;
  for (const auto& r : doc->results()) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"recs[1]", "recs[2]", "recs[3]", "ids[1]", "ids[2]"}));
  testing::Scored beer = ScoreBasket(*doc, {"beer"});
  ASSERT_TRUE(beer.status.ok()) << beer.status.message();
  EXPECT_EQ(beer.Get("recs[1]").AsString(), "{chips}");
  EXPECT_EQ(beer.Get("recs[2]").AsString(), "{wine}");
  EXPECT_TRUE(beer.Get("recs[3]").missing());
  EXPECT_EQ(beer.Get("ids[1]").AsString(), "1");
  EXPECT_EQ(beer.Get("ids[2]").AsString(), "2");
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

#include "formats/pmml/nearest_neighbor_model.h"

#include <gtest/gtest.h>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;
using testing::S;

const char* kFields =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"/>"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"label\" optype=\"categorical\" dataType=\"string\"/>";

/// Four instances: x = 0, 1, 2, 10 with y = 0, 10, 20, 100, labels a, b, b, a and c = u, v, u, v.
const char* kInstances =
    "<TrainingInstances><InstanceFields><InstanceField field=\"ID\" column=\"id\"/>"
    "<InstanceField field=\"x\" column=\"xc\"/><InstanceField field=\"c\" column=\"cc\"/>"
    "<InstanceField field=\"y\" column=\"yc\"/><InstanceField field=\"label\" column=\"lc\"/></InstanceFields>"
    "<InlineTable>"
    "<row><id>i0</id><xc>0</xc><cc>u</cc><yc>0</yc><lc>a</lc></row>"
    "<row><id>i1</id><xc>1</xc><cc>v</cc><yc>10</yc><lc>b</lc></row>"
    "<row><id>i2</id><xc>2</xc><cc>u</cc><yc>20</yc><lc>b</lc></row>"
    "<row><id>i3</id><xc>10</xc><cc>v</cc><yc>100</yc><lc>a</lc></row>"
    "</InlineTable></TrainingInstances>";

std::string Knn(const std::string& function, const std::string& attrs, const std::string& schema,
                const std::string& inputs, const std::string& extra = "") {
  return Doc(kFields, "<NearestNeighborModel functionName=\"" + function + "\" " + attrs +
                          " instanceIdVariable=\"ID\"><MiningSchema>" + schema + "</MiningSchema>" + extra +
                          kInstances +
                          "<ComparisonMeasure kind=\"distance\"><squaredEuclidean/></ComparisonMeasure>"
                          "<KNNInputs>" +
                          inputs + "</KNNInputs></NearestNeighborModel>");
}

const char* kRegressionSchema = "<MiningField name=\"x\"/><MiningField name=\"y\" usageType=\"target\"/>";
const char* kNeighbourOutputs =
    "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
    "<OutputField name=\"n1\" feature=\"entityId\" rank=\"1\"/>"
    "<OutputField name=\"n2\" feature=\"entityId\" rank=\"2\"/>"
    "<OutputField name=\"d2\" feature=\"affinity\" rank=\"2\"/></Output>";

TEST(PmmlNearestNeighborTest, ContinuousScoringMethods) {
  // x = 0.9: squared distances 0.81, 0.01, 1.21, 82.81 -> neighbours i1 (y 10), i0 (y 0).
  auto score = [](const std::string& method) {
    auto doc = testing::MustLoad(Knn("regression", "numberOfNeighbors=\"2\" continuousScoringMethod=\"" + method + "\"",
                                     kRegressionSchema, "<KNNInput field=\"x\"/>", kNeighbourOutputs));
    EXPECT_NE(doc, nullptr);
    return doc ? testing::ScoreOne(*doc, {{"x", N(0.9)}}) : testing::Scored{};
  };
  testing::Scored average = score("average");
  ASSERT_TRUE(average.status.ok()) << average.status.message();
  EXPECT_DOUBLE_EQ(average.Get("pred").number(), 5.0);
  EXPECT_EQ(average.Get("n1").AsString(), "i1");
  EXPECT_EQ(average.Get("n2").AsString(), "i0");
  EXPECT_NEAR(average.Get("d2").number(), 0.81, 1e-12);
  EXPECT_DOUBLE_EQ(score("median").Get("pred").number(), 5.0);
  double w1 = 1 / (0.01 + 0.001), w0 = 1 / (0.81 + 0.001);
  EXPECT_NEAR(score("weightedAverage").Get("pred").number(), (10 * w1 + 0 * w0) / (w1 + w0), 1e-9);
}

TEST(PmmlNearestNeighborTest, MixedTargetsWithTransformedInstances) {
  // The KNNInput is a derived field: instances (raw x) go through the LocalTransformations at
  // load, so x2 = 2x = 0, 2, 4, 20. x = 1.6 -> x2 = 3.2: neighbours i2 (0.64), i1 (1.44), i0.
  std::string schema =
      "<MiningField name=\"x\"/><MiningField name=\"c\"/><MiningField name=\"y\" usageType=\"target\"/>"
      "<MiningField name=\"label\" usageType=\"target\"/>";
  std::string extra =
      "<Output><OutputField name=\"y_hat\" targetField=\"y\" feature=\"predictedValue\"/>"
      "<OutputField name=\"label_hat\" targetField=\"label\" feature=\"predictedValue\"/></Output>"
      "<LocalTransformations><DerivedField name=\"x2\" optype=\"continuous\" dataType=\"double\">"
      "<Apply function=\"*\"><FieldRef field=\"x\"/><Constant>2</Constant></Apply></DerivedField>"
      "</LocalTransformations>";
  auto doc = testing::MustLoad(Knn("mixed", "numberOfNeighbors=\"3\"", schema, "<KNNInput field=\"x2\"/>", extra));
  ASSERT_NE(doc, nullptr);
  testing::Scored s = testing::ScoreOne(*doc, {{"x", N(1.6)}, {"c", S("u")}});
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_DOUBLE_EQ(s.Get("y_hat").number(), 10.0);  // (20 + 10 + 0) / 3
  EXPECT_EQ(s.Get("label_hat").AsString(), "b");    // b, b, a
  // The targets themselves are results too, each with its own value.
  EXPECT_DOUBLE_EQ(s.Get("y").number(), 10.0);
  EXPECT_EQ(s.Get("label").AsString(), "b");
}

TEST(PmmlNearestNeighborTest, CategoricalInputAndVotes) {
  // Inputs x (absDiff) and c (string: compared by equality). x = 1, c = u:
  // i0: 1 + 0 = 1, i1: 0 + 1 = 1, i2: 1 + 0 = 1, i3: 81 + 1 = 82 -> a three-way tie kept in table
  // order (i0, i1, i2): votes a 1, b 2.
  std::string schema =
      "<MiningField name=\"x\"/><MiningField name=\"c\"/><MiningField name=\"label\" usageType=\"target\"/>";
  std::string outputs =
      "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
      "<OutputField name=\"pb\" feature=\"probability\" value=\"b\"/>"
      "<OutputField name=\"n1\" feature=\"entityId\"/></Output>";
  auto doc =
      testing::MustLoad(Knn("classification", "numberOfNeighbors=\"3\"", schema,
                            "<KNNInput field=\"x\"/><KNNInput field=\"c\" compareFunction=\"delta\"/>", outputs));
  ASSERT_NE(doc, nullptr);
  testing::Scored s = testing::ScoreOne(*doc, {{"x", N(1)}, {"c", S("u")}});
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Get("pred").AsString(), "b");
  EXPECT_NEAR(s.Get("pb").number(), 2.0 / 3.0, 1e-12);
  EXPECT_EQ(s.Get("n1").AsString(), "i0");

  // weightedMajorityVote with k = 2 at x = 9.5, c = v: i3 (0.25) outweighs i1 (72.25).
  auto weighted = testing::MustLoad(Knn("classification",
                                        "numberOfNeighbors=\"2\" categoricalScoringMethod=\"weightedMajorityVote\"",
                                        schema, "<KNNInput field=\"x\"/><KNNInput field=\"c\"/>", outputs));
  ASSERT_NE(weighted, nullptr);
  EXPECT_EQ(testing::ScoreOne(*weighted, {{"x", N(9.5)}, {"c", S("v")}}).Get("pred").AsString(), "a");
  // All inputs missing: no prediction.
  EXPECT_TRUE(testing::ScoreOne(*weighted, {}).Get("pred").missing());
}

TEST(PmmlNearestNeighborTest, GaussSimUsesTheInputsSimilarityScale) {
  // gaussSim: c(x, y) = exp(-ln 2 * (x - y)^2 / s^2), combined by squaredEuclidean as sum c^2.
  // x = 0.9, s = 2: z = 0.9, 0.1, 1.1, 9.1 -> c = 0.869043, 0.998269, 0.810846, 5.86039e-7,
  // so c^2 = 0.755236, 0.996540, 0.657471, 3.43442e-13: the smallest are i3 (y 100), then i2 (y 20): average 60.
  auto doc = testing::MustLoad(Knn("regression", "numberOfNeighbors=\"2\"", kRegressionSchema,
                                   "<KNNInput field=\"x\" compareFunction=\"gaussSim\" similarityScale=\"2\"/>",
                                   kNeighbourOutputs));
  ASSERT_NE(doc, nullptr);
  testing::Scored r = testing::ScoreOne(*doc, {{"x", N(0.9)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_DOUBLE_EQ(r.Get("pred").number(), 60.0);
  EXPECT_EQ(r.Get("n1").AsString(), "i3");
  EXPECT_EQ(r.Get("n2").AsString(), "i2");
  EXPECT_NEAR(r.Get("d2").number(), 0.6574713801025354, 1e-12);

  // Without a similarityScale (the KNNInput schema has none) or with 'table' (no Comparisons
  // matrix in k-NN): clear load errors naming the input.
  auto no_scale = PmmlDocument::Load(Knn("regression", "numberOfNeighbors=\"1\"", kRegressionSchema,
                                         "<KNNInput field=\"x\" compareFunction=\"gaussSim\"/>"));
  ASSERT_FALSE(no_scale.ok());
  EXPECT_NE(no_scale.status().message().find("similarityScale"), std::string::npos) << no_scale.status().message();
  auto table = PmmlDocument::Load(Knn("regression", "numberOfNeighbors=\"1\"", kRegressionSchema,
                                      "<KNNInput field=\"x\" compareFunction=\"table\"/>"));
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("KNNInput field='x'"), std::string::npos) << table.status().message();
}

TEST(PmmlNearestNeighborTest, TableLocatorIsRefusedByName) {
  std::string doc = Knn("regression", "numberOfNeighbors=\"1\"", kRegressionSchema, "<KNNInput field=\"x\"/>");
  size_t at = doc.find("<InlineTable>");
  size_t end = doc.find("</InlineTable>") + std::string("</InlineTable>").size();
  doc.replace(at, end - at, "<TableLocator/>");
  auto r = PmmlDocument::Load(doc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("TableLocator"), std::string::npos) << r.status().message();
}

TEST(PmmlNearestNeighborTest, BadDocumentsFailAtLoad) {
  std::string no_instances =
      Doc(kFields,
          "<NearestNeighborModel functionName=\"regression\" numberOfNeighbors=\"1\"><MiningSchema>"
          "<MiningField name=\"x\"/><MiningField name=\"y\" usageType=\"target\"/></MiningSchema>"
          "<ComparisonMeasure><euclidean/></ComparisonMeasure><KNNInputs><KNNInput field=\"x\"/></KNNInputs>"
          "</NearestNeighborModel>");
  auto r = PmmlDocument::Load(no_instances);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("TrainingInstances"), std::string::npos) << r.status().message();

  auto zero_k =
      PmmlDocument::Load(Knn("regression", "numberOfNeighbors=\"0\"", kRegressionSchema, "<KNNInput field=\"x\"/>"));
  EXPECT_FALSE(zero_k.ok());
  auto unknown =
      PmmlDocument::Load(Knn("regression", "numberOfNeighbors=\"1\"", kRegressionSchema, "<KNNInput field=\"nope\"/>"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace mlserving::formats::pmml

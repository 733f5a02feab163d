#include "formats/pmml/clustering_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;

const char* kFields =
    "<DataField name=\"a\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"b\" optype=\"continuous\" dataType=\"double\"/>";

std::string Model(const std::string& measure, const std::string& extra = "") {
  return Doc(kFields,
             "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\"><MiningSchema>"
             "<MiningField name=\"a\"/><MiningField name=\"b\"/></MiningSchema><Output>"
             "<OutputField name=\"id\" feature=\"predictedValue\"/>"
             "<OutputField name=\"name\" feature=\"predictedDisplayValue\"/>"
             "<OutputField name=\"best\" feature=\"affinity\"/>"
             "<OutputField name=\"d1\" feature=\"clusterAffinity\" value=\"c1\"/>"
             "<OutputField name=\"d2\" feature=\"clusterAffinity\" value=\"c2\"/></Output>"
             "<ComparisonMeasure kind=\"distance\">" +
                 measure +
                 "</ComparisonMeasure><ClusteringField field=\"a\"/><ClusteringField field=\"b\" "
                 "fieldWeight=\"2\"/>" +
                 extra +
                 "<Cluster id=\"c1\" name=\"first\"><Array n=\"2\" type=\"real\">0 0</Array></Cluster>"
                 "<Cluster id=\"c2\" name=\"second\"><Array n=\"2\" type=\"real\">3 1</Array></Cluster>"
                 "</ClusteringModel>");
}

TEST(PmmlClusteringTest, DistanceMeasures) {
  // Row (1, 1): |Δ| to c1 = (1, 1), to c2 = (2, 0); weights (1, 2).
  struct Case {
    const char* measure;
    double d1, d2;
  } cases[] = {
      {"<squaredEuclidean/>", 3, 4},
      {"<euclidean/>", std::sqrt(3.0), 2},
      {"<cityBlock/>", 3, 2},
      {"<chebychev/>", 2, 2},
      {"<minkowski p-parameter=\"3\"/>", std::cbrt(3.0), 2},
  };
  for (const Case& c : cases) {
    auto doc = testing::MustLoad(Model(c.measure));
    ASSERT_NE(doc, nullptr) << c.measure;
    auto r = testing::ScoreOne(*doc, {{"a", N(1)}, {"b", N(1)}});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_NEAR(r.Get("d1").number(), c.d1, 1e-12) << c.measure;
    EXPECT_NEAR(r.Get("d2").number(), c.d2, 1e-12) << c.measure;
    std::string winner = c.d2 < c.d1 ? "c2" : "c1";  // ties go to the first cluster
    EXPECT_EQ(r.Get("id").AsString(), winner) << c.measure;
    EXPECT_EQ(r.Get("name").AsString(), winner == "c1" ? "first" : "second") << c.measure;
    EXPECT_NEAR(r.Get("best").number(), std::min(c.d1, c.d2), 1e-12) << c.measure;
  }
}

TEST(PmmlClusteringTest, MissingValueWeights) {
  auto doc = testing::MustLoad(Model(
      "<squaredEuclidean/>", "<MissingValueWeights><Array n=\"2\" type=\"real\">1 3</Array></MissingValueWeights>"));
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"a", N(1)}});  // b missing: distances scaled by (1 + 3) / 1
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NEAR(r.Get("d1").number(), 4, 1e-12);
  EXPECT_NEAR(r.Get("d2").number(), 16, 1e-12);
  EXPECT_TRUE(testing::ScoreOne(*doc, {}).Get("id").missing());
}

TEST(PmmlClusteringTest, BinarySimilarity) {
  std::string text = Model("<jaccard/>");
  text.replace(text.find("kind=\"distance\""), 15, "kind=\"similarity\"");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  // Row (1, 0): c1 (0, 0): a11 = 0 → 0; c2 (1, 1): a11 = 1, a10 = 0, a01 = 1 → 0.5.
  auto r = testing::ScoreOne(*doc, {{"a", N(1)}, {"b", N(0)}});
  EXPECT_NEAR(r.Get("d2").number(), 0.5, 1e-12);
  EXPECT_EQ(r.Get("id").AsString(), "c2");
  // kind and measure must agree.
  EXPECT_EQ(testing::MustLoad(Model("<jaccard/>")), nullptr);
}

}  // namespace
}  // namespace mlserving::formats::pmml

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

// compareFunction="table": 'color' is an integer-coded categorical field whose declared values
// (document order 10, 20, 30) index the rows (the record's value) and columns (the center's value)
// of its Comparisons matrix. The matrix is deliberately asymmetric so a transposed lookup shows.
std::string TableModel(const std::string& measure, const std::string& color_field, const std::string& mining = "",
                       const std::string& c2_color = "30") {
  return Doc(
      "<DataField name=\"color\" optype=\"categorical\" dataType=\"integer\"><Value value=\"10\"/>"
      "<Value value=\"20\"/><Value value=\"30\"/></DataField>"
      "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>",
      "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\"><MiningSchema>"
      "<MiningField name=\"color\"" +
          mining +
          "/><MiningField name=\"x\"/></MiningSchema><Output>"
          "<OutputField name=\"id\" feature=\"predictedValue\"/>"
          "<OutputField name=\"d1\" feature=\"clusterAffinity\" value=\"c1\"/>"
          "<OutputField name=\"d2\" feature=\"clusterAffinity\" value=\"c2\"/></Output>"
          "<ComparisonMeasure kind=\"" +
          (measure == "<simpleMatching/>" ? "similarity" : "distance") + "\">" + measure + "</ComparisonMeasure>" +
          color_field +
          "<ClusteringField field=\"x\"/>"
          "<Cluster id=\"c1\"><Array n=\"2\" type=\"int\">10 0</Array></Cluster>"
          "<Cluster id=\"c2\"><Array n=\"2\" type=\"int\">" +
          c2_color + " 10</Array></Cluster></ClusteringModel>");
}

const char* kColorTable =
    "<ClusteringField field=\"color\" compareFunction=\"table\"><Comparisons><Matrix>"
    "<Array type=\"real\">0 1 3</Array>"  // record 10 vs center 10, 20, 30
    "<Array type=\"real\">2 0 5</Array>"  // record 20
    "<Array type=\"real\">4 6 0</Array>"  // record 30
    "</Matrix></Comparisons></ClusteringField>";

TEST(PmmlClusteringTest, CompareFunctionTable) {
  // Hand-computed from the PMML ClusteringModel definitions (jpmml and pmml4s do not implement
  // 'table'). c1 = (10, 0), c2 = (30, 10).
  struct Case {
    const char* measure;
    double color, x, d1, d2;
  } cases[] = {
      // Record (20, 4): c(20, 10) = M[20][10] = 2, c(20, 30) = M[20][30] = 5; |4 - 0| = 4, |4 - 10| = 6.
      {"<squaredEuclidean/>", 20, 4, 2 * 2 + 4 * 4, 5 * 5 + 6 * 6},  // 20, 61
      {"<cityBlock/>", 20, 4, 2 + 4, 5 + 6},                         // 6, 11
      // Record (30, 10): c(30, 10) = 4, c(30, 30) = 0; |10 - 0| = 10, 0.
      {"<squaredEuclidean/>", 30, 10, 4 * 4 + 10 * 10, 0},  // 116, 0
      {"<chebychev/>", 30, 10, 10, 0},
  };
  for (const Case& c : cases) {
    auto doc = testing::MustLoad(TableModel(c.measure, kColorTable));
    ASSERT_NE(doc, nullptr) << c.measure;
    auto r = testing::ScoreOne(*doc, {{"color", N(c.color)}, {"x", N(c.x)}});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_NEAR(r.Get("d1").number(), c.d1, 1e-12) << c.measure << " color=" << c.color;
    EXPECT_NEAR(r.Get("d2").number(), c.d2, 1e-12) << c.measure << " color=" << c.color;
    EXPECT_EQ(r.Get("id").AsString(), c.d2 < c.d1 ? "c2" : "c1");
  }
}

TEST(PmmlClusteringTest, CompareFunctionTableSparseMatrixAndDefault) {
  // The ComparisonMeasure's compareFunction="table" applies to 'color' (which has a Comparisons
  // matrix); 'x' overrides it with absDiff. The sparse matrix: 1 off the diagonal, 0 on it, and
  // (record 20, center 30) = 0.5. Record (20, 10): c1: 1² + 10² = 101; c2: 0.5² + 0 = 0.25.
  std::string color =
      "<ClusteringField field=\"color\"><Comparisons><Matrix nbRows=\"3\" nbCols=\"3\" diagDefault=\"0\" "
      "offDiagDefault=\"1\"><MatCell row=\"2\" col=\"3\">0.5</MatCell></Matrix></Comparisons></ClusteringField>";
  std::string text = TableModel("<squaredEuclidean/>", color);
  size_t at = text.find("<ClusteringField field=\"x\"/>");
  text.replace(at, 28, "<ClusteringField field=\"x\" compareFunction=\"absDiff\"/>");
  at = text.find("kind=\"distance\"");
  text.insert(at, "compareFunction=\"table\" ");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr) << PmmlDocument::Load(text).status().message();
  auto r = testing::ScoreOne(*doc, {{"color", N(20)}, {"x", N(10)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NEAR(r.Get("d1").number(), 101, 1e-12);
  EXPECT_NEAR(r.Get("d2").number(), 0.25, 1e-12);
  EXPECT_EQ(r.Get("id").AsString(), "c2");
}

TEST(PmmlClusteringTest, CompareFunctionTableValueOutsideTheDomainIsMissing) {
  // invalidValueTreatment="asIs" lets 99 through; it has no row in the matrix, so 'color' counts
  // as missing: only x is compared and the distance is scaled by Σq / Σq(present) = 2 / 1.
  // Record (99, 4): c1: 4² · 2 = 32; c2: 6² · 2 = 72.
  auto doc = testing::MustLoad(TableModel("<squaredEuclidean/>", kColorTable, " invalidValueTreatment=\"asIs\""));
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"color", N(99)}, {"x", N(4)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NEAR(r.Get("d1").number(), 32, 1e-12);
  EXPECT_NEAR(r.Get("d2").number(), 72, 1e-12);
}

TEST(PmmlClusteringTest, CompareFunctionTableOverIntervals) {
  // A continuous field declared by Intervals: positions are the intervals, [0, 10) -> 0 and
  // [10, 20] -> 1. Centers 5 (interval 0) and 15 (interval 1); matrix [[0, 7], [9, 0]].
  // Record 12 (interval 1): c1 = M[1][0] = 9, c2 = M[1][1] = 0 (cityBlock).
  auto doc = testing::MustLoad(
      Doc("<DataField name=\"v\" optype=\"continuous\" dataType=\"double\"><Interval closure=\"closedOpen\" "
          "leftMargin=\"0\" rightMargin=\"10\"/><Interval closure=\"closedClosed\" leftMargin=\"10\" "
          "rightMargin=\"20\"/></DataField>",
          "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\"><MiningSchema>"
          "<MiningField name=\"v\"/></MiningSchema><Output><OutputField name=\"id\" feature=\"predictedValue\"/>"
          "<OutputField name=\"d1\" feature=\"clusterAffinity\" value=\"1\"/></Output>"
          "<ComparisonMeasure kind=\"distance\"><cityBlock/></ComparisonMeasure>"
          "<ClusteringField field=\"v\" compareFunction=\"table\"><Comparisons><Matrix><Array>0 7</Array>"
          "<Array>9 0</Array></Matrix></Comparisons></ClusteringField>"
          "<Cluster><Array n=\"1\" type=\"real\">5</Array></Cluster><Cluster><Array n=\"1\" type=\"real\">15</Array>"
          "</Cluster></ClusteringModel>"));
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"v", N(12)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NEAR(r.Get("d1").number(), 9, 1e-12);
  EXPECT_EQ(r.Get("id").AsString(), "2");
  r = testing::ScoreOne(*doc, {{"v", N(3)}});  // interval 0: c1 = 0, c2 = M[0][1] = 7
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NEAR(r.Get("d1").number(), 0, 1e-12);
  EXPECT_EQ(r.Get("id").AsString(), "1");
}

TEST(PmmlClusteringTest, CompareFunctionTableLoadErrors) {
  struct Case {
    std::string text;
    const char* message;
  } cases[] = {
      {TableModel("<squaredEuclidean/>", "<ClusteringField field=\"color\" compareFunction=\"table\"/>"),
       "needs a <Comparisons> matrix"},
      {TableModel("<squaredEuclidean/>",
                  "<ClusteringField field=\"color\" compareFunction=\"table\"><Comparisons><Matrix>"
                  "<Array>0 1</Array><Array>1 0</Array></Matrix></Comparisons></ClusteringField>"),
       "is 2x2 but the field declares 3 values"},
      {TableModel("<simpleMatching/>", kColorTable), "needs a distance measure"},
      {TableModel("<squaredEuclidean/>", kColorTable, "", "40"), "center value '40' of 'color'"},
      {TableModel("<squaredEuclidean/>",
                  "<ClusteringField field=\"color\" compareFunction=\"table\"><Comparisons><Matrix nbRows=\"3\">"
                  "<MatCell row=\"1\" col=\"1\">0</MatCell></Matrix></Comparisons></ClusteringField>"),
       "the Comparisons of 'color': a sparse Matrix (MatCell) needs nbRows and nbCols"},
  };
  for (const Case& c : cases) {
    auto doc = PmmlDocument::Load(c.text);
    ASSERT_FALSE(doc.ok()) << c.message;
    EXPECT_NE(doc.status().message().find(c.message), std::string::npos) << doc.status().message();
  }
}

TEST(PmmlClusteringTest, DistributionBasedIsRefusedWithTheReason) {
  std::string text = Model("<squaredEuclidean/>");
  text.replace(text.find("centerBased"), 11, "distributionBased");
  auto doc = PmmlDocument::Load(text);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(doc.status().message().find("defines no scoring procedure"), std::string::npos) << doc.status().message();
}

}  // namespace
}  // namespace mlserving::formats::pmml

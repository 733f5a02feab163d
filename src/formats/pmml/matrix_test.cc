#include "formats/pmml/matrix.h"

#include <gtest/gtest.h>

#include <string>

#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {
namespace {

Result<DenseMatrix> Parse(const std::string& text) {
  auto doc = ParseXml("<PMML>" + text + "</PMML>");  // ParseXml wants a PMML root
  EXPECT_TRUE(doc.ok()) << doc.status().message();
  if (!doc.ok()) return doc.status();
  return ParseMatrix((*doc)->first_child().first_child(), "the test matrix");
}

std::vector<double> Values(const std::string& text) {
  auto m = Parse(text);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m->values : std::vector<double>{};
}

TEST(PmmlMatrixTest, DenseRows) {
  auto m = Parse("<Matrix><Array type=\"real\">1 2 3</Array><Array type=\"real\">4 5 6</Array></Matrix>");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->rows, 2u);
  EXPECT_EQ(m->cols, 3u);
  EXPECT_EQ(m->values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(m->at(1, 2), 6);
}

TEST(PmmlMatrixTest, SymmetricLowerTriangle) {
  // Rows of the lower triangle: [1], [2 3], [4 5 6] -> mirrored above the diagonal.
  EXPECT_EQ(Values("<Matrix kind=\"symmetric\"><Array>1</Array><Array>2 3</Array><Array>4 5 6</Array></Matrix>"),
            (std::vector<double>{1, 2, 4, 2, 3, 5, 4, 5, 6}));
}

TEST(PmmlMatrixTest, DiagonalUsesOffDiagDefault) {
  EXPECT_EQ(Values("<Matrix kind=\"diagonal\"><Array>7 8</Array></Matrix>"), (std::vector<double>{7, 0, 0, 8}));
  EXPECT_EQ(Values("<Matrix kind=\"diagonal\" offDiagDefault=\"-1\"><Array>7 8</Array></Matrix>"),
            (std::vector<double>{7, -1, -1, 8}));
}

TEST(PmmlMatrixTest, SparseCellsOverDefaults) {
  // 3x3, diagonal 1 and off-diagonal 0 by default; MatCell (3,1) = 0.5 and (2,2) = 9 (1-based).
  EXPECT_EQ(Values("<Matrix nbRows=\"3\" nbCols=\"3\" diagDefault=\"1\" offDiagDefault=\"0\">"
                   "<MatCell row=\"3\" col=\"1\">0.5</MatCell><MatCell row=\"2\" col=\"2\">9</MatCell></Matrix>"),
            (std::vector<double>{1, 0, 0, 0, 9, 0, 0.5, 0, 1}));
  // Without defaults the cells not given are 0.
  EXPECT_EQ(Values("<Matrix nbRows=\"2\" nbCols=\"1\"><MatCell row=\"2\" col=\"1\">3</MatCell></Matrix>"),
            (std::vector<double>{0, 3}));
}

TEST(PmmlMatrixTest, InvalidMatricesNameTheProblem) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"<Matrix><MatCell row=\"1\" col=\"1\">1</MatCell></Matrix>", "needs nbRows and nbCols"},
      {"<Matrix nbRows=\"2\" nbCols=\"2\"><MatCell row=\"3\" col=\"1\">1</MatCell></Matrix>", "row='3' col='1'"},
      {"<Matrix nbRows=\"2\" nbCols=\"2\"><MatCell row=\"0\" col=\"1\">1</MatCell></Matrix>", "count from 1"},
      {"<Matrix nbRows=\"1\" nbCols=\"1\"><MatCell row=\"1\" col=\"1\">x</MatCell></Matrix>", "not a number"},
      {"<Matrix><Array>1 2</Array><Array>3</Array></Matrix>", "row 2 has 1 numbers"},
      {"<Matrix kind=\"symmetric\"><Array>1 2</Array></Matrix>", "lower triangle"},
      {"<Matrix kind=\"diagonal\"><Array>1</Array><Array>2</Array></Matrix>", "exactly one Array"},
      {"<Matrix nbRows=\"3\"><Array>1 2</Array></Matrix>", "disagree"},
      {"<Matrix kind=\"banded\"><Array>1</Array></Matrix>", "kind='banded'"},
      {"<Matrix/>", "neither Array rows nor MatCells"},
      {"<Matrix nbRows=\"100000\" nbCols=\"100000\"><MatCell row=\"1\" col=\"1\">1</MatCell></Matrix>", "too large"},
  };
  for (const Case& c : cases) {
    auto m = Parse(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_NE(m.status().message().find("the test matrix"), std::string::npos) << m.status().message();
    EXPECT_NE(m.status().message().find(c.message), std::string::npos) << c.text << ": " << m.status().message();
  }
}

}  // namespace
}  // namespace mlserving::formats::pmml

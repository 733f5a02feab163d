#include "formats/pmml/support_vector_machine_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;

const char* kFields =
    "<DataField name=\"x1\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"x2\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"k\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value value=\"b\"/>"
    "<Value value=\"c\"/></DataField>";

const char* kVectors =
    "<VectorDictionary numberOfVectors=\"2\"><VectorFields numberOfFields=\"2\"><FieldRef field=\"x1\"/>"
    "<FieldRef field=\"x2\"/></VectorFields><VectorInstance id=\"v1\"><Array n=\"2\" type=\"real\">1 0</Array>"
    "</VectorInstance><VectorInstance id=\"v2\"><REAL-SparseArray n=\"2\"><Indices>2</Indices><REAL-Entries>1"
    "</REAL-Entries></REAL-SparseArray></VectorInstance></VectorDictionary>";

std::string Machine(const std::string& attributes, double intercept, double a1, double a2) {
  return "<SupportVectorMachine " + attributes +
         "><SupportVectors><SupportVector vectorId=\"v1\"/><SupportVector vectorId=\"v2\"/></SupportVectors>"
         "<Coefficients absoluteValue=\"" +
         std::to_string(intercept) + "\"><Coefficient value=\"" + std::to_string(a1) + "\"/><Coefficient value=\"" +
         std::to_string(a2) + "\"/></Coefficients></SupportVectorMachine>";
}

TEST(PmmlSupportVectorMachineTest, RegressionKernels) {
  // x = (2, 3): <x, v1> = 2, <x, v2> = 3; |x - v1|² = 1 + 9 = 10, |x - v2|² = 4 + 4 = 8.
  struct Case {
    std::string kernel;
    double expected;
  } cases[] = {
      {"<LinearKernelType/>", 0.5 + 2 * 1 - 3},
      {"<PolynomialKernelType gamma=\"2\" coef0=\"1\" degree=\"2\"/>", 0.5 + 25 - 49},
      {"<RadialBasisKernelType gamma=\"0.1\"/>", 0.5 + std::exp(-1.0) - std::exp(-0.8)},
      {"<SigmoidKernelType gamma=\"0.5\" coef0=\"0\"/>", 0.5 + std::tanh(1.0) - std::tanh(1.5)},
  };
  for (const Case& c : cases) {
    std::string text = Doc(kFields,
                           "<SupportVectorMachineModel functionName=\"regression\"><MiningSchema><MiningField "
                           "name=\"x1\"/><MiningField name=\"x2\"/><MiningField name=\"y\" usageType=\"target\"/>"
                           "</MiningSchema>" +
                               c.kernel + kVectors + Machine("", 0.5, 1, -1) + "</SupportVectorMachineModel>");
    auto doc = testing::MustLoad(text);
    ASSERT_NE(doc, nullptr) << c.kernel;
    EXPECT_NEAR(testing::ScoreOne(*doc, {{"x1", N(2)}, {"x2", N(3)}}).Get("y").number(), c.expected, 1e-9) << c.kernel;
  }
}

TEST(PmmlSupportVectorMachineTest, OneAgainstOneVotes) {
  // Linear kernel, x = (2, 3): f = b + 2·α1 + 3·α2; targetCategory wins when f < 0.
  std::string text =
      Doc(kFields,
          "<SupportVectorMachineModel functionName=\"classification\" classificationMethod=\"OneAgainstOne\">"
          "<MiningSchema><MiningField name=\"x1\"/><MiningField name=\"x2\"/><MiningField name=\"k\" "
          "usageType=\"target\"/></MiningSchema><Output><OutputField name=\"pa\" feature=\"probability\" "
          "value=\"a\"/></Output><LinearKernelType/>" +
              std::string(kVectors) + Machine("targetCategory=\"a\" alternateTargetCategory=\"b\"", -10, 1, 1) +
              Machine("targetCategory=\"a\" alternateTargetCategory=\"c\"", -10, 1, 1) +
              Machine("targetCategory=\"b\" alternateTargetCategory=\"c\"", 10, 1, 1) + "</SupportVectorMachineModel>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"x1", N(2)}, {"x2", N(3)}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.Get("k").string(), "a");  // a: 2 votes, c: 1
  EXPECT_NEAR(r.Get("pa").number(), 2.0 / 3, 1e-12);
}

TEST(PmmlSupportVectorMachineTest, OneAgainstAllAndCoefficients) {
  std::string text = Doc(
      kFields,
      "<SupportVectorMachineModel functionName=\"classification\" svmRepresentation=\"Coefficients\"><MiningSchema>"
      "<MiningField name=\"x1\"/><MiningField name=\"x2\"/><MiningField name=\"k\" usageType=\"target\"/>"
      "</MiningSchema><LinearKernelType/><VectorDictionary><VectorFields><FieldRef field=\"x1\"/><FieldRef "
      "field=\"x2\"/></VectorFields></VectorDictionary><SupportVectorMachine targetCategory=\"a\"><Coefficients "
      "absoluteValue=\"0\"><Coefficient value=\"1\"/><Coefficient value=\"0\"/></Coefficients></SupportVectorMachine>"
      "<SupportVectorMachine targetCategory=\"b\"><Coefficients absoluteValue=\"0\"><Coefficient value=\"0\"/>"
      "<Coefficient value=\"1\"/></Coefficients></SupportVectorMachine></SupportVectorMachineModel>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(testing::ScoreOne(*doc, {{"x1", N(2)}, {"x2", N(3)}}).Get("k").string(), "a");  // smallest f wins
  EXPECT_EQ(testing::ScoreOne(*doc, {{"x1", N(5)}, {"x2", N(3)}}).Get("k").string(), "b");
  EXPECT_TRUE(testing::ScoreOne(*doc, {{"x1", N(5)}}).Get("k").missing());
}

TEST(PmmlSupportVectorMachineTest, RejectsUnknownVectors) {
  std::string text = Doc(kFields,
                         "<SupportVectorMachineModel functionName=\"regression\"><MiningSchema><MiningField "
                         "name=\"x1\"/><MiningField name=\"x2\"/></MiningSchema><LinearKernelType/>" +
                             std::string(kVectors) + Machine("", 0, 1, 1) + "</SupportVectorMachineModel>");
  text.replace(text.find("vectorId=\"v2\""), 13, "vectorId=\"v9\"");
  auto doc = PmmlDocument::Load(text);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("'v9'"), std::string::npos) << doc.status().message();
}

}  // namespace
}  // namespace mlserving::formats::pmml

#include "formats/pmml/neural_network.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;

const char* kFields =
    "<DataField name=\"a\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"b\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>"
    "<DataField name=\"k\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
    "value=\"q\"/></DataField>";

const char* kInputs =
    "<NeuralInputs><NeuralInput id=\"i1\"><DerivedField optype=\"continuous\" dataType=\"double\"><FieldRef "
    "field=\"a\"/>"
    "</DerivedField></NeuralInput><NeuralInput id=\"i2\"><DerivedField optype=\"continuous\" dataType=\"double\">"
    "<NormContinuous field=\"b\"><LinearNorm orig=\"0\" norm=\"0\"/><LinearNorm orig=\"10\" norm=\"1\"/>"
    "</NormContinuous></DerivedField></NeuralInput></NeuralInputs>";

std::string Regression(const std::string& activation) {
  return Doc(kFields,
             "<NeuralNetwork functionName=\"regression\" activationFunction=\"" + activation +
                 "\"><MiningSchema><MiningField name=\"a\"/><MiningField name=\"b\"/><MiningField name=\"y\" "
                 "usageType=\"target\"/></MiningSchema>" +
                 kInputs +
                 "<NeuralLayer><Neuron id=\"h\" bias=\"0.5\"><Con from=\"i1\" weight=\"2\"/><Con from=\"i2\" "
                 "weight=\"-1\"/></Neuron></NeuralLayer><NeuralLayer activationFunction=\"identity\"><Neuron "
                 "id=\"o\" bias=\"0\"><Con from=\"h\" weight=\"1\"/></Neuron></NeuralLayer><NeuralOutputs>"
                 "<NeuralOutput outputNeuron=\"o\"><DerivedField optype=\"continuous\" dataType=\"double\">"
                 "<NormContinuous field=\"y\"><LinearNorm orig=\"100\" norm=\"0\"/><LinearNorm orig=\"200\" "
                 "norm=\"1\"/></NormContinuous></DerivedField></NeuralOutput></NeuralOutputs></NeuralNetwork>");
}

TEST(PmmlNeuralNetworkTest, ActivationsAndDenormalization) {
  // a = 1, b = 5: Z = 2·1 - 1·0.5 + 0.5 = 2; y = 100 + 100·f(2).
  struct Case {
    const char* activation;
    double f;
  } cases[] = {
      {"logistic", 1 / (1 + std::exp(-2.0))},
      {"tanh", std::tanh(2.0)},
      {"identity", 2},
      {"exponential", std::exp(2.0)},
      {"reciprocal", 0.5},
      {"square", 4},
      {"Gauss", std::exp(-4.0)},
      {"sine", std::sin(2.0)},
      {"cosine", std::cos(2.0)},
      {"Elliott", 2.0 / 3},
      {"arctan", 2 * std::atan(2.0) / M_PI},
      {"rectifier", 2},
      {"threshold", 1},
  };
  for (const Case& c : cases) {
    auto doc = testing::MustLoad(Regression(c.activation));
    ASSERT_NE(doc, nullptr) << c.activation;
    auto r = testing::ScoreOne(*doc, {{"a", N(1)}, {"b", N(5)}});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_NEAR(r.Get("y").number(), 100 + 100 * c.f, 1e-9) << c.activation;
  }
  auto doc = testing::MustLoad(Regression("logistic"));
  EXPECT_TRUE(testing::ScoreOne(*doc, {{"a", N(1)}}).Get("y").missing());
  EXPECT_EQ(testing::MustLoad(Regression("bogus")), nullptr);
}

TEST(PmmlNeuralNetworkTest, SoftmaxClassification) {
  std::string text = Doc(
      kFields,
      "<NeuralNetwork functionName=\"classification\" activationFunction=\"identity\"><MiningSchema><MiningField "
      "name=\"a\"/><MiningField name=\"b\"/><MiningField name=\"k\" usageType=\"target\"/></MiningSchema><Output>"
      "<OutputField name=\"pp\" feature=\"probability\" value=\"p\"/><OutputField name=\"pq\" feature=\"probability\" "
      "value=\"q\"/></Output>" +
          std::string(kInputs) +
          "<NeuralLayer normalizationMethod=\"softmax\"><Neuron id=\"o1\" bias=\"1\"><Con from=\"i1\" weight=\"1\"/>"
          "</Neuron><Neuron id=\"o2\" bias=\"0\"><Con from=\"i2\" weight=\"2\"/></Neuron></NeuralLayer><NeuralOutputs>"
          "<NeuralOutput outputNeuron=\"o1\"><DerivedField optype=\"categorical\" dataType=\"string\"><NormDiscrete "
          "field=\"k\" value=\"p\"/></DerivedField></NeuralOutput><NeuralOutput outputNeuron=\"o2\"><DerivedField "
          "optype=\"categorical\" dataType=\"string\"><NormDiscrete field=\"k\" value=\"q\"/></DerivedField>"
          "</NeuralOutput></NeuralOutputs></NeuralNetwork>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  auto r = testing::ScoreOne(*doc, {{"a", N(1)}, {"b", N(10)}});  // Z: o1 = 2, o2 = 2·1 = 2
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NEAR(r.Get("pp").number(), 0.5, 1e-12);
  r = testing::ScoreOne(*doc, {{"a", N(0)}, {"b", N(10)}});  // o1 = 1, o2 = 2
  EXPECT_NEAR(r.Get("pq").number(), std::exp(2.0) / (std::exp(1.0) + std::exp(2.0)), 1e-12);
  EXPECT_EQ(r.Get("k").string(), "q");
}

TEST(PmmlNeuralNetworkTest, RejectsBadConnections) {
  std::string text = Regression("logistic");
  text.replace(text.find("from=\"h\""), 8, "from=\"zz\"");
  auto doc = PmmlDocument::Load(text);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("'zz'"), std::string::npos) << doc.status().message();
}

}  // namespace
}  // namespace mlserving::formats::pmml

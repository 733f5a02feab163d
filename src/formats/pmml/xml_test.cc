#include "formats/pmml/xml.h"

#include <gtest/gtest.h>

#include "formats/pmml/pmml_document.h"
#include "formats/pmml/pmml_model.h"

namespace mlserving::formats::pmml {
namespace {

TEST(PmmlXmlTest, RefusesEntityDeclarations) {
  std::string billion_laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
      "<PMML version=\"4.4\"><DataDictionary/>&lol2;</PMML>";
  auto r = ParseXml(billion_laughs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("entit"), std::string::npos);
  std::string external =
      "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><PMML>&xxe;</PMML>";
  EXPECT_FALSE(ParseXml(external).ok());
}

TEST(PmmlXmlTest, RefusesDeepNestingLargeAndMalformedDocuments) {
  std::string deep = "<PMML>";
  for (int i = 0; i < 1000; ++i) deep += "<a>";
  for (int i = 0; i < 1000; ++i) deep += "</a>";
  deep += "</PMML>";
  auto r = ParseXml(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("deeper"), std::string::npos);
  XmlLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(ParseXml("<PMML></PMML>", small).status().code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(ParseXml("<PMML><DataDictionary></PMML>").ok());
  auto not_pmml = ParseXml("<html/>");
  ASSERT_FALSE(not_pmml.ok());
  EXPECT_NE(not_pmml.status().message().find("not a PMML document"), std::string::npos);
}

TEST(PmmlXmlTest, NamespaceAgnosticNames) {
  auto doc =
      ParseXml("<pmml:PMML xmlns:pmml=\"http://www.dmg.org/PMML-3_2\"><pmml:DataDictionary a=\"1\"/></pmml:PMML>");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  pugi::xml_node root = (*doc)->document_element();
  EXPECT_EQ(LocalName(root), "PMML");
  EXPECT_TRUE(Child(root, "DataDictionary"));
  EXPECT_EQ(SplitArray("a \"b c\" \"d\\\"e\""), (std::vector<std::string>{"a", "b c", "d\"e"}));
}

TEST(PmmlDocumentTest, ClearLoadErrors) {
  auto missing_dd = PmmlDocument::Load("<PMML version=\"4.4\"><TreeModel functionName=\"regression\"/></PMML>");
  ASSERT_FALSE(missing_dd.ok());
  EXPECT_NE(missing_dd.status().message().find("DataDictionary"), std::string::npos);
  auto unsupported = PmmlDocument::Load(
      "<PMML version=\"4.4\"><DataDictionary/><TimeSeriesModel functionName=\"timeSeries\"><MiningSchema/>"
      "</TimeSeriesModel></PMML>");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(unsupported.status().message().find("TimeSeriesModel"), std::string::npos);
  auto unknown_field = PmmlDocument::Load(
      "<PMML version=\"4.4\"><DataDictionary/><RegressionModel functionName=\"regression\"><MiningSchema>"
      "<MiningField name=\"nope\"/></MiningSchema><RegressionTable intercept=\"1\"/></RegressionModel></PMML>");
  ASSERT_FALSE(unknown_field.ok());
  EXPECT_NE(unknown_field.status().message().find("'nope'"), std::string::npos);
  auto cycle = PmmlDocument::Load(
      "<PMML version=\"4.4\"><DataDictionary/><TransformationDictionary>"
      "<DerivedField name=\"a\" dataType=\"double\"><FieldRef field=\"b\"/></DerivedField>"
      "<DerivedField name=\"b\" dataType=\"double\"><FieldRef field=\"a\"/></DerivedField></TransformationDictionary>"
      "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"a\"/></MiningSchema>"
      "<RegressionTable intercept=\"1\"/></RegressionModel></PMML>");
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.status().message().find("cycle"), std::string::npos);
  EXPECT_FALSE(LoadPmmlBytes("garbage", "x.pmml").ok());
  EXPECT_TRUE(SniffPmml("model.pmml", ""));
  EXPECT_TRUE(SniffPmml("model", "<?xml version=\"1.0\"?><PMML"));
  EXPECT_FALSE(SniffPmml("model.onnx", "\x08\x07"));
}

}  // namespace
}  // namespace mlserving::formats::pmml

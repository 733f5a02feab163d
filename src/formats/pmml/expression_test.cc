#include "formats/pmml/expression.h"

#include <gtest/gtest.h>

#include "formats/pmml/builtin_functions.h"
#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;
using testing::S;

/// Evaluates `expression` (XML) as a transformedValue output over fields x, y (double), s (string), d (date).
Value Eval(const std::string& expression, const std::map<std::string, Value>& row, const std::string& functions = "") {
  std::string text =
      Doc("<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
          "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>"
          "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"/>"
          "<DataField name=\"d\" optype=\"categorical\" dataType=\"date\"/>",
          "<TransformationDictionary>" + functions +
              "</TransformationDictionary><RegressionModel functionName=\"regression\"><MiningSchema>"
              "<MiningField name=\"x\"/><MiningField name=\"y\"/><MiningField name=\"s\"/><MiningField name=\"d\"/>"
              "</MiningSchema><Output><OutputField name=\"out\" feature=\"transformedValue\">" +
              expression + "</OutputField></Output><RegressionTable intercept=\"0\"/></RegressionModel>");
  auto doc = PmmlDocument::Load(text);
  EXPECT_TRUE(doc.ok()) << doc.status().message();
  if (!doc.ok()) return Value::Missing();
  testing::Scored r = testing::ScoreOne(**doc, row);
  EXPECT_TRUE(r.status.ok()) << r.status.message();
  return r.Get("out");
}

std::string Apply(const std::string& fn, const std::string& args) {
  return "<Apply function=\"" + fn + "\">" + args + "</Apply>";
}
std::string C(const std::string& v) { return "<Constant>" + v + "</Constant>"; }
std::string CS(const std::string& v) { return "<Constant dataType=\"string\">" + v + "</Constant>"; }
const std::string kX = "<FieldRef field=\"x\"/>";
const std::string kY = "<FieldRef field=\"y\"/>";
const std::string kS = "<FieldRef field=\"s\"/>";

TEST(PmmlExpressionTest, Arithmetic) {
  std::map<std::string, Value> row{{"x", N(6)}, {"y", N(4)}};
  EXPECT_EQ(Eval(Apply("+", kX + kY), row).number(), 10);
  EXPECT_EQ(Eval(Apply("-", kX + kY), row).number(), 2);
  EXPECT_EQ(Eval(Apply("*", kX + kY), row).number(), 24);
  EXPECT_EQ(Eval(Apply("/", kX + kY), row).number(), 1.5);
  EXPECT_EQ(Eval(Apply("min", kX + kY + C("1")), row).number(), 1);
  EXPECT_EQ(Eval(Apply("max", kX + kY), row).number(), 6);
  EXPECT_EQ(Eval(Apply("sum", kX + kY + C("1")), row).number(), 11);
  EXPECT_EQ(Eval(Apply("avg", kX + kY), row).number(), 5);
  EXPECT_EQ(Eval(Apply("median", kX + kY + C("1")), row).number(), 4);
  EXPECT_EQ(Eval(Apply("product", kX + kY), row).number(), 24);
  EXPECT_DOUBLE_EQ(Eval(Apply("log10", C("100")), row).number(), 2);
  EXPECT_DOUBLE_EQ(Eval(Apply("ln", C("1")), row).number(), 0);
  EXPECT_DOUBLE_EQ(Eval(Apply("sqrt", C("16")), row).number(), 4);
  EXPECT_DOUBLE_EQ(Eval(Apply("abs", C("-3")), row).number(), 3);
  EXPECT_DOUBLE_EQ(Eval(Apply("exp", C("0")), row).number(), 1);
  EXPECT_DOUBLE_EQ(Eval(Apply("pow", C("2") + C("10")), row).number(), 1024);
  EXPECT_EQ(Eval(Apply("threshold", kX + C("5")), row).number(), 1);
  EXPECT_EQ(Eval(Apply("floor", C("2.7")), row).number(), 2);
  EXPECT_EQ(Eval(Apply("ceil", C("2.1")), row).number(), 3);
  EXPECT_EQ(Eval(Apply("round", C("2.5")), row).number(), 3);
  EXPECT_EQ(Eval(Apply("round", C("-2.5")), row).number(), -2);
  // A missing argument makes the result missing, or mapMissingTo.
  EXPECT_TRUE(Eval(Apply("+", kX + kY), {{"x", N(1)}}).missing());
  EXPECT_EQ(Eval("<Apply function=\"+\" mapMissingTo=\"-1\">" + kX + kY + "</Apply>", {{"x", N(1)}}).number(), -1);
  EXPECT_EQ(Eval("<Apply function=\"ln\" defaultValue=\"7\">" + C("-1") + "</Apply>", row).number(), 7);
}

TEST(PmmlExpressionTest, LogicAndComparison) {
  std::map<std::string, Value> row{{"x", N(6)}, {"y", N(4)}, {"s", S("a")}};
  EXPECT_TRUE(Eval(Apply("isMissing", kX), {}).number());
  EXPECT_TRUE(Eval(Apply("isNotMissing", kX), row).number());
  EXPECT_TRUE(Eval(Apply("isValid", kX), row).number());
  EXPECT_FALSE(Eval(Apply("isInvalid", kX), row).number());
  EXPECT_TRUE(Eval(Apply("equal", kX + C("6")), row).number());
  EXPECT_TRUE(Eval(Apply("notEqual", kX + kY), row).number());
  EXPECT_TRUE(Eval(Apply("lessThan", kY + kX), row).number());
  EXPECT_TRUE(Eval(Apply("lessOrEqual", kY + C("4")), row).number());
  EXPECT_TRUE(Eval(Apply("greaterThan", kX + kY), row).number());
  EXPECT_TRUE(Eval(Apply("greaterOrEqual", kX + C("6")), row).number());
  EXPECT_FALSE(Eval(Apply("and", Apply("equal", kX + C("6")) + Apply("equal", kY + C("5"))), row).number());
  EXPECT_TRUE(Eval(Apply("or", Apply("equal", kX + C("6")) + Apply("equal", kY + C("5"))), row).number());
  EXPECT_TRUE(Eval(Apply("not", Apply("equal", kY + C("5"))), row).number());
  EXPECT_TRUE(Eval(Apply("isIn", kS + CS("b") + CS("a")), row).number());
  EXPECT_TRUE(Eval(Apply("isNotIn", kS + CS("b")), row).number());
  EXPECT_EQ(Eval(Apply("if", Apply("greaterThan", kX + kY) + CS("big") + CS("small")), row).string(), "big");
  EXPECT_TRUE(Eval(Apply("if", Apply("lessThan", kX + kY) + CS("big")), row).missing());
}

TEST(PmmlExpressionTest, Strings) {
  std::map<std::string, Value> row{{"s", S("  Hello World ")}, {"x", N(3.14159)}};
  EXPECT_EQ(Eval(Apply("uppercase", kS), row).string(), "  HELLO WORLD ");
  EXPECT_EQ(Eval(Apply("lowercase", kS), row).string(), "  hello world ");
  EXPECT_EQ(Eval(Apply("trimBlanks", kS), row).string(), "Hello World");
  EXPECT_EQ(Eval(Apply("substring", kS + C("3") + C("5")), row).string(), "Hello");
  EXPECT_EQ(Eval(Apply("concat", CS("a") + C("1") + CS("b")), row).string(), "a1b");
  EXPECT_EQ(Eval(Apply("replace", kS + CS("o") + CS("0")), row).string(), "  Hell0 W0rld ");
  EXPECT_TRUE(Eval(Apply("matches", kS + CS("W.r")), row).number());
  EXPECT_EQ(Eval(Apply("formatNumber", kX + CS("%.2f")), row).string(), "3.14");
  EXPECT_EQ(Eval(Apply("SAS-EM-String-Normalize", C("4") + kS), row).string(), "HELL");
}

TEST(PmmlExpressionTest, Dates) {
  std::map<std::string, Value> row{{"d", S("1970-01-02")}};
  EXPECT_EQ(Eval(Apply("dateDaysSinceYear", "<FieldRef field=\"d\"/>" + C("1960")), row).number(), 3653 + 1);
  EXPECT_EQ(Eval(Apply("dateSecondsSinceYear", "<FieldRef field=\"d\"/>" + C("1970")), row).number(), 86400);
  EXPECT_EQ(Eval(Apply("dateSecondsSinceMidnight", CS("01:02:03")), row).number(), 3723);
  EXPECT_EQ(Eval(Apply("formatDatetime", "<FieldRef field=\"d\"/>" + CS("%m/%d/%Y")), row).string(), "01/02/1970");
}

TEST(PmmlExpressionTest, TransformationsAndFunctions) {
  std::map<std::string, Value> row{{"x", N(5)}, {"s", S("b")}};
  std::string norm =
      "<NormContinuous field=\"x\"><LinearNorm orig=\"0\" norm=\"0\"/><LinearNorm orig=\"10\" "
      "norm=\"1\"/></NormContinuous>";
  EXPECT_DOUBLE_EQ(Eval(norm, row).number(), 0.5);
  EXPECT_DOUBLE_EQ(Eval(norm, {{"x", N(20)}}).number(), 2.0);  // outliers asIs extrapolates
  EXPECT_EQ(Eval("<NormDiscrete field=\"s\" value=\"b\"/>", row).number(), 1);
  std::string disc =
      "<Discretize field=\"x\" defaultValue=\"none\"><DiscretizeBin binValue=\"low\"><Interval closure=\"closedOpen\" "
      "rightMargin=\"5\"/></DiscretizeBin><DiscretizeBin binValue=\"high\"><Interval closure=\"closedClosed\" "
      "leftMargin=\"5\"/></DiscretizeBin></Discretize>";
  EXPECT_EQ(Eval(disc, row).string(), "high");
  std::string map =
      "<MapValues outputColumn=\"out\" defaultValue=\"?\"><FieldColumnPair field=\"s\" column=\"in\"/><InlineTable>"
      "<row><in>a</in><out>first</out></row><row><in>b</in><out>second</out></row></InlineTable></MapValues>";
  EXPECT_EQ(Eval(map, row).string(), "second");
  EXPECT_EQ(Eval(map, {{"s", S("z")}}).string(), "?");
  std::string fn =
      "<DefineFunction name=\"twice\" dataType=\"double\"><ParameterField name=\"v\"/>"
      "<Apply function=\"*\"><FieldRef field=\"v\"/><Constant>2</Constant></Apply></DefineFunction>";
  EXPECT_EQ(Eval(Apply("twice", kX), row, fn).number(), 10);
  std::string text = "<TextIndex textField=\"s\"><Constant>b</Constant></TextIndex>";
  EXPECT_EQ(Eval(text, {{"s", S("a b c B")}}).number(), 2);
}

/// A TextIndex over `s` with the given normalizations, counting `term`.
std::string TextIndex(const std::string& normalizations, const std::string& term, const std::string& attrs = "") {
  return "<TextIndex textField=\"s\" " + attrs + ">" + normalizations + "<Constant>" + term + "</Constant></TextIndex>";
}
std::string Row(const std::string& in, const std::string& out, bool regex, const std::string& in_col = "string",
                const std::string& out_col = "stem") {
  return "<row><" + in_col + ">" + in + "</" + in_col + "><" + out_col + ">" + out + "</" + out_col + "><regex>" +
         (regex ? "true" : "false") + "</regex></row>";
}

// Expected counts were produced by jpmml-evaluator 1.7.7 (tools/.venv-pmml, make_evaluator) on the
// same TextIndex elements; the comments derive them by hand.
TEST(PmmlExpressionTest, TextIndexNormalization) {
  // The PMML specification's example: the first table stems words (regexes, case-insensitive as
  // the TextIndex), the second maps the stemmed phrase to one feature word.
  std::string spec_example =
      "<TextIndexNormalization inField=\"string\" outField=\"stem\" regexField=\"regex\"><InlineTable>" +
      Row("interfaces?", "interface", true) + Row("is|are|seem(ed|s?)|were", "be", true) +
      Row("user friendl(y|iness)", "user_friendly", true) +
      "</InlineTable></TextIndexNormalization><TextIndexNormalization inField=\"re\" outField=\"feature\" "
      "regexField=\"regex\"><InlineTable>" +
      Row("interface be (user_friendly|well designed|excellent)", "ui_good", true, "re", "feature") +
      "</InlineTable></TextIndexNormalization>";
  // "... the interfaces are excellent!" -> "... the interface be excellent!" -> "... the ui_good!";
  // the word "ui_good!" loses its punctuation: 1.
  EXPECT_EQ(Eval(TextIndex(spec_example, "ui_good"),
                 {{"s", S("Testing the app for a few days convinced me the interfaces are excellent!")}})
                .number(),
            1);
  // "The Interface IS user friendly and the interfaces seem well designed" -> "The interface be
  // user_friendly and the interface be well designed" -> two ui_good.
  EXPECT_EQ(Eval(TextIndex(spec_example, "ui_good"),
                 {{"s", S("The Interface IS user friendly and the interfaces seem well designed")}})
                .number(),
            2);

  std::string shorten = Row("aa", "a", false);
  // recursive: "baaaab" -> "baab" -> "bab", "baab" -> "bab": two "bab".
  EXPECT_EQ(Eval(TextIndex("<TextIndexNormalization recursive=\"true\"><InlineTable>" + shorten +
                               "</InlineTable></TextIndexNormalization>",
                           "bab"),
                 {{"s", S("baaaab baab testing, Tested test")}})
                .number(),
            2);
  // one pass: "baaaab" -> "baab" (non-overlapping matches), "baab" -> "bab": one "baab".
  EXPECT_EQ(
      Eval(TextIndex("<TextIndexNormalization><InlineTable>" + shorten + "</InlineTable></TextIndexNormalization>",
                     "baab"),
           {{"s", S("baaaab baab testing, Tested test")}})
          .number(),
      1);
  // Regex groups in the replacement: "testing," -> "test,", counted with "test": 2.
  EXPECT_EQ(Eval(TextIndex("<TextIndexNormalization><InlineTable>" + Row("(\\w+)ing\\b", "$1", true) +
                               "</InlineTable></TextIndexNormalization>",
                           "test"),
                 {{"s", S("baaaab baab testing, Tested test")}})
                .number(),
            2);
  // A literal row is matched literally ('.' is no wildcard) and case-sensitively here:
  // "A.B and AxB and a.b ab" -> "ab and AxB and a.b ab": two "ab".
  EXPECT_EQ(Eval(TextIndex("<TextIndexNormalization><InlineTable>" + Row("A.B", "ab", false) +
                               "</InlineTable></TextIndexNormalization>",
                           "ab", "isCaseSensitive=\"true\""),
                 {{"s", S("A.B and AxB and a.b ab")}})
                .number(),
            2);
  // Punctuation-only words vanish: "**" -> "*" is no word.
  EXPECT_EQ(Eval(TextIndex("", "*"), {{"s", S("rated * ok")}}).number(), 0);

  // Invalid tables fail at load, naming the element.
  std::string base = Doc("<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"/>",
                         "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"s\"/>"
                         "</MiningSchema><Output><OutputField name=\"out\" feature=\"transformedValue\">@"
                         "</OutputField></Output><RegressionTable intercept=\"0\"/></RegressionModel>");
  for (const auto& [normalization, message] : std::vector<std::pair<std::string, std::string>>{
           {"<TextIndexNormalization><TableLocator/></TextIndexNormalization>", "TableLocator"},
           {"<TextIndexNormalization><InlineTable>" + Row("(", "x", true) + "</InlineTable></TextIndexNormalization>",
            "not a valid regular expression"},
           {"<TextIndexNormalization><InlineTable><row><string>a</string></row></InlineTable>"
            "</TextIndexNormalization>",
            "no 'stem' cell"}}) {
    std::string text = base;
    text.replace(text.find('@'), 1, TextIndex(normalization, "x"));
    auto r = PmmlDocument::Load(text);
    ASSERT_FALSE(r.ok()) << normalization;
    EXPECT_NE(r.status().message().find("TextIndexNormalization"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace mlserving::formats::pmml

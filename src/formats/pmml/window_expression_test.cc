#include "formats/pmml/window_expression.h"

#include <gtest/gtest.h>

#include <cmath>

#include "formats/pmml/pmml_test_util.h"

namespace mlserving::formats::pmml {
namespace {

using testing::Doc;
using testing::N;
using testing::S;

/// A regression model over `key` (string) and `x` (double) whose outputs are the given derived
/// fields (each `name` -> transformedValue of FieldRef name). The derived fields are defined in
/// the TransformationDictionary by `derived`.
std::string WindowDoc(const std::string& derived, const std::vector<std::string>& outputs,
                      const std::string& functions = "") {
  std::string out;
  for (const std::string& o : outputs) {
    out += "<OutputField name=\"out_" + o + "\" feature=\"transformedValue\"><FieldRef field=\"" + o +
           "\"/></OutputField>";
  }
  return Doc(
      "<DataField name=\"key\" optype=\"categorical\" dataType=\"string\"/>"
      "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>",
      "<TransformationDictionary>" + functions + derived +
          "</TransformationDictionary><RegressionModel functionName=\"regression\"><MiningSchema>"
          "<MiningField name=\"key\"/><MiningField name=\"x\"/></MiningSchema><Output>" +
          out + "</Output><RegressionTable intercept=\"0\"/></RegressionModel>");
}

std::string Derived(const std::string& name, const std::string& type, const std::string& expression) {
  return "<DerivedField name=\"" + name + "\" optype=\"continuous\" dataType=\"" + type + "\">" + expression +
         "</DerivedField>";
}

std::vector<std::map<std::string, Value>> Rows(const std::vector<std::pair<std::string, Value>>& rows) {
  std::vector<std::map<std::string, Value>> out;
  for (const auto& [key, x] : rows) out.push_back({{"key", S(key)}, {"x", x}});
  return out;
}

TEST(PmmlWindowExpressionTest, AggregateGroupsTheRequestsRowsByGroupField) {
  auto doc = testing::MustLoad(
      WindowDoc(Derived("total", "double", "<Aggregate field=\"x\" function=\"sum\" groupField=\"key\"/>") +
                    Derived("n", "integer", "<Aggregate field=\"x\" function=\"count\" groupField=\"key\"/>") +
                    Derived("mean", "double", "<Aggregate field=\"x\" function=\"average\"/>") +
                    Derived("lo", "double", "<Aggregate field=\"x\" function=\"min\" groupField=\"key\"/>") +
                    Derived("hi", "double", "<Aggregate field=\"x\" function=\"max\" groupField=\"key\"/>"),
                {"total", "n", "mean", "lo", "hi"}));
  ASSERT_NE(doc, nullptr);
  // Rows (a 10) (b 5) (a 30) (a missing) (b 1): group a = {10, 30}, b = {5, 1} (missing skipped).
  // sum a = 40, b = 6; count a = 2, b = 2; average over all rows = (10 + 5 + 30 + 1) / 4 = 11.5;
  // min a = 10, b = 1; max a = 30, b = 5.
  std::vector<testing::Scored> r =
      testing::ScoreRows(*doc, Rows({{"a", N(10)}, {"b", N(5)}, {"a", N(30)}, {"a", Value::Missing()}, {"b", N(1)}}));
  ASSERT_EQ(r.size(), 5u);
  const double total[] = {40, 6, 40, 40, 6}, n[] = {2, 2, 2, 2, 2}, lo[] = {10, 1, 10, 10, 1},
               hi[] = {30, 5, 30, 30, 5};
  for (size_t i = 0; i < r.size(); ++i) {
    ASSERT_TRUE(r[i].status.ok()) << r[i].status.message();
    EXPECT_DOUBLE_EQ(r[i].Get("out_total").number(), total[i]) << "row " << i;
    EXPECT_DOUBLE_EQ(r[i].Get("out_n").number(), n[i]) << "row " << i;
    EXPECT_DOUBLE_EQ(r[i].Get("out_mean").number(), 11.5) << "row " << i;
    EXPECT_DOUBLE_EQ(r[i].Get("out_lo").number(), lo[i]) << "row " << i;
    EXPECT_DOUBLE_EQ(r[i].Get("out_hi").number(), hi[i]) << "row " << i;
  }
  // A request of one row aggregates that row alone.
  std::vector<testing::Scored> one = testing::ScoreRows(*doc, Rows({{"a", N(7)}}));
  EXPECT_DOUBLE_EQ(one[0].Get("out_total").number(), 7);
  EXPECT_DOUBLE_EQ(one[0].Get("out_n").number(), 1);
}

TEST(PmmlWindowExpressionTest, LagReadsPreviousRowsWithinBlocks) {
  auto doc = testing::MustLoad(
      WindowDoc(Derived("prev", "double", "<Lag field=\"x\"/>") +
                    Derived("prev2", "double", "<Lag field=\"x\" n=\"2\"><BlockIndicator field=\"key\"/></Lag>") +
                    Derived("avg2", "double",
                            "<Lag field=\"x\" n=\"2\" aggregate=\"avg\"><BlockIndicator field=\"key\"/></Lag>") +
                    Derived("sd3", "double",
                            "<Lag field=\"x\" n=\"3\" aggregate=\"stddev\"><BlockIndicator field=\"key\"/></Lag>") +
                    Derived("sum_prev", "double",
                            "<Apply function=\"+\"><FieldRef field=\"prev\"/><FieldRef field=\"x\"/></Apply>"),
                {"prev", "prev2", "avg2", "sd3", "sum_prev"}));
  ASSERT_NE(doc, nullptr);
  // Rows (A 1) (B 10) (A 2) (A 4) (B 20) (A 8). Block A = rows 0, 2, 3, 5 (x 1, 2, 4, 8);
  // block B = rows 1, 4 (x 10, 20).
  std::vector<testing::Scored> r =
      testing::ScoreRows(*doc, Rows({{"A", N(1)}, {"B", N(10)}, {"A", N(2)}, {"A", N(4)}, {"B", N(20)}, {"A", N(8)}}));
  ASSERT_EQ(r.size(), 6u);
  for (const auto& row : r) ASSERT_TRUE(row.status.ok()) << row.status.message();
  const double nan = std::nan("");
  // prev (no block): the previous row of the request.
  const double prev[] = {nan, 1, 10, 2, 4, 20};
  // prev2 within the block: A: -, -, 1, 2; B: -, -.
  const double prev2[] = {nan, nan, nan, 1, nan, 2};
  // avg2 = mean of the up to 2 previous values of the block: A: -, 1, (1+2)/2, (2+4)/2; B: -, 10.
  const double avg2[] = {nan, nan, 1, 1.5, 10, 3};
  // sd3 = sample standard deviation of the up to 3 previous values (needs 2):
  // row 3: {1, 2}: mean 1.5, ss 0.5, /1 -> sqrt(0.5) = 0.70710678;
  // row 5: {1, 2, 4}: mean 7/3, ss 16/9 + 1/9 + 25/9 = 42/9, /2 = 7/3 -> sqrt = 1.52752523.
  const double sd3[] = {nan, nan, nan, std::sqrt(0.5), nan, std::sqrt(7.0 / 3.0)};
  for (size_t i = 0; i < r.size(); ++i) {
    auto expect = [&](const char* name, double want) {
      Value got = r[i].Get(name);
      if (std::isnan(want)) {
        EXPECT_TRUE(got.missing()) << name << " row " << i << " = " << got.AsString();
      } else {
        EXPECT_NEAR(got.AsNumber().value_or(nan), want, 1e-12) << name << " row " << i;
      }
    };
    expect("out_prev", prev[i]);
    expect("out_prev2", prev2[i]);
    expect("out_avg2", avg2[i]);
    expect("out_sd3", sd3[i]);
  }
  // Expressions over a lag see it like any field: x + previous x.
  EXPECT_DOUBLE_EQ(r[3].Get("out_sum_prev").number(), 4 + 2);
  EXPECT_TRUE(r[0].Get("out_sum_prev").missing());
}

TEST(PmmlWindowExpressionTest, OversizedMultisetGroupsAreRefused) {
  // Every row gets its group's values: 5000 rows in one group would copy 25M values (> 2^24).
  auto doc =
      testing::MustLoad(WindowDoc("<DerivedField name=\"items\" optype=\"categorical\" dataType=\"double\">"
                                  "<Aggregate field=\"x\" function=\"multiset\" groupField=\"key\"/></DerivedField>",
                                  {"items"}));
  ASSERT_NE(doc, nullptr);
  std::vector<std::pair<std::string, Value>> rows(5000, {"same", N(1)});
  std::vector<testing::Scored> r = testing::ScoreRows(*doc, Rows(rows));
  ASSERT_FALSE(r[0].status.ok());
  EXPECT_EQ(r[0].status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r[0].status.message().find("<Aggregate field='x' function='multiset'>"), std::string::npos);
  // Small groups are fine; the scalar value of a multiset is its first value.
  std::vector<testing::Scored> small = testing::ScoreRows(*doc, Rows({{"a", N(4)}, {"b", N(5)}, {"a", N(6)}}));
  ASSERT_TRUE(small[2].status.ok()) << small[2].status.message();
  EXPECT_DOUBLE_EQ(small[2].Get("out_items").number(), 4);
}

TEST(PmmlWindowExpressionTest, InvalidUsesFailAtLoadNamingTheElement) {
  struct Case {
    std::string derived, functions, expect;
  };
  const Case cases[] = {
      {Derived("t", "double", "<Aggregate field=\"x\" function=\"median\"/>"), "", "unknown function 'median'"},
      {Derived("t", "double", "<Aggregate field=\"x\" function=\"sum\" sqlWhere=\"x &gt; 1\"/>"), "", "sqlWhere"},
      {Derived("t", "double", "<Aggregate field=\"nope\" function=\"sum\"/>"), "", "<Aggregate field='nope'"},
      {Derived("t", "double", "<Lag field=\"x\" n=\"0\"/>"), "", "n must be a positive integer"},
      {Derived("t", "double", "<Lag field=\"x\" aggregate=\"mode\"/>"), "", "unknown aggregate 'mode'"},
      {Derived("t", "double", "<Lag field=\"x\"><BlockIndicator field=\"nope\"/></Lag>"), "", "<Lag field='x'"},
      {Derived("t", "double", "<Apply function=\"f\"><FieldRef field=\"x\"/></Apply>"),
       "<DefineFunction name=\"f\" optype=\"continuous\" dataType=\"double\"><ParameterField name=\"p\"/>"
       "<Aggregate field=\"p\" function=\"sum\"/></DefineFunction>",
       "inside a DefineFunction"},
  };
  for (const Case& c : cases) {
    auto r = PmmlDocument::Load(WindowDoc(c.derived, {"t"}, c.functions));
    ASSERT_FALSE(r.ok()) << c.derived;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace mlserving::formats::pmml

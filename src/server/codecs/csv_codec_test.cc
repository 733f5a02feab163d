#include "server/codecs/csv_codec.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlserving::codecs {
namespace {

TEST(CsvCodecTest, ParsesQuotesAndMissingCells) {
  auto t = ParseCsv("a,b,\"c d\"\r\n1,NA,\"x,\"\"y\"\"\"\n,N/A,\"\"\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->header, (std::vector<std::string>{"a", "b", "c d"}));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(*t->rows[0][0], "1");
  EXPECT_FALSE(t->rows[0][1].has_value());
  EXPECT_EQ(*t->rows[0][2], "x,\"y\"");
  EXPECT_FALSE(t->rows[1][0].has_value());
  EXPECT_FALSE(t->rows[1][1].has_value());
  EXPECT_EQ(*t->rows[1][2], "");
}

TEST(CsvCodecTest, RejectsRaggedAndUnbalanced) {
  auto ragged = ParseCsv("a,b\n1\n");
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseCsv("a\n\"open\n").ok());
  EXPECT_FALSE(ParseCsv("").ok());
}

TEST(CsvCodecTest, InputsAndOutputs) {
  Signature sig;
  sig.inputs.push_back({"x", DType::kFloat64, {-1}, true, {}, true, {}});
  sig.inputs.push_back({"n", DType::kInt64, {-1}, true, {}, true, {}});
  sig.inputs.push_back({"s", DType::kString, {-1}, true, {}, true, {}});
  auto t = ParseCsv("s,x,n,extra\nhello,1.5,3,z\nNA,NA,NA,z\n");
  ASSERT_TRUE(t.ok());
  auto in = CsvToInputs(*t, sig);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(in->at("x").data<double>()[0], 1.5);
  EXPECT_TRUE(std::isnan(in->at("x").data<double>()[1]));
  EXPECT_EQ(in->at("n").data<int64_t>()[1], kMissingInt64);
  EXPECT_EQ(in->at("s").data<std::string>()[0], "hello");
  auto bad = CsvToInputs(*ParseCsv("x,n,s\nabc,1,a\n"), sig);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'x'"), std::string::npos);

  Signature out_sig;
  out_sig.outputs.push_back({"p", DType::kFloat64, {-1}, true, {}, false, {}});
  out_sig.outputs.push_back({"label", DType::kString, {-1}, true, {}, false, {}});
  TensorMap outputs;
  outputs.emplace("p", Tensor::FromVector<double>({2}, {0.25, std::nan("")}));
  outputs.emplace("label", Tensor::FromVector<std::string>({2}, {"a,b", ""}));
  auto csv = EncodeCsv(outputs, out_sig);
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv, "p,label\n0.25,\"a,b\"\nNA,NA\n");
}

}  // namespace
}  // namespace mlserving::codecs

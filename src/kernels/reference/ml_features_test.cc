#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/reference/ml_test_util.h"
#include "runtime/signature.h"

namespace mlserving::kernels::reference {
namespace {

using namespace ml_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(MlFeatureVectorizerTest, ConcatenatesCastsPadsAndTruncates) {
  const Tensor ints = Tensor::FromVector<int64_t>({2, 2}, {1, 2, 3, 4});
  const Tensor floats = Tensor::FromVector<float>({2, 3}, {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f});
  auto out =
      ml_test::Run(NodeBuilder("FeatureVectorizer", 1, 2).Ints("inputdimensions", {2, 3}).node(), {ints, floats});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 5}, {1, 2, 0.5f, 1.5f, 2.5f, 3, 4, 3.5f, 4.5f, 5.5f});
  out = ml_test::Run(NodeBuilder("FeatureVectorizer", 1, 2).Ints("inputdimensions", {3, 2}).node(), {ints, floats});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 5}, {1, 2, 0, 0.5f, 1.5f, 3, 4, 0, 3.5f, 4.5f});
}

TEST(MlFeatureVectorizerTest, Errors) {
  const Tensor a = Tensor::FromVector<float>({2, 1}, {1, 2});
  const Tensor b = Tensor::FromVector<float>({3, 1}, {1, 2, 3});
  auto out = ml_test::Run(NodeBuilder("FeatureVectorizer", 1, 2).Ints("inputdimensions", {1, 1}).node(), {a, b});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(NodeBuilder("FeatureVectorizer", 1, 2).Ints("inputdimensions", {1}), "inputdimensions vs inputs");
}

TEST(MlArrayFeatureExtractorTest, SelectsAlongTheLastAxis) {
  const ir::Node node = NodeBuilder("ArrayFeatureExtractor", 1, 2).node();
  auto out = ml_test::Run(
      node, {Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor::FromVector<int64_t>({2}, {2, 0})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 2}, {3, 1, 6, 4});
  out = ml_test::Run(node, {Tensor::FromVector<float>({3}, {1, 2, 3}), Tensor::FromVector<int64_t>({1}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {1, 1}, {3});
  std::vector<float> values(12);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  out = ml_test::Run(node, {Tensor::FromVector<float>({2, 2, 3}, values), Tensor::FromVector<int64_t>({1, 2}, {1, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 2, 2}, {1, 2, 4, 5, 7, 8, 10, 11});
  out =
      ml_test::Run(node, {Tensor::FromVector<std::string>({1, 2}, {"a", "b"}), Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<std::string>((*out)[0], {1, 1}, {"b"});
}

TEST(MlArrayFeatureExtractorTest, RejectsOutOfRangeIndices) {
  const ir::Node node = NodeBuilder("ArrayFeatureExtractor", 1, 2).node();
  for (int64_t index : {3, -1}) {
    auto out =
        ml_test::Run(node, {Tensor::FromVector<float>({3}, {1, 2, 3}), Tensor::FromVector<int64_t>({1}, {index})});
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  }
  auto out = ml_test::Run(node, {Tensor::FromVector<float>({3}, {1, 2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST(MlDictVectorizerTest, MissingValuesOfTheDensifiedMapBecomeZero) {
  const float nan = ml_test::kNaN;
  auto out = ml_test::Run(NodeBuilder("DictVectorizer").Strings("string_vocabulary", {"a", "b", "c"}).node(),
                          {Tensor::FromVector<float>({2, 3}, {1.5f, nan, 3, nan, nan, nan})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 3}, {1.5f, 0, 3, 0, 0, 0});
  out = ml_test::Run(NodeBuilder("DictVectorizer").Ints("int64_vocabulary", {4, 7}).node(),
                     {Tensor::FromVector<int64_t>({2}, {kMissingInt64, 9})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues<int64_t>((*out)[0], {1, 2}, {0, 9});
}

TEST(MlDictVectorizerTest, Errors) {
  ExpectInvalid(NodeBuilder("DictVectorizer"), "no vocabulary");
  auto out = ml_test::Run(NodeBuilder("DictVectorizer").Strings("string_vocabulary", {"a", "b"}).node(),
                          {Tensor::FromVector<float>({1, 3}, {1, 2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("[rows, 2]"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace mlserving::kernels::reference

#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(StringOpsTest, StringNormalizerStopwordsAndCase) {
  Tensor x = T1<std::string>({"monday", "tuesday", "Monday"});
  Attrs attrs = {{"stopwords", StringsAttr({"monday"})}, {"case_change_action", StringAttr("UPPER")}};
  ExpectEq<std::string>(Run1("StringNormalizer", 10, attrs, {x}), {1}, {"TUESDAY"});
  attrs["is_case_sensitive"] = IntAttr(1);
  ExpectEq<std::string>(Run1("StringNormalizer", 10, attrs, {x}), {2}, {"TUESDAY", "MONDAY"});
  // Everything dropped from a [1, C] input leaves one empty string of shape [1, 1].
  Tensor row = Tensor::FromVector<std::string>({1, 1}, {"MONDAY"});
  ExpectEq<std::string>(Run1("StringNormalizer", 10, {{"stopwords", StringsAttr({"monday"})}}, {row}), {1, 1}, {""});
  EXPECT_EQ(RunCode("StringNormalizer", 10, {{"case_change_action", StringAttr("TITLE")}}, {x}),
            StatusCode::kInvalidArgument);
}

TEST(StringOpsTest, TfIdfVectorizerCountsSkipGrams) {
  // Pool: unigrams 1, 3; bigrams (3, 3), (1, 3). Tokens 1 1 3 3 3 7 with skips up to 1:
  // 1 x2, 3 x3; (3,3) adjacent x2 + skip x1; (1,3) adjacent x1 + skip x2.
  Attrs attrs = {{"min_gram_length", IntAttr(1)},
                 {"max_gram_length", IntAttr(2)},
                 {"max_skip_count", IntAttr(1)},
                 {"mode", StringAttr("TF")},
                 {"ngram_counts", IntsAttr({0, 2})},
                 {"ngram_indexes", IntsAttr({0, 1, 2, 3})},
                 {"pool_int64s", IntsAttr({1, 3, 3, 3, 1, 3})}};
  Tensor x = Tensor::FromVector<int32_t>({1, 6}, {1, 1, 3, 3, 3, 7});
  ExpectNear<float>(Run1("TfIdfVectorizer", 9, attrs, {x}), {1, 4}, {2, 3, 3, 3});
  attrs["mode"] = StringAttr("TFIDF");
  attrs["weights"] = FloatsAttr({1, 1, 0.5f, 2});
  ExpectNear<float>(Run1("TfIdfVectorizer", 9, attrs, {x}), {1, 4}, {2, 3, 1.5f, 6});
  attrs["mode"] = StringAttr("IDF");
  ExpectNear<float>(Run1("TfIdfVectorizer", 9, attrs, {T1<int64_t>({3, 7})}), {4}, {0, 1, 0, 0});
}

TEST(StringOpsTest, TfIdfVectorizerStringPool) {
  Attrs attrs = {{"max_gram_length", IntAttr(1)},
                 {"mode", StringAttr("TF")},
                 {"ngram_counts", IntsAttr({0})},
                 {"ngram_indexes", IntsAttr({1, 0})},
                 {"pool_strings", StringsAttr({"a", "b"})}};
  ExpectNear<float>(Run1("TfIdfVectorizer", 9, attrs, {T1<std::string>({"a", "b", "a", "c"})}), {2}, {1, 2});
}

}  // namespace
}  // namespace mlserving::kernels

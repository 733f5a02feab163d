#include <gtest/gtest.h>

#include "kernels/reference/ml_test_util.h"

namespace mlserving::kernels::reference {
namespace {

using namespace ml_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(MlZipMapTest, PassesTheScoresThrough) {
  const Tensor scores = Tensor::FromVector<float>({2, 2}, {0.25f, 0.75f, 0.5f, 0.5f});
  auto out = ml_test::Run(NodeBuilder("ZipMap", 1).Strings("classlabels_strings", {"no", "yes"}).node(), {scores});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectFloats((*out)[0], {2, 2}, {0.25f, 0.75f, 0.5f, 0.5f});
  EXPECT_EQ((*out)[0].raw_data(), scores.raw_data());
}

TEST(MlZipMapTest, RejectsAClassCountMismatch) {
  const Tensor scores = Tensor::FromVector<float>({1, 3}, {0.2f, 0.3f, 0.5f});
  auto out = ml_test::Run(NodeBuilder("ZipMap", 1).Ints("classlabels_int64s", {0, 1}).node(), {scores});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = ml_test::Run(NodeBuilder("ZipMap", 1).Ints("classlabels_int64s", {0, 1, 2}).node(),
                     {Tensor::FromVector<int64_t>({1, 3}, {1, 2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  ExpectInvalid(NodeBuilder("ZipMap", 1), "no class labels");
}

}  // namespace
}  // namespace mlserving::kernels::reference

#include "server/codecs/npy_codec.h"

#include <gtest/gtest.h>

namespace mlserving::codecs {
namespace {

TEST(NpyCodecTest, RoundTripsNumericTensors) {
  Tensor t = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto bytes = EncodeNpy(t);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(0, 6), "\x93NUMPY");
  EXPECT_EQ((bytes->size() - t.byte_size()) % 64, 0u);  // header padded to 64 bytes
  auto back = DecodeNpy(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->shape(), (Shape{2, 3}));
  EXPECT_EQ(back->data<float>()[5], 6.0f);
}

TEST(NpyCodecTest, RoundTripsUnicodeStrings) {
  Tensor t = Tensor::FromVector<std::string>({3}, {"male", "", "Zürich ☃"});
  auto bytes = EncodeNpy(t);
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeNpy(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->data<std::string>()[0], "male");
  EXPECT_EQ(back->data<std::string>()[1], "");
  EXPECT_EQ(back->data<std::string>()[2], "Zürich ☃");
}

TEST(NpyCodecTest, ScalarsHaveAnEmptyShape) {
  auto bytes = EncodeNpy(Tensor::Scalar<int64_t>(7));
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(bytes->find("'shape': ()"), std::string::npos);
  auto back = DecodeNpy(*bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rank(), 0);
  EXPECT_EQ(back->data<int64_t>()[0], 7);
}

TEST(NpyCodecTest, RejectsTruncatedAndForeignFiles) {
  auto bytes = EncodeNpy(Tensor::FromVector<double>({4}, {1, 2, 3, 4}));
  ASSERT_TRUE(bytes.ok());
  EXPECT_FALSE(DecodeNpy(bytes->substr(0, bytes->size() - 1)).ok());
  EXPECT_FALSE(DecodeNpy("hello").ok());
  std::string object_array = *bytes;
  object_array.replace(object_array.find("<f8"), 3, "|O ");
  EXPECT_EQ(DecodeNpy(object_array).status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace mlserving::codecs

namespace mlserving::codecs {
namespace {

TEST(NpyCodecTest, ReadsFortranOrderArrays) {
  // np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)) holds 0 3 1 4 2 5 in memory.
  Tensor c = Tensor::FromVector<int32_t>({3, 2}, {0, 3, 1, 4, 2, 5});
  auto bytes = EncodeNpy(c);
  ASSERT_TRUE(bytes.ok());
  std::string f = *bytes;
  f.replace(f.find("'fortran_order': False, 'shape': (3,2)"), 38, "'fortran_order': True, 'shape': (2,3) ");
  auto back = DecodeNpy(f);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->shape(), (Shape{2, 3}));
  std::vector<int32_t> values(back->data<int32_t>(), back->data<int32_t>() + 6);
  EXPECT_EQ(values, (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace mlserving::codecs

namespace mlserving::codecs {
namespace {

// Regression (found by fuzz.npy_codec): zero-width strings take no bytes, so a tiny file could
// declare 2^28 of them and make the decoder allocate gigabytes.
TEST(NpyCodecTest, RefusesHugeArraysOfZeroWidthStrings) {
  Tensor t = Tensor::FromVector<std::string>({1}, {""});
  auto bytes = EncodeNpy(t);
  ASSERT_TRUE(bytes.ok());
  std::string npy = *bytes;
  npy.replace(npy.find("'<U1'"), 5, "'<U0'");
  npy.replace(npy.find("(1,)"), 4, "(268435456,)");
  auto decoded = DecodeNpy(npy);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("too large"), std::string::npos);
}

}  // namespace
}  // namespace mlserving::codecs

namespace mlserving::codecs {
namespace {

// Regression (found by fuzz.npy_codec): a header declaring a huge shape over a few bytes of data
// must fail before anything is allocated.
TEST(NpyCodecTest, ChecksTheDataSizeBeforeAllocating) {
  auto bytes = EncodeNpy(Tensor::FromVector<float>({1, 4}, {1, 2, 3, 4}));
  ASSERT_TRUE(bytes.ok());
  std::string npy = *bytes;
  npy.replace(npy.find("(1,4)"), 5, "(11111111111114,4)");
  auto decoded = DecodeNpy(npy);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace mlserving::codecs

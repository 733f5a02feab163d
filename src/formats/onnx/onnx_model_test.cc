#include "formats/onnx/onnx_model.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "server/codecs/npy_codec.h"

namespace mlserving::formats::onnx {
namespace {

const std::string kFixtures = std::string(MLSERVING_SOURCE_DIR) + "/fixtures/";

Tensor ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto t = codecs::DecodeNpy(bytes);
  EXPECT_TRUE(t.ok()) << path << ": " << t.status().message();
  return t.ok() ? *t : Tensor();
}

void ExpectNear(const Tensor& got, const Tensor& want, double tol) {
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), want.dtype());
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    if (got.dtype() == DType::kFloat32) {
      EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], tol) << "element " << i;
    } else if (got.dtype() == DType::kInt64) {
      EXPECT_EQ(got.data<int64_t>()[i], want.data<int64_t>()[i]) << "element " << i;
    } else if (got.dtype() == DType::kString) {
      EXPECT_EQ(got.data<std::string>()[i], want.data<std::string>()[i]) << "element " << i;
    }
  }
}

/// Evaluates fixtures/<model> on its committed inputs/*.npy and compares with expected/*.npy,
/// which onnxruntime produced (tools/generate_fixtures.py).
void CheckFixture(const std::string& model, const std::vector<std::string>& inputs,
                  const std::vector<std::string>& outputs) {
  auto evaluator = LoadOnnxFile(kFixtures + model + "/" + model + ".onnx");
  ASSERT_TRUE(evaluator.ok()) << evaluator.status().message();
  TensorMap feed;
  for (const auto& name : inputs) feed[name] = ReadNpy(kFixtures + model + "/inputs/" + name + ".npy");
  auto result = (*evaluator)->Evaluate(feed, EvaluationContext{});
  ASSERT_TRUE(result.ok()) << result.status().message();
  for (const auto& name : outputs) {
    SCOPED_TRACE(model + " output " + name);
    ExpectNear(result->at(name), ReadNpy(kFixtures + model + "/expected/" + name + ".npy"), 1e-5);
  }
}

TEST(OnnxModelTest, TitanicPipelineMatchesOnnxRuntime) {
  CheckFixture("titanic", {"fare", "sex", "embarked", "pclass", "age"}, {"output_label", "output_probability"});
}

TEST(OnnxModelTest, IrisTreeEnsembleMatchesOnnxRuntime) {
  CheckFixture("iris", {"float_input"}, {"output_label", "output_probability"});
}

TEST(OnnxModelTest, SvmClassifierMatchesOnnxRuntime) {
  CheckFixture("svm", {"float_input"}, {"output_label", "output_probability"});
}

TEST(OnnxModelTest, TorchMlpMatchesOnnxRuntime) { CheckFixture("mlp", {"x"}, {"probabilities"}); }

TEST(OnnxModelTest, DescribesZipMapOutputsAsBatchByClasses) {
  auto evaluator = LoadOnnxFile(kFixtures + "titanic/titanic.onnx");
  ASSERT_TRUE(evaluator.ok()) << evaluator.status().message();
  const Signature& s = (*evaluator)->Describe();
  ASSERT_EQ(s.inputs.size(), 5u);
  EXPECT_EQ(s.inputs[0].name, "fare");
  EXPECT_EQ(s.inputs[0].shape, (Shape{-1, 1}));
  EXPECT_EQ(s.inputs[1].dtype, DType::kString);
  ASSERT_EQ(s.outputs.size(), 2u);
  EXPECT_EQ(s.outputs[0].dtype, DType::kInt64);
  EXPECT_EQ(s.outputs[1].dtype, DType::kFloat32);
  EXPECT_EQ(s.outputs[1].shape, (Shape{-1, 2}));
}

TEST(OnnxModelTest, RejectsInputsThatContradictTheModel) {
  auto evaluator = LoadOnnxFile(kFixtures + "mlp/mlp.onnx");
  ASSERT_TRUE(evaluator.ok()) << evaluator.status().message();
  TensorMap feed;
  feed["x"] = Tensor(DType::kFloat32, {2, 5});
  auto result = (*evaluator)->Evaluate(feed, EvaluationContext{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("[-1,4]"), std::string::npos) << result.status().message();
  feed["x"] = Tensor(DType::kFloat64, {2, 4});
  EXPECT_EQ((*evaluator)->Evaluate(feed, EvaluationContext{}).status().code(), StatusCode::kInvalidArgument);
}

TEST(OnnxModelTest, TruncatedFileIsAClearError) {
  auto r = LoadOnnxFile(kFixtures + "broken/truncated.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not a valid ONNX model"), std::string::npos) << r.status().message();
}

TEST(OnnxModelTest, TextFileIsAClearError) {
  auto r = LoadOnnxFile(kFixtures + "broken/not_a_model.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(OnnxModelTest, EveryUnsupportedOperatorIsListedAtOnce) {
  auto r = LoadOnnxFile(kFixtures + "broken/unsupported_ops.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("com.example.Frobnicate"), std::string::npos) << m;
  EXPECT_NE(m.find("com.example.Transmogrify"), std::string::npos) << m;
  EXPECT_NE(m.find("org.acme.Quux"), std::string::npos) << m;
  EXPECT_NE(m.find("3 unsupported operators"), std::string::npos) << m;
}

TEST(OnnxModelTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadOnnxFile(kFixtures + "nope.onnx").status().code(), StatusCode::kNotFound);
}

TEST(OnnxModelTest, ArbitraryBytesNeverCrash) {
  std::string bytes = "\x08\x07\x12\x04test\x3a\x02\x0a\x00";
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    (void)LoadOnnxBytes(bytes.substr(0, cut), "x.onnx", ".");
  }
}

}  // namespace
}  // namespace mlserving::formats::onnx

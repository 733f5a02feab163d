#include "serving/model_loader.h"

#include <array>
#include <filesystem>
#include <fstream>

#include "formats/onnx/onnx_model.h"
#include "formats/pmml/pmml_model.h"

namespace mlserving::serving {
namespace {

/// One entry of the format table: how to recognise a path and how to load it.
struct FormatLoader {
  const char* name;
  bool (*sniff)(const std::string& path, std::string_view head);
  Result<std::unique_ptr<Evaluator>> (*load)(const std::string& path);
};

/// The one explicit table of format loaders, tried in order.
constexpr std::array<FormatLoader, 2> kFormatLoaders = {{
    {"onnx", &formats::onnx::SniffOnnx, &formats::onnx::LoadOnnxFile},
    {"pmml", &formats::pmml::SniffPmml, &formats::pmml::LoadPmmlFile},
}};

std::string ReadHead(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(64, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

}  // namespace

Result<LoadedModel> LoadModel(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFound("model path '" + path + "' does not exist; give the path of a model file or directory");
  }
  std::string head = std::filesystem::is_regular_file(path, ec) ? ReadHead(path) : std::string();
  for (const FormatLoader& loader : kFormatLoaders) {
    if (!loader.sniff(path, head)) continue;
    auto start = std::chrono::steady_clock::now();
    Result<std::unique_ptr<Evaluator>> evaluator = loader.load(path);
    if (!evaluator.ok()) return evaluator.status();
    LoadedModel model;
    model.evaluator = std::shared_ptr<const Evaluator>(std::move(evaluator).value());
    model.path = path;
    model.format = loader.name;
    model.load_time = std::chrono::steady_clock::now() - start;
    return model;
  }
  std::string supported;
  for (const FormatLoader& loader : kFormatLoaders)
    supported += std::string(supported.empty() ? "" : ", ") + loader.name;
  return InvalidArgument("'" + path + "' is not a model format this runtime recognises (supported: " + supported + ")");
}

Status WarmUp(const Evaluator& evaluator) {
  TensorMap inputs;
  for (const TensorSpec& spec : evaluator.Describe().inputs) {
    Shape shape = spec.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(spec.dtype, shape, int64_t{1} << 28));
    inputs.emplace(spec.name, std::move(t));
  }
  EvaluationContext ctx;
  Result<TensorMap> outputs = evaluator.Evaluate(inputs, ctx);
  return outputs.ok() ? Status::Ok() : outputs.status();
}

}  // namespace mlserving::serving

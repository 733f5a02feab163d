#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "formats/onnx/onnx_proto_convert.h"
#include "serving/model_loader.h"
#include "server/codecs/json_evaluation.h"
#include "server/codecs/npy_codec.h"

namespace mlserving::cli {
namespace {

struct PredictOptions {
  std::string model;
  std::string json;                 ///< a file, or "-" for standard input
  std::vector<std::string> inputs;  ///< NAME=FILE (.npy or .pb)
  std::string output_dir;
  bool html = false;
};

Result<std::string> ReadAll(const std::string& path) {
  if (path == "-") return std::string((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "'");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<Tensor> ReadTensorFile(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".pb") return formats::onnx::ReadTensorProtoFile(path);
  ASSIGN_OR_RETURN(std::string bytes, ReadAll(path));
  Result<Tensor> t = codecs::DecodeNpy(bytes);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

/// `--json`: prints exactly what POST /eval answers (the error document on failure).
int PredictJson(const Evaluator& evaluator, const PredictOptions& options) {
  Result<std::string> body = ReadAll(options.json);
  Result<codecs::JsonEvaluation> result =
      body.ok() ? codecs::EvaluateJsonBody(evaluator, *body, codecs::JsonLimits{}, EvaluationContext{},
                                           options.html ? codecs::ResponseFormat::kHtml : codecs::ResponseFormat::kJson)
                : Result<codecs::JsonEvaluation>(body.status());
  if (!result.ok()) {
    std::cout << codecs::EncodeError(HttpStatusOf(result.status().code()), result.status().message()) << "\n";
    return 1;
  }
  std::cout << result->body << "\n";
  return 0;
}

/// `--input NAME=FILE … --output-dir DIR`: tensors in, one DIR/<output>.npy per output.
int PredictTensors(const Evaluator& evaluator, const PredictOptions& options) {
  TensorMap inputs;
  for (const std::string& arg : options.inputs) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error: --input expects NAME=FILE, got '" << arg << "'\n";
      return 2;
    }
    Result<Tensor> t = ReadTensorFile(arg.substr(eq + 1));
    if (!t.ok()) {
      std::cerr << "error: " << t.status().message() << "\n";
      return 1;
    }
    inputs[arg.substr(0, eq)] = std::move(t).value();
  }
  for (const auto& [name, tensor] : inputs) {
    if (!evaluator.Describe().FindInput(name)) {
      std::cerr << "error: the model has no input '" << name << "'\n";
      return 1;
    }
  }
  Result<TensorMap> outputs = evaluator.Evaluate(inputs, EvaluationContext{});
  if (!outputs.ok()) {
    std::cerr << "error: " << outputs.status().message() << "\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.output_dir, ec);
  for (const auto& [name, tensor] : *outputs) {
    Result<std::string> npy = codecs::EncodeNpy(tensor);
    std::string file = (std::filesystem::path(options.output_dir) / (name + ".npy")).string();
    std::ofstream out(file, std::ios::binary);
    if (!npy.ok() || !out.write(npy->data(), static_cast<std::streamsize>(npy->size()))) {
      std::cerr << "error: cannot write '" << file << "'\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

void AddPredictCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<PredictOptions>();
  auto* cmd = app.add_subcommand("predict", "evaluate a model once, from JSON or from tensor files");
  cmd->add_option("model", options->model, "model file or directory")->required();
  auto* json = cmd->add_option("--json", options->json, "a JSON request body as POST /eval takes it (- = stdin)");
  auto* input = cmd->add_option("--input", options->inputs, "NAME=FILE with FILE a .npy or ONNX TensorProto .pb");
  cmd->add_option("--output-dir", options->output_dir, "with --input: where to write <output>.npy files");
  cmd->add_flag("--html", options->html, "with --json: answer as Accept: text/html would");
  json->excludes(input);
  cmd->callback([options, exit_code] {
    if (options->json.empty() && options->inputs.empty()) {
      std::cerr << "error: give --json FILE or --input NAME=FILE ... --output-dir DIR\n";
      *exit_code = 2;
      return;
    }
    if (!options->inputs.empty() && options->output_dir.empty()) {
      std::cerr << "error: --input needs --output-dir DIR\n";
      *exit_code = 2;
      return;
    }
    Result<serving::LoadedModel> model = serving::LoadModel(options->model);
    if (!model.ok()) {
      std::cerr << "error: " << model.status().message() << "\n";
      *exit_code = 1;
      return;
    }
    *exit_code = options->json.empty() ? PredictTensors(*model->evaluator, *options)
                                       : PredictJson(*model->evaluator, *options);
  });
}

}  // namespace mlserving::cli

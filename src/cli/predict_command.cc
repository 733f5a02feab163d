#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/tensor_files.h"
#include "server/codecs/csv_codec.h"
#include "server/codecs/json_evaluation.h"
#include "server/codecs/npy_codec.h"
#include "serving/model_loader.h"

namespace mlserving::cli {
namespace {

struct PredictOptions {
  std::string model;
  std::string json;                 ///< a file, or "-" for standard input
  std::vector<std::string> inputs;  ///< NAME=FILE (.npy or .pb)
  std::string output_dir;
  bool html = false;
  std::string csv;     ///< a CSV file of input rows (- = stdin)
  std::string output;  ///< with --csv: where to write the output CSV (default stdout)
};

/// `--csv FILE [--output FILE]`: one row per record (header = input names; NA, N/A or empty =
/// missing), answered as a CSV of the output fields.
int PredictCsv(const Evaluator& evaluator, const PredictOptions& options) {
  Result<std::string> text = ReadAll(options.csv);
  Result<codecs::CsvTable> table = text.ok() ? codecs::ParseCsv(*text) : Result<codecs::CsvTable>(text.status());
  Result<TensorMap> inputs =
      table.ok() ? codecs::CsvToInputs(*table, evaluator.Describe()) : Result<TensorMap>(table.status());
  Result<TensorMap> outputs = inputs.ok() ? evaluator.Evaluate(*inputs, EvaluationContext{}) : inputs;
  Result<std::string> csv =
      outputs.ok() ? codecs::EncodeCsv(*outputs, evaluator.Describe()) : Result<std::string>(outputs.status());
  if (!csv.ok()) {
    std::cerr << "error: " << csv.status().message() << "\n";
    return 1;
  }
  if (options.output.empty()) {
    std::cout << *csv;
    return 0;
  }
  std::ofstream out(options.output, std::ios::binary);
  if (!out.write(csv->data(), static_cast<std::streamsize>(csv->size()))) {
    std::cerr << "error: cannot write '" << options.output << "'\n";
    return 1;
  }
  return 0;
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

/// Writes `bytes` to `path`; false on failure.
bool WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  return static_cast<bool>(out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())));
}

/// Writes one output under `dir` as docs/FORMATS.md describes: a tensor as <name>.npy; a
/// sequence as <name>/<index>.npy plus <name>.seq.json listing them; an empty optional as
/// nothing (reported on stderr). Returns false (after printing why) on a write failure.
bool WriteOutput(const std::filesystem::path& dir, const std::string& name, const Value& value) {
  if (value.is_none()) {
    std::cerr << "note: output '" << name << "' is empty (an optional without a value); no file written\n";
    return true;
  }
  if (value.is_tensor()) {
    Result<std::string> npy = codecs::EncodeNpy(value.tensor());
    if (!npy.ok() || !WriteFile(dir / (name + ".npy"), *npy)) {
      std::cerr << "error: cannot write '" << (dir / (name + ".npy")).string() << "'\n";
      return false;
    }
    return true;
  }
  const TensorSequence& sequence = value.sequence();
  std::error_code ec;
  std::filesystem::create_directories(dir / name, ec);
  nlohmann::ordered_json elements = nlohmann::ordered_json::array();
  for (size_t i = 0; i < sequence.size(); ++i) {
    const std::string relative = name + "/" + std::to_string(i) + ".npy";
    Result<std::string> npy = codecs::EncodeNpy(sequence.tensors[i]);
    if (!npy.ok() || !WriteFile(dir / relative, *npy)) {
      std::cerr << "error: cannot write '" << (dir / relative).string() << "'\n";
      return false;
    }
    elements.push_back(relative);
  }
  nlohmann::ordered_json index = {{"name", name},
                                  {"kind", "sequence"},
                                  {"dtype", std::string(DTypeName(sequence.dtype))},
                                  {"length", sequence.size()},
                                  {"elements", elements}};
  if (!WriteFile(dir / (name + ".seq.json"), index.dump(2) + "\n")) {
    std::cerr << "error: cannot write '" << (dir / (name + ".seq.json")).string() << "'\n";
    return false;
  }
  return true;
}

/// `--input NAME=FILE … --output-dir DIR`: tensors in, one DIR/<output>.npy per tensor output
/// (sequence outputs as DIR/<output>/<i>.npy + DIR/<output>.seq.json).
int PredictTensors(const Evaluator& evaluator, const PredictOptions& options) {
  ValueMap inputs;
  for (const std::string& arg : options.inputs) {
    Result<std::pair<std::string, std::string>> name_file = SplitNameValue(arg, "--input");
    if (!name_file.ok()) {
      std::cerr << "error: " << name_file.status().message() << "\n";
      return 2;
    }
    Result<Tensor> t = ReadTensorFile(name_file->second);
    if (!t.ok()) {
      std::cerr << "error: " << t.status().message() << "\n";
      return 1;
    }
    inputs[name_file->first] = std::move(t).value();
  }
  for (const auto& [name, value] : inputs) {
    if (!evaluator.Describe().FindInput(name)) {
      std::cerr << "error: the model has no input '" << name << "'\n";
      return 1;
    }
  }
  Result<ValueMap> outputs = evaluator.EvaluateValues(inputs, EvaluationContext{});
  if (!outputs.ok()) {
    std::cerr << "error: " << outputs.status().message() << "\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.output_dir, ec);
  for (const auto& [name, value] : *outputs) {
    if (!WriteOutput(options.output_dir, name, value)) return 1;
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
  cmd->add_option("--output-dir", options->output_dir,
                  "with --input: where to write <output>.npy files (sequences: <output>/<i>.npy + <output>.seq.json)");
  cmd->add_flag("--html", options->html, "with --json: answer as Accept: text/html would");
  auto* csv =
      cmd->add_option("--csv", options->csv, "a CSV of input rows (header = input names; NA = missing; - = stdin)");
  cmd->add_option("--output", options->output, "with --csv: write the output CSV to this file (default: stdout)");
  json->excludes(input);
  csv->excludes(json);
  csv->excludes(input);
  cmd->callback([options, exit_code] {
    if (options->json.empty() && options->inputs.empty() && options->csv.empty()) {
      std::cerr << "error: give --json FILE, --csv FILE or --input NAME=FILE ... --output-dir DIR\n";
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
    if (!options->csv.empty()) {
      *exit_code = PredictCsv(*model->evaluator, *options);
      return;
    }
    *exit_code =
        options->json.empty() ? PredictTensors(*model->evaluator, *options) : PredictJson(*model->evaluator, *options);
  });
}

}  // namespace mlserving::cli

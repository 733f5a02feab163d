#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/tensor_files.h"
#include "server/codecs/csv_codec.h"
#include "serving/model_loader.h"
#include "tensor/dispatch.h"
#include "tensor/float16.h"

namespace mlserving::cli {
namespace {

struct BenchOptions {
  std::string model;
  std::vector<std::string> inputs;  ///< NAME=FILE
  std::vector<std::string> shapes;  ///< NAME=d0,d1,…
  std::string csv;                  ///< a CSV of input rows (as `predict --csv` reads it)
  int threads = 1;
  int warmup = 10;
  int iterations = 100;
  uint64_t seed = 0;
};

Result<Shape> ParseShape(const std::string& text) {
  Shape shape;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string dim = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int64_t d = 0;
    auto [ptr, ec] = std::from_chars(dim.data(), dim.data() + dim.size(), d);
    if (ec != std::errc() || ptr != dim.data() + dim.size() || d < 0) {
      return InvalidArgument("invalid dimension '" + dim + "' in --shape (expected e.g. 1,3,224,224)");
    }
    shape.push_back(d);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return shape;
}

/// Random values of `spec`'s dtype: floats uniform in [-1, 1), integers in [0, 10), "a"…"j".
Result<Tensor> GenerateInput(const TensorSpec& spec, Shape shape, std::mt19937_64& rng) {
  ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(spec.dtype, std::move(shape), int64_t{1} << 30));
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  DispatchDType(spec.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = t.data<T>();
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      if constexpr (std::is_same_v<T, std::string>) {
        data[i] = std::string(1, static_cast<char>('a' + small(rng)));
      } else if constexpr (std::is_same_v<T, bool>) {
        data[i] = small(rng) < 5;
      } else if constexpr (std::is_same_v<T, Float16>) {
        data[i].bits = FloatToHalf(static_cast<float>(real(rng)));
      } else if constexpr (std::is_same_v<T, BFloat16>) {
        data[i].bits = FloatToBFloat16(static_cast<float>(real(rng)));
      } else if constexpr (std::is_floating_point_v<T>) {
        data[i] = static_cast<T>(real(rng));
      } else {
        data[i] = static_cast<T>(small(rng));
      }
    }
  });
  return t;
}

Result<TensorMap> BuildInputs(const Signature& signature, const BenchOptions& options) {
  TensorMap inputs;
  if (!options.csv.empty()) {
    // One column tensor per input, N rows: the batch `predict --csv` would score (PMML models).
    ASSIGN_OR_RETURN(std::string text, ReadAll(options.csv));
    ASSIGN_OR_RETURN(codecs::CsvTable table, codecs::ParseCsv(text));
    ASSIGN_OR_RETURN(inputs, codecs::CsvToInputs(table, signature));
  }
  for (const std::string& arg : options.inputs) {
    ASSIGN_OR_RETURN(auto name_file, SplitNameValue(arg, "--input"));
    ASSIGN_OR_RETURN(Tensor t, ReadTensorFile(name_file.second));
    inputs[name_file.first] = std::move(t);
  }
  std::map<std::string, Shape> shapes;
  for (const std::string& arg : options.shapes) {
    ASSIGN_OR_RETURN(auto name_dims, SplitNameValue(arg, "--shape"));
    ASSIGN_OR_RETURN(shapes[name_dims.first], ParseShape(name_dims.second));
  }
  std::mt19937_64 rng(options.seed);
  for (const TensorSpec& spec : signature.inputs) {
    if (inputs.count(spec.name)) continue;
    Shape shape = spec.shape;
    if (auto it = shapes.find(spec.name); it != shapes.end()) {
      shape = it->second;
    } else {
      for (int64_t& d : shape) {
        if (d < 0) d = 1;
      }
    }
    ASSIGN_OR_RETURN(inputs[spec.name], GenerateInput(spec, shape, rng));
  }
  for (const auto& [name, tensor] : inputs) {
    if (!signature.FindInput(name)) return InvalidArgument("the model has no input '" + name + "'");
  }
  return inputs;
}

double Percentile(std::vector<double> sorted, double q) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

/// This process's peak resident set: VmHWM from /proc/self/status, which (unlike ru_maxrss) does
/// not inherit the peak of the process that started us; ru_maxrss where /proc is unavailable.
double PeakRssMb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // in kB
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int RunBench(const BenchOptions& options) {
  auto load_start = std::chrono::steady_clock::now();
  Result<serving::LoadedModel> model = serving::LoadModel(options.model);
  if (!model.ok()) {
    std::cerr << "error: " << model.status().message() << "\n";
    return 1;
  }
  double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_start).count();
  Result<TensorMap> inputs = BuildInputs(model->evaluator->Describe(), options);
  if (!inputs.ok()) {
    std::cerr << "error: " << inputs.status().message() << "\n";
    return 1;
  }
  EvaluationContext ctx;
  ctx.intra_op_threads = options.threads;
  std::vector<double> times;
  for (int i = 0; i < options.warmup + options.iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    Result<TensorMap> outputs = model->evaluator->Evaluate(*inputs, ctx);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!outputs.ok()) {
      std::cerr << "error: " << outputs.status().message() << "\n";
      return 1;
    }
    if (i >= options.warmup) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  double sum = 0;
  for (double t : times) sum += t;
  // The path as a JSON string (quotes, backslashes and control characters escaped).
  const std::string model_json = nlohmann::json(options.model).dump();
  std::printf(
      "{\"model\":%s,\"median_ms\":%.6f,\"p90_ms\":%.6f,\"p99_ms\":%.6f,\"mean_ms\":%.6f,\"min_ms\":%.6f,"
      "\"iterations\":%d,\"warmup\":%d,\"threads\":%d,\"load_ms\":%.2f,\"peak_rss_mb\":%.1f}\n",
      model_json.c_str(), Percentile(times, 0.5), Percentile(times, 0.9), Percentile(times, 0.99),
      times.empty() ? 0 : sum / static_cast<double>(times.size()), times.empty() ? 0 : times.front(),
      options.iterations, options.warmup, options.threads, load_ms, PeakRssMb());
  return 0;
}

}  // namespace

void AddBenchCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "time a model's evaluation; prints one JSON object");
  cmd->add_option("model", options->model, "model file or directory")->required();
  cmd->add_option("--input", options->inputs, "NAME=FILE (.npy or ONNX .pb) for an input");
  cmd->add_option("--shape", options->shapes, "NAME=d0,d1,… to generate random values for an input");
  cmd->add_option("--csv", options->csv,
                  "a CSV of input rows, one batch (header = input names; NA = missing), as predict --csv reads it");
  cmd->add_option("--threads", options->threads, "intra-op threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--warmup", options->warmup, "untimed runs first")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--iterations", options->iterations, "timed runs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", options->seed, "seed of the generated inputs")->capture_default_str();
  cmd->callback([options, exit_code] { *exit_code = RunBench(*options); });
}

}  // namespace mlserving::cli

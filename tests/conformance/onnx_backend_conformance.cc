// Runs the ONNX backend test suite (Debian's libonnx-testdata) through our engine.
//
// Every case is <suite>/<test>/model.onnx with test_data_set_0/input_<i>.pb and output_<i>.pb
// (serialized TensorProtos, positional; SequenceProtos and OptionalProtos for sequence- and
// optional-typed graph inputs and outputs). Each case runs in a forked child so that a crashing
// kernel is reported as a failure of that case instead of ending the run. Outputs are compared
// with rtol 1e-3 / atol 1e-7 (exact for integers, bools and strings), as the ONNX runner does.
//
// Prints one line per failing case, a per-op table, and `N passed, M failed, K skipped`; exits 1
// when the pass rate over non-skipped cases is below --min-pass-rate.
#include <sys/wait.h>
#include <unistd.h>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "formats/onnx/onnx_model.h"
#include "formats/onnx/onnx_proto_convert.h"
#include "tensor/dispatch.h"
#include "tensor/float16.h"

namespace fs = std::filesystem;
using namespace mlserving;

namespace {

enum class Outcome { kPass, kFail, kSkip };

struct CaseResult {
  Outcome outcome = Outcome::kFail;
  std::string detail;
};

/// Domains whose ops are training-only and out of scope for a serving runtime.
const std::set<std::string> kTrainingDomains = {"ai.onnx.preview.training"};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The op types of a case (the interesting one first: the first node that is not a Constant).
std::vector<std::string> OpTypesOf(const onnx::ModelProto& model) {
  std::vector<std::string> ops;
  for (const auto& node : model.graph().node()) {
    std::string op =
        node.domain().empty() || node.domain() == "ai.onnx" ? node.op_type() : node.domain() + "." + node.op_type();
    if (std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(op);
  }
  std::stable_partition(ops.begin(), ops.end(), [](const std::string& op) { return op != "Constant"; });
  return ops;
}

double ToDouble(const Tensor& t, int64_t i) {
  return DispatchDType(t.dtype(), [&](auto tag) -> double {
    using T = typename decltype(tag)::type;
    const T& v = t.data<T>()[i];
    if constexpr (std::is_same_v<T, std::string>) {
      return 0.0;
    } else if constexpr (std::is_same_v<T, Float16>) {
      return HalfToFloat(v.bits);
    } else if constexpr (std::is_same_v<T, BFloat16>) {
      return BFloat16ToFloat(v.bits);
    } else {
      return static_cast<double>(v);
    }
  });
}

/// Empty when equal within tolerance, else the first difference.
std::string Compare(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype()) {
    return "dtype " + std::string(DTypeName(got.dtype())) + " != expected " + std::string(DTypeName(want.dtype()));
  }
  if (got.shape() != want.shape())
    return "shape " + ShapeToString(got.shape()) + " != expected " + ShapeToString(want.shape());
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    if (got.dtype() == DType::kString) {
      if (got.data<std::string>()[i] != want.data<std::string>()[i]) {
        return "element " + std::to_string(i) + ": '" + got.data<std::string>()[i] + "' != '" +
               want.data<std::string>()[i] + "'";
      }
      continue;
    }
    double g = ToDouble(got, i);
    double w = ToDouble(want, i);
    bool ok;
    if (IsFloating(got.dtype())) {
      ok = (std::isnan(g) && std::isnan(w)) || g == w || std::fabs(g - w) <= 1e-7 + 1e-3 * std::fabs(w);
    } else {
      ok = g == w;
    }
    if (!ok) {
      std::ostringstream out;
      out.precision(9);
      out << "element " << i << ": " << g << " != expected " << w;
      return out.str();
    }
  }
  return "";
}

/// Empty when equal (see Compare; sequences element by element, none only equals none).
std::string CompareValues(const Value& got, const Value& want) {
  if (got.is_none() || want.is_none()) {
    return got.is_none() == want.is_none() ? "" : got.DebugString() + " != expected " + want.DebugString();
  }
  if (got.is_tensor() != want.is_tensor()) return got.DebugString() + " != expected " + want.DebugString();
  if (got.is_tensor()) return Compare(got.tensor(), want.tensor());
  const TensorSequence& g = got.sequence();
  const TensorSequence& w = want.sequence();
  if (g.size() != w.size()) return got.DebugString() + " != expected " + want.DebugString();
  for (size_t i = 0; i < g.size(); ++i) {
    std::string diff = Compare(g.tensors[i], w.tensors[i]);
    if (!diff.empty()) return "sequence element " + std::to_string(i) + ": " + diff;
  }
  return "";
}

/// Reads a `.pb` file as the graph value `spec` describes: an OptionalProto for optionals, a
/// SequenceProto for sequences, a TensorProto otherwise.
Result<Value> ReadValueFile(const fs::path& file, const TensorSpec& spec) {
  if (spec.optional) return formats::onnx::ReadOptionalProtoFile(file.string());
  if (spec.sequence) {
    ASSIGN_OR_RETURN(TensorSequence s, formats::onnx::ReadSequenceProtoFile(file.string()));
    return Value(std::move(s));
  }
  ASSIGN_OR_RETURN(Tensor t, formats::onnx::ReadTensorProtoFile(file.string()));
  return Value(std::move(t));
}

CaseResult RunCase(const fs::path& dir) {
  onnx::ModelProto model;
  if (!model.ParseFromString(ReadFile(dir / "model.onnx"))) return {Outcome::kFail, "model does not parse"};
  for (const auto& opset : model.opset_import()) {
    if (kTrainingDomains.count(opset.domain()) && model.graph().node_size() > 0) {
      for (const auto& node : model.graph().node()) {
        if (kTrainingDomains.count(node.domain())) return {Outcome::kSkip, "training op " + node.op_type()};
      }
    }
  }
  auto evaluator = formats::onnx::LoadOnnxFile((dir / "model.onnx").string());
  if (!evaluator.ok()) return {Outcome::kFail, "load: " + evaluator.status().message()};
  const Signature& signature = (*evaluator)->Describe();

  fs::path data = dir / "test_data_set_0";
  ValueMap inputs;
  for (size_t i = 0; i < signature.inputs.size(); ++i) {
    fs::path file = data / ("input_" + std::to_string(i) + ".pb");
    if (!fs::exists(file)) continue;  // omitted optional input
    auto v = ReadValueFile(file, signature.inputs[i]);
    if (!v.ok()) return {Outcome::kFail, "input " + std::to_string(i) + ": " + v.status().message()};
    inputs[signature.inputs[i].name] = std::move(v).value();
  }
  EvaluationContext ctx;
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto outputs = (*evaluator)->EvaluateValues(inputs, ctx);
  if (!outputs.ok()) return {Outcome::kFail, "run: " + outputs.status().message()};
  for (size_t i = 0; i < signature.outputs.size(); ++i) {
    fs::path file = data / ("output_" + std::to_string(i) + ".pb");
    auto want = ReadValueFile(file, signature.outputs[i]);
    if (!want.ok()) return {Outcome::kFail, "expected output " + std::to_string(i) + ": " + want.status().message()};
    auto it = outputs->find(signature.outputs[i].name);
    if (it == outputs->end()) return {Outcome::kFail, "output " + signature.outputs[i].name + " missing"};
    std::string diff = CompareValues(it->second, *want);
    if (!diff.empty()) return {Outcome::kFail, "output '" + signature.outputs[i].name + "' " + diff};
  }
  return {Outcome::kPass, ""};
}

/// Runs RunCase in a child process; a crash or a hang becomes a failure with the reason.
CaseResult RunIsolated(const fs::path& dir, int timeout_seconds) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {Outcome::kFail, "pipe failed"};
  pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    alarm(static_cast<unsigned>(timeout_seconds));
    CaseResult r = RunCase(dir);
    std::string message = std::to_string(static_cast<int>(r.outcome)) + r.detail.substr(0, 400);
    ssize_t written = write(pipe_fds[1], message.data(), message.size());
    (void)written;
    close(pipe_fds[1]);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string message;
  char buf[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) message.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return {Outcome::kFail, sig == SIGALRM ? "timed out" : std::string("CRASH: signal ") + strsignal(sig)};
  }
  if (message.empty()) return {Outcome::kFail, "no result"};
  return {static_cast<Outcome>(message[0] - '0'), message.substr(1)};
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "/usr/share/libonnx-testdata/data";
  std::vector<std::string> suites = {"node", "pytorch-converted", "pytorch-operator", "simple"};
  std::string filter;
  double min_pass_rate = 0.0;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--data")
      data_dir = value();
    else if (arg == "--filter")
      filter = value();
    else if (arg == "--min-pass-rate")
      min_pass_rate = std::stod(value());
    else if (arg == "--verbose")
      verbose = true;
    else if (arg == "--suites") {
      suites.clear();
      std::stringstream ss(value());
      for (std::string s; std::getline(ss, s, ',');) suites.push_back(s);
    } else {
      std::cerr << "usage: " << argv[0]
                << " [--data DIR] [--suites a,b] [--filter SUBSTR] [--min-pass-rate R] [--verbose]\n";
      return 2;
    }
  }
  if (!fs::exists(data_dir)) {
    std::cout << "SKIPPED: " << data_dir << " not found (apt-get install libonnx-testdata)\n";
    return 77;
  }

  struct OpStats {
    int pass = 0, fail = 0, skip = 0;
  };
  std::map<std::string, OpStats> per_op;
  int passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> skipped_names;
  for (const std::string& suite : suites) {
    std::vector<fs::path> cases;
    for (const auto& entry : fs::directory_iterator(fs::path(data_dir) / suite)) {
      if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path());
    }
    std::sort(cases.begin(), cases.end());
    for (const fs::path& dir : cases) {
      std::string name = suite + "/" + dir.filename().string();
      if (!filter.empty() && name.find(filter) == std::string::npos) continue;
      onnx::ModelProto model;
      model.ParseFromString(ReadFile(dir / "model.onnx"));
      std::vector<std::string> ops = OpTypesOf(model);
      std::string op = ops.empty() ? "(none)" : ops.front();
      if (suite != "node") op = suite;  // the torch suites mix ops; report them per suite
      CaseResult r = RunIsolated(dir, 60);
      switch (r.outcome) {
        case Outcome::kPass:
          ++passed;
          ++per_op[op].pass;
          if (verbose) std::cout << "PASS " << name << "\n";
          break;
        case Outcome::kSkip:
          ++skipped;
          ++per_op[op].skip;
          skipped_names.push_back(dir.filename().string() + " (" + r.detail + ")");
          break;
        case Outcome::kFail:
          ++failed;
          ++per_op[op].fail;
          std::cout << "FAIL " << name << ": " << r.detail << "\n";
          break;
      }
    }
  }
  std::cout << "\n" << std::left;
  std::printf("%-40s %6s %6s %6s\n", "op / suite", "pass", "fail", "skip");
  for (const auto& [op, s] : per_op) std::printf("%-40s %6d %6d %6d\n", op.c_str(), s.pass, s.fail, s.skip);
  if (!skipped_names.empty()) {
    std::cout << "\nskipped (training ops are out of scope for serving):";
    for (const auto& s : skipped_names) std::cout << " " << s << ";";
    std::cout << "\n";
  }
  double rate = passed + failed == 0 ? 1.0 : static_cast<double>(passed) / (passed + failed);
  std::printf("\npass rate %.1f%% (floor %.1f%%)\n", rate * 100, min_pass_rate * 100);
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return rate + 1e-9 >= min_pass_rate ? 0 : 1;
}

#include "formats/onnx/onnx_model.h"

#include <fcntl.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "engine/graph_evaluator.h"
#include "formats/onnx/map_inputs.h"
#include "formats/onnx/onnx_proto_convert.h"
#include "kernels/registry.h"
#include "optimizer/optimizer.h"

namespace mlserving::formats::onnx {
namespace {

constexpr size_t kMaxModelBytes = size_t{2} << 30;  // protobuf's own hard limit

/// An ONNX model: the signature as the API shows it, over a prepared GraphEvaluator.
class OnnxEvaluator : public Evaluator {
 public:
  OnnxEvaluator(Signature signature, std::unique_ptr<engine::GraphEvaluator> graph, std::string summary)
      : signature_(std::move(signature)), graph_(std::move(graph)), summary_(std::move(summary)) {}

  const Signature& Describe() const override { return signature_; }
  std::string Summary() const override { return summary_; }

  Result<TensorMap> Evaluate(const TensorMap& inputs, const EvaluationContext& ctx) const override {
    ValueMap values;
    for (const TensorSpec& spec : signature_.inputs) {
      if (spec.sequence) {
        return InvalidArgument("input '" + spec.name + "' is a sequence; this interface takes tensors only");
      }
    }
    for (const auto& [name, tensor] : inputs) values.emplace(name, tensor);
    ASSIGN_OR_RETURN(ValueMap outputs, EvaluateValues(values, ctx));
    TensorMap result;
    for (auto& [name, value] : outputs) {
      if (value.is_sequence()) {
        return InvalidArgument("output '" + name + "' is a sequence; this interface returns tensors only");
      }
      if (value.is_none()) return InvalidArgument("output '" + name + "' is empty (an optional without a value)");
      result.emplace(name, value.tensor());
    }
    return result;
  }

  Result<ValueMap> EvaluateValues(const ValueMap& inputs, const EvaluationContext& ctx) const override {
    std::vector<Value> ordered;
    ordered.reserve(signature_.inputs.size());
    for (const TensorSpec& spec : signature_.inputs) {
      auto it = inputs.find(spec.name);
      if (it == inputs.end() || it->second.is_none()) {
        if (!spec.optional) return InvalidArgument("missing input '" + spec.name + "'");
        ordered.emplace_back();
        continue;
      }
      const Value& value = it->second;
      if (value.is_sequence()) {
        if (!spec.sequence) return InvalidArgument("input '" + spec.name + "' must be a tensor, got a sequence");
        if (!value.sequence().tensors.empty() && value.sequence().dtype != spec.dtype) {
          return InvalidArgument("input '" + spec.name + "' must be a sequence of " +
                                 std::string(DTypeName(spec.dtype)) + ", got " + value.DebugString());
        }
        ordered.push_back(value);
        continue;
      }
      if (spec.sequence) return InvalidArgument("input '" + spec.name + "' must be a sequence, got a tensor");
      const Tensor& t = value.tensor();
      if (t.dtype() != spec.dtype) {
        return InvalidArgument("input '" + spec.name + "' must be " + std::string(DTypeName(spec.dtype)) + ", got " +
                               std::string(DTypeName(t.dtype())));
      }
      if (spec.shape_known && !ShapeMatches(spec.shape, t.shape())) {
        return InvalidArgument("input '" + spec.name + "' must have shape " + ShapeToString(spec.shape) +
                               " (-1 = any size), got " + ShapeToString(t.shape()));
      }
      ordered.push_back(value);
    }
    ASSIGN_OR_RETURN(std::vector<Value> outputs, graph_->RunValues(std::move(ordered), {}, ctx));
    ValueMap result;
    for (size_t i = 0; i < outputs.size(); ++i) result.emplace(signature_.outputs[i].name, std::move(outputs[i]));
    return result;
  }

 private:
  Signature signature_;
  std::unique_ptr<engine::GraphEvaluator> graph_;
  std::string summary_;
};

/// The API spec of a graph input or output. A ZipMap output (sequence of maps) is described
/// as the float [batch, classes] tensor it is carried as.
TensorSpec SpecOf(const ir::Graph& graph, ir::ValueId id, const std::vector<int>& producer) {
  const ir::Value& value = graph.value(id);
  TensorSpec spec;
  spec.name = value.name;
  spec.dtype = value.type.has_dtype ? value.type.dtype : DType::kFloat32;
  spec.shape = value.type.shape;
  spec.shape_known = value.type.has_shape;
  spec.sequence = value.type.kind == ir::ValueKind::kSequence || value.type.kind == ir::ValueKind::kOptionalSequence;
  spec.optional = value.type.kind == ir::ValueKind::kOptional || value.type.kind == ir::ValueKind::kOptionalSequence;
  if (value.type.kind == ir::ValueKind::kSequenceOfMaps) {
    int p = producer[static_cast<size_t>(id)];
    int64_t classes = kDynamicDim;
    if (p >= 0) {
      const ir::Node& node = graph.nodes()[static_cast<size_t>(p)];
      size_t n = node.GetInts("classlabels_int64s").size() + node.GetStrings("classlabels_strings").size();
      if (n > 0) classes = static_cast<int64_t>(n);
    }
    spec.dtype = DType::kFloat32;
    spec.shape = {kDynamicDim, classes};
    spec.shape_known = true;
  }
  return spec;
}

/// True when `id` is computed per row by an ai.onnx.ml operator (possibly through Cast or
/// Identity): its first dim is then the batch, whatever the file declares. Old skl2onnx exports
/// declare such label outputs as [1]; the original runtime described them as [-1] too.
bool IsPerRowMlOutput(const ir::Graph& graph, ir::ValueId id, const std::vector<int>& producer) {
  for (int hops = 0; hops < 8; ++hops) {
    int p = producer[static_cast<size_t>(id)];
    if (p < 0) return false;
    const ir::Node& node = graph.nodes()[static_cast<size_t>(p)];
    if (node.domain == "ai.onnx.ml") return true;
    if ((node.op_type != "Cast" && node.op_type != "Identity") || node.inputs.empty()) return false;
    id = node.inputs[0];
  }
  return false;
}

}  // namespace

bool SniffOnnx(const std::string& path, std::string_view head) {
  if (std::filesystem::path(path).extension() == ".onnx") return true;
  // ModelProto starts with ir_version (field 1, varint): tag byte 0x08.
  return !head.empty() && static_cast<unsigned char>(head[0]) == 0x08;
}

namespace {

Status ParseModel(std::string_view bytes, const std::string& display_name, ::onnx::ModelProto& model) {
  if (bytes.size() > kMaxModelBytes) return ResourceExhausted(display_name + " is larger than 2 GiB");
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument(display_name +
                           " is not a valid ONNX model: the protobuf could not be parsed (is the file truncated, or "
                           "not an .onnx export?)");
  }
  return Status::Ok();
}

/// Lowers a parsed model, consuming it: each weight is freed from the protobuf as soon as the
/// graph holds its copy, so that a weight is never held twice.
Result<std::unique_ptr<Evaluator>> LoadOnnxModel(::onnx::ModelProto& model, const std::string& display_name,
                                                 const std::string& model_dir) {
  if (!model.has_graph()) return InvalidArgument(display_name + " is not a valid ONNX model: it has no graph");
  OpsetMap opsets;
  for (const auto& opset : model.opset_import()) {
    opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] = static_cast<int>(opset.version());
  }
  if (opsets.find("") == opsets.end()) opsets[""] = 1;

  Result<ir::Graph> graph_or = GraphFromProtoConsumingWeights(*model.mutable_graph(), opsets, model_dir);
  if (!graph_or.ok()) return graph_or.status().WithContext(display_name);
  ir::Graph graph = std::move(graph_or).value();
  const int64_t ir_version = model.ir_version();
  const std::string producer_name = model.producer_name() + " " + model.producer_version();
  model.Clear();
  if (graph.outputs().empty()) return InvalidArgument(display_name + " declares no graph outputs");

  Result<std::map<ir::ValueId, std::vector<std::string>>> map_inputs = LowerMapInputs(graph);
  if (!map_inputs.ok()) return map_inputs.status().WithContext(display_name);

  std::vector<int> producer = graph.ProducerIndex();
  Signature signature;
  for (ir::ValueId id : graph.inputs()) {
    TensorSpec spec = SpecOf(graph, id, producer);
    if (auto columns = map_inputs->find(id); columns != map_inputs->end()) {
      spec.map = true;
      spec.nullable = true;  // absent keys
      spec.columns = columns->second;
    }
    signature.inputs.push_back(std::move(spec));
  }
  for (ir::ValueId id : graph.outputs()) {
    const ir::Value& v = graph.value(id);
    bool is_input = std::find(graph.inputs().begin(), graph.inputs().end(), id) != graph.inputs().end();
    if (producer[static_cast<size_t>(id)] < 0 && !v.constant && !is_input) {
      return InvalidArgument(display_name + ": graph output '" + v.name + "' is not produced by any node");
    }
    TensorSpec spec = SpecOf(graph, id, producer);
    if (spec.shape_known && !spec.shape.empty() && spec.shape[0] == 1 && IsPerRowMlOutput(graph, id, producer)) {
      spec.shape[0] = kDynamicDim;
    }
    signature.outputs.push_back(std::move(spec));
  }

  // The signature above describes the model as exported; the optimizer keeps the graph's inputs
  // and outputs, so it holds for the optimized graph too.
  const size_t exported_nodes = graph.nodes().size();
  Result<optimizer::OptimizationLevel> level = optimizer::OptimizationLevelFromEnvironment();
  if (!level.ok()) return level.status().WithContext(display_name);
  Result<optimizer::OptimizationReport> report =
      optimizer::Optimize(graph, kernels::KernelRegistry::Default(), level.value());
  if (!report.ok()) return report.status().WithContext(display_name);

  std::ostringstream summary;
  summary << "onnx model " << display_name << " (ir " << ir_version << ", opset " << opsets[""];
  if (producer_name != " ") summary << ", from " << producer_name;
  summary << ", " << exported_nodes << " nodes";
  if (graph.nodes().size() != exported_nodes) summary << ", " << graph.nodes().size() << " after optimization";
  summary << ")";
  if (const std::string rewrites = report.value().Summary(); !rewrites.empty()) {
    summary << "; graph optimizations: " << rewrites;
  }

  Result<std::unique_ptr<engine::GraphEvaluator>> engine =
      engine::GraphEvaluator::Create(std::move(graph), kernels::KernelRegistry::Default());
  if (!engine.ok()) return engine.status().WithContext(display_name);
  return std::unique_ptr<Evaluator>(
      std::make_unique<OnnxEvaluator>(std::move(signature), std::move(engine).value(), summary.str()));
}

}  // namespace

Result<std::unique_ptr<Evaluator>> LoadOnnxBytes(std::string_view bytes, const std::string& display_name,
                                                 const std::string& model_dir) {
  ::onnx::ModelProto model;
  RETURN_IF_ERROR(ParseModel(bytes, display_name, model));
  return LoadOnnxModel(model, display_name, model_dir);
}

Result<std::unique_ptr<Evaluator>> LoadOnnxFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return NotFound("model file '" + path + "' does not exist");
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return NotFound("cannot read model file '" + path + "': " + ec.message());
  if (size > kMaxModelBytes) return ResourceExhausted(path + " is larger than 2 GiB");
  const std::string display_name = std::filesystem::path(path).filename().string();
  ::onnx::ModelProto model;
  {
    // Parsed straight from the file: the file's bytes are never held beside the parsed model.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NotFound("cannot open model file '" + path + "': " + std::strerror(errno));
    google::protobuf::io::FileInputStream stream(fd);
    stream.SetCloseOnDelete(true);
    if (!model.ParseFromZeroCopyStream(&stream)) {
      if (stream.GetErrno() != 0) {
        return NotFound("cannot read model file '" + path + "': " + std::strerror(stream.GetErrno()));
      }
      return InvalidArgument(display_name +
                             " is not a valid ONNX model: the protobuf could not be parsed (is the file truncated, "
                             "or not an .onnx export?)");
    }
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  return LoadOnnxModel(model, display_name, dir.empty() ? "." : dir);
}

}  // namespace mlserving::formats::onnx

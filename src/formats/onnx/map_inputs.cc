#include "formats/onnx/map_inputs.h"

namespace mlserving::formats::onnx {

Result<std::map<ir::ValueId, std::vector<std::string>>> LowerMapInputs(ir::Graph& graph) {
  std::map<ir::ValueId, std::vector<std::string>> lowered;
  for (ir::ValueId input : graph.inputs()) {
    ir::Value& value = graph.value(input);
    if (value.type.kind != ir::ValueKind::kMap) continue;
    std::vector<std::string> columns;
    bool first = true;
    for (const ir::Node& node : graph.nodes()) {
      bool reads = false;
      for (ir::ValueId in : node.inputs) reads = reads || in == input;
      for (const std::string& name : ir::ImplicitInputs(node)) reads = reads || name == value.name;
      if (!reads) continue;
      if (node.op_type != "DictVectorizer" || node.domain != "ai.onnx.ml") {
        return Unimplemented("input '" + value.name + "' is a map read by " + node.Describe() +
                             "; map inputs are supported when only DictVectorizer reads them");
      }
      std::vector<std::string> vocabulary = node.GetStrings("string_vocabulary");
      for (int64_t key : node.GetInts("int64_vocabulary")) vocabulary.push_back(std::to_string(key));
      if (!first && vocabulary != columns) {
        return Unimplemented("input '" + value.name +
                             "' is a map read by DictVectorizer nodes with different vocabularies");
      }
      columns = std::move(vocabulary);
      first = false;
    }
    value.type.kind = ir::ValueKind::kTensor;
    if (!value.type.has_dtype) {
      value.type.dtype = DType::kFloat32;
      value.type.has_dtype = true;
    }
    value.type.has_shape = true;
    value.type.shape = {-1, static_cast<int64_t>(columns.size())};
    value.type.dim_names.clear();
    lowered.emplace(input, std::move(columns));
  }
  return lowered;
}

}  // namespace mlserving::formats::onnx

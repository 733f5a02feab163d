#pragma once

#include <string>

#include "core/result.h"
#include "ir/graph.h"
#include "tensor/tensor.h"
#include "tensor/value.h"

namespace onnx {
class OptionalProto;
class SequenceProto;
class TensorProto;
class GraphProto;
class TypeProto;
}  // namespace onnx

namespace mlserving::formats::onnx {

/// The DType of an ONNX TensorProto.DataType value; kUnimplemented for complex types.
Result<DType> DTypeFromOnnx(int data_type);
int OnnxDataTypeOf(DType dtype);

/// Decodes a TensorProto (raw_data or typed fields; external data relative to `model_dir`).
/// Validates that the payload holds exactly as many elements as the dims say.
Result<Tensor> TensorFromProto(const ::onnx::TensorProto& proto, const std::string& model_dir);

/// Converts a TypeProto (tensor, sequence, map, optional) into an ir::ValueType.
ir::ValueType ValueTypeFromProto(const ::onnx::TypeProto& type);

/// Per-domain opset versions of the model (domain "" and "ai.onnx" are the same).
using OpsetMap = std::map<std::string, int>;

/// Lowers a GraphProto into an ir::Graph (nodes sorted topologically, subgraphs of If/Loop/
/// Scan converted recursively). `outer_scope` names values visible from enclosing graphs.
Result<ir::Graph> GraphFromProto(const ::onnx::GraphProto& proto, const OpsetMap& opsets, const std::string& model_dir,
                                 const std::vector<std::string>& outer_scope = {});
/// GraphFromProto for the top-level graph of a model about to be discarded: each initializer's
/// data is freed from `proto` as soon as the graph holds its copy (names, types and dims stay),
/// so that loading never holds a large model's weights twice.
Result<ir::Graph> GraphFromProtoConsumingWeights(::onnx::GraphProto& proto, const OpsetMap& opsets,
                                                 const std::string& model_dir);

}  // namespace mlserving::formats::onnx

namespace mlserving::formats::onnx {

/// Reads a serialized TensorProto file (the `.pb` files of the ONNX backend test suite).
Result<Tensor> ReadTensorProtoFile(const std::string& path);

/// Decodes a SequenceProto of tensors (sequences of maps, sequences or optionals are
/// kUnimplemented). An empty sequence gets element type float32 (the proto does not say).
Result<TensorSequence> SequenceFromProto(const ::onnx::SequenceProto& proto, const std::string& model_dir);
/// Decodes an OptionalProto: none, a tensor, or a sequence of tensors.
Result<Value> ValueFromOptionalProto(const ::onnx::OptionalProto& proto, const std::string& model_dir);
/// Reads a serialized SequenceProto / OptionalProto file (ONNX backend test `.pb` files).
Result<TensorSequence> ReadSequenceProtoFile(const std::string& path);
Result<Value> ReadOptionalProtoFile(const std::string& path);

}  // namespace mlserving::formats::onnx

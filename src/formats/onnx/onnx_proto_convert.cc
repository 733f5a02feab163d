#include "formats/onnx/onnx_proto_convert.h"

#include <onnx/onnx-data_pb.h>  // onnx_pb.h (defines ONNX_API) before onnx-data.pb.h

#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "tensor/dispatch.h"

namespace mlserving::formats::onnx {
namespace {

using ::onnx::TensorProto;

// Copies `count` elements of a typed repeated field into `out`, converting element type.
template <typename Dst, typename Field>
void CopyField(const Field& field, Dst* out) {
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Dst>(field.Get(i));
}

Result<std::string> ReadExternalData(const TensorProto& proto, const std::string& model_dir) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") location = entry.value();
    const std::string& v = entry.value();
    int64_t* target = entry.key() == "offset" ? &offset : entry.key() == "length" ? &length : nullptr;
    if (target && std::from_chars(v.data(), v.data() + v.size(), *target).ec != std::errc()) {
      return InvalidArgument("tensor '" + proto.name() + "' has an invalid external data " + entry.key() + " '" + v +
                             "'");
    }
  }
  if (location.empty()) return InvalidArgument("tensor '" + proto.name() + "' has external data without a location");
  std::filesystem::path path = std::filesystem::path(model_dir) / location;
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("external data file '" + path.string() + "' of tensor '" + proto.name() + "' not found");
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  if (offset < 0 || offset > size)
    return InvalidArgument("external data offset out of range for '" + proto.name() + "'");
  if (length < 0) length = size - offset;
  if (offset + length > size) return InvalidArgument("external data of '" + proto.name() + "' is truncated");
  std::string data(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(data.data(), length);
  return data;
}

}  // namespace

Result<DType> DTypeFromOnnx(int data_type) {
  switch (data_type) {
    case TensorProto::FLOAT: return DType::kFloat32;
    case TensorProto::UINT8: return DType::kUInt8;
    case TensorProto::INT8: return DType::kInt8;
    case TensorProto::UINT16: return DType::kUInt16;
    case TensorProto::INT16: return DType::kInt16;
    case TensorProto::INT32: return DType::kInt32;
    case TensorProto::INT64: return DType::kInt64;
    case TensorProto::STRING: return DType::kString;
    case TensorProto::BOOL: return DType::kBool;
    case TensorProto::FLOAT16: return DType::kFloat16;
    case TensorProto::DOUBLE: return DType::kFloat64;
    case TensorProto::UINT32: return DType::kUInt32;
    case TensorProto::UINT64: return DType::kUInt64;
    case TensorProto::BFLOAT16: return DType::kBFloat16;
    default: return Unimplemented("ONNX tensor data type " + std::to_string(data_type) + " is not supported");
  }
}

int OnnxDataTypeOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return TensorProto::FLOAT;
    case DType::kUInt8: return TensorProto::UINT8;
    case DType::kInt8: return TensorProto::INT8;
    case DType::kUInt16: return TensorProto::UINT16;
    case DType::kInt16: return TensorProto::INT16;
    case DType::kInt32: return TensorProto::INT32;
    case DType::kInt64: return TensorProto::INT64;
    case DType::kString: return TensorProto::STRING;
    case DType::kBool: return TensorProto::BOOL;
    case DType::kFloat16: return TensorProto::FLOAT16;
    case DType::kFloat64: return TensorProto::DOUBLE;
    case DType::kUInt32: return TensorProto::UINT32;
    case DType::kUInt64: return TensorProto::UINT64;
    case DType::kBFloat16: return TensorProto::BFLOAT16;
  }
  return TensorProto::UNDEFINED;
}

Result<Tensor> TensorFromProto(const TensorProto& proto, const std::string& model_dir) {
  ASSIGN_OR_RETURN(DType dtype, DTypeFromOnnx(proto.data_type()));
  Shape shape(proto.dims().begin(), proto.dims().end());
  const std::string what = "tensor '" + proto.name() + "'";
  ASSIGN_OR_RETURN(Tensor tensor, Tensor::Allocate(dtype, shape, int64_t{1} << 34));
  const int64_t count = tensor.num_elements();

  if (dtype == DType::kString) {
    if (proto.string_data_size() != count) {
      return InvalidArgument(what + " declares " + std::to_string(count) + " strings but holds " +
                             std::to_string(proto.string_data_size()));
    }
    auto* out = tensor.data<std::string>();
    for (int64_t i = 0; i < count; ++i) out[i] = proto.string_data(static_cast<int>(i));
    return tensor;
  }

  std::string external;
  const std::string* raw = nullptr;
  if (proto.data_location() == TensorProto::EXTERNAL) {
    ASSIGN_OR_RETURN(external, ReadExternalData(proto, model_dir));
    raw = &external;
  } else if (proto.has_raw_data()) {
    raw = &proto.raw_data();
  }
  if (raw != nullptr) {
    if (raw->size() != tensor.byte_size()) {
      return InvalidArgument(what + " of shape " + ShapeToString(shape) + " needs " +
                             std::to_string(tensor.byte_size()) + " bytes of raw data but has " +
                             std::to_string(raw->size()));
    }
    if (!raw->empty()) std::memcpy(tensor.raw_data(), raw->data(), raw->size());  // little-endian host
    return tensor;
  }

  // Typed fields: which field holds the data depends on the element type.
  auto check_size = [&](int size) -> Status {
    if (size != count) {
      return InvalidArgument(what + " of shape " + ShapeToString(shape) + " needs " + std::to_string(count) +
                             " values but has " + std::to_string(size));
    }
    return Status::Ok();
  };
  switch (dtype) {
    case DType::kFloat32:
      RETURN_IF_ERROR(check_size(proto.float_data_size()));
      CopyField(proto.float_data(), tensor.data<float>());
      break;
    case DType::kFloat64:
      RETURN_IF_ERROR(check_size(proto.double_data_size()));
      CopyField(proto.double_data(), tensor.data<double>());
      break;
    case DType::kInt64:
      RETURN_IF_ERROR(check_size(proto.int64_data_size()));
      CopyField(proto.int64_data(), tensor.data<int64_t>());
      break;
    case DType::kUInt32:
      RETURN_IF_ERROR(check_size(proto.uint64_data_size()));
      CopyField(proto.uint64_data(), tensor.data<uint32_t>());
      break;
    case DType::kUInt64:
      RETURN_IF_ERROR(check_size(proto.uint64_data_size()));
      CopyField(proto.uint64_data(), tensor.data<uint64_t>());
      break;
    case DType::kInt32:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      CopyField(proto.int32_data(), tensor.data<int32_t>());
      break;
    case DType::kInt16:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      CopyField(proto.int32_data(), tensor.data<int16_t>());
      break;
    case DType::kInt8:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      CopyField(proto.int32_data(), tensor.data<int8_t>());
      break;
    case DType::kUInt16:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      CopyField(proto.int32_data(), tensor.data<uint16_t>());
      break;
    case DType::kUInt8:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      CopyField(proto.int32_data(), tensor.data<uint8_t>());
      break;
    case DType::kBool:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      for (int i = 0; i < proto.int32_data_size(); ++i) tensor.data<bool>()[i] = proto.int32_data(i) != 0;
      break;
    case DType::kFloat16:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      for (int i = 0; i < proto.int32_data_size(); ++i) {
        tensor.data<Float16>()[i].bits = static_cast<uint16_t>(proto.int32_data(i));
      }
      break;
    case DType::kBFloat16:
      RETURN_IF_ERROR(check_size(proto.int32_data_size()));
      for (int i = 0; i < proto.int32_data_size(); ++i) {
        tensor.data<BFloat16>()[i].bits = static_cast<uint16_t>(proto.int32_data(i));
      }
      break;
    case DType::kString: break;
  }
  return tensor;
}

ir::ValueType ValueTypeFromProto(const ::onnx::TypeProto& type) {
  ir::ValueType out;
  const ::onnx::TypeProto* tensor_type = &type;
  if (type.has_sequence_type()) {
    const auto& elem = type.sequence_type().elem_type();
    out.kind = elem.has_map_type() ? ir::ValueKind::kSequenceOfMaps : ir::ValueKind::kSequence;
    if (elem.has_map_type()) {
      auto dtype = DTypeFromOnnx(elem.map_type().value_type().tensor_type().elem_type());
      if (dtype.ok()) {
        out.dtype = *dtype;
        out.has_dtype = true;
      }
      return out;
    }
    tensor_type = &elem;
  } else if (type.has_map_type()) {
    out.kind = ir::ValueKind::kMap;
    auto dtype = DTypeFromOnnx(type.map_type().value_type().tensor_type().elem_type());
    if (dtype.ok()) {  // the value type; the key type is the DictVectorizer's vocabulary's
      out.dtype = *dtype;
      out.has_dtype = true;
    }
    return out;
  } else if (type.has_optional_type()) {
    tensor_type = &type.optional_type().elem_type();
    out.kind = ir::ValueKind::kOptional;
    if (tensor_type->has_sequence_type()) {
      out.kind = ir::ValueKind::kOptionalSequence;
      tensor_type = &tensor_type->sequence_type().elem_type();
    }
  }
  if (!tensor_type->has_tensor_type()) return out;
  const auto& tt = tensor_type->tensor_type();
  auto dtype = DTypeFromOnnx(tt.elem_type());
  if (dtype.ok()) {
    out.dtype = *dtype;
    out.has_dtype = true;
  }
  if (tt.has_shape()) {
    out.has_shape = true;
    bool any_named = false;
    for (const auto& dim : tt.shape().dim()) {
      const bool known = dim.has_dim_value() && dim.dim_value() >= 0;
      out.shape.push_back(known ? dim.dim_value() : kDynamicDim);
      // A symbolic dim ("batch", "N") names an unknown size; names of known dims add nothing.
      out.dim_names.push_back(!known && dim.has_dim_param() ? dim.dim_param() : std::string());
      any_named = any_named || !out.dim_names.back().empty();
    }
    if (!any_named) out.dim_names.clear();
  }
  return out;
}

namespace {

Result<ir::Attribute> AttributeFromProto(const ::onnx::AttributeProto& proto, const OpsetMap& opsets,
                                         const std::string& model_dir, const std::vector<std::string>& scope) {
  using ::onnx::AttributeProto;
  ir::Attribute a;
  switch (proto.type()) {
    case AttributeProto::FLOAT:
      a.kind = ir::Attribute::Kind::kFloat;
      a.f = proto.f();
      break;
    case AttributeProto::INT:
      a.kind = ir::Attribute::Kind::kInt;
      a.i = proto.i();
      break;
    case AttributeProto::STRING:
      a.kind = ir::Attribute::Kind::kString;
      a.s = proto.s();
      break;
    case AttributeProto::TENSOR: {
      a.kind = ir::Attribute::Kind::kTensor;
      ASSIGN_OR_RETURN(a.t, TensorFromProto(proto.t(), model_dir));
      break;
    }
    case AttributeProto::GRAPH: {
      a.kind = ir::Attribute::Kind::kGraph;
      ASSIGN_OR_RETURN(ir::Graph g, GraphFromProto(proto.g(), opsets, model_dir, scope));
      a.g = std::make_shared<const ir::Graph>(std::move(g));
      break;
    }
    case AttributeProto::FLOATS:
      a.kind = ir::Attribute::Kind::kFloats;
      a.floats.assign(proto.floats().begin(), proto.floats().end());
      break;
    case AttributeProto::INTS:
      a.kind = ir::Attribute::Kind::kInts;
      a.ints.assign(proto.ints().begin(), proto.ints().end());
      break;
    case AttributeProto::STRINGS:
      a.kind = ir::Attribute::Kind::kStrings;
      a.strings.assign(proto.strings().begin(), proto.strings().end());
      break;
    case AttributeProto::TENSORS:
      a.kind = ir::Attribute::Kind::kTensors;
      for (const auto& t : proto.tensors()) {
        ASSIGN_OR_RETURN(Tensor tensor, TensorFromProto(t, model_dir));
        a.tensors.push_back(std::move(tensor));
      }
      break;
    case AttributeProto::GRAPHS:
      a.kind = ir::Attribute::Kind::kGraphs;
      for (const auto& g : proto.graphs()) {
        ASSIGN_OR_RETURN(ir::Graph graph, GraphFromProto(g, opsets, model_dir, scope));
        a.graphs.push_back(std::make_shared<const ir::Graph>(std::move(graph)));
      }
      break;
    default:
      return Unimplemented("attribute '" + proto.name() + "' has an unsupported type (" +
                           std::to_string(static_cast<int>(proto.type())) + ")");
  }
  return a;
}

}  // namespace

namespace {

/// Frees the data of a converted initializer, keeping its name, type and dims. Swapping with
/// empty containers releases the memory (clear() would keep the capacity).
void ReleaseTensorData(TensorProto& tensor) {
  std::string().swap(*tensor.mutable_raw_data());
  google::protobuf::RepeatedField<float>().Swap(tensor.mutable_float_data());
  google::protobuf::RepeatedField<double>().Swap(tensor.mutable_double_data());
  google::protobuf::RepeatedField<int32_t>().Swap(tensor.mutable_int32_data());
  google::protobuf::RepeatedField<int64_t>().Swap(tensor.mutable_int64_data());
  google::protobuf::RepeatedField<uint64_t>().Swap(tensor.mutable_uint64_data());
  google::protobuf::RepeatedPtrField<std::string>().Swap(tensor.mutable_string_data());
}

/// GraphFromProto; with `consume` (the same object as `proto`, writable), each initializer's
/// data is released as soon as the graph holds its copy.
Result<ir::Graph> ConvertGraph(const ::onnx::GraphProto& proto, const OpsetMap& opsets, const std::string& model_dir,
                               const std::vector<std::string>& outer_scope, ::onnx::GraphProto* consume);

}  // namespace

Result<ir::Graph> GraphFromProto(const ::onnx::GraphProto& proto, const OpsetMap& opsets, const std::string& model_dir,
                                 const std::vector<std::string>& outer_scope) {
  return ConvertGraph(proto, opsets, model_dir, outer_scope, nullptr);
}

Result<ir::Graph> GraphFromProtoConsumingWeights(::onnx::GraphProto& proto, const OpsetMap& opsets,
                                                 const std::string& model_dir) {
  return ConvertGraph(proto, opsets, model_dir, {}, &proto);
}

namespace {

Result<ir::Graph> ConvertGraph(const ::onnx::GraphProto& proto, const OpsetMap& opsets, const std::string& model_dir,
                               const std::vector<std::string>& outer_scope, ::onnx::GraphProto* consume) {
  ir::Graph graph;
  std::set<std::string> initializer_names;
  for (int i = 0; i < proto.initializer_size(); ++i) {
    const TensorProto& init = proto.initializer(i);
    ASSIGN_OR_RETURN(Tensor t, TensorFromProto(init, model_dir));
    if (consume != nullptr) ReleaseTensorData(*consume->mutable_initializer(i));
    ir::ValueId id = graph.GetOrAddValue(init.name());
    graph.value(id).type.dtype = t.dtype();
    graph.value(id).type.has_dtype = true;
    graph.value(id).type.shape = t.shape();
    graph.value(id).type.has_shape = true;
    graph.value(id).constant = std::move(t);
    initializer_names.insert(init.name());
  }
  if (proto.sparse_initializer_size() > 0) return Unimplemented("sparse initializers are not supported");
  // Graph inputs that are also initializers are constants with an overridable default; we treat
  // them as constants (IR < 4 listed every initializer as an input).
  for (const auto& input : proto.input()) {
    if (initializer_names.count(input.name())) continue;
    ir::ValueId id = graph.GetOrAddValue(input.name());
    graph.value(id).type = ValueTypeFromProto(input.type());
    graph.inputs().push_back(id);
  }
  for (const auto& info : proto.value_info()) {
    ir::ValueId id = graph.GetOrAddValue(info.name());
    if (!graph.value(id).constant) graph.value(id).type = ValueTypeFromProto(info.type());
  }
  // Names a subgraph of this graph may read: ours plus the enclosing scopes'.
  std::vector<std::string> scope = outer_scope;
  for (const auto& input : proto.input()) scope.push_back(input.name());
  for (const auto& init : proto.initializer()) scope.push_back(init.name());
  for (const auto& node : proto.node()) {
    for (const auto& out : node.output()) scope.push_back(out);
  }
  for (const auto& name : outer_scope) graph.GetOrAddValue(name);

  for (const auto& node_proto : proto.node()) {
    ir::Node node;
    node.name = node_proto.name();
    node.op_type = node_proto.op_type();
    node.domain = node_proto.domain() == "ai.onnx" ? "" : node_proto.domain();
    auto opset = opsets.find(node.domain);
    node.opset = opset == opsets.end() ? 0 : opset->second;
    for (const auto& in : node_proto.input())
      node.inputs.push_back(in.empty() ? ir::kNoValue : graph.GetOrAddValue(in));
    for (const auto& out : node_proto.output()) {
      node.outputs.push_back(out.empty() ? ir::kNoValue : graph.GetOrAddValue(out));
    }
    for (const auto& attr : node_proto.attribute()) {
      if (!attr.ref_attr_name().empty()) return Unimplemented("attribute references (functions) are not supported");
      // Type attributes (Optional's 'type', SequenceEmpty-like static typing) carry only static
      // type information, which the runtime does not need.
      if (attr.type() == ::onnx::AttributeProto::TYPE_PROTO || attr.type() == ::onnx::AttributeProto::TYPE_PROTOS) {
        continue;
      }
      Result<ir::Attribute> a = AttributeFromProto(attr, opsets, model_dir, scope);
      if (!a.ok()) return a.status().WithContext(node.Describe() + " attribute '" + attr.name() + "'");
      node.attributes.emplace(attr.name(), std::move(a).value());
    }
    graph.nodes().push_back(std::move(node));
  }
  for (const auto& output : proto.output()) {
    ir::ValueId id = graph.GetOrAddValue(output.name());
    if (!graph.value(id).constant) graph.value(id).type = ValueTypeFromProto(output.type());
    graph.outputs().push_back(id);
  }
  RETURN_IF_ERROR(graph.SortTopologically(outer_scope));
  return graph;
}

}  // namespace

}  // namespace mlserving::formats::onnx

namespace mlserving::formats::onnx {

Result<Tensor> ReadTensorProtoFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open tensor file '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return InvalidArgument("'" + path + "' is not a serialized ONNX TensorProto");
  std::string dir = std::filesystem::path(path).parent_path().string();
  return TensorFromProto(proto, dir.empty() ? "." : dir);
}

namespace {

Result<std::string> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open file '" + path + "'");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string DirOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

Result<TensorSequence> SequenceFromProto(const ::onnx::SequenceProto& proto, const std::string& model_dir) {
  if (proto.sequence_values_size() > 0 || proto.map_values_size() > 0 || proto.optional_values_size() > 0 ||
      proto.sparse_tensor_values_size() > 0) {
    return Unimplemented("sequence '" + proto.name() + "': only sequences of tensors are supported");
  }
  TensorSequence sequence;
  for (int i = 0; i < proto.tensor_values_size(); ++i) {
    ASSIGN_OR_RETURN(Tensor t, TensorFromProto(proto.tensor_values(i), model_dir));
    if (i == 0) sequence.dtype = t.dtype();
    if (t.dtype() != sequence.dtype) return InvalidArgument("sequence '" + proto.name() + "' mixes element types");
    sequence.tensors.push_back(std::move(t));
  }
  return sequence;
}

Result<Value> ValueFromOptionalProto(const ::onnx::OptionalProto& proto, const std::string& model_dir) {
  if (proto.has_tensor_value()) {
    ASSIGN_OR_RETURN(Tensor t, TensorFromProto(proto.tensor_value(), model_dir));
    return Value(std::move(t));
  }
  if (proto.has_sequence_value()) {
    ASSIGN_OR_RETURN(TensorSequence s, SequenceFromProto(proto.sequence_value(), model_dir));
    return Value(std::move(s));
  }
  if (proto.has_sparse_tensor_value() || proto.has_map_value() || proto.has_optional_value()) {
    return Unimplemented("optional '" + proto.name() + "': only optional tensors and sequences are supported");
  }
  return Value();
}

Result<TensorSequence> ReadSequenceProtoFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadBytes(path));
  ::onnx::SequenceProto proto;
  if (!proto.ParseFromString(bytes)) return InvalidArgument("'" + path + "' is not a serialized ONNX SequenceProto");
  return SequenceFromProto(proto, DirOf(path));
}

Result<Value> ReadOptionalProtoFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadBytes(path));
  ::onnx::OptionalProto proto;
  if (!proto.ParseFromString(bytes)) return InvalidArgument("'" + path + "' is not a serialized ONNX OptionalProto");
  return ValueFromOptionalProto(proto, DirOf(path));
}

}  // namespace mlserving::formats::onnx

#include "server/codecs/json_tensor_codec.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tensor/dispatch.h"
#include "tensor/float16.h"

namespace mlserving::codecs {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string JoinNames(const std::vector<TensorSpec>& specs) {
  std::string out;
  for (const auto& s : specs) out += (out.empty() ? "'" : ", '") + s.name + "'";
  return out;
}

std::string KindOf(element e) {
  switch (e.type()) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

/// Finds the shape of a nested array by following first elements, then checks that every
/// sub-array agrees (no ragged arrays) and every leaf is a scalar.
class NestedArrayReader {
 public:
  NestedArrayReader(const std::string& input, const JsonLimits& limits) : input_(input), limits_(limits) {}

  Result<Shape> InferShape(element value) {
    Shape shape;
    element e = value;
    while (e.type() == element_type::ARRAY) {
      if (shape.size() >= limits_.max_depth) {
        return InvalidArgument("input '" + input_ + "' is nested deeper than the limit of " +
                               std::to_string(limits_.max_depth) + " levels");
      }
      simdjson::dom::array a = e.get_array().value_unsafe();
      shape.push_back(static_cast<int64_t>(a.size()));
      if (a.size() == 0) break;
      e = a.at(0).value_unsafe();
    }
    RETURN_IF_ERROR(CheckShape(value, shape, 0));
    return shape;
  }

  /// Visits leaves in row-major order.
  template <typename F>
  Status ForEachLeaf(element value, size_t depth, size_t rank, F&& f) {
    if (depth == rank) return f(value);
    simdjson::dom::array array = value.get_array().value_unsafe();
    for (element child : array) RETURN_IF_ERROR(ForEachLeaf(child, depth + 1, rank, f));
    return Status::Ok();
  }

 private:
  Status CheckShape(element e, const Shape& shape, size_t depth) {
    if (depth == shape.size()) {
      if (e.type() == element_type::ARRAY || e.type() == element_type::OBJECT) {
        return InvalidArgument("input '" + input_ + "' is a ragged array: expected a scalar at depth " +
                               std::to_string(depth) + " but found " + KindOf(e) +
                               "; every row must have the same length");
      }
      return Status::Ok();
    }
    if (e.type() != element_type::ARRAY) {
      return InvalidArgument("input '" + input_ + "' is a ragged array: expected an array of " +
                             std::to_string(shape[depth]) + " elements at depth " + std::to_string(depth) +
                             " but found " + KindOf(e) + "; every row must have the same length");
    }
    simdjson::dom::array a = e.get_array().value_unsafe();
    if (static_cast<int64_t>(a.size()) != shape[depth]) {
      return InvalidArgument("input '" + input_ + "' is a ragged array: an array at depth " + std::to_string(depth) +
                             " has " + std::to_string(a.size()) + " elements where the first has " +
                             std::to_string(shape[depth]) + "; every row must have the same length");
    }
    for (element child : a) RETURN_IF_ERROR(CheckShape(child, shape, depth + 1));
    return Status::Ok();
  }

  const std::string& input_;
  const JsonLimits& limits_;
};

Status WrongType(const std::string& input, DType dtype, element leaf) {
  return InvalidArgument("input '" + input + "' expects " + std::string(ApiTypeName(dtype)) + " values but got " +
                         KindOf(leaf));
}

/// Converts one JSON scalar to the element type T of input `input`. JSON null is a missing
/// value: NaN for floating types; for a nullable input also "" (strings) or kMissingInt64.
template <typename T>
Status ConvertLeaf(const std::string& input, DType dtype, bool nullable, element leaf, T* out) {
  if (nullable && leaf.type() == element_type::NULL_VALUE) {
    if constexpr (std::is_same_v<T, std::string>) {
      out->clear();
      return Status::Ok();
    } else if constexpr (std::is_same_v<T, int64_t>) {
      *out = kMissingInt64;
      return Status::Ok();
    }
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (leaf.type() != element_type::STRING) return WrongType(input, dtype, leaf);
    *out = std::string(leaf.get_string().value_unsafe());
    return Status::Ok();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (leaf.type() != element_type::BOOL) return WrongType(input, dtype, leaf);
    *out = leaf.get_bool().value_unsafe();
    return Status::Ok();
  } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16> || std::is_floating_point_v<T>) {
    double v;
    switch (leaf.type()) {
      case element_type::INT64: v = static_cast<double>(leaf.get_int64().value_unsafe()); break;
      case element_type::UINT64: v = static_cast<double>(leaf.get_uint64().value_unsafe()); break;
      case element_type::DOUBLE: v = leaf.get_double().value_unsafe(); break;
      case element_type::NULL_VALUE: v = std::numeric_limits<double>::quiet_NaN(); break;  // missing value
      default: return WrongType(input, dtype, leaf);
    }
    if constexpr (std::is_same_v<T, Float16>) {
      out->bits = FloatToHalf(static_cast<float>(v));
    } else if constexpr (std::is_same_v<T, BFloat16>) {
      out->bits = FloatToBFloat16(static_cast<float>(v));
    } else {
      *out = static_cast<T>(v);
    }
    return Status::Ok();
  } else {
    // Integers: exact integral JSON numbers within the type's range.
    auto out_of_range = [&](const std::string& text) {
      return InvalidArgument("input '" + input + "' expects " + std::string(DTypeName(dtype)) + " values but got " +
                             text + ", which is out of range");
    };
    switch (leaf.type()) {
      case element_type::INT64: {
        int64_t v = leaf.get_int64().value_unsafe();
        if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
          return out_of_range(std::to_string(v));
        }
        *out = static_cast<T>(v);
        return Status::Ok();
      }
      case element_type::UINT64: {
        uint64_t v = leaf.get_uint64().value_unsafe();
        if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) return out_of_range(std::to_string(v));
        *out = static_cast<T>(v);
        return Status::Ok();
      }
      case element_type::DOUBLE: {
        double v = leaf.get_double().value_unsafe();
        if (std::floor(v) != v || !std::isfinite(v)) {
          return InvalidArgument("input '" + input + "' expects " + std::string(ApiTypeName(dtype)) +
                                 " (whole number) values but got " + std::to_string(v));
        }
        if (v < static_cast<double>(std::numeric_limits<T>::min()) ||
            v > static_cast<double>(std::numeric_limits<T>::max())) {
          return out_of_range(std::to_string(v));
        }
        *out = static_cast<T>(v);
        return Status::Ok();
      }
      default: return WrongType(input, dtype, leaf);
    }
  }
}

/// Decodes one JSON value (scalar or nested array) into a tensor of `spec`'s dtype with the
/// shape given by its nesting.
Result<Tensor> DecodeValue(const TensorSpec& spec, element value, const JsonLimits& limits, int64_t& budget) {
  if (value.type() == element_type::OBJECT) {
    return InvalidArgument("input '" + spec.name + "' must be a scalar or a (nested) array, not an object");
  }
  NestedArrayReader reader(spec.name, limits);
  ASSIGN_OR_RETURN(Shape shape, reader.InferShape(value));
  auto count = CheckedNumElements(shape);
  if (!count || *count > budget) {
    return ResourceExhausted("the request holds more than " + std::to_string(limits.max_elements) +
                             " tensor elements; send smaller batches");
  }
  budget -= *count;
  ASSIGN_OR_RETURN(Tensor tensor, Tensor::Allocate(spec.dtype, shape));
  Status status = DispatchDType(spec.dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* out = tensor.data<T>();
    int64_t i = 0;
    return reader.ForEachLeaf(value, 0, shape.size(), [&](element leaf) {
      return ConvertLeaf<T>(spec.name, spec.dtype, spec.nullable, leaf, &out[i++]);
    });
  });
  RETURN_IF_ERROR(status);
  return tensor;
}

/// The missing value of a nullable element (see TensorSpec::nullable); 0 for other types.
template <typename T>
T MissingValue() {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return kMissingInt64;
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    return std::numeric_limits<T>::quiet_NaN();
  } else {
    return T{};
  }
}

/// Decodes a map input (TensorSpec::map) given as one object or a list of objects into the
/// [rows, len(columns)] tensor: each key fills its column, absent keys are missing values and
/// keys outside the columns are ignored.
Result<Tensor> DecodeMapRecords(const TensorSpec& spec, element value, const JsonLimits& limits, int64_t& budget) {
  std::vector<simdjson::dom::object> records;
  if (value.type() == element_type::OBJECT) {
    records.push_back(value.get_object().value_unsafe());
  } else if (value.type() == element_type::ARRAY) {
    simdjson::dom::array items;
    if (value.get_array().get(items) != simdjson::SUCCESS) return Internal("a JSON array could not be read");
    for (element item : items) {
      if (item.type() != element_type::OBJECT) {
        return InvalidArgument("input '" + spec.name + "' is a map: give an object of key/value pairs or a list of " +
                               "such objects, not a list holding " + KindOf(item));
      }
      records.push_back(item.get_object().value_unsafe());
    }
  } else {
    return InvalidArgument("input '" + spec.name + "' is a map: give an object of key/value pairs (or a list of " +
                           "such objects), not " + KindOf(value));
  }
  const auto rows = static_cast<int64_t>(records.size());
  const auto cols = static_cast<int64_t>(spec.columns.size());
  if (cols > 0 && rows > budget / cols) {
    return ResourceExhausted("the request holds more than " + std::to_string(limits.max_elements) +
                             " tensor elements; send smaller batches");
  }
  budget -= rows * cols;
  std::unordered_map<std::string_view, int64_t> column_of;
  for (int64_t c = 0; c < cols; ++c) column_of.emplace(spec.columns[static_cast<size_t>(c)], c);
  ASSIGN_OR_RETURN(Tensor tensor, Tensor::Allocate(spec.dtype, {rows, cols}));
  Status status = DispatchDType(spec.dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* out = tensor.data<T>();
    std::fill(out, out + rows * cols, MissingValue<T>());
    for (int64_t r = 0; r < rows; ++r) {
      for (auto field : records[static_cast<size_t>(r)]) {
        auto column = column_of.find(field.key);
        if (column == column_of.end()) continue;
        RETURN_IF_ERROR(
            ConvertLeaf<T>(spec.name, spec.dtype, /*nullable=*/true, field.value, &out[r * cols + column->second]));
      }
    }
    return Status::Ok();
  });
  RETURN_IF_ERROR(status);
  return tensor;
}

/// Shapes `tensor` to the declared shape when its element count allows (see the header).
Result<Tensor> ConformToSpec(const TensorSpec& spec, Tensor tensor) {
  if (!spec.shape_known) return tensor;
  const Shape& declared = spec.shape;
  const Shape& actual = tensor.shape();
  if (ShapeMatches(declared, actual)) return tensor;
  auto mismatch = [&] {
    return InvalidArgument(
        "input '" + spec.name + "' has shape " + ShapeToString(actual) + " (" + std::to_string(tensor.num_elements()) +
        " elements), which does not fit the declared shape " + ShapeToString(declared) + " (-1 = any size)");
  };
  if (actual.size() == declared.size()) return mismatch();

  int64_t count = tensor.num_elements();
  int64_t fixed = 1;
  int dynamic = 0;
  for (int64_t d : declared) {
    if (d < 0) {
      ++dynamic;
    } else {
      fixed *= d;
    }
  }
  // Candidate 1: a batch of one, i.e. the value padded with leading 1s.
  // Candidate 2: one row per element, i.e. the value padded with trailing 1s.
  if (actual.size() < declared.size()) {
    size_t pad = declared.size() - actual.size();
    Shape leading(pad, 1);
    leading.insert(leading.end(), actual.begin(), actual.end());
    if (ShapeMatches(declared, leading)) return tensor.Reshaped(leading);
    Shape trailing = actual;
    trailing.insert(trailing.end(), pad, 1);
    if (ShapeMatches(declared, trailing)) return tensor.Reshaped(trailing);
  }
  // Last resort: exactly one dynamic dim that the element count determines.
  if (dynamic == 1 && fixed > 0 && count % fixed == 0) {
    Shape inferred = declared;
    for (int64_t& d : inferred) {
      if (d < 0) d = count / fixed;
    }
    return tensor.Reshaped(inferred);
  }
  if (dynamic == 0 && fixed == count) return tensor.Reshaped(declared);
  return mismatch();
}

/// Builds the [rows, columns] tensor of an input given one key per column.
Result<Tensor> DecodeColumns(const TensorSpec& spec, simdjson::dom::object object, const JsonLimits& limits,
                             int64_t& budget) {
  std::vector<Tensor> columns;
  int64_t rows = -1;
  for (const std::string& column : spec.columns) {
    element value;
    if (object.at_key(column).get(value) != simdjson::SUCCESS) {
      return InvalidArgument("missing column '" + column + "' of input '" + spec.name + "'");
    }
    TensorSpec column_spec{column, spec.dtype, {}, false, {}, spec.nullable, {}};
    ASSIGN_OR_RETURN(Tensor t, DecodeValue(column_spec, value, limits, budget));
    if (rows >= 0 && t.num_elements() != rows) {
      return InvalidArgument("column '" + column + "' has " + std::to_string(t.num_elements()) + " values where '" +
                             spec.columns[0] + "' has " + std::to_string(rows) + "; give every column the same length");
    }
    rows = t.num_elements();
    columns.push_back(std::move(t));
  }
  const int64_t ncols = static_cast<int64_t>(columns.size());
  ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(spec.dtype, {rows, ncols}));
  DispatchDType(spec.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = out.data<T>();
    for (int64_t c = 0; c < ncols; ++c) {
      const T* src = columns[static_cast<size_t>(c)].data<T>();
      for (int64_t r = 0; r < rows; ++r) dst[r * ncols + c] = src[r];
    }
  });
  return ConformToSpec(spec, std::move(out));
}

// ---------------------------------------------------------------------------------------------
// Encoding

template <typename T>
void AppendNumber(std::string& out, T v) {
  char buf[64];
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) {
      out += "null";
      return;
    }
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendElement(std::string& out, const Tensor& t, int64_t i) {
  DispatchDType(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T& v = t.data<T>()[i];
    if constexpr (std::is_same_v<T, std::string>) {
      AppendJsonString(out, v);
    } else if constexpr (std::is_same_v<T, bool>) {
      out += v ? "true" : "false";
    } else if constexpr (std::is_same_v<T, Float16>) {
      AppendNumber(out, HalfToFloat(v.bits));
    } else if constexpr (std::is_same_v<T, BFloat16>) {
      AppendNumber(out, BFloat16ToFloat(v.bits));
    } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
      AppendNumber(out, static_cast<int>(v));
    } else {
      AppendNumber(out, v);
    }
  });
}

void AppendNested(std::string& out, const Tensor& t, const Shape& shape, size_t depth, int64_t& index) {
  if (depth == shape.size()) {
    AppendElement(out, t, index++);
    return;
  }
  out += '[';
  for (int64_t i = 0; i < shape[depth]; ++i) {
    if (i) out += ',';
    AppendNested(out, t, shape, depth + 1, index);
  }
  out += ']';
}

Shape Squeezed(const Shape& shape) {
  Shape out;
  for (int64_t d : shape) {
    if (d != 1) out.push_back(d);
  }
  return out;
}

void AppendTensorJson(std::string& out, const Tensor& t) {
  int64_t index = 0;
  AppendNested(out, t, Squeezed(t.shape()), 0, index);
}

/// Outputs in signature order, then any extra ones in name order.
std::vector<std::pair<std::string, const Tensor*>> OrderedOutputs(const TensorMap& outputs,
                                                                  const Signature& signature) {
  std::vector<std::pair<std::string, const Tensor*>> ordered;
  for (const auto& spec : signature.outputs) {
    auto it = outputs.find(spec.name);
    if (it != outputs.end()) ordered.emplace_back(spec.name, &it->second);
  }
  for (const auto& [name, tensor] : outputs) {
    if (!signature.FindOutput(name)) ordered.emplace_back(name, &tensor);
  }
  return ordered;
}

void AppendHtmlEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
}

void AppendSpecJson(std::string& out, const TensorSpec& spec) {
  out += "{\"name\":";
  AppendJsonString(out, spec.name);
  out += ",\"type\":\"";
  out += ApiTypeName(spec.dtype);
  out += "\",\"shape\":";
  if (spec.shape_known) {
    out += '[';
    for (size_t i = 0; i < spec.shape.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(spec.shape[i]);
    }
    out += ']';
  } else {
    out += "null";
  }
  if (spec.map) out += ",\"map\":true";
  if (!spec.columns.empty()) {
    out += ",\"columns\":[";
    for (size_t i = 0; i < spec.columns.size(); ++i) {
      if (i) out += ',';
      AppendJsonString(out, spec.columns[i]);
    }
    out += ']';
  }
  out += '}';
}

/// When every input declares a dynamic leading (batch) dim, the inputs are columns of one batch
/// and must have the same number of rows.
Status CheckBatchSizesAgree(const Signature& signature, const TensorMap& inputs) {
  const TensorSpec* first = nullptr;
  int64_t rows = 0;
  for (const TensorSpec& spec : signature.inputs) {
    if (!spec.shape_known || spec.shape.empty() || spec.shape[0] != kDynamicDim) return Status::Ok();
  }
  for (const TensorSpec& spec : signature.inputs) {
    const Tensor& t = inputs.at(spec.name);
    if (first == nullptr) {
      first = &spec;
      rows = t.dim(0);
    } else if (t.dim(0) != rows) {
      return InvalidArgument("inputs have different numbers of rows: '" + first->name + "' has " +
                             std::to_string(rows) + ", '" + spec.name + "' has " + std::to_string(t.dim(0)) +
                             "; give every input one value per row");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TensorMap> DecodeJsonRequest(std::string_view body, const Signature& signature, const JsonLimits& limits) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  element root;
  if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return InvalidArgument(std::string("the request body is not valid JSON (") + simdjson::error_message(error) +
                           "); send an object mapping input names to values");
  }
  if (root.type() != element_type::OBJECT) {
    return InvalidArgument("the request body must be a JSON object mapping input names to values, got " + KindOf(root));
  }
  simdjson::dom::object object = root.get_object().value_unsafe();

  // A model whose only input is a map also takes the map itself as the body.
  if (signature.inputs.size() == 1 && signature.inputs[0].map &&
      object.at_key(signature.inputs[0].name).error() != simdjson::SUCCESS) {
    int64_t budget = limits.max_elements;
    ASSIGN_OR_RETURN(Tensor t, DecodeMapRecords(signature.inputs[0], root, limits, budget));
    TensorMap inputs;
    inputs.emplace(signature.inputs[0].name, std::move(t));
    return inputs;
  }

  // An input given one key per column.
  const TensorSpec* columnar = nullptr;
  for (const auto& spec : signature.inputs) {
    if (!spec.columns.empty() && !spec.map) columnar = columnar ? nullptr : &spec;
  }
  bool use_columns = columnar != nullptr && object.at_key(columnar->name).error() != simdjson::SUCCESS &&
                     object.at_key(columnar->columns[0]).error() == simdjson::SUCCESS;

  for (auto field : object) {
    std::string key(field.key);
    bool known = signature.FindInput(key) != nullptr;
    if (!known && use_columns) {
      for (const auto& c : columnar->columns) known = known || c == key;
    }
    if (!known) {
      return InvalidArgument("unknown input '" + key + "'; the model's inputs are " + JoinNames(signature.inputs));
    }
  }

  TensorMap inputs;
  int64_t budget = limits.max_elements;
  for (const TensorSpec& spec : signature.inputs) {
    if (use_columns && &spec == columnar) {
      ASSIGN_OR_RETURN(Tensor t, DecodeColumns(spec, object, limits, budget));
      inputs.emplace(spec.name, std::move(t));
      continue;
    }
    element value;
    if (object.at_key(spec.name).get(value) != simdjson::SUCCESS) {
      return InvalidArgument("missing input '" + spec.name + "'; the model's inputs are " +
                             JoinNames(signature.inputs));
    }
    if (spec.map) {
      ASSIGN_OR_RETURN(Tensor t, DecodeMapRecords(spec, value, limits, budget));
      inputs.emplace(spec.name, std::move(t));
      continue;
    }
    ASSIGN_OR_RETURN(Tensor raw, DecodeValue(spec, value, limits, budget));
    ASSIGN_OR_RETURN(Tensor conformed, ConformToSpec(spec, std::move(raw)));
    inputs.emplace(spec.name, std::move(conformed));
  }
  RETURN_IF_ERROR(CheckBatchSizesAgree(signature, inputs));
  return inputs;
}

std::string EncodeJsonResponse(const TensorMap& outputs, const Signature& signature) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, tensor] : OrderedOutputs(outputs, signature)) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, name);
    out += ':';
    AppendTensorJson(out, *tensor);
  }
  out += '}';
  return out;
}

std::string EncodeHtmlResponse(const TensorMap& outputs, const Signature& signature) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Prediction</title><style>"
      "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>\n";
  for (const auto& [name, tensor] : OrderedOutputs(outputs, signature)) {
    out += "<h2>";
    AppendHtmlEscaped(out, name);
    out += "</h2>\n";
    Shape shape = Squeezed(tensor->shape());
    if (shape.size() > 2) {
      std::string json;
      AppendTensorJson(json, *tensor);
      out += "<pre>";
      AppendHtmlEscaped(out, json);
      out += "</pre>\n";
      continue;
    }
    int64_t rows = shape.empty() ? 1 : shape[0];
    int64_t cols = shape.size() == 2 ? shape[1] : 1;
    out += "<table>\n";
    for (int64_t r = 0; r < rows; ++r) {
      out += "<tr>";
      for (int64_t c = 0; c < cols; ++c) {
        std::string cell;
        AppendElement(cell, *tensor, r * cols + c);
        out += "<td>";
        AppendHtmlEscaped(out, cell);
        out += "</td>";
      }
      out += "</tr>\n";
    }
    out += "</table>\n";
  }
  out += "</body></html>\n";
  return out;
}

std::string EncodeDescribe(const Signature& signature) {
  std::string out = "{\"inputs\":[";
  for (size_t i = 0; i < signature.inputs.size(); ++i) {
    if (i) out += ',';
    AppendSpecJson(out, signature.inputs[i]);
  }
  out += "],\"outputs\":[";
  for (size_t i = 0; i < signature.outputs.size(); ++i) {
    if (i) out += ',';
    AppendSpecJson(out, signature.outputs[i]);
  }
  out += "]}";
  return out;
}

void AppendJsonString(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace mlserving::codecs

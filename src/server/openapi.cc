#include "server/openapi.h"

#include <nlohmann/json.hpp>

#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace mlserving::server {
namespace {

using nlohmann::json;

json ElementSchema(DType dtype) {
  if (dtype == DType::kBool) return {{"type", "boolean"}};
  if (dtype == DType::kString) return {{"type", "string"}};
  if (IsFloating(dtype)) return {{"type", "number"}, {"format", dtype == DType::kFloat64 ? "double" : "float"}};
  json schema = {{"type", "integer"}};
  schema["format"] = (dtype == DType::kInt64 || dtype == DType::kUInt32 || dtype == DType::kUInt64) ? "int64" : "int32";
  if (IsUnsignedInteger(dtype)) schema["minimum"] = 0;
  return schema;
}

/// Arrays nested `shape.size()` deep around the element; fixed dims become minItems/maxItems.
json NestedArraySchema(DType dtype, const Shape& shape) {
  json schema = ElementSchema(dtype);
  for (size_t i = shape.size(); i-- > 0;) {
    json array = {{"type", "array"}, {"items", std::move(schema)}};
    if (shape[i] >= 0) {
      array["minItems"] = shape[i];
      array["maxItems"] = shape[i];
    }
    schema = std::move(array);
  }
  return schema;
}

std::string Describe(const TensorSpec& spec) {
  return std::string(DTypeName(spec.dtype)) + " tensor of shape " + ShapeToString(spec.shape) + " (-1: any size)";
}

/// One input: the declared nesting, or (single instance) a flat row or a bare value that the
/// server reshapes to the declared shape when the element count allows.
json InputSchema(const TensorSpec& spec) {
  const std::string description = Describe(spec) +
                                  "; a lower-rank value is reshaped to this shape when its element count allows "
                                  "(a bare value is a batch of one)";
  if (spec.shape.empty()) {
    json schema = ElementSchema(spec.dtype);
    schema["description"] = Describe(spec);
    return schema;
  }
  json forms = json::array();
  forms.push_back(NestedArraySchema(spec.dtype, spec.shape));
  if (spec.shape.size() >= 2) forms.push_back(NestedArraySchema(spec.dtype, Shape{kDynamicDim}));
  forms.push_back(ElementSchema(spec.dtype));
  return {{"description", description}, {"oneOf", std::move(forms)}};
}

/// One output: dimensions of size 1 are dropped in the answer, so any nesting up to the rank.
json OutputSchema(const TensorSpec& spec) {
  json forms = json::array();
  for (size_t rank = spec.shape.size() + 1; rank-- > 0;) {
    forms.push_back(NestedArraySchema(spec.dtype, Shape(rank, kDynamicDim)));
  }
  json schema = {{"description", Describe(spec) + "; dimensions of size 1 are dropped"}};
  if (forms.size() == 1) {
    schema.update(forms[0]);
  } else {
    schema["anyOf"] = std::move(forms);
  }
  return schema;
}

json ObjectSchema(json properties, json required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

json EvalRequestSchema(const Signature& signature) {
  json properties = json::object();
  json required = json::array();
  const TensorSpec* columned = nullptr;
  size_t columned_count = 0;
  for (const TensorSpec& input : signature.inputs) {
    properties[input.name] = InputSchema(input);
    required.push_back(input.name);
    if (!input.columns.empty()) {
      columned = &input;
      ++columned_count;
    }
  }
  json tensor_form = ObjectSchema(std::move(properties), std::move(required));
  if (columned_count != 1) return tensor_form;

  // The one input with named columns may instead be given one key per column.
  json column_properties = json::object();
  json column_required = json::array();
  for (const TensorSpec& input : signature.inputs) {
    if (&input == columned) continue;
    column_properties[input.name] = InputSchema(input);
    column_required.push_back(input.name);
  }
  json column_value = {
      {"oneOf", {NestedArraySchema(columned->dtype, Shape{kDynamicDim}), ElementSchema(columned->dtype)}}};
  for (const std::string& column : columned->columns) {
    column_properties[column] = column_value;
    column_properties[column]["description"] = "column '" + column + "' of input '" + columned->name + "'";
    column_required.push_back(column);
  }
  return {{"oneOf", {std::move(tensor_form), ObjectSchema(std::move(column_properties), std::move(column_required))}}};
}

json EvalResponseSchema(const Signature& signature) {
  json properties = json::object();
  json required = json::array();
  for (const TensorSpec& output : signature.outputs) {
    properties[output.name] = OutputSchema(output);
    required.push_back(output.name);
  }
  return ObjectSchema(std::move(properties), std::move(required));
}

json TensorSpecListSchema() {
  json spec = {{"type", "object"},
               {"properties",
                {{"name", {{"type", "string"}}},
                 {"type", {{"type", "string"}, {"enum", {"string", "integer", "long", "float", "double", "boolean"}}}},
                 {"shape", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}};
  return {{"type", "array"}, {"items", std::move(spec)}};
}

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json JsonContent(const std::string& schema_name) { return {{"application/json", {{"schema", Ref(schema_name)}}}}; }

json ErrorResponse(const std::string& description) {
  return {{"description", description}, {"content", JsonContent("Error")}};
}

json Get(const std::string& summary, json responses) {
  return {{"get", {{"summary", summary}, {"responses", std::move(responses)}}}};
}

}  // namespace

json BuildOpenApi(const Signature& signature, const std::string& summary) {
  json eval_responses = {
      {"200",
       {{"description", "the outputs of the model"},
        {"content",
         {{"application/json", {{"schema", Ref("EvalResponse")}}},
          {"text/html", {{"schema", {{"type", "string"}}}}}}}}},
      {"400", ErrorResponse("the request does not match the model's inputs")},
      {"406", ErrorResponse("the Accept header names no supported type")},
      {"413", ErrorResponse("the request is larger than the configured limits")},
      {"415", ErrorResponse("the Content-Type is not supported")},
      {"503", ErrorResponse("the server is overloaded or shutting down; retry later")},
      {"504", ErrorResponse("the evaluation did not finish within the request timeout")},
  };
  json eval = {{"post",
                {{"summary", "Evaluate the model"},
                 {"requestBody", {{"required", true}, {"content", JsonContent("EvalRequest")}}},
                 {"responses", std::move(eval_responses)}}}};

  json paths = {
      {"/eval", std::move(eval)},
      {"/describe", Get("The model's inputs and outputs",
                        {{"200", {{"description", "the signature"}, {"content", JsonContent("Describe")}}}})},
      {"/health/live", Get("Liveness: the process answers", {{"200", {{"description", "live"}}}})},
      {"/health/ready", Get("Readiness: the model is loaded and the server is not shutting down",
                            {{"200", {{"description", "ready"}}}, {"503", {{"description", "not ready"}}}})},
      {"/metrics", Get("Prometheus metrics (text format 0.0.4)",
                       {{"200", {{"description", "metrics"}, {"content", {{"text/plain", json::object()}}}}}})},
      {"/openapi.json", Get("This document", {{"200", {{"description", "OpenAPI 3.0 document"}}}})},
  };

  json schemas = {
      {"EvalRequest", EvalRequestSchema(signature)},
      {"EvalResponse", EvalResponseSchema(signature)},
      {"Describe",
       {{"type", "object"}, {"properties", {{"inputs", TensorSpecListSchema()}, {"outputs", TensorSpecListSchema()}}}}},
      {"Error",
       {{"type", "object"},
        {"required", {"status", "message"}},
        {"properties",
         {{"status", {{"type", "integer"}, {"description", "the HTTP status"}}},
          {"message", {{"type", "string"}, {"description", "what went wrong and how to fix it"}}}}}}},
  };

  return {{"openapi", "3.0.3"},
          {"info", {{"title", "mlserving"}, {"description", summary}, {"version", "1"}}},
          {"paths", std::move(paths)},
          {"components", {{"schemas", std::move(schemas)}}}};
}

}  // namespace mlserving::server
